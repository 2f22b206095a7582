"""The translator itself: what code it generates, its line tables, caches, and that real
class code of the corpus translates without a Python error."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.generation.intcode import class_routine
from compiler_stub.macros.preprocessor import MacroTable
from compiler_stub.reading.outline import read_class
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.process import BufferDevice, Process
from compiler_stub.runtime.translate import CODE_INFO, translate_line, translate_routine
from compiler_stub.runtime.variables import Node


def gen(line: str) -> str:
    return translate_line(line).generated  # type: ignore[attr-defined,no-any-return]


def test_line_translation_is_cached_by_text() -> None:
    assert translate_line(" write 1") is translate_line(" write 1")
    assert translate_line(" write 1") is not translate_line(" write 2")


def test_a_line_without_leading_space_is_a_line_of_code() -> None:
    dev = BufferDevice()
    Process("USER", None, lambda n: None, dev).execute("write 42")
    assert dev.out == "42"


def test_left_to_right_evaluation_in_the_generated_code() -> None:
    code = gen(" set x=2+3*4")
    # (2+3) is the left operand of *
    assert code.index("2 + 3") < code.index("* 4") if "2 + 3" in code else "V.add" in code
    dev = BufferDevice()
    p = Process("USER", None, lambda n: None, dev)
    p.execute(" set x=2+3*4 write x")
    assert dev.out == "20"


def test_hot_loop_has_no_per_command_bookkeeping() -> None:
    code = gen(" for i=1:1:10 { set s=s+i }")
    body = code.split("for ", 1)[1]
    # inside the loop: only the loop variable store and the inline integer add
    assert "P." not in body.split("\n", 1)[1].replace("P.undef", "")
    assert "sys.settrace" not in code


def test_public_variables_are_fetched_once_per_function() -> None:
    code = gen(" set a=1,b=a+1,a=b*2")
    assert code.count("_n('a')") == 1
    assert code.count("_n('b')") == 1


def test_new_refetches_the_nodes() -> None:
    dev = BufferDevice()
    p = Process("USER", None, lambda n: None, dev)
    p.execute(" set x=1 xecute \"new x set x=2 write x\" write x")
    assert dev.out == "21"
    assert gen(" new x set x=2").count("_n('x')") == 2


def test_one_function_per_label_procedure_and_dot_block() -> None:
    rc = translate_routine("R", ["ROUTINE R [Type=INT]", "R write 1", " quit", "a(x) quit x",
                                 "b do", " . write 2", " quit", "p() public {", " quit 3", "}"])
    code = rc.generated  # type: ignore[attr-defined]
    for name in ("def L_R(", "def L_a(", "def L_b(", "def L_p(", "def D_4("):
        assert name in code
    assert sorted(rc.labels) == ["R", "a", "b", "p"]
    assert rc.labels["p"].procedure and not rc.labels["a"].procedure


def test_line_table_maps_generated_lines_to_label_offset() -> None:
    rc = translate_routine("T", ["T ;", " set a=1", "lab write 1", " write 2", " quit"])
    infos = [i for i in CODE_INFO.values() if i.source is rc.source or i.source == rc.source]
    assert infos
    locs = {(loc.label, loc.offset, loc.row) for loc in infos[-1].table if loc is not None}
    assert ("T", 1, 2) in locs
    assert ("lab", 1, 4) in locs


def test_offset_entries_are_compiled_once() -> None:
    rts = {"O": "O\nlab write 1\n write 2\n write 3\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    p.execute(" do lab+1^O do lab+1^O")
    rc = p.routines["O"]
    assert dev.out == "2323"
    assert list(rc.offsets) == [("lab", 1)]


def test_unknown_command_is_a_syntax_error_not_a_python_error() -> None:
    p = Process("USER", None, lambda n: None, BufferDevice())
    for bad in (" frobnicate 1", " set = 5", " write x,,y", " set x=(1"):
        with pytest.raises(ObjectScriptError) as info:
            p.execute(bad)
        assert info.value.code == "SYNTAX", bad


def test_syntax_error_in_a_routine_line_is_raised_when_reached() -> None:
    rts = {"S": "S write \"before\"\n frobnicate\n quit\nok write \"ok\"\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    p.execute(" do ok^S")
    assert dev.out == "ok"
    with pytest.raises(ObjectScriptError) as info:
        p.execute(" do ^S")
    assert str(info.value) == "<SYNTAX>S+1^S"
    assert dev.out == "okbefore"


def test_private_variables_are_readable_and_settable_per_frame() -> None:
    """What a debugger needs: the frames of translated code hold a procedure's private
    variables as nodes (``p_<name>``), so they can be read and set in place."""
    found: dict[str, Node] = {}

    def hook(cls: str, method: str, args: Any) -> Any:
        f: Any = sys._getframe(1)  # noqa: SLF001 - inspecting translated code
        while f is not None and "p_x" not in f.f_locals:
            f = f.f_back
        assert f is not None
        found["x"] = f.f_locals["p_x"]
        f.f_locals["p_x"].value = 99     # set from "the debugger"
        return 0

    rts = {"D": "D\nproc() public {\n set x=1\n set y=##class(Dbg.Hook).Stop()\n write x\n}"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev,
                class_hook=hook)
    p.execute(" do proc^D()")
    assert found["x"].name == "x"
    assert dev.out == "99"


def test_zpos_and_stack() -> None:
    rts = {"Z": "Z\n write $zpos\n do s\n quit\ns write \",\",$zpos,\",\",$stack\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    p.execute(" do ^Z")
    assert dev.out == "Z+1^Z,s^Z,2"


def test_python_failures_are_mapped_to_objectscript_errors() -> None:
    p = Process("USER", None, lambda n: None, BufferDevice())
    assert p.error_of(ZeroDivisionError()).code == "DIVIDE"
    assert p.error_of(RecursionError()).code == "FRAMESTACK"
    assert p.error_of(KeyboardInterrupt()).code == "INTERRUPT"
    assert p.error_of(MemoryError()).code == "STORE"


def test_routine_version_from_the_lines_when_the_loader_has_none() -> None:
    text = {"V": "V write 1\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: text[n].split("\n") if n in text else None, dev)
    p.execute(" do ^V")
    text["V"] = "V write 2\n quit"
    p.execute(" do ^V")
    assert dev.out == "12"


# ------------------------------------------------------------------ the corpus

CORPUS = Path("/work/corpus")


def _corpus_classes() -> list[Path]:
    if not CORPUS.exists():
        return []
    files = sorted(CORPUS.rglob("*.cls"))
    return files[::10]   # a fixed tenth of them keeps the test quick


@pytest.mark.skipif(not CORPUS.exists(), reason="no corpus")
def test_corpus_classes_translate_without_python_errors() -> None:
    done = 0
    for f in _corpus_classes():
        lines = f.read_text(encoding="utf-8", errors="replace").split("\n")
        try:
            src = read_class(lines)
        except Exception:  # noqa: BLE001 - the reader's own limits are not under test
            continue
        if src.model is None:
            continue
        out = class_routine(src.model, MacroTable(), False, datetime(2024, 1, 1))
        if out is None:
            continue
        rc = translate_routine(src.model.name + ".1", out)
        assert rc.labels, f.name
        done += 1
    assert done > 30


def test_debugger_build_calls_the_hook_before_every_command() -> None:
    seen: list[tuple[str, str, int, int]] = []
    cols: list[tuple[int, int]] = []

    def hook(p: Process, routine: str, label: str, offset: int, row: int, col: int,
             end: int) -> None:
        seen.append((routine, label, offset, row))
        cols.append((col, end))
        if (label, offset) == ("a", 1):
            # a debugger stopped here may read and change variables
            p.sym.node("x").value = 5

    rts = {"H": "H\na set x=1 write x\n write x\n quit"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev,
                debug_hook=hook)
    p.execute(" do a^H")
    assert seen == [("", "", 0, 1), ("H", "a", 0, 2), ("H", "a", 0, 2), ("H", "a", 1, 3),
                    ("H", "a", 2, 4)]
    # each command's columns on its row: "a set x=1 write x" has two commands
    assert cols[1:] == [(2, 9), (10, 17), (1, 8), (1, 5)]
    assert dev.out == "15"
    # the normal build has no hook calls
    assert "debug_hook" not in translate_routine("H", rts["H"].split("\n")).generated  # type: ignore[attr-defined]
