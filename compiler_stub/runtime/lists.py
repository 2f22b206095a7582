"""The ``$LIST`` family on IRIS's binary list format.

A list is a string of 8-bit characters made of elements. Each element is a length prefix, a
type byte and a payload:

* length: one byte giving the element's whole size (prefix + type + payload) when that is at
  most 255; otherwise a zero byte and the size of type + payload as 2 bytes little-endian; if
  that does not fit, three zero bytes and a 4-byte little-endian size. A lone ``\\x01`` is an
  element with no value (``$LB(,)`` or an undefined variable).
* types: 1 8-bit string, 2 UTF-16LE string, 4 non-negative integer (little-endian, fewest
  bytes, 0 has none), 5 negative integer (two's complement, fewest bytes, -1 has none),
  6/7 decimal with a non-negative/negative mantissa (one signed exponent byte, then the
  mantissa as for 4/5), 8 compact ``$DOUBLE`` (+0 has no payload; a value exact in binary32
  is stored as a float32 with its low-order zero bytes dropped), 9 ``$DOUBLE`` as a binary64
  with its low-order zero bytes dropped.

Positions: an ``int``-like value (``-1`` is the last element, as old code writes it) or an
:class:`End` for ``*``/``*-n``/``*+n``; the translator builds ``End(-n)`` for ``*-n``.
An omitted argument of ``$LISTBUILD`` (``$LB(1,,3)``) and an undefined variable given to it
are passed as ``None``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.values import MAX_STRING, num, to_str

_MAX64 = 9_223_372_036_854_775_807


class End:
    """A position counted from the end: ``*`` is ``End(0)``, ``*-2`` is ``End(-2)``."""

    __slots__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def __repr__(self) -> str:
        return f"End({self.offset})"


class _Undef:
    """The value of an element that has none (``$LB(,)``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEF"


UNDEF: Any = _Undef()
"""The decoded value of an element without a value."""

UNCHANGED: Any = object()
"""Returned by :func:`listnext` at the end of a list: leave the value variable as it is."""


def _err(code: str) -> ObjectScriptError:
    return ObjectScriptError(code)


def _int(v: Any) -> int:
    n = num(v)
    if type(n) is int:
        return n
    if isinstance(n, float) and (n != n or math.isinf(n)):
        raise _err("ILLEGAL VALUE")
    return int(n)


# --------------------------------------------------------------------------- encoding


def _header(size: int, typ: int) -> str:
    """The length prefix and type byte of an element whose payload has ``size`` bytes."""
    if size + 2 <= 255:
        return chr(size + 2) + chr(typ)
    n = size + 1
    if n <= 0xFFFF:
        return "\x00" + chr(n & 0xFF) + chr(n >> 8) + chr(typ)
    return "\x00\x00\x00" + "".join(chr((n >> s) & 0xFF) for s in (0, 8, 16, 24)) + chr(typ)


def _uint_bytes(v: int) -> str:
    out = []
    while v:
        out.append(chr(v & 0xFF))
        v >>= 8
    return "".join(out)


def _nint_bytes(v: int) -> str:
    """Two's complement of a negative v in the fewest bytes (-1 → none, -256 → 00)."""
    n = 0
    while v < -(1 << (8 * n)):
        n += 1
    u = v + (1 << (8 * n)) if n else 0
    return "".join(chr((u >> (8 * i)) & 0xFF) for i in range(n))


def _encode_int(v: int) -> str:
    if 0 <= v <= _MAX64:
        p = _uint_bytes(v)
        return _header(len(p), 4) + p
    if -_MAX64 - 1 <= v < 0:
        p = _nint_bytes(v)
        return _header(len(p), 5) + p
    # beyond 64 bits: IRIS holds it as mantissa and exponent
    e = 0
    while v % 10 == 0:
        v //= 10
        e += 1
    while abs(v) > _MAX64:  # round half away from zero to fewer digits
        q, r = divmod(abs(v), 10)
        if r >= 5:
            q += 1
        v = q if v > 0 else -q
        e += 1
    return _encode_decimal(v, e)


def _encode_decimal(m: int, e: int) -> str:
    p = chr(e & 0xFF) + (_uint_bytes(m) if m >= 0 else _nint_bytes(m))
    return _header(len(p), 6 if m >= 0 else 7) + p


def _encode_double(f: float) -> str:
    if f == 0 and math.copysign(1.0, f) > 0:
        return _header(0, 8)
    try:
        single = struct.pack("<f", f)
        exact = struct.unpack("<f", single)[0] == f or (f != f)
    except OverflowError:
        exact = False
    if exact and f == f:
        raw, typ = single, 8
    else:
        raw, typ = struct.pack("<d", f), 9
    raw = raw.lstrip(b"\x00")
    return _header(len(raw), typ) + raw.decode("latin-1")


def _encode_str(s: str) -> str:
    if not s:
        return "\x02\x01"
    try:
        s.encode("latin-1")
    except UnicodeEncodeError:
        raw = s.encode("utf-16-le", "surrogatepass").decode("latin-1")
        return _header(len(raw), 2) + raw
    return _header(len(s), 1) + s


def encode(v: Any) -> str:
    """One element holding v (``None``: an element without a value)."""
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is int:
        return _encode_int(v)
    if t is Decimal:
        sign, digits, exp = v.as_tuple()
        m = 0
        for d in digits:
            m = m * 10 + d
        e = int(exp)
        while m and m % 10 == 0:
            m //= 10
            e += 1
        return _encode_decimal(-m if sign else m, e)
    if t is float:
        return _encode_double(v)
    if v is None:
        return "\x01"
    return _encode_str(to_str(v))


# --------------------------------------------------------------------------- decoding


def _le(s: str) -> int:
    v = 0
    for ch in reversed(s):
        v = (v << 8) | ord(ch)
    return v


def _neg(s: str) -> int:
    return _le(s) - (1 << (8 * len(s))) if s else -1


def _decode(typ: int, p: str) -> Any:
    if typ == 1:
        return p
    if typ == 4:
        return _le(p)
    if typ == 5:
        return _neg(p)
    if typ == 2:
        return p.encode("latin-1").decode("utf-16-le", "surrogatepass")
    if typ in (6, 7):
        e = ord(p[0])
        if e > 127:
            e -= 256
        m = _le(p[1:]) if typ == 6 else _neg(p[1:])
        return num(f"{m}E{e}")
    if typ == 8:
        if not p:
            return 0.0
        if len(p) <= 4:
            return float(struct.unpack("<f", (b"\x00" * (4 - len(p))) + p.encode("latin-1"))[0])
        return float(struct.unpack("<d", (b"\x00" * (8 - len(p))) + p.encode("latin-1"))[0])
    if typ == 9:
        return float(struct.unpack("<d", (b"\x00" * (8 - len(p))) + p.encode("latin-1"))[0])
    return p  # 0: a placeholder, read as its bytes


def _valid_payload(typ: int, p: str) -> bool:
    if typ in (1, 4, 5, 0):
        return typ in (1, 0) or len(p) <= 8
    if typ == 2:
        return len(p) % 2 == 0
    if typ in (6, 7):
        return 1 <= len(p) <= 9
    if typ == 8:
        return len(p) <= 4 or len(p) == 8
    if typ == 9:
        return len(p) <= 8
    return False


def _scan(s: str) -> Iterator[tuple[int, int, int, str]]:
    """(start, end, type, payload) of each element; type -1 for one without a value.

    Raises ``<LIST>`` where s is not a list.
    """
    i, n = 0, len(s)
    while i < n:
        b = ord(s[i])
        if b == 1:
            yield i, i + 1, -1, ""
            i += 1
            continue
        if b > 255:
            raise _err("LIST")
        if b == 0:
            if i + 3 > n:
                raise _err("LIST")
            size = ord(s[i + 1]) | (ord(s[i + 2]) << 8)
            head = 3
            if size == 0:
                if i + 7 > n:
                    raise _err("LIST")
                size = _le(s[i + 3 : i + 7])
                head = 7
            if size == 0 or ord(s[i + 1]) > 255 or ord(s[i + 2]) > 255:
                raise _err("LIST")
            start = i + head
            end = start + size
        else:
            start = i + 1
            end = i + b
        if end > n or start >= end:
            raise _err("LIST")
        typ = ord(s[start])
        p = s[start + 1 : end]
        if typ > 255 or not _valid_payload(typ, p) or any(ord(c) > 255 for c in p):
            raise _err("LIST")
        yield i, end, typ, p
        i = end


def _elements(s: str) -> list[tuple[int, int, int, str]]:
    return list(_scan(s))


def _text(v: Any) -> str:
    return v if type(v) is str else to_str(v)


def items(lst: Any) -> list[Any]:
    """The decoded elements of a list (:data:`UNDEF` for one without a value)."""
    return [UNDEF if t < 0 else _decode(t, p) for _, _, t, p in _scan(_text(lst))]


def _value(el: tuple[int, int, int, str]) -> Any:
    return UNDEF if el[2] < 0 else _decode(el[2], el[3])


def _resolve(pos: Any, count: int) -> int:
    """A 1-based position from an argument (``-1`` and :class:`End` count from the end)."""
    if isinstance(pos, End):
        return count + _int(pos.offset)
    p = _int(pos)
    if p == -1:
        return count
    if p < -1:
        raise _err("RANGE")
    return p


# --------------------------------------------------------------------------- the functions


def listbuild(*args: Any) -> str:
    """``$LISTBUILD(a, b, ...)``; ``$LB()`` is one element without a value."""
    if not args:
        return "\x01"
    out = "".join([encode(a) for a in args])
    if len(out) > MAX_STRING:
        raise _err("MAXSTRING")
    return out


def list_(lst: Any, pos: Any = 1, end: Any = None) -> Any:
    """``$LIST(list[, pos[, end]])``: an element, or with ``end`` a sublist."""
    els = _elements(_text(lst))
    count = len(els)
    if end is None:
        p = _resolve(pos, count)
        if p < 1 or p > count:
            raise _err("NULL VALUE")
        v = _value(els[p - 1])
        if v is UNDEF:
            raise _err("NULL VALUE")
        return v
    p = _resolve(pos, count)
    e = _resolve(end, count)
    p = max(p, 1)
    if e < p or p > count:
        return ""
    s = _text(lst)
    return s[els[p - 1][0] : els[min(e, count) - 1][1]]


def listget(lst: Any, pos: Any = 1, default: Any = "") -> Any:
    """``$LISTGET(list[, pos[, default]])``."""
    els = _elements(_text(lst))
    p = _resolve(pos, len(els))
    if p < 1 or p > len(els):
        return default
    v = _value(els[p - 1])
    return default if v is UNDEF else v


def listlength(lst: Any) -> int:
    """``$LISTLENGTH(list)``."""
    return len(_elements(_text(lst)))


def listdata(lst: Any, pos: Any = 1) -> int:
    """``$LISTDATA(list[, pos])``: 1 when the element exists and has a value."""
    els = _elements(_text(lst))
    p = _resolve(pos, len(els))
    if p < 1 or p > len(els):
        return 0
    return 0 if els[p - 1][2] < 0 else 1


def listfind(lst: Any, value: Any, start: Any = 0) -> int:
    """``$LISTFIND(list, value[, start])``: position of the first element after ``start``
    whose string value equals value's, else 0."""
    els = _elements(_text(lst))
    st = _resolve(start, len(els)) if not (type(start) is int and start == 0) else 0
    want = _text(value)
    for i in range(max(st, 0), len(els)):
        v = _value(els[i])
        if v is not UNDEF and _text(v) == want:
            return i + 1
    return 0


def listvalid(v: Any) -> int:
    """``$LISTVALID(v)``: 1 when v is a list (the empty string is one)."""
    try:
        _elements(_text(v))
    except ObjectScriptError:
        return 0
    return 1


def listsame(a: Any, b: Any) -> int:
    """``$LISTSAME(a, b)``: 1 when both lists hold the same element strings."""
    x, y = items(a), items(b)
    if len(x) != len(y):
        return 0
    for u, w in zip(x, y, strict=True):
        if (u is UNDEF) != (w is UNDEF):
            return 0
        if u is not UNDEF and _text(u) != _text(w):
            return 0
    return 1


def listfromstring(s: Any, delim: Any = ",") -> str:
    """``$LISTFROMSTRING(string[, delimiter])``; the empty string gives the empty list."""
    text, d = _text(s), _text(delim)
    if d == "":
        raise _err("FUNCTION")
    if text == "":
        return ""
    return listbuild(*text.split(d))


def listtostring(lst: Any, delim: Any = ",", flag: Any = 0) -> str:
    """``$LISTTOSTRING(list[, delimiter[, flag]])``; flag 1: elements without a value give
    the empty string instead of ``<NULL VALUE>``."""
    fl = _int(flag)
    out = []
    for v in items(lst):
        if v is UNDEF:
            if not fl & 1:
                raise _err("NULL VALUE")
            out.append("")
        else:
            out.append(_text(v))
    r = _text(delim).join(out)
    if len(r) > MAX_STRING:
        raise _err("MAXSTRING")
    return r


def listnext(lst: Any, ptr: Any) -> tuple[int, int, Any]:
    """``$LISTNEXT(list, ptr, value)`` as ``(found, new_ptr, new_value)``.

    ``ptr`` 0 starts at the first element. ``new_value`` is ``None`` when the element has no
    value (the caller makes the variable undefined) and :data:`UNCHANGED` at the end of the
    list, where ``found`` is 0 and ``ptr`` is returned unchanged.
    """
    s = _text(lst)
    p = _int(ptr)
    if p < 0:
        raise _err("FUNCTION")
    if p >= len(s):
        return 0, p, UNCHANGED
    el = next(_scan(s[p:]))
    v = _value(el)
    return 1, p + el[1], None if v is UNDEF else v


def listupdate(lst: Any, pos: Any, *values: Any) -> str:
    """``$LISTUPDATE(list, pos, v1, v2, ...)``: the list with elements from pos replaced
    (an omitted value, ``None``, leaves its element as it is; the list grows as needed)."""
    s = _text(lst)
    els = _elements(s)
    parts = [s[a:b] for a, b, _, _ in els]
    p = _resolve(pos, len(parts))
    if p < 1:
        raise _err("NULL VALUE")
    for k, v in enumerate(values):
        i = p - 1 + k
        while len(parts) <= i:
            parts.append("\x01")
        if v is not None:
            parts[i] = encode(v)
    return "".join(parts)


def set_list(old: Any, new: Any, pos: Any = 1, end: Any = None) -> str:
    """``SET $LIST(var[, pos[, end]]) = new``; ``old`` is None when var is undefined.

    With ``end`` new must be a list and replaces the elements pos..end; without it new
    becomes the element at pos (the list is padded with elements without a value).
    """
    s = "" if old is None else _text(old)
    els = _elements(s)
    parts = [s[a:b] for a, b, _, _ in els]
    count = len(parts)
    p = _resolve(pos, count)
    if end is None:
        if p < 1:
            raise _err("NULL VALUE")
        while len(parts) < p:
            parts.append("\x01")
        parts[p - 1] = encode(new)
        return "".join(parts)
    repl = _text(new)
    _elements(repl)
    e = _resolve(end, count)
    p = max(p, 1)
    while len(parts) < p - 1:
        parts.append("\x01")
    if e < p:
        e = p - 1  # insert before p
    return "".join(parts[: p - 1]) + repl + "".join(parts[e:])


LIST_FUNCTIONS: dict[str, Any] = {}
for _names, _fn in (
    (("$LISTBUILD", "$LB"), listbuild),
    (("$LIST", "$LI"), list_),
    (("$LISTGET", "$LG"), listget),
    (("$LISTLENGTH", "$LL"), listlength),
    (("$LISTDATA", "$LD"), listdata),
    (("$LISTFIND", "$LF"), listfind),
    (("$LISTVALID", "$LV"), listvalid),
    (("$LISTSAME", "$LS"), listsame),
    (("$LISTFROMSTRING", "$LFS"), listfromstring),
    (("$LISTTOSTRING", "$LTS"), listtostring),
    (("$LISTNEXT",), listnext),
    (("$LISTUPDATE", "$LU"), listupdate),
):
    for _n in _names:
        LIST_FUNCTIONS[_n] = _fn

LIST_SET_FORMS: dict[str, Any] = {"$LIST": set_list, "$LI": set_list}
