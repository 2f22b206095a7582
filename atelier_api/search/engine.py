"""The two regex engines of a search and the choice between them.

* **RE2** (the ``google-re2`` binding) runs every pattern it can express, in time linear in
  the text whatever the pattern (no backtracking), over UTF-8 bytes, with the GIL released.
* **Python's ``re``** (backtracking) runs only what RE2 lacks: look-around, back-references,
  conditional groups, atomic groups and possessive repeats, ``\\b``/``\\B`` in non-ASCII text
  (RE2's word boundary is ASCII), and patterns RE2 refuses as too large. Such a pattern must
  pass the backtracking check (``regex_safety``) or is refused with a 400, and its search has
  a time budget (``service.BACKTRACKING_SECONDS``).

A pattern is parsed once by Python's parser (what it means is always what Python's ``re``
gives) and written again in RE2's syntax with the same meaning (``to_re2``): each
single-character item becomes the explicit class of what Python matches (``charsets``), so
case-insensitivity, ``\\w``, ``\\d``, ``\\s`` and ``.`` agree character for character; anchors
and repeats keep their meaning. Two versions are written: one for ASCII text (where ``\\b`` is
RE2's) and one for any text; the text searched picks one (``Regex.program``).

A ``Program`` is picklable (sources only) and compiles lazily, once per process: a forked
search process compiles its own objects instead of using the server's, whose internal locks
another thread may have held at the fork.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import re2
from re2 import _re2 as re2_core  # the binding's compiled module: one C call per search

from atelier_api.search.charsets import (
    NotASet,
    Ranges,
    complement,
    item_ranges,
    without_surrogates,
)
from atelier_api.search.sre import sre_parse

#: RE2's limit on a counted repeat (``{n}``); larger counts need Python's engine.
RE2_MAX_COUNT = 1000
#: Memory RE2 may use for one compiled program (its DFA caches included).
RE2_MAX_MEM = 64 << 20
Span = tuple[int, int]

_SINGLE = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN)
_LACKS = {sre_parse.ASSERT: "look-around", sre_parse.ASSERT_NOT: "look-around",
          sre_parse.GROUPREF: "a back-reference",
          sre_parse.GROUPREF_EXISTS: "a conditional group",
          sre_parse.ATOMIC_GROUP: "an atomic group"}
_POSSESSIVE = getattr(sre_parse, "POSSESSIVE_REPEAT", None)
_NEWLINE = ord("\n")
_BOUNDARIES = {sre_parse.AT_BOUNDARY: r"\b", sre_parse.AT_NON_BOUNDARY: r"\B"}


class Unsupported(Exception):
    """RE2 cannot run the pattern; the message says what it lacks."""


# -- writing a parsed pattern in RE2's syntax ----------------------------------------------------

def to_re2(items: Iterable[Any], flags: int, *, ascii_text: bool, single_line: bool,
           empty_text: bool = False) -> str:
    """RE2 source with the meaning Python gives ``items`` under ``flags``, over ASCII text
    (``ascii_text``) or any text; ``single_line``: the text searched holds one line (so a
    non-multi-line ``$`` is the end of the text); ``empty_text``: for the empty text only
    (where Python's ``\\B`` never matches)."""
    deeper = {"ascii_text": ascii_text, "single_line": single_line, "empty_text": empty_text}
    out = []
    for op, av in items:
        if op in _SINGLE:
            out.append(klass(item_ranges(op, av, flags, ascii_text)))
        elif op is sre_parse.SUBPATTERN:
            _group, add, remove, sub = av
            scoped = (flags | add) & ~remove
            out.append("(?:" + to_re2(sub, scoped, **deeper) + ")")
        elif op is sre_parse.BRANCH:
            out.append("(?:" + "|".join(to_re2(alt, flags, **deeper) for alt in av[1]) + ")")
        elif op is sre_parse.MAX_REPEAT or op is sre_parse.MIN_REPEAT:
            low, high, sub = av
            body = to_re2(sub, flags, **deeper)
            out.append(f"(?:{body}){_count(low, high)}" +
                       ("?" if op is sre_parse.MIN_REPEAT else ""))
        elif op is sre_parse.AT and empty_text and av is sre_parse.AT_NON_BOUNDARY:
            out.append(r"\b")  # never matches in the empty text, as Python's \B there
        elif op is sre_parse.AT:
            out.append(_anchor(av, flags, ascii_text, single_line))
        elif op in _LACKS:
            raise Unsupported(_LACKS[op])
        elif _POSSESSIVE is not None and op is _POSSESSIVE:
            raise Unsupported("a possessive repeat")
        else:
            raise Unsupported(f"the construct {op}")
    return "".join(out)


def _count(low: int, high: int) -> str:
    unbounded = high == sre_parse.MAXREPEAT
    if low > RE2_MAX_COUNT or (not unbounded and high > RE2_MAX_COUNT):
        raise Unsupported(f"a repeat count above {RE2_MAX_COUNT}")
    if unbounded:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


def _anchor(at: Any, flags: int, ascii_text: bool, single_line: bool) -> str:
    if at is sre_parse.AT_BEGINNING:
        return "(?m:^)" if flags & re.MULTILINE else r"\A"
    if at is sre_parse.AT_END:
        if flags & re.MULTILINE:
            return "(?m:$)"
        if single_line:
            return r"\z"
        raise Unsupported("'$' without multi-line mode")
    if at is sre_parse.AT_BEGINNING_STRING:
        return r"\A"
    if at is sre_parse.AT_END_STRING:
        return r"\z"
    if at in _BOUNDARIES:
        # RE2's are ASCII, as Python's in ASCII text or with the ASCII flag; but RE2's \B also
        # holds between two bytes of one UTF-8 character
        if ascii_text or (flags & re.ASCII and at is sre_parse.AT_BOUNDARY):
            return _BOUNDARIES[at]
        raise Unsupported(r"\b or \B in non-ASCII text")
    raise Unsupported(f"the anchor {at}")


def klass(ranges: Ranges) -> str:
    """A class of code point ranges in RE2's syntax (surrogates left out: UTF-8 has none)."""
    ranges = without_surrogates(ranges)
    if not ranges:
        return r"[^\x00-\x{10ffff}]"  # matches nothing
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _hex(ranges[0][0])
    return "[" + "".join(_hex(a) if a == b else f"{_hex(a)}-{_hex(b)}"
                         for a, b in ranges) + "]"


def _hex(code: int) -> str:
    return f"\\x{{{code:x}}}"


def _word_guard(flags: int, ascii_text: bool, start: bool) -> str:
    """What may stand before (``start``) or after a whole word: a line end or a character
    that is not a word character under ``flags`` (never the newline itself, so that a match
    stays on its line)."""
    word = item_ranges(sre_parse.IN, [(sre_parse.CATEGORY, sre_parse.CATEGORY_WORD)], flags,
                       ascii_text)
    other = tuple(part for a, b in complement(word)
                  for part in ((a, min(b, _NEWLINE - 1)), (max(a, _NEWLINE + 1), b))
                  if part[0] <= part[1])
    if ascii_text:
        other = tuple((a, min(b, 127)) for a, b in other if a <= 127)
    edge = "(?m:^)" if start else "(?m:$)"
    return f"(?:{edge}|{klass(other)})"


# -- programs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Program:
    """A pattern as one engine runs it: RE2 source (``linear``) or Python's (``python``,
    ``flags``) when RE2 lacks something (``lacks``). ``marked``: group 1 of the RE2 pattern
    starts where the match is reported (a whole-word guard precedes it)."""

    python: str
    flags: int
    linear: str | None = None
    marked: bool = False
    lacks: str = ""
    #: RE2 only, when Python's answer for the empty text differs: (search, fullmatch) there
    empty: tuple[bool, bool] | None = None

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Span | None:
        """The first match in ``text[pos:endpos]`` as character offsets, or None."""
        end = len(text) if endpos is None else endpos
        if self.empty is not None and end == 0:  # Python: the text up to endpos is empty
            return (0, 0) if self.empty[0] else None
        if self.linear is None:
            m = _python(self.python, self.flags).search(text, pos, end)
            return None if m is None else m.span()
        if text.isascii():
            return self.search_bytes(text.encode("ascii"), pos, end)
        data = text.encode("utf-8", "replace")
        start = _byte_len(text, 0, pos)
        found = self.search_bytes(data, start, start + _byte_len(text, pos, end))
        if found is None:
            return None
        a = pos + len(data[start:found[0]].decode("utf-8", "replace"))
        return a, a + len(data[found[0]:found[1]].decode("utf-8", "replace"))

    def fullmatch(self, text: str) -> Span | None:
        """The match of the whole ``text``, or None."""
        if self.empty is not None and not text:
            return (0, 0) if self.empty[1] else None
        if self.linear is None:
            m = _python(self.python, self.flags).fullmatch(text)
            return None if m is None else m.span()
        data = text.encode("ascii" if text.isascii() else "utf-8", "replace")
        spans = _re2(self.linear).Match(_BOTH, data, 0, len(data))
        return None if spans[0][0] < 0 else (0, len(text))

    def search_bytes(self, data: bytes, pos: int, endpos: int) -> Span | None:
        """RE2 only: the first match in UTF-8 ``data[pos:endpos]`` as byte offsets."""
        return self.byte_search()(data, pos, endpos)

    def byte_search(self) -> Callable[[bytes, int, int], Span | None]:
        """RE2 only: ``search_bytes`` bound to this process's compiled program (for a loop)."""
        assert self.linear is not None
        match, marked = _re2(self.linear).Match, self.marked

        def search(data: bytes, pos: int, endpos: int) -> Span | None:
            spans = match(_UNANCHORED, data, pos, endpos)
            if spans[0][0] < 0:
                return None
            return (spans[1][0] if marked else spans[0][0]), spans[0][1]
        return search

    def spans_bytes(self, data: bytes) -> Iterator[Span]:
        """RE2 only: successive non-overlapping matches in ``data`` (byte offsets)."""
        pos, end = 0, len(data)
        search = self.byte_search()
        while pos <= end:
            found = search(data, pos, end)
            if found is None:
                return
            yield found
            pos = found[1] if found[1] > pos else pos + 1

    def python_rx(self) -> re.Pattern[str]:
        """The compiled Python pattern (the backtracking engine)."""
        return _python(self.python, self.flags)


def _byte_len(text: str, start: int, end: int) -> int:
    return len(text[start:end].encode("utf-8", "replace"))


@dataclass(frozen=True)
class Regex:
    """A pattern compiled for both kinds of text: ``ascii`` for ASCII text, ``other`` for
    any text; ``python``/``flags`` is the pattern as the user's engine reads it."""

    ascii: Program
    other: Program

    @property
    def python(self) -> str:
        return self.other.python

    @property
    def flags(self) -> int:
        return self.other.flags

    @property
    def linear(self) -> bool:
        """True when RE2 runs it on every text."""
        return self.ascii.linear is not None and self.other.linear is not None

    @property
    def lacks(self) -> str:
        """What RE2 lacks for it ("" when linear)."""
        return self.ascii.lacks or self.other.lacks

    def program(self, ascii_text: bool) -> Program:
        """The program for ASCII text or for any text."""
        return self.ascii if ascii_text else self.other

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Span | None:
        """The first match in ``text`` (character offsets)."""
        return self.program(text.isascii()).search(text, pos, endpos)

    def fullmatch(self, text: str) -> Span | None:
        """The match of the whole ``text``."""
        return self.program(text.isascii()).fullmatch(text)


def build(source: str, flags: int, *, single_line: bool, word: bool = False) -> Regex:
    """Compile a pattern for both engines (``re.error`` when Python's parser refuses it).

    ``word``: ``source`` must stand as a whole word (not preceded or followed by a word
    character)."""
    parsed = sre_parse.parse(source, flags)
    python = rf"(?<!\w)(?:{source})(?!\w)" if word else source
    programs = []
    for ascii_text in (True, False):
        try:
            linear = to_re2(parsed, parsed.state.flags, ascii_text=ascii_text,
                            single_line=single_line)
            if word:
                linear = (_word_guard(flags, ascii_text, True) + f"({linear})" +
                          _word_guard(flags, ascii_text, False))
            _re2(linear)
        except (Unsupported, NotASet, _TooLarge) as exc:
            reason = str(exc) if isinstance(exc, Unsupported) else (
                "a pattern larger than RE2 compiles" if isinstance(exc, _TooLarge)
                else "a character class RE2 cannot be given")
            programs.append(Program(python, flags, lacks=reason))
            continue
        programs.append(Program(python, flags, linear, marked=word,
                                empty=_on_empty(parsed, ascii_text, single_line)))
    return Regex(programs[0], programs[1])


def _on_empty(parsed: Any, ascii_text: bool, single_line: bool) -> tuple[bool, bool] | None:
    """Python's answers (search, fullmatch) for the empty text when RE2's differ there: a
    ``\\B`` matches in RE2's empty text, never in Python's."""
    if not _has(parsed, sre_parse.AT_NON_BOUNDARY):
        return None
    rx = _re2(to_re2(parsed, parsed.state.flags, ascii_text=ascii_text,
                     single_line=single_line, empty_text=True))
    return rx.Match(_UNANCHORED, b"", 0, 0)[0][0] >= 0, rx.Match(_BOTH, b"", 0, 0)[0][0] >= 0


def _has(items: Iterable[Any], anchor: Any) -> bool:
    for op, av in items:
        if op is sre_parse.AT and av is anchor:
            return True
        subs: list[Any] = []
        if op is sre_parse.SUBPATTERN:
            subs = [av[-1]]
        elif op is sre_parse.BRANCH:
            subs = list(av[1])
        elif op is sre_parse.MAX_REPEAT or op is sre_parse.MIN_REPEAT:
            subs = [av[2]]
        if any(_has(sub, anchor) for sub in subs):
            return True
    return False


# -- compiled objects, once per process -----------------------------------------------------------

_UNANCHORED = re2_core.RE2.Anchor.UNANCHORED
_BOTH = re2_core.RE2.Anchor.ANCHOR_BOTH
_COMPILED: dict[tuple[str, str, int], Any] = {}
_OWNER = [os.getpid()]
_CACHE_SIZE = 256


class _TooLarge(Exception):
    """RE2 refused to compile the pattern (too large for its memory budget, say)."""


def _cached(kind: str, source: str, flags: int) -> Any:
    if _OWNER[0] != os.getpid():  # a forked child: never the parent's objects
        _COMPILED.clear()
        _OWNER[0] = os.getpid()
    key = (kind, source, flags)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _CACHE_SIZE:
            _COMPILED.clear()
        if kind == "re2":
            options = re2.Options()
            options.max_mem = RE2_MAX_MEM
            options.log_errors = False
            found = re2_core.RE2(source.encode("utf-8"), options)
            if not found.ok():
                raise _TooLarge(found.error())
        else:
            found = re.compile(source, flags)
        _COMPILED[key] = found
    return found


def _re2(source: str) -> Any:
    """RE2's compiled program of ``source`` (``Match(anchor, data, pos, endpos)`` gives the
    spans of the match and its groups, ``(-1, -1)`` for none)."""
    return _cached("re2", source, 0)


def _python(source: str, flags: int) -> re.Pattern[str]:
    rx: re.Pattern[str] = _cached("re", source, flags)
    return rx
