"""The debug engine of a process, in process: breakpoints, stepping, pause requests and
inspection of a paused program, driven synchronously from the debugger build's line hook.

A ``Debugger(process, on_pause)`` installs itself as the process's debug hook (switching a
process that was built without one to the debugger build: its routines are translated
again). Translated code then calls the hook before every command; when the program has to
stop (a breakpoint, the end of a step, a pause request) the hook calls
``on_pause(Pause)`` and carries on as the callback says: ``"run"``, ``"step_into"``,
``"step_over"``, ``"step_out"`` or ``"stop"`` (raises ``DebugStop``, a ``Halt``: TRY/CATCH
does not see it and the run ends). While the callback runs, the inspection methods
(``stack``, ``variables``, ``property``, ``eval``, ``set_variable``) read the paused program;
level 0 is the innermost frame.

Locations are INT locations: ``(routine, label, offset)``. A class's methods are labels
``z<Method>`` of routine ``<Class>.1`` whose body lines are kept 1:1 (``class_location``);
a routine line (1-based, the ``ROUTINE`` header not counted) becomes the nearest label
above it plus an offset (``Debugger.routine_location``). A breakpoint must be on a line
holding a command, inside its label's procedure when that label is one (``DebugError``
201 otherwise).

Stepping has command granularity (the hook runs per command): step into stops at the next
command anywhere, step over at the next command at the same or a shallower stack depth
(``len(process.frames)``), step out at the next command at a shallower depth. Terminal lines
and XECUTE strings (routine ``""``) never stop the program.

Variables: context 0 is the private variables of a frame (a procedure's ``p_<name>``
locals of its Python frame), context 1 the public ones (``process.sym``). ``eval`` and
``set_variable`` run an ObjectScript line (the normal build, so the hook does not re-enter)
with the frame's private variables bound over the public ones for the time of the call;
``$TEST``, ``$ZERROR`` and ``$ECODE`` are put back afterwards.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compiler_stub.reading.grammars import parse_routine
from compiler_stub.runtime import lists as L
from compiler_stub.runtime import values as V
from compiler_stub.runtime.dynamic import DynArr, DynObj
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.frames import Jump
from compiler_stub.runtime.objbase import Obj
from compiler_stub.runtime.objects import ObjectWorld
from compiler_stub.runtime.process import Halt, Process
from compiler_stub.runtime.translate import code_location, translate_line
from compiler_stub.runtime.variables import (
    MISSING,
    Node,
    format_ref,
    zwrite_string,
    zwrite_subscript,
    zwrite_value,
)

__all__ = [
    "Breakpoint", "DebugError", "DebugStop", "Debugger", "Pause", "Property", "StackFrame",
    "class_location",
]

#: the property accesses after a variable reference: (property, subscripts) ...
Chain = list[tuple[str, tuple[str, ...]]]
Stack = list["StackFrame"]
BreakpointList = list["Breakpoint"]

COMMANDS = ("run", "step_into", "step_over", "step_out", "stop")

#: the code of the call that runs a class's method (its ``this`` is the method's $THIS)
_METHOD_RUN = ObjectWorld.run.__code__

#: the names the engine binds while it evaluates (never shown as variables)
_RESULT = "%zDbgR"
_VALUE = "%zDbgV"
_HIDDEN = frozenset((_RESULT, _VALUE))


class DebugError(Exception):
    """A debugger request that cannot be done; ``code`` is the DBGp error code (201 a bad
    breakpoint location, 205 no such breakpoint, 206 an error evaluating code, 300 no such
    property, 301 a bad stack level, 302 a bad context, 5 not paused)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DebugStop(Halt):
    """Raised from the hook after ``"stop"``: ends the program like HALT."""


@dataclass
class Breakpoint:
    id: int
    routine: str
    label: str
    offset: int
    row: int
    condition: str | None = None
    hit_value: int | None = None
    hit_count: int = 0
    enabled: bool = True
    variable: str = ""          # a watch: the variable watched (routine "" then)
    last: Any = None            # a watch: the variable's value when last seen

    @property
    def type(self) -> str:
        if self.variable:
            return "watch"
        return "line" if self.condition is None else "conditional"


@dataclass
class Pause:
    """Why and where the program stopped."""

    reason: str                 # "breakpoint", "watch", "step", "pause"
    routine: str
    label: str
    offset: int
    row: int
    depth: int                  # len(process.frames)
    breakpoint: int | None = None
    message: str = ""           # a breakpoint condition that failed to evaluate
    col: int = 0                # the command's byte columns on its row (end 0: past it)
    end: int = 0

    @property
    def where(self) -> str:
        return _where(self.routine, self.label, self.offset)


@dataclass
class StackFrame:
    level: int
    routine: str
    label: str
    offset: int
    row: int
    where: str
    source: str                 # the routine line's text
    document: str               # "Pkg.Cls.cls" for class code, else "<routine>.int"
    method: str | None = None   # the class method (label z<Method>), None in a routine
    begin: int = 0              # the paused command's columns (characters; innermost frame
    end: int = 0                # only; end 0: to the end of the line)


@dataclass
class Property:
    """A variable, array node, object or object property as a debugger shows it."""

    name: str
    fullname: str
    type: str                   # "string", "array", "object", "undefined"
    value: str | None = None    # the display text (an array's own value, if it has one)
    classname: str = ""
    numchildren: int = 0
    page: int = 0
    children: list[Property] = field(default_factory=list)


def class_location(cls: str, method: str, offset: int) -> tuple[str, str, int]:
    """The INT location of line ``offset`` of ``method``'s body (offset 1 = the first line
    after the opening brace): ``(<cls>.1, z<method>, offset)``."""
    return f"{cls}.1", f"z{method}", offset


def _where(routine: str, label: str, offset: int) -> str:
    return f"{label}{'+' + str(offset) if offset else ''}^{routine}"


def _unpyname(py: str) -> str:
    return py.replace("_p", "%")


class Debugger:
    """The debug engine of one process (see the module docstring)."""

    def __init__(self, process: Process, on_pause: Callable[[Pause], str]) -> None:
        self.process = process
        self.on_pause = on_pause
        self._bps: dict[int, Breakpoint] = {}
        self._next_id = 1
        #: routine -> row -> breakpoints there (the hook's look-up)
        self._rows: dict[str, dict[int, list[Breakpoint]]] = {}
        self._step: tuple[str, int] | None = None
        self._pause_req = False
        self._poll_req = False
        self._watches: list[Breakpoint] = []
        self._busy = False          # paused or evaluating: the hook does nothing
        self._idle = True           # nothing to check: the hook returns at once
        self._attached = False
        self._lines_only = True     # only line breakpoints to check
        self._frames: list[tuple[Any, str, str, int, int]] | None = None
        self._this: list[Any] = []      # each captured frame's $THIS (None: unknown)
        self._exec_rows: dict[str, tuple[int, dict[int, int]]] = {}
        #: "command": a step stops at the next command; "line": at the next line's first
        self.granularity = "command"
        #: called from the hook after ``request_poll`` (the driver's requests, in order)
        self.on_poll: Callable[[], None] | None = None
        #: the innermost frame's command columns at the pause (bytes: begin, end)
        self._cols = (0, 0)
        self._lock = threading.Lock()
        self.attach()

    # ------------------------------------------------------------------ the hook

    def attach(self) -> None:
        """Switch the process to the debugger build (if needed) and take its hooks. The
        command hook is only installed while there is something to check (``_refresh``):
        the debugger build tests ``P.debug_hook`` inline, so an idle debugger costs a
        program one attribute test per command."""
        p = self.process
        if not p.debug:
            p.debug = True
            p.invalidate()
        self._attached = True
        p.error_hook = self.on_error
        self._refresh()

    def detach(self) -> None:
        """Remove the hooks and go back to the normal build: routines called from now on are
        translated without hook calls (code running now finishes in the debugger build, its
        hook tests finding no hook)."""
        p = self.process
        if not self._attached:
            return
        self._attached = False
        if p.error_hook == self.on_error:
            p.error_hook = None
        p.debug_hook = None
        p.debug = False
        p.invalidate()

    def hook(self, p: Process, routine: str, label: str, offset: int, row: int,
             col: int = 0, end: int = 0) -> None:
        """Called before every command of the debugger build (``col``/``end``: the
        command's byte columns on its row)."""
        if self._idle:
            return
        if self._lines_only:
            rows = self._rows.get(routine)
            if rows is None or row not in rows:
                return      # only line breakpoints, none here: as cheap as idle
        self._check(p, routine, label, offset, row, col, end)

    def _refresh(self) -> None:
        others = self._step or self._pause_req or self._poll_req or self._watches
        self._idle = self._busy or not (self._rows or others)
        self._lines_only = not (self._busy or others)
        if self._attached:
            self.process.debug_hook = None if self._idle else self.hook

    def _wake(self) -> None:
        """Something to check at the next command (safe in a signal handler)."""
        self._lines_only = False
        self._idle = False
        if self._attached:
            self.process.debug_hook = self.hook

    def request_pause(self) -> None:
        """Stop at the next command (thread-safe; safe in a signal handler)."""
        self._pause_req = True
        self._wake()

    def request_poll(self) -> None:
        """Call ``on_poll`` before the next command (thread-safe; safe in a signal
        handler): the driver has requests waiting for a running program."""
        self._poll_req = True
        self._wake()

    def _check(self, p: Process, routine: str, label: str, offset: int, row: int,
               col: int, end: int) -> None:
        if self._poll_req and not self._busy:
            self._poll_req = False
            if self.on_poll is not None:
                self._busy = True
                try:
                    self.on_poll()
                finally:
                    self._busy = False
        if not routine or self._busy:
            self._refresh()
            return      # a terminal line or an XECUTE string; or the engine's own code
        depth = len(p.frames)
        reason = ""
        bp_id: int | None = None
        message = ""
        first = col == self._first_cols(routine).get(row, col)
        if self._pause_req:
            self._pause_req = False
            reason = "pause"
        step = self._step
        if step is not None and not reason and (first or self.granularity == "command"):
            mode, d0 = step
            if mode == "step_into" or (mode == "step_over" and depth <= d0) or \
                    (mode == "step_out" and depth < d0):
                reason = "step"
        rows = self._rows.get(routine)
        if rows is not None and first and row in rows:
            for bp in rows[row]:
                if not bp.enabled:
                    continue
                ok, message = self._condition(bp)
                if not ok:
                    continue
                bp.hit_count += 1
                if bp.hit_value is not None and bp.hit_count < bp.hit_value:
                    continue
                if not reason or reason == "step":
                    reason, bp_id = "breakpoint", bp.id
                break
        if self._watches and not reason:
            bp_id, message = self._watch_hit()
            if bp_id is not None:
                reason = "watch"
        if not reason:
            self._refresh()
            return
        self._stop(p, Pause(reason, routine, label, offset, row, depth, bp_id, message,
                            col, end))

    def _watch_hit(self) -> tuple[int | None, str]:
        """The first watch whose variable changed since the last command (and whose
        condition holds), with its condition's error text; (None, "") when none."""
        self._capture()
        try:
            for bp in self._watches:
                if not bp.enabled:
                    continue
                now = self._watched_value(bp.variable)
                if now == bp.last:
                    continue
                bp.last = now
                ok, message = self._condition(bp, capture=False)
                if not ok:
                    continue
                bp.hit_count += 1
                if bp.hit_value is not None and bp.hit_count < bp.hit_value:
                    continue
                return bp.id, message
            return None, ""
        finally:
            self._frames = None

    def _watched_value(self, name: str) -> Any:
        """A variable's value and children as a comparable snapshot (MISSING: undefined);
        the innermost frame's private variable if there is one, else the public one."""
        node = None
        if self._frames:
            node = self._privates(0).get(name)
        if node is None:
            node = self.process.sym.vars.get(name)
        if node is None:
            return MISSING
        return _snapshot(node)

    def _condition(self, bp: Breakpoint, capture: bool = True) -> tuple[bool, str]:
        if bp.condition is None:
            return True, ""
        if capture:
            self._capture()
        try:
            return V.truth(self.eval(bp.condition)), ""
        except DebugError as e:
            return True, e.message     # a failing condition stops: the user sees why
        finally:
            if capture:
                self._frames = None

    def _stop(self, p: Process, pause: Pause) -> None:
        self._step = None
        self._cols = (pause.col, pause.end)
        self._capture()
        self._busy = True
        self._refresh()
        try:
            cmd = self.on_pause(pause)
        finally:
            self._frames = None
            self._busy = False
        if cmd == "stop":
            self._refresh()
            raise DebugStop
        if cmd in ("step_into", "step_over", "step_out"):
            self._step = (cmd, pause.depth)
        elif cmd != "run":
            self._refresh()
            raise DebugError(3, f"unknown command {cmd!r}")
        self._refresh()

    def on_error(self, exc: BaseException) -> None:
        """An error no code trapped: stop where it happened (reason ``exception``, the
        error's text as the message), the stack read from its traceback; whatever the
        answer, the line then ends with the error."""
        if self._busy or isinstance(exc, Halt):
            return
        frames = _traceback_frames(exc)
        if not frames:
            return      # raised by the terminal line itself: nothing to show
        _f, routine, label, offset, row = frames[0]
        text = str(self.process.error_of(exc))
        self._step = None
        self._pause_req = False
        self._cols = (0, 0)
        self._frames = frames
        self._this = [None] * len(frames)
        self._busy = True
        self._refresh()
        try:
            self.on_pause(Pause("exception", routine, label, offset, row,
                                len(self.process.frames), None, text))
        finally:
            self._frames = None
            self._busy = False
            self._refresh()

    def _capture(self) -> None:
        """Record the Python frames of the paused ObjectScript stack, innermost first."""
        out: list[tuple[Any, str, str, int, int]] = []
        this: list[Any] = []
        f: Any = sys._getframe(1)  # noqa: SLF001 - reading the paused program's frames
        while f is not None:
            found = code_location(f.f_code, f.f_lineno)
            if found is not None:
                routine, loc = found
                out.append((f, routine, loc.label, loc.offset, loc.row))
                this.append(None)
            elif f.f_code is _METHOD_RUN and this and this[-1] is None:
                this[-1] = f.f_locals.get("this")   # the $THIS of the frame it runs
            f = f.f_back
        self._frames = out
        self._this = this

    # ------------------------------------------------------------------ breakpoints

    def routine_location(self, routine: str, line: int) -> tuple[str, str, int]:
        """``(routine, label, offset)`` of routine line ``line`` (1-based, no header):
        the nearest label at or above it."""
        rc = self._routine(routine)
        best: tuple[int, str] | None = None
        for lab, r in rc.label_rows.items():
            if r <= line and (best is None or r > best[0]):
                best = (r, lab)
        if best is None or line > len(rc.source):
            raise DebugError(201, f"line {line} of {routine} is not in a label")
        return routine, best[1], line - best[0]

    def add_line(self, routine: str, label: str, offset: int, *, condition: str | None = None,
                 hit_value: int | None = None) -> int:
        """Set a breakpoint at ``label+offset^routine``; its id."""
        row = self._resolve(routine, label, offset)
        if hit_value is not None and hit_value < 0:
            raise DebugError(3, "a hit value must not be negative")
        condition = _condition_text(condition)
        with self._lock:
            bp = Breakpoint(self._next_id, routine, label, offset, row, condition,
                            hit_value or None)
            self._next_id += 1
            self._bps[bp.id] = bp
            self._rows.setdefault(routine, {}).setdefault(row, []).append(bp)
            self._refresh()
        return bp.id

    def add_watch(self, variable: str, *, condition: str | None = None,
                  hit_value: int | None = None) -> int:
        """A watch: stop at the command after the one that changed ``variable`` (a local,
        private or public, unsubscripted), when ``condition`` holds; its id."""
        name = variable.strip()
        if not re.fullmatch(_NAME, name):
            raise DebugError(200, f"cannot watch {variable!r}: not a variable name")
        condition = _condition_text(condition)
        with self._lock:
            bp = Breakpoint(self._next_id, "", "", 0, 0, condition, hit_value or None,
                            variable=name, last=self._current(name))
            self._next_id += 1
            self._bps[bp.id] = bp
            self._watches.append(bp)
            self._refresh()
        return bp.id

    def _current(self, name: str) -> Any:
        node = self.process.sym.vars.get(name)
        return MISSING if node is None else _snapshot(node)

    def remove(self, bp_id: int) -> None:
        with self._lock:
            bp = self._bps.pop(bp_id, None)
            if bp is None:
                raise DebugError(205, f"no breakpoint {bp_id}")
            if bp.variable:
                self._watches.remove(bp)
                self._refresh()
                return
            rows = self._rows[bp.routine]
            rows[bp.row].remove(bp)
            if not rows[bp.row]:
                del rows[bp.row]
            if not rows:
                del self._rows[bp.routine]
            self._refresh()

    def enable(self, bp_id: int, enabled: bool = True) -> None:
        bp = self._bps.get(bp_id)
        if bp is None:
            raise DebugError(205, f"no breakpoint {bp_id}")
        bp.enabled = enabled

    def list(self) -> BreakpointList:
        """The breakpoints in id order."""
        return [self._bps[k] for k in sorted(self._bps)]

    def _routine(self, routine: str) -> Any:
        try:
            return self.process.routine(routine)
        except ObjectScriptError as e:
            raise DebugError(201, f"no routine {routine}: {e}") from None

    def _resolve(self, routine: str, label: str, offset: int) -> int:
        """The routine row of ``label+offset^routine``, checked to hold a command."""
        rc = self._routine(routine)
        where = _where(routine, label, offset)
        base: int | None = rc.label_rows.get(label)
        if base is None or offset < 0:
            raise DebugError(201, f"no label for {where}")
        row: int = base + offset
        proc = rc.procs.get(label)
        if proc is not None and not proc[0] <= row <= proc[1]:
            raise DebugError(201, f"{where} is outside its method")
        if proc is None:
            nxt = min((r for r in rc.label_rows.values() if r > base), default=None)
            if nxt is not None and row >= nxt:
                raise DebugError(201, f"{where} is past the next label")
        if row not in self._executable(rc):
            raise DebugError(201, f"no command on {where}")
        return row

    def _executable(self, rc: Any) -> dict[int, int]:
        """The rows of ``rc`` where a command starts (where the hook can fire), each with
        the byte column of its first command."""
        kept = self._exec_rows.get(rc.name)
        if kept is not None and kept[0] == id(rc):
            return kept[1]
        tree = parse_routine("\n".join(rc.source))
        rows: dict[int, int] = {}
        todo = [tree.root_node]
        while todo:
            n = todo.pop()
            if n.type.startswith("command_") and n.parent is not None and \
                    n.parent.type == "statement":
                r, c = n.start_point.row + 1, n.start_point.column
                if c < rows.get(r, c + 1):
                    rows[r] = c
            todo.extend(n.named_children)
        self._exec_rows[rc.name] = (id(rc), rows)
        return rows

    def _first_cols(self, routine: str) -> dict[int, int]:
        """``_executable`` of a loaded routine (empty when it is not loaded)."""
        kept = self._exec_rows.get(routine)
        rc = self.process.routines.get(routine)
        if rc is None:
            return {}
        if kept is not None and kept[0] == id(rc):
            return kept[1]
        return self._executable(rc)

    # ------------------------------------------------------------------ inspection

    def _frame(self, level: int) -> tuple[Any, str, str, int, int]:
        frames = self._frames
        if frames is None:
            raise DebugError(5, "the program is not paused")
        if not 0 <= level < len(frames):
            raise DebugError(301, f"no stack level {level}")
        return frames[level]

    def stack(self) -> Stack:
        """The paused program's stack, innermost first."""
        if self._frames is None:
            raise DebugError(5, "the program is not paused")
        out = []
        for level, (_f, routine, label, offset, row) in enumerate(self._frames):
            src = ""
            rc = self.process.routines.get(routine)
            if rc is not None and 0 < row <= len(rc.source):
                src = rc.source[row - 1]
            method = None
            doc = f"{routine}.int"
            if routine.endswith(".1") and label.startswith("z"):
                method = label[1:]
                doc = routine[:-2] + ".cls"
            begin, end = 0, 0
            if level == 0:
                raw = src.encode("utf-8")
                begin = len(raw[:self._cols[0]].decode("utf-8", "ignore"))
                end = len(raw[:self._cols[1]].decode("utf-8", "ignore")) if self._cols[1] \
                    else 0
            out.append(StackFrame(level, routine, label, offset, row,
                                  _where(routine, label, offset), src, doc, method,
                                  begin, end))
        return out

    def _privates(self, level: int) -> dict[str, Node]:
        f = self._frame(level)[0]
        out = {}
        for k, v in f.f_locals.items():
            if k.startswith("p_") and type(v) is Node:
                out[_unpyname(k[2:])] = v
        return out

    def _context(self, level: int, context: int) -> dict[str, Node]:
        if context == 0:
            return self._privates(level)
        if context == 1:
            self._frame(level)
            return {k: n for k, n in self.process.sym.vars.items() if k not in _HIDDEN}
        if context == 2:
            self._frame(level)
            return self._object_context(self._this[level])
        raise DebugError(302, f"no context {context}")

    def _object_context(self, obj: Any) -> dict[str, Node]:
        """Context 2, "Class": the properties of the frame's ``$THIS`` (none in a class
        method), each as a variable named after it."""
        if not isinstance(obj, Obj) or isinstance(obj, DynObj | DynArr):
            return {}
        out = {}
        for pd in obj.cls.props.values():
            if pd.calculated:
                continue
            if pd.multidimensional:
                out[pd.name] = self.process.objects.md_node(obj, pd.name)
            else:
                value = self._prop_value(obj, pd.name)
                out[pd.name] = Node(pd.name, value)
        return out

    def has_object(self, level: int = 0) -> bool:
        """Frame ``level`` runs an instance method (it has a Class context)."""
        self._frame(level)
        return isinstance(self._this[level], Obj)

    def variables(self, level: int = 0, context: int = 0) -> dict[str, Property]:
        """The defined variables of a context (0 private, 1 public) of frame ``level``, in
        name order, each without children (``numchildren`` says how many)."""
        nodes = self._context(level, context)
        return {name: self._describe(name, name, nodes[name], 0, 0, 0)
                for name in sorted(nodes) if nodes[name].data(())}

    def property(self, level: int, context: int, fullname: str, max_children: int = 32,
                 page: int = 0, depth: int = 1) -> Property:
        """One variable, array node or object property with one level of children (page
        ``page`` of ``max_children``; subscripts in collation order)."""
        nodes = self._context(level, context)
        parts = _parse_fullname(fullname)
        if parts is None or (parts[2] and self._dynamic_in(nodes, parts)):
            # not a plain reference (``d.%Get(0)``, a dynamic object's key): its value
            try:
                value = self.eval(fullname, level)
            except DebugError:
                raise DebugError(300, f"cannot read {fullname}") from None
            return self._describe(fullname, fullname, value, depth, max_children, page)
        entry = self._lookup(nodes, fullname, parts)
        base, subs, name = _array_ref(*parts)
        return self._describe(name, format_ref(base, subs), entry, depth, max_children, page,
                              (base, subs))

    @staticmethod
    def _dynamic_in(nodes: dict[str, Node],
                    parts: tuple[str, tuple[str, ...], Chain]) -> bool:
        """The reference goes through a dynamic object (read by evaluating it)."""
        entry = _down(nodes.get(parts[0], MISSING), parts[1])
        obj = entry.value if type(entry) is Node else entry
        return isinstance(obj, DynObj | DynArr)

    def _lookup(self, nodes: dict[str, Node], fullname: str,
                parts: tuple[str, tuple[str, ...], Chain]) -> Any:
        base, subs, chain = parts
        entry: Any = nodes.get(base, MISSING)
        entry = _down(entry, subs)
        for prop, psubs in chain:
            obj = entry.value if type(entry) is Node else entry
            if not isinstance(obj, Obj):
                raise DebugError(300, f"{fullname}: not an object")
            pd = obj.cls.props.get(prop)
            if pd is None:
                raise DebugError(300, f"{fullname}: no property {prop}")
            if pd.multidimensional:
                entry = self.process.objects.md_node(obj, prop)
            else:
                entry = self._prop_value(obj, prop)
            entry = _down(entry, psubs)
        return entry

    def _prop_value(self, obj: Obj, name: str) -> Any:
        if not obj.cls.native:
            return obj.props.get(name, "")
        try:
            return obj.os_get(name)
        except ObjectScriptError:
            return MISSING

    def _describe(self, name: str, fullname: str, entry: Any, depth: int,
                  max_children: int, page: int,
                  ref: tuple[str, tuple[str, ...]] | None = None) -> Property:
        """``entry`` (a ``Node``, a value or ``MISSING``) as a property with ``depth``
        levels of children; ``ref``: the array name and subscripts of an array node."""
        if type(entry) is Node:
            keys = entry.sorted_keys()
            if not keys:
                return self._describe(name, fullname, entry.value, depth, max_children, page)
            own = None if entry.value is MISSING else _show(entry.value)
            prop = Property(name, fullname, "array", own, numchildren=len(keys), page=page)
            if depth > 0:
                lo = page * max_children
                base, subs = ref or (fullname, ())
                for s in keys[lo:lo + max_children]:
                    kid = (*subs, s)
                    prop.children.append(self._describe(
                        zwrite_subscript(s), format_ref(base, kid), entry.kids[s],
                        depth - 1, max_children, 0, (base, kid)))
            return prop
        if entry is MISSING:
            return Property(name, fullname, "undefined", None)
        if isinstance(entry, DynObj | DynArr):
            return self._describe_dynamic(name, fullname, entry, depth, max_children, page)
        if isinstance(entry, Obj):
            props = [pd for pd in entry.cls.props.values() if not pd.calculated]
            prop = Property(name, fullname, "object", V.to_str(entry),
                            classname=entry.cls.name, numchildren=len(props), page=page)
            if depth > 0:
                lo = page * max_children
                for pd in props[lo:lo + max_children]:
                    v = (self.process.objects.md_node(entry, pd.name) if pd.multidimensional
                         else self._prop_value(entry, pd.name))
                    full = f"{fullname}.{pd.name}"
                    prop.children.append(self._describe(
                        pd.name, full, v, depth - 1, max_children, 0, (full, ())))
            return prop
        return Property(name, fullname, "string", _show(entry))

    def _describe_dynamic(self, name: str, fullname: str, entry: DynObj | DynArr, depth: int,
                          max_children: int, page: int) -> Property:
        """A ``%DynamicObject`` (its keys in order) or ``%DynamicArray`` (its positions from
        0), each child with a full name that evaluates to it."""
        if isinstance(entry, DynObj):
            keys: list[Any] = list(entry.data)
            elems: list[Any] = [entry.data[k] for k in keys]
        else:
            keys = list(range(len(entry.data)))
            elems = list(entry.data)
        prop = Property(name, fullname, "object", V.to_str(entry), classname=entry.cls.name,
                        numchildren=len(keys), page=page)
        if depth > 0:
            lo = page * max_children
            for k, e in zip(keys[lo:lo + max_children], elems[lo:lo + max_children],
                            strict=True):
                if isinstance(k, int):
                    full = f"{fullname}.%Get({k})"
                elif re.fullmatch(_NAME, k):
                    full = f"{fullname}.{k}"
                else:
                    full = f"{fullname}.%Get({zwrite_string(k)})"
                kind = e[0] if e is not None else "null"
                if kind in ("object", "array", "oref"):
                    prop.children.append(self._describe(str(k), full, e[1], depth - 1,
                                                        max_children, 0))
                else:
                    shown = {"null": "null", "boolean": "true" if e and e[1] else "false"}
                    text = shown.get(kind)
                    prop.children.append(
                        Property(str(k), full, "string",
                                 text if text is not None else _show(e[1] if e else "")))
        return prop

    # ------------------------------------------------------------------ evaluation

    def _run(self, level: int, line: str, temps: dict[str, Node]) -> None:
        """Run ObjectScript ``line`` in frame ``level``'s view of the variables."""
        p = self.process
        privates = self._privates(level)
        sym = p.sym
        mark = sym.mark()
        saved = (p.test, p.zerror, p.ecode)
        busy = self._busy
        self._busy = True
        self._refresh()
        try:
            for name, node in privates.items():
                sym.bind(name, node)
            for name, node in temps.items():
                sym.bind(name, node)
            try:
                r = translate_line(line).fn(p)
                while type(r) is Jump:
                    r = r.fn(p)
            except Halt:
                raise
            except BaseException as e:  # noqa: BLE001 - every failure is an eval error
                raise DebugError(206, str(p.error_of(e))) from None
        finally:
            sym.restore(mark)
            p.test, p.zerror, p.ecode = saved
            self._busy = busy
            self._refresh()

    def eval(self, expression: str, level: int = 0) -> Any:
        """The value of an ObjectScript expression in frame ``level`` (its private
        variables and the public ones visible); ``DebugError`` 206 when it fails."""
        out = Node(_RESULT)
        self._run(level, f" set {_RESULT}=({expression})", {_RESULT: out})
        return out.value

    def eval_property(self, expression: str, level: int = 0,
                      max_children: int = 32, depth: int = 1) -> Property:
        """``eval`` described as a property (``depth`` levels of children inline)."""
        return self._describe(expression, expression, self.eval(expression, level), depth,
                              max_children, 0)

    def set_variable(self, level: int, fullname: str, value_text: str) -> None:
        """``SET fullname=value`` in frame ``level``: the value is ``value_text`` evaluated
        as an expression, or the text itself when it is not one."""
        try:
            value = self.eval(value_text, level)
        except DebugError:
            value = value_text
        self._run(level, f" set {fullname}={_VALUE}", {_VALUE: Node(_VALUE, value)})


# ---------------------------------------------------------------------- names

_NAME = r"%?[A-Za-z][A-Za-z0-9]*"
_SUB = r'(?:"(?:[^"]|"")*"|[-+]?[0-9.]+(?:E[-+]?[0-9]+)?)'
_SUBS = rf"\(\s*{_SUB}(?:\s*,\s*{_SUB})*\s*\)"
_FULL = re.compile(rf"({_NAME})((?:{_SUBS})?)((?:\.{_NAME}(?:{_SUBS})?)*)")
_ONE_SUB = re.compile(_SUB)
_PROP = re.compile(rf"\.({_NAME})((?:{_SUBS})?)")


def _subs(text: str) -> tuple[str, ...]:
    out = []
    for m in _ONE_SUB.finditer(text):
        s = m.group(0)
        out.append(s[1:-1].replace('""', '"') if s.startswith('"') else V.to_str(V.num(s)))
    return tuple(out)


def _parse_fullname(
        fullname: str) -> tuple[str, tuple[str, ...], list[tuple[str, tuple[str, ...]]]] | None:
    """``name(subs).Prop(subs)...`` with literal subscripts; None when it is not that."""
    m = _FULL.fullmatch(fullname.strip())
    if m is None:
        return None
    chain = [(pm.group(1), _subs(pm.group(2))) for pm in _PROP.finditer(m.group(3))]
    return m.group(1), _subs(m.group(2)), chain


def _array_ref(base: str, subs: tuple[str, ...],
               chain: list[tuple[str, tuple[str, ...]]]) -> tuple[str, tuple[str, ...], str]:
    """The array a parsed full name points into (its name and subscripts, canonical) and
    the name to show for the node itself."""
    if not chain:
        return base, subs, zwrite_subscript(subs[-1]) if subs else base
    head = format_ref(base, subs)
    for prop, psubs in chain[:-1]:
        head += "." + format_ref(prop, psubs)
    prop, psubs = chain[-1]
    return f"{head}.{prop}", psubs, zwrite_subscript(psubs[-1]) if psubs else prop


def _down(entry: Any, subs: tuple[str, ...]) -> Any:
    for s in subs:
        if type(entry) is not Node:
            return MISSING
        entry = entry.kids.get(s, MISSING)
    return entry


def _show(v: Any) -> str:
    """A value as the debugger shows it: a ``$LIST`` as ``$lb(...)``, else its text."""
    if type(v) is str and v and ord(v[0]) < 32 and L.listvalid(v):
        return _list_text(v)
    return V.to_str(v)


def _list_text(v: str) -> str:
    out = []
    for item in L.items(v):
        if item is L.UNDEF:
            out.append("")
        elif type(item) is str and item and ord(item[0]) < 32 and L.listvalid(item):
            out.append(_list_text(item))
        else:
            out.append(zwrite_value(item))
    return "$lb(" + ",".join(out) + ")"


def _condition_text(condition: str | None) -> str | None:
    """A breakpoint's condition, checked to be an expression (None: none)."""
    if condition is None or not condition.strip():
        return None
    try:
        translate_line(f" set {_RESULT}=({condition})")
    except ObjectScriptError as e:
        raise DebugError(202, f"bad condition: {e}") from None
    return condition


def _traceback_frames(exc: BaseException) -> list[tuple[Any, str, str, int, int]]:
    """The ObjectScript frames an exception went through, innermost first, from the
    deepest traceback of its chain (a converted error keeps the original as context)."""
    seen: set[int] = set()
    best: list[tuple[Any, str, str, int, int]] = []
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out = []
        tb = cur.__traceback__
        while tb is not None:
            found = code_location(tb.tb_frame.f_code, tb.tb_lineno)
            if found is not None:
                routine, loc = found
                out.append((tb.tb_frame, routine, loc.label, loc.offset, loc.row))
            tb = tb.tb_next
        if len(out) > len(best):
            best = out
        cur = cur.__context__
    best.reverse()
    return best


def _snapshot(node: Node) -> Any:
    """A node's value and its children's, as a value that compares equal when nothing
    changed (objects by identity)."""
    kids = node.kids
    own = node.value
    if not kids:
        return own if not isinstance(own, Obj) else ("oref", id(own))
    return (own if not isinstance(own, Obj) else ("oref", id(own)),
            tuple((k, _snapshot(kids[k])) for k in node.sorted_keys()))
