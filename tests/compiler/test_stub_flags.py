"""Flags and qualifiers: echo, u (up to date), b (subclasses), r (predecessors), d (display)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from stub_helpers import HEADER_RE, body, cls, doc

from atelier_api.adapters.contract import Outcome
from compiler_stub.qspec import Qspec, parse_qspec

BASE = cls("B.Base", "Method X()\n{\n\tquit\n}")
SUB = cls("B.Sub", "Method Y()\n{\n\tquit\n}", extends="B.Base")
OTHER = cls("B.Other")


@pytest.mark.parametrize(("qspec", "expected"), [
    ("cuk", Qspec(keepsource=True, checkuptodate="all")),
    ("c-k", Qspec()),
    ("cuk /checkuptodate=expandedonly", Qspec(keepsource=True)),
    ("cbk/compileembedded=1", Qspec(keepsource=True, subclasses=True)),
    ("-d", Qspec(displaylog=False, displayerror=False)),
    ("/display=none", Qspec(displaylog=False, displayerror=False)),
    ("/displaylog=0", Qspec(displaylog=False)),
    ("c/keepsource", Qspec(keepsource=True)),
    ("k/nokeepsource", Qspec()),
    ("/expand", Qspec(subclasses=True, predecessors=True)),
    ("cr/defines=A=2,B", Qspec(predecessors=True, defines=(("A", "2"), ("B", "1")))),
    ("ck/multicompile=0/loadudl/unknown=3xo2", Qspec(keepsource=True)),
])
def test_parse_qspec(qspec: str, expected: Qspec) -> None:
    assert parse_qspec(qspec) == expected


def test_qspec_is_echoed_verbatim(compile_docs) -> None:
    result = compile_docs([OTHER], "cuk /checkuptodate=expandedonly")
    assert result.console[0] == ""
    assert HEADER_RE.match(result.console[1]).group(1) == "cuk /checkuptodate=expandedonly"


def test_u_skips_up_to_date_documents(compile_docs) -> None:
    base, mac = replace(BASE, upd=True), doc("r.mac", "ROUTINE r\n\tquit", upd=True)
    result = compile_docs([base, mac, OTHER], "cuk")
    assert body(result.console) == ["Class B.Base is up-to-date.", "Compiling class B.Other",
                                    "r.int is up to date. Compile of this item skipped."]
    assert [o.state for o in result.outcomes] == [Outcome.SKIPPED, Outcome.SKIPPED,
                                                  Outcome.COMPILED]
    assert compile_docs([base], "ck").outcomes[0].state is Outcome.COMPILED


def test_changed_superclass_is_not_up_to_date(compile_docs) -> None:
    result = compile_docs([replace(SUB, upd=True)], "cuk", extra=(BASE,))
    assert result.outcomes[0].state is Outcome.COMPILED


def test_b_adds_subclasses(compile_docs) -> None:
    result = compile_docs([BASE], "cbk", extra=(SUB, OTHER))
    assert [(o.name, o.state, o.expanded) for o in result.outcomes] == [
        ("B.Base.cls", Outcome.COMPILED, False), ("B.Sub.cls", Outcome.COMPILED, True)]
    assert "Compiling 2 classes" in result.console
    assert len(compile_docs([BASE], "ck", extra=(SUB,)).outcomes) == 1


def test_r_adds_stale_predecessors_only(compile_docs) -> None:
    user = cls("B.User", "Property P As B.Other;", extends="B.Sub")
    result = compile_docs([user], "crk", extra=(BASE, SUB, replace(OTHER, upd=True)))
    states = {o.name: (o.state, o.expanded) for o in result.outcomes}
    assert states == {"B.User.cls": (Outcome.COMPILED, False),
                      "B.Sub.cls": (Outcome.COMPILED, True),
                      "B.Base.cls": (Outcome.COMPILED, True),
                      "B.Other.cls": (Outcome.SKIPPED, True)}


def test_display_off_and_errors_only(compile_docs) -> None:
    bad = cls("B.Bad", "Property P As B.Nope;")
    assert compile_docs([bad, OTHER], "ck-d").console == ()
    only_errors = compile_docs([bad, OTHER], "ck/displaylog=0").console
    assert only_errors[:2] == (
        "ERROR #5373: Class 'B.Nope', used by 'B.Bad:property:P', does not exist",
        "  > ERROR #5030: An error occurred while compiling class 'B.Bad'")
    assert only_errors[2].startswith("Detected 1 errors during compilation in ")


def test_defines_qualifier(compile_docs) -> None:
    text = "Method X()\n{\n\tquit $$$Flag\n}"
    assert compile_docs([cls("B.D", text)]).failed
    assert not compile_docs([cls("B.D", text)], "ck/defines=Flag=2").failed
