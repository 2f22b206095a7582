"""docs/runtime.md is kept honest: every ``terminal`` block is typed into a fresh
ObjectScript process, line by line (``USER>`` marks a typed line), and what the process
prints — output, or the error as the terminal shows it — must be the lines that follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process

DOC = Path(__file__).parents[2] / "docs" / "runtime.md"
BLOCK = re.compile(r"```terminal\n(.*?)```", re.S)
#: a test class and the console its run prints
UNIT = re.compile(r"```udl\n(.*?)```\s*```unittest\n(.*?)```", re.S)
DURATION = re.compile(r"Duration of execution: [.\d]+ sec\.")


def _blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def _steps(block: str) -> list[tuple[str, str]]:
    """(typed line, expected output) pairs."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.rstrip("\n").split("\n"):
        if line.startswith("USER>"):
            steps.append((line[len("USER>"):], []))
        else:
            assert steps, f"output before any typed line: {line!r}"
            steps[-1][1].append(line)
    return [(typed, "\n".join(out)) for typed, out in steps]


def test_the_page_has_examples() -> None:
    assert len(_blocks()) >= 3 and sum(len(_steps(b)) for b in _blocks()) >= 20


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b.split("\n", 1)[0][:40])
def test_each_example_prints_what_the_page_says(block: str, tmp_path: Path) -> None:
    store = GlobalStore(str(tmp_path / "globals.sqlite"))
    device = BufferDevice()
    process = Process("USER", store, lambda _name: None, device)
    try:
        for typed, expected in _steps(block):
            try:
                process.execute(typed)
            except ObjectScriptError as exc:
                device.write(exc.zerror())
            printed = device.take().replace("\r\n", "\n").rstrip("\n")
            assert printed == expected, f"USER>{typed}"
    finally:
        store.close()


def test_unit_test_examples_print_what_the_page_says(tmp_path: Path) -> None:
    from tests.runtime.unittest_helpers import TestBed, class_name

    pairs = UNIT.findall(DOC.read_text(encoding="utf-8"))
    assert pairs
    for text, expected in pairs:
        bed = TestBed(tmp_path, text)
        lines, _, _ = bed.run([(class_name(text), [])])
        printed = DURATION.sub("Duration of execution: T sec.", "\n".join(lines))
        assert printed == DURATION.sub("Duration of execution: T sec.", expected.rstrip("\n"))
