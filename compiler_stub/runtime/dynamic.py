"""``%DynamicObject`` and ``%DynamicArray``: JSON values in ObjectScript.

Each element keeps its JSON type next to its value (``("number", 1)``, ``("boolean", 1)``,
``("null", "")``, ``("string", "a")``, ``("object", obj)``, ``("array", obj)``,
``("oref", obj)``), so ``%GetTypeOf`` and ``%ToJSON`` can tell ``true`` from ``1`` and ``null``
from ``""``. JSON literals in code (``{"a":(x)}``, ``[1,true]``) arrive from the translator as
nested tuples (``build``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.objbase import Obj, arg, native, native_class, out

Elem = tuple[str, Any]


class DynObj(Obj):
    """A ``%DynamicObject``: keys in insertion order."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.data: dict[str, Elem] = {}

    def copy_state(self, other: DynObj) -> None:
        self.data = dict(other.data)

    def os_get(self, name: str) -> Any:
        e = self.data.get(name)
        return "" if e is None else value_of(e)

    def os_set(self, name: str, value: Any) -> None:
        self.data[name] = elem_of(value)


class DynArr(Obj):
    """A ``%DynamicArray``: ``None`` marks an unassigned slot."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.data: list[Elem | None] = []

    def copy_state(self, other: DynArr) -> None:
        self.data = list(other.data)

    def os_get(self, name: str) -> Any:
        raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")

    def os_set(self, name: str, value: Any) -> None:
        raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")


class DynIter(Obj):
    """``%Iterator.Object`` / ``%Iterator.Array``."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.keys: list[Any] = []
        self.pos = 0
        self.source: Any = None


native_class("%Library.DynamicAbstractObject", ("%Library.RegisteredObject",))
native_class("%Library.DynamicObject", ("%Library.DynamicAbstractObject",), pyclass=DynObj)
native_class("%Library.DynamicArray", ("%Library.DynamicAbstractObject",), pyclass=DynArr)
native_class("%Iterator.AbstractIterator", ("%Library.RegisteredObject",), pyclass=DynIter)
native_class("%Iterator.Object", ("%Iterator.AbstractIterator",))
native_class("%Iterator.Array", ("%Iterator.AbstractIterator",))


def _world(P: Any) -> Any:
    return P.objects


def new_obj(P: Any) -> DynObj:
    o = _world(P).instantiate("%Library.DynamicObject")
    assert isinstance(o, DynObj)
    return o


def new_arr(P: Any) -> DynArr:
    a = _world(P).instantiate("%Library.DynamicArray")
    assert isinstance(a, DynArr)
    return a


# --------------------------------------------------------------------------- values

def elem_of(v: Any, typ: str = "") -> Elem:
    """The element for an ObjectScript value (``typ``: a %Set type argument)."""
    if typ:
        t = typ.lower()
        if t == "null":
            return ("null", "")
        if t == "boolean":
            return ("boolean", 1 if V.truth(v) else 0)
        if t == "number":
            return ("number", V.num(v))
        if t == "string":
            return ("string", V.to_str(v))
    if isinstance(v, DynObj):
        return ("object", v)
    if isinstance(v, DynArr):
        return ("array", v)
    tv = type(v)
    if tv is str:
        return ("string", v)
    if tv is int or tv is float or tv is Decimal:
        return ("number", v)
    return ("oref", v)


def value_of(e: Elem | None) -> Any:
    """The ObjectScript value of an element ("" for null and unassigned)."""
    if e is None:
        return ""
    return e[1]


def build(P: Any, spec: Any) -> Any:
    """A JSON literal of the code: ``("O", ((key, spec), …))`` an object, ``("A", (spec, …))``
    an array, ``("n", v)``/``("s", v)``/``("b", 1|0)``/``("z",)`` literal values; anything
    not a tuple is the value of an ObjectScript expression."""
    return _value(P, spec)[1]


def _value(P: Any, spec: Any) -> Elem:
    if type(spec) is not tuple:
        return elem_of(spec)
    tag = spec[0]
    if tag == "O":
        o = new_obj(P)
        for k, sub in spec[1]:
            o.data[k] = _value(P, sub)
        return ("object", o)
    if tag == "A":
        a = new_arr(P)
        a.data = [_value(P, sub) for sub in spec[1]]
        return ("array", a)
    if tag == "n":
        return ("number", spec[1])
    if tag == "s":
        return ("string", spec[1])
    if tag == "b":
        return ("boolean", spec[1])
    return ("null", "")


# --------------------------------------------------------------------------- JSON text

def _num_json(v: Any) -> str:
    s = V.to_str(v)
    if s.startswith("."):
        return "0" + s
    if s.startswith("-."):
        return "-0" + s[1:]
    return s


def _str_json(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def to_json(e: Elem) -> str:
    kind, v = e
    if kind == "string":
        return _str_json(v)
    if kind == "number":
        return _num_json(v)
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "null":
        return "null"
    if kind == "object":
        return "{" + ",".join(_str_json(k) + ":" + to_json(x) for k, x in v.data.items()) + "}"
    if kind == "array":
        return "[" + ",".join("null" if x is None else to_json(x) for x in v.data) + "]"
    return _str_json(V.to_str(v))


def _parse_error(P: Any, text_: str, pos: int) -> Exception:
    from compiler_stub.runtime.frames import ThrownObject  # noqa: PLC0415

    line = text_.count("\n", 0, pos) + 1
    col = pos - (text_.rfind("\n", 0, pos) + 1) + 1
    w = _world(P)
    exc = w.new(w.get("%Exception.General"), ("Parsing error", 3, "",
                                                f"Line {line} Offset {col}"))
    return ThrownObject(exc)


def from_json(P: Any, text_: str) -> Any:
    """``%FromJSON``: a dynamic object or array; a parsing error is thrown as IRIS does."""
    def conv(x: Any) -> Elem:
        if isinstance(x, dict):
            o = new_obj(P)
            for k, sub in x.items():
                o.data[k] = conv(sub)
            return ("object", o)
        if isinstance(x, list):
            a = new_arr(P)
            a.data = [conv(sub) for sub in x]
            return ("array", a)
        if x is True or x is False:
            return ("boolean", 1 if x else 0)
        if x is None:
            return ("null", "")
        if isinstance(x, str):
            return ("string", x)
        if isinstance(x, _JNum):
            return ("number", V.num(x.text))
        return ("number", x)

    try:
        parsed = json.loads(text_, parse_float=_JNum, parse_int=int,
                            parse_constant=_bad_constant)
    except json.JSONDecodeError as e:
        raise _parse_error(P, text_, e.pos) from None
    if not isinstance(parsed, (dict, list)):
        raise _parse_error(P, text_, 0)
    return conv(parsed)[1]


class _JNum:
    def __init__(self, text_: str) -> None:
        self.text = text_


def _bad_constant(name: str) -> Any:
    raise json.JSONDecodeError("bad constant", name, 0)


# --------------------------------------------------------------------------- methods

def _key(k: Any) -> str:
    return V.to_str(arg(k))


def _index(k: Any) -> int:
    return int(V.num(arg(k)))


def _typeof(e: Elem | None) -> str:
    return "unassigned" if e is None else e[0]


@native("%Library.DynamicAbstractObject", "%FromJSON", "%FromJSONFile", kind="classmethod")
def _from_json(P: Any, this: Any, src: Any = "") -> Any:
    v = arg(src)
    if isinstance(v, Obj) and hasattr(v, "text"):
        v = v.text  # a character stream
    return from_json(P, V.to_str(v))


@native("%Library.DynamicAbstractObject", "%ToJSON")
def _to_json(P: Any, this: Any, dest: Any = None) -> Any:
    kind = "object" if isinstance(this, DynObj) else "array"
    s = to_json((kind, this))
    target = arg(dest, None)
    if isinstance(target, Obj) and hasattr(target, "write_text"):
        target.write_text(s)
        return 1
    return s


@native("%Library.DynamicAbstractObject", "%Size")
def _size(P: Any, this: Any) -> int:
    return len(this.data)


@native("%Library.DynamicAbstractObject", "%IsA", "%Extends", kind="classmethod")
def _is_a(P: Any, this: Any, name: Any = "") -> int:
    from compiler_stub.runtime.objbase import full_class_name  # noqa: PLC0415

    target = full_class_name(V.to_str(arg(name)))
    rc = this.cls if isinstance(this, Obj) else P.objects.get(V.to_str(this))
    return 1 if rc.extends(target) else 0


@native("%Library.DynamicObject", "%Get")
def _obj_get(P: Any, this: DynObj, key: Any = "", default: Any = "", typ: Any = "") -> Any:
    e = this.data.get(_key(key))
    return arg(default) if e is None else value_of(e)


@native("%Library.DynamicObject", "%Set")
def _obj_set(P: Any, this: DynObj, key: Any = "", value: Any = "", typ: Any = "") -> Any:
    this.data[_key(key)] = elem_of(arg(value), V.to_str(arg(typ)))
    return this


@native("%Library.DynamicObject", "%IsDefined")
def _obj_defined(P: Any, this: DynObj, key: Any = "") -> int:
    return 1 if _key(key) in this.data else 0


@native("%Library.DynamicObject", "%Remove")
def _obj_remove(P: Any, this: DynObj, key: Any = "") -> Any:
    e = this.data.pop(_key(key), None)
    return value_of(e)


@native("%Library.DynamicObject", "%GetTypeOf")
def _obj_typeof(P: Any, this: DynObj, key: Any = "") -> str:
    return _typeof(this.data.get(_key(key)))


@native("%Library.DynamicObject", "%GetIterator")
def _obj_iter(P: Any, this: DynObj) -> Any:
    it = _world(P).instantiate("%Iterator.Object")
    it.keys = list(this.data)
    it.source = this
    return it


@native("%Library.DynamicArray", "%Get")
def _arr_get(P: Any, this: DynArr, key: Any = "", default: Any = "", typ: Any = "") -> Any:
    i = _index(key)
    if 0 <= i < len(this.data) and this.data[i] is not None:
        return value_of(this.data[i])
    return arg(default)


@native("%Library.DynamicArray", "%Set")
def _arr_set(P: Any, this: DynArr, key: Any = "", value: Any = "", typ: Any = "") -> Any:
    i = _index(key)
    if i < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    while len(this.data) <= i:
        this.data.append(None)
    this.data[i] = elem_of(arg(value), V.to_str(arg(typ)))
    return this


@native("%Library.DynamicArray", "%Push")
def _arr_push(P: Any, this: DynArr, value: Any = "", typ: Any = "") -> Any:
    this.data.append(elem_of(arg(value), V.to_str(arg(typ))))
    return this


@native("%Library.DynamicArray", "%Pop")
def _arr_pop(P: Any, this: DynArr) -> Any:
    if not this.data:
        return ""
    return value_of(this.data.pop())


@native("%Library.DynamicArray", "%IsDefined")
def _arr_defined(P: Any, this: DynArr, key: Any = "") -> int:
    i = _index(key)
    return 1 if 0 <= i < len(this.data) and this.data[i] is not None else 0


@native("%Library.DynamicArray", "%Remove")
def _arr_remove(P: Any, this: DynArr, key: Any = "") -> Any:
    i = _index(key)
    if 0 <= i < len(this.data):
        return value_of(this.data.pop(i))
    return ""


@native("%Library.DynamicArray", "%GetTypeOf")
def _arr_typeof(P: Any, this: DynArr, key: Any = "") -> str:
    i = _index(key)
    return _typeof(this.data[i]) if 0 <= i < len(this.data) else "unassigned"


@native("%Library.DynamicArray", "%GetIterator")
def _arr_iter(P: Any, this: DynArr) -> Any:
    it = _world(P).instantiate("%Iterator.Array")
    it.keys = [i for i, e in enumerate(this.data) if e is not None]
    it.source = this
    return it


@native("%Iterator.AbstractIterator", "%GetNext")
def _iter_next(P: Any, this: DynIter, key: Any = None, value: Any = None,
               typ: Any = None) -> int:
    src = this.source
    while this.pos < len(this.keys):
        k = this.keys[this.pos]
        this.pos += 1
        e = src.data.get(k) if isinstance(src, DynObj) else (
            src.data[k] if k < len(src.data) else None)
        if e is None:
            continue
        out(key, k)
        out(value, value_of(e))
        out(typ, e[0])
        return 1
    return 0
