"""The ``?`` pattern-match operator: pattern text compiled to a Python regular expression.

A pattern is a sequence of atoms, each a repeat count followed by pattern codes, a quoted
string or an alternation ``(p1,p2,...)`` of whole patterns:

- repeat counts ``n`` (exactly), ``n.m``, ``.m``, ``n.``, ``.`` (any number);
- codes (either case, combinable as in ``1AN``): ``A`` letters, ``C`` control characters,
  ``E`` anything, ``L`` lower case, ``N`` digits, ``P`` punctuation (space included),
  ``U`` upper case;
- a string literal ``"ab""c"`` (doubled quotes inside).

The whole string must match (``"abc"?1A`` is false). Compiled patterns are cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from compiler_stub.runtime.errors import ObjectScriptError

_ASCII_P = "".join(chr(c) for c in range(32, 127) if not chr(c).isalnum())


def _ranges(pred_chars: list[int]) -> str:
    """A regex class body for a sorted list of code points."""
    out: list[str] = []
    i = 0
    n = len(pred_chars)
    while i < n:
        j = i
        while j + 1 < n and pred_chars[j + 1] == pred_chars[j] + 1:
            j += 1
        a, b = pred_chars[i], pred_chars[j]
        out.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
        i = j + 1
    return "".join(out)


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    """Regex class bodies of the codes over the Basic Multilingual Plane (IRIS strings are
    UTF-16 code units, so a character past U+FFFF is two surrogates there, never a letter)."""
    upper: list[int] = []
    lower: list[int] = []
    alpha: list[int] = []
    ctrl: list[int] = []
    punct: list[int] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if cp < 128:
            if ch.isupper():
                upper.append(cp)
                alpha.append(cp)
            elif ch.islower():
                lower.append(cp)
                alpha.append(cp)
            elif cp < 32 or cp == 127:
                ctrl.append(cp)
            elif ch in _ASCII_P:
                punct.append(cp)
            continue
        cat = unicodedata.category(ch)
        c0 = cat[0]
        if c0 == "L":
            alpha.append(cp)
            if cat in ("Lu", "Lt"):
                upper.append(cp)
            elif cat == "Ll":
                lower.append(cp)
        elif cat == "Cc":
            ctrl.append(cp)
        elif c0 in "PSZ":
            punct.append(cp)
    return {
        "A": _ranges(alpha),
        "C": _ranges(ctrl),
        "L": _ranges(lower),
        "N": "0-9",
        "P": _ranges(punct),
        "U": _ranges(upper),
    }


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def error(self) -> ObjectScriptError:
        return ObjectScriptError("SYNTAX")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def digits(self) -> str:
        j = self.i
        while self.i < len(self.text) and self.text[self.i].isdigit():
            self.i += 1
        return self.text[j : self.i]

    def pattern(self, in_alt: bool) -> str:
        parts: list[str] = []
        while self.i < len(self.text):
            ch = self.peek()
            if in_alt and ch in ",)":
                break
            parts.append(self.atom())
        if not parts:
            raise self.error()
        return "".join(parts)

    def count(self) -> str:
        lo = self.digits()
        if self.peek() == ".":
            self.i += 1
            hi = self.digits()
            if hi and int(hi) < int(lo or "0"):
                raise self.error()
            return "{" + (lo or "0") + "," + hi + "}"
        if not lo:
            raise self.error()
        return "{" + lo + "}"

    def atom(self) -> str:
        rep = self.count()
        ch = self.peek()
        if ch == '"':
            return f"(?:{re.escape(self.string())}){rep}"
        if ch == "(":
            self.i += 1
            alts = [self.pattern(True)]
            while self.peek() == ",":
                self.i += 1
                alts.append(self.pattern(True))
            if self.peek() != ")":
                raise self.error()
            self.i += 1
            return f"(?:{'|'.join(alts)}){rep}"
        codes = ""
        while self.peek().isalpha() and self.peek().upper() in "ACELNPU":
            codes += self.peek().upper()
            self.i += 1
        if not codes:
            raise self.error()
        if "E" in codes:
            cls = "[\\s\\S]"
        else:
            table = _classes()
            cls = "[" + "".join(table[c] for c in dict.fromkeys(codes)) + "]"
        return cls + rep

    def string(self) -> str:
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(self.text):
                raise self.error()
            ch = self.text[self.i]
            self.i += 1
            if ch == '"':
                if self.peek() == '"':
                    out.append('"')
                    self.i += 1
                    continue
                return "".join(out)
            out.append(ch)


@lru_cache(maxsize=1024)
def compile_pattern(text: str) -> re.Pattern[str]:
    """The compiled form of pattern text (``<SYNTAX>`` if it is not a pattern)."""
    p = _Parser(text)
    body = p.pattern(False)
    try:
        return re.compile(body, re.DOTALL)
    except re.error:
        raise ObjectScriptError("SYNTAX") from None


def match(s: str, text: str) -> bool:
    """``s?text``: the whole of ``s`` matches the pattern."""
    return compile_pattern(text).fullmatch(s) is not None
