"""Regex safety: refusing patterns whose backtracking can explode (nested or overlapping
repeats, back-references under a repeat, too many unbounded repeats)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from atelier_api.errors import BadRequest
from atelier_api.search.sre import REPEATS, sre_parse

MAX_UNBOUNDED = 12


def check_safe(parsed: Any, source: str) -> None:
    """Refuse patterns whose backtracking can explode (nested or overlapping repeats)."""
    unbounded = [0]
    problem = _risky(parsed, 0, unbounded)
    if problem is None and unbounded[0] > MAX_UNBOUNDED:
        problem = f"more than {MAX_UNBOUNDED} unbounded repeats"
    if problem:
        raise BadRequest(f"Regular expression '{source[:200]}' refused: {problem} can make the "
                         "search backtrack for hours; simplify it")


def _risky(items: Iterable[Any], in_repeat: int, unbounded: list[int]) -> str | None:
    """The first danger in a parsed pattern; ``in_repeat``: 0 none, 1 counted, 2 unbounded."""
    for op, av in items:
        if op in REPEATS:
            low, high, sub = av
            repeats = high == sre_parse.MAXREPEAT or high > 1000
            unbounded[0] += repeats
            if (in_repeat == 2 and high > 1) or (in_repeat and repeats):
                return "a repeat inside a repeat"
            found = _risky(sub, max(in_repeat, 2 if repeats else int(high > 1)), unbounded)
        elif op is sre_parse.BRANCH:
            if in_repeat and not _distinct_starts(av[1]):
                return "overlapping alternatives inside a repeat"
            found = next((p for alt in av[1] if (p := _risky(alt, in_repeat, unbounded))), None)
        elif op is sre_parse.SUBPATTERN:
            found = _risky(av[-1], in_repeat, unbounded)
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            found = _risky(av[1], in_repeat, unbounded)
        elif op is sre_parse.GROUPREF and in_repeat:
            found = "a back-reference inside a repeat"
        else:
            found = None
        if found:
            return found
    return None


def _distinct_starts(alternatives: list[Any]) -> bool:
    """True when every alternative starts with its own literal (no two can match the same)."""
    firsts = []
    for alt in alternatives:
        items = list(alt)
        if not items or items[0][0] is not sre_parse.LITERAL:
            return False
        firsts.append(items[0][1])
    return len(set(firsts)) == len(firsts)
