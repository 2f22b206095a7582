"""Regex safety for the backtracking engine: refusing patterns whose backtracking can explode.

Only patterns RE2 cannot run reach Python's backtracking ``re`` (``engine``): look-around,
back-references and the like. Those are checked here and refused (a 400) when their shape can
make a backtracking engine try exponentially or high-polynomially many ways:

* a repeat inside a repeat whose inner part can match different lengths (``(a?){28}``,
  ``(a{1,2}){400}``, ``(x+)*``); a fixed count inside is fine (``(ab{3}){5}``);
* alternatives inside a repeat that can start alike (``(a|ab)*``);
* a back-reference inside a repeat;
* more than ``MAX_CHOICES`` places where the engine must choose (repeats of varying length
  and alternatives that can start alike), repeated or not (``a*a*a*a*a*a*a*b``,
  ``(a|aa)(a|aa)…``).

A look-around is atomic (the backtracking around it never re-enters it): what is inside is
checked on its own, and one of fixed width (``(?!\\.)``, ``(?!(?:/|^)\\.)``, as glob
translators write them) costs a bounded time wherever it is tried, so its choices do not
count.

What passes still runs under the backtracking engine's time budget. Include/exclude patterns
over document names never come here: they run on RE2 or on the automaton (``automaton``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from atelier_api.errors import BadRequest
from atelier_api.search.sre import REPEATS, sre_parse

MAX_CHOICES = 6


def check_safe(parsed: Any, source: str, lacks: str) -> None:
    """Refuse (400) a pattern for the backtracking engine whose backtracking can explode;
    ``lacks``: what RE2 lacks for it, for the message."""
    choices = [0]
    problem = _risky(parsed, False, choices)
    if problem is None and choices[0] > MAX_CHOICES:
        problem = (f"more than {MAX_CHOICES} repeats of varying length or alternatives that "
                   "can start alike")
    if problem:
        raise BadRequest(f"Regular expression '{source[:200]}' refused: it needs the "
                         f"backtracking engine ({lacks}), and {problem} can make that engine "
                         "backtrack for hours; simplify it")


def _risky(items: Iterable[Any], in_repeat: bool, choices: list[int]) -> str | None:
    """The first danger in a parsed pattern; ``in_repeat``: inside a repeat of more than one."""
    for op, av in items:
        found = None
        if op in REPEATS:
            low, high, sub = av
            varying = low != high
            choices[0] += varying
            if in_repeat and varying:
                found = "a repeat inside a repeat"
            else:
                found = _risky(sub, in_repeat or high > 1, choices)
        elif op is sre_parse.BRANCH:
            if not _distinct_starts(av[1]):
                if in_repeat:
                    return "overlapping alternatives inside a repeat"
                choices[0] += 1
            found = next((p for alt in av[1] if (p := _risky(alt, in_repeat, choices))), None)
        elif op is sre_parse.SUBPATTERN:
            found = _risky(av[-1], in_repeat, choices)
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            # a look-around is atomic (never re-entered by the backtracking around it); one
            # of fixed width costs a bounded time wherever it is tried
            fixed = av[1].getwidth()[0] == av[1].getwidth()[1]
            found = _risky(av[1], False, [0] if fixed else choices)
        elif op is sre_parse.ATOMIC_GROUP:
            found = _risky(av, in_repeat, choices)
        elif op is sre_parse.GROUPREF_EXISTS:
            found = next((p for sub in av[1:] if sub is not None
                          if (p := _risky(sub, in_repeat, choices))), None)
        elif op is sre_parse.GROUPREF and in_repeat:
            found = "a back-reference inside a repeat"
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
