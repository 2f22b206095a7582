"""The debugger (issue 15) end to end: a real ``atelier-api serve``, the debug WebSocket,
and the test DBGp client (``tests/debug/client.py``) driving whole sessions as the VS Code
extension does (``../shared/spec/debugger.md``): launch, breakpoints of every kind, steps,
stack and variables at each stop, eval, property_set, pause, stop, attach to a terminal and
to a ``debug: true`` test run, and the frame/line mapping of tricky class shapes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websocket

from tests.debug.client import HANG_GUARD, DbgpClient, debug_url, value
from tests.debug.xmldom import install_xmldom, xmldom

from .conftest import Client, Server, launch, ns_path, stop, wait_for_port

HELLO = """Class Demo.Hello
{

ClassMethod Main()
{
    set name = "World"
    set count = 3
    write "Hello, ", name, "!", !
    set total = ..Add(count, 4)
    write "Total: ", total, !
    quit
}

ClassMethod Add(a As %Integer, b As %Integer) As %Integer
{
    quit a + b
}

}
"""


@dataclass
class Bed:
    server: Server
    client: Client
    ws: Path
    opened: list[DbgpClient] = field(default_factory=list)

    def debugger(self, **kw: Any) -> DbgpClient:
        cookie = self.client.cookie.split(";", 1)[0]
        self.opened.append(DbgpClient(debug_url(self.server.base), {"Cookie": cookie}, **kw))
        return self.opened[-1].open()

    def launched(self, program: str, granularity: str = "command") -> DbgpClient:
        """A debugger after the extension's handshake, with its launch target set."""
        d = self.debugger()
        d.handshake(granularity)
        assert d.launch(f"USER:{program}").error is None
        return d

    def compile(self, *docs: str) -> None:
        done = self.client.call("POST", ns_path("USER", "action/compile"), json_body=list(docs))
        assert done.status_code == 200, done.text


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """One server for the module's tests (each starts its own debug sessions): a workspace
    with Demo.Hello, compiled; tests add the documents they need."""
    tmp = tmp_path_factory.mktemp("debugger")
    ws = tmp / "ws"
    (ws / "Demo").mkdir(parents=True)
    (ws / "Demo" / "Hello.cls").write_text(HELLO)
    server = launch(["serve", "--port", "0", "--state-dir", str(tmp / "state"),
                     "--namespace", f"USER={ws}"], tmp / "home")
    try:
        wait_for_port(server)
        client = Client(server.base)
        client.login()
        Bed(server, client, ws).compile("Demo.Hello.cls")
        client.close()
        yield server, ws
    finally:
        stop(server)


@pytest.fixture
def bed(shared: tuple[Server, Path]) -> Iterator[Bed]:
    server, ws = shared
    client = Client(server.base)
    client.login()
    bed = Bed(server, client, ws)
    yield bed
    for d in bed.opened:
        d.close()
    # the next test starts with no debug session left (its jobs-list checks count them)
    deadline = time.monotonic() + HANG_GUARD
    while _debug_jobs(bed):
        assert time.monotonic() < deadline, "a debug session outlived its socket"
        time.sleep(0.05)
    client.close()


def test_the_spec_conversation(bed: Bed) -> None:
    d = bed.debugger()
    assert d.init is not None and d.init.root.find("engine") is not None
    d.handshake()
    assert d.launch("USER:##class(Demo.Hello).Main()").error is None
    assert d.ok("breakpoint_list").root.findall("breakpoint") == []
    bp = d.break_class("USER", "Demo.Hello.cls", "Main", 3)
    assert bp.error is None and bp.get("id") == "1", bp.raw
    listed = d.ok("breakpoint_list").root[0]
    assert listed.get("filename") == "Demo.Hello.cls" and listed.get("lineno") == "3"
    run = d.ok("run")
    assert (run.get("status"), run.get("reason")) == ("break", "ok"), run.raw
    frames = d.stack()
    assert frames[0]["filename"] == "dbgp://|USER|Demo.Hello.cls"
    assert (frames[0]["lineno"], frames[0]["method"], frames[0]["methodoffset"]) == \
        ("7", "Main", "3")
    assert frames[0]["cmdbegin"] == "7:4"
    assert d.variables() == {"count": "3", "name": "World"}
    step = d.ok("step_over")
    assert step.get("status") == "break"
    assert d.output == ["Hello, World!\r\n"]
    assert d.stack()[0]["lineno"] == "8"
    assert d.eval("count * 2") == "6"
    end = d.ok("run")
    assert end.get("status") == "stopped"
    assert "".join(d.output) == "Hello, World!\r\nTotal: 7\r\n"
    d.close()


ROUTINE = """ROUTINE Calc
#include %occStatus
#define Twice(%x) ((%x)*2)
Calc ; a routine with an include and a macro
main set total=0
 for i=1:1:5 {
   set total=total+$$$Twice(i)
 }
 set list(1)="one",list(2)="two",list("k")="kay"
 do show(total)
 quit
show(n) public {
 set shown=n
 write "total=",n,!
 quit
}
"""
# editor lines: 1 header, 2 #include, 3 #define, 4 Calc, 5 main, 6 for, 7 set total,
# 8 }, 9 set list, 10 do show, 11 quit, 12 show, 13 set shown, 14 write, 15 quit


def routine_bed(bed: Bed) -> None:
    (bed.ws / "Calc.mac").write_text(ROUTINE)
    bed.compile("Calc.mac")


def test_routine_breakpoints_map_mac_lines_past_directives(bed: Bed) -> None:
    routine_bed(bed)
    d = bed.launched("main^Calc")
    # editor line 13 ("set shown=n") is sent as line 12 (§3.3: -n <editor line - 1>)
    assert d.break_routine("USER", "Calc.mac", 12).error is None
    assert d.break_routine("USER", "Calc.mac", 9).error is None      # editor line 10
    bad = d.break_routine("USER", "Calc.mac", 2)                    # the #define line
    assert bad.error is not None and bad.error[0] == 201
    listed = d.ok("breakpoint_list").root
    assert [(b.get("filename"), b.get("lineno")) for b in listed] == [
        ("Calc.mac", "12"), ("Calc.mac", "9")]
    d.ok("run")
    top = d.stack()[0]
    assert (top["filename"], top["lineno"]) == ("dbgp://|USER|Calc.mac", "9")
    assert d.variables(0, 1)["total"] == "30"
    d.ok("run")
    frames = d.stack()
    assert [(f["lineno"], f["method"]) for f in frames] == [("12", "show"), ("9", "main")]
    assert d.variables(0, 0) == {"n": "30"}
    assert d.ok("run").get("status") == "stopped"
    assert "".join(d.output) == "total=30\r\n"


def test_array_children_paging_and_property_get(bed: Bed) -> None:
    routine_bed(bed)
    d = bed.launched("main^Calc")
    d.break_routine("USER", "Calc.mac", 9)
    d.ok("run")
    public = d.ok("context_get", d=0, c=1).root
    lst = [p for p in public if p.get("name") == "list"][0]
    assert (lst.get("type"), lst.get("children"), lst.get("numchildren")) == \
        ("array", "1", "3")
    got = d.ok("property_get", d=0, c=1, n='"list"').root[0]
    kids = [(k.get("name"), k.get("fullname")) for k in got]
    assert kids == [("1", "list(1)"), ("2", "list(2)"), ('"k"', 'list("k")')]
    d.ok("feature_set", n="max_children", v=2)
    page0 = d.ok("property_get", d=0, c=1, n="list").root[0]
    page1 = d.ok("property_get", d=0, c=1, n="list", p=1).root[0]
    assert [k.get("name") for k in page0] == ["1", "2"]
    assert [k.get("name") for k in page1] == ['"k"']
    one = d.ok("property_get", d=0, c=1, n='list("k")').root[0]
    assert one.get("type") == "string"
    missing = d.call("property_get", d=0, c=1, n="nosuch(1)")
    assert missing.error is None or missing.error[0] == 300
    d.ok("detach")


def test_steps_into_over_and_out_with_line_granularity(bed: Bed) -> None:
    routine_bed(bed)
    d = bed.launched("main^Calc", "line")
    d.break_routine("USER", "Calc.mac", 8)      # editor line 9: set list...
    d.ok("run")
    seen = []
    for cmd in ("step_over", "step_into", "step_over", "step_out"):
        reply = d.ok(cmd)
        assert reply.get("status") == "break", reply.raw
        top = d.stack()[0]
        seen.append((top["lineno"], top["method"]))
    assert seen == [("9", "main"), ("12", "show"), ("13", "show"), ("10", "main")]
    assert d.ok("run").get("status") == "stopped"


def test_command_granularity_steps_each_command_of_a_loop(bed: Bed) -> None:
    routine_bed(bed)
    d = bed.launched("main^Calc", "command")
    d.break_routine("USER", "Calc.mac", 6)      # editor line 7, inside the FOR block
    d.ok("run")
    values = [d.eval("i")]
    for _ in range(3):
        d.ok("step_over")
        values.append(d.eval("i"))
    assert values == ["1", "2", "3", "4"]
    d.ok("detach")


def test_conditional_hit_count_and_watch_breakpoints(bed: Bed) -> None:
    routine_bed(bed)
    d = bed.launched("main^Calc")
    cond = d.call("breakpoint_set", "i=3", t="conditional", s="enabled",
                  f="dbgp://|USER|Calc.mac", n=6)
    assert cond.error is None, cond.raw
    d.ok("run")
    assert d.eval("i") == "3"
    d.ok("breakpoint_remove", d=cond.get("id"))
    hits = d.break_routine("USER", "Calc.mac", 6, h=2)
    assert hits.error is None
    d.ok("run")
    assert d.eval("i") == "5"       # the 2nd hit after it was set: i=4 then i=5
    d.ok("breakpoint_remove", d=hits.get("id"))
    watch = d.call("breakpoint_set", "total", t="watch", s="enabled", f="PLACEHOLDER",
                   m="PLACEHOLDER", n="PLACEHOLDER")
    assert watch.error is None, watch.raw
    assert [b.get("type") for b in d.ok("breakpoint_list").root] == ["watch"]
    d.ok("run")
    assert d.eval("total") == "30"  # changed by the last iteration
    d.ok("detach")


def test_eval_errors_and_property_set(bed: Bed) -> None:
    d = bed.launched("##class(Demo.Hello).Main()")
    d.break_class("USER", "Demo.Hello.cls", "Main", 3)
    d.ok("run")
    err = d.call("eval", "nosuch+1")
    assert err.error is not None and err.error[0] == 206 and "UNDEFINED" in err.error[1]
    assert d.call("property_set", "7", d=0, n="count").error is None
    assert d.variables()["count"] == "7"
    assert d.call("property_set", "Moon", d=0, n="name").error is None  # not an expression
    d.ok("run")
    assert "".join(d.output) == "Hello, Moon!\r\nTotal: 11\r\n"


def test_pause_a_loop_then_stop(bed: Bed) -> None:
    (bed.ws / "Spin.mac").write_text("ROUTINE Spin\nSpin\n set n=0\n for {\n  set n=n+1\n }\n")
    bed.compile("Spin.mac")
    d = bed.launched("^Spin")
    run = d.send("run")
    time.sleep(0.3)
    pause = d.call("break")
    assert pause.get("status") == "break", pause.raw
    assert d.reply(run).get("status") == "break"
    assert int(d.eval("n")) > 0
    assert d.stack()[0]["filename"] == "dbgp://|USER|Spin.mac"
    assert d.ok("detach").get("status") == "stopped"


def test_unknown_commands_and_bad_options_get_dbgp_errors(bed: Bed) -> None:
    d = bed.debugger()
    d.handshake()
    assert d.call("no_such_command").error[0] == 4  # type: ignore[index]
    assert d.call("breakpoint_list").error[0] == 5  # type: ignore[index]
    assert d.call("feature_set", n="debug_target", v="USER:not a program").error[0] == 3  # type: ignore[index]
    assert d.call("feature_set", n="debug_target", v="PID:999999").error is not None
    assert d.call("feature_set", n="debug_target", v="NOSUCH:^X").error is not None
    assert d.launch("USER:##class(Demo.Hello).Main()").error is None
    assert d.call("breakpoint_set", t="line", f="dbgp://|USER|Demo.Hello.cls", m="Main",
                  n=0).error[0] == 201  # type: ignore[index]
    assert d.call("breakpoint_set", t="line", f="dbgp://|USER|Demo.Hello.cls", m="Main",
                  n="x").error[0] == 3  # type: ignore[index]
    assert d.call("breakpoint_set", t="exception").error is not None
    assert d.call("breakpoint_remove", d=42).error[0] == 205  # type: ignore[index]
    assert d.call("stack_get").error is not None     # not stopped
    assert d.ok("run").get("status") == "stopped"


SHAPES = """Include %occStatus

/// A class whose methods have the shapes that make line mapping hard
Class Demo.Shapes Extends %RegisteredObject
{

Property Label As %String [ InitialExpression = "shape" ];

Property Inner As Demo.Shapes;

/// a signature over several lines, comments of every kind, a macro
ClassMethod Multi(
	a As %Integer,
	b As %String = "x") As %Status
{
    // a comment line
    set x = a + 1   ; a trailing comment
    #; an old-style comment
    set y = $$$OK
    /* a block
       comment */
    set z = x * 2
    set obj = ..%New(), obj.Inner = ..%New()
    set dyn = {"k": [1, 2, {"deep": true}]}, lst = $listbuild("a", 2)
    quit obj.Go(z)
}

Method Go(n As %Integer) As %Status {
    set ..Label = "went " _ n
    quit $$$OK
}

}
"""
# editor lines: 12 "ClassMethod Multi(", 14 `b As ...) As %Status`, 15 "{", 16 comment,
# 17 set x, 18 #;, 19 set y, 20-21 block comment, 22 set z, 23 set obj, 24 set dyn,
# 25 quit, 28 "Method Go(...) {" (brace on the signature line), 29 set ..Label


def shapes_bed(bed: Bed) -> None:
    (bed.ws / "Demo" / "Shapes.cls").write_text(SHAPES)
    bed.compile("Demo.Shapes.cls")


@pytest.mark.parametrize(("method", "offset", "editor_line"), [
    ("Multi", 2, 17), ("Multi", 4, 19), ("Multi", 7, 22), ("Multi", 10, 25), ("Go", 1, 29)])
def test_class_shapes_map_offsets_to_the_editor_line(bed: Bed, method: str, offset: int,
                                                     editor_line: int) -> None:
    """The client sends offset = editor line - brace line (§3.2) and maps a frame back with
    brace line + methodoffset (§3.4); lineno is the editor line - 1."""
    shapes_bed(bed)
    d = bed.launched("##class(Demo.Shapes).Multi(1)")
    assert d.break_class("USER", "Demo.Shapes.cls", method, offset).error is None
    assert d.ok("run").get("status") == "break"
    top = d.stack()[0]
    assert (top["method"], top["methodoffset"]) == (method, str(offset))
    assert int(top["lineno"]) + 1 == editor_line
    text_line = SHAPES.split("\n")[editor_line - 1]
    begin = int(top["cmdbegin"].split(":")[1])
    assert text_line[begin:].startswith(("set", "quit")), (text_line, begin)
    d.ok("detach")


@pytest.mark.parametrize("offset", [1, 3, 5, 6])
def test_breakpoints_on_lines_without_code_are_refused(bed: Bed, offset: int) -> None:
    shapes_bed(bed)
    d = bed.launched("##class(Demo.Shapes).Multi(1)")
    reply = d.break_class("USER", "Demo.Shapes.cls", "Multi", offset)
    assert reply.error is not None and reply.error[0] == 201, reply.raw


def test_objects_dynamic_objects_and_lists_in_the_variables_view(bed: Bed) -> None:
    shapes_bed(bed)
    d = bed.launched("##class(Demo.Shapes).Multi(1)")
    d.break_class("USER", "Demo.Shapes.cls", "Multi", 10)
    d.ok("run")
    private = {p.get("name"): p for p in d.ok("context_get", d=0, c=0).root}
    assert set(private) >= {"a", "b", "obj", "dyn", "lst", "x", "y", "z"}
    obj = private["obj"]
    assert (obj.get("type"), obj.get("classname")) == ("object", "Demo.Shapes")
    props = d.ok("property_get", d=0, c=0, n="obj").root[0]
    by_name = {k.get("name"): k for k in props}
    assert by_name["Label"].get("fullname") == "obj.Label"
    inner = d.ok("property_get", d=0, c=0, n="obj.Inner").root[0]
    assert inner.get("classname") == "Demo.Shapes"
    label = d.ok("property_get", d=0, c=0, n="obj.Inner.Label").root[0]
    assert value(label) == "shape"
    dyn = d.ok("property_get", d=0, c=0, n="dyn").root[0]
    assert dyn.get("type") == "object" and int(dyn.get("numchildren") or 0) >= 1
    k = d.ok("property_get", d=0, c=0, n="dyn.k").root[0]
    assert [value(c) for c in k][:2] == ["1", "2"]
    assert d.eval("$listtostring(lst)") == "a,2"
    shown = value(private["lst"]) if private["lst"].get("children") != "1" else None
    assert shown is not None and "a" in shown
    d.ok("property_set", "99", d=0, n="z")
    d.break_class("USER", "Demo.Shapes.cls", "Go", 2)
    d.ok("run")
    assert d.eval("n") == "99"
    assert d.eval("..Label") == "went 99"
    assert d.ok("run").get("status") == "stopped"


def test_two_sessions_are_independent(bed: Bed) -> None:
    a, b = bed.debugger(), bed.debugger()
    for d in (a, b):
        d.handshake()
        d.launch("USER:##class(Demo.Hello).Main()")
    a.break_class("USER", "Demo.Hello.cls", "Main", 3)
    b.break_class("USER", "Demo.Hello.cls", "Add", 1)
    a.ok("run")
    b.ok("run")
    assert a.stack()[0]["method"] == "Main" and b.stack()[0]["method"] == "Add"
    a.ok("property_set", "100", d=0, n="count")
    assert b.variables() == {"a": "3", "b": "4"}
    assert b.ok("run").get("status") == "stopped"
    assert a.ok("run").get("status") == "stopped"
    assert "".join(a.output).endswith("Total: 104\r\n")
    assert "".join(b.output).endswith("Total: 7\r\n")


def _debug_jobs(bed: Bed) -> list[dict[str, Any]]:
    rows = bed.client.call("GET", ns_path("%SYS", "jobs")).json()["result"]["content"]
    return [j for j in rows if j["routine"] in ("%Debug",) or "Hello" in j["routine"]]


def test_a_client_that_disconnects_mid_step_frees_the_process(bed: Bed) -> None:
    d = bed.launched("##class(Demo.Hello).Main()")
    d.break_class("USER", "Demo.Hello.cls", "Main", 2)
    d.ok("run")
    assert len(_debug_jobs(bed)) == 1
    d.send("step_over")
    d.close()
    deadline = time.monotonic() + HANG_GUARD
    while _debug_jobs(bed):
        assert time.monotonic() < deadline, "the debug session's process was not ended"
        time.sleep(0.05)


def test_no_debug_launch_runs_to_the_end_with_its_output(bed: Bed) -> None:
    """VS Code's Run (noDebug) still launches through the socket: no breakpoint is set, and
    the program runs to the end with its output and no stop."""
    d = bed.launched("##class(Demo.Hello).Main()")
    assert d.ok("run").get("status") == "stopped"
    assert "".join(d.output) == "Hello, World!\r\nTotal: 7\r\n"


def test_an_error_ends_the_program_and_is_shown(bed: Bed) -> None:
    (bed.ws / "Boom.mac").write_text("ROUTINE Boom\nBoom\n write \"before\",!\n set x=1/0\n")
    bed.compile("Boom.mac")
    d = bed.launched("^Boom")
    assert d.ok("run").get("reason") == "exception"     # stopped at the error first
    assert d.ok("run").get("status") == "stopped"
    out = "".join(d.output)
    assert out.startswith("before\r\n") and "<DIVIDE>" in out


def test_attach_to_a_terminal_process(bed: Bed) -> None:
    term = websocket.create_connection(
        bed.server.base.replace("http://", "ws://") + ns_path("%SYS", "terminal"),
        header=[f"Cookie: {bed.client.cookie.split(';', 1)[0]}"], timeout=HANG_GUARD)
    try:
        assert json.loads(term.recv())["type"] == "init"
        term.send(json.dumps({"type": "config", "namespace": "USER"}))
        assert json.loads(term.recv())["type"] == "prompt"
        rows = bed.client.call("GET", ns_path("%SYS", "jobs")).json()["result"]["content"]
        pid = [j["pid"] for j in rows if j["routine"] == "%Terminal"][0]
        d = bed.debugger()
        d.handshake()
        assert d.call("feature_set", n="debug_target", v=f"PID:{pid}").error is None
        first = d.call("step_into")     # the client's loop: not stopped yet
        assert first.error is not None and "#6709" in first.error[1]
        assert d.break_class("USER", "Demo.Hello.cls", "Add", 1).error is None
        term.send(json.dumps({"type": "prompt", "input": "do ##class(Demo.Hello).Main()"}))
        deadline = time.monotonic() + HANG_GUARD
        while True:        # attaching stops the target at its next command
            reply = d.call("step_into")
            if reply.error is None:
                break
            assert "#6709" in reply.error[1]
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert d.stack()[0]["method"] == "Main"
        # configurationDone's run: answered at once, the target still where it stopped
        assert d.ok("run").get("status") == "break"
        assert d.stack()[0]["method"] == "Main"
        assert d.ok("run").get("status") == "break"        # the breakpoint in Add
        assert d.stack()[0]["method"] == "Add"
        assert d.variables() == {"a": "3", "b": "4"}
        assert d.ok("detach").get("status") == "stopped"
        out = ""
        while True:
            message = json.loads(term.recv())
            if message["type"] == "prompt":
                break
            out += message.get("text", "")
        assert "Total: 7" in out           # the terminal's output stays the terminal's
        term.send(json.dumps({"type": "prompt", "input": "write 1+1"}))
        assert json.loads(term.recv()) == {"type": "output", "text": "2"}
    finally:
        term.close()


def test_debug_a_unit_test_run_with_cspdebug(bed: Bed) -> None:
    (bed.ws / "Demo" / "HelloTest.cls").write_text(
        "Class Demo.HelloTest Extends %UnitTest.TestCase\n{\n\n"
        "Method TestAdd()\n{\n    set sum = ##class(Demo.Hello).Add(2, 3)\n"
        "    do $$$AssertEquals(sum, 5)\n}\n\n}\n")
    queued = bed.client.call("POST", ns_path("USER", "work"), json_body={
        "request": "unittest", "tests": [{"class": "Demo.HelloTest"}], "debug": True,
        "console": True})
    assert queued.status_code == 202, queued.text
    debug_id = queued.json()["result"]["content"]["debugId"]
    job = queued.headers["Location"]
    deadline = time.monotonic() + HANG_GUARD
    while True:
        poll = bed.client.call("GET", ns_path("USER", f"work/{job}")).json()
        if isinstance(poll["result"], dict) and poll["result"].get("content", {}).get(
                "debugReady"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    d = bed.debugger()
    d.handshake()
    assert d.call("feature_set", n="debug_target", v=f"CSPDEBUG:{debug_id}").error is None
    watch = d.call("breakpoint_set", "QQQZZZDebugWatchpointTriggerVar|$ZNAME?1\"%Api\".E",
                   t="watch", s="enabled", f="PLACEHOLDER", m="PLACEHOLDER", n="PLACEHOLDER")
    assert watch.error is None
    assert d.break_class("USER", "Demo.HelloTest.cls", "TestAdd", 2).error is None
    assert d.ok("run").get("status") == "break"
    assert d.stack()[0]["method"] == "TestAdd"
    assert d.variables() == {"sum": "5"}
    assert d.ok("run").get("status") == "stopped"
    results: list[Any] = []
    while True:
        poll_ = bed.client.call("GET", ns_path("USER", f"work/{job}"))
        body = poll_.json()
        if isinstance(body["result"], list):
            results += body["result"]
        if "Retry-After" not in poll_.headers:
            break
        time.sleep(0.05)
    assert [(r.get("method", ""), r["status"]) for r in results] == [
        ("Add", 1), ("", 1)]


def test_class_context_max_depth_and_max_data(bed: Bed) -> None:
    shapes_bed(bed)
    d = bed.launched("##class(Demo.Shapes).Multi(1)")
    d.break_class("USER", "Demo.Shapes.cls", "Multi", 10)
    d.break_class("USER", "Demo.Shapes.cls", "Go", 2)
    d.ok("run")
    names = [c.get("name") for c in d.ok("context_names", d=0).root]
    assert names == ["Private", "Public"]            # a class method: no $THIS
    d.ok("feature_set", n="max_depth", v=3)          # two levels of children inline
    obj = d.ok("property_get", d=0, c=0, n="obj").root[0]
    inner = [k for k in obj if k.get("name") == "Inner"][0]
    assert [k.get("name") for k in inner] == ["Label", "Inner"]
    d.ok("feature_set", n="max_data", v=3)
    cut = d.ok("eval", '"abcdef"').root[0]
    assert value(cut) == "abc" and cut.get("size") == "6"
    d.ok("feature_set", n="max_data", v=8192)
    d.ok("run")                                       # stopped in Go, an instance method
    contexts = d.ok("context_names", d=0).root
    assert [(c.get("name"), c.get("id")) for c in contexts] == [
        ("Private", "0"), ("Public", "1"), ("Class", "2")]
    props = d.variables(0, 2)
    assert props == {"Label": "went 4", "Inner": {"": "Demo.Shapes"}}  # Multi(1): z=4
    assert d.variables(1, 2) == {}                   # the outer frame is a class method
    d.ok("detach")


def test_garbage_and_commands_without_ids_get_errors(bed: Bed) -> None:
    d = bed.debugger()
    d.handshake()
    assert d.ws is not None
    d.ws.send(b"\xff\xfe\x00garbage -x\n")
    reply = d.next_packet()
    assert reply.tag == "response" and reply.error is not None, reply.raw
    d.ws.send(b"eval -- not-base64!!\n")
    assert d.next_packet().error is not None
    # several commands in one message, each answered
    d.ws.send(b"feature_get -i 50 -n max_data\nfeature_get -i 51 -n max_children\n")
    first, second = d.reply(50), d.reply(51)
    assert (first.root.text, second.root.text) == ("8192", "32")
    # the connection still serves commands
    assert d.launch("USER:##class(Demo.Hello).Main()").error is None
    # another debugger cannot take over a launched program
    pid = [j["pid"] for j in bed.client.call("GET", ns_path("%SYS", "jobs")).json()[
        "result"]["content"] if j["routine"] == "%Debug"][0]
    other = bed.debugger()
    taken = other.call("feature_set", n="debug_target", v=f"PID:{pid}")
    assert taken.error is not None and "#6713" in taken.error[1]
    assert d.ok("run").get("status") == "stopped"


def test_time_stopped_in_the_debugger_does_not_count_against_the_line_limit(
        tmp_path: Path, start: Callable[..., Server]) -> None:
    ws = tmp_path / "ws"
    (ws / "Demo").mkdir(parents=True)
    (ws / "Demo" / "Hello.cls").write_text(HELLO)
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                    "--namespace", f"USER={ws}", "--set", "run_line_seconds=1"])
    client = Client(server.base)
    client.login()
    bed = Bed(server, client, ws)
    bed.compile("Demo.Hello.cls")
    d = bed.launched("##class(Demo.Hello).Main()")
    d.break_class("USER", "Demo.Hello.cls", "Main", 3)
    d.ok("run")
    time.sleep(1.5)                                  # longer than the line's limit
    assert d.ok("run").get("status") == "stopped"
    assert "".join(d.output) == "Hello, World!\r\nTotal: 7\r\n"
    d.close()
    client.close()


@pytest.fixture(scope="module")
def npm_xmldom(tmp_path_factory: pytest.TempPathFactory) -> str:
    return install_xmldom(tmp_path_factory.mktemp("npm-xmldom"))


def _elements_only(tree: dict[str, Any]) -> list[str]:
    """Where an element mixes text into element children (what the client cannot read)."""
    kids = tree.get("children", [])
    bad = []
    if any("text" in k for k in kids) and any("name" in k for k in kids):
        bad.append(tree["name"])
    for k in kids:
        if "name" in k:
            bad += _elements_only(k)
    return bad


def test_every_packet_of_a_session_parses_in_the_extensions_xml_library(
        bed: Bed, npm_xmldom: str) -> None:
    shapes_bed(bed)
    d = bed.launched("##class(Demo.Shapes).Multi(1)")
    d.ok("breakpoint_list")
    d.break_class("USER", "Demo.Shapes.cls", "Multi", 10)
    d.break_class("USER", "Demo.Shapes.cls", "Go", 1)
    d.ok("breakpoint_list")
    d.ok("run")
    d.ok("stack_get")
    d.ok("context_names", d=0)
    for ctx in (0, 1):
        d.ok("context_get", d=0, c=ctx)
    for name in ("obj", "dyn", "dyn.k", "lst"):
        d.ok("property_get", d=0, c=0, n=name)
    d.ok("eval", 'obj.Label_"<&>ü"')
    d.call("eval", "nosuch")
    d.ok("step_over")                       # stops at the breakpoint in Go
    assert d.stack()[0]["method"] == "Go"
    d.ok("context_names", d=0)
    d.ok("context_get", d=0, c=2)
    d.ok("run")
    result = xmldom(npm_xmldom, b"".join(d.wire))
    assert result["problems"] == []
    documents = result["documents"]
    assert documents[0]["name"] == "init"
    assert len(documents) > 20
    for doc in documents[1:]:
        assert _elements_only(doc) == [], doc
        if doc["name"] == "response":
            assert "transaction_id" in doc["attrs"], doc


def test_the_readme_launch_json_works_on_the_demo(start: Callable[..., Server],
                                                  tmp_path: Path) -> None:
    """Each launch configuration of the README's ``launch.json`` runs on the README's server
    (the bundled demo) as VS Code sends it (``<NS>:<program>``), with a breakpoint, to its
    end; the attach one names the process picker."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("<!-- launch-json:start -->")[1].split("<!-- launch-json:end -->")[0]
    config = json.loads(block.strip().removeprefix("```json").removesuffix("```"))
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state")])
    client = Client(server.base)
    client.login()
    bed = Bed(server, client, tmp_path)
    bed.compile("Demo.Utils.cls", "DemoRoutine.mac")
    launches = [c for c in config["configurations"] if c["request"] == "launch"]
    assert [c["type"] for c in config["configurations"]] == ["objectscript"] * 3
    assert [c.get("processId") for c in config["configurations"]
            if c["request"] == "attach"] == ["${command:PickProcess}"]
    stops = {"Debug Demo.Utils.Sum": ("Demo.Utils.cls", "Sum", 5),        # quit total
             "Debug DemoRoutine": ("DemoRoutine.mac", None, 7)}   # editor line 8: $$$DemoLog
    for config in launches:
        d = bed.debugger()
        d.handshake()
        assert d.launch(f"USER:{config['program']}").error is None, config
        doc, method, where = stops[config["name"]]
        if method is not None:
            assert d.break_class("USER", doc, method, where).error is None
        else:
            assert d.break_routine("USER", doc, where).error is None
        assert d.ok("run").get("status") == "break", config
        assert d.ok("run").get("status") == "stopped", config
        assert not any("<" in line for line in d.output), d.output
    assert "".join(d.output) == "[demo] greeting World\r\nHello, World!\r\n"
    for d in bed.opened:
        d.close()
    client.close()


def test_an_untrapped_error_stops_where_it_happened(bed: Bed) -> None:
    (bed.ws / "Boom.mac").write_text(
        "ROUTINE Boom\nBoom\n set a=1\n do inner(a)\n quit\n"
        "inner(n) public {\n set d=0\n set x=n/d\n quit\n}\n"
        "caught\n try { set x=1/0 } catch e { write \"caught\",! }\n quit\n")
    bed.compile("Boom.mac")
    d = bed.launched("^Boom")
    stop = d.ok("run")
    assert (stop.get("status"), stop.get("reason")) == ("break", "exception"), stop.raw
    where = stop.root[0]
    assert where.get("exception") == "<DIVIDE>" and "inner+2^Boom" in (where.text or "")
    frames = d.stack()
    # editor lines 8 (set x=n/d) and 4 (do inner(a)); lineno is the editor line - 1
    assert [(f["lineno"], f["method"]) for f in frames] == [("7", "inner"), ("3", "Boom")]
    assert d.variables() == {"d": "0", "n": "1"}
    assert d.ok("run").get("status") == "stopped"
    assert "<DIVIDE>" in "".join(d.output)
    # an error a TRY catches does not stop
    d2 = bed.debugger()
    d2.handshake()
    d2.launch("USER:caught^Boom")
    assert d2.ok("run").get("status") == "stopped"
    assert "".join(d2.output) == "caught\r\n"
