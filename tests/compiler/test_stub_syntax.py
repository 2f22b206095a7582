"""Syntax errors: exact console lines, one error per member, no cascades, false positives."""

from __future__ import annotations

import pytest
from stub_helpers import body, cls, doc

from atelier_api.adapters.contract import Outcome


def _two_methods(line: str) -> str:
    """Method M holding ``line`` as its second body line, then a clean method N."""
    return f"Method M()\n{{\n\tset a = 1\n{line}\n}}\n\nMethod N()\n{{\n\tset y = 2\n}}"


@pytest.mark.parametrize(("line", "error"), [
    ("\tfrobnicate x", "#1026: Invalid command : 'frobnicate x' : Offset:2 [zM+2^T.S.1]"),
    ("\tset x = 1 2", "#1026: Invalid command : '2' : Offset:12 [zM+2^T.S.1]"),
    ("\tset x = $Frob(1)", "#1016: Invalid function name : '$Frob(1)' : Offset:10 [zM+2^T.S.1]"),
    ("\tset x = $TRIM(y)", "#1016: Invalid function name : '$TRIM(y)' : Offset:10 [zM+2^T.S.1]"),
    ("\tset x = $NOW", "#1032: Invalid special variable : '$NOW' : Offset:10 [zM+2^T.S.1]"),
    ("\tif a != b { }", "#1054: Invalid expression : '!' : Offset:7 [zM+2^T.S.1]"),
    ("\twrite\"x\"", "#1003: Expected space : '\"' : Offset:7 [zM+2^T.S.1]"),
    ("\tset x = (a +", "#1054: Invalid expression : 'set x = (a +' : Offset:2 [zM+2^T.S.1]"),
])
def test_code_error_lines(compile_docs, line: str, error: str) -> None:
    result = compile_docs([cls("T.S", _two_methods(line))])
    assert body(result.console) == [
        "Compiling class T.S", "Compiling routine T.S.1",
        f"ERROR: T.S.cls(M+2) {error}", f" TEXT: {line}"]
    (err,) = result.errors
    assert (err.document, err.member, err.line) == ("T.S.cls", "M", 7)
    assert result.outcomes[0].status.startswith("ERROR #5475: Error compiling routine: T.S.1. ")
    assert result.outcomes[0].status.endswith(
        "\n  > ERROR #5030: An error occurred while compiling class 'T.S'")


def test_one_error_per_member_and_no_cascade(compile_docs) -> None:
    text = ("Method A()\n{\n\tset x = (a +\n\tset y = (b +\n}\n\n"
            "Method B()\n{\n\tfrobnicate\n}\n\nMethod C()\n{\n\tquit 1\n}")
    result = compile_docs([cls("T.C", text)])
    assert [(e.member, e.code, e.line) for e in result.errors] == [("A", "1054", 6),
                                                                    ("B", "1026", 12)]
    assert body(result.console)[-1] == " TEXT: \tfrobnicate"


@pytest.mark.parametrize("bad", ["\tif x {", "\t} }", "\twrite \"a\" }}"])
def test_unbalanced_braces_are_5559(compile_docs, bad: str) -> None:
    result = compile_docs([cls("T.U", _two_methods(bad))])
    assert body(result.console) == [
        "ERROR #5559: The class definition for class 'T.U' could not be parsed correctly, "
        "possibly due to non-matching {} or () characters.",
        "  > ERROR #5030: An error occurred while compiling class 'T.U'"]
    assert result.errors[0].member == "M"


def test_declaration_error_is_5559(compile_docs) -> None:
    result = compile_docs([cls("T.D", "Property P As %String [ Bogus = 1 ];")])
    assert result.errors[0].code == "5559" and result.errors[0].member == "P"


def test_braces_in_strings_and_comments_do_not_count(compile_docs) -> None:
    text = "Method M()\n{\n\tset x = \"{\" // }\n\t; {\n\t/* } */ quit\n}"
    assert compile_docs([cls("T.B", text)]).outcomes[0].state is Outcome.COMPILED


@pytest.mark.parametrize("text", [
    "ClassMethod P() [ Language = python ]\n{\n\tprint({'a': 1}['a'])\n}",
    "Query Q() As %SQLQuery\n{\nSELECT {fn NOW()} FROM T\n}",
    "XData X [ MimeType = application/json ]\n{\n{\"a\": [1, 2}\n}",
    "Property P As %String;\n\nIndex I On P [ Data = Manifest(ELEMENTS) ];",
    "Method M()\n{\n\tset x = \"a\"__XMLDir\n}",
    "ClientMethod C() [ Language = javascript ]\n{\n\tif (x) { y(); \n}",
])
def test_not_objectscript_bodies_and_false_positives(compile_docs, text: str) -> None:
    result = compile_docs([cls("T.F", text)])
    assert result.errors == ()


def test_class_level_python_language(compile_docs) -> None:
    text = "ClassMethod P()\n{\n\timport os\n\treturn os.getcwd()\n}"
    result = compile_docs([cls("T.P", text, keywords="Language = python")])
    assert result.errors == ()


def test_expression_method_errors(compile_docs) -> None:
    ok = "ClassMethod E() As %Integer [ CodeMode = expression ]\n{\n1 + 2\n}"
    assert compile_docs([cls("T.E", ok)]).errors == ()
    bad = "ClassMethod E() As %Integer [ CodeMode = expression ]\n{\n1 +* 2\n}"
    (err,) = compile_docs([cls("T.E", bad)]).errors
    assert (err.member, err.code, err.line) == ("E", "1054", 6)


def test_routine_errors(compile_docs) -> None:
    mac = doc("r.mac", "ROUTINE r\n#include %occStatus\nStart\n\tset x = $$$OK\n\tfrobnicate\n"
                       "\tquit")
    result = compile_docs([mac])
    assert body(result.console) == [
        "Compiling routine : r.mac",
        "ERROR: r.mac(5) #1026: Invalid command : 'frobnicate' : Offset:2 [Start+2^r]",
        " TEXT: \tfrobnicate"]
    assert result.outcomes[0].status.startswith("ERROR #5475: Error compiling routine: r. ")


def test_int_routine_error(compile_docs) -> None:
    result = compile_docs([doc("x.int", "ROUTINE x [Type=INT]\nx\n\tquit 1 2")])
    assert body(result.console)[1] == (
        "ERROR: x.int(3) #1026: Invalid command : '2' : Offset:9 [x+1^x]")
