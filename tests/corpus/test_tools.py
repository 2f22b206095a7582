"""The corpus tooling itself: the independent header reader, the extract script (from a git
directory and from a wheel), the console parser and the expectations file. No corpus or
network needed."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from .extract import (
    CorpusError,
    Entry,
    extract_git,
    extract_wheel,
    load_entries,
    present,
    selected,
    stale_reason,
)
from .harness import (
    CompileError,
    CompileRun,
    Expectation,
    error_units,
    judge,
    load_expectations,
    parse_console,
)
from .headers import declared_name


def _declared(tmp_path: Path, name: str, text: str | bytes) -> str | None:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    found = declared_name(path)
    return None if found is None else found.name


@pytest.mark.parametrize(("file", "text", "name"), [
    ("A.cls", "Class Shop.Order Extends %Persistent\n{\n}\n", "Shop.Order.cls"),
    ("A.cls", "/// Doc\r\n// note\r\nInclude (Inc1, Inc2)\r\nImport Other\r\n\r\n"
     "class %Shop.Line [ Abstract ]\r\n{\r\n}\r\n", "%Shop.Line.cls"),
    ("A.cls", "/* a block\n   comment */ Include X\n\nClass P.Q{\n}\n", "P.Q.cls"),
    ("A.cls", "\ufeffClass Solo\n{\n}\n", "User.Solo.cls"),
    ("A.cls", "Include X\nProperty Y;\n", None),
    ("x.mac", "ROUTINE Shop.Util\nStart ;\n q\n", "Shop.Util.mac"),
    ("x.inc", "ROUTINE %Shop.Macros [Type=INC]\n#define ONE 1\n", "%Shop.Macros.inc"),
    ("x.mac", "ROUTINE Shop.Gen [ LanguageMode=0, Type = INT ]\n q\n", "Shop.Gen.int"),
    ("x.inc", "^INC^Saved^^~Format=IRIS.S~^UTF8\n%RO\nShop.Defs^INC^^^0\n#define A 1\n\n\n",
     "Shop.Defs.inc"),
    ("Plain.MAC", "/// no header\nPlain ;\n q\n", "Plain.mac"),
])
def test_the_declared_name_of_a_file(tmp_path: Path, file: str, text: str,
                                     name: str | None) -> None:
    assert _declared(tmp_path, file, text) == name


def _entry(**kw: object) -> Entry:
    base: dict[str, object] = {"name": "demo", "kind": "github", "repo": "someone/demo",
                               "commit": "0" * 40, "sources": ("src", "tests"),
                               "exclude": ("tests/_data",)}
    base.update(kw)
    return Entry(**base)  # type: ignore[arg-type]


def test_selection_keeps_objectscript_under_the_sources_but_the_excluded() -> None:
    entry = _entry()
    assert selected(entry, "src/A/B.cls") and selected(entry, "tests/T.CLS")
    assert selected(entry, "src/r.Mac") and selected(entry, "src/i.inc")
    assert selected(entry, "src/g.int")
    assert not selected(entry, "src/readme.md")
    assert not selected(entry, "srcx/A.cls")
    assert not selected(entry, "tests/_data/M/A.cls")
    assert not selected(entry, "docs/A.cls")
    assert selected(_entry(sources=("",), exclude=()), "deep/er/A.cls")


def test_repos_toml_pins_every_entry() -> None:
    entries = load_entries()
    github = [e for e in entries.values() if e.kind == "github"]
    assert len(github) >= 5
    assert all(len(e.commit) == 40 and e.sources and e.why for e in github)
    [pypi] = [e for e in entries.values() if e.kind == "pypi"]
    assert pypi.package == "iris-pex-embedded-python" and len(pypi.sha256) == 64


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                           "user.email=t@example.invalid", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_extract_from_a_git_directory_at_the_pinned_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src" / "P").mkdir(parents=True)
    (repo / "tests" / "_data").mkdir(parents=True)
    (repo / "src" / "P" / "A.cls").write_bytes(b"Class P.A\r\n{\r\n}\r\n")
    (repo / "src" / "notes.txt").write_text("not source")
    (repo / "tests" / "_data" / "Dup.cls").write_text("Class P.A\n{\n}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "src" / "P" / "A.cls").write_text("Class P.A\n{\n// changed later\n}\n")
    _git(repo, "commit", "-q", "-am", "two")
    cache = tmp_path / "cache"
    entry = _entry(commit=first)
    assert present(entry, cache) is None and "no extract" in stale_reason(entry, cache)
    folder = extract_git(entry, repo, cache)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file()) == ["src/P/A.cls"]
    assert (folder / "src/P/A.cls").read_bytes() == b"Class P.A\r\n{\r\n}\r\n"  # the pinned one
    assert present(entry, cache) == folder
    assert json.loads((cache / "demo.json").read_text())["commit"] == first
    moved = _entry(commit="1" * 40)
    assert present(moved, cache) is None and "another pin" in stale_reason(moved, cache)
    with pytest.raises(CorpusError, match="is not in"):
        extract_git(moved, repo, cache)
    assert present(entry, cache) == folder  # a failed extract leaves the current one alone


def test_extract_from_a_wheel_keeps_only_objectscript(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo/cls/D/A.cls", "Class D.A\n{\n}\n")
        archive.writestr("demo/cls/D/M.inc", "ROUTINE D.M [Type=INC]\n")
    entry = Entry("demo", "pypi", package="demo", version="1.0", wheel=wheel.name,
                  sha256="0" * 64)
    folder = extract_wheel(entry, wheel, tmp_path / "cache")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file()) == ["demo/cls/D/A.cls", "demo/cls/D/M.inc"]
    assert present(entry, tmp_path / "cache") == folder


CONSOLE = [
    "", "Compilation started on 01/02/2026 10:00:00 with qualifiers 'cuk'",
    "Compiling 2 classes",
    "Compiling class P.A",
    "ERROR #5373: Class 'X.Y', used by 'P.A:super', does not exist",
    "  > ERROR #5030: An error occurred while compiling class 'P.A'",
    "Compiling class P.B",
    "Compiling routine P.B.1",
    "ERROR: P.B.cls(Run+2) #1003: Expected space : ',' : Offset:9 [zRun+2^P.B.1]",
    " TEXT:     quit, 1",
    "Compiling routine : R.mac",
    "ERROR: R.mac(3) : MPP5610 : Referenced macro not defined: 'NOPE'",
    "Detected 3 errors during compilation in 0.010s.",
]


def test_console_errors_are_attributed_to_their_documents() -> None:
    errors = parse_console(CONSOLE)
    assert [(e.doc, e.code, e.where) for e in errors] == [
        ("P.A.cls", "5373", ""), ("P.B.cls", "1003", "Run+2"), ("R.mac", "MPP5610", "3")]
    assert errors[1].source == "quit, 1"
    assert errors[2].text == "MPP5610 : Referenced macro not defined: 'NOPE'"


def test_a_status_error_without_a_console_line_still_counts() -> None:
    run = CompileRun(200, [], [{"error": "ERROR #5475: x\n  > ERROR #5030: y", "code": 5475,
                                "params": ["Q.cls"]}], [], 0.0)
    assert [(e.doc, e.code) for e in error_units(run)] == [("Q.cls", "5475")]


def test_expectations_cover_only_their_document_and_text() -> None:
    errors = parse_console(CONSOLE)
    exp = [Expectation("c", "P.A.cls", ("#5373", "Class 'X.Y'"), "dependency"),
           Expectation("c", "P.Z.cls", ("#5373",), "stale")]
    verdict = judge(errors, exp)
    assert [e.doc for e in verdict.expected] == ["P.A.cls"]
    assert [e.doc for e in verdict.unexpected] == ["P.B.cls", "R.mac"]
    assert [e.doc for e in verdict.unmet] == ["P.Z.cls"]
    assert not judge([CompileError("P.A.cls", "5373", "#5373: Class 'X.Z'")],
                     exp[:1]).expected


def test_the_expectations_file_is_well_formed(tmp_path: Path) -> None:
    found = load_expectations()
    assert all(e.reason and e.match for rows in found.values() for e in rows)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[c]]\ndoc = "A.cls"\nmatch = ["#5373"]\nreason = ""\n')
    with pytest.raises(ValueError, match="empty"):
        load_expectations(bad)
    bad.write_text('[[c]]\ndoc = "A.cls"\nmatch = ["#5373"]\n')
    with pytest.raises(ValueError, match="exactly"):
        load_expectations(bad)
