"""Execution sessions of the stand-in adapter: one ObjectScript process per session, in a
worker process of its own (``worker.main``), driven through a pipe without blocking.

The worker is started from a forkserver that has already imported the runtime and the
grammars, so a session starts in milliseconds and shares nothing with the server's threads.
The server side answers the worker's requests for documents (the worker never opens the
workspace) and enforces the wall clock of a line; the worker enforces CPU time and memory
on itself (``resource`` limits) and turns SIGINT into ``<INTERRUPT>``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

from atelier_api.adapters.contract import ContractError
from atelier_api.adapters.execution import (
    EventKind,
    ExecutionEvent,
    ExecutionRequest,
    ExecutionSession,
    TestSpec,
)
from compiler_stub.forkserver import context as forkserver_context

#: after an interrupt for the line time limit, how long the line may take to stop
KILL_GRACE = 2.0
#: room for the name of the routine a session runs (the jobs list shows it)
ROUTINE_BYTES = 256
#: events an attached debugger takes instead of the session's reader, and copies it gets
_DEBUGGER_ONLY = (EventKind.DEBUG, EventKind.PAUSED)
_ENDINGS = (EventKind.DONE, EventKind.ERROR, EventKind.CLOSED)

_context_lock = threading.Lock()
_context: Any = None


def _ctx() -> Any:
    """The forkserver context (made once per server process)."""
    global _context
    with _context_lock:
        if _context is None:
            _context = forkserver_context()  # the one forkserver, with the runtime preloaded
        return _context


def prepare() -> None:
    """Start the forkserver now (with its preloaded modules), and import here what opening
    a session needs, so the first session does not wait for either."""
    from multiprocessing import forkserver

    from compiler_stub.runtime import colors, worker  # noqa: F401 - imported ahead

    _ctx()
    forkserver.ensure_running()


class StubSession(ExecutionSession):
    """One worker process (see the module's docstring)."""

    def __init__(self, request: ExecutionRequest) -> None:
        self.request = request
        self.namespace = request.namespace.upper()
        self._documents = request.documents
        self._data_dir = request.data_dir
        self._limits = request.limits
        ctx = _ctx()
        self._conn, child = ctx.Pipe()
        # the routine the worker runs, published by the worker (jobs list; no lock: a
        # torn read shows a routine a moment late, never a wrong one for long)
        self._where = ctx.Array("c", ROUTINE_BYTES, lock=False)
        limits = (request.limits.cpu_seconds, request.limits.memory_bytes,
                  request.limits.output_bytes)
        from compiler_stub.runtime import worker

        self._proc = ctx.Process(target=worker.main, name=f"atelier-session-{self.namespace}",
                                 args=(child, self.namespace, request.data_dir, limits,
                                       request.zversion, self._where),
                                 daemon=True)
        self._proc.start()
        child.close()
        self.pid = int(self._proc.pid or 0)
        self._running = False
        self._deadline = 0.0
        self._interrupted_at = 0.0
        self._closed = False
        self._ended: ExecutionEvent | None = None
        self._end_reported = False
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()  # a debugger sends from its own thread
        self._debug_ids = 0
        self._paused_at = 0.0  # the program is stopped in the debugger since (0: it is not)

    # -- driving ----------------------------------------------------------------------------
    def fileno(self) -> int:
        return int(self._conn.fileno())

    def running(self) -> bool:
        return self._running

    def routine(self) -> str:
        if not self._running:
            return ""
        return bytes(self._where.value).decode("utf-8", "replace")

    def color(self, text: str) -> str:
        from compiler_stub.runtime.colors import color

        return color(text)

    def execute(self, line: str) -> None:
        self._start(("exec", line))

    def call(self, entry: str, args: Sequence[str] = ()) -> None:
        self._start(("call", entry, list(args)))

    def run_tests(self, tests: Sequence[TestSpec], *, console: bool = True,
                  test_seconds: float = 0.0) -> None:
        # the run as a whole has no line clock: each test has test_seconds, and the
        # caller (a /work job) its own time limit
        # the test classes' texts and routines go with the request: the worker would
        # otherwise ask for each, one round trip at a time
        ahead = [(name, *self._document(name)) for t in tests if not t.error
                 for name in (f"{t.cls}.cls", f"{t.cls}.1.int")]
        self._start(("tests", [(t.cls, list(t.methods), t.error) for t in tests], console,
                     test_seconds, ahead), clock=False)

    def _start(self, message: tuple[Any, ...], clock: bool = True) -> None:
        if self._closed or self._ended is not None:
            raise ContractError("the session has ended")
        if self._running:
            raise ContractError("a line is still running in this session")
        self._running = True
        self._deadline = time.monotonic() + self._limits.line_seconds if clock else math.inf
        self._interrupted_at = 0.0
        self._send(message)

    def answer(self, text: str | None) -> None:
        self._send(("answer", text))

    def debug(self, op: str, args: dict[str, Any] | None = None) -> int:
        if self._closed or self._ended is not None:
            raise ContractError("the session has ended")
        with self._send_lock:
            self._debug_ids += 1
            rid = self._debug_ids
        if op in ("resume", "detach") and self._paused_at:
            # the time stopped in the debugger does not count against the line's clock
            self._deadline += time.monotonic() - self._paused_at
            self._paused_at = 0.0
        self._send(("dbg", rid, op, dict(args or {})))
        if self._running and self.pid:
            # running code reads the request before its next command
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGUSR1)
        return rid

    def interrupt(self) -> None:
        if self._running and self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGINT)

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError):
            self._gone("the session's process ended")

    # -- events -----------------------------------------------------------------------------
    def events(self) -> list[ExecutionEvent]:
        out: list[ExecutionEvent] = []
        with self._lock:
            self._watch_clock(out)
            while self._ended is None:
                try:
                    if not self._conn.poll(0):
                        break
                    message = self._conn.recv()
                except (EOFError, OSError, ValueError):
                    self._gone(self._exit_reason())
                    break
                event = self._handle(message)
                if event is not None:
                    if event.kind in _DEBUGGER_ONLY and self.debug_listener is not None:
                        self.debug_listener(event)
                    else:
                        self._tell_debugger(event)
                        out.append(event)
                if message[0] == "out" and len(message) > 2:  # unit-test rows with it
                    out += [ExecutionEvent(EventKind.RESULT, data=row) for row in message[2]]
            if self._ended is not None and not self._end_reported:
                self._tell_debugger(self._ended)
                out.append(self._ended)
                self._end_reported = True
        return out

    def _tell_debugger(self, event: ExecutionEvent) -> None:
        """An attached debugger hears when the line, call or run ends (a copy)."""
        listener = self.debug_listener
        if listener is not None and event.kind in _ENDINGS:
            listener(event)

    def _handle(self, message: tuple[Any, ...]) -> ExecutionEvent | None:
        kind = message[0]
        if kind == "out":
            return ExecutionEvent(EventKind.OUTPUT, message[1]) if message[1] else None
        if kind == "need":  # a document's text, for the worker's routine loader
            self._send(("doc", message[1], *self._document(message[1])))
            return None
        if kind == "switch":  # ZNSPACE: does the namespace exist, and its data folder
            self._send(("ns", message[1], self._switch(message[1])))
            return None
        if kind == "where":  # an extended reference ^|"NS"|G: the same, without switching
            self._send(("ns", message[1], self._locate(message[1])))
            return None
        if kind == "halt":
            self._gone("HALT: the process ended")
            return None
        if kind == "dbgr":  # a debugger request's answer
            _, rid, ok, payload = message
            data = {"id": rid, "result": payload} if ok else \
                {"id": rid, "error": list(payload)}
            return ExecutionEvent(EventKind.DEBUG, data=data)
        if kind == "paused":
            self._paused_at = time.monotonic()
            return ExecutionEvent(EventKind.PAUSED, data=message[1])
        if kind == "read":
            _, prompt, max_chars, single, timeout = message
            return ExecutionEvent(EventKind.READ, prompt, max_chars=max_chars, single=single,
                                  timeout=timeout)
        self._running = False
        self._paused_at = 0.0
        if kind == "done":
            self.namespace = message[1]
            return ExecutionEvent(EventKind.DONE, namespace=message[1], value=message[2])
        if kind == "error":
            self.namespace = message[2]
            return ExecutionEvent(EventKind.ERROR, message[1], namespace=message[2])
        return ExecutionEvent(EventKind.ERROR, f"unexpected message {kind!r} from the worker",
                              namespace=self.namespace)

    def _document(self, name: str) -> tuple[str | None, str]:
        try:
            found = self._documents(name)
        except Exception as exc:  # noqa: BLE001 - a document that cannot be read is absent
            return None, f"unreadable: {exc}"
        if found is None:
            return None, ""
        text, version = found
        return text, str(version)

    def _switch(self, namespace: str) -> tuple[str, str] | None:
        switch = self.request.switch
        found = switch(namespace) if switch is not None else None
        if found is None:
            return None
        documents, data_dir = found
        self._documents = documents
        self._data_dir = data_dir
        return namespace.upper(), data_dir

    def _locate(self, namespace: str) -> tuple[str, str] | None:
        """The namespace's name and data folder, the session's own namespace unchanged."""
        switch = self.request.switch
        found = switch(namespace) if switch is not None else None
        if found is None:
            return None
        return namespace.upper(), found[1]

    def _watch_clock(self, out: list[ExecutionEvent]) -> None:
        """The line time limit: interrupt the line, and end the process when the interrupt
        does not stop it (a line stuck where Python does not check for signals)."""
        if not self._running or self._ended is not None or self._paused_at:
            return
        now = time.monotonic()
        if now < self._deadline:
            return
        if not self._interrupted_at:
            self._interrupted_at = now
            out.append(ExecutionEvent(EventKind.OUTPUT, "\r\nThe line ran longer than its "
                                      f"{self._limits.line_seconds:g} s time limit; "
                                      "interrupting it.\r\n"))
            self.interrupt()
        elif now > self._interrupted_at + KILL_GRACE:
            self._kill()
            self._gone(f"the line ran longer than its {self._limits.line_seconds:g} s time "
                       "limit and did not stop when interrupted: the session's process was "
                       "ended")

    def _exit_reason(self) -> str:
        self._proc.join(1.0)
        code = self._proc.exitcode
        if code == -signal.SIGXCPU:
            return (f"the session used its {self._limits.cpu_seconds} s of CPU time and was "
                    "ended")
        if code is not None and code < 0:
            return f"the session's process was ended by signal {-code}"
        return "the session's process ended"

    def _gone(self, reason: str) -> None:
        self._running = False
        if self._ended is None:
            self._ended = ExecutionEvent(EventKind.CLOSED, reason)

    # -- ending -----------------------------------------------------------------------------
    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("bye",))
        self._proc.join(0.5)
        if self._proc.is_alive():
            self._kill()
            self._proc.join(2.0)
        with contextlib.suppress(OSError):
            self._conn.close()

