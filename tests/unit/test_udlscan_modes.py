"""The UDL scanner's two modes: where the class dictionary (LENIENT) and the XML exporter
(CANONICAL) read the same small class text differently, and the rules they share."""

from __future__ import annotations

import pytest

from atelier_api.documents.udlscan import (
    Mode,
    Unmappable,
    closing,
    find_top,
    parse_keywords,
    parse_name_list,
    scan,
    split_keywords_tail,
    split_top,
)
from atelier_api.xmlexport.classes import to_element

CLASS = [
    "Class A.B Extends (X.Y,%RegisteredObject) [ abstract, not Final, SqlTableName=T ]",
    "{",
    "",
    "// a comment between members",
    "Property P As %String;",
    "",
    "}",
    "",
]


def test_lenient_reads_what_canonical_refuses() -> None:
    info = scan(CLASS)
    assert info is not None
    assert info.supers == ["X.Y", "%RegisteredObject"]
    assert info.keywords == {"abstract": "1", "final": "0", "sqltablename": "T"}
    assert [m.name for m in info.members] == ["P"]  # the // line is skipped
    with pytest.raises(Unmappable):
        to_element("A.B", CLASS)
    with pytest.raises(Unmappable):
        parse_name_list("(X.Y,%RegisteredObject)")
    with pytest.raises(Unmappable):
        parse_keywords("abstract, not Final, SqlTableName=T")


def test_canonical_keywords_keep_case_and_order() -> None:
    head, keywords = split_keywords_tail(" As %String [ Required, Not Final, MaxLen = 5 ]")
    assert head == " As %String" and keywords is not None
    assert parse_keywords(keywords) == [("Required", "1"), ("Final", "0"), ("MaxLen", "5")]


def test_a_stray_closer_is_ignored_leniently_and_ends_the_top_level_canonically() -> None:
    text = "As Foo) [ Final ]"
    assert find_top(text, " [ ", mode=Mode.LENIENT) == 7
    assert find_top(text, " [ ", mode=Mode.CANONICAL) == -1


def test_a_body_counts_only_braces_leniently_and_every_bracket_canonically() -> None:
    body = '{ w "}", $c(40\n}'
    assert closing(body, 0, mode=Mode.LENIENT) == len(body) - 1
    with pytest.raises(Unmappable):
        closing(body, 0, mode=Mode.CANONICAL)
    assert closing("{ open", 0, mode=Mode.LENIENT) == len("{ open")  # runs to the end


@pytest.mark.parametrize("mode", list(Mode))
def test_shared_rules(mode: Mode) -> None:
    # braces nest, so a keyword value's code keeps its commas
    assert split_top("A = {set a=1,b=2}, B", ",", mode=mode) == ["A = {set a=1,b=2}", " B"]
    # a string never runs past its line
    assert find_top('x = "open\n; y', ";", mode=mode) == 10
    assert find_top('x = "a;b"; y', ";", mode=mode) == 9


def test_lenient_member_bodies_skip_embedded_html() -> None:
    text = ["Class A.Html", "{", "", "ClassMethod Page()", "{",
            "\t&html<<script>if (a<b) { x = '\"'; }</script>>",
            "\t&html<<style>", "\t.a{display:none", "\t</style>>",
            "\tquit", "}", "", "Property After As %String;", "", "}", ""]
    info = scan(text)
    assert info is not None
    assert [m.name for m in info.members] == ["Page", "After"]
    assert info.members[0].body[-1] == "\tquit"


def test_lenient_member_bodies_follow_code_and_client_rules() -> None:
    text = ["Class A.Shapes", "{", "",
            'Property Admin As %Boolean [ InitialExpression = {(","_$Roles_",") [ ",%All,"} ];',
            "", "ClassMethod Code()", "{",
            "\t// Do {", "\tset x = 1 ; a } in a comment", "\t#; another {",
            '\t/* a block "comment" with', "\t   } braces */", '\tset y = "}"', "\tquit", "}",
            "", "ClientMethod js() [ Language = javascript ]", "{",
            "\tvar a = {b: 1}; if (a) { return; }", "}",
            "", "Property Last As %String;", "", "}", ""]
    info = scan(text)
    assert info is not None
    assert [m.name for m in info.members] == ["Admin", "Code", "js", "Last"]
    assert info.members[1].body[-1] == "\tquit"
