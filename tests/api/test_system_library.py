"""The compiler adapter's system library through the API, read-only: GET/HEAD doc and POST
docs in every namespace, docnames in %SYS (and for a % filter), StudioOpenDialog and search
with the system switch, action/index and the class dictionary; PUT and DELETE refused with
IRIS's error and nothing written; a workspace document of the same name wins; an adapter
without the capability (or a broken one) changes nothing."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope
from spaces import SessionClient, Space, SpaceSpec, make_space

from atelier_api.adapters.contract import (
    Adapter,
    Capability,
    CompileRequest,
    CompileResult,
    IndexRequest,
    IndexResult,
    MacroRequest,
    MacroResult,
    SystemDocsRequest,
    SystemDocsResult,
)
from compiler_stub import StubCompiler

PERSON = ("/// Someone.\nClass Pkg.Person Extends %Persistent\n{\n\n"
          "Property Name As %String;\n\n}\n")
FILES: dict[str, str | bytes] = {
    "Pkg/Person.cls": PERSON,
    "R.mac": "ROUTINE R\nR ;\n set sc = $$$OK\n quit\n",
}
TS_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")
STRING, STATUS, OBJ = "%Library.String.cls", "%occStatus.inc", "%SYSTEM.OBJ.cls"
READ_ONLY = ("ERROR #5883: Item '{}' is mapped from a database that you do not have write "
             "permission on")
DIALOG = "SELECT Name, Type, Size FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"
DEPLOYED = "SELECT Deployed, System FROM %Dictionary.ClassDefinition WHERE Name = ?"


def bundled(api: SessionClient, name: str) -> bytes:
    """The text of a library document as the app's adapter holds it (the stub's contract
    tests check that it is the bundled file's; nothing here copies library text)."""
    got = api.svc.compiler.system_documents(SystemDocsRequest((name,), text=True)).documents
    assert len(got) == 1, name
    return "\n".join(got[0].lines).encode()


def bundled_names(api: SessionClient, ext: str) -> list[str]:
    """The library's documents of one type, as the app's adapter lists them."""
    docs = api.svc.compiler.system_documents(SystemDocsRequest()).documents
    return [d.name for d in docs if d.name.endswith(f".{ext}")]


@pytest.fixture
def space_spec() -> SpaceSpec:
    return SpaceSpec(FILES)


@pytest.fixture(scope="module")
def ro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionClient]:
    """One app for the tests that only read (the workspace is compared at the end)."""
    box = make_space(tmp_path_factory.mktemp("syslib"), SpaceSpec(FILES))
    before = _tree(box.ws)
    api = box.app()
    yield api
    box.close()
    assert _tree(box.ws) == before, "a read-only test wrote to the workspace"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _ok(resp: Any) -> Any:
    env = envelope(resp)
    assert resp.status_code == 200, env
    assert env["status"]["summary"] == "", env
    return env


def _doc(api: SessionClient, name: str, ns: str = "USER", **query: str) -> Any:
    return api.call("GET", api.url(f"doc/{name}", ns=ns), query_string=query)


def _rows(api: SessionClient, sql: str, params: list[Any], ns: str = "USER") -> list[Any]:
    resp = api.call("POST", api.url("action/query", ns=ns),
                    json={"query": sql, "parameters": params})
    return _ok(resp)["result"]["content"]  # type: ignore[no-any-return]


def _names(api: SessionClient, rest: str, ns: str = "USER", **query: str) -> list[str]:
    resp = api.call("GET", api.url(rest, ns=ns), query_string=query)
    return [e["name"] for e in _ok(resp)["result"]["content"]]


def _search(api: SessionClient, text: str, files: str, ns: str = "USER", **flags: str) -> list[str]:
    resp = api.call("GET", api.url("action/search", ns=ns),
                    query_string={"query": text, "files": files, "regex": "0", **flags})
    return [item["doc"] for item in _ok(resp)["result"]]


def _put(api: SessionClient, name: str, lines: list[str], ns: str = "USER") -> Any:
    return api.call("PUT", api.url(f"doc/{name}", ns=ns), query_string={"ignoreConflict": "1"},
                    json={"enc": False, "content": lines})


# -- reading ----------------------------------------------------------------------------------

@pytest.mark.parametrize("ns", ["USER", "%SYS"])
@pytest.mark.parametrize("name,cat", [(STRING, "CLS"), (STATUS, "RTN")])
def test_get_doc_serves_the_signature_text_as_irislib(ro: SessionClient, ns: str, name: str,
                                                      cat: str) -> None:
    resp = _doc(ro, name, ns)
    result = _ok(resp)["result"]
    assert result["name"] == name and result["cat"] == cat
    assert result["db"] == "IRISLIB" and result["upd"] is True and result["status"] == ""
    assert TS_RE.fullmatch(result["ts"]) and resp.headers["ETag"] == f'"{result["ts"]}"'
    assert result["enc"] is False and result["flags"] == 0
    assert "\n".join(result["content"]).encode() == bundled(ro, name)


def test_the_ts_is_stable_and_answers_304(ro: SessionClient, space: Space) -> None:
    ts = _ok(_doc(ro, STRING))["result"]["ts"]
    again = space.app()  # another app, another adapter instance: the same ts
    assert _ok(_doc(again, STRING))["result"]["ts"] == ts
    resp = ro.call("GET", ro.url(f"doc/{STRING}"), headers={"If-None-Match": ts})
    assert resp.status_code == 304 and resp.data == b""
    head = ro.call("HEAD", ro.url(f"doc/{STATUS}"))
    assert head.status_code == 200 and TS_RE.fullmatch(head.headers["ETag"].strip('"'))


def test_get_doc_options(ro: SessionClient) -> None:
    binary = _ok(_doc(ro, STATUS, binary="1"))["result"]
    assert binary["enc"] is True
    assert b"".join(base64.b64decode(c) for c in binary["content"]) == bundled(ro, STATUS)
    assert _ok(_doc(ro, STRING.replace(".cls", ".CLS")))["result"]["name"] == STRING
    storage = _ok(_doc(ro, STRING, storageOnly="1"))["result"]
    assert storage["flags"] == 1 and storage["content"] == []  # signatures have no Storage
    multi = _ok(_doc(ro, OBJ, format="udl-multiline"))["result"]["content"]
    plain = _ok(_doc(ro, OBJ))["result"]["content"]
    assert len(multi) > len(plain) and any(line.startswith("\t") for line in multi)


def test_xml_export_format(ro: SessionClient) -> None:
    lines = _ok(_doc(ro, STRING, format="xml"))["result"]["content"]
    assert '<Class name="%Library.String">' in lines


def test_macro_look_ups_in_a_system_include(ro: SessionClient) -> None:
    body = {"docname": STATUS, "macroname": "ISERR", "includes": []}
    resp = ro.call("POST", ro.url("action/getmacrodefinition"), json=body)
    definition = _ok(resp)["result"]["content"]["definition"]
    assert definition and definition[0].startswith("#define ISERR(")
    resp = ro.call("POST", ro.url("action/getmacrolist"), json={"docname": STATUS})
    assert "ISERR" in _ok(resp)["result"]["content"]["macros"]


def test_unknown_system_name_is_still_404(ro: SessionClient) -> None:
    resp = _doc(ro, "%Library.NoSuchThing.cls")
    assert resp.status_code == 404
    assert ro.call("HEAD", ro.url("doc/%Library.NoSuchThing.cls")).status_code == 404


def test_post_docs_reads_system_and_workspace_documents(ro: SessionClient) -> None:
    resp = ro.call("POST", ro.url("docs"), json=[STRING, "Pkg.Person.cls", "Nope.mac"])
    docs = _ok(resp)["result"]["content"]
    assert [(d["name"], d["db"], d["status"] == "") for d in docs] == [
        (STRING, "IRISLIB", True), ("Pkg.Person.cls", "USER", True), ("Nope.mac", "", False)]
    assert "\n".join(docs[0]["content"]).encode() == bundled(ro, STRING)


# -- listings -----------------------------------------------------------------------------------

def test_docnames_in_sys_lists_the_library(ro: SessionClient) -> None:
    resp = ro.call("GET", ro.url("docnames", ns="%SYS"))
    entries = _ok(resp)["result"]["content"]
    by_name = {e["name"]: e for e in entries}
    assert set(bundled_names(ro, "cls")) | set(bundled_names(ro, "inc")) <= set(by_name)
    assert by_name[STRING] == {"name": STRING, "cat": "CLS", "ts": by_name[STRING]["ts"],
                               "upd": True, "db": "IRISLIB", "gen": False}
    assert [e["name"] for e in entries] == sorted(e["name"] for e in entries)
    assert _names(ro, "docnames/RTN/inc", "%SYS") == bundled_names(ro, "inc")
    assert _names(ro, "docnames/CLS", "%SYS") == bundled_names(ro, "cls")
    assert _names(ro, "docnames/CLS", "%SYS", filter="%SYSTEM.O") == [OBJ]


def test_docnames_elsewhere_only_for_a_percent_filter(ro: SessionClient) -> None:
    assert _names(ro, "docnames") == ["Pkg.Person.cls", "R.mac"]
    expected = [n for n in bundled_names(ro, "cls") if n.lower().startswith("%system.")]
    # what VS Code asks for $SYSTEM. completion
    assert _names(ro, "docnames/CLS/*", filter="%SYSTEM.", generated="0") == expected
    assert OBJ in expected
    assert _names(ro, "docnames/RTN", filter="%occ*") == [
        n for n in bundled_names(ro, "inc") if n.lower().startswith("%occ")]


def test_studio_open_dialog_with_the_system_switch(ro: SessionClient) -> None:
    root = ["*.cls,*.inc,*.mac,*.int", "1", "1"]
    plain = _rows(ro, DIALOG, [*root, "0", "0", "0", "0", "", "0", "1"])
    assert [r["Name"] for r in plain] == ["Pkg", "R.mac"]
    system = _rows(ro, DIALOG, [*root, "1", "0", "0", "0", "", "0", "1"])
    names = {r["Name"]: r["Type"] for r in system}
    assert names["%Library"] == 9 and names[STATUS] == 2 and names["Pkg"] == 9
    unmapped = _rows(ro, DIALOG, [*root, "1", "0", "0", "0", "", "0", "0"])
    assert [r["Name"] for r in unmapped] == ["Pkg", "R.mac"]
    folder = _rows(ro, DIALOG, ["%Library/*.cls", "1", "1", "1", "0", "0", "0", "", "0", "1"])
    row = next(r for r in folder if r["Name"] == "String.cls")
    assert row["Type"] == 4 and row["Size"] == len(bundled(ro, STRING))
    flat = _rows(ro, DIALOG, ["*.inc", "1", "1", "0", "1", "0", "0", "", "0", "1"], ns="%SYS")
    assert [r["Name"] for r in flat] == sorted(bundled_names(ro, "inc"), key=str.lower)


def test_search_with_sys(ro: SessionClient) -> None:
    assert _search(ro, "ThrowOnError", "*.inc") == []
    assert STATUS in _search(ro, "ThrowOnError", "*.inc", sys="1")
    assert STATUS in _search(ro, "ThrowOnError", "*.inc", ns="%SYS")  # always in %SYS
    found = _search(ro, "quit", "*.mac,*.inc", sys="1")
    assert found[0] == "R.mac" and found[1:]  # the workspace first, then the library
    assert _search(ro, "ThrowOnError", "*.inc", sys="1", max="1") == [STATUS]
    resp = ro.call("GET", ro.url("action/search"), query_string={
        "query": ".*define ThrowOnError.*", "files": "%occ*.inc", "regex": "1", "sys": "1"})
    assert [i["doc"] for i in _ok(resp)["result"]] == [STATUS]


def test_search_work_job_with_system(ro: SessionClient) -> None:
    job = ro.queue({"request": "search", "query": "ThrowOnError", "documents": "*.inc",
                    "system": True, "regex": False, "max": 1000})
    assert job.status_code == 202, job.data
    running, last = ro.poll_until_done(job.headers["Location"])
    found = [i["doc"] for env in [*running, envelope(last)] for i in env["result"]]
    assert STATUS in found


# -- index and class dictionary -------------------------------------------------------------

def test_index_summarises_system_documents(ro: SessionClient) -> None:
    resp = ro.call("POST", ro.url("action/index"), json=[STRING, STATUS, "Pkg.Person.cls",
                                                          "%Library.Nope.cls"])
    string, status, person, nope = _ok(resp)["result"]["content"]
    assert string["db"] == "IRISLIB" and string["status"] == "" and string["gen"] is False
    assert string["content"]["depl"] is True and string["content"]["methods"]
    assert TS_RE.fullmatch(string["ts"]) and string["others"] == []
    assert status["db"] == "IRISLIB" and status["status"] == "" and status["content"] == {}
    assert person["db"] == "USER" and person["content"]["depl"] is False
    assert person["content"]["super"][0] == "%Library.Persistent"
    assert nope["db"] == "" and nope["status"]


def test_dictionary_holds_the_system_classes(ro: SessionClient) -> None:
    (string,) = _rows(ro, DEPLOYED, ["%Library.String"])
    assert string["Deployed"] == 1 and string["System"] >= 1  # the System keyword of its text
    assert _rows(ro, DEPLOYED, ["Pkg.Person"]) == [{"Deployed": 0, "System": 0}]
    # VS Code's ##class(% completion
    parts = _rows(ro, "SELECT DISTINCT $Piece(Name, '.', 1) PartName FROM "
                      "%Dictionary.ClassDefinition WHERE Hidden=0 AND LOWER(Name) %STARTSWITH ?",
                  ["%syst"])
    assert parts == [{"PartName": "%SYSTEM"}]
    methods = _rows(ro, "SELECT Name, Origin FROM %Dictionary.CompiledMethod WHERE parent = ?",
                    ["%SYSTEM.OBJ"])
    assert {"Compile", "Load"} <= {m["Name"] for m in methods}
    inherited = _rows(ro, "SELECT Name, Origin FROM %Dictionary.CompiledMethod WHERE parent = ? "
                          "AND Origin %STARTSWITH '%'", ["Pkg.Person"])
    assert inherited and {m["Origin"] for m in inherited} <= {
        n[:-4] for n in bundled_names(ro, "cls")}
    props = _rows(ro, "SELECT Name FROM %Dictionary.CompiledProperty WHERE parent = ?",
                  ["Pkg.Person"])
    assert {"Name": "Name"} in props


def test_source_control_status_says_system_documents_are_not_editable(ro: SessionClient
                                                                        ) -> None:
    query = "select * from %Atelier_v1_Utils.Extension_GetStatus(?)"
    assert _rows(ro, query, [STRING])[0]["editable"] == 0
    assert _rows(ro, query, ["Pkg.Person.cls"])[0]["editable"] == 1


# -- writes are refused ---------------------------------------------------------------------

@pytest.mark.parametrize("ns", ["USER", "%SYS"])
def test_put_is_refused_and_writes_nothing(space: Space, ns: str) -> None:
    api = space.app()
    store = api.svc.store(ns)
    before = _tree(Path(store.root))
    resp = _put(api, STRING, ["Class %Library.String Extends %DataType", "{", "}"], ns)
    env = envelope(resp)
    text = READ_ONLY.format("%Library.String")
    assert resp.status_code == 200 and env["console"] == [text]
    assert env["result"]["status"] == text and env["result"]["ts"] == ""
    assert env["result"]["db"] == "IRISLIB" and env["result"]["content"] == []
    assert _tree(Path(store.root)) == before
    assert "\n".join(_ok(_doc(api, STRING, ns))["result"]["content"]).encode() == bundled(
        api, STRING)


def test_delete_is_refused(space: Space) -> None:
    api = space.app()
    resp = api.call("DELETE", api.url(f"doc/{STATUS}"))
    env = envelope(resp)
    assert resp.status_code == 200
    assert env["result"]["status"] == READ_ONLY.format("%occStatus")
    many = api.call("DELETE", api.url("docs"), json=[STATUS, "R.mac", "Nope.mac"])
    items = _ok(many)["result"]
    assert items[0] == {"name": STATUS, "db": "IRISLIB",
                        "status": READ_ONLY.format("%occStatus")}
    assert items[1] == {"name": "R.mac", "db": "USER", "status": ""}
    assert items[2]["db"] == "" and items[2]["status"].startswith("ERROR #16005")
    assert not (space.ws / "R.mac").exists()
    assert _ok(_doc(api, STATUS))["result"]["db"] == "IRISLIB"


# -- a workspace document of the same name wins ---------------------------------------------

SHADOW = ["/// Ours.", "Class %Library.String Extends %Library.DataType", "{", "",
          "ClassMethod Mine() As %String", "{", " quit \"mine\"", "}", "", "}", ""]


def test_a_workspace_document_of_the_same_name_wins(space: Space) -> None:
    api = space.app()
    rel = api.svc.store("USER").locate(STRING).rel
    space.write(rel, "\n".join(SHADOW))
    result = _ok(_doc(api, STRING))["result"]
    assert result["db"] == "USER" and result["content"] == SHADOW
    saved = _put(api, STRING, [*SHADOW[:-2], "// edited", "}", ""])
    assert saved.status_code == 200 and envelope(saved)["result"]["status"] == ""
    assert "// edited" in space.read(rel)
    index = _ok(api.call("POST", api.url("action/index"), json=[STRING]))["result"]["content"]
    assert index[0]["db"] == "USER" and index[0]["content"]["depl"] is False
    assert [m["name"] for m in index[0]["content"]["methods"]] == ["Mine"]
    assert _rows(api, DEPLOYED, ["%Library.String"])[0]["Deployed"] == 0
    methods = _rows(api, "SELECT Name FROM %Dictionary.MethodDefinition WHERE parent = ?",
                    ["%Library.String"])
    assert methods == [{"Name": "Mine"}]
    assert _search(api, "quit \"mine\"", "*.cls", sys="1") == [STRING]
    assert _search(api, "LogicalToDisplay", "%Library.String.cls", sys="1") == []
    entries = _ok(api.call("GET", api.url("docnames/CLS"), query_string={
        "filter": "%Library.String."}))["result"]["content"]
    assert [(e["name"], e["db"]) for e in entries] == [(STRING, "USER")]
    (space.ws / rel).unlink()  # gone again: the library's document is back
    api.svc.store("USER").on_external_change([rel])
    assert _ok(_doc(api, STRING))["result"]["db"] == "IRISLIB"
    assert _rows(api, DEPLOYED, ["%Library.String"])[0]["Deployed"] == 1


# -- adapters without the capability, broken ones, and the cache ----------------------------

class Wrapped(Adapter):
    """The stub, with its capabilities narrowed or its system documents broken, counting the
    system document calls."""

    def __init__(self, *, declare: bool = True, fail: bool = False) -> None:
        self.inner = StubCompiler(0)
        caps = set(self.inner.info.capabilities)
        if not declare:
            caps.discard(Capability.SYSTEM_DOCUMENTS)
        self.info = replace(self.inner.info, capabilities=frozenset(caps))
        self.fail = fail
        self.calls: list[SystemDocsRequest] = []

    def compile(self, request: CompileRequest) -> CompileResult:
        return self.inner.compile(request)

    def index(self, request: IndexRequest) -> IndexResult:
        return self.inner.index(request)

    def macros(self, request: MacroRequest) -> MacroResult:
        return self.inner.macros(request)

    def system_documents(self, request: SystemDocsRequest) -> SystemDocsResult:
        self.calls.append(request)
        if self.fail:
            raise RuntimeError("the library is gone")
        return self.inner.system_documents(request)


@pytest.mark.parametrize("declare,fail", [(False, False), (True, True)],
                         ids=["undeclared", "failing"])
def test_without_a_library_nothing_changes(space: Space, declare: bool, fail: bool) -> None:
    adapter = Wrapped(declare=declare, fail=fail)
    api = space.app(compiler=adapter)
    assert _doc(api, STRING).status_code == 404
    assert _names(api, "docnames", "%SYS") == []
    assert _names(api, "docnames/CLS", filter="%SYSTEM.") == []
    assert _search(api, "ThrowOnError", "*.inc", sys="1") == []
    assert _rows(api, DEPLOYED, ["%Library.String"]) == []
    index = _ok(api.call("POST", api.url("action/index"), json=[STRING]))["result"]["content"]
    assert index[0]["db"] == "" and index[0]["status"]
    created = _put(api, "%Library.String.cls", ["Class %Library.String", "{", "}"])
    assert created.status_code == 201  # no library: an ordinary (%) workspace document
    if not declare:
        assert adapter.calls == []  # never asked what it did not declare


def test_the_listing_is_asked_once_per_adapter(space: Space) -> None:
    adapter = Wrapped()
    api = space.app(compiler=adapter)
    for _ in range(3):
        _names(api, "docnames", "%SYS")
        _ok(_doc(api, STRING))
        _search(api, "ThrowOnError", "*.inc", sys="1")
    _rows(api, DEPLOYED, ["%Library.String"])
    listings = [r for r in adapter.calls if not r.names]
    assert len(listings) == 1 and listings[0].text is False
    reads = [n for r in adapter.calls for n in r.names]
    assert reads.count(STRING) == 1  # its text is read once too
