"""Run-time records shared by the translated code and the process: stack frames, jumps,
by-reference arguments, the exception object a CATCH receives, and the symbol table of
public variables.

A ``Frame`` is pushed for every DO, ``$$``, XECUTE and argumentless DO; it records where the
frame entered (routine, label) and how to undo its NEWs. The line a frame is executing is not
tracked on the normal path (that would cost a store per command): it is recovered from the
Python frames of the translated code (``Process.stack_lines``), whose code objects carry a
line table mapping generated lines back to ``label+offset^routine``. A debugger build adds a
hook call per command instead.
"""

from __future__ import annotations

from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.variables import Node

#: IRIS error numbers for the ``Code`` property of a system exception (``$SYSTEM.Error``).
ERROR_NUMBERS = {
    "DIVIDE": 18, "UNDEFINED": 9, "SUBSCRIPT": 8, "SYNTAX": 2, "FUNCTION": 7,
    "COMMAND": 3, "MAXSTRING": 23, "NOLINE": 12, "NOROUTINE": 16, "FRAMESTACK": 5,
    "INTERRUPT": 1, "PARAMETER": 28, "ILLEGAL VALUE": 31, "MAXNUMBER": 20,
    "INVALID OREF": 82, "CLASS DOES NOT EXIST": 122, "METHOD DOES NOT EXIST": 123,
    "PROPERTY DOES NOT EXIST": 124, "THROW": 88, "NAMESPACE": 10, "STORE": 6,
    "UNIMPLEMENTED": 32, "LIST": 52, "WRONG TYPE": 84,
}

#: Python exceptions that are mapped to ObjectScript errors where the code catches them.
PYTHON_ERRORS = (ZeroDivisionError, RecursionError, KeyboardInterrupt, MemoryError,
                 OverflowError, ArithmeticError)


class Missing:
    """An omitted actual argument (``do f(1,,3)``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


class ByRef:
    """An actual argument passed by reference (``.x``): the caller's variable node."""

    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node


class Jump:
    """A GOTO (or fall-through) target: returned by a label function, followed by the
    trampoline of the frame that called it."""

    __slots__ = ("fn", "routine", "label")

    def __init__(self, fn: Any, routine: str, label: str) -> None:
        self.fn = fn
        self.routine = routine
        self.label = label


class Frame:
    """One level of the ObjectScript stack ($STACK)."""

    __slots__ = ("kind", "routine", "label", "mark", "test", "privates", "traps")

    def __init__(self, kind: str, routine: str, label: str, mark: int) -> None:
        self.kind = kind            # "DO", "$$", "XECUTE", "BLOCK" (argumentless DO), "LINE"
        self.routine = routine
        self.label = label
        self.mark = mark            # Symtab.mark() at entry: NEWs to undo on exit
        self.test = -1              # saved $TEST to restore on exit, -1 for none
        self.privates: dict[str, Node] | None = None
        #: error-trap state of this level, None for none (the common case): the values of
        #: $ZTRAP ("zt"), $ETRAP ("et") and $ESTACK's base ("es") to restore when the level
        #: ends, and "err" once a $ETRAP handler ran here (its QUIT passes the error on)
        self.traps: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Frame({self.kind} {self.label}^{self.routine})"


class Rebound:
    """A public variable looked up by name at every use: the node a FOR loop steps when its
    body may NEW the loop variable (the loop then steps the variable the body sees)."""

    __slots__ = ("sym", "name")

    def __init__(self, sym: Symtab, name: str) -> None:
        self.sym = sym
        self.name = name

    @property
    def value(self) -> Any:
        return self.sym.node(self.name).value

    @value.setter
    def value(self, v: Any) -> None:
        self.sym.node(self.name).value = v

    def get(self, subs: tuple[str, ...]) -> Any:
        return self.sym.node(self.name).get(subs)

    def set(self, subs: tuple[str, ...], v: Any) -> None:
        self.sym.node(self.name).set(subs, v)


class Symtab:
    """The public local variables of a process: name -> ``Node``, with NEW as a stack of
    saved bindings. KILL empties nodes in place, so translated code may keep a node it
    fetched until the next NEW in the same frame."""

    __slots__ = ("vars", "saved")

    def __init__(self) -> None:
        self.vars: dict[str, Node] = {}
        self.saved: list[tuple[str, Node | None]] = []

    def node(self, name: str) -> Node:
        n = self.vars.get(name)
        if n is None:
            n = self.vars[name] = Node(name)
        return n

    def lookup(self, name: str) -> Node | None:
        return self.vars.get(name)

    def mark(self) -> int:
        return len(self.saved)

    def new(self, names: list[str] | tuple[str, ...]) -> None:
        for name in names:
            self.saved.append((name, self.vars.get(name)))
            self.vars[name] = Node(name)

    def bind(self, name: str, node: Node) -> None:
        """NEW ``name`` and make it an alias of ``node`` (a by-reference formal)."""
        self.saved.append((name, self.vars.get(name)))
        self.vars[name] = node

    def new_all_except(self, keep: list[str] | tuple[str, ...]) -> None:
        for name in [n for n in self.vars if n not in keep and not _is_system(n)]:
            self.saved.append((name, self.vars.get(name)))
            self.vars[name] = Node(name)

    def restore(self, mark: int) -> None:
        saved, vars_ = self.saved, self.vars
        while len(saved) > mark:
            name, old = saved.pop()
            if old is None:
                vars_.pop(name, None)
            else:
                vars_[name] = old

    def kill_all(self, keep: tuple[str, ...] = ()) -> None:
        for name, n in self.vars.items():
            if name not in keep:
                n.kill(())

    def defined(self) -> list[tuple[str, Node]]:
        """Variables with a value or descendants, in name order (ZWRITE)."""
        return sorted(((k, n) for k, n in self.vars.items() if n.data(())), key=lambda x: x[0])


def _is_system(name: str) -> bool:
    return False


class OSException:
    """The object a CATCH variable receives (a stand-in for ``%Exception.SystemException`` /
    ``%Exception.General`` until objects exist): properties Name, Code, Location, Data and
    methods AsStatus, DisplayString, Log."""

    __os_class__ = "%Exception.General"

    def __init__(self, name: Any = "", code: Any = "", location: Any = "", data: Any = "",
                 cls: str = "%Exception.General") -> None:
        self.Name = name
        self.Code = code
        self.Location = location
        self.Data = data
        self.InnerException = ""
        self.__os_class__ = cls

    @classmethod
    def from_error(cls, err: ObjectScriptError) -> OSException:
        return cls(f"<{err.code}>", ERROR_NUMBERS.get(err.code, 0), err.location, err.detail,
                   "%Exception.SystemException")

    def DisplayString(self, level: Any = 0) -> str:  # noqa: N802 - ObjectScript method name
        """``Name Code Location Data`` as IRIS joins them."""
        from compiler_stub.runtime.values import to_str  # noqa: PLC0415
        return " ".join(to_str(x) for x in (self.Name, self.Code, self.Location, self.Data))

    def AsStatus(self) -> str:  # noqa: N802 - ObjectScript method name
        from compiler_stub.runtime import lists  # noqa: PLC0415 - avoid a cycle at import
        return "0 " + lists.listbuild(lists.listbuild(5002, self.DisplayString()))

    def Log(self) -> int:  # noqa: N802 - ObjectScript method name
        return 1

    def __os_str__(self) -> str:
        return f"{id(self) % 1000}@{self.__os_class__}"

    def to_error(self) -> ObjectScriptError:
        """The error this exception stands for when it leaves the process uncaught."""
        name = str(self.Name)
        if name.startswith("<") and ">" in name:
            return ObjectScriptError(name[1:name.index(">")], str(self.Data), str(self.Location))
        err = ObjectScriptError("THROW", f"{self.DisplayString()}")
        return err


class ThrownObject(Exception):
    """A THROW of an object travelling through Python."""

    def __init__(self, obj: Any) -> None:
        super().__init__(obj)
        self.obj = obj


#: every exception of translated code that TRY/CATCH or an error trap handles
CATCHABLE: tuple[type[BaseException], ...] = (ObjectScriptError, ThrownObject) + PYTHON_ERRORS


class EcodeError(ObjectScriptError):
    """``SET $ECODE=",U1,"``: ``<ECODETRAP>``, with ``$ECODE`` the value the code set."""

    def __init__(self, ecode: str) -> None:
        super().__init__("ECODETRAP")
        self.ecode = ecode


class Rethrown(ObjectScriptError):
    """``ZTRAP $ZERROR``: the error in ``$ZERROR`` passed on to the handler of an outer
    level (``level``: the stack level whose handler it skips)."""

    def __init__(self, code: str, detail: str, location: str, level: int) -> None:
        super().__init__(code, detail, location)
        self.level = level
