"""Contract suite, execution part (``atelier_api.adapters.execution``): every installed
adapter that declares EXECUTE opens sessions that run lines, stream output, answer READs,
stop on interrupt, call entry points, report errors in IRIS's form and end cleanly; an
adapter without it refuses with ``ContractError``, and the server's surfaces answer 501."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from atelier_api.adapters.contract import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterInfo,
    Capability,
    ContractError,
    check_adapter,
)
from atelier_api.adapters.execution import (
    EventKind,
    ExecutionEvent,
    ExecutionLimits,
    ExecutionRequest,
    ExecutionSession,
)

ADAPTERS = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
#: only stops a test that hangs
HANG_GUARD = 60.0
ROUTINE = ("ROUTINE Contract [Type=INT]\nContract ;\n quit\nTwice(n) public {\n quit n*2\n}\n"
           "Say(t) public {\n write t,!\n quit\n}\n")


@pytest.fixture(params=ADAPTERS, ids=[ep.name for ep in ADAPTERS], scope="module")
def runner(request: pytest.FixtureRequest) -> Adapter:
    adapter = check_adapter(request.param.load()())
    if not adapter.supports(Capability.EXECUTE):
        pytest.skip(f"{adapter.info.name} does not declare execute")
    return adapter


@pytest.fixture
def session(runner: Adapter, tmp_path: Path) -> Iterator[ExecutionSession]:
    docs = {"Contract.int": (ROUTINE, "1")}
    request = ExecutionRequest("USER", docs.get, str(tmp_path / "data"),
                               ExecutionLimits(line_seconds=30))
    opened = runner.open_session(request)
    yield opened
    opened.close()
    opened.close()  # safe twice


def wait(session: ExecutionSession, *kinds: EventKind) -> tuple[str, ExecutionEvent]:
    """Output until an event of one of ``kinds`` (waiting on the session's descriptor)."""
    out: list[str] = []
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        select.select([session], [], [], 0.2)
        for event in session.events():
            if event.kind in kinds:
                return "".join(out), event
            assert event.kind is EventKind.OUTPUT, event
            out.append(event.text)
    raise AssertionError(f"no {kinds} event")


def test_a_line_runs_and_its_output_streams(session: ExecutionSession) -> None:
    assert session.namespace == "USER" and session.pid > 0 and not session.running()
    session.execute('write "a",!,2+3')
    assert session.running()
    out, done = wait(session, EventKind.DONE)
    assert (out, done.namespace, done.value) == ("a\r\n5", "USER", None)
    assert not session.running()


def test_one_line_at_a_time(session: ExecutionSession) -> None:
    session.execute("hang 0.3")
    with pytest.raises(ContractError):
        session.execute("write 1")
    wait(session, EventKind.DONE)


def test_errors_end_the_line_in_iris_form(session: ExecutionSession) -> None:
    session.execute("write undefinedvar")
    _, event = wait(session, EventKind.ERROR)
    assert event.text == "<UNDEFINED> *undefinedvar" and event.namespace == "USER"
    session.execute("do Boom^Nowhere")
    _, event = wait(session, EventKind.ERROR)
    assert event.text.startswith("<NOROUTINE>")


def test_read_waits_for_the_answer(session: ExecutionSession) -> None:
    session.execute('read "? ",x write "<",x,">"')
    out, event = wait(session, EventKind.READ)
    assert "? " in out + event.text
    session.answer("typed")
    out, _ = wait(session, EventKind.DONE)
    assert out.endswith("<typed>")


def test_interrupt_stops_a_running_line(session: ExecutionSession) -> None:
    session.execute("for { }")
    time.sleep(0.3)
    session.interrupt()
    _, event = wait(session, EventKind.ERROR)
    assert event.text.startswith("<INTERRUPT>")
    session.execute("write 1")
    assert wait(session, EventKind.DONE)[0] == "1"


def test_calls_of_entry_points_return_values(session: ExecutionSession) -> None:
    session.call("Twice^Contract", ["21"])
    _, done = wait(session, EventKind.DONE)
    assert done.value == "42"
    session.call("Say^Contract", ["hi"])
    out, done = wait(session, EventKind.DONE)
    assert (out, done.value) == ("hi\r\n", None)


def test_the_process_is_ended_by_close(runner: Adapter, tmp_path: Path) -> None:
    opened = runner.open_session(ExecutionRequest("USER", {}.get, str(tmp_path)))
    pid = opened.pid
    opened.close()
    deadline = time.monotonic() + HANG_GUARD
    while _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} outlived its session"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        os.kill(pid, 0)
        return True


def test_an_adapter_that_cannot_run_code_says_so(tmp_path: Path) -> None:
    class CompileOnly(Adapter):
        def __init__(self) -> None:
            self.info = AdapterInfo("compile-only", "1.0", frozenset({Capability.COMPILE}))

    adapter = check_adapter(CompileOnly())
    assert not adapter.supports(Capability.EXECUTE)
    with pytest.raises(ContractError, match="does not run code"):
        adapter.open_session(ExecutionRequest("USER", {}.get, str(tmp_path)))
