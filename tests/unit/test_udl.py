"""UDL text facts: routine and class headers, Storage sections, multi-line method arguments."""

from __future__ import annotations

import pytest

from atelier_api.documents import udl
from atelier_api.documents.names import parse_name

CLASS = [
    "/// Docs.",
    "Class Pkg.A Extends %Persistent",
    "{",
    "",
    "Method Hello(a As %String, b As %Integer = 1) As %String",
    "{",
    "    quit a_b",
    "}",
    "",
    'ClassMethod Run(x As %String(MAXLEN=10) = "a,b", ByRef y) [ Language = objectscript ]',
    "{",
    "}",
    "",
    "Method NoArgs() As %Status",
    "{",
    "}",
    "",
    "Storage Default",
    "{",
    "<Data name=\"AData\">",
    "<Value name=\"1\"><Value>Name</Value></Value>",
    "</Data>",
    "<Type>%Storage.Persistent</Type>",
    "}",
    "",
    "}",
]


def _problem(name: str, lines: list[str]) -> str | None:
    return udl.header_problem(parse_name(name), lines)


@pytest.mark.parametrize(
    ("name", "header"),
    [("R.mac", "ROUTINE R"), ("R.mac", "ROUTINE R [Type=MAC]"),
     ("Pkg.R.int", "ROUTINE Pkg.R [Type=INT, LanguageMode=0]"),
     ("Inc.inc", "ROUTINE Inc [Type=INC]"), ("R.mac", "\ufeffROUTINE R [ type = mac ]"),
     ("Pkg.A.1.int", "ROUTINE Pkg.A.1 [Type=INT,Generated]")],
)
def test_good_routine_headers(name: str, header: str) -> None:
    """A first line naming the routine and its type is accepted."""
    assert _problem(name, [header, " quit"]) is None


def test_routine_without_header_is_16021() -> None:
    """Junk text, or a header not on the first line, is not a routine."""
    problem = _problem("R.mac", ["R ;", " quit"])
    assert problem is not None and problem.startswith("ERROR #16021")
    assert "ROUTINE R [Type=MAC]" in problem
    assert (_problem("R.mac", ["", "ROUTINE R"]) or "").startswith("ERROR #16021")


def test_routine_with_wrong_name() -> None:
    """The header must name this routine."""
    problem = _problem("R.mac", ["ROUTINE Other", " quit"])
    assert problem is not None and problem.startswith("ERROR #5001") and "Other" in problem


@pytest.mark.parametrize(
    ("name", "header"),
    [("R.int", "ROUTINE R"), ("R.mac", "ROUTINE R [Type=INT]"),
     ("Inc.inc", "ROUTINE Inc [Type=MAC]")],
)
def test_routine_with_wrong_type(name: str, header: str) -> None:
    """The Type attribute (MAC by default) must match the extension."""
    problem = _problem(name, [header])
    assert problem is not None and "Type=" in problem and problem.startswith("ERROR #5001")


@pytest.mark.parametrize("content", [[], [""], ["", "   ", "\t"]])
def test_empty_content_is_16022(content: list[str]) -> None:
    """Nothing to save is its own error for classes and routines."""
    for name in ("R.mac", "Pkg.A.cls"):
        assert (_problem(name, content) or "").startswith("ERROR #16022")


def test_other_documents_have_no_header_rules() -> None:
    """Web files and other types are saved as they are."""
    assert _problem("/csp/user/x.js", []) is None
    assert _problem("X.prj", ["junk"]) is None


def test_class_header_accepted() -> None:
    """A class text naming the class is fine, after comments and Include lines."""
    assert _problem("Pkg.A.cls", CLASS) is None
    preamble = ["// line comment", "/* block", "   comment */", "#; old comment", "",
                "Include (Macros, Other)", "IncludeGenerator Gen", "Import Pkg2",
                "/// doc comment", "Class Pkg.A [ Abstract ]", "{", "}"]
    assert _problem("Pkg.A.cls", preamble) is None


def test_class_without_package_is_user() -> None:
    """``Class Foo`` is stored as ``User.Foo``."""
    assert _problem("User.Foo.cls", ["Class Foo Extends %RegisteredObject", "{", "}"]) is None
    assert (_problem("Pkg.Foo.cls", ["Class Foo", "{", "}"]) or "").startswith("ERROR #5001")


@pytest.mark.parametrize(
    "header", ["Class Pkg.B Extends %Persistent", "Class Pkg.A.B", "Class pkg.a"]
)
def test_class_name_mismatch(header: str) -> None:
    """The header must name this class."""
    problem = _problem("Pkg.A.cls", [header, "{", "}"])
    assert problem is not None and problem.startswith("ERROR #5001")


@pytest.mark.parametrize(
    "lines", [["junk", "Class Pkg.A"], ["ClassMethod Pkg.A()"], ["/// only docs"],
              ["/* never closed", "Class Pkg.A"]]
)
def test_class_without_header_is_16021(lines: list[str]) -> None:
    """A text whose first real line is not ``Class ...`` is not a class."""
    assert (_problem("Pkg.A.cls", lines) or "").startswith("ERROR #16021")


def test_storage_section() -> None:
    """Every Storage definition, header line through closing brace, and nothing else."""
    storage = udl.storage_section(CLASS)
    assert storage[0] == "Storage Default" and storage[-1] == "}"
    assert storage == CLASS[17:24]
    two = CLASS[:-1] + ["Storage Other", "{", "<Type>x</Type>", "}", "}"]
    assert udl.storage_section(two) == CLASS[17:24] + ["Storage Other", "{", "<Type>x</Type>",
                                                        "}"]
    assert udl.storage_section(["Class Pkg.A", "{", "}"]) == []


def test_to_multiline_splits_arguments() -> None:
    """Each argument on its own tab-indented line; the tail stays on the last one."""
    lines = udl.to_multiline(CLASS)
    start = lines.index("Method Hello(")
    assert lines[start + 1 : start + 3] == ["\ta As %String,", "\tb As %Integer = 1) As %String"]
    run = lines.index("ClassMethod Run(")
    assert lines[run + 1] == '\tx As %String(MAXLEN=10) = "a,b",'
    assert lines[run + 2] == "\tByRef y) [ Language = objectscript ]"
    assert "Method NoArgs() As %Status" in lines


def test_multiline_round_trip() -> None:
    """collapse_multiline(to_multiline(text), text) gives the text back exactly."""
    odd_spacing = [line.replace("a As %String, b", "a As %String,b") for line in CLASS]
    for text in (CLASS, odd_spacing):
        assert udl.collapse_multiline(udl.to_multiline(text), text) == text


def test_collapse_keeps_an_edited_signature_as_sent() -> None:
    """A signature the client changed is not collapsed onto a stale original."""
    multi = udl.to_multiline(CLASS)
    start = multi.index("Method Hello(")
    multi[start + 2] = "\tc As %Integer) As %String"
    out = udl.collapse_multiline(multi, CLASS)
    assert out[start : start + 3] == multi[start : start + 3]


def test_split_arguments() -> None:
    """Top-level commas only: parentheses, braces and strings protect theirs."""
    assert udl.split_arguments('a, b As %String(X=1,Y=2) = "x,y", c = {"k":1,"j":2}') == [
        "a", "b As %String(X=1,Y=2) = \"x,y\"", 'c = {"k":1,"j":2}']
    assert udl.split_arguments("") == []
