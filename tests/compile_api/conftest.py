"""Fixtures of the compile API tests: a workspace with classes, routines and include files,
an app on it (any adapter), a logged-in client, and adapters that fail or hold a job."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from envelopes import envelope as envelope
from envelopes import summary as summary
from spaces import DEADLINE as DEADLINE
from spaces import SessionClient, SpaceSpec
from spaces import Space as Space
from werkzeug.test import TestResponse

from atelier_api.adapters.contract import (
    Adapter,
    AdapterInfo,
    Capability,
    CompileRequest,
    CompileResult,
    DocOutcome,
    IndexRequest,
    IndexResult,
    MacroRequest,
    MacroResult,
    Outcome,
)
from compiler_stub import StubCompiler

HEADER_RE = re.compile(
    r"^Compilation started on \d\d/\d\d/\d{4} \d\d:\d\d:\d\d with qualifiers '(.*)'$")
OK_FOOTER_RE = re.compile(r"^Compilation finished successfully in \d+\.\d{3}s\.$")
ERR_FOOTER_RE = re.compile(r"^Detected (\d+) errors during compilation in \d+\.\d{3}s\.$")

PERSON = """\
/// A person.
/// Stored in ^Pkg.PersonD.
Class Pkg.Person Extends %Persistent
{

Parameter VERSION = 2;

/// The name.
Property Name As %String [ Required ];

Property Age As %Integer;

/// Greets someone.
/// Twice if asked.
ClassMethod Greet(who As %String, times As %Integer = 1) As %String [ Final ]
{
    quit "Hello "_who
}

Method Secret() [ Internal, Private ]
{
    quit
}

Method Old() [ Deprecated ]
{
    quit
}

}
"""
UTIL = """\
Include Macros

Class Pkg.Util Extends %RegisteredObject
{

ClassMethod Two() As %Integer
{
    quit $$$TWO
}

}
"""
MACROS = "ROUTINE Macros [Type=INC]\n#include More\n#define TWO 2\n#define ADD(%a,%b) (%a+%b)\n"
MORE = "ROUTINE More [Type=INC]\n#define THREE 3\n"
ROUTINE = "ROUTINE R\n#include Macros\n#define LOCAL 7\nR ;\n write $$$TWO, $$$LOCAL\n quit\n"
FILES = {
    "Pkg/Person.cls": PERSON,
    "Pkg/Util.cls": UTIL,
    "Macros.inc": MACROS,
    "More.inc": MORE,
    "R.mac": ROUTINE,
    "csp/user/app.js": "var x = 1;\n",
}


def body_lines(console: list[str]) -> list[str]:
    """Console lines between the header and the footer (both checked)."""
    lines = [x for x in console if x != ""]
    assert HEADER_RE.match(lines[0]), lines
    assert OK_FOOTER_RE.match(lines[-1]) or ERR_FOOTER_RE.match(lines[-1]), lines
    return lines[1:-1]


class Client(SessionClient):
    """A logged-in client of the compile API: compile, documents and work jobs."""

    def compile(self, docs: Any, flags: str | None = None, *, v: int = 8,
                source: int | None = None) -> TestResponse:
        query: dict[str, str] = {}
        if flags is not None:
            query["flags"] = flags
        if source is not None:
            query["source"] = str(source)
        return self.call("POST", self.url("action/compile", v), json=docs, query_string=query)

    def get_doc(self, name: str) -> TestResponse:
        return self.call("GET", self.url(f"doc/{name}"))

    def put_doc(self, name: str, text: str) -> TestResponse:
        return self.call("PUT", self.url(f"doc/{name}"), query_string={"ignoreConflict": "1"},
                         json={"enc": False, "content": text.split("\n")})

    def names(self, generated: bool) -> dict[str, dict[str, Any]]:
        resp = self.call("GET", self.url("docnames"),
                         query_string={"generated": "1" if generated else "0"})
        return {e["name"]: e for e in envelope(resp)["result"]["content"]}

    def cancel(self, job: str, v: int = 8) -> TestResponse:
        return self.call("DELETE", self.url(f"work/{job}", v))

    def until_done(self, job: str) -> tuple[list[Any], TestResponse]:
        """Poll until the answer has no Retry-After; returns the running envelopes and the last."""
        return self.poll_until_done(job)


@pytest.fixture(scope="session")
def stub() -> StubCompiler:
    """One stub adapter for the session (its system library loads once)."""
    return StubCompiler()


@pytest.fixture
def space_spec() -> SpaceSpec:
    """The workspace of the ``space`` fixture (tests/conftest.py) and its clients."""
    return SpaceSpec(FILES, Client)


@pytest.fixture
def api(space: Space, stub: StubCompiler) -> Client:
    """A logged-in client of an app with the stub adapter."""
    return space.app(stub)


class Faulty(Adapter):
    """An adapter whose every call raises, or returns a malformed result."""

    def __init__(self, mode: str = "raise",
                 capabilities: frozenset[Capability] | None = None) -> None:
        caps = capabilities if capabilities is not None else frozenset(
            {Capability.COMPILE, Capability.INDEX, Capability.MACROS})
        self.info = AdapterInfo("faulty", "1.0", caps)
        self.mode = mode

    def _fail(self, request: Any) -> Any:
        if self.mode == "raise":
            raise RuntimeError("boom inside the adapter")
        return "not a result"

    def compile(self, request: CompileRequest) -> CompileResult:
        if request.on_console is not None:
            request.on_console("")
        return self._fail(request)  # type: ignore[no-any-return]

    def index(self, request: IndexRequest) -> IndexResult:
        return self._fail(request)  # type: ignore[no-any-return]

    def macros(self, request: MacroRequest) -> MacroResult:
        return self._fail(request)  # type: ignore[no-any-return]


class Gate(Adapter):
    """The stub, held at checkpoints the test opens one by one (deterministic jobs).

    It prints ``held N`` and waits at each of ``holds`` checkpoints until the test calls
    ``release()`` or the compile is cancelled (then it waits for ``release()`` once more, so a
    test can see cancellation in progress), and compiles with the stub at the end.
    """

    def __init__(self, stub: StubCompiler, holds: int = 1, *, hold_on_cancel: bool = True
                 ) -> None:
        self.info = AdapterInfo("gate", "1.0", frozenset({Capability.COMPILE}))
        self.stub = stub
        self.holds = holds
        self.hold_on_cancel = hold_on_cancel
        self.reached = threading.Semaphore(0)
        self.opened = threading.Semaphore(0)

    def release(self) -> None:
        """Let the held compile go on to its next checkpoint."""
        self.opened.release()

    def wait_reached(self) -> None:
        """Wait (with a deadline) until the compile sits at a checkpoint."""
        assert self.reached.acquire(timeout=DEADLINE), "the compile never reached the gate"

    def compile(self, request: CompileRequest) -> CompileResult:
        say = request.on_console or (lambda _line: None)
        for n in range(self.holds):
            say(f"held {n + 1}")
            self.reached.release()
            while not self.opened.acquire(timeout=0.01):
                if request.cancel.cancelled:
                    if self.hold_on_cancel:
                        assert self.opened.acquire(timeout=DEADLINE)
                    return CompileResult(
                        (), tuple(DocOutcome(d.name, Outcome.CANCELLED) for d in
                                  request.documents), "cancelled")
        return self.stub.compile(request)
