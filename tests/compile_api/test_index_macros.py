"""action/index (class summaries, others, v4 positions) and the macro endpoints."""

from __future__ import annotations

from typing import Any

from .conftest import Client, Faulty, Space, envelope, summary


def _index(api: Client, names: list[str], v: int = 8) -> list[dict[str, Any]]:
    resp = api.call("POST", api.url("action/index", v), json=names)
    assert resp.status_code == 200, resp.data
    env = envelope(resp)
    assert env["status"]["errors"] == []
    return env["result"]["content"]  # type: ignore[no-any-return]


def _method(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in entry["content"]["methods"] if m["name"] == name)


def test_class_summary_shape(api: Client) -> None:
    [entry] = _index(api, ["Pkg.Person.cls"])
    ts = envelope(api.get_doc("Pkg.Person.cls"))["result"]["ts"]
    assert {k: entry[k] for k in ("name", "db", "ts", "gen", "cat", "status", "others")} == {
        "name": "Pkg.Person.cls", "db": "USER", "ts": ts, "gen": False, "cat": "CLS",
        "status": "", "others": []}
    content = entry["content"]
    assert content["desc"] == ["A person.", "Stored in ^Pkg.PersonD."]
    assert content["super"] == ["%Library.Persistent"]
    assert {k: content[k] for k in ("depl", "depr", "final", "hidden")} == {
        "depl": False, "depr": False, "final": False, "hidden": False}
    assert _method(entry, "Greet") == {
        "name": "Greet", "desc": ["Greets someone.", "Twice if asked."], "depr": False,
        "final": True, "internal": False, "private": False, "scope": "class",
        "returntype": "%Library.String",
        "args": [{"name": "who", "type": "%Library.String"},
                 {"name": "times", "type": "%Library.Integer"}]}
    secret = _method(entry, "Secret")
    assert secret["private"] is True and secret["internal"] is True
    assert secret["scope"] == "instance" and secret["args"] == []
    assert _method(entry, "Old")["depr"] is True
    props = {p["name"]: p for p in content["properties"]}
    assert props["Name"]["desc"] == ["The name."] and props["Name"]["type"] == "%Library.String"
    assert props["Age"]["type"] == "%Library.Integer"
    [param] = content["parameters"]
    assert param["name"] == "VERSION" and param["default"] == "2"


def test_others_list_what_a_compile_generated(api: Client) -> None:
    before = _index(api, ["Pkg.Util.cls", "R.mac"])
    assert [e["others"] for e in before] == [[], []]
    api.compile(["Pkg.Util.cls", "R.mac"], "ck")
    util, mac, gen_int, int_ = _index(api, ["Pkg.Util.cls", "R.mac", "Pkg.Util.1.int",
                                            "R.int"])
    assert util["others"] == ["Pkg.Util.1.int"] and mac["others"] == ["R.int"]
    assert gen_int["gen"] is True and gen_int["others"] == ["Pkg.Util.cls"]
    assert int_["gen"] is True and int_["others"] == ["R.mac"]
    assert mac["content"] == {} and gen_int["content"] == {}


def test_v4_positions_reach_the_others(api: Client) -> None:
    api.compile(["Pkg.Util.cls"], "ck")
    [entry] = _index(api, ["Pkg.Util.cls:Two+1"], v=4)
    assert entry["name"] == "Pkg.Util.cls" and entry["status"] == ""
    [other] = entry["others"]
    assert other.startswith("Pkg.Util.1.int:+")
    line = int(other.rpartition("+")[2])
    int_lines = envelope(api.get_doc("Pkg.Util.1.int"))["result"]["content"]
    assert int_lines[line].strip() == "quit 2"


def test_positions_are_not_read_below_v4(api: Client) -> None:
    [entry] = _index(api, ["Pkg.Util.cls:Two+1"], v=3)
    assert entry["status"].startswith("ERROR #16006") and entry["db"] == ""


def test_missing_and_invalid_entries_keep_the_request_order(api: Client) -> None:
    entries = _index(api, ["Pkg.Nope.cls", "Pkg.Person.cls", "../bad.cls", "R.mac"])
    assert [e["name"] for e in entries] == ["Pkg.Nope.cls", "Pkg.Person.cls", "../bad.cls",
                                            "R.mac"]
    nope, person, bad, mac = entries
    assert nope["status"] == "ERROR #16005: Document 'Pkg.Nope.cls' does NOT exist"
    assert nope["db"] == "" and nope["content"] == {} and nope["others"] == []
    assert bad["status"].startswith("ERROR #16006") and bad["db"] == ""
    assert person["status"] == "" and mac["status"] == "" and mac["db"] == "USER"


def test_web_files_are_indexed_as_plain_documents(api: Client, space: Space) -> None:
    (space.ws / "csp" / "user" / "logo.png").write_bytes(bytes(range(256)))
    png, js = _index(api, ["/csp/user/logo.png", "csp/user/app.js"])
    assert png["status"] == "" and png["cat"] == "CSP" and png["content"] == {}
    assert js["name"] == "/csp/user/app.js" and js["db"] == "USER"


def test_index_bad_bodies(api: Client) -> None:
    url = api.url("action/index")
    assert api.call("POST", url, data="[]", content_type="text/plain").status_code == 415
    assert api.call("POST", url, json={"a": 1}).status_code == 400
    assert api.call("POST", url, json=[1]).status_code == 400
    assert api.call("POST", url, data="[", content_type="application/json").status_code == 400
    assert _index(api, []) == []


def test_index_adapter_faults_are_reported_not_raised(space: Space) -> None:
    for mode, words in (("raise", "failed in index: RuntimeError: boom"),
                        ("malformed", "returned a malformed index")):
        api = space.app(Faulty(mode))
        resp = api.call("POST", api.url("action/index"), json=["Pkg.Person.cls", "X.Y.cls"])
        assert resp.status_code == 200
        assert words in summary(resp)
        person, missing = envelope(resp)["result"]["content"]
        assert words in person["status"] and person["db"] == ""
        assert missing["status"].startswith("ERROR #16005")


def test_an_adapter_without_index_is_a_clear_501(space: Space) -> None:
    api = space.app(Faulty(capabilities=frozenset()))
    resp = api.call("POST", api.url("action/index"), json=["Pkg.Person.cls"])
    assert resp.status_code == 501
    assert "does not support action/index" in summary(resp)
    resp = api.call("POST", api.url("action/getmacrolist"), json={"docname": "R.mac"})
    assert resp.status_code == 501


# -- macros -------------------------------------------------------------------------------------

def _macro(api: Client, kind: str, body: Any, v: int = 8) -> Any:
    resp = api.call("POST", api.url(f"action/getmacro{kind}", v), json=body)
    assert resp.status_code == 200, resp.data
    env = envelope(resp)
    assert env["status"]["errors"] == []
    return env["result"]["content"]


def test_macro_definition_from_the_document_and_its_includes(api: Client) -> None:
    assert _macro(api, "definition", {"docname": "R.mac", "macroname": "LOCAL"}) == {
        "definition": ["#define LOCAL 7"]}
    assert _macro(api, "definition", {"docname": "R.mac", "macroname": "THREE"}) == {
        "definition": ["#define THREE 3"]}  # More.inc, included by Macros.inc
    assert _macro(api, "definition", {"docname": "Pkg.Util.cls", "macroname": "$$$ADD"}) == {
        "definition": ["#define ADD(%a,%b) (%a+%b)"]}
    assert _macro(api, "definition", {"docname": "R.mac", "macroname": "Nope"}) == {
        "definition": []}


def test_macro_location(api: Client) -> None:
    assert _macro(api, "location", {"docname": "R.mac", "macroname": "TWO"}) == {
        "document": "Macros.inc", "line": 3}
    assert _macro(api, "location", {"docname": "R.mac", "macroname": "LOCAL"}) == {
        "document": "R.mac", "line": 3}
    assert _macro(api, "location", {"docname": "Pkg.Util.cls", "macroname": "OK"}) == {
        "document": "%occStatus.inc", "line": 3}  # bundled system macros
    assert _macro(api, "location", {"docname": "R.mac", "macroname": "Nope"}) == {
        "document": "", "line": 0}


def test_macro_list(api: Client) -> None:
    assert _macro(api, "list", {"docname": "R.mac"}) == {
        "macros": ["ADD", "LOCAL", "THREE", "TWO"]}
    names = _macro(api, "list", {"docname": "Pkg.Util.cls"})["macros"]
    assert {"ADD", "THREE", "TWO", "OK", "ISERR", "ThrowOnError"} <= set(names)
    assert _macro(api, "list", {"docname": "New.mac", "includes": ["More"]}) == {
        "macros": ["THREE"]}  # a document not saved yet: the client's includes still count


def test_macro_endpoints_need_v2(api: Client) -> None:
    for kind in ("definition", "location", "list"):
        resp = api.call("POST", api.url(f"action/getmacro{kind}", 1),
                        json={"docname": "R.mac", "macroname": "TWO"})
        assert resp.status_code == 404
        assert _macro(api, kind, {"docname": "R.mac", "macroname": "TWO"}, v=2)


def test_macro_bad_bodies(api: Client) -> None:
    url = api.url("action/getmacrodefinition")
    cases = [[], {"macroname": "TWO"}, {"docname": 3, "macroname": "TWO"},
             {"docname": "R.mac"}, {"docname": "R.mac", "macroname": "TW O"},
             {"docname": "../x.mac", "macroname": "TWO"},
             {"docname": "R.mac", "macroname": "TWO", "includes": "More"},
             {"docname": "R.mac", "macroname": "TWO", "includes": [1]}]
    for body in cases:
        assert api.call("POST", url, json=body).status_code == 400, body
    assert api.call("POST", url, data="{}", content_type="text/plain").status_code == 415


def test_macro_adapter_faults_are_reported(space: Space) -> None:
    api = space.app(Faulty("raise"))
    resp = api.call("POST", api.url("action/getmacrolist"), json={"docname": "R.mac"})
    assert resp.status_code == 200
    assert "failed in macros: RuntimeError: boom" in summary(resp)
    assert envelope(resp)["result"] == {"content": {"macros": []}}
