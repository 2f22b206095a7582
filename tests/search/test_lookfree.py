"""The glob library's look-aheads rewritten away (``search.lookfree``) so that RE2 runs its
include/exclude patterns: every rewritten pattern must answer as the original does on Python's
``re``, on many generated names, and what cannot be proved stays with the automaton."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from atelier_api.search.lookfree import rewrite
from atelier_api.search.query import name_regex

NO_DOT = r"(?!\.)"
STAR = r"(?:(?!(?:\/|^)\.).)*?"
STAR_REVERSED = r"(?:(?!(?:^|\/)\.).)*"
# minimatch 10.2.5's fragments, and whole sources it writes (makeRe(glob).source)
WRITTEN = [
    r"^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$",  # **/*.cls
    r"^\/Demo(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",  # /Demo/**
    r"^(?:\/|\/(?:(?!(?:\/|^)\.).)*?\/)Tests\/(?!\.)[^/]*?\.cls$",  # /**/Tests/**/*.cls
    r"^\/(?:a|ab)+(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",  # /+(a|ab)/**
    r"^(?:\/(?!\.)(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$|"
    r"^(?:\/(?!\.)(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.mac$",  # {**/*.cls,**/*.mac}
    r"^\/(?!\.)[^/]*?\.(?:cls|mac)$",  # /*.{cls,mac}
    r"^\/(?!\.)[^/]$",  # /?
]
FRAGMENTS = [NO_DOT, STAR, STAR_REVERSED, r"\/", r"\.", "a", "[^/]*?", "[^/]", "[ab]+", ".",
             "$", "^", r"(?:\/|\/" + STAR + ")?", "(?:" + r"\/" + STAR + r"\/)?"]


def _names(rng: random.Random, count: int, newline: bool) -> list[str]:
    alphabet = "/./.a/b.é" + ("\n" if newline else "")
    names = ["", "/", ".", "/.", "./", "//", "/a.", "/.a", "a/.b", "/a/b", "\n", "/a\n"]
    names += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
              for _ in range(count)]
    return names if newline else [n for n in names if "\n" not in n]


def _random_sources(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 5))]
        source = "".join(parts)
        if rng.random() < 0.3:
            source = f"(?:{source})" + rng.choice(["?", "*", "+", ""])
        if rng.random() < 0.3:
            source += "|" + "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 3)))
        out.append(source)
    return out


def _agrees(source: str, names: list[str]) -> bool | None:
    """None when not rewritten; else whether the rewrite answers as the original on ``re``."""
    plain = rewrite(source)
    if plain is None:
        return None
    assert "(?=" not in plain and "(?!" not in plain and "(?<" not in plain, plain
    original, rewritten = re.compile(source), re.compile(plain)
    for name in names:
        assert (original.search(name) is None) == (rewritten.search(name) is None), (
            source, plain, name)
    return True


@pytest.mark.parametrize("source", WRITTEN)
def test_what_the_glob_library_writes_is_rewritten_with_the_same_answers(source: str) -> None:
    names = _names(random.Random(source), 3000, newline=True)
    assert _agrees(source, names), source
    pattern = name_regex(source, "include")
    assert pattern is not None and pattern.automaton is None  # RE2 runs it
    for name in _names(random.Random(1), 500, newline=False):
        assert pattern.found(name) == (re.search(source, name) is not None), (source, name)


@pytest.mark.parametrize("seed", range(6))
def test_random_compositions_answer_as_the_original(seed: int) -> None:
    rng = random.Random(seed)
    names = _names(rng, 400, newline=True)
    results = [_agrees(source, names) for source in _random_sources(rng, 150)]
    # both outcomes occur: some are rewritten, some stay with the automaton
    assert results.count(True) > 20 and results.count(None) > 5


def test_every_short_name_agrees() -> None:
    """Exhaustively: every name of up to five characters over the letters that matter."""
    names = ["".join(p) for k in range(6) for p in itertools.product("/.a\n", repeat=k)]
    for source in WRITTEN:
        assert _agrees(source, names)


@pytest.mark.parametrize("source", [
    r"^(?!^(?:\/|" + STAR + r"\/)?(?!\.)[^/]*?\.cls$).+$",  # a negated glob: unbounded
    r"^\/(?:(?!(?:Demo(?:$|\/)))(?!\.)[^/]*?)$",  # !(Demo)
    r"a(?!\.)",  # what follows the match may be a dot
    r"(?!\.).\.",  # a single item after it: rewritten
    r"(?!a)[ab]",  # a look-ahead other than the dot's
    r"(?i)(?!\.)a",  # flags
    r"x" + STAR + r"\.",  # a dot may follow the run
])
def test_what_cannot_be_proved_is_left_or_agrees(source: str) -> None:
    names = _names(random.Random(7), 800, newline=True)
    result = _agrees(source, names)
    if source in (r"(?!\.).\.",):
        assert result is True
    else:
        assert result is None
