"""Conformance of compiler_stub.runtime.values: ObjectScript expressions and what IRIS prints.

Each case of ``CASES`` is (ObjectScript expression, the exact output of ``WRITE expr`` or the
error ``<CODE>``, where the expectation comes from). A tiny evaluator below reads the
expression strictly left to right (as ObjectScript does) and calls the runtime functions, so
the table reads like the documentation's examples.

Sources named in the table (InterSystems documentation pages, by title and key):
  NUM   "Numeric Values in ObjectScript" (GCOS_numbers)
  LIT   "Numeric Literals" (GCOS_syntax_lits_num)
  SCI   "Scientific Notation" (GCOS_types_numberssci)
  NC    "Numeric Computing in InterSystems Applications" (GORIENT_appx_numcompute)
  EXP   "Exponentiation (**)" (RCOS_op_expon)
  ZPOW  "$ZPOWER" (RCOS_fzpower)
  DBL   "$DOUBLE" (RCOS_fdouble)
  IEEE  "IEEEError" (RACS_IEEEError)
  NUMB  "$NUMBER" (RCOS_fnumber)
  FN    "$FNUMBER" (RCOS_ffnumber)
  JUST  "$JUSTIFY" (RCOS_fjustify)
  PAT   "Pattern Match (?)" (RCOS_op_pattern)
  TYPES "Data Types and Values" (GCOS_types)
  BIGINT  InterSystems Developer Community, "Is there something like java.math.BigInteger
          in ObjectScript?" (IRIS output quoted there)
  ANSI  the ANSI M standard (X11.1), where the InterSystems pages are silent
  GTM   GT.M Programmer's Guide examples of the same ANSI function (shared M semantics)
  CHOICE  no source found: the behaviour chosen here (listed as open in the hand-over)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError

# --------------------------------------------------------------------------- the evaluator


def _not(f: Callable[[Any, Any], int]) -> Callable[[Any, Any], int]:
    return lambda a, b: 1 - f(a, b)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": V.add, "-": V.sub, "*": V.mul, "/": V.div, "\\": V.idiv, "#": V.mod,
    "**": V.pow, "_": V.concat,
    "=": V.eq, "'=": V.ne, "<": V.lt, ">": V.gt, "<=": V.le, ">=": V.ge,
    "'<": V.ge, "'>": V.le,
    "[": V.contains, "'[": _not(V.contains), "]": V.follows, "']": _not(V.follows),
    "]]": V.sorts_after, "']]": _not(V.sorts_after),
    "&": V.and_, "&&": V.and_, "!": V.or_, "||": V.or_,
}  # fmt: skip
_OPS = sorted([*_BINARY, "?", "'?"], key=len, reverse=True)

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "$DOUBLE": V.double, "$NUMBER": V.number, "$NUM": V.number,
    "$FNUMBER": V.fnumber, "$FN": V.fnumber, "$JUSTIFY": V.justify, "$J": V.justify,
    "$ZABS": V.zabs, "$ZSQR": V.zsqr, "$ZEXP": V.zexp, "$ZLN": V.zln, "$ZLOG": V.zlog,
    "$ZPOWER": V.zpower,
}  # fmt: skip

_NUMLIT = re.compile(r"(\d+\.?\d*|\.\d+)(E[+-]?\d+)?")
_SIGNED_LIT = re.compile(r"[+-]+(\d+\.?\d*|\.\d+)(E[+-]?\d+)?")


class _Reader:
    """Reads one ObjectScript expression left to right, evaluating as it goes."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def expr(self) -> Any:
        value = self.operand()
        while self.i < len(self.s) and self.s[self.i] not in ",)":
            op = next(o for o in _OPS if self.s.startswith(o, self.i))
            self.i += len(op)
            if op in ("?", "'?"):
                hit = V.pattern(value, self.pattern_text())
                value = hit if op == "?" else 1 - hit
            else:
                value = _BINARY[op](value, self.operand())
        return value

    def operand(self) -> Any:
        ch = self.s[self.i]
        signed = _SIGNED_LIT.match(self.s, self.i)
        if signed is not None:  # LIT: leading signs are part of a numeric literal
            self.i = signed.end()
            return V.num(signed.group(0))
        if ch in "+-'":
            self.i += 1
            inner = self.operand()
            return V.pos(inner) if ch == "+" else V.neg(inner) if ch == "-" else V.not_(inner)
        if ch == "(":
            self.i += 1
            value = self.expr()
            assert self.s[self.i] == ")"
            self.i += 1
            return value
        if ch == '"':
            end = self.i + 1
            out = []
            while True:
                if self.s[end] == '"':
                    if self.s.startswith('""', end):
                        out.append('"')
                        end += 2
                        continue
                    break
                out.append(self.s[end])
                end += 1
            self.i = end + 1
            return "".join(out)
        if ch == "$":
            m = re.compile(r"\$[A-Z]+").match(self.s, self.i)
            assert m is not None
            self.i = m.end()
            assert self.s[self.i] == "("
            self.i += 1
            args: list[Any] = []
            while True:
                args.append(None if self.s[self.i] in ",)" else self.expr())
                sep = self.s[self.i]
                self.i += 1
                if sep == ")":
                    break
            while args and args[-1] is None:
                args.pop()
            return _FUNCTIONS[m.group(0)](*args)
        m = _NUMLIT.match(self.s, self.i)
        assert m is not None, self.s[self.i :]
        self.i = m.end()
        return V.num(m.group(0))  # a numeric literal is converted to canonical form

    def pattern_text(self) -> str:
        start = self.i
        depth = 0
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == '"':
                self.i = self.s.index('"', self.i + 1) + 1
                while self.s.startswith('"', self.i):
                    self.i = self.s.index('"', self.i + 1) + 1
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            elif (ch == "," and depth == 0) or not (ch.isalnum() or ch in '.,"' or depth):
                break
            self.i += 1
        return self.s[start : self.i]


def write(expr: str) -> str:
    """What ``WRITE expr`` prints, or the error ``<CODE>``."""
    try:
        reader = _Reader(expr)
        value = reader.expr()
        assert reader.i == len(expr), f"unread: {expr[reader.i :]!r}"
        return V.to_str(value)
    except ObjectScriptError as exc:
        return exc.name


# --------------------------------------------------------------------------- the table

_E200 = "99999999999999996973" + "0" * 180  # 1E200 as the nearest double, 20 digits shown

CASES: list[tuple[str, str, str]] = [
    # --- operators, strict left to right
    ("2+3*4", "20", "NUM: operators are evaluated strictly left to right"),
    ("2+(3*4)", "14", "NUM: parentheses group"),
    ("2_3+1", "24", "NUM: left to right; concatenation then addition"),
    ('"a"_1/2', "0", 'NUM: left to right; "a1"/2 is 0/2'),
    ("10-2-3", "5", "NUM: left to right"),
    ("2**3**2", "64", "NUM: left to right, ** included"),
    # --- strings as numbers
    ('"3 apples"+1', "4", "NUM: a numeric prefix of a string is its value"),
    ('"7dwarves"+0', "7", "DBL: mixed numeric string truncated at the first non-numeric"),
    ('"7.5.4"+0', "7.5", 'DBL: mixed numeric string "7.5.4"'),
    ('""+0', "0", "NUM: the empty string is 0"),
    ('"abc"+0', "0", "NUM: a non-numeric string is 0"),
    ('" 3"+0', "0", "ANSI: a leading space ends the numeric prefix"),
    ('"--3"+0', "3", "NUM: any number of leading signs, each minus flips"),
    ('"+-3"+0', "-3", "NUM: leading signs"),
    ('"-+-+3"+0', "3", "NUM: leading signs"),
    ('"3-2"+0', "3", "NUM: in a string a sign after a digit ends the number"),
    ('".5.5"+0', ".5", "NUM: at most one decimal separator"),
    ('"1,000"+0', "1", "NUM: a comma ends the number"),
    ('"$5"+0', "0", "NUM: a non-numeric first character"),
    ('"1E3"+0', "1000", "SCI: scientific notation in a numeric string"),
    ('"1e3"+0', "1000", "SCI: lowercase e (ScientificNotation, on by default)"),
    ('"1E"+0', "1", "SCI: E must be followed by an exponent to count"),
    ('"1E+"+0', "1", "SCI: E with a sign but no digits is not an exponent"),
    ('"2.8E3"+0', "2800", "SCI: 2.8E3"),
    ('"5E-2"+0', ".05", "SCI: 5E-2"),
    ('"-0"+0', "0", "NUM: -0 is 0 in canonical form"),
    ('"0007.00"+0', "7", "LIT: leading and trailing zeros removed"),
    ('+"++0007.00"', "7", "LIT: the string literal example, used as a number"),
    ('"++0007.00"', "++0007.00", "LIT: a numeric string literal is not converted"),
    ('+"1.50"', "1.5", "NUM: unary plus gives the canonical form"),
    ('-"3 apples"', "-3", "NUM: unary minus on a numeric prefix"),
    ('+"abc"', "0", "NUM: unary plus of a non-numeric string"),
    ('-"abc"', "0", "NUM: minus zero is 0"),
    ('+"-.5"', "-.5", "NUM: canonical form has no leading integer zero"),
    ('+".50"', ".5", "NUM: trailing fractional zeros removed"),
    ('+"1."', "1", "NUM: a trailing decimal separator is dropped"),
    ('+"-.0"', "0", "NUM: negative zero is 0"),
    # --- numeric literals and canonical output
    ("++0007.00", "7", "LIT: SET x = ++0007.00 writes 7"),
    ("-0.5", "-.5", "NUM: canonical form drops the leading zero"),
    ("0.5", ".5", "NUM: canonical form drops the leading zero"),
    ("--5", "5", "NUM: two unary minus"),
    ("-+-5", "5", "NUM: unary signs"),
    ("1.0", "1", "NUM: canonical form of 1.0"),
    ("-0", "0", "NUM: canonical form of -0"),
    ("1E25", "10000000000000000000000000", "NC: decimal exponent; integers print in full"),
    ("1.5E3", "1500", "SCI: mantissa with a fraction"),
    ("1E-5", ".00001", "SCI: negative exponent"),
    ("2.8E3", "2800", "SCI: 2.8E3 represents 2800"),
    ("5E-2", ".05", "SCI: 5E-2 represents .05"),
    ("1E1", "10", "SCI: 1E1 represents 10"),
    ("1E200", _E200, "DBL: a literal beyond the decimal range becomes a $DOUBLE"),
    # --- 64-bit mantissa: 19 digits when it fits, else 18
    ("9223372036854775807", "9223372036854775807", "NC: largest exact integer"),
    ("9223372036854775808", "9223372036854775810", "BIGINT: IRIS writes ...810"),
    ("9223372036854775807+1", "9223372036854775810", "NC: 18 digits past 2**63-1"),
    ("-9223372036854775808", "-9223372036854775808", "NC: the largest negative integer"),
    ("-9223372036854775808-1", "-9223372036854775810", "NC: past the largest negative"),
    ("12345678901234567890", "12345678901234567890", "NC: 19 significant digits fit"),
    ("12345678901234567891", "12345678901234567890", "NC: rounded to 19 digits"),
    ("99999999999999999999", "100000000000000000000", "NC: rounding carries"),
    ("2**64", "18446744073709551620", "NC: 19 significant digits"),
    ("1E19/3", "3333333333333333333", "NC: 19 significant digits, integral"),
    ("9223372036854775807*10", "92233720368547758070", "NC: exponent 1"),
    ("1/3", ".3333333333333333333", "NC: 19 digits (3333333333333333333 fits 64 bits)"),
    ("2/3", ".6666666666666666667", "NC: 19 digits, rounded half up"),
    ("8/9", ".8888888888888888889", "NC: 19 digits"),
    ("29/30", ".966666666666666667", "NC: 9666666666666666667 > 2**63-1, so 18 digits"),
    ("-1/3", "-.3333333333333333333", "NC: negative"),
    ("1/7", ".1428571428571428571", "NC: 19 digits"),
    ("100/7", "14.28571428571428571", "NC: 19 significant digits"),
    ("10/3", "3.333333333333333333", "NC: 19 significant digits"),
    ("1/3*3", "1", "NC: 9999999999999999999 does not fit 64 bits; 18 digits round up"),
    ("1/3*2", ".6666666666666666666", "NC: 1/3 is rounded before the product"),
    ("2/3*3", "2", "NC: 2.0000000000000000001 rounds to 19 digits"),
    ("9223372036854775807E127", "9223372036854775807" + "0" * 127, "NC: the largest decimal"),
    ("9223372036854775807E127*10", "<MAXNUMBER>", "NC: past 9223372036854775807E127"),
    ("1E127*90", "9" + "0" * 128, "NC: results are normalized, up to 9.22E145"),
    ("1E128", "10000000000000000752" + "0" * 109, "DBL: a literal beyond range, e.g. 1E128"),
    ("1E-128*10", "." + "0" * 126 + "1", "NC: the smallest exponent is -128"),
    ("9**153", "<MAXNUMBER>", "ZPOW: $ZPOWER(9,153) overflows"),
    ("9**-153", "0", "ZPOW: a large negative exponent underflows to 0"),
    # --- arithmetic
    ("10/4", "2.5", "NUM: division"),
    ("6/3", "2", "NUM: an integral quotient is an integer"),
    ("0.1+0.2", ".3", "NC: decimal fractions are exact"),
    ("1-0.9", ".1", "NC: decimal fractions are exact"),
    (".1*3", ".3", "NC: decimal fractions are exact"),
    ("1.23*100", "123", "NC: the significand 123 with exponent -2, times 100"),
    ("1.5*1.5", "2.25", "NUM: multiplication"),
    ("3-5", "-2", "NUM: subtraction"),
    ("1/0", "<DIVIDE>", "NUM: division by zero"),
    ('1/"abc"', "<DIVIDE>", "NUM: a non-numeric divisor is 0"),
    ("7\\2", "3", "NUM: integer division truncates"),
    ("-7\\2", "-3", "NUM: integer division truncates toward zero"),
    ("7\\-2", "-3", "NUM: integer division truncates toward zero"),
    ("5.5\\2", "2", "NUM: integer division of a fraction"),
    ("-5.5\\2", "-2", "NUM: toward zero"),
    ("5\\.3", "16", "NUM: integer division by a fraction"),
    ("1\\0", "<DIVIDE>", "NUM: integer division by zero"),
    ("7#3", "1", "NUM: modulo"),
    ("-7#3", "2", "NUM: modulo has the sign of the divisor"),
    ("7#-3", "-2", "NUM: modulo has the sign of the divisor"),
    ("-7#-3", "-1", "NUM: modulo"),
    ("5.5#2", "1.5", "NUM: modulo of a fraction"),
    ("-5.5#2", ".5", "NUM: modulo of a negative fraction"),
    ("9223372036854775807123456789#2", "0", "BIGINT: IRIS writes 0 (rounded first)"),
    ("1#0", "<DIVIDE>", "NUM: modulo by zero"),
    # --- exponentiation
    ("2**10", "1024", "EXP: integer power"),
    ("2**-1", ".5", "EXP: negative power"),
    ("10**-2", ".01", "EXP: negative power"),
    ("1.5**2", "2.25", "EXP: fractional base"),
    ("4**.5", "2", "EXP: fractional power"),
    ("2**.5", "1.414213562373095049", "EXP: fractional power, 19 digits"),
    ("0**0", "0", "EXP: 0**0 is 0"),
    ("0**2", "0", "EXP: 0**n is 0"),
    ("0**-1", "<ILLEGAL VALUE>", "EXP: 0 to a negative standard number"),
    ("5**0", "1", "EXP: num**0 is 1"),
    ("-5**0", "1", "EXP: negative num**0 is 1"),
    ("1**-5", "1", "EXP: 1**n is 1"),
    ("-1**3", "-1", "EXP: -1 to an odd power"),
    ("-1**-1", "-1", "EXP: -1**-1 is -1"),
    ("-2**2", "4", "EXP: negative base, even power"),
    ("-2**3", "-8", "EXP: negative base, odd power"),
    ("-2**-3", "-.125", "EXP: negative base, odd negative power"),
    ("-8**.5", "<ILLEGAL VALUE>", "EXP: negative base, fractional power"),
    ("$DOUBLE(0)**0", "1", "EXP: 0**0 with a $DOUBLE operand is 1"),
    ("0**$DOUBLE(0)", "1", "EXP: 0**0 with a $DOUBLE operand is 1"),
    ("$DOUBLE(0)**-1", "<DIVIDE>", "EXP: $DOUBLE 0 to a negative power"),
    ('$DOUBLE("INF")**0', "1", "EXP: INF**0 is 1"),
    ('$DOUBLE("INF")**2', "INF", "EXP: INF to a positive power"),
    ('0**$DOUBLE("INF")', "0", "EXP: 0**INF is 0"),
    ("$ZPOWER(2,10)", "1024", "ZPOW: the same as **"),
    # --- comparisons
    ("1=1", "1", "NUM: equality"),
    ('"1"=1', "1", 'NUM: equality compares strings: "1" and 1'),
    ('"1.0"=1', "0", 'NUM: "1.0" is not the string 1'),
    ('"01"=1', "0", 'NUM: "01" is not canonical'),
    ("1.0=1", "1", "LIT: the literal 1.0 is the number 1"),
    ('"abc"="abc"', "1", "ANSI: string equality"),
    ('"a"\'="b"', "1", "ANSI: not equals"),
    ('+"01"=1', "1", "NUM: unary plus makes it canonical"),
    ('"01"=+"01"', "0", "NUM: the x=+x canonical-number test"),
    ('"-1"=+"-1"', "1", "NUM: the x=+x canonical-number test"),
    ("2<10", "1", "NUM: numeric comparison"),
    ('"2"<"10"', "1", "NUM: < compares numerically even for strings"),
    ('"abc"<1', "1", "NUM: a non-numeric string is 0"),
    ("1>=1", "1", "NUM: greater or equal"),
    ("1<=0", "0", "NUM: less or equal"),
    ("2'<1", "1", "NUM: not less than"),
    ("1'>2", "1", "NUM: not greater than"),
    ("-1<0", "1", "NUM: negative numbers"),
    ("1.5>1.49", "1", "NUM: fractions"),
    ('"abc"["b"', "1", "ANSI: contains"),
    ('"abc"[""', "1", "ANSI: every string contains the empty string"),
    ('"abc"\'["d"', "1", "ANSI: does not contain"),
    ("123[2", "1", "ANSI: contains on the string form of a number"),
    ('"10"]"2"', "0", "ANSI: follows is code-point order"),
    ('"2"]"10"', "1", "ANSI: follows is code-point order"),
    ('"a"]"B"', "1", "ANSI: follows, lower case after upper case"),
    ('"a"\']"b"', "1", "ANSI: not follows"),
    ('"abc"]"ab"', "1", "ANSI: a longer string follows its prefix"),
    ("10]]2", "1", "NUM: sorts after, numbers numerically"),
    ('"10"]]"2"', "1", "NUM: canonical numeric strings sort as numbers"),
    ('"a"]]10', "1", "NUM: strings sort after numbers"),
    ('"01"]]99', "1", "NUM: a non-canonical numeric string sorts as a string"),
    ('"1E2"]]5', "1", 'NUM: "1E2" is a string in collation'),
    ('"-1"]]"-2"', "1", "NUM: negative numbers in collation"),
    ('".5"]]"-.5"', "1", "NUM: .5 is canonical"),
    ('"0.5"]]"a"', "0", 'NUM: "0.5" is a string (not canonical), before "a"'),
    ('"b"\']]"a"', "0", "NUM: not sorts after"),
    ("$DOUBLE(1)=1", "1", "DBL: $DOUBLE(1) writes 1"),
    ("$DOUBLE(.1)=.1", "0", "DBL: avoid equality of $DOUBLE and decimal values"),
    ("$DOUBLE(.1)>.1", "1", "DBL: comparisons are exact, without rounding"),
    # --- logic
    ("1&0", "0", "NUM: and"),
    ("1!0", "1", "NUM: or"),
    ('"a"&1', "0", "NUM: a non-numeric string is false"),
    ('"1a"&"2b"', "1", "NUM: truth is the numeric value"),
    ('".1"&1', "1", "NUM: a fraction is true"),
    ('1&&"0.0"', "0", 'NUM: "0.0" is 0'),
    ("0||1", "1", "NUM: or"),
    ("'0", "1", "NUM: not"),
    ("'5", "0", "NUM: not"),
    ('\'"abc"', "1", "NUM: not of a non-numeric string"),
    ('\'""', "1", "NUM: not of the empty string"),
    # --- concatenation
    ("1_2", "12", "ANSI: concatenation of numbers"),
    ('1.50_""', "1.5", "LIT: the literal is canonical before concatenation"),
    ('-0.5_"x"', "-.5x", "NUM: canonical form"),
    ('"a"_"b"', "ab", "ANSI: concatenation"),
    # --- $DOUBLE
    ("$DOUBLE(.1)", ".10000000000000000555", "DBL: up to 20 digits"),
    ("$DOUBLE(1)/3", ".33333333333333331483", "DBL: up to 20 digits"),
    ("$DOUBLE(1)", "1", "DBL: integral value"),
    ("$DOUBLE(1.5)", "1.5", "DBL: exact binary fraction"),
    ("$DOUBLE(-2.5)", "-2.5", "DBL: negative"),
    ("$DOUBLE(.5)", ".5", "DBL: no leading zero"),
    ("$DOUBLE(1E20)", "100000000000000000000", "DBL: integer part in full"),
    (
        "$DOUBLE(12345678901234567890123)",
        "12345678901234567741000",
        "DBL: integer rounded to 20 significant digits, zeros after",
    ),
    ('$DOUBLE("INF")', "INF", "DBL: the string INF"),
    ('$DOUBLE("-inf")', "-INF", "DBL: INF variants, any case"),
    ('$DOUBLE("NAN")', "NAN", "DBL: the string NAN"),
    ('$DOUBLE("abc")', "0", "DBL: a non-numeric string is 0"),
    ('$DOUBLE("7dwarves")', "7", "DBL: a mixed numeric string is truncated"),
    ("$DOUBLE(.1)+.2", ".30000000000000004441", "DBL: mixed arithmetic gives a $DOUBLE"),
    (".2+$DOUBLE(.1)", ".30000000000000004441", "DBL: mixed arithmetic gives a $DOUBLE"),
    ("$DOUBLE(2)**.5", "1.4142135623730951455", "DBL: $DOUBLE arithmetic"),
    ("$DOUBLE(5)\\2", "2", "DBL: integer division"),
    ("$DOUBLE(7)#3", "1", "DBL: modulo"),
    ("$DOUBLE(-7)#3", "2", "DBL: modulo has the sign of the divisor"),
    ("$DOUBLE(1)/0", "<DIVIDE>", "IEEE: division by zero is an error"),
    ("$DOUBLE(1E300)*$DOUBLE(1E300)", "<MAXNUMBER>", "IEEE: overflow is an error"),
    ('$DOUBLE("INF")+1', "INF", "IEEE: INF supplied as input is allowed"),
    ('$DOUBLE("INF")-$DOUBLE("INF")', "<ILLEGAL VALUE>", "IEEE: a NAN result is an error"),
    # --- $NUMBER
    ('$NUMBER("1,234.56")', "1234.56", "NUMB: group separators accepted"),
    ('$NUMBER("1.234,56",",")', "1234.56", 'NUMB: "," is the European decimal'),
    ('$NUMBER("1,234.56",".")', "1234.56", 'NUMB: "." is the American decimal'),
    ('$NUMBER("-07.00","I")', "-7", "NUMB: integer example"),
    ('$NUMBER("-07.01","I")', "", "NUMB: not an integer gives the empty string"),
    ("$NUMBER(234.45,-2)", "200", "NUMB: negative rounding factor"),
    ("$NUMBER(123.45,1)", "123.5", "NUMB: a 5 always rounds up"),
    ("$NUMBER(1.5,0)", "2", "NUMB: rounding factor 0"),
    ('$NUMBER("abc")', "", "NUMB: not a number"),
    ('$NUMBER("7dwarves")', "", "NUMB: not a number"),
    ('$NUMBER("1E3")', "1000", "NUMB: scientific notation"),
    ('$NUMBER("+5")', "5", "NUMB: a sign"),
    ('$NUMBER(5,"",1,10)', "5", "NUMB: within min and max"),
    ('$NUMBER(11,"",1,10)', "", "NUMB: above max"),
    ('$NUMBER(0,"",1)', "", "NUMB: below min"),
    ('$NUMBER($DOUBLE("INF"))', "", "NUMB: INF gives the empty string"),
    ('$NUMBER(12,"X")', "<SYNTAX>", "NUMB: an invalid format"),
    # --- $FNUMBER
    ('$FNUMBER(1234567.891,",",2)', "1,234,567.89", "FN: group separators, 2 decimals"),
    ('$FNUMBER(-100000,"-")', "100000", "GTM: suppress the negative sign"),
    ('$FNUMBER(-100000,"T")', "100000-", "GTM: trailing sign"),
    ('$FNUMBER(-100000,"P")', "(100000)", "GTM: negative in parentheses"),
    ('$FNUMBER(-100000,",")', "-100,000", "GTM: commas"),
    ('$FNUMBER(-100000,"",2)', "-100000.00", "GTM: number with fraction"),
    ('$FNUMBER(2000,"+")', "+2000", "GTM: force + sign"),
    ('$FNUMBER(2000,"P")', " 2000 ", "ANSI: P puts spaces around a positive value"),
    ('$FNUMBER(2000,"T")', "2000 ", "ANSI: T without a sign gives a trailing space"),
    ('$FNUMBER(2000,"+T")', "2000+", "ANSI: trailing plus"),
    ('$FNUMBER(.5,"",2)', "0.50", "FN: a fraction gets a leading zero with decimals"),
    ('$FNUMBER(.5,"")', ".5", 'FN: "" is the canonical form'),
    ('$FNUMBER(1234567.891,".",2)', "1.234.567,89", 'FN: "." is European formatting'),
    ('$FNUMBER(1234567.5,".N")', "1234567,5", "FN: N, no group separator"),
    ('$FNUMBER(-5,"+-")', "5", 'FN: "+-": negatives have no sign'),
    ('$FNUMBER(5,"+-")', "+5", 'FN: "+-": positives have a plus'),
    ('$FNUMBER(-5,"L")', "-5", "FN: L leading sign"),
    ('$FNUMBER(5,"P-")', "<SYNTAX>", 'FN: "-" with "P"'),
    ('$FNUMBER(5,",.")', "<FUNCTION>", 'FN: "," with "."'),
    ('$FNUMBER(5,",N")', "<FUNCTION>", 'FN: "," with "N"'),
    ('$FNUMBER(-1234.5,"P,",2)', "(1,234.50)", "ANSI: P combines with comma"),
    ('$FNUMBER(123,",")', "123", "ANSI: no leading comma"),
    ('$FNUMBER(2.5,"",0)', "3", "JUST: rounding half up (FN rounds as $JUSTIFY)"),
    ('$FNUMBER(-.004,"",2)', "0.00", "CHOICE: a result that rounds to zero is unsigned"),
    # --- $JUSTIFY
    ("$JUSTIFY(10.545,10,2)", "     10.55", "GTM: rounded up"),
    ("$JUSTIFY(10.544,10,2)", "     10.54", "GTM: rounded down"),
    ("$JUSTIFY(10.5,10,2)", "     10.50", "GTM: zero-filled"),
    ("$JUSTIFY(.34,0,2)", "0.34", "GTM: a leading zero"),
    ('$JUSTIFY("HELLO",10)', "     HELLO", "GTM: right-justified string"),
    ('$JUSTIFY("GOODBYE",5)', "GOODBYE", "JUST: width less than the length"),
    ('$JUSTIFY("abc",5,2)', " 0.00", "JUST: a nonnumeric string is 0"),
    ("$JUSTIFY(-3.14159,8,3)", "  -3.142", "JUST: negative, rounded"),
    ("$JUSTIFY(1.5,0,0)", "2", "JUST: zero decimals"),
    ('$JUSTIFY(123,"",1)', "123.0", 'JUST: a width of "" is 0'),
    ('$JUSTIFY("007",5)', "  007", "JUST: the 2-argument form does not convert"),
    # --- pattern match
    ('"123-45-6789"?3N1"-"2N1"-"4N', "1", "PAT: the Social Security Number example"),
    ('"abc"?3L', "1", "PAT: lower case"),
    ('"abc"?1.A', "1", "PAT: one or more letters"),
    ('"ab1"?.A', "0", "PAT: a digit is not a letter"),
    ('"ab1"?.AN', "1", "PAT: combined codes"),
    ('"A"?1U', "1", "PAT: upper case"),
    ('"a"?1U', "0", "PAT: not upper case"),
    ('" "?1P', "1", "PAT: space is punctuation"),
    ('""?.E', "1", "PAT: . is any number including 0"),
    ('""?1.E', "0", "PAT: at least one"),
    ('"abc"?1"a".E', "1", "PAT: literal then anything"),
    ('"ab"?2(1"a",1"b")', "1", "PAT: alternation repeated"),
    ('"ac"?2(1"a",1"b")', "0", "PAT: alternation"),
    ("123?3N", "1", "PAT: a number's string form"),
    ('-1.5?1"-"1N1"."1N', "1", "PAT: canonical number text"),
    ('"abc"\'?3N', "1", "PAT: not-match"),
    # --- $Z math
    ("$ZABS(-2.5)", "2.5", "CHOICE: $ZABS is the absolute value"),
    ("$ZSQR(16)", "4", "CHOICE: an exact square root is exact"),
    ("$ZSQR(-1)", "<ILLEGAL VALUE>", "CHOICE: as ZPOW for a negative base"),
    ("$ZLN(2)", ".6931471805599453094", "CHOICE: 19 digits by the NC rule"),
    ("$ZEXP(10)", "22026.46579480671652", "CHOICE: 19 digits by the NC rule"),
    ("$ZLOG(1000)", "3", "CHOICE: an exact logarithm is exact"),
    ("$ZLN(0)", "<ILLEGAL VALUE>", "CHOICE: as ZPOW for 0 to a negative power"),
]


def test_the_table_is_large_and_sourced() -> None:
    assert len(CASES) >= 150
    for expr, _expected, source in CASES:
        assert source.strip(), expr


@pytest.mark.parametrize(("expr", "expected", "source"), CASES, ids=[c[0] for c in CASES])
def test_conformance(expr: str, expected: str, source: str) -> None:
    assert write(expr) == expected, source


# --------------------------------------------------------------------------- the value model


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3 apples", 3),
        ("", 0),
        ("-.5", Decimal("-0.5")),
        ("1E3", 1000),
        ("--3", 3),
        ("+-3", -3),
        (" 3", 0),
        ("1e", 1),
        (".5.5", Decimal("0.5")),
        ("1.25", Decimal("1.25")),
        ("-0", 0),
    ],
)
def test_num_of_strings(text: str, value: object) -> None:
    got = V.num(text)
    assert got == value
    assert type(got) is type(value)


def test_numbers_are_normalized() -> None:
    assert type(V.div(6, 3)) is int
    assert type(V.add("1.5", ".5")) is int
    assert type(V.mul("2.5", 4)) is int
    assert type(V.div(1, 4)) is Decimal
    assert type(V.add(V.double(1), 1)) is float
    third = V.div(1, 3)
    assert isinstance(third, Decimal)
    assert len(third.as_tuple().digits) == 19


def test_no_bool_ever() -> None:
    for result in (V.eq(1, 1), V.lt(1, 2), V.and_(1, 1), V.not_(0), V.pattern("1", "1N")):
        assert type(result) is int


@pytest.mark.parametrize(
    ("text", "canonic"),
    [
        ("1", True), ("-1", True), ("0", True), (".5", True), ("-.5", True),
        ("123.456", True), ("12345678901234567890123", True),
        ("-0", False), ("01", False), ("1.0", False), ("0.5", False), ("1E2", False),
        ("+1", False), ("1.", False), ("", False), (".", False), ("-", False),
        (" 1", False), ("1 ", False), ("1.50", False), ("00", False),
    ],
)  # fmt: skip
def test_is_canonic(text: str, canonic: bool) -> None:
    assert V.is_canonic(text) is canonic


def test_collation_order() -> None:
    subs = ["b", "10", "-1", "2", "1.5", "01", "a", "-.5", "1E2", "0", "A", " ", "1.0",
            "12345678901234567890123", "12345678901234567890124", "9"]  # fmt: skip
    assert sorted(subs, key=V.collation_key) == [
        "-1", "-.5", "0", "1.5", "2", "9", "10",
        "12345678901234567890123", "12345678901234567890124",
        " ", "01", "1.0", "1E2", "A", "a", "b",
    ]  # fmt: skip


def test_subscript() -> None:
    assert V.subscript(5) == "5"
    assert V.subscript(V.num("-.5")) == "-.5"
    with pytest.raises(ObjectScriptError) as exc:
        V.subscript("")
    assert exc.value.code == "SUBSCRIPT"


def test_concat_maxstring() -> None:
    """TYPES: the maximum string length is 3,641,144 characters."""
    assert V.MAX_STRING == 3_641_144
    big = "x" * (V.MAX_STRING - 1)
    assert len(V.concat(big, "y")) == V.MAX_STRING
    with pytest.raises(ObjectScriptError) as exc:
        V.concat(big, "yz")
    assert exc.value.code == "MAXSTRING"


def test_oref_string_form() -> None:
    class Person:
        def __os_str__(self) -> str:
            return "3@Sample.Person"

    p = Person()
    assert V.to_str(p) == "3@Sample.Person"
    assert V.concat(p, "") == "3@Sample.Person"
    assert V.num(p) == 3  # NUM: an oref in a numeric context is its leading integer
    assert V.eq(p, "3@Sample.Person") == 1


def test_canon_keeps_values() -> None:
    assert V.canon("01") == "01"
    assert V.canon(5) == 5


def test_truth() -> None:
    assert V.truth("1a") is True
    assert V.truth("a") is False
    assert V.truth(V.num(".0001")) is True
    assert V.truth(V.double(0)) is False


def test_underflow_to_zero() -> None:
    """NC: the smallest exponent is -128; a smaller result vanishes."""
    tiny = V.num("1E-128")
    assert isinstance(tiny, Decimal)
    assert V.div(tiny, 10) == 0
    assert V.to_str(V.div(tiny, 2)) == "." + "0" * 127 + "1"  # .5E-128 rounds up


def test_justify_width_is_minimum() -> None:
    assert V.justify(12345, 3) == "12345"
    assert V.justify(V.num("-.5"), 0, 1) == "-0.5"


def test_double_of_double_is_identity() -> None:
    d = V.double(".1")
    assert V.double(d) is d


def _reference(exact: Decimal) -> str:
    """NC: round to 19 significant digits half away from zero, or 18 when the 19-digit
    significand exceeds 9223372036854775807; then the canonical string."""
    from decimal import ROUND_HALF_UP, Context

    if not exact:
        return "0"
    r = Context(prec=19, rounding=ROUND_HALF_UP).plus(exact)
    sign, digits, _exp = r.as_tuple()
    if len(digits) == 19 and int("".join(map(str, digits))) > 9223372036854775807 + sign:
        r = Context(prec=18, rounding=ROUND_HALF_UP).plus(exact)
    text = format(r.normalize(Context(prec=30)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text


def test_arithmetic_against_a_decimal_reference() -> None:
    """Random operands: +, -, *, / agree with exact arithmetic rounded by the NC rule."""
    import random
    from decimal import Context

    rnd = random.Random(13)
    wide = Context(prec=200)
    for _ in range(2000):
        texts = []
        for _side in range(2):
            digits = str(rnd.randrange(1, 10 ** rnd.randrange(1, 20)))
            point = rnd.randrange(0, len(digits) + 3)
            text = ("-" if rnd.random() < 0.3 else "") + (
                digits[: len(digits) - point] + "." + digits[len(digits) - point :]
                if point <= len(digits)
                else "." + "0" * (point - len(digits)) + digits
            )
            texts.append(text)
        a, b = (V.num(t) for t in texts)
        da, db = Decimal(V.to_str(a)), Decimal(V.to_str(b))
        assert V.to_str(V.add(a, b)) == _reference(wide.add(da, db)), texts
        assert V.to_str(V.sub(a, b)) == _reference(wide.subtract(da, db)), texts
        assert V.to_str(V.mul(a, b)) == _reference(wide.multiply(da, db)), texts
        assert V.to_str(V.div(a, b)) == _reference(wide.divide(da, db)), texts


def test_integer_division_and_modulo_against_fractions() -> None:
    """NUM: \\ truncates toward zero; # is a - b*floor(a/b) (the sign of the divisor)."""
    import math
    import random
    from fractions import Fraction

    rnd = random.Random(7)
    for _ in range(2000):
        a = V.num(f"{rnd.randrange(-(10**6), 10**6)}E{rnd.randrange(-4, 3)}")
        b = V.num(f"{rnd.choice([-1, 1]) * rnd.randrange(1, 10**4)}E{rnd.randrange(-3, 2)}")
        fa, fb = Fraction(V.to_str(a)), Fraction(V.to_str(b))
        assert Fraction(V.to_str(V.idiv(a, b))) == math.trunc(fa / fb)
        assert Fraction(V.to_str(V.mod(a, b))) == fa - fb * math.floor(fa / fb)
