"""How a query runs over the corpus: the corpus plan, the line-local check and the
lower-cased rewrite of case-insensitive patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from atelier_api.search.query import Pattern, SearchQuery, compile_query
from atelier_api.search.sre import REPEATS, sre_parse

# -- the corpus search: why it gives the per-line answer ------------------------------------
#
# The documents' texts live in memory (atelier_api.search.corpus); one compiled regex runs over
# each chunk of joined texts and every match is mapped back to its document and line. For
# each line the result is the one the per-line test gives (Pattern.test), because:
#
# * a match that stays inside one line is exactly a match of that line alone: the corpus
#   pattern has no look-around that could see past the line end (user regexes with look-around
#   or \A/\Z are searched line by line instead), ``^``/``$`` are multi-line, and the search
#   restarts at the next line after each hit, so a hit is the line's leftmost match;
# * a match that crosses a line end (``\s``, ``[^x]`` and DOTALL can match ``\n``) is only a
#   candidate: the line it starts in is tested alone, and the search resumes at the next line,
#   so a line-crossing match never hides a match of a later line;
# * documents with a line longer than MAX_LINE are searched line by line (the per-line test
#   cuts such lines).
#
# A case-insensitive pattern runs over the lower-cased copy of ASCII chunks as an equivalent
# case-sensitive pattern (every single-character item replaced by the set of lower-case ASCII
# characters it matches): the same match positions, far faster than re.IGNORECASE.

_CONTEXT_OPS = tuple(getattr(sre_parse, op) for op in ("ASSERT", "ASSERT_NOT"))
_STRING_ANCHORS = (sre_parse.AT_BEGINNING_STRING, sre_parse.AT_END_STRING)


@dataclass(frozen=True)
class Plan:
    """How a query runs over the corpus."""

    pattern: Pattern
    rx: re.Pattern[str] | None  # over the original text; None: every line is tested
    lower_rx: re.Pattern[str] | None  # its equivalent over lower-cased ASCII text


def corpus_plan(query: SearchQuery) -> Plan:
    """The corpus plan of a valid query."""
    pattern = compile_query(query)
    rx: re.Pattern[str] | None
    if not query.regex:
        rx = pattern.line  # escaped text, wildcards and \w look-arounds: line-local
    else:
        rx = pattern.whole if pattern.full else pattern.line
        if rx is not None and not _line_local(sre_parse.parse(rx.pattern, rx.flags)):
            rx = None
    lower_rx = None
    if rx is not None and rx.flags & re.IGNORECASE:
        lower_rx = lowered(rx)
    return Plan(pattern, rx, lower_rx)


def _line_local(items: Iterable[Any]) -> bool:
    """False when a match can depend on text beyond its line (look-around, \\A, \\Z)."""
    for op, av in items:
        if op in _CONTEXT_OPS or (op is sre_parse.AT and av in _STRING_ANCHORS):
            return False
        subs: list[Any] = []
        if op in REPEATS:
            subs = [av[2]]
        elif op is sre_parse.SUBPATTERN:
            subs = [av[-1]]
        elif op is sre_parse.BRANCH:
            subs = list(av[1])
        elif op is sre_parse.ATOMIC_GROUP:
            subs = [av]
        elif op is sre_parse.GROUPREF_EXISTS:
            subs = [s for s in av[1:] if s is not None]
        if not all(_line_local(sub) for sub in subs):
            return False
    return True


class _Unsupported(Exception):
    """The pattern has an item the lower-case rewrite does not handle."""


_ASCII = [chr(i) for i in range(128)]
_CATEGORIES = {getattr(sre_parse, name): text for name, text in (
    ("CATEGORY_DIGIT", r"\d"), ("CATEGORY_NOT_DIGIT", r"\D"), ("CATEGORY_SPACE", r"\s"),
    ("CATEGORY_NOT_SPACE", r"\S"), ("CATEGORY_WORD", r"\w"), ("CATEGORY_NOT_WORD", r"\W"))}
_ANCHORS = {sre_parse.AT_BEGINNING: "^", sre_parse.AT_END: "$",
            sre_parse.AT_BOUNDARY: r"\b", sre_parse.AT_NON_BOUNDARY: r"\B",
            sre_parse.AT_BEGINNING_STRING: r"\A", sre_parse.AT_END_STRING: r"\Z"}


def lowered(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive pattern that matches lower-cased ASCII text exactly where ``rx``
    (case-insensitive) matches the original text; None when the rewrite does not apply."""
    try:
        parsed = sre_parse.parse(rx.pattern, rx.flags)
        flags = parsed.state.flags & (re.IGNORECASE | re.ASCII | re.DOTALL)
        return re.compile(_unparse(parsed, flags), re.MULTILINE)
    except (_Unsupported, re.error, RecursionError, OverflowError):
        return None


def _unparse(items: Iterable[Any], flags: int) -> str:
    out = []
    for op, av in items:
        if op in (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN):
            out.append(_atom(op, av, flags))
        elif op is sre_parse.SUBPATTERN:
            group, add, remove, sub = av
            if add or remove:  # scoped flags: the global case rule would not hold
                raise _Unsupported
            out.append(("(" if group else "(?:") + _unparse(sub, flags) + ")")
        elif op is sre_parse.BRANCH:
            out.append("(?:" + "|".join(_unparse(alt, flags) for alt in av[1]) + ")")
        elif op in REPEATS:
            low, high, sub = av
            count = f"{{{low},{'' if high == sre_parse.MAXREPEAT else high}}}"
            kind = {sre_parse.MAX_REPEAT: ""}.get(op, "?" if op is sre_parse.MIN_REPEAT else "+")
            out.append(f"(?:{_unparse(sub, flags)}){count}{kind}")
        elif op is sre_parse.AT and av in _ANCHORS:
            out.append(_ANCHORS[av])
        elif op in _CONTEXT_OPS:
            direction, sub = av
            head = "(?" + ("" if direction == 1 else "<") + ("=" if op is _CONTEXT_OPS[0] else "!")
            out.append(head + _unparse(sub, flags) + ")")
        elif op is sre_parse.GROUPREF and av < 100:
            out.append(f"(?:\\{av})")
        elif op is sre_parse.ATOMIC_GROUP:
            out.append(f"(?>{_unparse(av, flags)})")
        else:
            raise _Unsupported
    return "".join(out)


def _esc(ch: str) -> str:
    return f"\\U{ord(ch):08x}"


def _atom(op: Any, av: Any, flags: int) -> str:
    """One single-character item as the set of lower-case ASCII characters it matches."""
    if op is sre_parse.LITERAL:
        source = _esc(chr(av))
    elif op is sre_parse.NOT_LITERAL:
        source = f"[^{_esc(chr(av))}]"
    elif op is sre_parse.ANY:
        source = "."
    else:
        parts: list[str] = []
        for kind, value in av:
            if kind is sre_parse.NEGATE and not parts:
                parts.append("^")
            elif kind is sre_parse.LITERAL:
                parts.append(_esc(chr(value)))
            elif kind is sre_parse.RANGE:
                parts.append(f"{_esc(chr(value[0]))}-{_esc(chr(value[1]))}")
            elif kind is sre_parse.CATEGORY and value in _CATEGORIES:
                parts.append(_CATEGORIES[value])
            else:
                raise _Unsupported
        source = "[" + "".join(parts) + "]"
    test = re.compile(source, flags)
    matched = {ch for ch in _ASCII if test.fullmatch(ch)}
    if any(ch.swapcase() not in matched for ch in matched if ch.isalpha()):
        raise _Unsupported  # not closed under case: lower-casing would change the answer
    chars = sorted({ch.lower() for ch in matched})
    if not chars:
        return "[^\\x00-\\x7f]"  # matches no ASCII character
    if len(chars) == 1:
        return _esc(chars[0])
    return "[" + "".join(_esc(ch) for ch in chars) + "]"
