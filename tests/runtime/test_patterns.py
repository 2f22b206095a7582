"""The ``?`` operator (compiler_stub.runtime.patterns), case by case.

Sources: PAT = "Pattern Match (?)" (RCOS_op_pattern); TUT = the "Pattern Match Operator"
tutorial page (TCOS_Pattern1: the quantity and code tables); ANSI = the ANSI M standard's
patcode definitions (C: 0-31 and 127; P: the other printable non-alphanumerics, space
included), which the InterSystems pages follow for ASCII.
"""

from __future__ import annotations

import pytest

from compiler_stub.runtime import patterns as P
from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError

CASES: list[tuple[str, str, bool, str]] = [
    # (subject, pattern text, matches, source)
    ("123-45-6789", '3N1"-"2N1"-"4N', True, "PAT: the SSN example"),
    ("123-45-678", '3N1"-"2N1"-"4N', False, "PAT: one digit short"),
    ("abc", "3A", True, "TUT: 3 is exactly 3"),
    ("abcd", "3A", False, "TUT: exactly 3"),
    ("ab", "1.3A", True, "TUT: 1 to 3"),
    ("", "1.3A", False, "TUT: at least 1"),
    ("abcd", "1.3A", False, "TUT: at most 3"),
    ("", ".3A", True, "TUT: up to 3, zero included"),
    ("abc", ".3A", True, "TUT: up to 3"),
    ("abcd", "3.A", True, "TUT: at least 3"),
    ("ab", "3.A", False, "TUT: at least 3"),
    ("", ".A", True, "TUT: any number including 0"),
    ("AbC", "3A", True, "TUT: A is upper or lower case"),
    ("ABC", "3U", True, "TUT: U upper case"),
    ("AbC", "3U", False, "TUT: U upper case"),
    ("abc", "3L", True, "TUT: L lower case"),
    ("aBc", "3L", False, "TUT: L lower case"),
    ("0123456789", "10N", True, "TUT: N digits"),
    ("1.5", "3N", False, "TUT: a period is not a digit"),
    (" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "33P", True, "ANSI: P is every punctuation"),
    ("a", "1P", False, "ANSI: a letter is not punctuation"),
    ("\t", "1C", True, "ANSI: C control characters"),
    ("\x00\x1f\x7f", "3C", True, "ANSI: C is 0-31 and 127"),
    (" ", "1C", False, "ANSI: space is not a control character"),
    ("a1 \x01", "4E", True, "TUT: E any character"),
    ("a1", "2AN", True, "TUT: ANP combination of codes"),
    ("a1!", "3ANP", True, "TUT: combination of codes"),
    ("a1!", "3AN", False, "TUT: ! is not A or N"),
    ("ab1", "2a1n", True, "PAT: codes in either case"),
    ("anp", '1"anp"', True, "TUT: a literal string"),
    ("ANP", '1"anp"', False, "PAT: literals are case-sensitive"),
    ('say "hi"', '1"say ""hi"""', True, "PAT: a quote inside a literal is doubled"),
    ("abab", '2"ab"', True, "PAT: a repeated literal"),
    ("ababab", '.2"ab"', False, "PAT: at most 2 repetitions"),
    ("", '0"ab"', True, "PAT: zero repetitions"),
    ("x", "1(1N,1A)", True, "PAT: alternation"),
    ("5", "1(1N,1A)", True, "PAT: alternation"),
    ("!", "1(1N,1A)", False, "PAT: alternation"),
    ("a5b6", "2(1A1N)", True, "PAT: a repeated group"),
    ("ab", "2(1A1N)", False, "PAT: a repeated group"),
    ("CA", '1(1"CA",1"NY")', True, "PAT: alternation of literals"),
    ("NY94", '1(1"CA",1"NY")2N', True, "PAT: alternation then more"),
    ("aaa", '.(1"a",1"aa")', True, "PAT: indefinite alternation"),
    ("1-2", '1N1(1"-",1"+")1N', True, "PAT: alternation in the middle"),
    ("ab", '1(1"a",1(1"b",1"c"))1"b"', True, "PAT: nested alternation"),
    ("axbx", '.E1"x"', True, "PAT: backtracking over E"),
    ("axb", '.E1"x"', False, "PAT: the whole string must match"),
    ("abc123", ".A.N", True, "PAT: a sequence of indefinite counts"),
    ("123abc", ".A.N", False, "PAT: order matters"),
    ("é", "1L", True, "PAT: lower-case letters beyond ASCII"),
    ("É", "1U", True, "PAT: upper-case letters beyond ASCII"),
    ("日本", "2A", True, "PAT: other letters are alphabetic"),
    ("\u00a0", "1P", True, "PAT: no-break space is punctuation"),
    ("\u0085", "1C", True, "PAT: C1 control characters"),
]


@pytest.mark.parametrize(("subject", "pat", "hit", "source"), CASES, ids=[c[1] for c in CASES])
def test_pattern(subject: str, pat: str, hit: bool, source: str) -> None:
    assert P.match(subject, pat) is hit, source
    assert V.pattern(subject, pat) == (1 if hit else 0)


@pytest.mark.parametrize(
    "pat",
    ["", "3", "N", "1Q", '1"abc', "1(1N", "1(1N,)", "1()", "3.2N", "1N)", "1(1N,1A", "1'N"],
)
def test_syntax_errors(pat: str) -> None:
    with pytest.raises(ObjectScriptError) as exc:
        P.match("x", pat)
    assert exc.value.code == "SYNTAX"


def test_numbers_match_their_string_form() -> None:
    assert V.pattern(V.num("-1.5"), '1"-"1N1"."1N') == 1
    assert V.pattern(V.num("0.5"), '1"."1N') == 1  # PAT/NUM: canonical .5, no leading zero
    assert V.pattern(V.double("1"), "1N") == 1


def test_compiled_patterns_are_cached() -> None:
    first = P.compile_pattern("3N1A")
    assert P.compile_pattern("3N1A") is first


def test_counts_are_not_limited_to_one_digit() -> None:
    assert P.match("a" * 12, "12A")
    assert not P.match("a" * 12, "11A")
    assert P.match("a" * 12, "10.20A")
