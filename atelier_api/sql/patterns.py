"""ObjectScript pattern matching for SQL: ``value %PATTERN 'pattern'`` (ObjectScript's ``?``).

The pattern language is ObjectScript's: a sequence of atoms, each a repeat count followed by
pattern codes, a quoted string or an alternation ``(p1,p2,...)`` of whole patterns.

- repeat counts ``n`` (exactly), ``n.m``, ``.m``, ``n.`` and ``.`` (any number);
- codes (either case, combinable as in ``1AN``): ``A`` letters, ``C`` control characters,
  ``E`` anything, ``L`` lower case, ``N`` the digits 0-9, ``P`` punctuation (space
  included), ``U`` upper case; outside ASCII the Unicode categories decide (``A`` any
  letter, ``U`` Lu/Lt, ``L`` Ll, ``C`` Cc, ``P`` punctuation, symbols and separators), over
  the Basic Multilingual Plane (IRIS strings are UTF-16 code units);
- a string literal ``"ab""c"`` (doubled quotes inside), matched exactly.

The whole value must match. It is the language of the ObjectScript runtime's ``?``
(``compiler_stub/runtime/patterns.py``, which the server may not import: a test compares the
two on a table of patterns and values).

Unlike a backtracking regular expression, the match here simulates the pattern's automaton:
its time is the length of the value times the size of the automaton, never exponential, and
it calls ``check`` (the statement's budget) every few thousand steps, so a hostile pattern
cannot hold a statement thread (SQLite cannot stop a statement inside a function call).
Counted repeats are unrolled; a pattern whose automaton would have more than ``MAX_STATES``
states is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

#: the largest automaton a pattern may compile to (counted repeats are unrolled)
MAX_STATES = 20_000
#: state visits between two budget checks
CHECK_EVERY = 4096
_CODES = "ACELNPU"
_ASCII_PUNCT = frozenset(chr(c) for c in range(32, 127) if not chr(c).isalnum())


class PatternError(ValueError):
    """The text is not an ObjectScript pattern (ObjectScript raises ``<SYNTAX>``)."""


class PatternTooComplex(PatternError):
    """The pattern's automaton would be larger than ``MAX_STATES``."""


# --- the pattern's syntax tree ---------------------------------------------------------------

@dataclass(frozen=True)
class Codes:
    """A character of any of the pattern codes (``"AN"``; ``"E"`` is any character)."""

    codes: str


@dataclass(frozen=True)
class Text:
    """An exact string."""

    text: str


@dataclass(frozen=True)
class Alternation:
    """One of several whole patterns."""

    choices: tuple[tuple[Atom, ...], ...]


@dataclass(frozen=True)
class Atom:
    """``body`` repeated ``low`` to ``high`` times (``high`` None: no upper bound)."""

    low: int
    high: int | None
    body: Codes | Text | Alternation


class _Reader:
    """The pattern text read the way ObjectScript reads it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def digits(self) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in "0123456789":
            self.i += 1
        return self.text[start:self.i]

    def pattern(self, inside: bool) -> tuple[Atom, ...]:
        atoms: list[Atom] = []
        while self.i < len(self.text):
            if inside and self.peek() in (",", ")"):
                break
            atoms.append(self.atom())
        if not atoms:
            raise PatternError("empty pattern")
        return tuple(atoms)

    def count(self) -> tuple[int, int | None]:
        low = self.digits()
        if self.peek() == ".":
            self.i += 1
            high = self.digits()
            if high and int(high) < int(low or "0"):
                raise PatternError(f"repeat count {low}.{high} runs backwards")
            return int(low or "0"), (int(high) if high else None)
        if not low:
            raise PatternError(f"repeat count expected at position {self.i + 1}")
        return int(low), int(low)

    def atom(self) -> Atom:
        low, high = self.count()
        ch = self.peek()
        if ch == '"':
            return Atom(low, high, Text(self.string()))
        if ch == "(":
            self.i += 1
            choices = [self.pattern(True)]
            while self.peek() == ",":
                self.i += 1
                choices.append(self.pattern(True))
            if self.peek() != ")":
                raise PatternError("alternation not closed")
            self.i += 1
            return Atom(low, high, Alternation(tuple(choices)))
        codes = ""
        while self.peek().isalpha() and self.peek().upper() in _CODES:
            codes += self.peek().upper()
            self.i += 1
        if not codes:
            raise PatternError(f"pattern code expected at position {self.i + 1}")
        return Atom(low, high, Codes("".join(dict.fromkeys(codes))))

    def string(self) -> str:
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(self.text):
                raise PatternError("string literal not closed")
            ch = self.text[self.i]
            self.i += 1
            if ch == '"':
                if self.peek() == '"':
                    out.append('"')
                    self.i += 1
                    continue
                return "".join(out)
            out.append(ch)


def parse(text: str) -> tuple[Atom, ...]:
    """The atoms of a pattern (``PatternError`` when it is not one)."""
    return _Reader(text).pattern(False)


# --- character classes -----------------------------------------------------------------------

@lru_cache(maxsize=4096)
def classes_of(ch: str) -> frozenset[str]:
    """The pattern codes a character belongs to (``E`` aside, which takes every character)."""
    cp = ord(ch)
    if cp < 128:
        if "A" <= ch <= "Z":
            return frozenset("AU")
        if "a" <= ch <= "z":
            return frozenset("AL")
        if "0" <= ch <= "9":
            return frozenset("N")
        if cp < 32 or cp == 127:
            return frozenset("C")
        return frozenset("P") if ch in _ASCII_PUNCT else frozenset()
    if cp > 0xFFFF or 0xD800 <= cp <= 0xDFFF:
        return frozenset()
    category = unicodedata.category(ch)
    if category[0] == "L":
        if category in ("Lu", "Lt"):
            return frozenset("AU")
        return frozenset("AL") if category == "Ll" else frozenset("A")
    if category == "Cc":
        return frozenset("C")
    return frozenset("P") if category[0] in "PSZ" else frozenset()


# --- the automaton ---------------------------------------------------------------------------

#: a dangling exit of a fragment: (state, slot) to point at the next fragment
Exit = tuple[int, int]
Fragment = tuple[int, list[Exit]]


class _Builder:
    """Thompson's construction. States: ``["char", codes, next]`` (a character of the
    codes), ``["text", ch, next]`` (exactly ``ch``), ``["split", a, b]`` (either),
    ``["match"]``."""

    def __init__(self) -> None:
        self.states: list[list[object]] = []

    def add(self, state: list[object]) -> int:
        if len(self.states) >= MAX_STATES:
            raise PatternTooComplex(f"it needs more than {MAX_STATES} automaton states")
        self.states.append(state)
        return len(self.states) - 1

    def patch(self, exits: list[Exit], target: int) -> None:
        for index, slot in exits:
            self.states[index][slot] = target

    def empty(self) -> Fragment:
        """An epsilon step (a split whose two ways lead to the same place)."""
        index = self.add(["split", -1, -1])
        return index, [(index, 1), (index, 2)]

    def chain(self, parts: list[Fragment]) -> Fragment:
        if not parts:
            return self.empty()
        start, exits = parts[0]
        for s, e in parts[1:]:
            self.patch(exits, s)
            exits = e
        return start, exits

    def sequence(self, atoms: tuple[Atom, ...]) -> Fragment:
        return self.chain([self.atom(a) for a in atoms])

    def body(self, body: Codes | Text | Alternation) -> Fragment:
        if isinstance(body, Codes):
            index = self.add(["char", body.codes, -1])
            return index, [(index, 2)]
        if isinstance(body, Text):
            parts: list[Fragment] = []
            for ch in body.text:
                index = self.add(["text", ch, -1])
                parts.append((index, [(index, 2)]))
            return self.chain(parts)
        choices = [self.sequence(c) for c in body.choices]
        start, exits = choices[-1]
        exits = list(exits)
        for s, e in reversed(choices[:-1]):
            start = self.add(["split", s, start])
            exits.extend(e)
        return start, exits

    def atom(self, atom: Atom) -> Fragment:
        parts = [self.body(atom.body) for _ in range(atom.low)]
        if atom.high is None:
            loop = self.add(["split", -1, -1])
            s, e = self.body(atom.body)
            self.states[loop][1] = s
            self.patch(e, loop)
            parts.append((loop, [(loop, 2)]))
        elif atom.high > atom.low:
            # (x(x(x)?)?)? for the optional copies, built from the innermost out
            inner: Fragment | None = None
            for _ in range(atom.high - atom.low):
                split = self.add(["split", -1, -1])
                s, e = self.body(atom.body)
                self.states[split][1] = s
                if inner is None:
                    inner = (split, [(split, 2), *e])
                else:
                    self.patch(e, inner[0])
                    inner = (split, [(split, 2), *inner[1]])
            if inner is not None:
                parts.append(inner)
        return self.chain(parts)


@dataclass(frozen=True)
class Compiled:
    """A pattern's automaton: ``states[start]`` first."""

    states: tuple[tuple[object, ...], ...]
    start: int


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> Compiled:
    """The automaton of a pattern (``PatternError`` when it is not one, or too large)."""
    builder = _Builder()
    start, exits = builder.sequence(parse(text))
    final = builder.add(["match"])
    builder.patch(exits, final)
    return Compiled(tuple(tuple(s) for s in builder.states), start)


def match(value: str, pattern: str, check: Callable[[], None] | None = None) -> bool:
    """True when the whole of ``value`` matches ``pattern``; ``check`` is called every
    ``CHECK_EVERY`` state visits (it raises to stop the match)."""
    auto = compile_pattern(pattern)
    states = auto.states
    steps = 0

    def closure(seeds: list[int]) -> list[int]:
        nonlocal steps
        seen: set[int] = set()
        out: list[int] = []
        stack = list(reversed(seeds))
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            steps += 1
            if check is not None and steps % CHECK_EVERY == 0:
                check()
            state = states[index]
            if state[0] == "split":
                stack.append(state[2])  # type: ignore[arg-type]
                stack.append(state[1])  # type: ignore[arg-type]
            else:
                out.append(index)
        return out

    current = closure([auto.start])
    for ch in value:
        if not current:
            return False
        kinds = classes_of(ch)
        moved: list[int] = []
        for index in current:
            state = states[index]
            if state[0] == "text":
                ok = state[1] == ch
            elif state[0] == "char":
                codes = str(state[1])
                ok = "E" in codes or any(c in kinds for c in codes)
            else:
                continue
            if ok:
                moved.append(int(state[2]))  # type: ignore[call-overload]
        current = closure(moved)
    return any(states[index][0] == "match" for index in current)
