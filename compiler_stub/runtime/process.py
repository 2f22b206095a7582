"""An ObjectScript process: the state translated code runs against.

``Process(namespace, globals, load, device)`` holds the public local variables (``sym``),
the globals of the current namespace, the principal device with ``$X``/``$Y``, ``$TEST``,
``$ZERROR``, the stack of frames and the cache of translated routines. Surfaces (terminal,
unit tests, debugger) drive it through a few methods:

* ``execute(line_text)`` runs one terminal line; an error is raised as ``ObjectScriptError``
  (with ``location`` set when the error happened inside a routine: ``zRun+3^Pkg.Cls.1``;
  empty for an error in the terminal line itself) after ``$ZERROR`` is set.
* ``call(entry_ref, args)`` runs ``label^routine``, ``label+n^routine``, ``^routine`` or
  ``##class(Pkg.Cls).Method`` with Python values as arguments and returns what it QUITs with
  (``None`` for no value).
* ``interrupt()`` (from another thread) makes the running code raise ``<INTERRUPT>``; a
  SIGINT does the same.
* properties: ``test``, ``x``, ``y``, ``zerror``, ``namespace``; ``stack_lines()`` the
  ObjectScript stack (routine, label, offset, line) innermost first.

Routines come from ``load(name) -> list[str] | None`` (INT lines). If the loader has a
``version(name)`` attribute its value is the version token of the cache; otherwise the
lines themselves are compared. The namespace switch (ZNSPACE, ``SET $NAMESPACE``) calls
``switch_namespace(name) -> GlobalStore | None``; ``None`` (or no callback) is ``<NAMESPACE>``.
Extended global references to another namespace (``^|"NS"|G``, ``^["NS"]G``) reach its globals
through ``open_namespace(name) -> GlobalStore | None`` without switching (None or no callback:
``<NAMESPACE>``). Process-private globals (``^||G``) are ``Node`` trees held in ``ppgs``; the
last global reference (``$ZREFERENCE``, the naked indicator) is ``zr`` (see ``globalrefs``).
Classes and objects (``objects.ObjectWorld``, ``self.objects``): ``load_class(name)`` gives
a class's model (``compiler_stub.reading``; None when there is no class text, then the
``<Class>.1`` routine alone still answers class methods). ``class_hook(cls, method, args)``
lets an owner supply class methods first (return ``NotImplemented`` to decline). ``cur_this``
is ``$THIS`` (an object in an instance method, the class name in a class method, "" at the top)
and ``cur_ctx`` the (class, method) whose code runs, for ``##super()``.
"""

from __future__ import annotations

import _thread
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from compiler_stub.runtime import values as V
from compiler_stub.runtime.dates import horolog, ztimestamp
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.frames import (
    CATCHABLE,
    ByRef,
    EcodeError,
    Frame,
    Jump,
    OSException,
    Rebound,
    Rethrown,
    Symtab,
    ThrownObject,
)
from compiler_stub.runtime.frames import (
    MISSING as MISSING_ARG,
)
from compiler_stub.runtime.functions import ZVERSION
from compiler_stub.runtime.globalrefs import PPG_PREFIX, ExtendedGlobal, ppg_prefix
from compiler_stub.runtime.objbase import Obj
from compiler_stub.runtime.objects import (
    ObjectWorld,
    exception_error,
    md_subs,
    system_exception,
)
from compiler_stub.runtime.status import NATIVE_ROUTINES
from compiler_stub.runtime.translate import (
    RoutineCode,
    code_location,
    translate_line,
    translate_ref,
    translate_routine,
)
from compiler_stub.runtime.variables import MISSING, Node, format_ref, zwrite_lines

#: deepest ObjectScript stack (DO, $$, XECUTE and dot-block levels) before <FRAMESTACK>
MAX_DEPTH = 1500
_PY_FRAMES_PER_LEVEL = 4


class Device(Protocol):
    """The principal device: where WRITE goes and READ comes from."""

    def write(self, text: str) -> None: ...

    def read(self, prompt: str, max_chars: int | None, timeout: float | None,
             single: bool) -> str | None: ...


class Halt(BaseException):
    """HALT: ends the process (not catchable by TRY/CATCH)."""


class BufferDevice:
    """A device for tests and batch runs: output collected in ``out``, input from a list
    (``None`` in the list is a timed-out read)."""

    def __init__(self, inputs: list[str | None] | None = None) -> None:
        self.parts: list[str] = []
        self.inputs = list(inputs or [])

    def write(self, text: str) -> None:
        self.parts.append(text)

    def read(self, prompt: str, max_chars: int | None, timeout: float | None,
             single: bool) -> str | None:
        if prompt:
            self.parts.append(prompt)
        if not self.inputs:
            return None
        s = self.inputs.pop(0)
        if s is None:
            return None
        if single:
            return s[:1]
        return s if max_chars is None else s[:max_chars]

    @property
    def out(self) -> str:
        return "".join(self.parts)

    def take(self) -> str:
        s = "".join(self.parts)
        self.parts.clear()
        return s


_ONCE = (None,)
_CTRL = frozenset(chr(i) for i in range(32))
_PIDS = itertools.count(os.getpid())


class Process:
    """One ObjectScript process (see the module docstring)."""

    ONCE = _ONCE

    def __init__(self, namespace: str, globals_: Any, load: Callable[[str], list[str] | None],
                 device: Device, *, switch_namespace: Callable[[str], Any] | None = None,
                 class_hook: Callable[..., Any] | None = None, job: int | None = None,
                 max_depth: int = MAX_DEPTH,
                 debug_hook: Callable[..., Any] | None = None,
                 load_class: Callable[[str], Any] | None = None,
                 open_namespace: Callable[[str], Any] | None = None,
                 code_cache: Any = None) -> None:
        self.namespace = namespace.upper()
        self.gstore = globals_
        self.loader = load
        #: translated routines kept across processes (``translate.TranslationCache``)
        self.code_cache = code_cache
        self.device = device
        self.switch_namespace = switch_namespace
        self.open_namespace = open_namespace
        #: the last global reference, (node, subscripts) or None: $ZREFERENCE, and with at
        #: least one subscript the naked indicator (the node and all subscripts but the last);
        #: the node may be a name: the current namespace's global (the fast paths record it)
        self.zr: tuple[Any, tuple[str, ...]] | None = None
        self.ppgs: dict[str, Node] = {}      # process-private globals by name
        self._ext: dict[tuple[str, str], Any] = {}   # extended references' nodes
        self.class_hook = class_hook
        #: with a debug hook, code is translated in its debugger build: the hook is called
        #: as ``debug_hook(process, routine, label, offset, line, col, end)`` before every command
        self.debug_hook = debug_hook
        self.debug = debug_hook is not None
        #: a debugger's look at an error no code trapped, before the line ends with it
        #: (its stack still there, through the exception's traceback)
        self.error_hook: Callable[[BaseException], None] | None = None
        self.sym = Symtab()
        self.frames: list[Frame] = []
        self.routines: dict[str, RoutineCode] = {}
        self.test = 0
        self.x = 0
        self.y = 0
        self.zerror = ""
        self.ecode = ""
        self.ztrap = ""                      # $ZTRAP as it reads (label^routine, no "*")
        self.zt_star = False                 # set as "*location": no unwinding
        self.zt_level = 0                    # the stack level that set $ZTRAP
        self.zt_target: Jump | None = None   # a procedure's label, resolved when set
        self.etrap = ""
        self.estack_base = 0                 # $ESTACK = $STACK - this (NEW $ESTACK)
        #: the error being trapped and the stack level it is being handled from
        self._pending: tuple[BaseException, int] | None = None
        self._handling = 0                   # trap handlers running (an <INTERRUPT> passes)
        self.key = ""
        self.io = "|TRM|"
        self.principal = "|TRM|"
        self.device_status = ""
        self.username = "UnknownUser"
        self.zversion = ZVERSION  # $ZVERSION (a session sets the server's)
        self.job = job if job is not None else os.getpid()
        self.max_depth = max_depth
        self._validated: set[str] = set()   # routines checked against the loader this run
        self.objects = ObjectWorld(self, load_class)
        self.cur_this: Any = ""              # $THIS
        self.cur_ctx: tuple[str, str] | None = None   # (class, method) of the running code
        self.objlasterror: Any = ""          # %objlasterror
        self._main_thread = threading.get_ident()
        need = max_depth * _PY_FRAMES_PER_LEVEL + 2000
        if sys.getrecursionlimit() < need:
            sys.setrecursionlimit(need)

    # ================================================================== the public API

    def execute(self, line_text: str) -> None:
        """Run one terminal line (see the module docstring)."""
        lc = translate_line(line_text, self.debug)
        self._validated.clear()
        self._pending = None
        try:
            try:
                r = lc.fn(self)
                while type(r) is Jump:
                    r = r.fn(self)
            except CATCHABLE as e:
                if not (self.ztrap or self.etrap):
                    raise
                self._trap(None, e)
        except Halt:
            raise
        except BaseException as e:  # noqa: BLE001 - every failure becomes an ObjectScript error
            if self.error_hook is not None and not isinstance(e, KeyboardInterrupt):
                self.error_hook(e)
            err = self.error_of(e)
            raise err from None
        finally:
            self._pending = None

    def call(self, entry_ref: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        """Call ``label^routine`` / ``label+n^routine`` / ``^routine`` /
        ``##class(Cls).Method`` and return its value (``None`` for none)."""
        ref = entry_ref.strip()
        self._validated.clear()
        try:
            if ref.lower().startswith("##class("):
                close = ref.index(")")
                cls = ref[8:close]
                meth = ref[close + 2:]
                if "(" in meth:
                    meth = meth[:meth.index("(")]
                return self.class_call(cls, meth, False, *args)
            label, _, rtn = ref.partition("^")
            offset = 0
            if "+" in label:
                label, _, off = label.partition("+")
                offset = int(off)
            if "(" in rtn:
                rtn = rtn[:rtn.index("(")]
            return self.call_ext(rtn, label, offset, False, *args)
        except Halt:
            raise
        except BaseException as e:  # noqa: BLE001
            raise self.error_of(e) from None

    def interrupt(self) -> None:
        """Ask the running code to stop with ``<INTERRUPT>`` (thread-safe)."""
        if threading.get_ident() == self._main_thread:
            raise KeyboardInterrupt
        _thread.interrupt_main()

    # ================================================================== errors

    def error_of(self, e: BaseException) -> ObjectScriptError:
        """The ObjectScript error for any exception raised by translated code, with its
        location filled in from the traceback; sets ``$ZERROR``/``$ECODE``."""
        if isinstance(e, ThrownObject):
            obj = e.obj
            err = obj.to_error() if isinstance(obj, OSException) else \
                (exception_error(obj) or ObjectScriptError("THROW", V.to_str(obj)))
            if not err.location:
                err.location = self.locate(e)
        else:
            err = self._as_error(e)
            if not err.location:
                err.location = self.locate(e)
        self.zerror = err.zerror()
        self.ecode = err.ecode if isinstance(err, EcodeError) else _ecode(err)
        return err

    @staticmethod
    def _as_error(e: BaseException) -> ObjectScriptError:
        if isinstance(e, ObjectScriptError):
            return e
        if isinstance(e, KeyboardInterrupt):
            return ObjectScriptError("INTERRUPT")
        if isinstance(e, RecursionError):
            return ObjectScriptError("FRAMESTACK")
        if isinstance(e, ZeroDivisionError):
            return ObjectScriptError("DIVIDE")
        if isinstance(e, MemoryError):
            return ObjectScriptError("STORE")
        if isinstance(e, (OverflowError, ArithmeticError)):
            return ObjectScriptError("MAXNUMBER")
        return ObjectScriptError("SYSTEM", type(e).__name__)

    def locate(self, e: BaseException) -> str:
        """``label+offset^routine`` of the innermost translated line in ``e``'s traceback."""
        tb = e.__traceback__
        found = None
        while tb is not None:
            found = code_location(tb.tb_frame.f_code, tb.tb_lineno, lines=True) or found
            tb = tb.tb_next
        if found is None:
            return ""
        return _format_loc(found[0], found[1].label, found[1].offset)

    def stack_lines(self) -> list[tuple[str, str, int, int]]:
        """The ObjectScript stack as (routine, label, offset, line), innermost first
        (read from the Python frames of translated code; nothing is tracked while running)."""
        out = []
        f: Any = sys._getframe(1)  # noqa: SLF001 - reading our own frames
        while f is not None:
            found = code_location(f.f_code, f.f_lineno)
            if found is not None:
                routine, loc = found
                out.append((routine, loc.label, loc.offset, loc.row))
            f = f.f_back
        return out

    def caught(self, e: BaseException) -> Any:
        """The object a CATCH receives for ``e`` (sets ``$ZERROR`` for system errors)."""
        if isinstance(e, ThrownObject):
            return e.obj
        if isinstance(e, Halt):
            raise e
        err = self._as_error(e)
        if not err.location:
            err.location = self.locate(e)
        self.zerror = err.zerror()
        self.ecode = err.ecode if isinstance(err, EcodeError) else _ecode(err)
        return system_exception(self, err)

    def throw(self, v: Any) -> None:
        if v is None:
            raise ObjectScriptError("COMMAND")
        if isinstance(v, (str, int, float)) or type(v).__name__ == "Decimal":
            raise ObjectScriptError("THROW", V.to_str(v))
        raise ThrownObject(v)

    def undef(self, name: str) -> Any:
        raise ObjectScriptError("UNDEFINED", "*" + name)

    def bad_default(self) -> Any:
        raise ObjectScriptError("PARAMETER")

    def select_fail(self) -> Any:
        raise ObjectScriptError("SELECT")

    def case_fail(self) -> Any:
        raise ObjectScriptError("ILLEGAL VALUE")

    # ================================================================== error traps

    def _save_trap(self, fr: Frame, key: str) -> None:
        """Remember, once per level, the value ``key`` ("zt", "et", "es") had when the level
        changed it: the level's end restores it."""
        tr = fr.traps
        if tr is None:
            tr = fr.traps = {}
        if key in tr:
            return
        if key == "zt":
            tr[key] = (self.ztrap, self.zt_star, self.zt_level, self.zt_target)
        elif key == "et":
            tr[key] = self.etrap
        else:
            tr[key] = self.estack_base

    def _leave_traps(self, fr: Frame) -> None:
        tr = fr.traps
        assert tr is not None
        if "zt" in tr:
            self.ztrap, self.zt_star, self.zt_level, self.zt_target = tr["zt"]
        if "et" in tr:
            self.etrap = tr["et"]
        if "es" in tr:
            self.estack_base = tr["es"]

    def _pass_on(self) -> None:
        """A level whose ``$ETRAP`` handler ran ends with ``$ECODE`` still set: the error is
        raised again at the caller's level, whose handler runs next (ANSI M)."""
        p = self._pending
        e: BaseException = p[0] if p is not None else EcodeError(self.ecode)
        self._pending = (e, len(self.frames))
        raise e

    def _trap(self, fr: Frame | None, e: BaseException) -> Any:
        """An error ``e`` reached stack level ``fr`` (None: the terminal line, level 0) with
        a trap set: run the handler that applies here and return what the level returns,
        or raise ``e`` on to the caller's level.

        * ``$ZTRAP``: the level that set it runs a GOTO to its location (the levels below
          are gone by now); ``*location`` runs at the level of the error instead. An error
          in the handler is trapped again by the same ``$ZTRAP``.
        * ``$ETRAP``: its code runs at the level of the error, followed by an implicit QUIT
          (``QUIT ""`` in a ``$$`` level); if ``$ECODE`` is still set the error passes on
          to the caller's level. An error in that code ends the level at once.
        """
        level = len(self.frames)
        in_etrap = False
        retried = False
        while True:
            p = self._pending
            if p is None or p[0] is not e:
                if not isinstance(e, Rethrown):
                    self.error_of(e)        # $ZERROR and $ECODE, once per error
                self._pending = (e, level)
                origin = level
            else:
                origin = p[1]
            kind = ""
            if (isinstance(e, Rethrown) and e.level == level) or \
                    ((retried or self._handling) and isinstance(e, KeyboardInterrupt)):
                # an <INTERRUPT> (the line's time limit) while a handler runs ends the line
                kind = ""
            elif self.ztrap:
                if (origin == level) if self.zt_star else (self.zt_level == level):
                    kind = "zt"
            elif self.etrap and not in_etrap:
                kind = "et"
            if not kind:
                raise e
            if kind == "zt":
                # a location that does not resolve (<NOLINE>, <NOROUTINE>) ends this level
                r: Any = self.zt_target if self.zt_target is not None else self._ztrap_jump()
            else:
                in_etrap = True
                if fr is not None:
                    if fr.traps is None:
                        fr.traps = {}
                    fr.traps["err"] = True
                r = None
            self._handling += 1
            try:
                if kind == "et":
                    r = translate_line(self.etrap, self.debug).fn(self)
                while type(r) is Jump:
                    if fr is not None:
                        fr.routine, fr.label = r.routine, r.label
                    r = r.fn(self)
            except CATCHABLE as e2:
                e = e2
                retried = True
                continue
            finally:
                self._handling -= 1
            if in_etrap and r is None and fr is not None and fr.kind == "$$":
                r = ""
            return r

    def _ztrap_jump(self) -> Jump:
        label, _, rtn = self.ztrap.partition("^")
        offset = 0
        if "+" in label:
            label, _, off = label.partition("+")
            offset = int(V.num(off))
        return self.jump(rtn or None, label, offset)

    def ztrap_cmd(self, v: Any = None) -> None:
        """``ZTRAP``: ``<ZTRAP>``; ``ZTRAP "FRED"``: ``<ZFRED>`` (the first four characters
        of the argument's string value, case kept)."""
        if v is None:
            raise ObjectScriptError("ZTRAP")
        raise ObjectScriptError("Z" + V.to_str(v)[:4])

    def ztrap_zerror(self) -> None:
        """``ZTRAP $ZERROR``: no new error; the error in ``$ZERROR`` goes on to the handler
        of an outer level."""
        z = self.zerror
        code, loc, detail = "ZTRAP", "", ""
        if z.startswith("<") and ">" in z:
            code = z[1:z.index(">")]
            loc, _, detail = z[z.index(">") + 1:].partition(" ")
        raise Rethrown(code, detail, loc, len(self.frames))

    # ================================================================== calls

    def current_routine(self) -> str:
        for fr in reversed(self.frames):
            if fr.routine:
                return fr.routine
        return ""

    def routine(self, name: str) -> RoutineCode:
        """The translated routine ``name`` (translated again when its version changed)."""
        rc = self.routines.get(name)
        if rc is not None and name in self._validated:
            return rc
        loader = self.loader
        version_of = getattr(loader, "version", None)
        if rc is not None and version_of is not None:
            if version_of(name) == rc.version:
                self._validated.add(name)
                return rc
            rc = None
        lines = loader(name)
        if lines is None:
            raise ObjectScriptError("NOROUTINE", f"*{name}")
        version = version_of(name) if version_of is not None else tuple(lines)
        if rc is None or rc.version != version:
            rc = translate_routine(name, lines, version, self.debug, self.code_cache)
            self.routines[name] = rc
        self._validated.add(name)
        return rc

    def invalidate(self, name: str | None = None) -> None:
        """Forget translated routines (all, or one) so the next call reloads them."""
        self._validated.clear()
        if name is None:
            self.routines.clear()
        else:
            self.routines.pop(name, None)

    def call_fn(self, fn: Any, rn: str, label: str, want: bool, proc: bool, *args: Any) -> Any:
        """DO / ``$$`` of a function of translated code (a new stack level)."""
        frames = self.frames
        if len(frames) >= self.max_depth:
            raise ObjectScriptError("FRAMESTACK")
        sym = self.sym
        fr = Frame("$$" if want else "DO", rn, label, len(sym.saved))
        if proc or want:
            fr.test = self.test
        frames.append(fr)
        try:
            try:
                r = fn(self, *args)
                while type(r) is Jump:
                    fr.routine = r.routine
                    fr.label = r.label
                    r = r.fn(self)
            except CATCHABLE as e:
                if not (self.ztrap or self.etrap):
                    raise
                r = self._trap(fr, e)
        finally:
            frames.pop()
            if len(sym.saved) != fr.mark:
                sym.restore(fr.mark)
            if fr.test >= 0:
                self.test = fr.test
            if fr.traps is not None:
                self._leave_traps(fr)
        if fr.traps is not None and "err" in fr.traps and self.ecode:
            self._pass_on()
        if want and r is None:
            raise ObjectScriptError("COMMAND")
        return r

    def call_ext(self, rtn: str | None, label: str, offset: int, want: bool, *args: Any) -> Any:
        """DO / ``$$`` of ``label+offset^rtn`` (``rtn`` empty: the current routine)."""
        name = rtn or self.current_routine()
        if not name:
            raise ObjectScriptError("NOLINE", f"{label}{'+' + str(offset) if offset else ''}")
        if name[0] == "%" and name in NATIVE_ROUTINES:
            r = NATIVE_ROUTINES[name](label, args)
            if want and r is None:
                raise ObjectScriptError("COMMAND")
            return r
        rc = self.routine(name)
        outside = name != self.current_routine()
        if not label and offset == 0:
            label = _first_label(rc)
        fn, proc = rc.entry(label, offset, outside)
        return self.call_fn(fn, name, label, want, proc, *args)

    def call_here(self, label: str, want: bool, *args: Any) -> Any:
        """``DO label`` in code without a routine of its own (a terminal line, an XECUTE or
        ``$ETRAP`` string): the label of the routine running at this level."""
        name = self.current_routine()
        if not name:
            return self.noline(label, "")
        return self.call_ext(name, label, 0, want, *args)

    def jump_here(self, label: str) -> Jump:
        """``GOTO label`` in code without a routine of its own (see ``call_here``)."""
        name = self.current_routine()
        if not name:
            raise ObjectScriptError("NOLINE", f"{label}^")
        return self.jump(name, label, 0)

    def noline(self, label: str, rn: str) -> Any:
        raise ObjectScriptError("NOLINE", f"{label}^{rn or self.current_routine()}")

    def jump(self, rtn: str | None, label: str, offset: int) -> Jump:
        """A GOTO target: ``label+offset^rtn``."""
        name = rtn or self.current_routine()
        if not name:
            raise ObjectScriptError("NOLINE", label)
        rc = self.routine(name)
        if not label and offset == 0:
            label = _first_label(rc)
        fn, _proc = rc.entry(label, offset)
        return Jump(fn, name, label)

    def dot(self, fn: Any) -> Any:
        """Argumentless DO: run a dot block as a new stack level; returns None or a Jump."""
        frames = self.frames
        if len(frames) >= self.max_depth:
            raise ObjectScriptError("FRAMESTACK")
        cur = frames[-1] if frames else None
        sym = self.sym
        fr = Frame("BLOCK", cur.routine if cur else "", cur.label if cur else "", len(sym.saved))
        fr.test = self.test
        frames.append(fr)
        try:
            try:
                r = fn(self)
            except CATCHABLE as e:
                if not (self.ztrap or self.etrap):
                    raise
                r = self._trap(fr, e)
        finally:
            frames.pop()
            if len(sym.saved) != fr.mark:
                sym.restore(fr.mark)
            self.test = fr.test
            if fr.traps is not None:
                self._leave_traps(fr)
        if fr.traps is not None and "err" in fr.traps and self.ecode:
            self._pass_on()
        return r if type(r) is Jump else None

    def xecute(self, code: Any) -> None:
        """XECUTE: the string as a line of code at a new stack level."""
        lc = translate_line(V.to_str(code), self.debug)
        frames = self.frames
        if len(frames) >= self.max_depth:
            raise ObjectScriptError("FRAMESTACK")
        cur = frames[-1] if frames else None
        sym = self.sym
        fr = Frame("XECUTE", cur.routine if cur else "", cur.label if cur else "",
                   len(sym.saved))
        frames.append(fr)
        try:
            try:
                r = lc.fn(self)
                while type(r) is Jump:
                    fr.routine, fr.label = r.routine, r.label
                    r = r.fn(self)
            except CATCHABLE as e:
                if not (self.ztrap or self.etrap):
                    raise
                self._trap(fr, e)
        finally:
            frames.pop()
            if len(sym.saved) != fr.mark:
                sym.restore(fr.mark)
            if fr.traps is not None:
                self._leave_traps(fr)
        if fr.traps is not None and "err" in fr.traps and self.ecode:
            self._pass_on()

    def xind(self, command: str, arg: Any) -> None:
        """Argument indirection (``set @x``, ``do @x``, ``kill @x``…): the command with the
        argument text, run in the current stack level."""
        lc = translate_line(f" {command} {V.to_str(arg)}", self.debug)
        r = lc.fn(self)
        if type(r) is Jump:
            raise ObjectScriptError("COMMAND")

    def call_ind(self, ref: Any, want: bool, *args: Any) -> Any:
        """``do @x(args)`` / ``$$@x(args)``: the entry reference is the value of x."""
        text_ = V.to_str(ref)
        label, _, rtn = text_.partition("^")
        offset = 0
        if "+" in label:
            label, _, off = label.partition("+")
            offset = int(V.num(off))
        return self.call_ext(rtn or None, label, offset, want, *args)

    def goto_ind(self, ref: Any) -> Jump:
        text_ = V.to_str(ref)
        label, _, rtn = text_.partition("^")
        offset = 0
        if "+" in label:
            label, _, off = label.partition("+")
            offset = int(V.num(off))
        return self.jump(rtn or None, label, offset)

    # ------------------------------------------------------------------ classes and objects

    def class_call(self, cls: str, method: str, want: bool, *args: Any) -> Any:
        """``##class(cls).method(args)``: label ``zmethod`` of routine ``cls.1``, or a
        method of a system class."""
        full = _full_class(cls)
        if self.class_hook is not None:
            r = self.class_hook(full, method, args)
            if r is not NotImplemented:
                return r
        return self.objects.class_call(full, method, want, args)

    def this(self) -> Any:
        return self.cur_this

    def sv_this(self) -> Any:
        return self.cur_this

    def prop(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Obj):
            return self.objects.get_prop(obj, name)
        if isinstance(obj, OSException):
            if name in ("Name", "Code", "Location", "Data", "InnerException"):
                return getattr(obj, name)
            raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{obj.__os_class__}")
        getter = getattr(obj, "__os_get__", None)
        if getter is not None:
            return getter(name)
        raise ObjectScriptError("INVALID OREF")

    def set_prop(self, obj: Any, name: str, v: Any) -> None:
        if isinstance(obj, Obj):
            self.objects.set_prop(obj, name, v)
            return
        if isinstance(obj, OSException) and name in ("Name", "Code", "Location", "Data"):
            setattr(obj, name, v)
            return
        setter = getattr(obj, "__os_set__", None)
        if setter is not None:
            setter(name, v)
            return
        raise ObjectScriptError("INVALID OREF")

    def method(self, obj: Any, name: str, *args: Any) -> Any:
        """``obj.name(args)`` where a value is wanted."""
        return self._method(obj, name, True, args)

    def do_method(self, obj: Any, name: str, *args: Any) -> Any:
        """``DO obj.name(args)``: no value needed."""
        return self._method(obj, name, False, args)

    def _method(self, obj: Any, name: str, want: bool, args: tuple[Any, ...]) -> Any:
        if isinstance(obj, Obj):
            return self.objects.call_method(obj, name, want, args)
        if isinstance(obj, OSException):
            fn = {"DisplayString": obj.DisplayString, "AsStatus": obj.AsStatus,
                  "Log": obj.Log}.get(name)
            if fn is None:
                raise ObjectScriptError("METHOD DOES NOT EXIST", f"*{name},{obj.__os_class__}")
            return fn(*args)
        invoker = getattr(obj, "__os_call__", None)
        if invoker is not None:
            return invoker(name, *args)
        raise ObjectScriptError("INVALID OREF")

    def rel_method(self, name: str, want: bool, *args: Any) -> Any:
        """``..name(args)``: a method of ``$THIS``."""
        return self.objects.rel_method(name, want, args)

    def super_call(self, want: bool, *args: Any) -> Any:
        """``##super(args)``."""
        return self.objects.super_call(want, args)

    def ivar(self, name: str) -> Any:
        """``i%name``."""
        return self.objects.ivar(name)

    def set_ivar(self, name: str, v: Any) -> None:
        self.objects.set_ivar(name, v)

    def md(self, obj: Any, name: str) -> Node:
        """``obj.name(subs)``: the array of a multidimensional property, a ``Node``."""
        return self.objects.md_node(obj, name)

    def md_this(self, name: str) -> Node:
        """``..name(subs)`` / ``i%name(subs)``: the array of ``$THIS``'s property."""
        return self.objects.md_this(name)

    def param(self, target: Any, name: str) -> Any:
        """``..#name`` (target ``$THIS``) / ``##class(C).#name``."""
        return self.objects.param(target, name)

    def json(self, spec: Any) -> Any:
        """A JSON literal ``{…}`` / ``[…]`` of the code."""
        from compiler_stub.runtime.dynamic import build  # noqa: PLC0415
        return build(self, spec)

    # ------------------------------------------------------------------ arguments

    def variadic(self, node: Node) -> list[Any]:
        """``f(args...)``: the values args(1..args)."""
        n = node.value
        if n is MISSING:
            return []
        out = []
        for i in range(1, int(V.num(n)) + 1):
            v = node.get_or((str(i),), MISSING)
            out.append(MISSING_ARG if v is MISSING else v)
        return out

    @staticmethod
    def fill_variadic(node: Node, args: tuple[Any, ...]) -> None:
        node.value = len(args)
        for i, a in enumerate(args, 1):
            if type(a) is ByRef:
                a = a.node.value
            if a is not MISSING_ARG and a is not MISSING:
                node.set((str(i),), a)

    @staticmethod
    def lb_var(node: Node) -> Any:
        v = node.value
        return None if v is MISSING else v

    # ================================================================== variables

    def g(self, name: str) -> Any:
        return self.gstore.glob(name)

    def nk(self, node: Any, subs: tuple[str, ...]) -> tuple[str, ...]:
        """A reference to global ``node`` with ``subs`` is made: it becomes
        ``$ZREFERENCE`` and, subscripted, the naked indicator (RCOS_vzreference: every
        global argument of a command or function, the rightmost last, even when the
        reference then fails)."""
        self.zr = (node, subs)
        return subs

    def nk1(self, name: str, s: str) -> str:
        """``nk`` for ``^name(s)`` of the current namespace (the translator's one-subscript
        fast paths, which record the name: the node is looked up when needed)."""
        self.zr = (name, (s,))
        return s

    def naked(self, subs: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        """``^(subs)``: the global of the naked indicator with its subscripts but the last,
        then ``subs`` (GGBL_using_mru "Naked Global Reference"); the reference made becomes
        the naked indicator. ``<NAKED>`` while it is undefined: nothing referenced yet, an
        unsubscripted last reference (ANSI M), a namespace change or ``SET $ZR=""``."""
        node, full = self.naked_ref(subs)
        self.zr = (node, full)
        return node, full

    def naked_ref(self, subs: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        """What ``^(subs)`` refers to, the naked indicator unchanged (``$NAME``)."""
        zr = self.zr
        if zr is None or not zr[1]:
            raise ObjectScriptError("NAKED")
        node = zr[0]
        if type(node) is str:   # a fast path's record: the current namespace's global
            node = self.gstore.glob(node)
        return node, zr[1][:-1] + subs

    def gext(self, env: Any, name: str, form: str = "|") -> Any:
        """``^|env|name`` (``form`` "|") / ``^[env]name`` (``form`` "[")."""
        return self._extended(name, form, (V.to_str(env),))

    def gext2(self, env: Any, system: Any, name: str) -> Any:
        """``^[env,system]name``: process-private for ``["^",""]``, else an implied
        namespace (a directory on a system)."""
        return self._extended(name, "[", (V.to_str(env), V.to_str(system)))

    def _extended(self, name: str, form: str, env: tuple[str, ...]) -> Any:
        """The node of an extended reference (see ``globalrefs``): a process-private
        global, the current namespace's global (``""``), or another namespace's through
        ``open_namespace`` (``<NAMESPACE>`` when there is none); an implied namespace (a
        directory: ``"^^dir"``, ``["dir","system"]``) is the host's: ``<PROTECT>``."""
        prefix = ppg_prefix(form, env)
        if prefix is not None:
            return self.ppg(name, prefix)
        ns = env[0].upper()
        if len(env) > 1 or ns.startswith("^"):
            raise ObjectScriptError("PROTECT", "*the sandbox gives no access to the host's "
                                    "directories")
        if ns == "":
            return self.gstore.glob(name)
        key = (ns, name)
        node = self._ext.get(key)
        if node is None:
            if ns == self.namespace:
                store = self.gstore
            else:
                opener = self.open_namespace
                store = opener(ns) if opener is not None else None
                if store is None:
                    raise ObjectScriptError("NAMESPACE", f"*{ns}")
            node = self._ext[key] = ExtendedGlobal(store.glob(name), ns)
        return node

    def ppg(self, name: str, prefix: str = PPG_PREFIX) -> Node:
        """``^||name``: the process's own tree, shown with the prefix it was first used
        with (RCOS_vzreference); not a namespace's, so untouched by a namespace switch,
        TROLLBACK and argumentless KILL/NEW/ZWRITE (GCOS_ppg)."""
        node = self.ppgs.get(name)
        if node is None:
            node = self.ppgs[name] = Node(prefix + name)
        return node

    def ind_ref(self, name_value: Any, extra: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        """Name indirection: the (node, subscripts) a name string refers to (a global one
        becomes ``$ZREFERENCE``)."""
        text_ = V.to_str(name_value)
        node, subs = _parse_ref(self, text_)
        subs += extra
        if text_.startswith("^"):
            self.zr = (node, subs)
        return node, subs

    def name_of(self, node: Any, subs: tuple[str, ...]) -> str:
        name = node.name if isinstance(node.name, str) else ""
        return format_ref(name, subs)

    @staticmethod
    def gname_of(name: str, subs: tuple[str, ...]) -> str:
        return format_ref("^" + name, subs)

    def kill_all(self, keep: tuple[str, ...]) -> None:
        self.sym.kill_all(keep)

    def new_all(self, keep: tuple[str, ...]) -> None:
        self.sym.new_all_except(keep)

    def new_special(self, name: str) -> None:
        """NEW of a special variable: ``$ETRAP`` (the new copy keeps the value),
        ``$ESTACK`` (counts from 0 again), ``$NAMESPACE``, ``$ROLES``; others ``<SYNTAX>``."""
        if name in ("$ET", "$ETRAP", "$ES", "$ESTACK"):
            if self.frames:
                self._save_trap(self.frames[-1], "et" if name in ("$ET", "$ETRAP") else "es")
            if name in ("$ES", "$ESTACK"):
                self.estack_base = len(self.frames)
            return
        if name in ("$NAMESPACE", "$ROLES"):
            return
        raise ObjectScriptError("SYNTAX")

    def rebind(self, name: str) -> Rebound:
        """A FOR loop's variable when the body may NEW it: looked up at every step."""
        return Rebound(self.sym, name)

    def data_target(self, n: Any, s: tuple[str, ...], tn: Any, ts: tuple[str, ...]) -> int:
        d = n.data(s)
        if d % 2:
            tn.set(ts, n.get(s))
        return int(d)

    @staticmethod
    def order(n: Any, s: tuple[str, ...], d: Any = 1) -> str:
        if not s:
            raise ObjectScriptError("FUNCTION")
        return str(n.order(s, d))

    @staticmethod
    def order_target(n: Any, s: tuple[str, ...], d: Any, tn: Any, ts: tuple[str, ...]) -> str:
        if not s:
            raise ObjectScriptError("FUNCTION")
        nxt = n.order(s, d)
        if nxt != "":
            v = n.get_or(s[:-1] + (nxt,), MISSING)
            if v is not MISSING:
                tn.set(ts, v)
        return str(nxt)

    def query(self, n: Any, s: tuple[str, ...], d: Any = 1) -> str:
        r = n.query(s, d)
        if r is None:
            return ""
        return format_ref(n.name, r)

    def query_target(self, n: Any, s: tuple[str, ...], d: Any, tn: Any,
                     ts: tuple[str, ...]) -> str:
        r = n.query(s, d)
        if r is None:
            return ""
        tn.set(ts, n.get(r))
        return format_ref(n.name, r)

    def listnext(self, lst: Any, pn: Any, ps: tuple[str, ...], vn: Any,
                 vs: tuple[str, ...]) -> int:
        from compiler_stub.runtime.lists import listnext  # noqa: PLC0415
        ptr = pn.get(ps)
        ok, newptr, value = listnext(lst, ptr)
        pn.set(ps, newptr)
        if ok:
            from compiler_stub.runtime.lists import UNDEF  # noqa: PLC0415
            if value is UNDEF or value is None:
                vn.kill(vs)
            else:
                vn.set(vs, value)
        return ok

    # ================================================================== FOR

    @staticmethod
    def for_range(node: Node, start: Any, step: Any, end: Any, modifies: bool) -> Iterator[Any]:
        s, st, e = V.num(start), V.num(step), V.num(end)
        if not modifies and type(s) is int and type(st) is int and type(e) is int:
            if st > 0:
                return iter(range(s, e + 1, st))
            if st < 0:
                return iter(range(s, e - 1, st))
            return itertools.repeat(s) if s <= e else iter(())
        return _for_gen(node, s, st, e, modifies)

    @staticmethod
    def for_open(node: Node, start: Any, step: Any, modifies: bool) -> Iterator[Any]:
        s, st = V.num(start), V.num(step)
        if not modifies and type(s) is int and type(st) is int:
            return itertools.count(s, st)
        return _for_gen(node, s, st, None, modifies)

    @staticmethod
    def for_list(node: Any, subs: tuple[str, ...], specs: tuple[Any, ...]) -> Iterator[Any]:
        for spec in specs:
            if len(spec) == 1:
                yield spec[0]()
                continue
            v = V.num(spec[0]())
            st = V.num(spec[1]())
            e = V.num(spec[2]()) if len(spec) > 2 else None
            while True:
                if e is not None and ((V.truth(V.ge(st, 0)) and V.truth(V.gt(v, e))) or
                                      (V.truth(V.lt(st, 0)) and V.truth(V.lt(v, e)))):
                    break
                yield v
                v = V.add(node.get(subs), st)

    # ================================================================== devices

    def w(self, v: Any) -> None:
        s = v if type(v) is str else V.to_str(v)
        if not s:
            return
        self.device.write(s)
        if _CTRL.isdisjoint(s):
            self.x += len(s)
        else:
            self._track(s)

    def _track(self, s: str) -> None:
        x, y = self.x, self.y
        for ch in s:
            if ch == "\r":
                x = 0
            elif ch == "\n":
                y += 1
            elif ch == "\f":
                x = y = 0
            elif ch == "\b":
                x = max(0, x - 1)
            elif ch >= " " or ch == "\t":
                x += 1
        self.x, self.y = x, y

    def nl(self) -> None:
        self.device.write("\r\n")
        self.x = 0
        self.y += 1

    def ff(self) -> None:
        self.device.write("\r\f")
        self.x = 0
        self.y = 0

    def tab(self, n: Any) -> None:
        col = int(V.num(n))
        if col > self.x:
            self.device.write(" " * (col - self.x))
            self.x = col

    def wchar(self, n: Any) -> None:
        code = int(V.num(n))
        if code >= 0:
            self.device.write(chr(code))

    def read(self, maxlen: Any, timeout: Any, single: bool) -> Any:
        t = None if timeout is None else float(V.num(timeout))
        m = None if maxlen is None else int(V.num(maxlen))
        s = self.device.read("", m, t, single)
        if t is not None:
            self.test = 0 if s is None else 1
        if single:
            return -1 if not s else ord(s[0])
        s = s or ""
        self.x += len(s)
        return s

    def hang(self, seconds: Any) -> None:
        t = float(V.num(seconds))
        flush = getattr(self.device, "flush", None)
        if flush is not None:  # what was written shows before the process waits
            flush()
        if t > 0:
            time.sleep(t)

    def halt(self) -> None:
        raise Halt

    def zwrite(self, node: Any, subs: tuple[str, ...]) -> None:
        from compiler_stub.runtime.variables import zwrite_value  # noqa: PLC0415
        name = node.name
        last: tuple[str, ...] | None = None
        for rel, v in node.walk(subs):
            last = rel
            self.w(format_ref(name, subs + rel) + "=" + zwrite_value(v))
            self.nl()
        if last is not None and name.startswith("^"):
            # RCOS_vzreference: after a ZWRITE, $ZREFERENCE is the last node listed
            self.zr = (node, subs + last)

    def zwrite_value(self, v: Any) -> None:
        from compiler_stub.runtime.variables import zwrite_value  # noqa: PLC0415
        self.w(zwrite_value(v))
        self.nl()

    def zwrite_all(self, privates: dict[str, Node] | None = None) -> None:
        found: dict[str, Node] = {k: n for k, n in self.sym.vars.items() if n.data(())}
        if privates:
            found.update({k: n for k, n in privates.items() if n.data(())})
        for name in sorted(found):
            for line in zwrite_lines(name, found[name]):
                self.w(line)
                self.nl()

    # ================================================================== special variables

    def set_test(self, v: Any) -> None:
        self.test = 1 if V.truth(v) else 0

    def set_x(self, v: Any) -> None:
        n = int(V.num(v))
        if n < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        self.x = n

    def set_y(self, v: Any) -> None:
        n = int(V.num(v))
        if n < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        self.y = n

    def set_zerror(self, v: Any) -> None:
        self.zerror = V.to_str(v)

    def set_ecode(self, v: Any) -> None:
        s = V.to_str(v)
        self.ecode = s
        if s:
            raise EcodeError(s)

    def set_ztrap(self, v: Any, rn: str = "",
                  jumps: dict[str, tuple[Jump, str]] | None = None) -> None:
        """``SET $ZTRAP``: ``location``, ``*location`` or "" (off). ``rn`` is the routine of
        the code that sets it (a bare label is one of its labels); ``jumps`` the private
        labels of the procedure that sets it (None outside procedures)."""
        s = V.to_str(v)
        star = s.startswith("*")
        loc = s[1:] if star else s
        target: Jump | None = None
        shown = loc
        if loc and jumps is not None:
            # a procedure: only its own labels, never "*" (RCOS_vztrap, "Location")
            if star or "^" in loc:
                raise ObjectScriptError("SYNTAX")
            hit = jumps.get(loc)
            if hit is not None:
                target, shown = hit
        elif loc and rn and "^" not in loc:
            shown = f"{loc}^{rn}"
        frames = self.frames
        if frames:
            self._save_trap(frames[-1], "zt")
        self.ztrap, self.zt_star, self.zt_level, self.zt_target = (
            shown, star and bool(loc), len(frames), target)
        if loc and self.etrap:
            # $ZTRAP takes precedence: an implicit NEW $ETRAP, then $ETRAP=""
            if frames:
                self._save_trap(frames[-1], "et")
            self.etrap = ""

    def set_etrap(self, v: Any) -> None:
        self.etrap = V.to_str(v)

    def set_key(self, v: Any) -> None:
        self.key = V.to_str(v)

    def set_zstorage(self, v: Any) -> None:
        return None

    def set_namespace(self, v: Any) -> None:
        ns = V.to_str(v).upper()
        if ns == self.namespace:
            return
        store = self.switch_namespace(ns) if self.switch_namespace is not None else None
        if store is None:
            raise ObjectScriptError("NAMESPACE", f"*{ns}")
        self.gstore = store
        self.namespace = ns
        # GGBL_using_mru: changing namespaces reinitializes the naked indicator
        self.zr = None
        self._ext.clear()

    @property
    def tlevel(self) -> int:
        return int(getattr(self.gstore, "tlevel", 0) or 0)

    def tstart(self) -> None:
        self.gstore.tstart()

    def tcommit(self) -> None:
        if self.tlevel == 0:
            raise ObjectScriptError("COMMAND")
        self.gstore.tcommit()

    def trollback(self) -> None:
        self.gstore.trollback()

    @staticmethod
    def sv_horolog() -> str:
        return horolog()

    @staticmethod
    def sv_ztimestamp() -> str:
        return ztimestamp()

    def sv_zversion(self) -> str:
        return self.zversion

    def sv_stack(self) -> int:
        return len(self.frames)

    def sv_zpos(self) -> str:
        lines = self.stack_lines()
        if not lines:
            return ""
        rtn, label, off, _row = lines[0]
        return _format_loc(rtn, label, off)

    def sv_zname(self) -> str:
        return self.current_routine()

    def sv_quit(self) -> int:
        fr = self.frames[-1] if self.frames else None
        return 1 if fr is not None and fr.kind == "$$" else 0

    @staticmethod
    def sv_zhorolog() -> Any:
        return V.num(f"{time.monotonic():.6f}")

    def sv_estack(self) -> int:
        return len(self.frames) - self.estack_base

    @staticmethod
    def sv_ztimezone() -> int:
        return int(time.timezone / 60)

    def sv_zjob(self) -> int:
        return 1

    @staticmethod
    def sv_zpi() -> Any:
        return V.num("3.141592653589793238")

    @staticmethod
    def sv_zeof() -> int:
        return 0

    def sv_zreference(self) -> str:
        """``$ZREFERENCE``: the last global reference in full (a naked one expanded), in
        extended form when it was to another namespace (RCOS_vzreference)."""
        zr = self.zr
        if zr is None:
            return ""
        node, subs = zr
        if type(node) is str:   # a fast path's record: the current namespace's global
            return format_ref("^" + node, subs)
        name = node.name
        if type(node) is ExtendedGlobal and node.namespace == self.namespace:
            name = node.plain
        return format_ref(name, subs)

    def set_zreference(self, v: Any) -> None:
        """``SET $ZREFERENCE``: "" makes the naked indicator undefined (GGBL_using_mru); a
        global reference becomes the naked indicator without referring to the global;
        anything else is ``<SYNTAX>``."""
        text_ = V.to_str(v)
        if text_ == "":
            self.zr = None
            return
        if not text_.startswith("^"):
            raise ObjectScriptError("SYNTAX")
        self.zr = _parse_ref(self, text_)

    @staticmethod
    def sv_zchild() -> int:
        return 0

    @staticmethod
    def sv_zparent() -> int:
        return 0

    @staticmethod
    def sv_zmode() -> str:
        return "RY\\Latin1\\K\\UTF8\\"

    @staticmethod
    def sv_zstorage() -> int:
        return 262144

    @staticmethod
    def sv_roles() -> str:
        return "%All"

    @staticmethod
    def sv_system() -> str:
        return "localhost:IRIS"

    def sv_zu(self) -> str:
        raise ObjectScriptError("SYNTAX")

    def sv_zexception(self) -> str:
        return ""

    # ------------------------------------------------------------------ other functions

    def text(self, label: str, offset: int, rtn: str | None) -> str:
        """``$TEXT(label+offset^rtn)``: the source line ("" when there is none)."""
        name = rtn or self.current_routine()
        if not name:
            return ""
        try:
            rc = self.routine(name)
        except ObjectScriptError:
            return ""
        if label:
            base = rc.label_rows.get(label)
            if base is None:
                return ""
            row = base + offset
        else:
            if offset == 0:
                return name
            row = offset
        if 1 <= row <= len(rc.source):
            line = rc.source[row - 1]
            return line.replace("\t", " ", 1) if line.startswith("\t") else line
        return ""

    def fn_classmethod(self, cls: Any, method: Any, *args: Any) -> Any:
        return self.class_call(V.to_str(cls), V.to_str(method), True, *args)

    def fn_classname(self, *args: Any) -> str:
        from compiler_stub.runtime.objects import classname  # noqa: PLC0415
        return classname(self, args[0] if args and args[0] is not None else None)

    def fn_isobject(self, v: Any = "") -> int:
        return 0 if isinstance(v, (str, int, float)) or type(v).__name__ == "Decimal" else 1

    def fn_property(self, obj: Any, name: Any = "", *subs: Any) -> Any:
        """``$PROPERTY(oref, name, subs...)`` (no oref: ``$THIS``; subscripts index a
        multidimensional property, ``<OBJECT DISPATCH>`` for any other: RCOS_fproperty)."""
        if obj is None:
            obj = self.cur_this
        if subs:
            return self.objects.md_node(obj, V.to_str(name)).get(md_subs(subs))
        return self.prop(obj, V.to_str(name))

    def set_fn_property(self, obj: Any, name: Any, v: Any, *subs: Any) -> None:
        """``SET $PROPERTY(oref, name, subs...) = v``."""
        if obj is None:
            obj = self.cur_this
        if subs:
            self.objects.md_node(obj, V.to_str(name)).set(md_subs(subs), v)
            return
        self.set_prop(obj, V.to_str(name), v)

    def fn_method(self, obj: Any, name: Any = "", *args: Any) -> Any:
        """``$METHOD(oref, name, args…)`` (a class name instead of an oref: a class method)."""
        if isinstance(obj, str):
            return self.class_call(obj, V.to_str(name), True, *args)
        return self._method(obj, V.to_str(name), True, args)

    def do_fn_method(self, obj: Any, name: Any = "", *args: Any) -> None:
        """``DO $METHOD(oref, name, args…)``: no value wanted."""
        if isinstance(obj, str):
            self.class_call(obj, V.to_str(name), False, *args)
        else:
            self._method(obj, V.to_str(name), False, args)

    def do_fn_classmethod(self, cls: Any, method: Any, *args: Any) -> None:
        """``DO $CLASSMETHOD(class, name, args…)``: no value wanted."""
        self.class_call(V.to_str(cls), V.to_str(method), False, *args)

    def fn_parameter(self, target: Any, name: Any = "") -> Any:
        """``$PARAMETER(oref or class, name)``."""
        return self.objects.param(target, V.to_str(name))

    def fn_stack(self, *args: Any) -> Any:
        if not args:
            return len(self.frames)
        level = int(V.num(args[0]))
        if level == -1:
            return len(self.frames)
        if len(args) == 1:
            if level == 0:
                return "JOB"
            fr = self.frames[level - 1] if 0 < level <= len(self.frames) else None
            return {"DO": "DO", "$$": "$$", "XECUTE": "XECUTE", "BLOCK": "DO"}.get(
                fr.kind, "") if fr else ""
        what = V.to_str(args[1]).upper()
        lines = list(reversed(self.stack_lines()))
        if what == "PLACE" and 0 < level <= len(lines):
            rtn, lab, off, _ = lines[level - 1]
            return _format_loc(rtn, lab, off) + " +1"
        return ""

    def fn_xecute(self, code: Any, *args: Any) -> Any:
        raise ObjectScriptError("UNIMPLEMENTED", "$XECUTE")

    def _unimplemented(self, *args: Any) -> Any:
        raise ObjectScriptError("UNIMPLEMENTED")

    fn_zu = fn_system = _unimplemented
    fn_zboolean = fn_zsearch = fn_ztrap = fn_zf = fn_view = fn_zseek = _unimplemented

    # -- the sandbox: no access to the host ------------------------------------------------
    def _protected(self, *args: Any) -> Any:
        """Host access (files, processes, the network, ``$ZF``, ``$VIEW``): refused."""
        raise ObjectScriptError("PROTECT", "*the sandbox gives no access to the host")

    fn_zf = fn_zsearch = fn_view = fn_zu = _protected

    def lock_cmd(self, op: str, refs: list[tuple[Any, ...]], timeout: Any) -> None:
        """LOCK through the namespace's lock table (shared by every process of the
        namespace): ``+`` adds, ``-`` releases one level, "" releases this process's locks
        and takes these (a list all or none); each ref is ``(name, subs, locktype)``, the
        lock type's letters (``S`` shared, ``E`` escalating, ``I``/``D`` immediate or
        deferred release) for the store to read; with a timeout ``$TEST`` says whether they
        were taken."""
        store = self.gstore
        if op == "-":
            store.unlock(refs)
            return
        if not refs:
            store.unlock_all()
            return
        seconds = None if timeout is None else max(0.0, float(V.num(timeout)))
        got = store.lock(refs, incremental=op == "+", timeout=seconds)
        if timeout is not None:
            self.test = 1 if got else 0

    def lock_name(
        self, name_value: Any, extra: tuple[str, ...], locktype: Any
    ) -> tuple[str, tuple[str, ...], Any]:
        """Name indirection in LOCK (``lock +@x``, ``lock -@x@(1)#"S"``): the lock name
        the string names, ``^g`` for a global (an extended reference locks the global's
        plain name, as a direct one does) or a local name, with its subscripts."""
        text_ = V.to_str(name_value).strip()
        node, subs = _parse_ref(self, text_)
        if text_.startswith("^"):
            name = V.to_str(getattr(node, "plain", node.name))
        else:
            name = text_.split("(", 1)[0]
        return name, subs + extra, locktype

    def lock_ind(self, arg: Any) -> None:
        """``LOCK @x``: the value of x is the command's argument list (``^A(1)``,
        ``+(^A,^B#"S"):5``, ``-^C``); an empty one is ``<SYNTAX>`` rather than an
        argumentless LOCK."""
        if not V.to_str(arg).strip():
            raise ObjectScriptError("SYNTAX")
        self.xind("lock", arg)

    def device_cmd(self, command: str, device: Any) -> None:
        """OPEN / USE / CLOSE: the principal device (the terminal) only; any other device
        (a file, a TCP connection, a pipe to a program) is the host's: ``<PROTECT>``."""
        name = V.to_str(device)
        if name in ("", "0", self.principal, self.io, "|TRM|"):
            if command == "OPEN":
                self.test = 1
            return
        raise ObjectScriptError("PROTECT", f"*{command} {name}")


# --------------------------------------------------------------------------- helpers

#: ANSI M error codes for $ECODE (",M9," for a division by zero); other errors ",Z<NAME>,"
_ECODES = {"DIVIDE": 9}


def _ecode(err: ObjectScriptError) -> str:
    if err.code == "UNDEFINED":
        return ",M7," if err.detail.startswith("^") else ",M6,"
    n = _ECODES.get(err.code)
    return f",M{n}," if n is not None else f",Z{err.code},"


def _format_loc(routine: str, label: str, offset: int) -> str:
    if not routine:
        return ""
    if offset:
        return f"{label}+{offset}^{routine}"
    return f"{label}^{routine}"


def _first_label(rc: RoutineCode) -> str:
    """The label at the top of a routine (``DO ^rtn`` starts there)."""
    if "" in rc.labels:
        return ""
    rows = sorted(rc.label_rows.items(), key=lambda kv: kv[1])
    return rows[0][0] if rows else ""


def _full_class(cls: str) -> str:
    if cls.startswith("%") and "." not in cls:
        return "%Library." + cls[1:]
    return cls


def _for_gen(node: Node, s: Any, st: Any, e: Any, modifies: bool) -> Iterator[Any]:
    v = s
    up = V.truth(V.ge(st, 0))
    while True:
        if e is not None and (V.truth(V.gt(v, e)) if up else V.truth(V.lt(v, e))):
            return
        yield v
        if modifies:
            cur = node.value
            if cur is MISSING:
                raise ObjectScriptError("UNDEFINED", "*" + (node.name or ""))
            v = V.add(cur, st)
        else:
            v = V.add(v, st)


def _parse_ref(p: Process, text_: str) -> tuple[Any, tuple[str, ...]]:
    """Resolve a name string (``x``, ``x(1,"a")``, ``^g(2)``) to (node, subscripts)."""
    n, s = translate_ref(text_)(p)
    return n, s
