"""The worker's side of the debugger: the session's requests (``("dbg", id, op, args)``,
the ops of ``atelier_api.adapters.execution.DEBUG_OPS``) served on the ``Debugger`` engine,
in documents and editor lines.

Requests reach the worker three ways, all on its one pipe, read by its one thread:

- while it waits for work, ``worker.serve`` hands them here;
- while ObjectScript runs, the server sends SIGUSR1 after the request; the handler asks the
  engine to poll (``Debugger.request_poll``), and before the next command ``poll`` serves
  what waits in the pipe (a breakpoint set while the program runs, a pause);
- while the program is stopped, ``_on_pause`` serves requests until one resumes it.

Answers go back as ``("dbgr", id, True, result)`` or ``("dbgr", id, False, (code,
message))``, and each stop as ``("paused", {reason, breakpoint, message})``, after the
output written before it.

Locations: a class's method ``M`` runs as label ``zM`` of routine ``<Class>.1`` with its body
lines kept, so offset N from the method's brace line is ``zM+N``; a ``.mac`` routine's lines
map to its INT lines with the preprocessor's directive lines dropped (``mac_rows``).
"""

from __future__ import annotations

import re
from typing import Any

from compiler_stub.macros.preprocessor import DEFINE_RE, INCLUDE_RE, UNDEF_RE
from compiler_stub.runtime.debugger import (
    COMMANDS,
    DebugError,
    Debugger,
    Pause,
    Property,
    StackFrame,
)
from compiler_stub.runtime.errors import ObjectScriptError

#: the text IRIS gives when a command needs a stopped target (the client's attach loop
#: waits for it)
NOT_STOPPED = (998, "ERROR #6709: Target not stopped")

#: a method-like class member's declaration (what the client's symbols call a method)
_METHOD_DECL = re.compile(
    r'^(?:ClassMethod|Method|ClientMethod|Trigger)\s+("(?:[^"]|"")+"|[%A-Za-z0-9]+)',
    re.IGNORECASE)


def method_brace_lines(text: str) -> dict[str, int]:
    """Each method's opening-brace line (1-based editor line) in a class text: the first
    line at or after the declaration whose text ends with ``{`` (as the client computes
    it)."""
    lines = text.split("\n")
    out: dict[str, int] = {}
    i = 0
    while i < len(lines):
        m = _METHOD_DECL.match(lines[i])
        if m is None:
            i += 1
            continue
        name = m.group(1)
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith("{"):
            j += 1
        if j < len(lines):
            out.setdefault(name, j + 1)
        i = j + 1
    return out


def mac_rows(text: str) -> list[int]:
    """For each line of a ``.mac`` text after its ``ROUTINE`` header (index 0: line 1),
    its INT line (1-based, header not counted), or 0 for a directive line that generates
    none."""
    lines = text.split("\n")
    start = 1 if lines and lines[0].upper().startswith("ROUTINE ") else 0
    out: list[int] = []
    row = 0
    continued = False
    for line in lines[start:]:
        if continued or DEFINE_RE.match(line) or UNDEF_RE.match(line) or INCLUDE_RE.match(line):
            continued = line.rstrip().endswith("##continue")
            out.append(0)
            continue
        row += 1
        out.append(row)
    return out


class DebugDriver:
    """The debugger of one worker (see the module's docstring)."""

    def __init__(self, host: Any, pipe: Any) -> None:
        self.host = host
        self.pipe = pipe
        self.debugger: Debugger | None = None
        self.paused: Pause | None = None
        self._resume: str | None = None

    # ------------------------------------------------------------------ the pipe

    def signalled(self) -> None:
        """SIGUSR1: requests wait (safe in a signal handler)."""
        if self.debugger is not None:
            self.debugger.request_poll()

    def handle(self, message: tuple[Any, ...]) -> None:
        """Serve one ``("dbg", id, op, args)`` request."""
        _, rid, op, args = message
        fn = getattr(self, "op_" + str(op), None)
        try:
            if fn is None:
                raise DebugError(4, f"unknown debugger request {op!r}")
            result = fn(**(args or {}))
        except DebugError as e:
            self._send(("dbgr", rid, False, (e.code, e.message)))
        except ObjectScriptError as e:
            self._send(("dbgr", rid, False, (998, e.zerror())))
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:  # noqa: BLE001 - a failed request is answered, never fatal
            self._send(("dbgr", rid, False, (998, f"{type(e).__name__}: {e}")))
        else:
            self._send(("dbgr", rid, True, result))

    def _send(self, message: tuple[Any, ...]) -> None:
        with self.pipe.lock:
            self.pipe.flush()       # the output written so far goes first
            self.pipe.conn.send(message)

    def poll(self) -> None:
        """Serve the requests waiting in the pipe (the program runs)."""
        conn = self.pipe.conn
        while conn.poll(0):
            self._other(conn.recv())

    def _other(self, message: tuple[Any, ...]) -> None:
        if message[0] == "dbg":
            self.handle(message)
        elif message[0] == "bye":
            raise SystemExit(0)

    def _on_pause(self, pause: Pause) -> str:
        self.paused = pause
        self._resume = None
        self._send(("paused", {"reason": pause.reason, "breakpoint": pause.breakpoint,
                               "message": pause.message}))
        conn = self.pipe.conn
        try:
            while self._resume is None:
                self._other(conn.recv())
        finally:
            self.paused = None
        how, self._resume = self._resume, None
        return how

    # ------------------------------------------------------------------ requests

    def _engine(self) -> Debugger:
        if self.debugger is None:
            raise DebugError(5, "the debugger is not started")
        return self.debugger

    def op_start(self, granularity: str = "command") -> dict[str, Any]:
        if self.debugger is None:
            self.debugger = Debugger(self.host.process, self._on_pause)
            self.debugger.on_poll = self.poll
        self.op_granularity(granularity)
        return {}

    def op_granularity(self, value: str = "command") -> dict[str, Any]:
        if value not in ("command", "line"):
            raise DebugError(3, f"step granularity {value!r}: 'command' or 'line'")
        self._engine().granularity = value
        return {}

    def op_detach(self) -> dict[str, Any]:
        dbg = self.debugger
        if dbg is not None:
            dbg.detach()
            self.debugger = None
        if self.paused is not None:
            self._resume = "run"
        return {}

    def op_pause(self) -> dict[str, Any]:
        self._engine().request_pause()
        return {}

    def op_resume(self, how: str = "run") -> dict[str, Any]:
        if how not in COMMANDS:
            raise DebugError(3, f"cannot resume with {how!r}")
        if self.paused is None:
            raise DebugError(*NOT_STOPPED)
        self._resume = how
        return {}

    def op_break_line(self, document: str, line: int, method: str | None = None,
                      condition: str | None = None,
                      hit_value: int | None = None) -> dict[str, Any]:
        routine, label, offset = self._location(document, method, int(line))
        bp = self._engine().add_line(routine, label, offset, condition=condition,
                                     hit_value=hit_value)
        return {"id": bp}

    def op_break_watch(self, variable: str, condition: str | None = None,
                       hit_value: int | None = None) -> dict[str, Any]:
        return {"id": self._engine().add_watch(variable, condition=condition,
                                               hit_value=hit_value)}

    def op_break_remove(self, id: int) -> dict[str, Any]:  # noqa: A002 - the wire's name
        self._engine().remove(int(id))
        return {}

    def op_break_enable(self, id: int, enabled: bool = True) -> dict[str, Any]:  # noqa: A002
        self._engine().enable(int(id), bool(enabled))
        return {}

    def op_break_list(self) -> list[dict[str, Any]]:
        out = []
        for bp in self._engine().list():
            document, method, line = "", None, 0
            if not bp.variable:
                document, method, line = self._document_of(bp.routine, bp.label, bp.offset,
                                                           bp.row, editor=False)
            out.append({"id": bp.id, "type": bp.type, "document": document, "method": method,
                        "line": line, "condition": bp.condition, "hit_value": bp.hit_value,
                        "hit_count": bp.hit_count, "enabled": bp.enabled,
                        "variable": bp.variable})
        return out

    def op_stack(self) -> list[dict[str, Any]]:
        return [self._frame(f) for f in self._engine().stack()]

    def op_variables(self, level: int = 0, context: int = 0) -> list[dict[str, Any]]:
        found = self._engine().variables(int(level), int(context))
        return [_property(p) for p in found.values()]

    def op_property(self, name: str, level: int = 0, context: int = 0,
                    max_children: int = 32, page: int = 0, depth: int = 1) -> dict[str, Any]:
        return _property(self._engine().property(int(level), int(context), name,
                                                 max(1, int(max_children)), int(page),
                                                 _depth(depth)))

    def op_eval(self, expression: str, level: int = 0, max_children: int = 32,
                depth: int = 1) -> dict[str, Any]:
        return _property(self._engine().eval_property(expression, int(level),
                                                      max(1, int(max_children)),
                                                      _depth(depth)))

    def op_contexts(self, level: int = 0) -> list[dict[str, Any]]:
        out = [{"name": "Private", "id": 0}, {"name": "Public", "id": 1}]
        if self._engine().has_object(int(level)):
            out.append({"name": "Class", "id": 2})
        return out

    def op_set(self, name: str, value: str, level: int = 0) -> dict[str, Any]:
        self._engine().set_variable(int(level), name, value)
        return {}

    # ------------------------------------------------------------------ locations

    def _text(self, document: str) -> str | None:
        """A document's text as the server holds it (None: no such document)."""
        _, _, text, _version = self.pipe.ask(("need", document), "doc")
        return text if isinstance(text, str) else None

    def _location(self, document: str, method: str | None,
                  line: int) -> tuple[str, str, int]:
        """``(routine, label, offset)`` of a breakpoint: a class's ``method`` + ``line``
        (the offset from its brace line), a class's editor ``line`` without a method, or a
        routine's line after its header."""
        stem, _, ext = document.rpartition(".")
        ext = ext.lower()
        dbg = self._engine()
        if ext == "cls":
            if method is None:
                method, line = self._method_at(document, line)
            if line < 1:
                raise DebugError(201, f"offset {line} of {method}: the first line of a "
                                      "method is offset 1")
            return f"{stem}.1", f"z{method}", line
        if ext == "mac":
            text = self._text(document)
            if text is None:
                raise DebugError(201, f"no routine {document}")
            rows = mac_rows(text)
            if not 1 <= line <= len(rows) or rows[line - 1] == 0:
                raise DebugError(201, f"line {line} of {document} has no code")
            return dbg.routine_location(stem, rows[line - 1])
        if ext == "int":
            return dbg.routine_location(stem, line)
        raise DebugError(201, f"{document}: breakpoints go in classes and routines")

    def _method_at(self, document: str, line: int) -> tuple[str, int]:
        text = self._text(document)
        if text is None:
            raise DebugError(201, f"no class {document}")
        best: tuple[int, str] | None = None
        for name, brace in method_brace_lines(text).items():
            if brace < line and (best is None or brace > best[0]):
                best = (brace, name)
        if best is None:
            raise DebugError(201, f"line {line} of {document} is not in a method")
        return best[1], line - best[0]

    def _document_of(self, routine: str, label: str, offset: int, row: int,
                     editor: bool = True) -> tuple[str, str | None, int]:
        """``(document, method, line)`` of an INT location: a class method's offset
        (or, ``editor``, its editor line), or a routine's line after its header (plus one,
        ``editor``: the header is the editor's first line)."""
        if routine.endswith(".1") and label.startswith("z"):
            cls, method = routine[:-2], label[1:]
            document = f"{cls}.cls"
            if not editor:
                return document, method, offset
            text = self._text(document)
            brace = method_brace_lines(text).get(method) if text is not None else None
            return document, method, (brace + offset if brace else row + 1)
        mac = self._text(f"{routine}.mac")
        if mac is not None:
            rows = mac_rows(mac)
            if row in rows:
                line = rows.index(row) + 1
                return f"{routine}.mac", None, line + 1 if editor else line
        return f"{routine}.int", None, row + 1 if editor else row

    def _frame(self, f: StackFrame) -> dict[str, Any]:
        document, method, line = self._document_of(f.routine, f.label, f.offset, f.row)
        return {"level": f.level, "document": document, "line": line,
                "method": method if method is not None else f.label,
                "offset": f.offset, "where": f.where, "begin": f.begin, "end": f.end}


def _depth(depth: Any) -> int:
    """Levels of children to give (1 to 4: deep trees are fetched as they are opened)."""
    return min(4, max(1, int(depth)))


def _property(p: Property) -> dict[str, Any]:
    return {"name": p.name, "fullname": p.fullname, "type": p.type, "value": p.value,
            "classname": p.classname, "numchildren": p.numchildren, "page": p.page,
            "children": [_property(c) for c in p.children]}
