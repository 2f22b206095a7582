"""The worker process of one execution session (``session.StubSession`` starts it).

It limits itself (CPU time, address space, its own process group, ended with its parent),
then serves the server's messages one at a time:

- ``("exec", line)`` / ``("call", entry, args)`` run ObjectScript in the session's ``Process``,
  ``("tests", [(class, methods, error)], console, test_seconds)`` unit tests (finished
  tests' rows travel with the output: ``("out", text, rows)``);
  the worker answers ``("out", text)`` while it writes, ``("read", prompt, max, single,
  timeout)`` when it waits for ``("answer", text)``, and ends with ``("done", namespace,
  value)`` or ``("error", text, namespace)``;
- it asks ``("need", "<routine>.int")`` for a routine's code (answered ``("doc", name, text,
  version)``), ``("switch", namespace)`` for ZNSPACE (answered ``("ns", name, found)``) and
  ``("where", namespace)`` for an extended global reference (answered the same way, the
  session's namespace unchanged);
- ``("bye",)``, or the server's end of the pipe closing, ends it; so does ``HALT`` in the
  code (answered ``("halt",)``);
- ``("dbg", id, op, args)`` drives the debugger (``debugdriver``), whether the worker waits,
  runs code (the server then sends SIGUSR1) or is stopped at a breakpoint.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.host import Host  # imported by the forkserver, once
from compiler_stub.runtime.process import Halt

#: output is sent in pieces of about this size (and whenever the program waits or ends)
OUTPUT_PIECE = 16 * 1024
#: a unit test's result row waits at most this long (seconds) for output to go with
RESULT_DELAY = 0.1
_PR_SET_PDEATHSIG = 1


class Pipe:
    """The worker's side of the pipe: output buffering, reads, document requests."""

    def __init__(self, conn: Connection, output_limit: int) -> None:
        self.conn = conn
        self.output_limit = output_limit
        self.buffer: list[str] = []
        self.buffered = 0
        self.written = 0  # output of the current line
        self.dropped = False
        self.rows: list[Any] = []  # unit-test result rows, sent with the output's next piece
        self.sent_at = time.monotonic()
        # the pipe is written by the process and by the flusher thread (``flush_stale``)
        self.lock = threading.RLock()
        #: takes the server's messages that arrive while the worker waits for an answer
        #: (a debugger's requests); None: they are dropped
        self.on_other: Any = None

    # the device of the Process
    def write(self, text: str) -> None:
        if not text:
            return
        with self.lock:
            if self.written + len(text) > self.output_limit:
                room = max(0, self.output_limit - self.written)
                if room:
                    self._add(text[:room])
                self.written = self.output_limit
                self.dropped = True
                return
            self.written += len(text)
            self._add(text)

    def line(self, text: str) -> None:
        """``text`` and a line end (a unit-test run's console line)."""
        self.write(text + "\r\n")

    def _add(self, text: str) -> None:
        self.buffer.append(text)
        self.buffered += len(text)
        if self.buffered >= OUTPUT_PIECE:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            if self.rows:  # the rows travel with the text printed before them
                self.conn.send(("out", "".join(self.buffer), self.rows))
                self.buffer, self.buffered, self.rows = [], 0, []
            elif self.buffer:
                self.conn.send(("out", "".join(self.buffer)))
                self.buffer, self.buffered = [], 0
            self.sent_at = time.monotonic()

    def flush_stale(self, age: float) -> None:
        """Send what waits in the buffer when nothing was sent for ``age`` seconds: output
        of code that writes a little and then works (or HANGs) shows while it runs."""
        if (self.buffer or self.rows) and time.monotonic() - self.sent_at > age:
            self.flush()

    def result(self, row: Any) -> None:
        """A unit test's result row: sent with the next piece of output, or at once when
        nothing was sent for a while (a poll shows finished tests while others run)."""
        with self.lock:
            self.rows.append(row)
            if time.monotonic() - self.sent_at > RESULT_DELAY:
                self.flush()

    def read(self, prompt: str, max_chars: int | None, timeout: float | None,
             single: bool) -> str | None:
        with self.lock:
            self.flush()
            self.conn.send(("read", prompt, max_chars or 0, single, timeout))
        while True:
            message = self.conn.recv()
            if message[0] == "answer":
                answer: str | None = message[1]
                return answer
            if message[0] == "bye":
                raise SystemExit(0)
            if self.on_other is not None:
                self.on_other(message)

    def ask(self, message: tuple[Any, ...], answer_kind: str) -> tuple[Any, ...]:
        """A request to the server and its answer."""
        with self.lock:
            self.flush()
            self.conn.send(message)
        while True:
            reply = self.conn.recv()
            if reply[0] == answer_kind:
                return tuple(reply)
            if reply[0] == "bye":
                raise SystemExit(0)
            if self.on_other is not None:
                self.on_other(reply)

    def line_done(self) -> str:
        """Flush; the note about dropped output (empty when none was dropped)."""
        note = ""
        if self.dropped:
            note = (f"\r\n[output beyond {self.output_limit} characters was dropped "
                    "(the session's output limit)]\r\n")
        self.flush()
        self.written, self.dropped = 0, False
        return note


def _limit_self(cpu_seconds: int, memory_bytes: int) -> None:
    """CPU time and address space limits; a process group of its own; ended with its
    parent (the forkserver, which ends with the server)."""
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


#: audit events refused outright once a worker is locked down: programs, new processes,
#: the network, native libraries
_REFUSED_EVENTS = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "pty.spawn", "socket.connect", "socket.bind", "socket.getaddrinfo",
    "socket.sendto", "ctypes.dlopen", "ctypes.dlsym", "os.kill", "os.killpg", "os.chmod",
    "os.chown", "os.link", "os.symlink", "os.truncate", "shutil.rmtree", "os.remove",
    "os.rename", "os.rmdir", "os.mkdir", "webbrowser.open",
})


def lock_down(writable: str) -> None:
    """Defence in depth under the translator (which never emits host access): an audit
    hook (PEP 578; it cannot be removed) refuses, in this process, running programs, new
    processes, the network and native libraries, opening any file for writing outside
    ``writable``, and reading any file outside it and Python's own (modules are loaded from
    ``sys.path``). Call it once the process has everything it needs."""
    root = os.path.realpath(writable)
    readable = tuple(os.path.realpath(p) for p in sys.path if p and os.path.isdir(p))

    def inside(path: str, folders: tuple[str, ...]) -> bool:
        return any(path == f or path.startswith(f + os.sep) for f in folders)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in _REFUSED_EVENTS:
            raise PermissionError(f"{event} is not allowed in an ObjectScript session")
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            path = os.path.realpath(os.fsdecode(args[0]))
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            writes = any(c in mode for c in "wax+")
            if inside(path, (root,)) or (not writes and inside(path, readable)):
                return
            raise PermissionError(f"{path} is outside the session's folders")
        if event == "sqlite3.connect" and args:
            target = os.fsdecode(args[0]) if isinstance(args[0], (str, bytes)) else ""
            if target != ":memory:" and not inside(os.path.realpath(target), (root,)):
                raise PermissionError(f"{target} is outside the session's folders")

    sys.addaudithook(hook)


def error_text(exc: BaseException) -> str:
    """An error as IRIS prints it in a terminal."""
    if isinstance(exc, ObjectScriptError):
        return exc.zerror()
    if isinstance(exc, KeyboardInterrupt):
        return "<INTERRUPT>"
    if isinstance(exc, MemoryError):
        return "<STORE>"
    if isinstance(exc, RecursionError):
        return "<FRAMESTACK>"
    return f"<SYSTEM> {type(exc).__name__}: {exc}"


def main(conn: Connection, namespace: str, data_dir: str, limits: tuple[int, int, int],
         zversion: str = "", where: Any = None) -> None:  # pragma: no cover - the worker
    """The worker's life (see the module's docstring)."""
    cpu_seconds, memory_bytes, output_bytes = limits
    # the server signals a debugger's requests while code runs (see serve); until the
    # debugger exists the signal does nothing (its default would end the process)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    _limit_self(cpu_seconds, memory_bytes)
    pipe = Pipe(conn, output_bytes)
    host = Host(pipe, namespace, data_dir, zversion)
    if where is not None:
        _publish_routine(host, where, pipe)
    # the globals of every namespace live under <state>/derived/<NS>/data
    lock_down(os.path.dirname(os.path.dirname(os.path.abspath(data_dir))))
    try:
        serve(pipe, host)
    finally:
        host.close()


#: how often the routine a session runs is published for the jobs list
PUBLISH_EVERY = 0.25


def _publish_routine(host: Any, where: Any, pipe: Pipe) -> None:  # pragma: no cover
    """A daemon thread that writes the routine the process is in (its innermost frame's)
    into shared memory the server reads for ``%SYS/jobs``, and sends output that has waited
    in the pipe's buffer (``Pipe.flush_stale``); it costs the code nothing."""
    room = len(where)

    def publish() -> None:
        last = b""
        while True:
            time.sleep(PUBLISH_EVERY)
            try:
                pipe.flush_stale(PUBLISH_EVERY)
            except (OSError, ValueError):  # the server is gone: the main loop ends too
                return
            try:
                name = host.process.current_routine().encode("utf-8")[:room - 1]
            except Exception:  # noqa: BLE001 - frames changing under the read: try again
                continue
            if name != last:
                where.value = name
                last = name

    threading.Thread(target=publish, name="publish-routine", daemon=True).start()


class _Interrupts:
    """SIGINT interrupts running ObjectScript only (``<INTERRUPT>``); one that arrives
    while the worker waits for work or talks to the server is dropped."""

    def __init__(self) -> None:
        self.armed = False
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, _signum: int, _frame: Any) -> None:
        if self.armed:
            raise KeyboardInterrupt


class _Debug:
    """The session's debugger, made by its first request (``("dbg", ...)``); SIGUSR1 tells
    running code that requests wait in the pipe (``DebugDriver.signalled``)."""

    def __init__(self, pipe: Pipe, host: Any) -> None:
        self.pipe = pipe
        self.host = host
        self.driver: Any = None

    def handle(self, message: tuple[Any, ...]) -> None:
        if message[0] != "dbg":
            return
        if self.driver is None:
            from compiler_stub.runtime.debugdriver import DebugDriver  # noqa: PLC0415

            self.driver = DebugDriver(self.host, self.pipe)
            signal.signal(signal.SIGUSR1, lambda _s, _f: self.driver.signalled())
        self.driver.handle(message)


def serve(pipe: Pipe, host: Any) -> None:  # pragma: no cover - runs in the worker
    """Answer the server's messages until it says bye or goes away."""
    interrupts = _Interrupts()
    debug = _Debug(pipe, host)
    pipe.on_other = debug.handle
    while True:
        try:
            message = pipe.conn.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "bye":
            return
        if kind == "dbg":
            try:
                debug.handle(message)
            except SystemExit:
                raise
            except BaseException:  # noqa: BLE001, S112 - an interrupt between lines
                continue
            continue
        if kind not in ("exec", "call", "tests"):
            continue
        try:
            interrupts.armed = True
            try:
                if kind == "exec":
                    value = host.execute(message[1])
                elif kind == "call":
                    value = host.call(*message[1:])
                else:
                    value = host.run_tests(*message[1:])
            finally:
                interrupts.armed = False
        except SystemExit:
            raise
        except Halt:  # HALT ends the process: the session closes
            pipe.line_done()
            pipe.conn.send(("halt",))
            return
        except BaseException as exc:  # noqa: BLE001 - every failure is the line's error
            note = pipe.line_done()
            pipe.conn.send(("error", note + error_text(exc), host.namespace))
            continue
        note = pipe.line_done()
        if note:
            pipe.conn.send(("out", note))
        pipe.conn.send(("done", host.namespace, value))
