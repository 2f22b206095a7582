"""The records of the object model: classes (``RClass``), objects (``Obj``), the registry of
the system classes implemented in Python, and the argument helpers their methods use.

A class is the same record whether it comes from a class text of the workspace (members read
with ``compiler_stub.reading``; method bodies are labels ``z<Method>`` of ``<Class>.1.int``) or
is a system class written here in Python (``native``: its methods are Python callables
``fn(P, this, *args)``, where ``this`` is the object, or the class name for a class method).

An object is an ``Obj``: its class, its property values by name and its oref number. Numbers are
the lowest free ones, as IRIS hands them out, and come back when Python frees the object (the
reference count stands in for IRIS's own). ``values.to_str`` prints ``<n>@<Class>``.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.frames import MISSING, ByRef
from compiler_stub.runtime.variables import MISSING as NO_VALUE


@dataclass
class PropDef:
    """A property as the runtime needs it."""

    name: str
    owner: str
    type: str = ""
    collection: str = ""
    initial: str | None = None
    multidimensional: bool = False
    transient: bool = False
    calculated: bool = False


@dataclass
class MethodDef:
    """A method: ``kind`` is ``method`` or ``classmethod``; ``fn`` is the Python body of a
    system class's method (None: label ``z<name>`` of ``<owner>.1``)."""

    name: str
    owner: str
    kind: str = "method"
    fn: Callable[..., Any] | None = None
    formals: int = -1


@dataclass(eq=False)
class RClass:
    """A class: its own members and, once resolved, everything it inherits."""

    name: str
    supers: tuple[str, ...] = ()
    native: bool = False
    model: Any = None
    routine_only: bool = False
    own_methods: dict[str, MethodDef] = field(default_factory=dict)
    own_props: dict[str, PropDef] = field(default_factory=dict)
    own_params: dict[str, str] = field(default_factory=dict)
    pyclass: type[Obj] | None = None
    mro: list[RClass] = field(default_factory=list)
    methods: dict[str, MethodDef] = field(default_factory=dict)
    props: dict[str, PropDef] = field(default_factory=dict)
    params: dict[str, tuple[str, str]] = field(default_factory=dict)
    param_values: dict[str, Any] = field(default_factory=dict)
    accessors: dict[tuple[str, str], MethodDef | None] = field(default_factory=dict)
    storage: Any = None
    resolved: bool = False
    persist: Any = None   # what persistence.class_info read from the class texts, once

    def extends(self, name: str) -> bool:
        """True when this class is ``name`` or inherits from it."""
        return any(c.name == name for c in self.mro)

    def pycls(self) -> type[Obj]:
        """The Python class of this class's instances (the first system class up the tree
        that has one)."""
        for c in self.mro:
            if c.pyclass is not None:
                return c.pyclass
        return Obj


class Numbers:
    """Oref numbers: the lowest free number first."""

    def __init__(self) -> None:
        self.next = 1
        self.free: list[int] = []

    def take(self) -> int:
        if self.free:
            return heapq.heappop(self.free)
        n = self.next
        self.next += 1
        return n

    def give(self, n: int) -> None:
        heapq.heappush(self.free, n)


_DEFAULT_NUMBERS = Numbers()


class Obj:
    """An object reference (oref)."""

    def __init__(self, cls: RClass, numbers: Numbers | None = None) -> None:
        self.cls = cls
        self.props: dict[str, Any] = {}
        self._numbers = numbers or _DEFAULT_NUMBERS
        self.num = self._numbers.take()
        self.oid: Any = ""        # %Id() of a saved persistent object

    def __os_str__(self) -> str:
        return f"{self.num}@{self.cls.name}"

    def __repr__(self) -> str:
        return f"<{self.num}@{self.cls.name}>"

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self._numbers.give(self.num)

    # system classes override these two to expose state kept in Python
    def os_get(self, name: str) -> Any:
        if name in self.props:
            return self.props[name]
        raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")

    def os_set(self, name: str, value: Any) -> None:
        if name not in self.cls.props:
            raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")
        self.props[name] = value


# --------------------------------------------------------------------------- the registry

#: system classes by full name
NATIVE: dict[str, RClass] = {}


def native_class(name: str, supers: tuple[str, ...] = (), props: tuple[str, ...] = (),
                 params: dict[str, str] | None = None,
                 pyclass: type[Obj] | None = None) -> RClass:
    """Declare a system class."""
    rc = RClass(name, supers, native=True, pyclass=pyclass)
    for p in props:
        rc.own_props[p] = PropDef(p, name)
    rc.own_params.update(params or {})
    NATIVE[name] = rc
    return rc


def native(cls: str, *names: str, kind: str = "method") -> Callable[[Callable[..., Any]],
                                                                     Callable[..., Any]]:
    """Register a Python function as method(s) ``names`` of system class ``cls``."""
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        rc = NATIVE[cls]
        for n in names:
            rc.own_methods[n] = MethodDef(n, cls, kind, fn)
        return fn
    return deco


# --------------------------------------------------------------------------- arguments

def arg(a: Any, default: Any = "") -> Any:
    """An actual argument's value (``default`` when omitted)."""
    if a is MISSING or a is None:
        return default
    if type(a) is ByRef:
        v = a.node.value
        return default if v is NO_VALUE else v
    return a


def given(a: Any) -> bool:
    """True when the argument was passed (and has a value)."""
    if a is MISSING or a is None:
        return False
    if type(a) is ByRef:
        return a.node.value is not NO_VALUE
    return True


def out(a: Any, value: Any) -> None:
    """Set an output (by-reference) argument; nothing when it was passed by value."""
    if type(a) is ByRef:
        a.node.value = value


def check_args(args: tuple[Any, ...], most: int) -> None:
    """``<PARAMETER>`` when more actual arguments than formals were passed."""
    if len(args) > most:
        raise ObjectScriptError("PARAMETER")


def is_oref(v: Any) -> bool:
    """True for an object reference (any value that is not a string or number)."""
    t = type(v)
    return not (t is str or t is int or t is float or t.__name__ == "Decimal")


def full_class_name(name: str) -> str:
    """``%String`` -> ``%Library.String`` (a ``%`` name without a package)."""
    if name.startswith("%") and "." not in name:
        return "%Library." + name[1:]
    return name
