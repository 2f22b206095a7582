"""The execution part of the adapter contract (standard library only): running code.

An adapter that declares ``Capability.EXECUTE`` opens *execution sessions*: one ObjectScript
process each (the Lite Terminal's, a unit-test run's, a debug target's), running outside the
server's own process. A session is driven without blocking, so that one thread can serve many:

- ``execute(line)`` runs one command line, ``call(entry, args)`` one entry point
  (``##class(Pkg.C).Method``, ``$$label^routine``, ``label^routine``);
- ``fileno()`` turns readable when events wait; ``events()`` returns them without waiting:
  ``OUTPUT`` (text as the program wrote it, ``!`` as CRLF), ``READ`` (the program waits for
  ``answer(text)``), ``DONE`` (the line or call ended: the namespace now current, the call's
  value), ``ERROR`` (the line ended with an ObjectScript error: its text as IRIS prints it),
  ``CLOSED`` (the session's process is gone: its reason);
- ``run_tests(tests)`` runs ``%UnitTest`` test cases as ``%UnitTest.Manager`` does: its
  console lines come as ``OUTPUT``, one ``RESULT`` per finished test method and per class
  (``data``: the row of the ``/work`` unittest poll), then ``DONE``;
- ``interrupt()`` stops the running line with ``<INTERRUPT>``; ``close()`` ends the process;
- ``color(text)`` colours a line being typed (the terminal's echo);
- ``debug(op, args)`` drives the session's debugger (``DEBUG_OPS``): its answer comes later as
  a ``DEBUG`` event (``data``: ``{"id", "result"}`` or ``{"id", "error": [code, message]}``),
  and each time the program stops a ``PAUSED`` event (``data``: ``{"reason", "breakpoint",
  "message"}``). ``debug_listener`` (when set) receives those two kinds instead of
  ``events()``, and a copy of ``DONE``, ``ERROR`` and ``CLOSED``: a debugger attached to a
  session another surface drives (a terminal, a test run) hears them while that surface
  keeps reading the rest.

One line at a time: ``execute``, ``call`` or ``run_tests`` while one runs is a
``ContractError``.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class ContractError(RuntimeError):
    """An adapter broke the contract (bad info, undeclared capability, malformed result);
    also raised for a capability an adapter does not have. (Defined here, the lowest module
    of the contract; ``contract`` re-exports it.)"""


@dataclass(frozen=True)
class ExecutionLimits:
    """What one session's process may use; beyond a limit the line (or the process) ends with
    a clear error, and nothing else is affected."""

    cpu_seconds: int = 600  # CPU time of the whole process (then it is ended)
    memory_bytes: int = 1 << 30  # address space of the process
    line_seconds: float = 300.0  # wall clock of one line or call (then it is interrupted)
    output_bytes: int = 16 << 20  # output of one line or call (the rest is dropped, said so)


@dataclass(frozen=True)
class ExecutionRequest:
    """Open a session in ``namespace``.

    ``documents`` reads a document's text by name (``Pkg.Cls.cls``, ``rtn.mac``, ``x.inc``)
    as the server holds it, or None; it is called on the server's side, so the session's
    process needs no access to the workspace. ``data_dir`` is the namespace's folder for the
    data code makes (globals): outside the workspace, kept across sessions, wiped by a reset.
    ``switch`` says whether a namespace name exists (ZNSPACE / SET $NAMESPACE) and returns
    its ``(documents, data_dir)``, or None.
    """

    namespace: str
    documents: Any  # Callable[[str], str | None]
    data_dir: str
    limits: ExecutionLimits = ExecutionLimits()
    user: str = ""
    switch: Any = None  # Callable[[str], tuple[documents, data_dir] | None] | None
    zversion: str = ""  # $ZVERSION as the server reports it (empty: the adapter's own)


class EventKind(enum.Enum):
    """What happened in a session."""

    OUTPUT = "output"
    READ = "read"
    DONE = "done"
    ERROR = "error"
    RESULT = "result"
    DEBUG = "debug"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class ExecutionEvent:
    """One event of a session (see the module's docstring)."""

    kind: EventKind
    text: str = ""  # OUTPUT: the text; READ: the prompt; ERROR/CLOSED: the message
    namespace: str = ""  # DONE and ERROR: the namespace now current
    value: str | None = None  # DONE of a call: its value (None: no value)
    max_chars: int = 0  # READ: most characters to take (0: a line)
    single: bool = False  # READ *x: one character, answered as its code
    timeout: float | None = None  # READ: seconds the program waits (None: forever)
    data: Any = None  # RESULT: the test result row; DEBUG, PAUSED: see the module's docstring


@dataclass(frozen=True)
class TestSpec:
    """One ``%UnitTest.TestCase`` class to run, and which of its test methods: names without
    the ``Test`` prefix, as the ``/work`` unittest request gives them (empty: all). A class
    with an ``error`` (it did not compile, say) is not run: it is reported as failed with
    that error, in its place among the others."""

    __test__ = False  # not a pytest test class

    cls: str
    methods: tuple[str, ...] = ()
    error: str = ""


#: the debugger's requests (``ExecutionSession.debug``), their arguments and results. Locations
#: are documents and editor lines: a class's by method and offset from the method's opening
#: brace line (offset 1: the line after it), a routine's by line counted after its
#: ``ROUTINE`` header (1: the first). Errors carry DBGp's codes (5 "not stopped", 201 a bad
#: location, 205 no such breakpoint, 206 an evaluation error, 300 no such property, 301 no
#: such frame, 302 no such context).
DEBUG_OPS: dict[str, str] = {
    "start": "{granularity: 'command'|'line'} -> {}: turn the debugger on",
    "granularity": "{value} -> {}",
    "break_line": "{document, method|None, line, condition|None, hit_value|None} -> {id}",
    "break_watch": "{variable, condition|None, hit_value|None} -> {id}",
    "break_remove": "{id} -> {}",
    "break_enable": "{id, enabled} -> {}",
    "break_list": "{} -> [{id, type, document, method, line, condition, hit_value, "
                  "hit_count, enabled, variable}]",
    "pause": "{} -> {}: stop at the next command",
    "resume": "{how: run|step_into|step_over|step_out|stop} -> {} (error 5 when running)",
    "stack": "{} -> [{level, document, line, method, offset, where, begin, end}], "
             "innermost first; line: the editor line (1-based); begin/end: 0-based columns",
    "contexts": "{level} -> [{name, id}]: Private 0, Public 1, Class 2 (in an instance "
                "method: the properties of $THIS)",
    "variables": "{level, context} -> [property]",
    "property": "{level, context, name, max_children, page, depth} -> property (depth "
                "levels of children); property = {name, fullname, type: string|array|object|"
                "undefined, value, classname, numchildren, page, children: [property]}",
    "eval": "{expression, level, max_children, depth} -> property",
    "set": "{level, name, value} -> {}: value an expression, else taken as text",
    "detach": "{} -> {}: the debugger off; a stopped program goes on",
}


class ExecutionSession(abc.ABC):
    """One running ObjectScript process (see the module's docstring). Adapters subclass it
    and implement every abstract method."""

    namespace: str = ""
    pid: int = 0

    @abc.abstractmethod
    def fileno(self) -> int:
        """A descriptor that turns readable when events wait."""

    @abc.abstractmethod
    def execute(self, line: str) -> None:
        """Run one command line; its events follow, ending with DONE, ERROR or CLOSED."""

    @abc.abstractmethod
    def call(self, entry: str, args: Sequence[str] = ()) -> None:
        """Run one entry point with string arguments; DONE carries its value."""

    @abc.abstractmethod
    def answer(self, text: str | None) -> None:
        """The answer to the last READ (None: its timeout passed)."""

    @abc.abstractmethod
    def events(self) -> list[ExecutionEvent]:
        """The events waiting, without blocking (empty when none)."""

    @abc.abstractmethod
    def running(self) -> bool:
        """True while a line or call runs."""

    def run_tests(self, tests: Sequence[TestSpec], *, console: bool = True,
                  test_seconds: float = 0.0) -> None:
        """Run the test cases (see the module's docstring); ``console`` False prints no
        console lines, ``test_seconds`` > 0 fails a test method that runs longer. The
        default: this adapter runs no unit tests."""
        raise ContractError("this compiler adapter cannot run unit tests")

    #: receives DEBUG and PAUSED events instead of ``events()`` when set (called from the
    #: thread that reads ``events()``)
    debug_listener: Any = None  # Callable[[ExecutionEvent], None] | None

    def debug(self, op: str, args: dict[str, Any] | None = None) -> int:
        """Send a debugger request (``DEBUG_OPS``); its id (the ``DEBUG`` event's). The
        default: this adapter has no debugger."""
        raise ContractError("this compiler adapter cannot debug")

    def color(self, text: str) -> str:
        """``text`` (a command line being typed) with ANSI colours for its syntax; the
        default leaves it plain."""
        return text

    def routine(self) -> str:
        """The routine the running line is in (``""`` when idle), for the jobs list."""
        return ""

    @abc.abstractmethod
    def interrupt(self) -> None:
        """Stop the running line with ``<INTERRUPT>`` (no effect when idle)."""

    @abc.abstractmethod
    def close(self) -> None:
        """End the process; safe to call twice."""
