"""docnames, modified, namespace info, cspapps, jobs and cspdebugid."""

from __future__ import annotations

import pytest

from .conftest import Api, Box, body, doc_url, error_text, url

ALL = ["/csp/user/logo.png", "/csp/user/x.js", "Inc.inc", "Pkg.A.cls", "R.mac"]


def names(api: Api, rest: str, **query: str) -> list[str]:
    resp = api.get(url("USER", rest), query_string=query)
    assert resp.status_code == 200, resp.data
    entries = body(resp)["result"]["content"]
    for entry in entries:
        assert set(entry) >= {"name", "cat", "ts", "upd", "db", "gen"}
        assert entry["db"] == "USER"
    return [e["name"] for e in entries]


@pytest.mark.parametrize("rest,expected", [
    ("docnames", ALL),
    ("docnames/*", ALL),
    ("docnames/*/*", ALL),
    ("docnames/CLS", ["Pkg.A.cls"]),
    ("docnames/CLS/*", ["Pkg.A.cls"]),
    ("docnames/cls", ["Pkg.A.cls"]),
    ("docnames/RTN", ["Inc.inc", "R.mac"]),
    ("docnames/RTN/mac", ["R.mac"]),
    ("docnames/RTN/mac,inc", ["Inc.inc", "R.mac"]),
    ("docnames/RTN/INC", ["Inc.inc"]),
    ("docnames/CSP", ["/csp/user/logo.png", "/csp/user/x.js"]),
    ("docnames/CSP/js", ["/csp/user/x.js"]),
    ("docnames/CSP/js,png", ["/csp/user/logo.png", "/csp/user/x.js"]),
    ("docnames/*/cls,mac", ["Pkg.A.cls", "R.mac"]),
    ("docnames/OTH", []),
])
def test_docnames_by_category_and_type(ro_api: Api, rest: str, expected: list[str]) -> None:
    assert names(ro_api, rest) == expected


def test_docnames_categories(ro_api: Api) -> None:
    entries = body(ro_api.get(url("USER", "docnames")))["result"]["content"]
    cats = {e["name"]: e["cat"] for e in entries}
    assert cats == {"/csp/user/logo.png": "CSP", "/csp/user/x.js": "CSP", "Inc.inc": "RTN",
                    "Pkg.A.cls": "CLS", "R.mac": "RTN"}


@pytest.mark.parametrize("flt,expected", [
    ("Pkg.", ["Pkg.A.cls"]),
    ("pkg.", ["Pkg.A.cls"]),
    ("R.*", ["R.mac"]),
    ("zzz", []),
    ("", ALL),
])
def test_docnames_filter(ro_api: Api, flt: str, expected: list[str]) -> None:
    assert names(ro_api, "docnames", filter=flt) == expected


def test_docnames_generated_flag_accepted(api: Api) -> None:
    assert names(api, "docnames/*/cls,int,mac,inc", generated="0") == [
        "Inc.inc", "Pkg.A.cls", "R.mac"]
    assert "Pkg.A.cls" in names(api, "docnames/CLS/*", generated="1")


@pytest.mark.parametrize("rest", ["docnames/CLS/", "docnames/RTN/", "docnames/*/",
                                  "docnames/RTN/mac,", "docnames/RTN/,", "docnames/CLS/%20"])
def test_docnames_empty_type_is_400(ro_api: Api, rest: str) -> None:
    resp = ro_api.get(url("USER", rest))
    assert resp.status_code == 400
    error_text(resp)


@pytest.mark.parametrize("rest", ["docnames/XYZ", "docnames/RTN/cls", "docnames/CLS/mac",
                                  "docnames/RTN/exe"])
def test_docnames_bad_category_or_type_is_400(ro_api: Api, rest: str) -> None:
    resp = ro_api.get(url("USER", rest))
    assert resp.status_code == 400
    error_text(resp)


def test_docnames_sees_new_and_deleted_docs(api: Api) -> None:
    api.put_doc("N.mac", ["ROUTINE N", " quit"])
    assert "N.mac" in names(api, "docnames/RTN")
    api.delete(doc_url("N.mac"))
    assert "N.mac" not in names(api, "docnames/RTN")


def test_docnames_ignores_files_that_are_no_documents(api: Api, box: Box) -> None:
    (box.ws / "README.md").write_text("hi")
    (box.ws / "Pkg" / "notes.txt").write_text("hi")
    (box.ws / ".git").mkdir()
    (box.ws / ".git" / "X.cls").write_text("Class X.Y {}")
    assert names(api, "docnames") == ALL


# -- modified ------------------------------------------------------------------------------

def modified(api: Api, items: list[dict[str, str]], type_: str = "*") -> list[dict]:
    resp = api.post(url("USER", f"modified/{type_}"), json=items)
    assert resp.status_code == 200, resp.data
    return body(resp)["result"]["content"]  # type: ignore[no-any-return]


def test_modified_empty_list_returns_everything(api: Api) -> None:
    rows = modified(api, [])
    assert len(rows) == 1
    row = rows[0]
    assert row["dbname"] == "USER" and row["dbhash"] and row["crhash"]
    assert sorted(d["name"] for d in row["docs"]) == ALL
    assert all(d["ts"] for d in row["docs"])


def test_modified_since_a_hash_gives_only_changes(api: Api) -> None:
    first = modified(api, [])[0]
    since = [{"dbname": "USER", "dbhash": first["dbhash"]}]
    assert modified(api, since)[0]["docs"] == []
    ts = api.ts("R.mac")
    api.put_doc("R.mac", ["ROUTINE R", " quit 2"], ts=ts)
    api.put_doc("N.mac", ["ROUTINE N", " quit"])
    api.delete(doc_url("Inc.inc"))
    docs = {d["name"]: d for d in modified(api, since)[0]["docs"]}
    assert set(docs) == {"R.mac", "N.mac", "Inc.inc"}
    assert docs["Inc.inc"]["ts"] == ""
    assert docs["R.mac"]["ts"] == api.ts("R.mac")
    assert docs["N.mac"]["ts"] == api.ts("N.mac")


def test_modified_by_type(api: Api) -> None:
    assert [d["name"] for d in modified(api, [], "cls")[0]["docs"]] == ["Pkg.A.cls"]
    assert sorted(d["name"] for d in modified(api, [], "mac,inc")[0]["docs"]) == [
        "Inc.inc", "R.mac"]


def test_modified_unknown_db_gets_000(api: Api) -> None:
    rows = modified(api, [{"dbname": "GONE", "dbhash": "abc"}])
    gone = next(r for r in rows if r["dbname"] == "GONE")
    assert gone["dbhash"] == "000" and gone["crhash"] == "000" and gone["docs"] == []
    user = next(r for r in rows if r["dbname"] == "USER")
    assert len(user["docs"]) == len(ALL)


def test_modified_unknown_hash_returns_everything(api: Api) -> None:
    docs = modified(api, [{"dbname": "USER", "dbhash": "unknown"}])[0]["docs"]
    assert len(docs) == len(ALL)


def test_modified_empty_body_is_400(api: Api) -> None:
    resp = api.post(url("USER", "modified/*"), data=b"", content_type="application/json")
    assert resp.status_code == 400
    error_text(resp)


def test_modified_bad_type_is_400(api: Api) -> None:
    resp = api.post(url("USER", "modified/exe"), json=[])
    assert resp.status_code == 400
    error_text(resp)


# -- namespace, cspapps, jobs, cspdebugid ---------------------------------------------------

def test_namespace_info(api: Api) -> None:
    content = body(api.get(url("USER")))["result"]["content"]
    assert content["name"] == "USER"
    assert content["features"][0]["name"] == "ENSEMBLE"
    assert isinstance(content["features"][0]["enabled"], bool)
    assert content["db"][0]["name"] == "USER" and content["db"][0]["default"] is True


def test_cspapps_of_a_namespace(api: Api) -> None:
    assert body(api.get(url("%SYS", "cspapps/USER")))["result"]["content"] == ["/csp/user"]
    # %SYS of the server's own state folder also has /_vscode (isfs folders' .vscode files)
    assert body(api.get(url("%SYS", "cspapps/%25SYS")))["result"]["content"] == [
        "/csp/sys", "/_vscode"]


def test_cspapps_detail(api: Api) -> None:
    content = body(api.get(url("%SYS", "cspapps/USER"), query_string={"detail": "1"}))
    assert content["result"]["content"] == [{"name": "/csp/user", "default": True}]


def test_cspapps_of_all_namespaces(api: Api) -> None:
    assert sorted(body(api.get(url("%SYS", "cspapps")))["result"]["content"]) == [
        "/_vscode", "/csp/sys", "/csp/user"]
    detail = body(api.get(url("%SYS", "cspapps"), query_string={"detail": "1"}))
    assert {a["name"]: a["default"] for a in detail["result"]["content"]} == {
        "/_vscode": False, "/csp/sys": True, "/csp/user": True}


def test_cspapps_unknown_namespace_is_404(api: Api) -> None:
    resp = api.get(url("%SYS", "cspapps/NOPE"))
    assert resp.status_code == 404
    error_text(resp)


@pytest.mark.parametrize("rest", ["cspapps", "jobs", "cspdebugid"])
def test_sys_only_endpoints_outside_sys_are_404(ro_api: Api, rest: str) -> None:
    resp = ro_api.get(url("USER", rest))
    assert resp.status_code == 404
    error_text(resp)


@pytest.mark.parametrize("system", [None, "0", "1"])
def test_jobs_lists_running_work(api: Api, system: str | None) -> None:
    query = {"system": system} if system is not None else {}
    resp = api.get(url("%SYS", "jobs"), query_string=query)
    assert resp.status_code == 200
    rows = body(resp)["result"]["content"]
    assert isinstance(rows, list) and rows
    for row in rows:
        assert isinstance(row["pid"], int)
        assert isinstance(row["namespace"], str) and row["namespace"]
        assert isinstance(row["routine"], str) and row["routine"]
    assert len({row["pid"] for row in rows}) == len(rows)


def test_jobs_rows_do_not_outlive_their_request(api: Api) -> None:
    for _ in range(3):
        api.get(url("USER", "docnames"))
    first = body(api.get(url("%SYS", "jobs")))["result"]["content"]
    second = body(api.get(url("%SYS", "jobs")))["result"]["content"]
    assert len(first) == len(second)


def test_cspdebugid_is_a_number(api: Api) -> None:
    first = body(api.get(url("%SYS", "cspdebugid")))["result"]["content"]
    assert isinstance(first, int)
    assert body(api.get(url("%SYS", "cspdebugid")))["result"]["content"] == first
