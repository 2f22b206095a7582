"""The IRIS dialect: token fix-ups, parameter numbering, and the UDL class scanner."""

from __future__ import annotations

import pytest

from atelier_api.documents.udlscan import scan
from atelier_api.sql.dialect import SqlSyntaxError, parse, parse_condition


def test_percent_names_and_infix_predicates() -> None:
    parsed = parse("SELECT Name FROM %Dictionary.ClassDefinition WHERE Name%STARTSWITH ? "
                   "AND Super %INLIST $LISTFROMSTRING(?) AND 10 % 3 = 1")
    assert parsed.params == 2
    text = parsed.tree.sql()
    assert "%Dictionary" in text and "GLOB :p1" in text
    assert "REGEXP_LIKE(Super, D__LISTFROMSTRING(:p2))" in text
    assert "10 % 3" in text


def test_placeholders_numbered_in_text_order() -> None:
    parsed = parse("SELECT ? AS a FROM t WHERE b = ? AND c IN (SELECT d FROM e WHERE f = ?)")
    assert parsed.params == 3
    text = parsed.tree.sql()
    assert text.index(":p1") < text.index(":p2") < text.index(":p3")


def test_backslash_is_an_ordinary_character_in_strings() -> None:
    cond = parse_condition("Name LIKE '%a\\_b%' ESCAPE '\\'")
    assert cond.sql() == "Name LIKE '%a\\_b%' ESCAPE '\\'"


@pytest.mark.parametrize("text", ["", "   ", "SELECT 1; SELECT 2", "SELECT (", "x" * 200_001])
def test_bad_statements(text: str) -> None:
    with pytest.raises(SqlSyntaxError):
        parse(text)


def test_scanner_reads_header_members_and_multiline_specs() -> None:
    lines = [
        "Include (Inc1, Inc2)", "", "/// Doc line", "Class A.B Extends (%RegisteredObject, X.Y) "
        "[ Abstract, Not ProcedureBlock, ClassType = datatype ]", "{", "",
        "Method M(", "    a As %String,", "    b As %Integer = {1+1})", "{", ' w "}"', "}", "",
        "Property L As list Of %String;", "", "Relationship R As X.Y [ Cardinality = many, "
        "Inverse = z ];", "", "Parameter P As STRING = \"a;b\";", "", "}"]
    info = scan(lines)
    assert info is not None
    assert info.name == "A.B" and info.supers == ["%RegisteredObject", "X.Y"]
    assert info.keywords == {"abstract": "1", "procedureblock": "0", "classtype": "datatype"}
    assert info.includes == ["Inc1", "Inc2"] and info.description == "Doc line"
    kinds = [(m.kind, m.name) for m in info.members]
    assert kinds == [("Method", "M"), ("Property", "L"), ("Property", "R"), ("Parameter", "P")]
    assert info.members[3].default == '"a;b"'
    assert info.members[2].keywords["cardinality"] == "many"


def test_scanner_without_class_header() -> None:
    assert scan(["ROUTINE X", " quit"]) is None
    assert scan([]) is None
