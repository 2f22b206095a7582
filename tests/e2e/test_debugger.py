"""The debugger (issue 15) end to end: a real ``atelier-api serve``, the debug WebSocket,
and the test DBGp client (``tests/debug/client.py``) driving whole sessions as the VS Code
extension does (``../shared/spec/debugger.md``): launch, breakpoints of every kind, steps,
stack and variables at each stop, eval, property_set, pause, stop, attach to a terminal and
to a ``debug: true`` test run, and the frame/line mapping of tricky class shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.debug.client import DbgpClient, debug_url

from .conftest import Client, Server, ns_path

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

    def debugger(self, **kw: Any) -> DbgpClient:
        cookie = self.client.cookie.split(";", 1)[0]
        return DbgpClient(debug_url(self.server.base), {"Cookie": cookie}, **kw).open()

    def compile(self, *docs: str) -> None:
        done = self.client.call("POST", ns_path("USER", "action/compile"), json_body=list(docs))
        assert done.status_code == 200, done.text


@pytest.fixture
def bed(tmp_path: Path, start: Callable[..., Server]) -> Iterator[Bed]:
    ws = tmp_path / "ws"
    (ws / "Demo").mkdir(parents=True)
    (ws / "Demo" / "Hello.cls").write_text(HELLO)
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                    "--namespace", f"USER={ws}"])
    client = Client(server.base)
    client.login()
    bed = Bed(server, client, ws)
    bed.compile("Demo.Hello.cls")
    yield bed
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
