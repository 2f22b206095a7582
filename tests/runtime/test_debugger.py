"""The debug engine in process (``compiler_stub.runtime.debugger``): a routine and a class
run under a ``Debugger`` whose ``on_pause`` callback records where the program stopped,
inspects it and says what to do next.

Expected behaviour: the DBGp model as the research notes describe it
(/work/shared/spec/debugger.md §2–§3: breakpoints by label+offset, ``-h`` hit values,
conditional breakpoints, step into/over/out, Private/Public contexts, paged properties).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.debugger import (
    DebugError,
    Debugger,
    DebugStop,
    Pause,
    class_location,
)
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.process import BufferDevice, Process
from tests.runtime.classbed import Workspace

RTN = """ROUTINE Dbg [Type=INT]
Dbg ; debugger test routine
main set g=1
 do proc(2)
 write "g=",g,!
 quit
proc(a) [g] public {
 set x=a+1,y(1)=2
 set y("b")=3,y(10)=4,y(2)=5
 set g=g+x
 do deep(x)
 quit
}
deep(n) public {
 set m=n*2
 quit
}
loop
 for i=1:1:5 {
   set t=i
 }
 write "t=",t,!
 quit
"""
# rows (the header not counted): 2 main, 3 do proc, 4 write, 6 proc, 7 set x, 8 set y,
# 9 set g, 10 do deep, 11 quit, 13 deep, 14 set m, 15 quit, 17 loop, 18 for, 19 set t,
# 21 write t


Step = Callable[[Debugger, Pause], str]


def routine_process(debug: bool = True) -> Process:
    rts = {"Dbg": RTN.split("\n")}
    hook = (lambda *a: None) if debug else None
    return Process("USER", None, rts.get, BufferDevice(), debug_hook=hook)


def session(process: Process, script: list[str] | Step,
            inspect: Callable[[Debugger, Pause], None] | None = None
            ) -> tuple[Debugger, list[Pause]]:
    """A debugger whose callback records each pause, calls ``inspect`` and answers with the
    next command of ``script`` (or what ``script`` returns)."""
    seen: list[Pause] = []
    todo = list(script) if isinstance(script, list) else None

    def on_pause(pause: Pause) -> str:
        seen.append(pause)
        if inspect is not None:
            inspect(dbg, pause)
        if todo is not None:
            return todo.pop(0) if todo else "run"
        assert callable(script)
        return script(dbg, pause)

    dbg = Debugger(process, on_pause)
    return dbg, seen


def where(pauses: list[Pause]) -> list[str]:
    return [p.where for p in pauses]


def out(p: Process) -> str:
    text: str = p.device.out  # type: ignore[attr-defined]
    return text.replace("\r\n", "\n")


# ------------------------------------------------------------------ breakpoints


def test_line_breakpoint_stops_at_its_label_and_offset() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"])
    assert dbg.add_line("Dbg", "proc", 3) == 1
    assert dbg.add_line("Dbg", "main", 1) == 2
    p.execute(" do main^Dbg")
    assert where(seen) == ["main+1^Dbg", "proc+3^Dbg"]
    assert [s.reason for s in seen] == ["breakpoint", "breakpoint"]
    assert [s.breakpoint for s in seen] == [2, 1]
    assert seen[1].row == 9
    assert out(p) == "g=4\n"


def test_a_line_with_several_commands_stops_once() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"])
    dbg.add_line("Dbg", "main", 0)       # "main set g=1": one command
    dbg.add_line("Dbg", "proc", 1)       # "set x=...,y(1)=2": one command, two arguments
    dbg.add_line("Dbg", "loop", 2)       # a line inside a FOR loop: once per iteration
    p.execute(" do main^Dbg")
    p.execute(" do loop^Dbg")
    assert where(seen) == ["main^Dbg", "proc+1^Dbg"] + ["loop+2^Dbg"] * 5


def test_routine_location_and_class_location() -> None:
    p = routine_process()
    dbg, _ = session(p, [])
    assert dbg.routine_location("Dbg", 9) == ("Dbg", "proc", 3)
    assert dbg.routine_location("Dbg", 2) == ("Dbg", "main", 0)
    assert dbg.routine_location("Dbg", 19) == ("Dbg", "loop", 2)
    assert class_location("Demo.Dbg", "Main", 2) == ("Demo.Dbg.1", "zMain", 2)


@pytest.mark.parametrize(("label", "offset"), [
    ("proc", 0),        # the procedure's label line has no command
    ("proc", 6),        # the closing brace
    ("proc", 40),       # past the procedure
    ("loop", 3),        # a line with only "}"
    ("main", 5),        # past the next label
    ("nosuch", 1),
])
def test_bad_locations_are_refused(label: str, offset: int) -> None:
    p = routine_process()
    dbg, _ = session(p, [])
    with pytest.raises(DebugError) as info:
        dbg.add_line("Dbg", label, offset)
    assert info.value.code == 201
    assert dbg.list() == []


def test_an_unknown_routine_is_refused() -> None:
    dbg, _ = session(routine_process(), [])
    with pytest.raises(DebugError) as info:
        dbg.add_line("NoSuch", "x", 1)
    assert info.value.code == 201


def test_conditional_breakpoint() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"] * 10,
                        lambda d, _: d.eval("i") and None)
    bp = dbg.add_line("Dbg", "loop", 2, condition="i#2=0")
    assert dbg.list()[0].type == "conditional"
    p.execute(" do loop^Dbg")
    assert len(seen) == 2
    assert [s.breakpoint for s in seen] == [bp, bp]
    values: list[Any] = []
    dbg2, _ = session(routine_process(), ["run"] * 10,
                      lambda d, _: values.append(d.eval("i")))
    dbg2.add_line("Dbg", "loop", 2, condition="i#2=0")
    dbg2.process.execute(" do loop^Dbg")
    assert values == [2, 4]


def test_hit_value_breakpoint_stops_from_the_nth_hit() -> None:
    p = routine_process()
    values: list[Any] = []
    dbg, _ = session(p, ["run"] * 10, lambda d, _: values.append(d.eval("i")))
    bp = dbg.add_line("Dbg", "loop", 2, hit_value=3)
    p.execute(" do loop^Dbg")
    assert values == [3, 4, 5]
    assert dbg.list()[0].hit_count == 5
    dbg.remove(bp)
    assert dbg.list() == []
    with pytest.raises(DebugError) as info:
        dbg.remove(bp)
    assert info.value.code == 205


def test_a_failing_condition_stops_and_says_why() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"])
    dbg.add_line("Dbg", "main", 1, condition="nosuch>1")
    p.execute(" do main^Dbg")
    assert len(seen) == 1
    assert "UNDEFINED" in seen[0].message


def test_removed_and_disabled_breakpoints_do_not_stop() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"])
    a = dbg.add_line("Dbg", "main", 1)
    b = dbg.add_line("Dbg", "proc", 1)
    dbg.remove(a)
    dbg.enable(b, False)
    p.execute(" do main^Dbg")
    assert seen == []
    assert out(p) == "g=4\n"


# ------------------------------------------------------------------ stepping


def test_step_into_over_and_out() -> None:
    p = routine_process()
    dbg, seen = session(p, ["step_into", "step_into", "step_over", "step_over",
                            "step_into", "step_into", "step_out", "step_over", "step_over"])
    dbg.add_line("Dbg", "main", 1)
    p.execute(" do main^Dbg")
    assert where(seen) == [
        "main+1^Dbg",       # breakpoint: do proc(2)
        "proc+1^Dbg",       # step into: the first command of proc
        "proc+2^Dbg",       # step into: the next line
        "proc+3^Dbg",       # step over
        "proc+4^Dbg",       # step over: do deep(x)
        "deep+1^Dbg",       # step into the call
        "deep+2^Dbg",       # step into: quit
        "proc+5^Dbg",       # step out of deep: back in proc
        "main+2^Dbg",       # step over proc's QUIT: back in main
        "main+3^Dbg",       # step over: quit
    ]
    assert [s.reason for s in seen[1:]] == ["step"] * 9
    assert [s.depth for s in seen[:6]] == [1, 2, 2, 2, 2, 3]
    assert out(p) == "g=4\n"


def test_step_over_a_call_stays_at_the_same_depth() -> None:
    p = routine_process()
    dbg, seen = session(p, ["step_over"] * 5)
    dbg.add_line("Dbg", "main", 0)
    p.execute(" do main^Dbg")
    # the last step over leaves main: the terminal line does not stop the program
    assert where(seen) == ["main^Dbg", "main+1^Dbg", "main+2^Dbg", "main+3^Dbg"]


def test_step_over_steps_through_a_loop_command_by_command() -> None:
    p = routine_process()
    dbg, seen = session(p, ["step_over"] * 5 + ["run"])
    dbg.add_line("Dbg", "loop", 1)
    p.execute(" do loop^Dbg")
    assert where(seen) == ["loop+1^Dbg", "loop+2^Dbg", "loop+2^Dbg", "loop+2^Dbg",
                           "loop+2^Dbg", "loop+2^Dbg"]


def test_pause_request_stops_at_the_next_command() -> None:
    p = routine_process()
    dbg, seen = session(p, ["run"])
    dbg.request_pause()
    p.execute(" do main^Dbg")
    assert where(seen) == ["main^Dbg"]
    assert seen[0].reason == "pause"


def test_stop_ends_the_program() -> None:
    p = routine_process()
    dbg, seen = session(p, ["stop"])
    dbg.add_line("Dbg", "proc", 3)
    with pytest.raises(DebugStop):
        p.execute(" try { do main^Dbg } catch e { write \"caught\" }")
    assert out(p) == ""
    assert len(seen) == 1
    # the process still runs the next line
    p.execute(" write 1")
    assert out(p) == "1"


# ------------------------------------------------------------------ inspection


def test_stack_through_a_nested_call() -> None:
    p = routine_process()
    stacks: list[Any] = []
    dbg, _ = session(p, ["run"], lambda d, _: stacks.append(d.stack()))
    dbg.add_line("Dbg", "deep", 1)
    p.execute(" do main^Dbg")
    st = stacks[0]
    assert [f.where for f in st] == ["deep+1^Dbg", "proc+4^Dbg", "main+1^Dbg"]
    assert [f.level for f in st] == [0, 1, 2]
    assert [f.row for f in st] == [14, 10, 3]
    assert st[0].source == " set m=n*2"
    assert st[0].document == "Dbg.int"
    assert st[0].method is None


def test_private_and_public_variables() -> None:
    p = routine_process()
    found: dict[str, Any] = {}

    def look(d: Debugger, _: Pause) -> None:
        found["private0"] = {k: v.value for k, v in d.variables(0, 0).items()}
        found["private1"] = {k: (v.type, v.value, v.numchildren)
                             for k, v in d.variables(1, 0).items()}
        found["public"] = {k: v.value for k, v in d.variables(0, 1).items()}
        found["main"] = d.variables(2, 0)

    dbg, _ = session(p, ["run"], look)
    dbg.add_line("Dbg", "deep", 2)
    p.execute(" set top=\"T\" do main^Dbg")
    assert found["private0"] == {"m": "6", "n": "3"}
    assert found["private1"] == {"a": ("string", "2", 0), "x": ("string", "3", 0),
                                 "y": ("array", None, 4)}
    assert found["public"] == {"g": "4", "top": "T"}
    assert found["main"] == {}


def test_arrays_in_collation_order_and_paged() -> None:
    p = routine_process()
    props: list[Any] = []

    def look(d: Debugger, _: Pause) -> None:
        props.append(d.property(1, 0, "y"))
        props.append(d.property(1, 0, "y", max_children=2, page=1))
        props.append(d.property(1, 0, 'y("b")'))

    dbg, _ = session(p, ["run"], look)
    dbg.add_line("Dbg", "deep", 1)
    p.execute(" do main^Dbg")
    whole, page1, leaf = props
    assert whole.type == "array" and whole.numchildren == 4
    assert [c.name for c in whole.children] == ["1", "2", "10", '"b"']
    assert [c.fullname for c in whole.children] == ["y(1)", "y(2)", "y(10)", 'y("b")']
    assert [c.value for c in whole.children] == ["2", "5", "4", "3"]
    assert [c.name for c in page1.children] == ["10", '"b"'] and page1.numchildren == 4
    assert (leaf.name, leaf.fullname, leaf.type, leaf.value) == ('"b"', 'y("b")', "string", "3")


def test_nested_arrays_keep_full_names() -> None:
    p = routine_process()
    props: list[Any] = []
    dbg, _ = session(p, ["run"], lambda d, _: props.append(d.property(0, 1, "z")))
    dbg.add_line("Dbg", "main", 1)
    p.execute(' set z="top",z(1,"a")=1,z(1,"b")=2,z(2)=3 do main^Dbg')
    z = props[0]
    assert (z.type, z.value, z.numchildren) == ("array", "top", 2)
    assert [(c.fullname, c.type, c.numchildren) for c in z.children] == [
        ("z(1)", "array", 2), ("z(2)", "string", 0)]
    assert z.children[0].children == []      # one level at a time
    dbg2, _ = session(routine_process(), ["run"],
                      lambda d, _: props.append(d.property(0, 1, "z(1)")))
    dbg2.add_line("Dbg", "main", 1)
    dbg2.process.execute(' set z(1,"a")=1,z(1,"b")=2 do main^Dbg')
    assert [c.fullname for c in props[1].children] == ['z(1,"a")', 'z(1,"b")']


def test_eval_in_the_paused_frame_and_in_an_outer_frame() -> None:
    p = routine_process()
    got: list[Any] = []

    def look(d: Debugger, _: Pause) -> None:
        got.append(d.eval("n*10+g"))          # a private and a public variable
        got.append(d.eval("$data(x)"))        # x is private to proc, not visible in deep
        got.append(d.eval("x_\"/\"_y(10)", 1))   # proc's privates one level up
        got.append(d.eval("$zname"))
        with pytest.raises(DebugError) as info:
            d.eval("1/0")
        got.append((info.value.code, "DIVIDE" in info.value.message))

    dbg, _ = session(p, ["run"], look)
    dbg.add_line("Dbg", "deep", 1)
    p.execute(" do main^Dbg")
    assert got == [34, 0, "3/4", "Dbg", (206, True)]
    # evaluating left the program's state alone
    assert p.zerror == "" and out(p) == "g=4\n"


def test_set_variable_takes_effect() -> None:
    p = routine_process()

    def look(d: Debugger, _: Pause) -> None:
        d.set_variable(0, "x", "x*100")          # an expression
        d.set_variable(0, "y(7)", "hello world")  # not an expression: the text itself
        d.set_variable(0, "g", "10")              # a public variable from a procedure

    dbg, _ = session(p, ["run"], look)
    dbg.add_line("Dbg", "proc", 3)
    p.execute(" do main^Dbg")
    assert out(p) == "g=310\n"

    seen: list[Any] = []
    p2 = routine_process()
    dbg2, _ = session(p2, ["run", "run"],
                      lambda d, _: seen.append(d.variables(0, 0).get("y")))
    dbg2.add_line("Dbg", "proc", 2)
    dbg2.add_line("Dbg", "proc", 3)
    dbg2.process.execute(" do main^Dbg")
    assert seen[0].numchildren == 1 and seen[1].numchildren == 4


def test_inspection_outside_a_pause_is_refused() -> None:
    dbg, _ = session(routine_process(), [])
    with pytest.raises(DebugError) as info:
        dbg.stack()
    assert info.value.code == 5


def test_bad_levels_contexts_and_names() -> None:
    p = routine_process()
    codes: list[int] = []

    def look(d: Debugger, _: Pause) -> None:
        for call in (lambda: d.variables(9, 0), lambda: d.variables(0, 7),
                     lambda: d.property(0, 0, "a b"), lambda: d.property(0, 0, "n.Foo")):
            try:
                call()
            except DebugError as e:
                codes.append(e.code)

    dbg, _ = session(p, ["run"], look)
    dbg.add_line("Dbg", "deep", 1)
    p.execute(" do main^Dbg")
    assert codes == [301, 302, 300, 300]


def test_undefined_property_is_reported_as_such() -> None:
    p = routine_process()
    got: list[Any] = []
    dbg, _ = session(p, ["run"], lambda d, _: got.append(d.property(0, 0, "m")))
    dbg.add_line("Dbg", "deep", 1)
    p.execute(" do main^Dbg")
    assert got[0].type == "undefined"


# ------------------------------------------------------------------ no breakpoints


def test_running_to_the_end_gives_the_same_output_as_without_the_debugger() -> None:
    plain = routine_process(debug=False)
    plain.execute(" do main^Dbg do loop^Dbg")
    p = routine_process()
    dbg, seen = session(p, [])
    p.execute(" do main^Dbg do loop^Dbg")
    assert seen == []
    assert out(p) == out(plain) == "g=4\nt=5\n"
    dbg.detach()
    assert p.debug_hook is None and not p.debug
    # routines called after detaching are in the normal build again (no hook calls)
    assert "debug_hook" not in p.routine("Dbg").generated  # type: ignore[attr-defined]
    p.execute(" do main^Dbg")
    assert out(p).endswith("g=4\n")


def test_attaching_to_a_process_built_without_the_hook() -> None:
    p = routine_process(debug=False)
    p.execute(" do main^Dbg")
    dbg, seen = session(p, ["run"])
    assert p.debug
    dbg.add_line("Dbg", "proc", 3)
    p.execute(" do main^Dbg")
    assert where(seen) == ["proc+3^Dbg"]


# ------------------------------------------------------------------ a class

CLS = """
Class Demo.Dbg Extends %RegisteredObject
{

Property Name As %String;

Property Tags [ MultiDimensional ];

ClassMethod Main() As %Status
{
    set p = ..%New()
    set p.Name = "Ann"
    set p.Tags(1) = "a", p.Tags(2) = "b"
    do ..Show(p)
    quit $$$OK
}

ClassMethod Show(o As Demo.Dbg)
{
    set n = o.Name
    write n, !
}

}
"""


@pytest.fixture
def class_process(tmp_path: Path) -> Process:
    ws = Workspace(CLS)
    p = ws.process(tmp_path)
    p.debug_hook = lambda *a: None
    p.debug = True
    return p


def test_class_breakpoint_stack_and_object_properties(class_process: Process) -> None:
    p = class_process
    found: dict[str, Any] = {}

    def look(d: Debugger, pause: Pause) -> None:
        if pause.label == "zShow":
            found["stack"] = d.stack()
            found["o"] = d.property(0, 0, "o")
            found["tags"] = d.property(1, 0, "p.Tags")
            found["name"] = d.eval("o.Name")
            found["vars"] = sorted(d.variables(1, 0))

    dbg, seen = session(p, ["step_into", "run"], look)
    dbg.add_line(*class_location("Demo.Dbg", "Main", 4))
    p.execute(" do ##class(Demo.Dbg).Main()")
    assert where(seen) == ["zMain+4^Demo.Dbg.1", "zShow+1^Demo.Dbg.1"]
    st = found["stack"]
    assert [(f.document, f.method, f.offset) for f in st] == [
        ("Demo.Dbg.cls", "Show", 1), ("Demo.Dbg.cls", "Main", 4)]
    o = found["o"]
    assert o.type == "object" and o.classname == "Demo.Dbg"
    kids = {c.name: c for c in o.children}
    assert kids["Name"].value == "Ann" and kids["Name"].fullname == "o.Name"
    assert kids["Tags"].type == "array" and kids["Tags"].numchildren == 2
    assert [c.fullname for c in found["tags"].children] == ["p.Tags(1)", "p.Tags(2)"]
    assert found["name"] == "Ann"
    assert found["vars"] == ["p"]
    assert out(p) == "Ann\n"


def test_class_offsets_outside_the_method_are_refused(class_process: Process) -> None:
    dbg, _ = session(class_process, [])
    for off in (0, 6, 30):
        with pytest.raises(DebugError):
            dbg.add_line(*class_location("Demo.Dbg", "Main", off))
    with pytest.raises(DebugError):
        dbg.add_line(*class_location("Demo.Dbg", "Nope", 1))
    assert dbg.add_line(*class_location("Demo.Dbg", "Show", 2)) == 1


def test_set_property_of_an_object(class_process: Process) -> None:
    p = class_process
    dbg, _ = session(p, ["run"], lambda d, _: d.set_variable(0, "o.Name", '"Bob"'))
    dbg.add_line(*class_location("Demo.Dbg", "Show", 1))
    p.execute(" do ##class(Demo.Dbg).Main()")
    assert out(p) == "Bob\n"


def test_an_error_is_not_swallowed_by_the_debugger() -> None:
    p = routine_process()
    session(p, [])
    with pytest.raises(ObjectScriptError):
        p.execute(" do nosuch^Dbg")
