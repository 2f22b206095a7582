"""DocumentStore listings: which files are documents, filters, and modified snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_api.documents.layout import parse_webapps
from atelier_api.documents.store import DocumentStore, ListQuery

from .conftest import MakeStore

FILES = {
    "Pkg/A.cls": "Class Pkg.A\n{\n}\n",
    "Pkg/Sub/B.cls": "Class Pkg.Sub.B\n{\n}\n",
    "%Z/Sys.cls": "Class %Z.Sys\n{\n}\n",
    "R.mac": "ROUTINE R\n",
    "Pkg.Util.mac": "ROUTINE Pkg.Util\n",
    "Macros.inc": "ROUTINE Macros [Type=INC]\n",
    "Pkg.A.1.int": "ROUTINE Pkg.A.1 [Type=INT]\n",
    "Proj.prj": "<Project/>\n",
    "csp/user/index.html": "<html/>\n",
    "csp/user/js/app.js": "x\n",
    "csp/user/.vscode/settings.json": "{}\n",
    # named by their headers wherever they sit: another file declaring R (R.mac is served),
    # a class without a package (User.NoPkg), an upper-case extension
    "Pkg/R.mac": "ROUTINE R\n", "NoPkg.cls": "Class NoPkg\n", "Pkg/C.CLS": "Class Pkg.C\n",
    # not documents: hidden, skipped folders, unknown types, outside a web application
    "README.md": "# x\n", ".hidden/X.cls": "x", "node_modules/m/Y.cls": "x",
    ".git/HEAD": "ref", "Pkg/__pycache__/Z.cls": "x", "csp/other/x.js": "x",
}
DOCS = ["%Z.Sys.cls", "/csp/user/.vscode/settings.json", "/csp/user/index.html",
        "/csp/user/js/app.js", "Macros.inc", "Pkg.A.1.int", "Pkg.A.cls", "Pkg.C.cls",
        "Pkg.Sub.B.cls", "Pkg.Util.mac", "Proj.prj", "R.mac", "User.NoPkg.cls"]


@pytest.fixture
def filled(store: DocumentStore, tmp_path: Path) -> DocumentStore:
    """The default store with FILES written by "another program"."""
    for rel, text in FILES.items():
        path = tmp_path / "root" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return store


def _names(store: DocumentStore, **query: object) -> list[str]:
    return [d.name for d in store.list(ListQuery(**query))]  # type: ignore[arg-type]


def test_list_everything(filled: DocumentStore) -> None:
    """Every file that holds a document, under the name its header declares, sorted by name,
    each name once (a second file declaring one is reported, not listed)."""
    entries = filled.list()
    assert [d.name for d in entries] == DOCS
    assert filled.duplicates() == {"R.mac": ["R.mac", "Pkg/R.mac"]}
    by_name = {d.name: d for d in entries}
    assert by_name["Pkg.A.cls"].cat == "CLS" and by_name["R.mac"].cat == "RTN"
    assert by_name["/csp/user/index.html"].cat == "CSP" and by_name["Proj.prj"].cat == "OTH"
    assert all(d.db == "USER" and not d.gen and len(d.ts) == 23 for d in entries)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"cats": frozenset({"CLS"})}, ["%Z.Sys.cls", "Pkg.A.cls", "Pkg.C.cls", "Pkg.Sub.B.cls",
                                        "User.NoPkg.cls"]),
        ({"cats": frozenset({"RTN"}), "exts": frozenset({"mac", "inc"})},
         ["Macros.inc", "Pkg.Util.mac", "R.mac"]),
        ({"cats": frozenset({"CSP"}), "exts": frozenset({"js", "json"})},
         ["/csp/user/.vscode/settings.json", "/csp/user/js/app.js"]),
        ({"cats": frozenset({"OTH"})}, ["Proj.prj"]),
        ({"exts": frozenset({"int"})}, ["Pkg.A.1.int"]),
        ({"filter": "pkg.a"}, ["Pkg.A.1.int", "Pkg.A.cls"]),
        ({"filter": "%Z."}, ["%Z.Sys.cls"]),
        ({"filter": "Pkg.*.cls"}, ["Pkg.A.cls", "Pkg.C.cls", "Pkg.Sub.B.cls"]),
        ({"filter": "?.mac"}, ["R.mac"]),
        ({"filter": "*/JS/*"}, ["/csp/user/js/app.js"]),
        ({"cats": frozenset({"CLS"}), "filter": "sub"}, ["Pkg.Sub.B.cls"]),
        ({"filter": "nothing-matches"}, []),
    ],
)
def test_list_filters(filled: DocumentStore, query: dict[str, object],
                      expected: list[str]) -> None:
    """Categories, extensions and the name filter (substring or glob, any case) combine."""
    assert _names(filled, **query) == expected


def test_generated_flag_hides_nothing_of_the_workspace(filled: DocumentStore) -> None:
    """Workspace files are sources: listed with or without generated, always gen false."""
    assert _names(filled, generated=True) == _names(filled, generated=False) == DOCS


def test_list_ts_agrees_with_get(filled: DocumentStore) -> None:
    """Listing and reading give the same ts for the same version."""
    listed = {d.name: d.ts for d in filled.list()}
    for name in ("Pkg.A.cls", "/csp/user/js/app.js", "R.mac"):
        assert filled.get(name).ts == listed[name] == filled.ts_of(name)


def test_header_less_files_follow_the_layout(make_store: MakeStore, tmp_path: Path) -> None:
    """Files without a header are named by their path, in the layout's rule; web
    applications by their folders."""
    store = make_store("atelier", webapps=parse_webapps({"/web": "static"}))
    for rel in ("Pkg/R.mac", "Pkg/A.cls", "static/x.js", "R.mac", "csp/user/y.js"):
        path = tmp_path / "root" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert _names(store) == ["/web/x.js", "Pkg.A.cls", "Pkg.R.mac", "R.mac"]


def test_list_sees_writes_and_deletes(store: DocumentStore) -> None:
    """Saves and deletes through the store show in the next listing."""
    store.put("R.mac", ["ROUTINE R"])
    store.put("Pkg.A.cls", ["Class Pkg.A"])
    store.delete("R.mac")
    assert _names(store) == ["Pkg.A.cls"]


def test_modified_first_call_returns_everything(filled: DocumentStore) -> None:
    """An unknown dbhash (or none) means: everything is new."""
    entries = filled.list()
    changes = filled.snapshots.changes("", entries)
    assert [c["name"] for c in changes] == DOCS
    assert all(set(c) == {"name", "ts", "gen", "depl"} for c in changes)


def test_modified_since_a_snapshot(filled: DocumentStore, tmp_path: Path) -> None:
    """Since a dbhash: changed and new documents with their ts, deleted ones with ts ''."""
    dbhash = filled.snapshots.take(filled.list())
    assert filled.snapshots.changes(dbhash, filled.list()) == []
    first = filled.get("R.mac")
    filled.put("R.mac", ["ROUTINE R", " quit"], if_match=first.ts)
    filled.put("New.mac", ["ROUTINE New"])
    filled.delete("Proj.prj")
    (tmp_path / "root" / "Pkg" / "Sub" / "B.cls").unlink()
    changes = filled.snapshots.changes(dbhash, filled.list())
    by_name = {c["name"]: c["ts"] for c in changes}
    assert set(by_name) == {"R.mac", "New.mac", "Proj.prj", "Pkg.Sub.B.cls"}
    assert by_name["Proj.prj"] == "" and by_name["Pkg.Sub.B.cls"] == ""
    assert by_name["R.mac"] == filled.ts_of("R.mac") != first.ts


def test_snapshot_hash_is_stable(filled: DocumentStore) -> None:
    """The same listing gives the same dbhash; a change gives another."""
    one = filled.snapshots.take(filled.list())
    assert filled.snapshots.take(filled.list()) == one
    filled.put("New.mac", ["ROUTINE New"])
    assert filled.snapshots.take(filled.list()) != one
    assert len(filled.crhash) == 10
