"""The look-aheads the glob library writes, rewritten away so that RE2 runs its patterns.

minimatch writes two fixed-width negative look-aheads, and in places where what follows them
is known from the pattern itself:

* ``(?!\\.)`` before a path segment (a name part may not start with a dot). Followed by a
  single-character item ``S``, it is ``S`` without the dot; followed by ``S*`` (or ``S+``) and
  then something that cannot start with a dot (or the end), it is ``(?:S' S*)?`` (``S' S*``)
  where ``S'`` is ``S`` without the dot: an empty repeat leaves the test to what follows,
  which passes it. Followed only by what cannot start with a dot, it is dropped.
* ``(?:(?!(?:\\/|^)\\.).)*`` for ``**``: a run of characters other than the newline, none of
  them a ``/`` followed by a dot, nor a dot at the start of the name. When what follows the run
  cannot start with a dot, the last ``/`` of the run is never followed by one, so the run is
  ``(?:[^/\\n]|\\/+[^/.\\n])*\\/*``; when the run cannot start at position 0 (a character was
  read before it) the ``^`` alternative never holds; when it always starts at position 0 (only
  ``^`` before it), its first character may not be a dot:
  ``(?:(?:[^./\\n]|\\/+[^/.\\n])(?:[^/\\n]|\\/+[^/.\\n])*)?\\/*``.

Only the answer "does it match somewhere" matters for a name, so greedy and lazy repeats are
alike. A pattern with any other look-around, or these in a place where the conditions above
are not known to hold, is left as it is (``None``) for the automaton. ``tests/search/
test_lookfree.py`` compares the rewritten patterns with the originals on Python's ``re``.
"""

from __future__ import annotations

import re
from typing import Any

from atelier_api.search.charsets import NotASet, Ranges, complement, item_ranges, normalize
from atelier_api.search.sre import sre_parse

_DOT = ord(".")
_SLASH = ord("/")
_NEWLINE = ord("\n")
_SINGLE = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN)
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT)
_STARTS = (sre_parse.AT_BEGINNING, sre_parse.AT_BEGINNING_STRING)
#: ``**`` when the run is known not to start at 0, and when it is known to start there
_RUN = r"(?:[^/\n]|\/+[^/.\n])*\/*"
_RUN_AT_START = r"(?:(?:[^./\n]|\/+[^/.\n])(?:[^/\n]|\/+[^/.\n])*)?\/*"
_START, _INSIDE, _UNKNOWN = "start", "inside", "unknown"
_ANCHORS = {sre_parse.AT_BEGINNING: "^", sre_parse.AT_BEGINNING_STRING: r"\A",
            sre_parse.AT_END: "$", sre_parse.AT_END_STRING: r"\Z",
            sre_parse.AT_BOUNDARY: r"\b", sre_parse.AT_NON_BOUNDARY: r"\B"}


class _Keep(Exception):
    """The pattern stays as it is (the automaton runs it)."""


def rewrite(source: str) -> str | None:
    """``source`` (Python syntax, no flags) without look-arounds and with the same answer for
    ``re.search`` on every text, or None when this module cannot prove one."""
    try:
        parsed = sre_parse.parse(source)
        if parsed.state.flags & ~sre_parse.SRE_FLAG_UNICODE:
            return None
        # what follows a match is any text: a dot may come next
        return _sequence(list(parsed), _START, None)
    except (_Keep, NotASet, RecursionError, OverflowError, re.error):
        return None


# -- what may come next -------------------------------------------------------------------------

def _first(items: list[Any], follow: frozenset[int] | None) -> frozenset[int] | None:
    """A superset of the characters the text may hold right after a place followed by
    ``items`` then by what ``follow`` says; None: a dot may be among them (or unknown)."""
    for index, (op, av) in enumerate(items):
        if op in _SINGLE:
            return _dotless(op, av)
        if op is sre_parse.AT and av in (sre_parse.AT_END, sre_parse.AT_END_STRING):
            return frozenset()  # the end, or (``$``) a final newline
        if op is sre_parse.AT or op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            continue  # zero width: only restricts
        if op is sre_parse.SUBPATTERN:
            return _first(list(av[-1]) + items[index + 1:], follow)
        if op is sre_parse.BRANCH:
            rest = items[index + 1:]
            for alt in av[1]:
                if _first(list(alt) + rest, follow) is None:
                    return None
            return frozenset()
        if op in _REPEATS:
            low, _high, sub = av
            if _first(list(sub), frozenset()) is None:
                return None
            if low > 0 and _min_width(list(sub)) > 0:
                return frozenset()
            continue
        return None
    return follow


def _dotless(op: Any, av: Any) -> frozenset[int] | None:
    """Empty when the single-character item cannot match a dot, else None."""
    ranges = item_ranges(op, av, 0, False)
    return None if any(a <= _DOT <= b for a, b in ranges) else frozenset()


def _min_width(items: list[Any]) -> int:
    width = 0
    for op, av in items:
        if op in _SINGLE:
            width += 1
        elif op is sre_parse.SUBPATTERN:
            width += _min_width(list(av[-1]))
        elif op is sre_parse.BRANCH:
            width += min(_min_width(list(alt)) for alt in av[1])
        elif op in _REPEATS:
            width += av[0] * _min_width(list(av[2]))
    return width


# -- the rewrite --------------------------------------------------------------------------------

def _sequence(items: list[Any], where: str, follow: frozenset[int] | None) -> str:
    """Source for ``items`` without look-arounds; ``where``: whether the sequence starts at
    position 0 for sure, after a character for sure, or either; ``follow``: ``_first`` of what
    comes after the sequence."""
    out: list[str] = []
    index = 0
    while index < len(items):
        op, av = items[index]
        rest = items[index + 1:]
        after = _first(rest, follow)
        if op is sre_parse.ASSERT_NOT and av[0] == 1 and _is_single(av[1]):
            dot_only = _ranges(av[1]) == ((_DOT, _DOT),)
            if not dot_only:
                raise _Keep
            if after is not None:  # what follows never starts with a dot: always holds
                index += 1
                continue
            if rest and rest[0][0] in _SINGLE:
                out.append(_klass(_without_dot(rest[0])))
                where = _INSIDE
                index += 2
                continue
            if rest and rest[0][0] in _REPEATS and _is_globstar(rest[0][1]):
                # a run of ``**`` whose first character is no dot: the ``^`` alternative
                # adds nothing, wherever the run starts
                if rest[0][1][0] != 0 or _first(rest[1:], follow) is None:
                    raise _Keep
                out.append("(?:" + _RUN_AT_START + ")")
                where = _INSIDE if where == _INSIDE else _UNKNOWN
                index += 2
                continue
            if rest and rest[0][0] in _REPEATS and _is_single(rest[0][1][2]):
                low, high, sub = rest[0][1]
                # an empty repeat leaves the test to what follows: it passes when that
                # cannot start with a dot, and fails when that is a dot
                empty_passes = _first(rest[1:], follow) is not None
                empty_fails = len(rest) > 1 and rest[1][0] in _SINGLE and \
                    _ranges([rest[1]]) == ((_DOT, _DOT),)
                if high != sre_parse.MAXREPEAT or low > 1 or not (empty_passes or empty_fails):
                    raise _Keep
                lazy = "?" if rest[0][0] is sre_parse.MIN_REPEAT else ""
                body = _klass(_ranges(sub))
                head = _klass(_without_dot(list(sub)[0]))
                optional = not low and empty_passes
                out.append(f"(?:{head}{body}*{lazy})" + ("?" + lazy if optional else ""))
                where = _INSIDE if not optional else (_INSIDE if where == _INSIDE else _UNKNOWN)
                index += 2
                continue
            raise _Keep
        if op in _REPEATS and _is_globstar(av):
            if av[0] != 0 or after is None or where == _UNKNOWN:
                raise _Keep
            out.append("(?:" + (_RUN_AT_START if where == _START else _RUN) + ")")
            where = _INSIDE if where == _INSIDE else _UNKNOWN
            index += 1
            continue
        out.append(_item(op, av, where, after))
        where = _after(op, av, where)
        index += 1
    return "".join(out)


def _item(op: Any, av: Any, where: str, after: frozenset[int] | None) -> str:
    if op in _SINGLE:
        return _klass(_ranges([(op, av)]))
    if op is sre_parse.AT:
        anchor = _ANCHORS.get(av)
        if anchor is None:
            raise _Keep
        return anchor
    if op is sre_parse.SUBPATTERN:
        _group, add, remove, sub = av
        if add or remove:
            raise _Keep
        return "(?:" + _sequence(list(sub), where, after) + ")"
    if op is sre_parse.BRANCH:
        return "(?:" + "|".join(_sequence(list(alt), where, after) for alt in av[1]) + ")"
    if op in _REPEATS:
        low, high, sub = av
        # inside the repeat, what follows one pass is another pass or what follows it all
        inner_follow: frozenset[int] | None = None
        if after is not None and _first(list(sub), frozenset()) is not None:
            inner_follow = frozenset()
        inner_where = where if high <= 1 else (_INSIDE if where == _INSIDE else _UNKNOWN)
        if high > 1 and _min_width(list(sub)) == 0 and where != _INSIDE:
            inner_where = _UNKNOWN
        body = _sequence(list(sub), inner_where, inner_follow)
        count = ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}") \
            if high == sre_parse.MAXREPEAT else f"{{{low},{high}}}"
        return f"(?:{body}){count}" + ("?" if op is sre_parse.MIN_REPEAT else "")
    raise _Keep  # any other look-around, a back-reference, ...


def _after(op: Any, av: Any, where: str) -> str:
    """Where the text is after the item."""
    if op is sre_parse.AT:
        return _START if av in _STARTS and where == _START else where
    if _min_width([(op, av)]) > 0:
        return _INSIDE
    return _INSIDE if where == _INSIDE else _UNKNOWN


def _is_single(sub: Any) -> bool:
    items = list(sub)
    return len(items) == 1 and items[0][0] in _SINGLE


def _is_globstar(av: Any) -> bool:
    """``(?:(?!(?:\\/|^)\\.).)`` repeated from zero, with its two alternatives in any order."""
    _low, high, sub = av
    items = list(sub)
    if high != sre_parse.MAXREPEAT or len(items) != 2 or items[1] != (sre_parse.ANY, None):
        return False
    op, look = items[0]
    if op is not sre_parse.ASSERT_NOT or look[0] != 1:
        return False
    body = list(look[1])
    if len(body) != 2 or body[1] != (sre_parse.LITERAL, _DOT):
        return False
    if body[0][0] is not sre_parse.BRANCH:
        return False
    alternatives = sorted(repr(list(alt)) for alt in body[0][1][1])
    return alternatives == sorted([repr([(sre_parse.LITERAL, _SLASH)]),
                                   repr([(sre_parse.AT, sre_parse.AT_BEGINNING)])])


def _ranges(sub: Any) -> Ranges:
    (op, av), = list(sub)
    return item_ranges(op, av, 0, False)


def _without_dot(item: Any) -> Ranges:
    return normalize([p for a, b in _ranges([item])
                      for p in ((a, min(b, _DOT - 1)), (max(a, _DOT + 1), b)) if p[0] <= p[1]])


def _klass(ranges: Ranges) -> str:
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1] and ranges[0][0] < 128:
        return re.escape(chr(ranges[0][0]))
    if not ranges:
        return "[^\\x00-\\U0010ffff]"
    if ranges == complement(((_NEWLINE, _NEWLINE),)):
        return "."
    return "[" + "".join(_esc(a) if a == b else f"{_esc(a)}-{_esc(b)}" for a, b in ranges) + "]"


def _esc(code: int) -> str:
    return f"\\U{code:08x}"
