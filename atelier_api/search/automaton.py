"""Include/exclude patterns over document names on an automaton whose cost per name is bounded,
whatever the pattern.

The patterns VS Code's glob library writes are full of look-aheads (``(?!\\.)`` before a
segment, ``(?:(?!(?:\\/|^)\\.).)*?`` for ``**``), which RE2 lacks, and a backtracking engine
gives no bound on its time. Here a pattern, parsed by Python's parser (its meaning stays
Python's ``re``), becomes a non-deterministic automaton (Thompson's construction) in which every
zero-width item (``^``, ``$``, ``\\A``, ``\\Z``, ``\\b``, ``\\B``, each look-ahead and
look-behind) is an empty move guarded by a *predicate of the position*: whether that assertion
holds at that offset of the name. Predicates do not depend on how the match got there, so a
look-around is decided once per position for the whole name: by an automaton of its
sub-pattern that runs over the name in one pass, with its start state added at every position
(a look-ahead read backwards from the end, a look-behind forwards).

So a name of n characters costs at most n + 1 steps of the main automaton and n + 1 steps for
each distinct look-around it needs (at most ``MAX_LOOKAROUNDS``, nested ``MAX_NESTING`` deep).
A step is one lookup in a DFA built lazily from sets of states, keyed by the set, the values of
the predicates at the position and the character; the first time, it is one pass over the
set's states, at most ``MAX_STATES`` for all the automata of a pattern. Nothing backtracks. The
DFA caches of a pattern hold about ``CACHE_BYTES`` and then start again.

Only whether a name matches is decided (a match anywhere, as ``re.search``), so greedy and lazy
repeats are alike. What is not regular is refused (``Unsupported``): back-references,
conditional groups, atomic groups and possessive repeats (none of them JavaScript, and the glob
library writes none).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from atelier_api.search.charsets import NotASet, Ranges, category, contains, item_ranges
from atelier_api.search.sre import sre_parse

#: States of all the automata of one pattern (a counted repeat is written out that many times).
MAX_STATES = 4000
#: Distinct look-aheads and look-behinds of one pattern.
MAX_LOOKAROUNDS = 64
#: Look-arounds inside look-arounds, this deep at most (each level is decided recursively).
MAX_NESTING = 16
#: Bytes (roughly) the DFA caches of one pattern may hold before they start again.
CACHE_BYTES = 4 << 20
#: Characters whose consuming states an automaton remembers.
_CHARS_KEPT = 1024

_SINGLE = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN)
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT)
_NOT_REGULAR = {sre_parse.GROUPREF: "a back-reference",
                sre_parse.GROUPREF_EXISTS: "a conditional group",
                sre_parse.ATOMIC_GROUP: "an atomic group"}
_POSSESSIVE = getattr(sre_parse, "POSSESSIVE_REPEAT", None)
_NO_GUARD = -1
_ENTRY = 100  # bytes, roughly, of a dict entry and its key


class Unsupported(Exception):
    """The pattern needs what a finite automaton does not have, or is too large for one."""


# -- the automaton of a pattern ---------------------------------------------------------------

class _Nfa:
    """A Thompson automaton. A state in a class consumes one character of it and goes to the
    next state (``s + 1``); ``eps[s]`` are the empty moves ``(target, guard)``, a guard being
    ``_NO_GUARD`` or ``predicate * 2 + wanted value``."""

    def __init__(self, budget: list[int]) -> None:
        self.eps: list[list[tuple[int, int]]] = []
        self.classes: dict[Ranges, int] = {}  # the states that consume each class (a mask)
        self.consumers = 0  # every state that consumes a character (a mask)
        self.start = self.final = 0
        self._budget = budget
        self._reversed: list[list[tuple[int, int]]] | None = None
        self._masks: dict[str, int] = {}

    def new(self) -> int:
        self._budget[0] -= 1
        if self._budget[0] < 0:
            raise Unsupported(f"more than {MAX_STATES} automaton states (too large)")
        self.eps.append([])
        return len(self.eps) - 1

    def consume(self, ranges: Ranges) -> tuple[int, int]:
        state = self.new()
        after = self.new()
        self.classes[ranges] = self.classes.get(ranges, 0) | 1 << state
        self.consumers |= 1 << state
        return state, after

    def link(self, source: int, target: int, guard: int = _NO_GUARD) -> None:
        self.eps[source].append((target, guard))

    def reversed_eps(self) -> list[list[tuple[int, int]]]:
        """The empty moves backwards (for reading a name from its end)."""
        if self._reversed is None:
            back: list[list[tuple[int, int]]] = [[] for _ in self.eps]
            for source, moves in enumerate(self.eps):
                for target, guard in moves:
                    back[target].append((source, guard))
            self._reversed = back
        return self._reversed

    def char_mask(self, ch: str) -> int:
        """The states that consume ``ch``."""
        found = self._masks.get(ch)
        if found is None:
            code = ord(ch)
            found = 0
            for ranges, mask in self.classes.items():
                if contains(ranges, code):
                    found |= mask
            if len(self._masks) >= _CHARS_KEPT:
                self._masks = {}
            self._masks[ch] = found
        return found


class _Builder:
    """Turns a parsed pattern into automata: the main one and one per distinct look-around,
    with the predicates they share."""

    def __init__(self, memory: _Memory) -> None:
        self.budget = [MAX_STATES]
        self.memory = memory
        self.predicates: list[_Predicate] = []
        self.index: dict[Any, int] = {}
        self.depth = 0  # look-arounds around the part being built

    def automaton(self, items: Iterable[Any], flags: int) -> _Nfa:
        nfa = _Nfa(self.budget)
        nfa.start, nfa.final = self._sequence(nfa, items, flags)
        return nfa

    def _sequence(self, nfa: _Nfa, items: Iterable[Any], flags: int) -> tuple[int, int]:
        start = current = -1
        for op, av in items:
            entry, exit_ = self._item(nfa, op, av, flags)
            if start < 0:
                start = entry
            else:
                nfa.link(current, entry)
            current = exit_
        if start < 0:  # the empty pattern
            start = current = nfa.new()
        return start, current

    def _item(self, nfa: _Nfa, op: Any, av: Any, flags: int) -> tuple[int, int]:
        if op in _SINGLE:
            try:
                return nfa.consume(item_ranges(op, av, flags, False))
            except NotASet as exc:
                raise Unsupported(f"the character item {exc}") from None
        if op is sre_parse.SUBPATTERN:
            _group, add, remove, sub = av
            return self._sequence(nfa, sub, (flags | add) & ~remove)
        if op is sre_parse.BRANCH:
            entry, exit_ = nfa.new(), nfa.new()
            for alternative in av[1]:
                first, last = self._sequence(nfa, alternative, flags)
                nfa.link(entry, first)
                nfa.link(last, exit_)
            return entry, exit_
        if op in _REPEATS:
            return self._repeat(nfa, av, flags)
        if op is sre_parse.AT:
            return self._guarded(nfa, self._anchor(av, flags), True)
        if op is sre_parse.ASSERT or op is sre_parse.ASSERT_NOT:
            direction, sub = av
            return self._guarded(nfa, self._lookaround(direction, sub, flags),
                                 op is sre_parse.ASSERT)
        if op in _NOT_REGULAR or (_POSSESSIVE is not None and op is _POSSESSIVE):
            raise Unsupported(_NOT_REGULAR.get(op, "a possessive repeat"))
        raise Unsupported(f"the construct {op}")

    def _repeat(self, nfa: _Nfa, av: Any, flags: int) -> tuple[int, int]:
        low, high, sub = av
        start = current = nfa.new()
        for _ in range(low):
            first, last = self._sequence(nfa, sub, flags)
            nfa.link(current, first)
            current = last
        if high == sre_parse.MAXREPEAT:
            loop = nfa.new()
            nfa.link(current, loop)
            first, last = self._sequence(nfa, sub, flags)
            nfa.link(loop, first)
            nfa.link(last, loop)
            return start, loop
        end = nfa.new()
        for _ in range(high - low):
            nfa.link(current, end)
            first, last = self._sequence(nfa, sub, flags)
            nfa.link(current, first)
            current = last
        nfa.link(current, end)
        return start, end

    def _guarded(self, nfa: _Nfa, predicate: int, wanted: bool) -> tuple[int, int]:
        entry, exit_ = nfa.new(), nfa.new()
        nfa.link(entry, exit_, predicate * 2 + wanted)
        return entry, exit_

    def _anchor(self, at: Any, flags: int) -> int:
        multiline = bool(flags & re.MULTILINE)
        ascii_flag = bool(flags & re.ASCII)
        key: tuple[Any, ...]
        if at is sre_parse.AT_BEGINNING:
            key = ("line start",) if multiline else ("start",)
        elif at is sre_parse.AT_BEGINNING_STRING:
            key = ("start",)
        elif at is sre_parse.AT_END:
            key = ("line end",) if multiline else ("end or final newline",)
        elif at is sre_parse.AT_END_STRING:
            key = ("end",)
        elif at is sre_parse.AT_BOUNDARY or at is sre_parse.AT_NON_BOUNDARY:
            key = ("boundary" if at is sre_parse.AT_BOUNDARY else "no boundary", ascii_flag)
        else:
            raise Unsupported(f"the anchor {at}")
        return self._predicate(key, lambda: _Predicate(key))

    def _lookaround(self, direction: int, sub: Any, flags: int) -> int:
        key = ("look", direction, flags, _shape(sub))

        def make() -> _Predicate:
            if sum(p.machine is not None for p in self.predicates) >= MAX_LOOKAROUNDS:
                raise Unsupported(f"more than {MAX_LOOKAROUNDS} different look-arounds")
            if self.depth >= MAX_NESTING:
                raise Unsupported(f"look-arounds nested more than {MAX_NESTING} deep")
            self.depth += 1
            try:
                nfa = self.automaton(sub, flags)
            finally:
                self.depth -= 1
            # a look-ahead holds at i when its pattern matches from i: read backwards, with
            # the start added at every position; a look-behind, when it matches up to i
            machine = _Machine(nfa, self.memory, forward=direction < 0, anchored=False)
            return _Predicate(key, machine)
        return self._predicate(key, make)

    def _predicate(self, key: Any, make: Any) -> int:
        found = self.index.get(key)
        if found is None:
            predicate = make()
            found = self.index[key] = len(self.predicates)
            self.predicates.append(predicate)
        return found


def _shape(items: Any) -> Any:
    """A parsed pattern as a hashable value (two look-arounds alike share a predicate)."""
    if isinstance(items, sre_parse.SubPattern):
        return tuple(_shape(item) for item in items.data)
    if isinstance(items, (list, tuple)):
        return tuple(_shape(item) for item in items)
    return items


# -- running an automaton over a name --------------------------------------------------------

class _Memory:
    """What the DFA caches of one pattern hold (roughly, in bytes); when it passes
    ``CACHE_BYTES`` every cache starts again (a new ``generation``)."""

    def __init__(self) -> None:
        self.used = 0
        self.generation = 0


class _Cache:
    """A lazily built DFA: interned sets of states, the set after the empty moves of a
    position (by the predicates' values there), and the moves found so far."""

    def __init__(self) -> None:
        self.sets: list[int] = []
        self.ids: dict[int, int] = {}
        self.depends: list[int] = []  # predicates (a mask) a set's empty moves test; -1: unknown
        self.closed: dict[tuple[int, int], tuple[int, bool]] = {}
        #: (set, predicates' values at the position, character or "" at the end of the name)
        #: -> the next set * 2 + whether the set accepts at the position
        self.moves: dict[tuple[int, int, str], int] = {}


class _Machine:
    """An automaton read in one direction, with its DFA cache. ``anchored``: the start state is
    entered only at the first position (a pattern that begins with ``^`` or ``\\A``); else at
    every position."""

    def __init__(self, nfa: _Nfa, memory: _Memory, *, forward: bool, anchored: bool) -> None:
        self.nfa = nfa
        self.memory = memory
        self.generation = memory.generation
        self.set_bytes = len(nfa.eps) // 8 + _ENTRY
        self.forward = forward
        self.anchored = anchored
        self.eps = nfa.eps if forward else nfa.reversed_eps()
        self.begin = 1 << (nfa.start if forward else nfa.final)
        self.accept = nfa.final if forward else nfa.start
        #: the predicates its empty moves test (a mask)
        self.guards = 0
        for moves in nfa.eps:
            for _target, guard in moves:
                if guard >= 0:
                    self.guards |= 1 << (guard >> 1)
        self.cache = _Cache()
        self.lock = threading.Lock()

    def run(self, name: _Name, first: bool) -> bool | bytearray:
        """Over the whole name: with ``first``, whether the pattern matches anywhere (stops at
        the first match); else, at each position, whether a match ends there (forwards) or
        starts there (backwards)."""
        memory = self.memory
        if memory.used > CACHE_BYTES:
            memory.used = 0
            memory.generation += 1
        cache = self.cache
        if self.generation != memory.generation:
            cache = self.cache = _Cache()
            self.generation = memory.generation
        text, size = name.text, len(name.text)
        moves_get, depends, guards = cache.moves.get, cache.depends, self.guards
        values = name.at  # the values of the predicates decided so far, at each position
        found = bytearray(0 if first else size + 1)
        state = self._intern(cache, self.begin)
        empty = self._intern(cache, 0) if self.anchored else -1
        forward = self.forward
        for at in range(size) if forward else range(size, 0, -1):
            needs = depends[state]
            if needs < 0:
                needs = self._depends(cache, state)
            if needs & ~name.known:  # the set's moves depend on a predicate not decided yet
                name.decide(needs)
            # the values of predicates the set does not depend on do not change its moves
            key = (state, values[at] & guards, text[at] if forward else text[at - 1])
            move = moves_get(key, -1)
            if move < 0:
                move = self._move(cache, key)
            if move & 1:
                if first:
                    return True
                found[at] = 1
            state = move >> 1
            if state == empty:
                return False if first else found
        at = size if forward else 0
        needs = depends[state]
        if needs < 0:
            needs = self._depends(cache, state)
        if needs & ~name.known:
            name.decide(needs)
        key = (state, values[at] & guards, "")
        move = moves_get(key, -1)
        if move < 0:
            move = self._move(cache, key)
        if first:
            return bool(move & 1)
        found[at] = move & 1
        return found

    def _intern(self, cache: _Cache, states: int) -> int:
        found = cache.ids.get(states)
        if found is None:
            with self.lock:
                found = cache.ids.get(states)
                if found is None:
                    found = len(cache.sets)
                    cache.sets.append(states)
                    cache.depends.append(-1)
                    cache.ids[states] = found
                    self.memory.used += self.set_bytes
        return found

    def _depends(self, cache: _Cache, state: int) -> int:
        """The predicates the empty moves from a set can test (every move taken)."""
        needs = cache.depends[state] = self._spread(cache.sets[state], -1)[1]
        return needs

    def _move(self, cache: _Cache, key: tuple[int, int, str]) -> int:
        """A move not seen before: the empty moves of the position, then the character."""
        state, values, ch = key
        closed, accepts = cache.closed.get((state, values)) or self._close(cache, state, values)
        after = 0
        if ch:
            consumed = self.nfa.char_mask(ch)
            after = (closed & consumed) << 1 if self.forward else (closed >> 1) & consumed
            if not self.anchored:
                after |= self.begin
        move = self._intern(cache, after) * 2 + accepts
        cache.moves[key] = move
        self.memory.used += _ENTRY
        return move

    def _close(self, cache: _Cache, state: int, values: int) -> tuple[int, bool]:
        """The set after the empty moves the predicates' ``values`` allow, and whether it
        holds the accepting state."""
        closed = self._spread(cache.sets[state], values)[0]
        found = (closed, bool(closed >> self.accept & 1))
        cache.closed[(state, values)] = found
        self.memory.used += self.set_bytes
        return found

    def _spread(self, states: int, values: int) -> tuple[int, int]:
        """The set after the empty moves from ``states`` that the predicates' ``values``
        allow (every move when ``values`` is -1), and the predicates the moves tested."""
        top = len(self.eps) - 1
        seen = bytearray(bin(states)[2:].zfill(top + 1), "ascii")  # state s at top - s
        todo = _members(states)
        eps = self.eps
        tested = 0
        while todo:
            for target, guard in eps[todo.pop()]:
                if guard >= 0:
                    tested |= 1 << (guard >> 1)
                    if values >= 0 and (values >> (guard >> 1) & 1) != (guard & 1):
                        continue
                if seen[top - target] == _ZERO:
                    seen[top - target] = _ONE
                    todo.append(target)
        return int(seen, 2), tested


_ZERO, _ONE = ord("0"), ord("1")
_ONES = re.compile("1")


def _members(states: int) -> list[int]:
    """The states of a set."""
    digits = bin(states)
    top = len(digits) - 1
    return [top - found.start() for found in _ONES.finditer(digits)]


class _Predicate:
    """Whether a zero-width item holds at a position of a name: an anchor or a word boundary
    (``key``), or a look-around decided by its automaton (``machine``)."""

    def __init__(self, key: Any, machine: _Machine | None = None) -> None:
        self.key = key
        self.machine = machine

    def positions(self, name: _Name) -> Iterable[int]:
        """The positions where it holds."""
        text, size = name.text, len(name.text)
        if self.machine is not None:
            found = self.machine.run(name, False)
            assert isinstance(found, bytearray)
            return (i for i, hit in enumerate(found) if hit)
        kind = self.key[0]
        if kind == "start":
            return (0,)
        if kind == "end":
            return (size,)
        if kind == "end or final newline":
            return (size, size - 1) if text.endswith("\n") else (size,)
        if kind == "line start":
            return [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        if kind == "line end":
            return [i for i, ch in enumerate(text) if ch == "\n"] + [size]
        if not text:  # Python: no word boundary, and no non-boundary, in the empty text
            return ()
        word_chars = category(sre_parse.CATEGORY_WORD, self.key[1])
        word = [contains(word_chars, ord(ch)) for ch in text]
        edges = [False, *word, False]
        same = kind == "no boundary"
        return (i for i in range(size + 1) if (edges[i] == edges[i + 1]) == same)


class _Name:
    """One name being matched, and the values of the predicates decided so far at each of its
    positions (a mask per position)."""

    def __init__(self, text: str, predicates: list[_Predicate]) -> None:
        self.text = text
        self.predicates = predicates
        self.known = 0
        self.at = [0] * (len(text) + 1)

    def decide(self, needs: int) -> None:
        """Decide the predicates ``needs`` (a mask) at every position."""
        for index in _members(needs & ~self.known):
            bit = 1 << index
            if self.known & bit:  # decided meanwhile, for a look-around that needs it
                continue
            at = self.at
            for i in self.predicates[index].positions(self):
                at[i] |= bit
            self.known |= bit


# -- the public face ----------------------------------------------------------------------------

class Automaton:
    """A compiled pattern: ``search(text)`` tells whether it matches anywhere in ``text``, as
    Python's ``re.search`` would, in time linear in the text (``Unsupported`` at build time
    for what is not regular or too large)."""

    def __init__(self, parsed: Any) -> None:
        memory = _Memory()
        builder = _Builder(memory)
        nfa = builder.automaton(parsed, parsed.state.flags)
        self.predicates = builder.predicates
        self.main = _Machine(nfa, memory, forward=True,
                             anchored=_anchored(nfa, self.predicates))

    def search(self, text: str) -> bool:
        """True when the pattern matches somewhere in ``text``."""
        return bool(self.main.run(_Name(text, self.predicates), True))


def _anchored(nfa: _Nfa, predicates: list[_Predicate]) -> bool:
    """True when every way from the start passes ``\\A`` (or a non-multi-line ``^``) before it
    reads a character or accepts: the start is then entered at position 0 only."""
    start_of_text = {i for i, p in enumerate(predicates) if p.key == ("start",)}
    seen = {nfa.start}
    todo = [nfa.start]
    while todo:
        state = todo.pop()
        if state == nfa.final or nfa.consumers >> state & 1:
            return False
        for target, guard in nfa.eps[state]:
            if guard >= 0 and guard & 1 and guard >> 1 in start_of_text:
                continue
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return True
