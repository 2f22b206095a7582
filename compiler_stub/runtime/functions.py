"""The string and number intrinsics, and the registry of every intrinsic function.

``FUNCTIONS`` maps every upper-case name IRIS accepts, abbreviations included (``"$P"``,
``"$PIECE"``), to a plain function of ObjectScript values; it merges the ``$LIST`` family
(:mod:`lists`) and the date functions (:mod:`dates`). ``SET_FORMS`` maps ``$PIECE``,
``$EXTRACT`` and ``$LIST`` (and abbreviations) to ``(old_or_None, new, *args) -> str``.

Conventions for the translator:

* an omitted trailing argument is not passed; an omitted argument in the middle is passed as
  ``None`` (``$ZDATE(h,,,4)``);
* ``*``, ``*-n`` and ``*+n`` positions (``$EXTRACT``, ``$PIECE``, ``$LIST``...) are passed as
  ``lists.End(0)``, ``End(-n)``, ``End(n)``;
* ``$LISTNEXT(list, ptr, value)`` is ``listnext(list, ptr) -> (found, new_ptr, new_value)``
  (see :func:`lists.listnext`); ``$CASE`` and ``$SELECT`` are lazy and belong to the
  translator; ``$HOROLOG``, ``$ZTIMESTAMP`` and ``$ZVERSION`` are functions of no argument.

Bad input raises :class:`ObjectScriptError` with the IRIS error name, never a Python error.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from compiler_stub.runtime.dates import DATE_FUNCTIONS
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.lists import LIST_FUNCTIONS, LIST_SET_FORMS, End
from compiler_stub.runtime.values import (
    MAX_STRING,
    double,
    fnumber,
    justify,
    neg,
    num,
    number,
    power,
    to_str,
)

__all__ = ["FUNCTIONS", "SET_FORMS", "ZVERSION", "End", "piece_at", "piece_first"]

ZVERSION_PRODUCT = "IRIS for UNIX (atelier-api compiler_stub)"
ZVERSION_RELEASE = "2024.1"
ZVERSION_BUILD = "0U"
ZVERSION = f"{ZVERSION_PRODUCT} {ZVERSION_RELEASE} (Build {ZVERSION_BUILD})"
"""``$ZVERSION``: shaped like IRIS's ("product release (Build n)"), naming the stand-in."""


def _s(v: Any) -> str:
    return v if type(v) is str else to_str(v)


def _i(v: Any) -> int:
    """An integer argument: the number truncated toward zero."""
    if type(v) is int:
        return v
    n = num(v)
    if type(n) is int:
        return n
    if isinstance(n, float) and (n != n or math.isinf(n)):
        raise ObjectScriptError("ILLEGAL VALUE")
    return int(n)


def _pos(v: Any, length: int) -> int:
    """A position: a number, or ``End`` counted from ``length``."""
    if isinstance(v, End):
        return length + _i(v.offset)
    return _i(v)


def _check(s: str) -> str:
    if len(s) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    return s


# --------------------------------------------------------------------------- characters


def ascii_(s: Any, pos: Any = 1) -> int:
    """``$ASCII(string[, position])``: the code of a character, -1 outside the string."""
    t = _s(s)
    p = _pos(pos, len(t))
    if p < 1 or p > len(t):
        return -1
    return ord(t[p - 1])


def char(*codes: Any) -> str:
    """``$CHAR(code, ...)``: negative codes and codes past 65535 give nothing."""
    out = []
    for c in codes:
        n = _i(c)
        if 0 <= n <= 0xFFFF:
            out.append(chr(n))
    return "".join(out)


def zwchar(*codes: Any) -> str:
    """``$ZWCHAR(n, ...)``: each n (0-65535) as two 8-bit characters, low byte first."""
    out = []
    for c in codes:
        n = _i(c)
        if not 0 <= n <= 0xFFFF:
            raise ObjectScriptError("FUNCTION")
        out.append(chr(n & 0xFF) + chr(n >> 8))
    return "".join(out)


def zwascii(s: Any, pos: Any = 1) -> int:
    """``$ZWASCII(string[, position])``: the 2-byte little-endian number at position."""
    t, p = _s(s), _i(pos)
    if p < 1 or p + 1 > len(t):
        return -1
    return ord(t[p - 1]) | (ord(t[p]) << 8)


def zlchar(*codes: Any) -> str:
    """``$ZLCHAR(n, ...)``: each n (0-4294967295) as four 8-bit characters, low byte first."""
    out = []
    for c in codes:
        n = _i(c)
        if not 0 <= n <= 0xFFFFFFFF:
            raise ObjectScriptError("FUNCTION")
        out.append("".join(chr((n >> k) & 0xFF) for k in (0, 8, 16, 24)))
    return "".join(out)


def zlascii(s: Any, pos: Any = 1) -> int:
    """``$ZLASCII(string[, position])``: the 4-byte little-endian number at position."""
    t, p = _s(s), _i(pos)
    if p < 1 or p + 3 > len(t):
        return -1
    return sum(ord(t[p - 1 + k]) << (8 * k) for k in range(4))


# --------------------------------------------------------------------------- $EXTRACT $FIND $LENGTH


def extract(s: Any, start: Any = None, end: Any = None) -> str:
    """``$EXTRACT(string[, from[, to]])``."""
    t = _s(s)
    n = len(t)
    if start is None:
        return t[:1]
    f = _pos(start, n)
    if end is None:
        return t[f - 1] if 1 <= f <= n else ""
    e = _pos(end, n)
    f = max(f, 1)
    if e < f:
        return ""
    return t[f - 1 : e]


def set_extract(old: Any, new: Any, start: Any = None, end: Any = None) -> str:
    """``SET $EXTRACT(var[, from[, to]]) = new``: characters from..to replaced by new; past
    the end the string is padded with spaces first."""
    t = "" if old is None else _s(old)
    n = len(t)
    f = 1 if start is None else _pos(start, n)
    e = f if end is None else _pos(end, n)
    if e < 1 or e < f:
        return t
    f = max(f, 1)
    value = _s(new)
    if f > n:
        return _check(t + " " * (f - 1 - n) + value)
    return _check(t[: f - 1] + value + t[e:])


def find(s: Any, sub: Any, start: Any = 1) -> int:
    """``$FIND(string, substring[, start])``: the position after the match, or 0."""
    t, u = _s(s), _s(sub)
    st = max(_i(start), 1)
    if st > len(t) + 1:
        return 0
    i = t.find(u, st - 1)
    return 0 if i < 0 else i + len(u) + 1


def length(s: Any, delim: Any = None) -> int:
    """``$LENGTH(string[, delimiter])``: characters, or pieces (0 for an empty delimiter)."""
    t = _s(s)
    if delim is None:
        return len(t)
    d = _s(delim)
    if d == "":
        return 0
    return t.count(d) + 1


# --------------------------------------------------------------------------- $PIECE


def piece(s: Any, delim: Any, start: Any = 1, end: Any = None) -> str:
    """``$PIECE(string, delimiter[, from[, to]])``."""
    t, d = _s(s), _s(delim)
    if d == "":
        return ""
    if isinstance(start, End) or isinstance(end, End):
        count = t.count(d) + 1
        f = _pos(start, count)
        e = f if end is None else _pos(end, count)
    else:
        f = start if type(start) is int else _i(start)
        if end is None:
            if f < 1:
                return ""
            parts = t.split(d, f)
            return parts[f - 1] if len(parts) >= f else ""
        e = _i(end)
    f = max(f, 1)
    if e < f:
        return ""
    parts = t.split(d, e)
    return d.join(parts[f - 1 : e])


def piece_at(s: Any, d: str, f: Any) -> str:
    """``$PIECE(s, d, f)`` with ``d`` a non-empty string literal (the translator's fast
    path; anything but an integer ``f`` goes to ``piece``)."""
    if type(f) is int:
        if f < 1:
            return ""
        parts = (s if type(s) is str else to_str(s)).split(d, f)
        return parts[f - 1] if len(parts) >= f else ""
    return piece(s, d, f)


def piece_first(s: Any, d: str) -> str:
    """``$PIECE(s, d)`` with ``d`` a non-empty string literal: the text before the first
    ``d`` (all of it when there is none)."""
    t = s if type(s) is str else to_str(s)
    i = t.find(d)
    return t if i < 0 else t[:i]


def set_piece(old: Any, new: Any, delim: Any, start: Any = 1, end: Any = None) -> str:
    """``SET $PIECE(var, delimiter[, from[, to]]) = new``: pieces from..to replaced by new;
    missing pieces are added as empty ones (so delimiters pad the string)."""
    t = "" if old is None else _s(old)
    d = _s(delim)
    if d == "":
        return t
    parts = t.split(d)
    f = _pos(start, len(parts))
    e = f if end is None else _pos(end, len(parts))
    if e < 1 or e < f:
        return t
    f = max(f, 1)
    while len(parts) < f:
        parts.append("")
    parts[f - 1 : e] = [_s(new)]
    return _check(d.join(parts))


# --------------------------------------------------------------------------- $REVERSE $TR $REPLACE


def reverse(s: Any) -> str:
    """``$REVERSE(string)``."""
    return _s(s)[::-1]


def translate(s: Any, frm: Any, to: Any = "") -> str:
    """``$TRANSLATE(string, from[, to])``: each character of from becomes the one at the same
    place in to, or is removed when to is shorter (the first occurrence in from counts)."""
    a, b = _s(frm), _s(to)
    table: dict[int, str | None] = {}
    for k, ch in enumerate(a):
        if ord(ch) not in table:
            table[ord(ch)] = b[k] if k < len(b) else None
    return _s(s).translate(table)


def replace(s: Any, old: Any, new: Any, start: Any = 1, count: Any = -1, case: Any = 0) -> str:
    """``$REPLACE(string, oldsub, newsub[, start[, count[, case]]])``.

    The result begins at ``start`` (characters before it are dropped); ``count`` -1 replaces
    every match, 0 none; ``case`` 1 matches without regard to case.
    """
    t, o, w = _s(s), _s(old), _s(new)
    st = max(_i(start), 1)
    t = t[st - 1 :]
    n = _i(count)
    if o == "" or n == 0 or n < -1:
        return t
    flags = re.IGNORECASE if _i(case) else 0
    r = re.sub(re.escape(o), lambda _m: w, t, count=0 if n == -1 else n, flags=flags)
    return _check(r)


# --------------------------------------------------------------------------- $ZCONVERT


def _word_case(t: str, sentence: bool) -> str:
    out = []
    start = True
    for ch in t:
        if start and ch.isalpha():
            out.append(ch.upper())
            start = False
        elif ch.isalpha():
            out.append(ch.lower())
        else:
            out.append(ch)
            if sentence:
                if ch in ".?!":
                    start = True
            else:
                start = ch in " \t\"'(" or start and not ch.isalnum()
            if ch.isdigit():
                start = False
    return "".join(out)


_HTML_OUT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_XML_OUT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_ENTITIES = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "apos": "'",
    "nbsp": "\xa0",
}
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return chr(code) if code <= 0x10FFFF else m.group(0)
    return _ENTITIES.get(name, m.group(0))


_JS_OUT = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_JSON_OUT = {
    "\\": "\\\\",
    '"': '\\"',
    "/": "\\/",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_ESC_IN = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\x00"}
_ESC_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)


def _unescape(m: re.Match[str]) -> str:
    g = m.group(1)
    if len(g) > 1:
        return chr(int(g[1:], 16))
    return _ESC_IN.get(g, g)


def _js_out(t: str, table: dict[str, str], json: bool) -> str:
    out = []
    for ch in t:
        r = table.get(ch)
        if r is not None:
            out.append(r)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}" if json else f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
_URL_IN_RE = re.compile(r"%(u[0-9a-fA-F]{4}|[0-9a-fA-F]{2})")


def _url_out(t: str) -> str:
    out = []
    for ch in t:
        c = ord(ch)
        if ch in _URL_SAFE:
            out.append(ch)
        elif c < 256:
            out.append(f"%{c:02X}")
        else:
            out.append(f"%u{c:04X}")
    return "".join(out)


def _utf8_in(t: str) -> str:
    try:
        raw = t.encode("latin-1")
    except UnicodeEncodeError:
        raise ObjectScriptError("ILLEGAL VALUE") from None
    return raw.decode("utf-8", "surrogateescape").translate(
        {c: chr(c - 0xDC00) for c in range(0xDC80, 0xDD00)}
    )


def _translate_io(t: str, direction: str, table: str) -> str:
    tab = table.upper()
    if tab in ("", "RAW", "SAME", "LATIN1", "LATIN-1"):
        return t
    out = direction == "O"
    if tab == "HTML":
        return "".join(_HTML_OUT.get(c, c) for c in t) if out else _ENTITY_RE.sub(_entity, t)
    if tab == "XML":
        return "".join(_XML_OUT.get(c, c) for c in t) if out else _ENTITY_RE.sub(_entity, t)
    if tab in ("JS", "JSON"):
        if out:
            return _js_out(t, _JS_OUT if tab == "JS" else _JSON_OUT, tab == "JSON")
        return _ESC_RE.sub(_unescape, t)
    if tab in ("URL", "URI"):
        if out:
            return _url_out(t)
        return _URL_IN_RE.sub(lambda m: chr(int(m.group(1).lstrip("uU"), 16)), t)
    if tab in ("UTF8", "UTF-8"):
        if out:
            return t.encode("utf-8", "surrogatepass").decode("latin-1")
        return _utf8_in(t)
    raise ObjectScriptError("ILLEGAL VALUE")


def zconvert(s: Any, mode: Any, table: Any = None) -> str:
    """``$ZCONVERT(string, mode[, trantable])``: case modes U L T W S; translation modes
    I (input) and O (output) with the tables HTML XML JS JSON URL UTF8 RAW (two arguments:
    no translation, as for a device without a table)."""
    t, m = _s(s), _s(mode).upper()
    if m == "U":
        return t.upper()
    if m == "L":
        return t.lower()
    if m == "T":
        return t.upper()
    if m == "W":
        return _word_case(t, sentence=False)
    if m == "S":
        return _word_case(t, sentence=True)
    if m in ("I", "O"):
        return _check(_translate_io(t, m, "" if table is None else _s(table)))
    raise ObjectScriptError("FUNCTION")


# --------------------------------------------------------------------------- $ZSTRIP


def _punct(c: int) -> bool:
    return (
        32 <= c <= 47
        or 58 <= c <= 64
        or 91 <= c <= 96
        or 123 <= c <= 126
        or 160 <= c <= 191
        or c in (215, 247)
    )


_MASKS: dict[str, Callable[[str], bool]] = {
    "A": str.isalpha,
    "N": lambda ch: "0" <= ch <= "9",
    "P": lambda ch: _punct(ord(ch)),
    "C": lambda ch: ord(ch) < 32 or 127 <= ord(ch) <= 159,
    "W": lambda ch: ch in "\t \xa0",
    "L": str.islower,
    "U": str.isupper,
    "E": lambda ch: True,
}


def zstrip(s: Any, action: Any, remchar: Any = "", keepchar: Any = "") -> str:
    """``$ZSTRIP(string, action[, remchar[, keepchar]])``.

    action: ``*`` (everywhere) or any of ``<`` (leading) ``>`` (trailing) ``=`` (runs of one
    character kept once), then mask codes A N P C W L U E, each may be negated by ``'``.
    """
    t, a = _s(s), _s(action).upper()
    rem = "" if remchar is None else _s(remchar)
    keep = "" if keepchar is None else _s(keepchar)
    i = 0
    while i < len(a) and a[i] in "*<>=":
        i += 1
    codes = a[:i]
    if not codes or ("*" in codes and len(codes) > 1):
        raise ObjectScriptError("FUNCTION")
    yes: list[Callable[[str], bool]] = []
    no: list[Callable[[str], bool]] = []
    k = i
    while k < len(a):
        negated = a[k] == "'"
        if negated:
            k += 1
        if k >= len(a) or a[k] not in _MASKS:
            raise ObjectScriptError("FUNCTION")
        (no if negated else yes).append(_MASKS[a[k]])
        k += 1
    if not yes and not rem:
        return t

    def hit(ch: str) -> bool:
        if ch in keep:
            return False
        if any(f(ch) for f in no):
            return False
        return ch in rem or any(f(ch) for f in yes)

    if codes == "*":
        return "".join(ch for ch in t if not hit(ch))
    lo, hi = 0, len(t)
    if "<" in codes:
        while lo < hi and hit(t[lo]):
            lo += 1
    if ">" in codes:
        while hi > lo and hit(t[hi - 1]):
            hi -= 1
    t = t[lo:hi]
    if "=" in codes:
        out: list[str] = []
        for ch in t:
            if out and out[-1] == ch and hit(ch):
                continue
            out.append(ch)
        t = "".join(out)
    return t


# --------------------------------------------------------------------------- numbers


def zhex(v: Any) -> Any:
    """``$ZHEX(v)``: a number gives its hexadecimal string (negative ones as 32- or 64-bit
    two's complement); a string is read as hexadecimal and gives the number."""
    if type(v) is str:
        t = v.strip()
        if not t or not re.fullmatch(r"[0-9A-Fa-f]+", t):
            raise ObjectScriptError("ILLEGAL VALUE")
        return int(t, 16)
    n = _i(v)
    if n < 0:
        n += 1 << 32 if n >= -(1 << 31) else 1 << 64
        if n < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
    return f"{n:X}"


_CTX = Context(prec=19)


def _dec(v: Any) -> Decimal:
    return Decimal(to_str(v))


def _from_dec(d: Decimal) -> Any:
    return num(format(_CTX.plus(d), "E"))


def zabs(v: Any) -> Any:
    """``$ZABS(n)``."""
    n = num(v)
    return neg(n) if n < 0 else n


def zsqr(v: Any) -> Any:
    """``$ZSQR(n)``: negative n is ``<ILLEGAL VALUE>``."""
    n = num(v)
    if n < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    if type(n) is float:
        return math.sqrt(n)
    return _from_dec(_CTX.sqrt(_dec(n)))


def zexp(v: Any) -> Any:
    """``$ZEXP(n)``: e to the power n."""
    n = num(v)
    if type(n) is float:
        try:
            return math.exp(n)
        except OverflowError:
            raise ObjectScriptError("MAXNUMBER") from None
    r = _CTX.exp(_dec(n))
    if r.adjusted() > 145:
        raise ObjectScriptError("MAXNUMBER")
    return _from_dec(r)


def _log(v: Any, base10: bool) -> Any:
    n = num(v)
    if n <= 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    if type(n) is float:
        return math.log10(n) if base10 else math.log(n)
    try:
        d = _dec(n)
        return _from_dec(_CTX.log10(d) if base10 else _CTX.ln(d))
    except InvalidOperation:
        raise ObjectScriptError("ILLEGAL VALUE") from None


def zln(v: Any) -> Any:
    """``$ZLN(n)``: natural logarithm; n <= 0 is ``<ILLEGAL VALUE>``."""
    return _log(v, False)


def zlog(v: Any) -> Any:
    """``$ZLOG(n)``: base-10 logarithm; n <= 0 is ``<ILLEGAL VALUE>``."""
    return _log(v, True)


def zpower(a: Any, b: Any) -> Any:
    """``$ZPOWER(a, b)``: as the ``**`` operator."""
    return power(a, b)


_RNG = random.SystemRandom()


def random_(n: Any) -> int:
    """``$RANDOM(n)``: an integer 0..n-1; n below 1 is ``<FUNCTION>``."""
    k = _i(n)
    if k < 1 or k > 10**17:
        raise ObjectScriptError("FUNCTION")
    return _RNG.randrange(k)


_NAME_RES = {
    0: re.compile(r"[%A-Za-z][A-Za-z0-9]*"),  # local variable
    1: re.compile(r"[%A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*"),  # routine
    2: re.compile(r"[%A-Za-z0-9][A-Za-z0-9]*"),  # label
    3: re.compile(r"%?[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*"),  # class
}


def zname(name: Any, typ: Any = 0) -> int:
    """``$ZNAME(name[, type])``: 1 when name is a valid local variable (0), routine (1),
    label (2) or class (3) name."""
    k = _i(typ)
    if k not in _NAME_RES:
        raise ObjectScriptError("FUNCTION")
    return 1 if _NAME_RES[k].fullmatch(_s(name)) else 0


def zversion() -> str:
    """``$ZVERSION``."""
    return ZVERSION


def _number(v: Any, fmt: Any = "", lo: Any = None, hi: Any = None) -> Any:
    return number(v, "" if fmt is None else fmt, lo, hi)


FUNCTIONS: dict[str, Callable[..., Any]] = {}
for _names, _fn in (
    (("$ASCII", "$A"), ascii_),
    (("$CHAR", "$C"), char),
    (("$EXTRACT", "$E"), extract),
    (("$FIND", "$F"), find),
    (("$LENGTH", "$L"), length),
    (("$PIECE", "$P"), piece),
    (("$REVERSE", "$RE"), reverse),
    (("$TRANSLATE", "$TR"), translate),
    (("$REPLACE",), replace),
    (("$ZCONVERT", "$ZCVT"), zconvert),
    (("$ZSTRIP",), zstrip),
    (("$ZHEX", "$ZH"), zhex),
    (("$ZABS",), zabs),
    (("$ZSQR",), zsqr),
    (("$ZEXP",), zexp),
    (("$ZLN",), zln),
    (("$ZLOG",), zlog),
    (("$ZPOWER",), zpower),
    (("$RANDOM", "$R"), random_),
    (("$ZNAME",), zname),
    (("$ZWCHAR", "$ZWC"), zwchar),
    (("$ZWASCII", "$ZWA"), zwascii),
    (("$ZLCHAR", "$ZLC"), zlchar),
    (("$ZLASCII", "$ZLA"), zlascii),
    (("$FNUMBER", "$FN"), fnumber),
    (("$JUSTIFY", "$J"), justify),
    (("$NUMBER", "$NUM"), _number),
    (("$DOUBLE",), double),
    (("$ZVERSION", "$ZV"), zversion),
):
    for _n in _names:
        FUNCTIONS[_n] = _fn
FUNCTIONS.update(LIST_FUNCTIONS)
FUNCTIONS.update(DATE_FUNCTIONS)

SET_FORMS: dict[str, Callable[..., str]] = {
    "$PIECE": set_piece,
    "$P": set_piece,
    "$EXTRACT": set_extract,
    "$E": set_extract,
    **LIST_SET_FORMS,
}
