"""The collection classes: ``%Library.ListOfDataTypes``/``ListOfObjects`` (positions 1…n)
and ``%Library.ArrayOfDataTypes``/``ArrayOfObjects`` (keys in subscript collation)."""

from __future__ import annotations

from typing import Any

from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.objbase import Obj, arg, given, native, native_class, out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Obj) or isinstance(b, Obj):
        return a is b
    return bool(V.eq(a, b))


class ListObj(Obj):
    """A list collection."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.items: list[Any] = []

    def copy_state(self, other: ListObj) -> None:
        self.items = list(other.items)

    def os_get(self, name: str) -> Any:
        if name == "Size":
            return len(self.items)
        if name == "ElementType":
            return self.props.get("ElementType", "")
        return super().os_get(name)

    def os_set(self, name: str, value: Any) -> None:
        if name == "ElementType":
            self.props[name] = value
            return
        super().os_set(name, value)


class ArrayObj(Obj):
    """An array collection."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.items: dict[str, Any] = {}

    def copy_state(self, other: ArrayObj) -> None:
        self.items = dict(other.items)

    def sorted_keys(self) -> list[str]:
        return sorted(self.items, key=V.collation_key)

    def os_get(self, name: str) -> Any:
        if name == "ElementType":
            return self.props.get("ElementType", "")
        return super().os_get(name)

    def os_set(self, name: str, value: Any) -> None:
        if name == "ElementType":
            self.props[name] = value
            return
        super().os_set(name, value)


native_class("%Collection.AbstractList", ("%Library.RegisteredObject",), pyclass=ListObj)
native_class("%Collection.AbstractArray", ("%Library.RegisteredObject",), pyclass=ArrayObj)
native_class("%Library.AbstractList", ("%Collection.AbstractList",))
native_class("%Library.AbstractArray", ("%Collection.AbstractArray",))
native_class("%Library.ListOfDataTypes", ("%Library.AbstractList",))
native_class("%Library.ListOfObjects", ("%Library.AbstractList",))
native_class("%Library.ArrayOfDataTypes", ("%Library.AbstractArray",))
native_class("%Library.ArrayOfObjects", ("%Library.AbstractArray",))

_L = "%Collection.AbstractList"
_A = "%Collection.AbstractArray"


def _pos(key: Any) -> int:
    return int(V.num(arg(key)))


# --------------------------------------------------------------------------- lists

@native(_L, "Count")
def _l_count(P: Any, this: ListObj) -> int:
    return len(this.items)


@native(_L, "Insert")
def _l_insert(P: Any, this: ListObj, v: Any = "") -> int:
    this.items.append(arg(v))
    return 1


@native(_L, "InsertAt")
def _l_insert_at(P: Any, this: ListObj, v: Any = "", key: Any = "") -> Any:
    i = _pos(key)
    if not 1 <= i <= len(this.items) + 1:
        from compiler_stub.runtime.status import error  # noqa: PLC0415
        return error(5001, "Invalid key")   # message not confirmed against IRIS
    this.items.insert(i - 1, arg(v))
    return 1


@native(_L, "InsertList")
def _l_insert_list(P: Any, this: ListObj, lst: Any = "") -> int:
    from compiler_stub.runtime import lists  # noqa: PLC0415
    this.items.extend("" if x is lists.UNDEF else x for x in lists.items(arg(lst)))
    return 1


@native(_L, "GetAt")
def _l_get_at(P: Any, this: ListObj, key: Any = 0) -> Any:
    i = _pos(key)
    return this.items[i - 1] if 1 <= i <= len(this.items) else ""


@native(_L, "SetAt")
def _l_set_at(P: Any, this: ListObj, v: Any = "", key: Any = 0) -> Any:
    i = _pos(key)
    if not 1 <= i <= len(this.items):
        from compiler_stub.runtime.status import error  # noqa: PLC0415
        return error(5001, "Invalid key")   # message not confirmed against IRIS
    this.items[i - 1] = arg(v)
    return 1


@native(_L, "RemoveAt")
def _l_remove_at(P: Any, this: ListObj, key: Any = 0) -> Any:
    i = _pos(key)
    if 1 <= i <= len(this.items):
        return this.items.pop(i - 1)
    return ""


@native(_L, "Clear")
def _l_clear(P: Any, this: ListObj) -> int:
    this.items.clear()
    return 1


@native(_L, "Next")
def _l_next(P: Any, this: ListObj, key: Any = "") -> Any:
    i = _pos(key) + 1 if V.to_str(arg(key)) != "" else 1
    return i if 1 <= i <= len(this.items) else ""


@native(_L, "Previous")
def _l_previous(P: Any, this: ListObj, key: Any = "") -> Any:
    i = _pos(key) - 1 if V.to_str(arg(key)) != "" else len(this.items)
    return i if 1 <= i <= len(this.items) else ""


@native(_L, "GetNext")
def _l_get_next(P: Any, this: ListObj, key: Any = None) -> Any:
    nxt = _l_next(P, this, key)
    out(key, nxt)
    return "" if nxt == "" else this.items[nxt - 1]


@native(_L, "GetPrevious")
def _l_get_previous(P: Any, this: ListObj, key: Any = None) -> Any:
    prv = _l_previous(P, this, key)
    out(key, prv)
    return "" if prv == "" else this.items[prv - 1]


@native(_L, "Find", "FindObjectId")
def _l_find(P: Any, this: ListObj, v: Any = "", key: Any = "") -> Any:
    start = _pos(key) + 1 if given(key) and V.to_str(arg(key)) != "" else 1
    target = arg(v)
    for i in range(max(start, 1), len(this.items) + 1):
        if _same(this.items[i - 1], target):
            return i
    return ""


@native(_L, "IsDefined")
def _l_defined(P: Any, this: ListObj, key: Any = 0) -> int:
    i = _pos(key)
    return 1 if 1 <= i <= len(this.items) else 0


@native(_L, "%Size")
def _l_size(P: Any, this: ListObj) -> int:
    return len(this.items)


# --------------------------------------------------------------------------- arrays

def _akey(key: Any) -> str:
    k = V.to_str(arg(key))
    if k == "":
        raise ObjectScriptError("SUBSCRIPT")
    return k


@native(_A, "Count")
def _a_count(P: Any, this: ArrayObj) -> int:
    return len(this.items)


@native(_A, "SetAt")
def _a_set_at(P: Any, this: ArrayObj, v: Any = "", key: Any = "") -> int:
    this.items[_akey(key)] = arg(v)
    return 1


@native(_A, "GetAt")
def _a_get_at(P: Any, this: ArrayObj, key: Any = "") -> Any:
    return this.items.get(V.to_str(arg(key)), "")


@native(_A, "IsDefined")
def _a_defined(P: Any, this: ArrayObj, key: Any = "") -> int:
    return 1 if V.to_str(arg(key)) in this.items else 0


@native(_A, "RemoveAt")
def _a_remove_at(P: Any, this: ArrayObj, key: Any = "") -> Any:
    return this.items.pop(V.to_str(arg(key)), "")


@native(_A, "Clear")
def _a_clear(P: Any, this: ArrayObj) -> int:
    this.items.clear()
    return 1


def _step(this: ArrayObj, key: Any, d: int) -> str:
    keys = this.sorted_keys()
    if not keys:
        return ""
    k = V.to_str(arg(key))
    if k == "":
        return keys[0] if d > 0 else keys[-1]
    ck = V.collation_key(k)
    if d > 0:
        return next((x for x in keys if V.collation_key(x) > ck), "")
    return next((x for x in reversed(keys) if V.collation_key(x) < ck), "")


def _key_value(k: str) -> Any:
    return V.num(k) if V.is_canonic(k) else k


@native(_A, "Next")
def _a_next(P: Any, this: ArrayObj, key: Any = "") -> Any:
    return _key_value(_step(this, key, 1))


@native(_A, "Previous")
def _a_previous(P: Any, this: ArrayObj, key: Any = "") -> Any:
    return _key_value(_step(this, key, -1))


@native(_A, "GetNext")
def _a_get_next(P: Any, this: ArrayObj, key: Any = None) -> Any:
    k = _step(this, key, 1)
    out(key, _key_value(k))
    return "" if k == "" else this.items[k]


@native(_A, "GetPrevious")
def _a_get_previous(P: Any, this: ArrayObj, key: Any = None) -> Any:
    k = _step(this, key, -1)
    out(key, _key_value(k))
    return "" if k == "" else this.items[k]


@native(_A, "Find")
def _a_find(P: Any, this: ArrayObj, v: Any = "", key: Any = "") -> Any:
    target = arg(v)
    start = V.to_str(arg(key))
    for k in this.sorted_keys():
        if start and V.collation_key(k) <= V.collation_key(start):
            continue
        if _same(this.items[k], target):
            return _key_value(k)
    return ""
