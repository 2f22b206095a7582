"""Storage write-back against a corpus of class files in the shapes real repositories commit
(``storage_cases/``, see its README): every case is compiled through the compile endpoint of a
server running the stub adapter, and the file on disk is compared byte for byte with what IRIS
leaves: ``<case>.expected.cls``, or the input itself when the case has no expected file (then
not even the document's ``ts`` may change)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope
from spaces import SessionClient, Space, SpaceSpec, make_space

from compiler_stub import StubCompiler

CASES = Path(__file__).parent / "storage_cases"
INPUTS = sorted(p for p in CASES.glob("*.cls") if not p.name.endswith(".expected.cls"))
CLASS_RE = re.compile(rb"^Class\s+([%\w.]+)", re.MULTILINE)


def _class_name(data: bytes) -> str:
    found = CLASS_RE.search(data)
    assert found is not None
    return found.group(1).decode()


def _rel(name: str) -> str:
    """Where the default layout keeps a class: ``Pkg/Sub/Name.cls``."""
    return name.replace(".", "/") + ".cls"


def _expected(case: Path) -> Path:
    return case.with_name(case.name.removesuffix(".cls") + ".expected.cls")


def _storage_lines(data: bytes) -> list[str]:
    """The Storage member of a class text, from its ``Storage`` line to its closing brace."""
    lines = data.decode().replace("\r\n", "\n").split("\n")
    start = next(i for i, x in enumerate(lines) if x.startswith("Storage "))
    return lines[start:lines.index("}", start) + 1]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, adapter: StubCompiler
              ) -> Iterator[tuple[Space, SessionClient]]:
    """A workspace holding the input of every case, each where the default layout puts it,
    and a client of a server on it. One for all cases: a case only ever changes its own
    class, and the classes other cases lean on (superclasses, parents) are unchanged ones."""
    files = {_rel(_class_name(p.read_bytes())): p.read_bytes() for p in INPUTS}
    box = make_space(tmp_path_factory.mktemp("storage_cases"), SpaceSpec(files, SessionClient))
    yield box, box.app(adapter)
    box.close()


def _compile(client: SessionClient, name: str) -> dict[str, Any]:
    env: dict[str, Any] = envelope(client.call(
        "POST", client.url("action/compile"), json=[f"{name}.cls"], query_string={"flags": "ck"}))
    assert env["status"] == {"errors": [], "summary": ""}, env["status"]
    return env


def _ts(client: SessionClient, name: str) -> str:
    return str(envelope(client.call("GET", client.url(f"doc/{name}.cls")))["result"]["ts"])


def test_the_corpus_is_complete() -> None:
    expected = sorted(CASES.glob("*.expected.cls"))
    assert all(p.with_name(p.name.replace(".expected", "")).exists() for p in expected)
    assert len(INPUTS) >= 30 and len(expected) >= 20
    names = [_class_name(p.read_bytes()) for p in INPUTS]
    assert len(set(names)) == len(names)
    assert any(b"\r\n" in p.read_bytes() for p in expected)  # a CRLF case is among them


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.name.removesuffix(".cls"))
def test_storage_case(case: Path, workspace: tuple[Space, SessionClient]) -> None:
    space, client = workspace
    source = case.read_bytes()
    name = _class_name(source)
    path = space.ws / _rel(name)
    assert path.read_bytes() == source
    before = _ts(client, name)
    env = _compile(client, name)
    written = path.read_bytes()
    expected = _expected(case)
    if expected.exists():
        want = expected.read_bytes()
        assert written.decode() == want.decode()  # readable diff first
        assert written == want
        [doc] = env["result"]["content"]
        assert doc["name"] == f"{name}.cls" and doc["flags"] == 1
        assert doc["content"] == _storage_lines(want)
        assert _ts(client, name) == doc["ts"] != before
    else:
        assert written == source, "a class that needs no storage change was rewritten"
        assert env["result"]["content"] == []
        assert _ts(client, name) == before
    settled = _ts(client, name)
    again = _compile(client, name)  # what the compile wrote is now up to date
    assert again["result"]["content"] == []
    assert path.read_bytes() == written and _ts(client, name) == settled
