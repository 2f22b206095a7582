"""Issue 16: the automaton that decides include/exclude patterns (``search.automaton``), the
JavaScript sources read as Python's (``search.jsregex``) and the stop between names
(``selection.NameFilter.decide``).

The automaton must answer what Python's ``re.search`` answers (random patterns with
look-arounds, anchors and word boundaries, compared with ``re``), in a time per name that does
not depend on how the pattern could backtrack, and refuse what is not regular or too large.
"""

from __future__ import annotations

import random
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from atelier_api.errors import BadRequest
from atelier_api.search import automaton as automaton_module
from atelier_api.search import selection
from atelier_api.search.automaton import (
    MAX_LOOKAROUNDS,
    MAX_NESTING,
    MAX_STATES,
    Automaton,
    Unsupported,
)
from atelier_api.search.jsregex import python_source
from atelier_api.search.query import name_regex
from atelier_api.search.selection import NameFilter
from atelier_api.search.sre import sre_parse

# What minimatch 10.2.5 writes for a few globs (``makeRe(glob).source``; tests/search/
# test_glob_filters.py runs the library itself).
GLOB_SOURCES = [
    r"^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$",  # **/*.cls
    r"^\/Demo(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",  # /Demo/**
    r"^(?:\/|\/(?:(?!(?:\/|^)\.).)*?\/)Tests\/(?!\.)[^/]*?\.cls$",  # /**/Tests/**/*.cls
    r"^(?!^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$).+$",  # !**/*.cls
    r"^\/(?:(?!(?:Demo(?:$|\/)))(?!\.)[^/]*?)(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",  # /!(Demo)/**
    r"^\/(?:a|ab)+(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",  # /+(a|ab)/**
]
NAMES = ["/Demo/Person.cls", "/Demo/Tests/A.cls", "/a/Tests/b/c.cls", "/.git", "/x/.h/y.cls",
         "/Demo", "/Demo/", "/%Z/x.cls", "/ab/q", "/aab/q", "/a", "/Tests/T.cls", "",
         "/csp/user/menu.csp", "/Demo/.cache/x.cls", "/DemoX/a.cls", "/b/Demo"]


def compiled(source: str, flags: int = 0) -> Automaton:
    return Automaton(sre_parse.parse(source, flags))


# -- the answers: Python's ---------------------------------------------------------------------

@pytest.mark.parametrize("source", GLOB_SOURCES)
def test_glob_library_patterns_answer_as_python_does(source: str) -> None:
    rx, fsm = re.compile(source), compiled(source)
    for name in NAMES:
        assert fsm.search(name) == (rx.search(name) is not None), (source, name)


_ATOMS = ["a", "b", "/", r"\.", ".", "[ab]", "[^/]", "[^a]", r"\w", r"\W", "é", "A"]
_ZERO_WIDTH = ["^", "$", r"\A", r"\Z", r"\b", r"\B"]
_REPEATS = ["*", "+", "?", "*?", "+?", "??", "{0,2}", "{2}", "{1,3}?"]


def _fixed(rng: random.Random) -> str:
    """A pattern of fixed width (for a look-behind)."""
    width = rng.randint(1, 2)
    return "|".join("".join(rng.choice(_ATOMS) for _ in range(width))
                    for _ in range(rng.randint(1, 3)))


def _pattern(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.4 or depth >= 3:
            item = rng.choice(_ATOMS)
        elif roll < 0.5:
            out.append(rng.choice(_ZERO_WIDTH))
            continue
        elif roll < 0.62:
            item = "(?:" + "|".join(_pattern(rng, depth + 1)
                                    for _ in range(rng.randint(1, 3))) + ")"
        elif roll < 0.76:
            out.append(rng.choice(["(?=", "(?!"]) + _pattern(rng, depth + 1) + ")")
            continue
        elif roll < 0.84:
            out.append(rng.choice(["(?<=", "(?<!"]) + _fixed(rng) + ")")
            continue
        else:
            item = "(" + _pattern(rng, depth + 1) + ")"
        if rng.random() < 0.35:
            item += rng.choice(_REPEATS)
        out.append(item)
    return "".join(out)


@pytest.mark.parametrize("seed", range(4))
def test_random_patterns_answer_as_python_does(seed: int) -> None:
    """Look-aheads and look-behinds (nested, in repeats), anchors, word boundaries, empty
    loops, lazy repeats and the flags, over short texts with newlines and non-ASCII letters."""
    rng = random.Random(seed)
    texts = [""] + ["".join(rng.choice("ab/.\né A") for _ in range(rng.randint(1, 7)))
                    for _ in range(60)]
    checked = 0
    for _ in range(250):
        source = _pattern(rng)
        flags = rng.choice([0, 0, re.I, re.M, re.S, re.A])
        rx, fsm = re.compile(source, flags), compiled(source, flags)
        for text in texts:
            assert fsm.search(text) == (rx.search(text) is not None), (source, flags, text)
            checked += 1
    assert checked == 250 * len(texts)


# -- the cost: bounded per name ------------------------------------------------------------------

def test_polynomial_backtracking_costs_a_bounded_time() -> None:
    """Twelve ``a*`` after a look-ahead: a backtracking engine needs minutes for a 24-character
    name (and hours beyond); the automaton reads a 1,024-character one at once."""
    fsm = compiled("(?=a)" + "a*" * 12 + "b")
    started = time.monotonic()
    assert not fsm.search("/" + "a" * 1023)
    assert fsm.search("/" + "a" * 1022 + "b")
    assert time.monotonic() - started < 5


def test_a_pattern_whose_dfa_explodes_costs_a_bounded_time_per_name() -> None:
    """``(a|b)*a(a|b){300}`` has 2^300 DFA states: every step of a random name is a new set of
    states, each built once from at most ``MAX_STATES`` states."""
    fsm = compiled("(?=.)(?:a|b)*a(?:a|b){300}")
    rng = random.Random(7)
    for _ in range(3):
        name = "/" + "".join(rng.choice("ab") for _ in range(1023))
        started = time.monotonic()
        found = fsm.search(name)
        assert time.monotonic() - started < 10
        assert found == (re.search("a[ab]{300}", name) is not None)


def test_each_look_around_is_read_once_per_name() -> None:
    """A look-ahead in a repeat is decided for the whole name in one pass of its automaton:
    the DFA moves a name adds are at most (n + 1) per automaton."""
    fsm = compiled("^(?:(?=[^x]*y).)*z")
    look = next(p.machine for p in fsm.predicates if p.machine is not None)
    name = "y" * 500
    before = (len(fsm.main.cache.moves), len(look.cache.moves))
    assert not fsm.search(name)
    assert len(fsm.main.cache.moves) - before[0] <= len(name) + 1
    assert len(look.cache.moves) - before[1] <= len(name) + 1


def test_the_caches_start_again_when_they_pass_their_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(automaton_module, "CACHE_BYTES", 20_000)
    fsm = compiled("(?=.)(?:a|b)*a(?:a|b){12}")
    rng = random.Random(3)
    for _ in range(40):
        name = "".join(rng.choice("ab") for _ in range(60))
        assert fsm.search(name) == (re.search("a[ab]{12}", name) is not None)
    assert fsm.main.generation > 0  # started again, and answered the same


def test_threads_share_an_automaton() -> None:
    fsm = compiled(GLOB_SOURCES[0])
    rng = random.Random(11)
    names = ["/" + "/".join("".join(rng.choice("ab.") for _ in range(3)) for _ in range(4)) +
             rng.choice([".cls", ".mac"]) for _ in range(3000)]
    expected = [re.search(GLOB_SOURCES[0], name) is not None for name in names]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(fsm.search, names))
    assert answers == expected


# -- what is refused -------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "says"), [
    (r"(a)\1", "a back-reference"), (r"(?>a)", "an atomic group"), ("a++", "a possessive"),
    (r"(a)?(?(1)b)", "a conditional group"),
    (f"x{{{MAX_STATES}}}", f"more than {MAX_STATES} automaton states"),
    ("".join(f"(?={chr(0x100 + i)})" for i in range(MAX_LOOKAROUNDS + 1)),
     f"more than {MAX_LOOKAROUNDS} different look-arounds"),
    ("(?=" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1), "nested more than"),
])
def test_what_is_not_regular_or_too_large_is_refused(source: str, says: str) -> None:
    with pytest.raises(Unsupported, match=re.escape(says)):
        compiled(source)
    with pytest.raises(BadRequest, match="not supported for document names"):
        name_regex("(?=x)" + source, "include")


def test_the_same_look_around_is_one_predicate() -> None:
    fsm = compiled("|".join(GLOB_SOURCES[:3]))
    looks = [p for p in fsm.predicates if p.machine is not None]
    assert len(looks) == 2  # (?!\.) and (?!(?:\/|^)\.), however often they occur


def test_the_largest_client_patterns_fit() -> None:
    """Sixty globs of the client, joined as it joins them, stay within the limits."""
    source = "|".join(GLOB_SOURCES[i % 4] for i in range(60))
    assert len(source) > 3000
    found = name_regex(source, "exclude")
    assert found is not None and found.automaton is not None
    assert found.found("/Demo/Tests/A.cls")


# -- JavaScript sources --------------------------------------------------------------------------

def test_unicode_properties_become_classes() -> None:
    # minimatch writes [[:alpha:]] as [\p{L}\p{Nl}] and [![:upper:]] as [^\p{Lu}]
    alpha = re.compile(python_source(r"^\/(?!\.)[\p{L}\p{Nl}]x$"))
    assert [bool(alpha.search(n)) for n in ("/éx", "/Ⅻx", "/1x", "/.x", "/_x")] == [
        True, True, False, False, False]
    not_upper = re.compile(python_source(r"^[^\p{Lu}]$"))
    assert not_upper.search("a") and not not_upper.search("Ä")
    outside = re.compile(python_source(r"^\p{Nd}\P{Nd}$"))
    assert outside.search("٣a") and not outside.search("33")
    assert re.compile(python_source(r"^\p{gc=Lu}$")).search("Q")


def test_javascript_class_quirks() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "possible set operation" warning from Python
        both = re.compile(python_source("^[a&&b][[]$"))
    assert both.search("&[") and not both.search("a]")
    assert not re.compile(python_source("a[]")).search("a]")  # [] matches nothing
    assert re.compile(python_source("^a[^]$")).search("a\n")  # [^] matches anything
    assert python_source(r"\\p{L}") == r"\\p{L}"  # an escaped backslash, then p{L}
    with pytest.raises(ValueError, match="not a general category"):
        python_source(r"\p{Script=Greek}")


def test_a_property_pattern_is_run_by_the_automaton_when_it_has_look_aheads() -> None:
    found = name_regex(r"^\/(?!\.)[\p{L}\p{Nl}][^/]*?\.cls$", "include")
    assert found is not None  # its one look-ahead is rewritten away (lookfree): RE2 runs it
    assert [found.found(n) for n in ("/Éa.cls", "/1a.cls", "/.a.cls", "/a/b.cls")] == [
        True, False, False, False]


# -- stopping between names -----------------------------------------------------------------------

def test_deciding_names_stops_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    names = NameFilter(name_regex(GLOB_SOURCES[0], "include"), None)
    asked = []

    def stop() -> str:
        asked.append(1)
        return "cancelled" if len(asked) > 2 else ""
    monkeypatch.setattr(selection, "STOP_CHECK", 0.0)
    assert names.decide(["/a/b.cls"] * 10, stop) == "cancelled"
    assert len(asked) == 3
    assert names.decide(["/a/b.cls", "/a/b.mac"], lambda: "") == [True, False]
