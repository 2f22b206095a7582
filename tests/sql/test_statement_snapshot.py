"""A statement reads the namespace once: the project folder listings (a StudioOpenDialog call
per project item, ``atelier_api.sql.lateral``) answer from one snapshot of the documents per
statement, looked up by name prefix, and the next statement sees what was saved in between."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from atelier_api.documents.names import parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.sql.opendialog import (
    Listing,
    Names,
    dialog_args,
    name_prefixes,
    parse_spec,
    statement_scope,
    studio_open_dialog,
)

from .conftest import Client

CREATE = "INSERT INTO %Studio.Project (Name,Description,LastModified) VALUES (?,?,NOW())"
ADD = "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)"
REPLAY = Path(__file__).resolve().parents[1] / "replay" / "statements.json"
#: documents beside the fixture's: a routine two dots deep, "other" documents, a deeper web file
EXTRA = {
    "Other.Deep.X.mac": "ROUTINE Other.Deep.X\n quit",
    "Lut.One.lut": '<?xml version="1.0"?>\n<lookupTable>\n</lookupTable>',
    "My.Rule.dfi": '<?xml version="1.0"?>\n<Export>\n</Export>',
    "/csp/user/sub/deep/z.csp": "<html></html>",
}
#: an item of every kind, and items whose documents do not exist
ITEMS = [("Pkg", "PKG"), ("Tests.T", "CLS"), ("Gone.C", "CLS"), ("R.mac", "MAC"),
         ("Other.Thing.mac", "MAC"), ("Other.Deep.X.mac", "MAC"), ("Inc.inc", "MAC"),
         ("Gone.mac", "MAC"), ("Fresh.mac", "MAC"), ("Lut.One.lut", "OTH"),
         ("My.Rule.dfi", "OTH"), ("csp/user/x.js", "CSP"), ("csp/user/sub", "DIR"),
         ("GoneDir/x", "DIR")]


def replay(ident: str) -> tuple[str, list[Any]]:
    """The extension's statement and parameters (replay data), for project "Proj"."""
    found = [s for s in json.loads(REPLAY.read_text(encoding="utf-8"))["statements"]
             if s["id"] == ident][0]
    return found["sql"], ["Proj" if p == "DemoProject" else p for p in found["parameters"]]


def rows_of(api: Client, ident: str) -> list[tuple[str, str]]:
    sql, params = replay(ident)
    return sorted((r["Name"], r["Type"]) for r in api.rows(sql, params))


@pytest.fixture
def project(api: Client) -> Iterator[Client]:
    for name, text in EXTRA.items():
        assert api.put_doc(name, text).status_code in (200, 201), name
    api.rows(CREATE, ["Proj", ""])
    for name, kind in ITEMS:
        api.rows(ADD, ["Proj", name, kind])
    yield api


def store_of(api: Client) -> DocumentStore:
    return api.app.extensions["atelier"].store("USER")  # type: ignore[no-any-return]


def test_project_root_lists_items_of_every_kind(project: Client) -> None:
    # one entry per top-level package, dotted routine folder, other document and web folder;
    # missing documents are left out
    assert rows_of(project, "isfs.project.root") == [
        ("Inc.inc", "MAC"), ("Lut", "OTH"), ("My.Rule.dfi", "OTH"), ("Other", "MAC"),
        ("Pkg", "PKG"), ("R.mac", "MAC"), ("Tests", "CLS"), ("csp", "CSP")]


def test_project_flat_lists_every_document_of_the_project(project: Client) -> None:
    # the extension's statement compares its items with an unqualified Name inside each
    # EXISTS, which names the sub-query's own table: every MAC and CLS item passes (missing
    # documents too) and a CSP item never does; the files of the web folder item come from
    # the UNION's second SELECT
    assert rows_of(project, "isfs.project.flat") == [
        ("Fresh.mac", "MAC"), ("Gone.C.cls", "CLS"), ("Gone.mac", "MAC"), ("Inc.inc", "MAC"),
        ("Lut.One.lut", "OTH"), ("My.Rule.dfi", "OTH"), ("Other.Deep.X.mac", "MAC"),
        ("Other.Thing.mac", "MAC"), ("Pkg.A.cls", "CLS"), ("Pkg.Sub.B.cls", "CLS"),
        ("R.mac", "MAC"), ("Tests.T.cls", "CLS"), ("csp/user/sub/deep/z.csp", "DIR"),
        ("csp/user/sub/y.csp", "DIR")]


@pytest.fixture
def walks(project: Client, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every walk of the namespace's folder from now on (True: with generated documents)."""
    store = store_of(project)
    seen: list[bool] = []
    original = store.lazy_list

    def counted(generated: bool = False) -> Any:
        seen.append(generated)
        return original(generated)
    monkeypatch.setattr(store, "lazy_list", counted)
    return seen


def test_a_statement_reads_the_namespace_once_whatever_its_item_count(
        project: Client, walks: list[bool]) -> None:
    for n in range(40):  # many more lateral calls than walks
        project.rows(ADD, ["Proj", f"Many{n}.mac", "MAC"])
    rows_of(project, "isfs.project.root")
    # the items' calls ask with generated documents, the package expansion without
    assert sorted(walks) == [False, True]
    walks.clear()
    rows_of(project, "isfs.project.root")  # a new statement takes a new snapshot
    assert sorted(walks) == [False, True]


def test_a_document_saved_between_statements_is_seen_by_the_next(project: Client) -> None:
    assert ("Fresh.mac", "MAC") not in rows_of(project, "isfs.project.root")
    assert project.put_doc("Fresh.mac", "ROUTINE Fresh\n quit").status_code in (200, 201)
    assert ("Fresh.mac", "MAC") in rows_of(project, "isfs.project.root")
    assert project.delete_doc("Fresh.mac").status_code == 200
    assert ("Fresh.mac", "MAC") not in rows_of(project, "isfs.project.root")
    # a web folder item's files: the classes and files ProjectItemsList expands are read
    # per statement too
    assert project.put_doc("/csp/user/sub/new.csp", "<html></html>").status_code == 201
    items = project.rows("SELECT Name FROM %Studio.Project_ProjectItemsList(?,1) WHERE "
                         "Type = 'CSP'", ["Proj"])
    assert {"Name": "csp/user/sub/new.csp"} in items


def test_calls_in_one_scope_share_rows_and_a_new_scope_reads_again(
        project: Client, walks: list[bool]) -> None:
    store = store_of(project)
    args: list[Any] = ["*.mac", 1, 1, 0, 1, 0, 0]
    with statement_scope():
        first, _ = studio_open_dialog(store, args)
        again, condition = studio_open_dialog(store, [*args, "Name = 'R.mac'"])
        assert condition == "Name = 'R.mac'"  # the Filter is still the engine's to apply
        one, _ = studio_open_dialog(store, ["R.mac", 1, 1, 0, 1, 0, 0])
        assert project.put_doc("Late.mac", "ROUTINE Late\n quit").status_code == 201
        late, _ = studio_open_dialog(store, ["Late.mac", 1, 1, 0, 1, 0, 0])
    assert again == first and [r[0] for r in one] == ["R.mac"]
    assert late == []  # the statement's snapshot was taken before the save
    assert walks == [False]
    with statement_scope():
        late, _ = studio_open_dialog(store, ["Late.mac", 1, 1, 0, 1, 0, 0])
    assert [r[0] for r in late] == ["Late.mac"] and walks == [False, False]
    # outside a scope every call reads the namespace
    assert [r[0] for r in studio_open_dialog(store, ["Late.mac", 1, 1, 0, 1, 0, 0])[0]] == [
        "Late.mac"]
    assert walks == [False, False, False]


NAMES = ["Pkg.A.cls", "Pkg.Sub.B.cls", "pkg.lower.cls", "Other.Thing.mac", "Other.Deep.X.mac",
         "R.mac", "r2.MAC", "Inc.inc", "%ZR.mac", "%Lib.Sys.cls", "Lut.One.lut", "My.Rule.dfi",
         "/csp/user/x.js", "/csp/user/menu.csp", "/csp/user/sub/y.csp", "/csp/other/Ünï.js",
         "/csp/user/Ünï/a.js", "Ünï.Pkg.cls", "/x/y.txt", "A.B.C.int"]
SPECS = ["*", "*.cls", "Pkg/*", "pkg/*.CLS", "Pkg.Sub/*", "*.mac,*.int", "Other/*",
         "Other.*.mac", "Other.Deep/*.mac", "/csp/user/*", "csp/user/*", "/csp/*", "/*", "/",
         "/csp/user/sub/*", "*.cspall", "Pkg/*.cspall", "/csp/*.cspall", "*.other",
         "Lut.*.other", "Lut/*.other", "R.mac", "r.MAC", "Other.Thing.mac", "/csp/user/x.js",
         "csp/user/x.js", "x.js", "/csp/user/sub/y.csp", "Lut.One.lut", "*.inc,'Inc.inc", "%*",
         "P*", "?.mac", "Other.T?ing.mac", "[PR]*", "[A].mac", "'*.mac", "Tests/*.cls,*.mac",
         "/csp/user/Ün*", "/csp/other/ü*", "ünï.*", "Ünï/*", "*.mac,/csp/user/x.js", "A.B/*",
         "/csp/user/*.js,x.*"]


@pytest.mark.parametrize("spec", SPECS)
def test_the_name_index_never_misses_a_listed_document(spec: str) -> None:
    parsed = parse_spec(spec)
    prefixes = name_prefixes(parsed)
    for raw in NAMES:
        doc = parse_name(raw)
        picked = list(Names([doc], [None]).select(prefixes)) == [0]
        for flat in (0, 1):
            listing = Listing(dialog_args([spec, 1, 1, 1, flat]), parsed, True)
            if listing.wants(doc) is not None:
                assert picked, (spec, raw, flat, prefixes)


def test_the_name_index_narrows_exact_names_and_folders() -> None:
    docs = [parse_name(n) for n in NAMES]
    names = Names(docs, [None] * len(docs))

    def picked(spec: str) -> list[str]:
        return [docs[n].name for n in names.select(name_prefixes(parse_spec(spec)))]
    non_ascii = ["/csp/other/Ünï.js", "/csp/user/Ünï/a.js", "Ünï.Pkg.cls"]  # always looked at
    assert picked("R.mac") == ["R.mac", *non_ascii]
    assert picked("Pkg/*") == ["Pkg.A.cls", "Pkg.Sub.B.cls", "pkg.lower.cls", *non_ascii]
    assert picked("/csp/user/sub/*") == ["/csp/user/sub/y.csp", *non_ascii]
    assert name_prefixes(parse_spec("*.cls")) is None  # no literal start: every name
