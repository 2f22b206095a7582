"""Character sets as Python's ``re`` defines them, for writing a pattern in RE2's syntax.

RE2 and Python disagree on what ``\\w``, ``\\d``, ``\\s`` and case-insensitive letters match
outside ASCII (RE2's classes are ASCII, its case folding is Unicode's simple folding, Python's
are its own Unicode tables and lower-casing rules). So every single-character item of a
pattern (a literal, ``.``, a class, a category) is turned into the explicit set of code
points Python's ``re`` matches with it under the flags in force, and RE2 gets that set as a
class of ranges: the two engines then agree character for character.

The sets are computed from Python's own engine, never from a copy of its rules:

* a category (``\\w``, ``\\d``, ``\\s``) is the runs ``re`` finds over a string of every code
  point (once per process);
* without ``IGNORECASE`` a literal, a range or a class is exact by construction;
* with ``IGNORECASE`` only *cased* characters can match other characters (about 2,900 code
  points); they are grouped once by their case mappings into families, and each member of a
  family that touches the item is tested with Python's compiled item.

With ``ascii_text`` the set is only needed over ASCII (the text searched is ASCII): each of the
128 characters is tested with Python's compiled item.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from functools import cache, lru_cache
from typing import Any

from atelier_api.search.sre import sre_parse

MAX_CODE = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)
#: A set of code points as sorted, disjoint, non-adjacent inclusive ranges.
Ranges = tuple[tuple[int, int], ...]
ALL: Ranges = ((0, MAX_CODE),)
NEWLINE = ord("\n")

#: the flags that change what a single-character item matches
ITEM_FLAGS = re.IGNORECASE | re.ASCII | re.DOTALL | re.UNICODE

_CATEGORY_SOURCE = {getattr(sre_parse, name): text for name, text in (
    ("CATEGORY_DIGIT", r"\d"), ("CATEGORY_NOT_DIGIT", r"\D"), ("CATEGORY_SPACE", r"\s"),
    ("CATEGORY_NOT_SPACE", r"\S"), ("CATEGORY_WORD", r"\w"), ("CATEGORY_NOT_WORD", r"\W"))}
_NEGATED_CATEGORY = {getattr(sre_parse, name): getattr(sre_parse, base) for name, base in (
    ("CATEGORY_NOT_DIGIT", "CATEGORY_DIGIT"), ("CATEGORY_NOT_SPACE", "CATEGORY_SPACE"),
    ("CATEGORY_NOT_WORD", "CATEGORY_WORD"))}


#: Unicode's general categories (two letters; one letter names the group, ``LC`` the cased
#: letters)
GENERAL_CATEGORIES = ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc",
                      "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl",
                      "Zp", "Cc", "Cf", "Cs", "Co", "Cn")


class NotASet(Exception):
    """The item is not a single-character item this module knows."""


# -- range arithmetic -------------------------------------------------------------------------

def normalize(pairs: list[tuple[int, int]]) -> Ranges:
    """Sorted, merged ranges."""
    out: list[tuple[int, int]] = []
    for low, high in sorted(pairs):
        if out and low <= out[-1][1] + 1:
            if high > out[-1][1]:
                out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return tuple(out)


def complement(ranges: Ranges) -> Ranges:
    """Every code point not in ``ranges``."""
    out = []
    nxt = 0
    for low, high in ranges:
        if low > nxt:
            out.append((nxt, low - 1))
        nxt = high + 1
    if nxt <= MAX_CODE:
        out.append((nxt, MAX_CODE))
    return tuple(out)


def intersect(ranges: Ranges, low: int, high: int) -> Ranges:
    """The part of ``ranges`` inside ``low..high``."""
    return tuple((max(a, low), min(b, high)) for a, b in ranges if a <= high and b >= low)


def contains(ranges: Ranges, code: int) -> bool:
    """True when ``code`` is in ``ranges``."""
    at = bisect.bisect_right(ranges, (code, MAX_CODE + 1)) - 1
    return at >= 0 and ranges[at][0] <= code <= ranges[at][1]


def without_surrogates(ranges: Ranges) -> Ranges:
    """The ranges without U+D800..U+DFFF (UTF-8 text, as RE2 reads it, has none)."""
    low, high = SURROGATES
    return normalize([part for a, b in ranges for part in ((a, min(b, low - 1)),
                                                           (max(a, high + 1), b))
                      if part[0] <= part[1]])


# -- Python's tables, computed from Python's engine --------------------------------------------

@lru_cache(maxsize=1)
def _every_character() -> str:
    """A string of every code point, in order (surrogates included: ``re`` can see them)."""
    return array("I", range(MAX_CODE + 1)).tobytes().decode("utf-32-le", "surrogatepass")


@cache
def category(code: Any, ascii_flag: bool) -> Ranges:
    """The code points a category escape (``\\d``, ``\\w``, ...) matches in Python."""
    base = _NEGATED_CATEGORY.get(code)
    if base is not None:
        return complement(category(base, ascii_flag))
    rx = re.compile(_CATEGORY_SOURCE[code] + "+", re.ASCII if ascii_flag else 0)
    return normalize([(m.start(), m.end() - 1) for m in rx.finditer(_every_character())])


@cache
def general_category(name: str) -> Ranges:
    """The code points of a Unicode general category, as Python's ``unicodedata`` knows it:
    ``Lu``, ``L`` (every ``L…``), ``LC`` (``Lu``, ``Ll``, ``Lt``); KeyError for another name."""
    parts = [cat for cat in GENERAL_CATEGORIES
             if cat == name or cat[0] == name or (name == "LC" and cat in ("Lu", "Ll", "Lt"))]
    if not parts:
        raise KeyError(name)
    table = _general_categories()
    return normalize([pair for cat in parts for pair in table[cat]])


@lru_cache(maxsize=1)
def _general_categories() -> dict[str, list[tuple[int, int]]]:
    """Every code point's general category, as runs per category (once per process)."""
    runs: dict[str, list[tuple[int, int]]] = {cat: [] for cat in GENERAL_CATEGORIES}
    start, current = 0, unicodedata.category("\x00")
    for code in range(1, MAX_CODE + 2):
        cat = unicodedata.category(chr(code)) if code <= MAX_CODE else ""
        if cat != current:
            runs[current].append((start, code - 1))
            start, current = code, cat
    return runs


@lru_cache(maxsize=1)
def _families() -> tuple[Ranges, dict[int, tuple[int, ...]]]:
    """The cased code points (those with any case mapping) and, for each, its family: the
    code points linked to it by lower, upper, title or case-folded forms (the first character
    of a longer form counts). Python's case-insensitive matching never joins characters of
    two families, so a family is the superset its members are tested against."""
    every = _every_character()
    parent: dict[int, int] = {}

    def root(code: int) -> int:
        while parent.get(code, code) != code:
            parent[code] = parent.get(parent[code], parent[code])
            code = parent[code]
        return code

    def uncased(text: str) -> bool:
        return (text.lower() == text and text.upper() == text and text.casefold() == text
                and text.title() == text)
    cased = []
    for start in range(0, MAX_CODE + 1, 256):
        if uncased(every[start:start + 256]):
            continue
        for part in range(start, start + 256, 16):
            chars = every[part:part + 16]
            if uncased(chars):
                continue
            for ch in chars:
                forms = (ch.lower(), ch.upper(), ch.title(), ch.casefold())
                if all(form == ch for form in forms):
                    continue
                code = ord(ch)
                cased.append(code)
                parent.setdefault(code, code)
                for form in forms:
                    other = ord(form[0])
                    parent.setdefault(other, other)
                    a, b = root(code), root(other)
                    if a != b:
                        parent[a] = b
    groups: dict[int, list[int]] = {}
    for code in parent:
        groups.setdefault(root(code), []).append(code)
    family = {code: tuple(sorted(groups[root(code)])) for code in parent}
    return normalize([(c, c) for c in cased]), family


# -- one item --------------------------------------------------------------------------------

def item_source(op: Any, av: Any) -> str:
    """Python source of a single-character item of a parsed pattern (positive form)."""
    if op is sre_parse.LITERAL or op is sre_parse.NOT_LITERAL:
        return _esc(av)
    if op is sre_parse.ANY:
        return "."
    if op is sre_parse.IN:
        return "[" + "".join(_part_source(kind, value) for kind, value in av
                             if kind is not sre_parse.NEGATE) + "]"
    raise NotASet(op)


def _part_source(kind: Any, value: Any) -> str:
    if kind is sre_parse.LITERAL:
        return _esc(value)
    if kind is sre_parse.RANGE:
        return f"{_esc(value[0])}-{_esc(value[1])}"
    if kind is sre_parse.CATEGORY and value in _CATEGORY_SOURCE:
        return _CATEGORY_SOURCE[value]
    raise NotASet(kind)


def _esc(code: int) -> str:
    return f"\\U{code:08x}"


def _negated(op: Any, av: Any) -> bool:
    return op is sre_parse.NOT_LITERAL or (
        op is sre_parse.IN and any(kind is sre_parse.NEGATE for kind, _ in av))


def item_ranges(op: Any, av: Any, flags: int, ascii_text: bool) -> Ranges:
    """The code points the item matches under ``flags``, as Python's ``re`` matches them
    (only over ASCII when ``ascii_text``)."""
    return _item_ranges(op, _hashable(av), flags & ITEM_FLAGS, ascii_text)


def _hashable(av: Any) -> Any:
    if isinstance(av, list):
        return tuple((kind, _hashable(value)) for kind, value in av)
    return av


@lru_cache(maxsize=4096)
def _item_ranges(op: Any, av: Any, flags: int, ascii_text: bool) -> Ranges:
    if op is sre_parse.ANY:
        every = ALL if flags & re.DOTALL else complement(((NEWLINE, NEWLINE),))
        return intersect(every, 0, 127) if ascii_text else every
    negate = _negated(op, av)
    positive_rx = re.compile(item_source(op, av), flags)
    if ascii_text:
        found = normalize([(c, c) for c in range(128) if positive_rx.fullmatch(chr(c))])
        return intersect(complement(found), 0, 127) if negate else found
    base = _plain(op, av, bool(flags & re.ASCII))
    if flags & re.IGNORECASE:
        base = _with_cases(base, positive_rx)
    return complement(base) if negate else base


def _plain(op: Any, av: Any, ascii_flag: bool) -> Ranges:
    """The positive set of an item without case-insensitivity."""
    if op is sre_parse.LITERAL or op is sre_parse.NOT_LITERAL:
        return ((av, av),)
    pairs: list[tuple[int, int]] = []
    for kind, value in av:
        if kind is sre_parse.LITERAL:
            pairs.append((value, value))
        elif kind is sre_parse.RANGE:
            pairs.append((value[0], value[1]))
        elif kind is sre_parse.CATEGORY:
            pairs += category(value, ascii_flag)
        elif kind is not sre_parse.NEGATE:
            raise NotASet(kind)
    return normalize(pairs)


def _with_cases(base: Ranges, positive_rx: re.Pattern[str]) -> Ranges:
    """``base`` plus the characters of other case that Python matches with the item."""
    cased, family = _families()
    touched: set[int] = set()
    for low, high in base:
        start = bisect.bisect_right(cased, (low, -1)) - 1
        for a, b in cased[max(start, 0):]:
            if a > high:
                break
            for code in range(max(a, low), min(b, high) + 1):
                touched.update(family.get(code, ()))
    extra = [(c, c) for c in touched if not contains(base, c) and positive_rx.fullmatch(chr(c))]
    return normalize(list(base) + extra) if extra else base
