"""The debugger's sessions: DBGp commands from the debug WebSocket (``dbgp``) turned into the
execution contract's debugger requests (``ExecutionSession.debug``), and its events back
into DBGp packets (``../shared/spec/debugger.md``).

One ``DebugConnection`` per socket, driven by one thread: ``on_message`` for what the client
sends, ``pump`` when a watched descriptor is readable (and on every tick). Its target is set
by ``feature_set -n debug_target``:

- **launch** ``NS:program`` (``##class(P.C).M(args)``, ``label^rtn(args)``,
  ``$$label^rtn(args)``, ``^rtn``): a session of its own, started by the first ``run`` or
  step, ended with the socket (``detach`` ends the program);
- **attach** ``PID:n`` (a terminal or test run in ``%SYS/jobs``) or ``CSPDEBUG:id`` (a unit-test
  run started with ``debug: true``): the session stays its owner's, which reads its events;
  the debugger hears its own through ``ExecutionSession.debug_listener`` (a queue and a wake-up
  pipe); ``detach`` lets the program go on.

``run`` and the steps are answered when the program stops again (``status="break"``) or
ends (``status="stopped"``, after its output); ``break`` asks for a pause and is answered
with the stop. Every other command is answered as soon as the session's reply arrives, so
commands keep being served while the program runs (the client sends breakpoints then).
"""

from __future__ import annotations

import base64
import contextlib
import os
import queue
import re
from collections.abc import Callable
from typing import Any

from atelier_api.adapters.execution import EventKind, ExecutionEvent, ExecutionSession
from atelier_api.errors import AtelierError
from atelier_api.run import dbgp
from atelier_api.run.dbgp import Command, DbgpError, ErrorCode
from atelier_api.run.sessions import DebugTarget, Run, Runs

__all__ = ["DebugConnection", "launch_line"]

#: the features the client sets, with the values they start with
FEATURES: dict[str, str] = {
    "max_data": "8192", "max_children": "32", "max_depth": "1", "notify_ok": "0",
    "step_granularity": "command", "show_hidden": "0", "multiple_sessions": "0",
    "encoding": "UTF-8", "language_name": "ObjectScript", "protocol_version": "1",
    "supports_async": "1", "breakpoint_types": "line conditional watch",
}
RESUMES = ("run", "step_into", "step_over", "step_out")
_CLASS_CALL = re.compile(r"##class\(\s*%?[\w.]+\s*\)\.%?\w+(\(.*\))?\Z", re.IGNORECASE | re.DOTALL)
_ROUTINE_CALL = re.compile(r"(\$\$)?(%?\w*)(\+\d+)?\^%?[\w.]+(\(.*\))?\Z", re.DOTALL)


def launch_line(program: str) -> str:
    """The command line that runs a launch target (ValueError when it is not one)."""
    text = program.strip()
    if _CLASS_CALL.match(text):
        return f" do {text}"
    m = _ROUTINE_CALL.match(text)
    if m is None or (m.group(1) and not m.group(2)):
        raise ValueError(f"'{program}' is not a program to debug: give "
                         "##class(Pkg.Cls).Method(args), label^routine(args), "
                         "$$label^routine(args) or ^routine")
    return f" do {text[2:] if m.group(1) else text}"


class _Wake:
    """A queue of events filled by another thread, with a descriptor that turns readable."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[ExecutionEvent] = queue.SimpleQueue()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)

    def put(self, event: ExecutionEvent) -> None:
        self.events.put(event)
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._w, b"x")

    def fileno(self) -> int:
        return self._r

    def drain(self) -> list[ExecutionEvent]:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._r, 4096):
                pass
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        for fd in (self._r, self._w):
            with contextlib.suppress(OSError):
                os.close(fd)


Reply = Callable[[Any], None]


class DebugConnection:
    """One debug socket (see the module's docstring). ``send`` takes an XML packet (the
    caller frames it, one WebSocket message each)."""

    def __init__(self, runs: Runs, *, user: str, device: str, zversion: str,
                 engine_version: str, send: Callable[[str], None]) -> None:
        self.runs = runs
        self.user = user
        self.device = device
        self.zversion = zversion
        self.engine_version = engine_version
        self.send = send
        self.features = dict(FEATURES)
        self.run: Run | None = None
        self.mode = ""                 # "" (no target), "launch", "attach"
        self.target: DebugTarget | None = None
        self.namespace = ""
        self.line = ""                 # launch: the command line that runs the program
        self.started = False           # the program has been started (launch, CSPDEBUG)
        self.ended = False             # the program (or the attached process) is over
        self.paused = False
        self.resume: tuple[str, int | None] | None = None   # the outstanding run/step
        self.breaks: list[int | None] = []                  # outstanding break commands
        self.pending: dict[int, tuple[Command, Reply]] = {}
        #: a PID attach: the first ``run`` finds the target stopped and leaves it so (the
        #: extension sends one and then reports the stop as the entry, as IRIS's agent
        #: ignores it)
        self.skip_first_run = False
        self.closed = False
        self._wake: _Wake | None = None

    # -- the socket's side ------------------------------------------------------------------
    def start(self) -> None:
        """The ``init`` packet, first thing on the socket."""
        self.send(dbgp.init_packet(
            fileuri="file://", engine_version=self.engine_version,
            engine_name="atelier-api debug engine", appid="AtelierDebugger",
            session=os.getpid(), parent=self.zversion, language="COS"))

    def watched(self) -> list[Any]:
        """What the socket's loop waits on besides the socket."""
        if self._wake is not None:
            return [self._wake]
        if self.run is not None and not self.ended:
            return [self.run.session]
        return []

    def on_message(self, data: bytes | str) -> None:
        """One WebSocket message: one or more command lines."""
        for command in dbgp.parse_command(data):
            if command.error is not None:
                self._error(command, command.error.code, command.error.message)
                continue
            try:
                self._dispatch(command)
            except DbgpError as e:
                self._error(command, e.code, e.message)
            except AtelierError as e:
                self._error(command, ErrorCode.INTERNAL, e.message)

    def pump(self) -> None:
        """What the session has to say."""
        if self._wake is not None:
            events = self._wake.drain()
        elif self.run is not None and not self.ended:
            events = self.run.session.events()
        else:
            return
        for event in events:
            self._on_event(event)

    def close(self) -> None:
        """The socket is gone: a launched program ends, an attached one goes on."""
        if self.closed:
            return
        self.closed = True
        self._release()

    # -- commands ---------------------------------------------------------------------------
    def _dispatch(self, c: Command) -> None:
        handler = getattr(self, "_c_" + c.name, None)
        if handler is None:
            raise DbgpError(ErrorCode.UNIMPLEMENTED, f"command '{c.name}' is not supported")
        handler(c)

    def _respond(self, c: Command, attrs: dbgp.Attrs = (), children: Any = ()) -> None:
        self.send(dbgp.response(c.name, c.txid, attrs, children))

    def _error(self, c: Command, code: int, message: str) -> None:
        self.send(dbgp.error_response(c.name, c.txid, int(code), message))

    def _session(self) -> ExecutionSession:
        if self.run is None:
            raise DbgpError(ErrorCode.NOT_AVAILABLE, "no debug target: set one with "
                            "feature_set -n debug_target")
        if self.ended:
            raise DbgpError(ErrorCode.NOT_AVAILABLE, "the program has ended")
        return self.run.session

    def _ask(self, c: Command, op: str, args: dict[str, Any], reply: Reply) -> None:
        """A debugger request; ``reply(result)`` answers ``c`` (an error answers itself)."""
        rid = self._session().debug(op, args)
        self.pending[rid] = (c, reply)

    def _c_feature_set(self, c: Command) -> None:
        name = c.arg("n")
        value = c.arg("v")
        if not name:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "feature_set needs -n <feature>")
        if name == "debug_target":
            self._set_target(value or "")
        elif value is not None:
            self.features[name] = value
            if name == "step_granularity" and self.run is not None and not self.ended:
                self.run.session.debug("granularity", {"value": self._granularity()})
        self.send(dbgp.feature_set_response(c.txid, name))

    def _c_feature_get(self, c: Command) -> None:
        name = c.arg("n") or ""
        value = self.features.get(name)
        self.send(_response_text(c, [("feature_name", name), ("supported", value is not None)],
                                 value))

    def _c_status(self, c: Command) -> None:
        status = ("stopped" if self.ended else "break" if self.paused else
                  "running" if self.started else "starting")
        self.send(dbgp.status_response("status", c.txid, status))

    def _granularity(self) -> str:
        value = self.features.get("step_granularity", "command")
        return "line" if value == "line" else "command"

    # -- targets ----------------------------------------------------------------------------
    def _set_target(self, value: str) -> None:
        if self.mode:
            raise DbgpError(ErrorCode.NOT_AVAILABLE, "the debug target is set already")
        kind, _, rest = value.partition(":")
        if not rest:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, f"debug_target '{value}': give "
                            "NS:program, PID:<pid> or CSPDEBUG:<id>")
        if kind.upper() == "PID":
            self._attach_pid(rest)
        elif kind.upper() == "CSPDEBUG":
            self._attach_csp(rest)
        else:
            self._launch(kind, rest)

    def _launch(self, namespace: str, program: str) -> None:
        try:
            line = launch_line(program)
        except ValueError as e:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, str(e)) from None
        self.run = self.runs.open(namespace, user=self.user, device=self.device,
                                  kind="%Debug")
        self.mode, self.line = "launch", line
        self.namespace = self.run.session.namespace
        self.run.session.debug("start", {"granularity": self._granularity()})

    def _attach_pid(self, text: str) -> None:
        pid = int(text) if text.strip().isdigit() else -1
        run = self.runs.find(pid)
        if run is None:
            raise DbgpError(ErrorCode.INTERNAL, f"no process {text.strip()} to attach to "
                            "(see %SYS/jobs)")
        if run.kind == "%Debug":
            raise DbgpError(ErrorCode.INTERNAL, "ERROR #6713: that process is being debugged "
                            "already (a launched program)")
        self._attach(run)
        self.started = True
        self.skip_first_run = True
        # attaching stops the target: at its next command
        run.session.debug("pause")

    def _attach_csp(self, text: str) -> None:
        target = self.runs.take_debug_target(text.strip())
        if target is None or target.run is None:
            raise DbgpError(ErrorCode.INTERNAL, f"no run waits for a debugger with id "
                            f"{text.strip()}")
        self.target = target
        self._attach(target.run)
        target.attached.set()

    def _attach(self, run: Run) -> None:
        session = run.session
        if session.debug_listener is not None:
            raise DbgpError(ErrorCode.INTERNAL, "ERROR #6713: another debugger is attached "
                            "to that process")
        self._wake = _Wake()
        session.debug_listener = self._wake.put
        self.run, self.mode = run, "attach"
        self.namespace = session.namespace
        session.debug("start", {"granularity": self._granularity()})

    def _release(self) -> None:
        """Let go of the target (the socket closes or the client detaches)."""
        run, self.run = self.run, None
        if run is None:
            return
        if self.mode == "launch":
            self.runs.close(run)
        else:
            run.session.debug_listener = None
            with contextlib.suppress(Exception):
                if not self.ended:
                    run.session.debug("detach")
            if self.target is not None:
                self.target.go.set()
        if self._wake is not None:
            self._wake.close()
            self._wake = None
        self.ended = True

    # -- running ----------------------------------------------------------------------------
    def _c_run(self, c: Command) -> None:
        self._resume(c)

    _c_step_into = _c_step_over = _c_step_out = _c_run

    def _resume(self, c: Command) -> None:
        if self.ended:
            self.send(dbgp.status_response(c.name, c.txid, "stopped"))
            return
        session = self._session()
        if self.resume is not None:
            raise DbgpError(ErrorCode.NOT_AVAILABLE, f"'{self.resume[0]}' is still running")
        if self.skip_first_run and self.paused and c.name == "run":
            self.skip_first_run = False
            self.send(dbgp.status_response(c.name, c.txid, "break"))
            return
        if not self.started:    # a launch, or a test run waiting for its debugger
            if c.name != "run":
                session.debug("pause")      # a step first: stop at the first command
            self.started = True
            self.resume = (c.name, c.txid)
            if self.mode == "launch":
                session.execute(self.line)
            elif self.target is not None:
                self.target.go.set()
            return
        def resumed(_result: Any) -> None:
            self.paused = False
            self.resume = (c.name, c.txid)

        self._ask(c, "resume", {"how": c.name}, resumed)

    def _c_break(self, c: Command) -> None:
        if self.paused:
            self.send(dbgp.status_response("break", c.txid, "break"))
            return
        if not self.started or self.ended:
            raise DbgpError(ErrorCode.NOT_AVAILABLE, "the program is not running")
        self._session().debug("pause")
        self.breaks.append(c.txid)

    def _c_detach(self, c: Command) -> None:
        self._finish_outstanding("stopped")
        self._release()
        self.send(dbgp.status_response(c.name, c.txid, "stopped"))

    _c_stop = _c_detach

    def _on_event(self, event: ExecutionEvent) -> None:
        kind = event.kind
        if kind is EventKind.OUTPUT:
            if event.text:
                self.send(dbgp.stream_packet(event.text))
        elif kind is EventKind.DEBUG:
            self._on_reply(event.data or {})
        elif kind is EventKind.PAUSED:
            self.paused = True
            data = event.data or {}
            message = str(data.get("message") or "")
            if message:
                self.send(dbgp.stream_packet(f"{message}\r\n"))
            if data.get("reason") == "exception":
                # "Paused on exception": the error's name and its whole text
                name = message[:message.index(">") + 1] if message.startswith("<") and \
                    ">" in message else "ERROR"
                self._finish_outstanding("break", "exception",
                                         {"exception": name, "text": message})
            else:
                self._finish_outstanding("break")
        elif kind is EventKind.READ:
            # a launched program has nobody to answer a READ: its timeout, at once
            if self.mode == "launch" and self.run is not None:
                self.run.session.answer(None)
        elif kind in (EventKind.DONE, EventKind.ERROR, EventKind.CLOSED):
            if kind is not EventKind.DONE and event.text:
                self.send(dbgp.stream_packet(f"{event.text}\r\n"))
            if self.mode == "attach" and self.target is None and kind is not EventKind.CLOSED:
                return      # an attached terminal's line ended: the process lives on
            self.ended = True
            self.paused = False
            self._finish_outstanding("stopped")

    def _finish_outstanding(self, status: str, reason: str = "ok",
                            location: dbgp.StatusLocation | None = None) -> None:
        for txid in self.breaks:
            self.send(dbgp.status_response("break", txid, status, reason, location))
        self.breaks = []
        if self.resume is not None:
            name, txid = self.resume
            self.resume = None
            self.send(dbgp.status_response(name, txid, status, reason, location))

    def _on_reply(self, data: dict[str, Any]) -> None:
        found = self.pending.pop(int(data.get("id", 0)), None)
        if found is None:
            return
        c, reply = found
        if "error" in data:
            code, message = data["error"]
            self._error(c, int(code), str(message))
            return
        try:
            reply(data.get("result"))
        except DbgpError as e:
            self._error(c, e.code, e.message)

    # -- breakpoints ------------------------------------------------------------------------
    def _c_breakpoint_set(self, c: Command) -> None:
        kind = c.arg("t", "line")
        state = c.arg("s", "enabled")
        if state not in ("enabled", "disabled"):
            raise DbgpError(ErrorCode.BREAKPOINT_INVALID_STATE, f"state '{state}'")
        hit = c.int_arg("h")
        enabled = state == "enabled"

        def created(result: Any) -> None:
            bp_id = int(result["id"])
            if not enabled:
                self._session().debug("break_enable", {"id": bp_id, "enabled": False})
            self._respond(c, [("state", state), ("id", bp_id)])

        if kind == "watch":
            text = (c.data or "").strip()
            variable, _, when = text.partition("|")
            if not variable.strip():
                raise DbgpError(ErrorCode.INVALID_OPTIONS, "a watch needs -- base64(variable)")
            self._ask(c, "break_watch", {"variable": variable.strip(),
                                         "condition": when or None, "hit_value": hit},
                      created)
            return
        if kind not in ("line", "conditional"):
            raise DbgpError(ErrorCode.BREAKPOINT_TYPE_UNSUPPORTED,
                            f"breakpoint type '{kind}' is not supported (line, conditional, "
                            "watch)")
        uri = c.arg("f")
        if not uri:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "a line breakpoint needs -f <uri>")
        try:
            _ns, document = dbgp.parse_file_uri(uri)
        except ValueError as e:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, str(e)) from None
        line = c.int_arg("n")
        if line is None:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "a line breakpoint needs -n <line>")
        method = c.arg("m")
        condition = (c.data or "").strip() or None if kind == "conditional" else None
        self._ask(c, "break_line", {"document": document, "method": method or None,
                                    "line": line, "condition": condition, "hit_value": hit},
                  created)

    def _c_breakpoint_list(self, c: Command) -> None:
        self._ask(c, "break_list", {}, lambda rows: self._respond(
            c, children=[_breakpoint(row) for row in rows]))

    def _c_breakpoint_get(self, c: Command) -> None:
        wanted = c.int_arg("d")

        def found(rows: Any) -> None:
            mine = [row for row in rows if row["id"] == wanted]
            if not mine:
                raise DbgpError(ErrorCode.NO_SUCH_BREAKPOINT, f"no breakpoint {wanted}")
            self._respond(c, children=[_breakpoint(mine[0])])

        self._ask(c, "break_list", {}, found)

    def _c_breakpoint_remove(self, c: Command) -> None:
        bp_id = c.int_arg("d")
        if bp_id is None:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "breakpoint_remove needs -d <id>")
        self._ask(c, "break_remove", {"id": bp_id}, lambda _r: self._respond(c))

    def _c_breakpoint_update(self, c: Command) -> None:
        bp_id = c.int_arg("d")
        state = c.arg("s")
        if bp_id is None or state not in ("enabled", "disabled"):
            raise DbgpError(ErrorCode.INVALID_OPTIONS,
                            "breakpoint_update needs -d <id> -s enabled|disabled")
        self._ask(c, "break_enable", {"id": bp_id, "enabled": state == "enabled"},
                  lambda _r: self._respond(c))

    # -- inspection -------------------------------------------------------------------------
    def _c_stack_get(self, c: Command) -> None:
        depth = c.int_arg("d")

        def frames(rows: Any) -> None:
            chosen = rows if depth is None else [r for r in rows if r["level"] == depth]
            if depth is not None and not chosen:
                raise DbgpError(ErrorCode.INVALID_STACK_DEPTH, f"no stack level {depth}")
            self._respond(c, children=[self._frame(r) for r in chosen])

        self._ask(c, "stack", {}, frames)

    def _frame(self, row: dict[str, Any]) -> str:
        lineno = max(0, int(row["line"]) - 1)
        begin = (lineno, int(row.get("begin") or 0))
        end = (lineno, int(row.get("end") or 0))
        return dbgp.stack_frame(int(row["level"]), dbgp.file_uri(self.namespace,
                                                                 row["document"]),
                                lineno, method=row.get("method") or "",
                                methodoffset=int(row.get("offset") or 0), cmdbegin=begin,
                                cmdend=end, where=row.get("where"))

    def _c_stack_depth(self, c: Command) -> None:
        self._ask(c, "stack", {}, lambda rows: self._respond(c, [("depth", len(rows))]))

    def _c_context_names(self, c: Command) -> None:
        self._ask(c, "contexts", {"level": c.int_arg("d", 0) or 0},
                  lambda rows: self.send(dbgp.context_names_response(
                      c.txid, [(r["name"], int(r["id"])) for r in rows])))

    def _c_context_get(self, c: Command) -> None:
        level, context = c.int_arg("d", 0) or 0, c.int_arg("c", 0) or 0
        self._ask(c, "variables", {"level": level, "context": context},
                  lambda props: self._respond(c, [("context", context)],
                                              [self._property(p) for p in props]))

    def _c_property_get(self, c: Command) -> None:
        name = c.arg("n")
        if not name:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "property_get needs -n <name>")
        args = {"level": c.int_arg("d", 0) or 0, "context": c.int_arg("c", 0) or 0,
                "name": name, "max_children": self._int_feature("max_children", 32),
                "page": c.int_arg("p", 0) or 0, "depth": self._depth()}
        max_data = c.int_arg("m")
        self._ask(c, "property", args,
                  lambda p: self._respond(c, children=[self._property(p, max_data)]))

    def _c_property_value(self, c: Command) -> None:
        name = c.arg("n")
        if not name:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "property_value needs -n <name>")
        args = {"level": c.int_arg("d", 0) or 0, "context": c.int_arg("c", 0) or 0,
                "name": name, "max_children": 1, "page": 0}

        def value(p: Any) -> None:
            text = str(p.get("value") or "")
            data = dbgp.cut_value(text, c.int_arg("m") or self._int_feature("max_data", 0))
            self.send(_response_text(c, [("size", len(text.encode("utf-8", "replace"))),
                                         ("encoding", "base64")],
                                     base64.b64encode(data).decode("ascii")))

        self._ask(c, "property", args, value)

    def _c_property_set(self, c: Command) -> None:
        name = c.arg("n")
        if not name:
            raise DbgpError(ErrorCode.INVALID_OPTIONS, "property_set needs -n <name>")
        args = {"level": c.int_arg("d", 0) or 0, "name": name.strip(),
                "value": c.data if c.data is not None else ""}
        self._ask(c, "set", args, lambda _r: self._respond(c, [("success", True)]))

    def _c_eval(self, c: Command) -> None:
        expression = (c.data or "").strip()
        if not expression:
            raise DbgpError(ErrorCode.INVALID_EXPRESSION, "eval needs -- base64(expression)")
        args = {"expression": expression, "level": c.int_arg("d", 0) or 0,
                "max_children": self._int_feature("max_children", 32),
                "depth": self._depth()}
        self._ask(c, "eval", args,
                  lambda p: self._respond(c, children=[self._property(p, eval_=True)]))

    def _depth(self) -> int:
        """Levels of children inline: ``max_depth`` - 1 (the property itself is the first
        level), at least one."""
        return max(1, self._int_feature("max_depth", 1) - 1)

    def _int_feature(self, name: str, default: int) -> int:
        try:
            return int(self.features.get(name, default))
        except ValueError:
            return default

    def _property(self, p: dict[str, Any], max_data: int | None = None,
                  eval_: bool = False) -> str:
        limit = max_data if max_data is not None else self._int_feature("max_data", 0)
        kind = p.get("type", "string")
        name = None if eval_ else p.get("name")
        fullname = None if eval_ else p.get("fullname")
        if kind in ("array", "object"):
            kids = [self._property(k, max_data) for k in p.get("children") or ()]
            total = max(int(p.get("numchildren") or 0), len(kids))
            return dbgp.property_element(name=name, fullname=fullname, type=kind,
                                         classname=p.get("classname") or None,
                                         children=kids, numchildren=total,
                                         page=int(p.get("page") or 0) if kids else None)
        if kind == "undefined":
            return dbgp.property_element(name=name, fullname=fullname, type="undefined")
        return dbgp.property_element(name=name, fullname=fullname, type="string",
                                     value=str(p.get("value") or ""), max_data=limit)


def _response_text(c: Command, attrs: list[tuple[str, object]], text: str | None) -> str:
    """A response whose content is text (``feature_get``, ``property_value``)."""
    head: list[tuple[str, object]] = [("command", c.name),
                                      ("transaction_id", "" if c.txid is None else c.txid)]
    return dbgp.element("response", head + attrs, text=text)


def _breakpoint(row: dict[str, Any]) -> str:
    kind = row["type"]
    expression = row.get("condition")
    if kind == "watch":
        expression = row["variable"] + (f"|{row['condition']}" if row.get("condition") else "")
    return dbgp.breakpoint_element(
        int(row["id"]), kind, "enabled" if row.get("enabled", True) else "disabled",
        doc=row.get("document") or None, lineno=row.get("line") if kind != "watch" else None,
        function=row.get("method") or None, expression=expression,
        hit_value=row.get("hit_value"), hit_condition=">=" if row.get("hit_value") else None,
        hit_count=int(row.get("hit_count") or 0))
