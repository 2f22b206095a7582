"""The document-name grammar: canonical forms, categories and the rejection of hostile names."""

from __future__ import annotations

import pytest

from atelier_api.documents.names import is_text_web_file, parse_name
from atelier_api.errors import InvalidName


@pytest.mark.parametrize(
    ("raw", "name", "base"),
    [
        ("%Library.String.cls", "%Library.String.cls", "%Library.String"),
        ("Pkg.Sub.Cls.cls", "Pkg.Sub.Cls.cls", "Pkg.Sub.Cls"),
        ("Ünïcødé.Klasse.cls", "Ünïcødé.Klasse.cls", "Ünïcødé.Klasse"),
        ("Пакет.Класс.cls", "Пакет.Класс.cls", "Пакет.Класс"),
        ("Pkg.Sub.Cls.CLS", "Pkg.Sub.Cls.cls", "Pkg.Sub.Cls"),
    ],
)
def test_classes(raw: str, name: str, base: str) -> None:
    """Package-qualified class names are CLS with a lower-case extension."""
    doc = parse_name(raw)
    assert (doc.name, doc.cat, doc.ext, doc.base) == (name, "CLS", "cls", base)
    assert doc.is_compilable and not doc.is_web


@pytest.mark.parametrize(
    ("raw", "name", "ext"),
    [
        ("R.mac", "R.mac", "mac"),
        ("Pkg.R.mac", "Pkg.R.mac", "mac"),
        ("%R.int", "%R.int", "int"),
        ("Pkg.Cls.1.int", "Pkg.Cls.1.int", "int"),
        ("Pkg.Cls.G1.INT", "Pkg.Cls.G1.int", "int"),
        ("Macros.inc", "Macros.inc", "inc"),
        ("B.bas", "B.bas", "bas"),
        ("M.mvi", "M.mvi", "mvi"),
        ("M.MVB", "M.mvb", "mvb"),
        ("Pkg.R.MAC", "Pkg.R.mac", "mac"),
    ],
)
def test_routines(raw: str, name: str, ext: str) -> None:
    """Routine types (dotted names included) are RTN with a lower-case extension."""
    doc = parse_name(raw)
    assert (doc.name, doc.cat, doc.ext) == (name, "RTN", ext)


def test_include_is_not_compilable() -> None:
    """An include file is a routine but compiles into nothing by itself."""
    assert not parse_name("Macros.inc").is_compilable
    assert parse_name("R.mac").is_compilable


@pytest.mark.parametrize(
    "raw", ["/csp/user/page.csp", "//csp/user/page.csp", "csp/user/page.csp"]
)
def test_web_files_get_one_leading_slash(raw: str) -> None:
    """Leading slash, the isfs double slash or none: one canonical web name."""
    doc = parse_name(raw)
    assert (doc.name, doc.cat, doc.ext, doc.base) == (
        "/csp/user/page.csp", "CSP", "csp", "/csp/user/page.csp")
    assert doc.is_web and not doc.is_compilable


def test_web_file_keeps_its_path_case_and_lowers_ext_only() -> None:
    """A web file's path is a file path: its case is kept, only ``ext`` is folded."""
    doc = parse_name("/csp/user/js/App.JS")
    assert doc.name == "/csp/user/js/App.JS"
    assert doc.ext == "js"


def test_web_file_without_extension() -> None:
    """A web file may have no extension; dotfiles are text."""
    assert parse_name("/csp/user/LICENSE").ext == ""
    assert is_text_web_file(parse_name("/csp/user/.vscode/.gitignore"))
    assert not is_text_web_file(parse_name("/csp/user/logo.png"))


@pytest.mark.parametrize(
    ("raw", "name"),
    [("X.prj", "X.prj"), ("Y.dtl", "Y.dtl"), ("Z.PRJ", "Z.prj"), ("A.B.lut", "A.B.lut"),
     ("Pkg.Rule.bpl", "Pkg.Rule.bpl"), ("H.hl7", "H.hl7")],
)
def test_other_types(raw: str, name: str) -> None:
    """Abstract document types are OTH."""
    doc = parse_name(raw)
    assert (doc.name, doc.cat) == (name, "OTH")


HOSTILE = [
    "", "..", ".", "../x.cls", "..\\x.cls", "/csp/user/../../etc/passwd", "/csp/user/./x.js",
    "csp/user/../../../x.js", "/x.js", "///csp/user/x.js", "/csp//user/x.js",
    "/csp/user/", "C:\\Windows\\x.cls", "Pkg.A.cls\x00.txt", "Pkg\x00A.cls",
    "/csp/user/a\x00.js", "Pkg.A\n.cls", "/csp/user/a\tb.js", "/csp/user/a\x7fb.js",
    "/csp/user/a\x85b.js", "/csp/user/a\x9bb.js", "Pkg\\A.cls", "/csp/user/x.js.",
    "/csp/user/x.js ", "/csp/user/ x.js", "/csp/user. /x.js", "Pkg.A.cls.", "Pkg.A.cls ",
    " Pkg.A.cls", "Pkg..A.cls", ".A.cls", "Pkg.A..mac", "Pkg.A." + "x" * 1024,
    "/csp/user/" + "a" * 1020 + ".js", "Foo.exe", "Foo.", "Foo", "Foo.js", "A.cls", "%A.cls",
    "Pkg_A.B.cls", "Pkg.A_B.cls", "R_1.mac", "Pkg.%A.cls", "Pkg A.B.cls", "Pkg.A-B.mac",
]


@pytest.mark.parametrize("raw", HOSTILE, ids=lambda r: repr(r)[:40])
def test_hostile_names_are_rejected(raw: str) -> None:
    """Anything that could escape a root, or is not a name, is InvalidName: HTTP 400, #16006."""
    with pytest.raises(InvalidName) as info:
        parse_name(raw)
    assert info.value.http_status == 400
    assert info.value.code == 16006
    assert info.value.text.startswith("ERROR #16006: Document '")


def test_rejected_nul_is_shown_escaped() -> None:
    """The error text never carries a raw NUL."""
    with pytest.raises(InvalidName) as info:
        parse_name("Pkg\x00A.cls")
    assert "\x00" not in info.value.text and "\\0" in info.value.text


def test_longest_accepted_name() -> None:
    """1024 characters is the limit, inclusive."""
    raw = "Pkg." + "A" * (1024 - len("Pkg..cls")) + ".cls"
    assert len(raw) == 1024
    assert parse_name(raw).name == raw
    with pytest.raises(InvalidName):
        parse_name("Pkg." + "A" * (1025 - len("Pkg..cls")) + ".cls")


def test_non_string_is_rejected() -> None:
    """A JSON number or null where a name is expected is an invalid name, not a crash."""
    for value in (None, 12, ["a.cls"]):
        with pytest.raises(InvalidName):
            parse_name(value)  # type: ignore[arg-type]
