"""How a query runs over the corpus: the corpus plan and the line-local check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from atelier_api.search.engine import Regex
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
# Each chunk is searched as UTF-8 bytes by RE2 (the version of the pattern for ASCII text when
# the chunk is ASCII), or as text by Python's engine when RE2 lacks something the pattern
# needs there (``engine``); the positions found are mapped back to characters.

_CONTEXT_OPS = tuple(getattr(sre_parse, op) for op in ("ASSERT", "ASSERT_NOT"))
_STRING_ANCHORS = (sre_parse.AT_BEGINNING_STRING, sre_parse.AT_END_STRING)


@dataclass(frozen=True)
class Plan:
    """How a query runs over the corpus."""

    pattern: Pattern
    rx: Regex | None  # over each chunk's text; None: every line is tested

    @property
    def linear(self) -> bool:
        """True when no part of the search runs on the backtracking engine."""
        return self.pattern.linear and (self.rx is None or self.rx.linear)


def corpus_plan(query: SearchQuery) -> Plan:
    """The corpus plan of a valid query."""
    pattern = compile_query(query)
    rx: Regex | None
    if not query.regex:
        rx = pattern.line  # escaped text, wildcards and whole-word guards: line-local
    else:
        rx = pattern.whole if pattern.full else pattern.line
        if rx is not None and not _line_local(sre_parse.parse(rx.python, rx.flags)):
            rx = None
    return Plan(pattern, rx)


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
