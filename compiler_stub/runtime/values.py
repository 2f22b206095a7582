"""ObjectScript values: untyped strings, canonical numbers, $DOUBLE, and every operator.

An ObjectScript value is a ``str``, an ``int`` (an integral number), a ``Decimal`` (a
non-integral IRIS decimal: at most 19 significant digits whose mantissa fits a signed 64-bit
integer, never integral), a ``float`` (a ``$DOUBLE``), or any other object (an oref).

IRIS numbers are a signed 64-bit integer mantissa times a power of ten. A result is rounded
(half away from zero) to 19 significant digits when that mantissa fits in 64 bits, else to 18.
Integers are Python ints that obey the same rule once they leave the 64-bit range
(``12345678901234567891`` becomes ``12345678901234567890``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.patterns import match as _pattern_match

Number = int | Decimal | float

MAX_STRING = 3_641_144
_MAXM = 9_223_372_036_854_775_807  # the largest 64-bit mantissa
_MAX_EXP = 127  # the largest decimal exponent of a mantissa
_MIN_EXP = -128  # values below 1E-128 (in magnitude) vanish to 0
_POW10 = [10**i for i in range(400)]


def _pow10(n: int) -> int:
    return _POW10[n] if n < 400 else int(10**n)


# --------------------------------------------------------------------------- number building


def _round_to_digits(a: int, drop: int) -> int:
    """``a`` (>= 0) divided by 10**drop, rounded half away from zero."""
    p = _pow10(drop)
    q, r = divmod(a, p)
    if r + r >= p:
        q += 1
    return q


def _make(m: int, e: int) -> int | Decimal:
    """The IRIS decimal nearest to ``m * 10**e`` (rounded half away from zero).

    19 significant digits when the mantissa fits in a signed 64-bit integer, else 18;
    ``<MAXNUMBER>`` past 9223372036854775807E127; 0 below 1E-128.
    """
    if m == 0:
        return 0
    neg = m < 0
    a = -m if neg else m
    lim = _MAXM + 1 if neg else _MAXM  # the significand is a signed 64-bit integer
    if a > lim:
        drop = len(str(a)) - 19
        q = _round_to_digits(a, drop)
        if q > lim:
            drop += 1
            q = _round_to_digits(a, drop)
        a = q
        e += drop
    if e < _MIN_EXP:
        a = _round_to_digits(a, _MIN_EXP - e) if _MIN_EXP - e < 40 else 0
        e = _MIN_EXP
        if a == 0:
            return 0
    if e >= 0:
        if e > _MAX_EXP:
            _check_max(a, e)
        v = a * _pow10(e) if e else a
        return -v if neg else v
    while a % 10 == 0:
        a //= 10
        e += 1
    if e >= 0:
        v = a * _pow10(e)
        return -v if neg else v
    return _new_decimal(-a if neg else a, e)


_PARTS: dict[Decimal, tuple[int, int]] = {}


def _new_decimal(m: int, e: int) -> Decimal:
    """A Decimal ``m * 10**e``, its parts remembered for the next operation on it."""
    d = Decimal(f"{m}E{e}")
    if len(_PARTS) > 50_000:
        _PARTS.clear()
    _PARTS[d] = (m, e)
    return d


def _check_max(a: int, e: int) -> None:
    """``<MAXNUMBER>`` unless ``a * 10**e`` fits a 64-bit mantissa with exponent <= 127."""
    while e > _MAX_EXP and a * 10 <= _MAXM:
        a *= 10
        e -= 1
    if e > _MAX_EXP:
        raise ObjectScriptError("MAXNUMBER")


def _norm_int(v: int) -> int:
    """An integer result outside the 64-bit range, rounded as IRIS does."""
    r = _make(v, 0)
    assert type(r) is int
    return r


def _parts(d: Decimal) -> tuple[int, int]:
    """(mantissa, exponent) of a finite Decimal."""
    got = _PARTS.get(d)
    if got is not None:
        return got
    sign, digits, exp = d.as_tuple()
    m = int("".join(map(str, digits))) if digits else 0
    assert isinstance(exp, int)
    return (-m if sign else m), exp


def _div_make(n: int, d: int, e: int) -> int | Decimal:
    """The IRIS decimal nearest to ``n / d * 10**e`` (``d`` > 0), exactly rounded."""
    if n == 0:
        return 0
    neg = n < 0
    if neg:
        n = -n
    k = 22 - (len(str(n)) - len(str(d)))
    if k < 0:
        k = 0
    q, r = divmod(n * _pow10(k), d)
    e -= k
    if r:
        q = q * 10 + 1  # a sticky digit: more than q exactly, so halves round correctly
        e -= 1
    return _make(-q if neg else q, e)


# --------------------------------------------------------------------------- parsing


_NUM_RE = re.compile(r"([+-]*)(\d*)(?:\.(\d*))?")
_EXP_RE = re.compile(r"[Ee]([+-]?)(\d+)")


def _parse_uncached(s: str) -> int | Decimal | float:
    """The numeric interpretation of a string: its longest numeric prefix, or 0."""
    mt = _NUM_RE.match(s)
    assert mt is not None
    signs, ip, fp = mt.group(1), mt.group(2), mt.group(3) or ""
    if not ip and not fp:
        return 0
    m = int(ip + fp)
    if m == 0:
        return 0
    if signs.count("-") % 2:
        m = -m
    e = -len(fp)
    em = _EXP_RE.match(s, mt.end())
    if em is not None:
        x = int(em.group(2)) if len(em.group(2)) < 6 else 99999
        e += -x if em.group(1) == "-" else x
    # A literal (or numeric string) whose exponent, as written, leaves the decimal range
    # is a $DOUBLE: "1E128" (mantissa 1, exponent 128) is one, "1E127" is not.
    nd = len(str(abs(m)))
    if e < _MIN_EXP:
        while m % 10 == 0:
            m //= 10
            e += 1
    if e < _MIN_EXP or e + (nd - 18 if nd > 19 else 0) > _MAX_EXP:
        return _out_of_range(m, e)
    try:
        return _make(m, e)
    except ObjectScriptError:
        return _out_of_range(m, e)


_NUMS: dict[str, Number] = {}


def _parse(s: str) -> Number:
    """``_parse_uncached`` remembered for short strings (the hot path of ``num``)."""
    got = _NUMS.get(s)
    if got is None:
        got = _parse_uncached(s)
        if len(s) < 100:
            if len(_NUMS) > 50_000:
                _NUMS.clear()
            _NUMS[s] = got
    return got


def _out_of_range(m: int, e: int) -> float:
    """A numeric string beyond the decimal range: a $DOUBLE, or ``<MAXNUMBER>``."""
    if e < -400:
        return 0.0
    if e > 400:
        raise ObjectScriptError("MAXNUMBER")
    f = float(Decimal(m).scaleb(e))
    if math.isinf(f):
        raise ObjectScriptError("MAXNUMBER")
    return f


def num(v: Any) -> Number:
    """The numeric interpretation of any value (``"3 apples"`` is 3, ``""`` is 0)."""
    t = type(v)
    if t is int:
        return v  # type: ignore[no-any-return]
    if t is str:
        got = _NUMS.get(v)
        return got if got is not None else _parse(v)
    if t is Decimal or t is float:
        return v  # type: ignore[no-any-return]
    if t is bool:
        return 1 if v else 0
    return _parse_uncached(to_str(v))


def canon(v: Any) -> Any:
    """A number unchanged; a string unchanged (the value as ObjectScript holds it)."""
    return v


# --------------------------------------------------------------------------- printing


_STRS: dict[Decimal, str] = {}


def _dec_str(d: Decimal) -> str:
    """The canonical form of a non-integral decimal: no leading zero, no exponent."""
    got = _STRS.get(d)
    if got is not None:
        return got
    s = format(d, "f")
    if s.startswith("0."):
        s = s[1:]
    elif s.startswith("-0."):
        s = "-" + s[2:]
    if len(_STRS) > 50_000:
        _STRS.clear()
    _STRS[d] = s
    return s


def _double_str(f: float) -> str:
    """How IRIS prints a $DOUBLE: at most 20 significant digits, never an exponent."""
    if f != f:
        return "NAN"
    if f == math.inf:
        return "INF"
    if f == -math.inf:
        return "-INF"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    if f.is_integer() and abs(f) < 1e20:
        return str(int(f))
    d = Decimal(f)
    m, e = _parts(d)
    a = abs(m)
    nd = len(str(a))
    if nd > 20:
        drop = nd - 20
        p = _pow10(drop)
        q, r = divmod(a, p)
        if r + r > p or (r + r == p and q & 1):
            q += 1
        a = q
        e += drop
    while a % 10 == 0:
        a //= 10
        e += 1
    s = str(a * _pow10(e)) if e >= 0 else _dec_str(Decimal((0, tuple(map(int, str(a))), e)))
    return "-" + s if m < 0 else s


def to_str(v: Any) -> str:
    """The string form of any value (numbers in canonical form)."""
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is int:
        return str(v)
    if t is Decimal:
        return _dec_str(v)
    if t is float:
        return _double_str(v)
    if v is True or v is False:
        return "1" if v else "0"
    if v is None:
        return ""
    f = getattr(v, "__os_str__", None)
    if f is not None:
        return str(f())
    return f"{id(v)}@{type(v).__name__}"


_CANON_RE = re.compile(r"0|-?(?:[1-9]\d*(?:\.\d*[1-9])?|\.\d*[1-9])")
_canon_match = _CANON_RE.fullmatch


def is_canonic(s: str) -> bool:
    """``s`` is the canonical form of a number, so it collates as a number.

    The test is on the form only: a canonical numeric string of any length is a number in
    subscript order (``"12345678901234567890123"`` sorts numerically although arithmetic on
    it rounds to 19 digits).
    """
    return _canon_match(s) is not None


# --------------------------------------------------------------------------- arithmetic


def _float_result(r: float, x: float, y: float) -> float:
    """A $DOUBLE result: INF or NAN made from finite operands is an error (IEEEError=1)."""
    if r != r and x == x and y == y:
        raise ObjectScriptError("ILLEGAL VALUE")
    if (r == math.inf or r == -math.inf) and not (math.isinf(x) or math.isinf(y)):
        raise ObjectScriptError("MAXNUMBER")
    return r


def _mantissa(x: Any) -> tuple[int, int]:
    if type(x) is int:
        return x, 0
    return _parts(x)


def _decimals(a: Any, b: Any) -> tuple[Any, Any, bool]:
    """Both operands as numbers, and whether either is a $DOUBLE (then both are floats)."""
    x = num(a)
    y = num(b)
    if type(x) is float or type(y) is float:
        return float(x), float(y), True
    return x, y, False


def add(a: Any, b: Any) -> Number:
    """``a+b``."""
    if type(a) is int is type(b):
        r = a + b
        if -9223372036854775808 <= r <= 9223372036854775807:
            return r
        return _norm_int(r)
    x = a if type(a) is int else num(a)
    y = b if type(b) is int else num(b)
    if type(x) is int is type(y):
        r = x + y
        if -9223372036854775808 <= r <= 9223372036854775807:
            return r
        return _norm_int(r)
    return _add_numbers(x, y)


def _add_numbers(x: Any, y: Any) -> Number:
    fl = type(x) is float or type(y) is float
    if fl:
        x, y = float(x), float(y)
        return _float_result(x + y, x, y)
    m1, e1 = _mantissa(x)
    m2, e2 = _mantissa(y)
    if e1 > e2:
        m1 *= _pow10(e1 - e2)
        e1 = e2
    elif e2 > e1:
        m2 *= _pow10(e2 - e1)
    return _make(m1 + m2, e1)


def sub(a: Any, b: Any) -> Number:
    """``a-b``."""
    if type(a) is int is type(b):
        r = a - b
        if -9223372036854775808 <= r <= 9223372036854775807:
            return r
        return _norm_int(r)
    return add(a, neg(b))


def mul(a: Any, b: Any) -> Number:
    """``a*b``."""
    if type(a) is int is type(b):
        r = a * b
        if -9223372036854775808 <= r <= 9223372036854775807:
            return r
        return _norm_int(r)
    x, y, fl = _decimals(a, b)
    if type(x) is int is type(y):
        return mul(x, y)
    if fl:
        return _float_result(x * y, x, y)
    m1, e1 = _mantissa(x)
    m2, e2 = _mantissa(y)
    return _make(m1 * m2, e1 + e2)


def div(a: Any, b: Any) -> Number:
    """``a/b`` (``<DIVIDE>`` by zero)."""
    if type(a) is int is type(b) and b:
        q, r = divmod(a, b)
        if not r:
            return q if -_MAXM - 1 <= q <= _MAXM else _norm_int(q)
        return _div_make(a if b > 0 else -a, b if b > 0 else -b, 0)
    x, y, fl = _decimals(a, b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if fl:
        return _float_result(x / y, x, y)
    m1, e1 = _mantissa(x)
    m2, e2 = _mantissa(y)
    if m2 < 0:
        m1, m2 = -m1, -m2
    return _div_make(m1, m2, e1 - e2)


def idiv(a: Any, b: Any) -> Number:
    """``a\\b``: the quotient truncated toward zero (``<DIVIDE>`` by zero)."""
    if type(a) is int is type(b) and b:
        q = (a if a >= 0 else -a) // (b if b >= 0 else -b)
        if (a < 0) != (b < 0):
            q = -q
        return q if q <= _MAXM else _norm_int(q)
    x, y, fl = _decimals(a, b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if fl:
        q = x / y
        _float_result(q, x, y)
        return float(math.trunc(q)) if math.isfinite(q) else q
    m1, e1 = _mantissa(x)
    m2, e2 = _mantissa(y)
    if e1 >= e2:
        n, d = m1 * _pow10(e1 - e2), m2
    else:
        n, d = m1, m2 * _pow10(e2 - e1)
    qi = abs(n) // abs(d)
    return _norm_int(qi if (n < 0) == (d < 0) else -qi)


def mod(a: Any, b: Any) -> Number:
    """``a#b``: the modulo, with the sign of the divisor (``<DIVIDE>`` by zero)."""
    if type(a) is int is type(b) and b:
        return a % b
    x, y, fl = _decimals(a, b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if fl:
        if math.isinf(x) or x != x:
            raise ObjectScriptError("ILLEGAL VALUE")
        return _fmod(x, y)
    m1, e1 = _mantissa(x)
    m2, e2 = _mantissa(y)
    e = e1 if e1 < e2 else e2
    n = m1 * _pow10(e1 - e)
    d = m2 * _pow10(e2 - e)
    return _make(n % d, e)


def _fmod(x: float, y: float) -> float:
    """Floating modulo with the sign of the divisor."""
    if math.isinf(y):
        return x if (x >= 0) == (y > 0) or x == 0 else y
    r = math.fmod(x, y)
    if r and (r < 0) != (y < 0):
        r += y
    return r


def neg(a: Any) -> Number:
    """Unary ``-a``."""
    if type(a) is int:
        return -a
    x = num(a)
    if type(x) is float:
        return -x
    return -x if x else 0


def pos(a: Any) -> Number:
    """Unary ``+a``: the numeric value."""
    if type(a) is int:
        return a
    return num(a)


def pow(a: Any, b: Any) -> Number:  # noqa: A001 - the operator's name in the shared API
    """``a**b`` (the rules of the Exponentiation operator page)."""
    x, y, fl = _decimals(a, b)
    if fl:
        return _pow_double(x, y)
    if x == 0:
        if y < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        return 0  # 0**0 is 0 for decimals
    if y == 0:
        return 1
    if x < 0 and type(y) is not int:
        raise ObjectScriptError("ILLEGAL VALUE")
    m, e = _mantissa(x)
    am = abs(m)
    if am == 1 and e == 0:  # 1**n and -1**n
        return m if type(y) is int and y % 2 else 1
    size = float(y) * (math.log10(am) + e)  # log10 of the result's magnitude
    if size > _MAX_EXP + 20:
        raise ObjectScriptError("MAXNUMBER")
    if size < _MIN_EXP - 2:
        return 0
    if type(y) is not int or abs(y) * len(str(am)) > 400:
        return _pow_decimal(x, y)
    if y > 0:
        return _make(m**y, e * y)
    den = m ** (-y)
    if den < 0:
        return _div_make(-1, -den, e * y)
    return _div_make(1, den, e * y)


power = pow


def _pow_double(x: float, y: float) -> float:
    if x == 0 and y < 0:
        raise ObjectScriptError("DIVIDE")
    if x < 0 and math.isfinite(y) and not y.is_integer():
        raise ObjectScriptError("ILLEGAL VALUE")
    try:
        r = x**y
    except OverflowError:
        raise ObjectScriptError("MAXNUMBER") from None
    if isinstance(r, complex):  # pragma: no cover - excluded above
        raise ObjectScriptError("ILLEGAL VALUE")
    return _float_result(r, x, y)


def _pow_decimal(x: int | Decimal, y: int | Decimal) -> Number:
    """A power computed with 40 significant digits, then rounded (a fractional exponent,
    or an integer one too large to expand exactly)."""
    with localcontext() as ctx:
        ctx.prec = 40
        ctx.Emax = 999999
        ctx.Emin = -999999
        r = Decimal(x) ** y
    m, e = _parts(r)
    return _make(m, e)


# --------------------------------------------------------------------------- comparison


def eq(a: Any, b: Any) -> int:
    """``a=b``: the string forms are equal."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int or ta is Decimal):
        return 1 if a == b else 0
    return 1 if to_str(a) == to_str(b) else 0


def ne(a: Any, b: Any) -> int:
    """``a'=b``."""
    return 0 if eq(a, b) else 1


def lt(a: Any, b: Any) -> int:
    """``a<b``: numeric comparison."""
    if type(a) is int is type(b):
        return 1 if a < b else 0
    return 1 if num(a) < num(b) else 0


def gt(a: Any, b: Any) -> int:
    """``a>b``."""
    if type(a) is int is type(b):
        return 1 if a > b else 0
    return 1 if num(a) > num(b) else 0


def le(a: Any, b: Any) -> int:
    """``a<=b`` (the same as ``a'>b``)."""
    return 0 if gt(a, b) else 1


def ge(a: Any, b: Any) -> int:
    """``a>=b`` (the same as ``a'<b``)."""
    return 0 if lt(a, b) else 1


def contains(a: Any, b: Any) -> int:
    """``a[b``: b is a substring of a (the empty string is in every string)."""
    return 1 if to_str(b) in to_str(a) else 0


def follows(a: Any, b: Any) -> int:
    """``a]b``: a comes after b in code-point order."""
    return 1 if to_str(a) > to_str(b) else 0


def sorts_after(a: Any, b: Any) -> int:
    """``a]]b``: a comes after b in subscript collation."""
    return 1 if collation_key(to_str(a)) > collation_key(to_str(b)) else 0


def pattern(v: Any, pat: str) -> int:
    """``v?pat`` with the pattern text as written after ``?``."""
    return 1 if _pattern_match(v if type(v) is str else to_str(v), pat) else 0


# --------------------------------------------------------------------------- logic


def truth(v: Any) -> bool:
    """The truth value: the numeric value is not zero."""
    if type(v) is int:
        return v != 0
    return num(v) != 0


def and_(a: Any, b: Any) -> int:
    """``a&b`` (both operands evaluated; ``&&`` short-circuits in the translator)."""
    return 1 if truth(a) and truth(b) else 0


def or_(a: Any, b: Any) -> int:
    """``a!b``."""
    return 1 if truth(a) or truth(b) else 0


def not_(a: Any) -> int:
    """``'a``."""
    return 0 if truth(a) else 1


# --------------------------------------------------------------------------- strings


def concat(a: Any, b: Any) -> str:
    """``a_b`` (``<MAXSTRING>`` past 3,641,144 characters)."""
    if type(a) is str and type(b) is str:
        s = a + b
    else:
        s = (a if type(a) is str else to_str(a)) + (b if type(b) is str else to_str(b))
    if len(s) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    return s


def subscript(v: Any) -> str:
    """The subscript form of a value; the empty string is not a subscript."""
    s = v if type(v) is str else to_str(v)
    if not s:
        raise ObjectScriptError("SUBSCRIPT")
    return s


def _collation_key_uncached(s: str) -> tuple[int, Any]:
    if _canon_match(s) is None:
        return (1, s)
    if "." in s:
        return (0, Decimal(s))
    return (0, int(s))


_collation_key = lru_cache(maxsize=16384)(_collation_key_uncached)


def collation_key(s: str) -> tuple[int, Any]:
    """The sort key of a subscript: canonical numbers first, numerically, then strings by
    code point. Keys compare with ``<``."""
    if len(s) > 100:
        return _collation_key_uncached(s)
    return _collation_key(s)


# --------------------------------------------------------------------------- $DOUBLE


_SPECIAL = {"INF": math.inf, "INFINITY": math.inf, "NAN": math.nan, "SNAN": math.nan}


def double(v: Any) -> float:
    """``$DOUBLE(v)``: the IEEE binary64 value; "INF", "-INF", "NAN" (any case) accepted."""
    t = type(v)
    if t is float:
        return v  # type: ignore[no-any-return]
    if t is str and v and not ("0" <= v[-1] <= "9"):
        body = v.lstrip("+-")
        special = _SPECIAL.get(body.upper())
        if special is not None:
            if special == math.inf and v[: len(v) - len(body)].count("-") % 2:
                return -math.inf
            return special
    x = num(v)
    return x if type(x) is float else float(x)


# --------------------------------------------------------------------------- $NUMBER


def _round_places(n: int | Decimal, places: int) -> int | Decimal:
    """n rounded half away from zero to ``places`` decimals (negative: left of the point)."""
    m, e = _mantissa(n)
    if -e <= places:
        return n
    drop = -e - places
    a = _round_to_digits(abs(m), drop) if drop < 200 else 0
    return _make(-a if m < 0 else a, -places)


def _as_decimal(n: Number) -> int | Decimal:
    """A number as an exact-enough decimal (a $DOUBLE through its 20-digit form)."""
    if type(n) is float:
        return _parse_uncached(_double_str(n))  # type: ignore[return-value]
    return n  # type: ignore[return-value]


_NUMBER_BODY = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(?:[Ee][+-]?\d+)?")


def number(v: Any, fmt: Any = "", min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """``$NUMBER(v, fmt, min, max)``: the canonical number, or "" when v is not a number
    in that format or lies outside [min, max].

    Format codes in any order: ``.`` or ``,`` (the decimal separator; the other one is the
    group separator), ``I`` (must be an integer), ``D`` (return a $DOUBLE), and a rounding
    factor (an optionally signed integer: decimals to keep, negative left of the point).
    """
    f = to_str(fmt)
    dec_sep = "."
    rnd: int | None = None
    integer = want_double = False
    i = 0
    while i < len(f):
        ch = f[i]
        if ch in ".,":
            dec_sep = ch
        elif ch in "Ii":
            integer = True
        elif ch in "Dd":
            want_double = True
        elif ch in "+-0123456789":
            j = i + 1
            while j < len(f) and f[j].isdigit():
                j += 1
            if f[i + 1 : j] == "" and ch in "+-" or rnd is not None:
                raise ObjectScriptError("SYNTAX")
            rnd = int(f[i:j])
            i = j
            continue
        else:
            raise ObjectScriptError("SYNTAX")
        i += 1
    if type(v) is float:
        if not math.isfinite(v):
            return ""
        n: Number = v
    else:
        s = to_str(v)
        group = "," if dec_sep == "." else "."
        body = s
        negative = False
        while body[:1] in ("+", "-") and body:
            negative ^= body[0] == "-"
            body = body[1:]
        body = body.replace(group, "")
        if dec_sep == ",":
            body = body.replace(",", ".")
        if _NUMBER_BODY.fullmatch(body) is None:
            return ""
        n = _parse(("-" if negative else "") + body)
    if rnd is not None:
        d = _as_decimal(n)
        n = float(_round_places(d, rnd)) if type(n) is float else _round_places(d, rnd)
    if integer and not (type(n) is int or (type(n) is float and n.is_integer())):
        return ""
    if min is not None and to_str(min) != "" and lt(n, min):
        return ""
    if max is not None and to_str(max) != "" and gt(n, max):
        return ""
    if want_double and type(n) is not float:
        return float(n)
    return n


# --------------------------------------------------------------------------- $JUSTIFY


def _to_int(v: Any) -> int:
    n = num(v)
    if type(n) is int:
        return n
    if type(n) is float and not math.isfinite(n):
        raise ObjectScriptError("ILLEGAL VALUE")
    return int(n)


def _fixed(n: Number, places: int) -> str:
    """n rounded to exactly ``places`` decimals, with a leading zero (``0.50``, ``-1.25``);
    a result that rounds to zero has no minus sign."""
    r = _round_places(_as_decimal(n), places)
    if type(r) is int:
        body = str(abs(r))
        if places:
            body += "." + "0" * places
        return ("-" if r < 0 else "") + body
    m, e = _parts(r)  # type: ignore[arg-type]
    digits = str(abs(m) * _pow10(places + e)).rjust(places + 1, "0")
    return ("-" if m < 0 else "") + digits[:-places] + "." + digits[-places:]


def justify(v: Any, width: Any, dec: Any = None) -> str:
    """``$JUSTIFY(v, width[, dec])``: v right-aligned in width; with dec, as a number
    rounded (half away from zero) or zero-padded to dec decimals."""
    w = _to_int(width)
    if dec is None:
        s = to_str(v)
    else:
        d = _to_int(dec)
        if d < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        n = num(v)
        s = _double_str(n) if type(n) is float and not math.isfinite(n) else _fixed(n, d)
    return s.rjust(w) if w > len(s) else s


# --------------------------------------------------------------------------- $FNUMBER


def fnumber(v: Any, fmt: Any = "", dec: Any = None) -> str:
    """``$FNUMBER(v, fmt[, dec])``.

    Codes (either case, any order): ``+`` plus sign on positives; ``-`` no minus sign;
    ``,`` group separators; ``.`` European form (decimal comma, period groups); ``N`` no
    group separators; ``L`` leading sign (the default); ``T`` trailing sign (a space when
    no sign is shown); ``P`` negatives in parentheses, positives between spaces; ``O``
    ODBC separators. ``P`` with ``+ - L T`` is ``<SYNTAX>``; ``,`` with ``.`` or ``N`` is
    ``<FUNCTION>``; another character is ``<FUNCTION>``.
    """
    f = to_str(fmt).upper()
    codes = set(f)
    if not codes <= set("+-,.NLTPO"):
        raise ObjectScriptError("FUNCTION")
    if "P" in codes and codes & set("+-LT"):
        raise ObjectScriptError("SYNTAX")
    if "," in codes and ("." in codes or "N" in codes):
        raise ObjectScriptError("FUNCTION")
    if "L" in codes and "T" in codes:
        raise ObjectScriptError("FUNCTION")
    n = num(v)
    if type(n) is float and not math.isfinite(n):
        return _double_str(n)
    if dec is not None:
        d = _to_int(dec)
        if d < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        body = _fixed(n, d)
    else:
        body = to_str(n)
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    ip, dot, fp = body.partition(".")
    european = "." in codes
    if (european or "," in codes) and "N" not in codes:
        sep = "." if european else ","
        groups: list[str] = []
        while len(ip) > 3:
            groups.append(ip[-3:])
            ip = ip[:-3]
        groups.append(ip)
        ip = sep.join(reversed(groups))
    body = ip + (("," if european else ".") + fp if dot else "")
    if "P" in codes:
        return f"({body})" if negative else f" {body} "
    minus = "" if "-" in codes else "-"
    sign = minus if negative else ("+" if "+" in codes else "")
    if "T" in codes:
        return body + (sign or " ")
    return sign + body


# --------------------------------------------------------------------------- $Z math


def zabs(v: Any) -> Number:
    """``$ZABS(v)``."""
    n = num(v)
    return neg(n) if n < 0 else n


def _dec_fn(v: Any, name: str) -> Number:
    n = num(v)
    if type(n) is float:
        fn = {"sqrt": math.sqrt, "exp": math.exp, "ln": math.log, "log10": math.log10}[name]
        try:
            return fn(n)
        except (ValueError, OverflowError):
            raise ObjectScriptError("ILLEGAL VALUE" if name != "exp" else "MAXNUMBER") from None
    with localcontext() as ctx:
        ctx.prec = 40
        ctx.Emax = 999999
        ctx.Emin = -999999
        d = Decimal(n)
        if name == "sqrt":
            r = d.sqrt()
        elif name == "exp":
            r = d.exp()
        elif name == "ln":
            r = d.ln()
        else:
            r = d.log10()
    m, e = _parts(r)
    return _make(m, e)


def zsqr(v: Any) -> Number:
    """``$ZSQR(v)`` (``<ILLEGAL VALUE>`` for a negative number)."""
    if num(v) < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    return _dec_fn(v, "sqrt")


def zexp(v: Any) -> Number:
    """``$ZEXP(v)``."""
    return _dec_fn(v, "exp")


def zln(v: Any) -> Number:
    """``$ZLN(v)`` (``<ILLEGAL VALUE>`` unless v > 0)."""
    if num(v) <= 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    return _dec_fn(v, "ln")


def zlog(v: Any) -> Number:
    """``$ZLOG(v)``, the base-10 logarithm (``<ILLEGAL VALUE>`` unless v > 0)."""
    if num(v) <= 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    return _dec_fn(v, "log10")


def zpower(a: Any, b: Any) -> Number:
    """``$ZPOWER(a, b)``: the same as ``a**b``."""
    return pow(a, b)
