"""The Lite Terminal (issue 13) over a real WebSocket on a real ``atelier-api serve``: the
protocol of ``atelier-api.md`` §4.8 #33 as VS Code's ``webSocketTerminal.ts`` speaks it
(cookie on the upgrade, ``config`` after ``init``, ``prompt``/``read`` inputs, ``color``,
``interrupt``), two terminals at once, the jobs list, and the limits of a session's process.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from .conftest import Client, Server, envelope, ns_path

#: only stops a test that hangs; never a performance claim
HANG_GUARD = 60.0
RED = "\x1b[31;1m"


class Term:
    """One terminal as the VS Code client drives it."""

    def __init__(self, server: Server, cookie: str, namespace: str = "USER",
                 version: int = 8) -> None:
        self.ws = websocket.create_connection(
            server.base.replace("http://", "ws://") + ns_path("%SYS", "terminal", v=version),
            header=[f"Cookie: {cookie}"], timeout=HANG_GUARD)
        self.init = self.next()
        self.send(type="config", namespace=namespace, rawMode=False)
        self.prompt = self.next()

    def next(self) -> dict[str, Any]:
        return json.loads(self.ws.recv())  # type: ignore[no-any-return]

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def until(self, *kinds: str) -> tuple[str, dict[str, Any]]:
        """The output up to the next message of one of ``kinds``, and that message."""
        out = []
        while True:
            message = self.next()
            if message["type"] in kinds:
                return "".join(out), message
            assert message["type"] == "output", message
            out.append(message["text"])

    def run(self, line: str) -> str:
        """Type a line at the prompt; the output until the next prompt."""
        self.send(type="prompt", input=line)
        out, message = self.until("prompt", "error")
        assert message["type"] == "prompt", message
        self.prompt = message
        return out

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def term_server(tmp_path: Path, start: Callable[..., Server]) -> Iterator[Callable[..., Any]]:
    """A server on a workspace with a routine and a class, compiled; makes terminals."""
    opened: list[Term] = []

    def make(*extra: str) -> tuple[Server, Client, Callable[..., Term]]:
        ws = tmp_path / "ws"
        (ws / "Demo").mkdir(parents=True, exist_ok=True)
        (ws / "Hello.mac").write_text(
            "ROUTINE Hello\nHello ;\n write \"hello from a routine\",!\n quit\n"
            "Add(a,b) public {\n quit a+b\n}\nBoom() public {\n quit 1/0\n}\n"
            "Deep(n) public {\n quit $$Deep(n+1)\n}\n"
            "Slow() public {\n for i=1:1:200 { hang 0.05 }\n}\n")
        (ws / "Demo" / "Person.cls").write_text(
            "Class Demo.Person Extends %Persistent\n{\n\nProperty Name As %String;\n\n"
            "Property Age As %Integer [ InitialExpression = 7 ];\n\n"
            "Method Greet() As %String\n{\n    quit \"Hi, \"_..Name\n}\n\n}\n")
        (ws / "Demo" / "Calc.cls").write_text(
            "Class Demo.Calc Extends %RegisteredObject\n{\n\nClassMethod Twice(n) As %Integer\n"
            "{\n    quit n*2\n}\n\n}\n")
        server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                        "--namespace", f"USER={ws}", *extra])
        client = Client(server.base)
        client.login()
        compiled = client.call("POST", ns_path("USER", "action/compile"),
                               json_body=["Hello.mac", "Demo.Calc.cls", "Demo.Person.cls"])
        assert compiled.status_code == 200, compiled.text

        def term(namespace: str = "USER", version: int = 8) -> Term:
            opened.append(Term(server, client.cookie.split(";", 1)[0], namespace, version))
            return opened[-1]
        return server, client, term

    yield make
    for t in opened:
        t.close()


def test_init_config_prompt_and_lines(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    assert t.init["type"] == "init" and isinstance(t.init["protocol"], int)
    assert t.init["version"].startswith("IRIS for UNIX")
    assert t.run("write $zversion") == t.init["version"]  # one $ZV, as GET / reports it
    assert t.prompt == {"type": "prompt", "text": "USER>", "ns": "USER"}
    assert t.run("write 2+3*4") == "20"  # strictly left to right
    assert t.run('set x="a" write x,!,x_x') == "a\r\naa"
    assert t.run("write x") == "a"  # the process keeps its variables between lines
    assert t.run("") == ""


def test_errors_are_red_and_the_terminal_goes_on(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    out = t.run("write nothere")
    assert out == f"{RED}<UNDEFINED> *nothere\x1b[0m\r\n"
    out = t.run('write "partial" write 1/0')
    assert out.startswith("partial\r\n" + RED + "<DIVIDE>"), out
    assert t.run("write 1") == "1"


def test_routines_and_class_methods_the_compile_produced(
        term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    assert t.run("do ^Hello") == "hello from a routine\r\n"
    assert t.run("write $$Add^Hello(2,3)") == "5"
    assert t.run("write ##class(Demo.Calc).Twice(21)") == "42"
    out = t.run("write $$Boom^Hello()")
    assert "<DIVIDE>zBoom+1^Hello" in out or "<DIVIDE>Boom+1^Hello" in out, out
    assert "<NOROUTINE>" in t.run("do ^Nowhere")


def test_workspace_objects_and_persistence(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    assert t.run('set p=##class(Demo.Person).%New(),p.Name="Ada" write p.Greet()," ",p.Age') \
        == "Hi, Ada 7"
    assert t.run("write p.%Save(),\" \",p.%Id()") == "1 1"
    assert t.run("kill p set q=##class(Demo.Person).%OpenId(1) write q.Name,$isobject(q)") \
        == "Ada1"
    assert t.run("write $data(^Demo.PersonD(1)),^Demo.PersonD") == "11"
    assert t.run("write ##class(Demo.Person).%ExistsId(2)") == "0"


def test_read_answers_from_the_client(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    t.send(type="prompt", input='read "Name? ",n write !,"Hi ",n')
    out, message = t.until("read")
    assert message["type"] == "read"
    assert "Name? " in out + message.get("text", "")
    t.send(type="read", input="Ada")
    out, message = t.until("prompt")
    assert out == "\r\nHi Ada"


def test_interrupt_stops_an_endless_loop(term_server: Callable[..., Any]) -> None:
    _, client, term = term_server()
    t = term()
    t.send(type="prompt", input="for { set i=$increment(i) }")
    time.sleep(0.5)  # let it run; the interrupt is what ends it, not a timeout
    t.send(type="interrupt")
    out, message = t.until("prompt")
    assert f"{RED}<INTERRUPT>" in out, out
    assert int(t.run("write i")) > 0
    assert client.call("GET", "/api/atelier/").status_code == 200


def test_output_shows_while_the_line_runs(term_server: Callable[..., Any]) -> None:
    """What a line writes before it waits (HANG) or works without writing reaches the
    terminal then, not when the line ends."""
    _, _, term = term_server()
    t = term()
    t.send(type="prompt", input='write "first" hang 1 write "second" '
                                'for i=1:1:3 { write i set t=$zh for { quit:$zh-t>0.6 } }')
    messages = []
    while True:
        message = t.next()
        if message["type"] == "prompt":
            break
        messages.append(message["text"])
    assert "".join(messages) == "firstsecond123"
    assert messages[0] == "first"  # sent before the HANG, on its own
    assert len(messages) >= 4  # the loop's digits came while it ran, not in one piece


def test_namespace_switch(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    t.run('znspace "%SYS"')
    assert t.prompt == {"type": "prompt", "text": "%SYS>", "ns": "%SYS"}
    assert t.run("write $namespace") == "%SYS"
    assert "<NAMESPACE>" in t.run('znspace "NOPE"')
    t.run('set $namespace="USER"')
    assert t.prompt["ns"] == "USER"


def test_globals_persist_per_namespace_across_terminals(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    first = term()
    first.run("kill ^T set ^T(1)=\"one\",^T(2)=2")
    first.close()
    second = term()
    assert second.run("write ^T(1),^T(2),$order(^T(\"\"),-1)") == "one22"
    assert second.run("zwrite ^T") == '^T(1)="one"\r\n^T(2)=2\r\n'


def test_two_terminals_are_two_processes(term_server: Callable[..., Any]) -> None:
    _, client, term = term_server()
    a, b = term(), term()
    a.run("set mine=1")
    assert "<UNDEFINED> *mine" in b.run("write mine")
    assert a.run("write $job") != b.run("write $job")
    jobs = envelope(client.call("GET", ns_path("%SYS", "jobs")))["result"]["content"]
    terminals = [j for j in jobs if j["routine"] == "%Terminal"]
    assert len(terminals) == 2 and {j["namespace"] for j in terminals} == {"USER"}
    a.close()
    _wait_terminals(client, 1)
    assert b.run("write 1") == "1"


def _wait_terminals(client: Client, count: int) -> None:
    """Until ``%SYS/jobs`` lists ``count`` terminals (a closed one leaves the list)."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        rows = envelope(client.call("GET", ns_path("%SYS", "jobs")))["result"]["content"]
        if len([j for j in rows if j["routine"] == "%Terminal"]) == count:
            return
        assert time.monotonic() < deadline, "a closed terminal's session did not end"
        time.sleep(0.05)


def test_the_jobs_list_shows_the_routine_a_terminal_runs(
        term_server: Callable[..., Any]) -> None:
    _, client, term = term_server()
    t = term()
    t.send(type="prompt", input="do Slow^Hello")
    deadline = time.monotonic() + HANG_GUARD
    while True:
        rows = envelope(client.call("GET", ns_path("%SYS", "jobs")))["result"]["content"]
        mine = [j for j in rows if j["device"] and j["namespace"] == "USER"
                and j["routine"] != "%Terminal"]
        if mine:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)
    assert mine[0]["routine"] == "Hello" and mine[0]["state"] == "RUN"
    t.send(type="interrupt")
    t.until("prompt")
    rows = envelope(client.call("GET", ns_path("%SYS", "jobs")))["result"]["content"]
    assert [j["routine"] for j in rows if j["namespace"] == "USER" and j["device"]] == \
        ["%Terminal"]


def test_color_echo(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    t.send(type="color", input='set x=1 write "s"')
    message = t.next()
    assert message["type"] == "color"
    plain = re.sub("\x1b\\[[0-9;]*m", "", message["text"])
    assert plain == 'set x=1 write "s"'
    assert message["text"].startswith("\x1b[34mset\x1b[0m")  # a command: keyword colour


def test_refused_without_cookie_below_v7_and_outside_percent_sys(
        term_server: Callable[..., Any]) -> None:
    server, _, _ = term_server()
    url = server.base.replace("http://", "ws://")
    for path, status in ((ns_path("%SYS", "terminal"), 401), (ns_path("%SYS", "terminal", v=6),
                                                              404),
                         (ns_path("USER", "terminal"), 404)):
        with pytest.raises(websocket.WebSocketBadStatusException) as caught:
            headers = [] if status == 401 else [f"Authorization: Basic {_basic()}"]
            websocket.create_connection(url + path, header=headers, timeout=HANG_GUARD)
        assert caught.value.status_code == status, path


def _basic() -> str:
    import base64

    return base64.b64encode(b"_SYSTEM:SYS").decode()


def test_session_cap_answers_503(term_server: Callable[..., Any]) -> None:
    server, _, term = term_server("--set", "max_run_sessions=1")
    t = term()
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        term()
    assert caught.value.status_code == 503
    t.close()


def test_line_time_limit_interrupts(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server("--set", "run_line_seconds=1")
    t = term()
    out = t.run("for { }")
    assert "time limit" in out and "<INTERRUPT>" in out, out
    assert t.run("write 1") == "1"


def test_output_is_bounded(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server("--set", "run_output_bytes=10000")
    t = term()
    out = t.run('for i=1:1:100000 { write "0123456789" }')
    assert out.startswith("0123456789") and "output limit" in out
    assert len(out) < 10000 + 200


def test_memory_bomb_is_a_store_error_not_a_crash(term_server: Callable[..., Any]) -> None:
    _, client, term = term_server("--set", "run_memory_bytes=268435456")
    t = term()
    out = t.run('for i=1:1 { set a(i)=$justify("",100000) }')
    assert "<STORE>" in out, out
    assert client.call("GET", "/api/atelier/").status_code == 200
    t.run("kill a")
    assert t.run("write 1") == "1"


def test_oversized_message_closes_the_socket(term_server: Callable[..., Any]) -> None:
    """A message over 1 MB: the server closes the WebSocket (1009) and the session ends."""
    _, client, term = term_server()
    t = term()
    t.ws.send(json.dumps({"type": "prompt", "input": "x" * (2 << 20)}))
    opcode, data = t.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 1009
    assert client.call("GET", "/api/atelier/").status_code == 200


def test_halt_closes_the_terminal_and_host_access_is_refused(
        term_server: Callable[..., Any]) -> None:
    _, client, term = term_server()
    t = term()
    assert "<PROTECT> *OPEN /etc/passwd" in t.run('open "/etc/passwd"')
    t.send(type="prompt", input="halt")
    _, message = t.until("error")
    assert message == {"type": "error", "text": "HALT: the process ended"}
    _wait_terminals(client, 0)


def test_two_terminals_share_the_namespace_lock_table(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    a, b = term(), term()
    assert a.run("lock +^Res:1 write $test") == "1"
    assert b.run("lock +^Res:0 write $test") == "0"
    a.close()  # the holder's process ends: its lock goes with it
    assert b.run("lock +^Res:5 write $test") == "1"


def test_bad_lines_get_iris_errors(term_server: Callable[..., Any]) -> None:
    _, _, term = term_server()
    t = term()
    assert "<SYNTAX>" in t.run("frobnicate 1")
    assert "<SYNTAX>" in t.run("write (1")
    assert "<CLASS DOES NOT EXIST>" in t.run("write ##class(No.Such).Thing()")
    assert "<FRAMESTACK>" in t.run("write $$Deep^Hello(1)")
    t.send(type="nonsense")  # an unknown message: ignored
    t.ws.send("not json")  # ignored, as the client ignores what it cannot read
    t.send(type="prompt", input=["not", "a string"])  # no line in it: a new prompt
    assert t.until("prompt") == ("", {"type": "prompt", "text": "USER>", "ns": "USER"})
    assert t.run("write 1") == "1"


def test_a_client_that_never_reads_is_disconnected(term_server: Callable[..., Any]) -> None:
    """The terminal writes more than the socket buffers hold to a client that reads nothing:
    after request_head_timeout_seconds without progress the server gives it up, ends its
    session, and goes on answering."""
    _, client, term = term_server("--set", "request_head_timeout_seconds=2")
    t = term()
    t.ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    t.send(type="prompt", input='for i=1:1:20000 { write $justify("",1000),! }')
    _wait_terminals(client, 0)
    assert client.call("GET", "/api/atelier/").status_code == 200


@pytest.fixture(scope="module")
def npm_ws(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The npm ``ws`` library the VS Code extension opens its terminal with (installed from
    the npm registry into a temporary folder); skipped without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the extension's WebSocket library")
    folder = tmp_path_factory.mktemp("npm-ws")
    done = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund",
                           "--prefix", str(folder), "ws@8"], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return str(folder / "node_modules" / "ws")


def test_the_extensions_websocket_library_drives_the_terminal(
        term_server: Callable[..., Any], npm_ws: str) -> None:
    """node + ws (the extension's library and options: the cookie header; permessage-deflate
    offered by ws and declined by the server)."""
    server, client, _ = term_server()
    url = server.base.replace("http://", "ws://") + ns_path("%SYS", "terminal")
    script = Path(__file__).parent / "js" / "terminal_client.js"
    done = subprocess.run(["node", str(script), npm_ws, url, client.cookie.split(";", 1)[0],
                           "write 6*7", "write x", 'write "é"'],
                          capture_output=True, text=True, timeout=120)
    result = json.loads(done.stdout)
    assert done.returncode == 0 and "error" not in result, result
    kinds = [m["type"] for m in result["received"]]
    assert kinds == ["init", "prompt", "output", "prompt", "output", "prompt", "output",
                     "prompt"]
    outputs = [m["text"] for m in result["received"] if m["type"] == "output"]
    assert outputs == ["42", f"{RED}<UNDEFINED> *x\x1b[0m\r\n", "é"]


def test_the_readme_demo_runs_in_the_terminal(tmp_path: Path,
                                              start: Callable[..., Server]) -> None:
    """The README's server (the bundled demo as USER): compile the demo as VS Code's save
    does, then run its routine and classes from a terminal."""
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state")])
    client = Client(server.base)
    client.login()
    compiled = client.call("POST", ns_path("USER", "action/compile"), json_body=[
        "DemoRoutine.mac", "Demo.Utils.cls", "Demo.Person.cls"])
    assert compiled.status_code == 200 and not envelope(compiled)["status"]["errors"]
    t = Term(server, client.cookie.split(";", 1)[0])
    try:
        assert t.run("do ^DemoRoutine") == "[demo] greeting World\r\nHello, World!\r\n"
        assert t.run('write ##class(Demo.Utils).Sum("1,2,3")') == "6"
        assert t.run('write ##class(Demo.Utils).Greet("you")') == "Hello, you!"
        out = t.run('set id=##class(Demo.Person).Add("Lovelace,Ada",$zdateh("1815-12-10",3))')
        assert out == "[demo] added Lovelace,Ada\r\n"
        assert t.run("set p=##class(Demo.Person).%OpenId(id) write p.Name") == "Lovelace,Ada"
    finally:
        t.close()
        client.close()


def test_a_namespace_reset_ends_its_sessions_and_wipes_its_globals(
        term_server: Callable[..., Any]) -> None:
    server, client, term = term_server()
    t = term()
    t.run("set ^Kept=1")
    reset = requests.post(server.base + "/operator/reset/USER", auth=("_SYSTEM", "SYS"),
                          timeout=HANG_GUARD, headers={"Content-Type": "application/json"})
    assert reset.status_code == 200, reset.text
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:  # the terminal of the reset namespace is closed
            if t.ws.recv() == "":
                raise ConnectionError("closed")
    fresh = term()
    assert fresh.run("write $data(^Kept)") == "0"
