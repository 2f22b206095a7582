"""The XML endpoints over HTTP: cvt/xml/doc, cvt/doc/xml, action/xml/export|list|load, GET doc
format=xml; hostile, malformed and huge inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CLASS_TEXT, FILES, Client, envelope, summary

NAMES = ["Pkg.A.cls", "R.mac", "Inc.inc", "/csp/user/x.js", "/csp/user/logo.png"]
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Export><Routine name="R" type="MAC">&lol3;</Routine></Export>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Export><Routine name="R" type="MAC">&xxe;</Routine></Export>"""
MALFORMED = "<Export><Routine name='R' type='MAC'>x</Export>"


def _xml_post(api: Client, text: str | bytes, ctype: str = "application/xml", v: int = 8):
    return api.call("POST", "cvt/xml/doc", v, data=text, content_type=ctype)


def _export(api: Client, names: list[str]) -> list[str]:
    return list(api.ok(api.post("action/xml/export", names))["content"])


def _docs(api: Client, names: list[str]) -> dict[str, object]:
    out = {}
    for name in names:
        result = api.ok(api.call("GET", f"doc/{name}"))
        out[name] = (result["content"], result["enc"])
    return out


# -- round trips -------------------------------------------------------------------------------
def test_export_then_load_over_the_same_documents_changes_nothing(api: Client) -> None:
    before = {rel: (api.ws / rel).read_bytes() for rel in FILES}
    ts = {n: api.ok(api.call("GET", f"doc/{n}"))["ts"] for n in NAMES}
    lines = _export(api, NAMES)
    loaded = api.ok(api.post("action/xml/load", [{"file": "e.xml", "content": lines}]))
    assert loaded["content"] == [{"file": "e.xml", "status": "", "imported": NAMES}]
    assert {rel: (api.ws / rel).read_bytes() for rel in FILES} == before
    assert {n: api.ok(api.call("GET", f"doc/{n}"))["ts"] for n in NAMES} == ts


def test_export_delete_load_gives_back_identical_documents(api: Client) -> None:
    original = _docs(api, NAMES)
    lines = _export(api, NAMES)
    api.ok(api.call("DELETE", "docs", json=NAMES))
    loaded = api.ok(api.post("action/xml/load", [{"file": "e.xml", "content": lines}]))
    assert loaded["content"][0]["imported"] == NAMES
    assert _docs(api, NAMES) == original
    assert (api.ws / "csp/user/logo.png").read_bytes() == FILES["csp/user/logo.png"]
    assert (api.ws / "Pkg/A.cls").read_bytes() == CLASS_TEXT.encode()


def test_demo_namespace_round_trips(make_client: Callable[..., Client], tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "atelier_api" / "demo" / "USER"
    ws = tmp_path / "demo"
    for path in demo.rglob("*"):
        if path.is_file():
            target = ws / path.relative_to(demo)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    api = make_client(ws)
    names = [d["name"] for d in api.ok(api.call("GET", "docnames"))["content"]]
    original = _docs(api, names)
    lines = _export(api, names)
    assert sum(line.startswith("<Class ") for line in lines) == 4
    assert not any("<UDL>" in line for line in lines), "demo classes use the structured form"
    api.ok(api.call("DELETE", "docs", json=names))
    api.ok(api.post("action/xml/load", [{"file": "demo.xml", "content": lines}]))
    assert _docs(api, names) == original


def test_cvt_doc_xml_and_back(api: Client) -> None:
    lines = api.ok(api.post("cvt/doc/xml", ["Pkg.A.cls", "R.mac"]))["content"]
    assert lines[0].startswith("<?xml") and lines[1].startswith("<Export generator=")
    back = api.ok(_xml_post(api, "\n".join(lines)))["content"]
    assert back == [{"name": "Pkg.A.cls", "content": CLASS_TEXT.split("\n")},
                    {"name": "R.mac", "content": FILES["R.mac"].decode().split("\n")}]


def test_cvt_doc_xml_accepts_content_objects(api: Client) -> None:
    text = ["ROUTINE New", "New ;", " quit"]
    lines = api.ok(api.post("cvt/doc/xml", [{"name": "New.mac", "content": text}]))["content"]
    assert any('<Routine name="New" type="MAC" languagemode="0">' in line for line in lines)
    assert api.ok(_xml_post(api, "\n".join(lines)))["content"] == [
        {"name": "New.mac", "content": text}]
    assert not (api.ws / "New.mac").exists(), "converting never writes"


def test_cvt_xml_doc_base64_web_file_and_skipped_elements(api: Client) -> None:
    lines = _export(api, ["/csp/user/logo.png"])
    text = "\n".join(lines).replace("</Export>", '<Project name="P"/></Export>')
    env = envelope(_xml_post(api, text, "text/xml"))
    assert env["result"]["content"][0]["enc"] is True
    assert env["console"] == ["Skipped <Project>: not a document type this server stores"]


def test_get_doc_format_xml(api: Client) -> None:
    result = api.ok(api.call("GET", "doc/Pkg.A.cls", query_string={"format": "xml"}))
    assert result["name"] == "Pkg.A.cls" and result["enc"] is False
    assert '<Class name="Pkg.A">' in result["content"]
    routine = api.ok(api.call("GET", "doc/R.mac", query_string={"format": "xml"}))
    assert any(line.startswith("<Routine name=\"R\"") for line in routine["content"])


# -- list and load -----------------------------------------------------------------------------
def test_list_reports_server_ts_or_minus_one(api: Client) -> None:
    lines = api.ok(api.post("cvt/doc/xml", ["Pkg.A.cls", {"name": "Gone.mac", "content": [
        "ROUTINE Gone", " quit"]}]))["content"]
    result = api.ok(api.post("action/xml/list", [{"file": "/x/a.xml", "content": lines}]))
    ts = api.ok(api.call("GET", "doc/Pkg.A.cls"))["ts"]
    assert result["content"] == [{"file": "/x/a.xml", "status": "", "documents": [
        {"name": "Pkg.A.cls", "ts": ts}, {"name": "Gone.mac", "ts": "-1"}]}]


def test_list_and_load_udl_files(api: Client) -> None:
    files = [{"file": "/src/B.cls", "content": ["Class Pkg.B", "{", "", "}", ""]},
             {"file": "/src/Q.mac", "content": ["ROUTINE Q", " quit"]},
             {"file": "/src/QI.inc", "content": ["ROUTINE QI [Type=INC]", "#define Y 2"]}]
    listed = api.ok(api.post("action/xml/list", files))["content"]
    assert [d["documents"] for d in listed] == [[{"name": "Pkg.B.cls", "ts": "-1"}],
                                                [{"name": "Q.mac", "ts": "-1"}],
                                                [{"name": "QI.inc", "ts": "-1"}]]
    loaded = api.ok(api.post("action/xml/load", files))["content"]
    assert [r["imported"] for r in loaded] == [["Pkg.B.cls"], ["Q.mac"], ["QI.inc"]]
    assert (api.ws / "Pkg/B.cls").read_text() == "Class Pkg.B\n{\n\n}\n"


def test_load_only_selected_and_does_not_compile(api: Client) -> None:
    lines = api.ok(api.post("cvt/doc/xml", [{"name": "S1.mac", "content": ["ROUTINE S1"]},
                                             {"name": "S2.mac", "content": ["ROUTINE S2"]}]))
    payload = [{"file": "s.xml", "content": lines["content"], "selected": ["S2.mac"]}]
    result = api.ok(api.post("action/xml/load", payload))["content"]
    assert result == [{"file": "s.xml", "status": "", "imported": ["S2.mac"]}]
    assert not (api.ws / "S1.mac").exists() and (api.ws / "S2.mac").exists()
    assert api.ok(api.call("GET", "doc/S2.mac"))["upd"] is False
    assert api.ok(api.call("GET", "docnames/RTN/int", query_string={"generated": 1}))[
        "content"] == []


def test_load_reports_per_file_errors(api: Client) -> None:
    bad_header = api.ok(api.post("cvt/doc/xml", [{"name": "Pkg.C.cls", "content": [
        "Class Pkg.Other", "{", "}"]}]))["content"]
    result = api.ok(api.post("action/xml/load", [
        {"file": "bad.xml", "content": bad_header},
        {"file": "broken.xml", "content": [MALFORMED]},
        {"file": "x.ro", "content": ["%RO"]}]))["content"]
    assert result[0]["imported"] == [] and "does not match" in result[0]["status"]
    assert "not well-formed" in result[1]["status"] and result[1]["imported"] == []
    assert "%RO" in result[2]["status"]
    assert not (api.ws / "Pkg/C.cls").exists()


# -- versions, bad input -------------------------------------------------------------------
@pytest.mark.parametrize("path", ["action/xml/export", "action/xml/list", "action/xml/load"])
def test_xml_actions_need_v7(api: Client, path: str) -> None:
    resp = api.post(path, [], v=6)
    assert resp.status_code == 404 and "API version 6" in summary(resp)
    assert api.post(path, [], v=7).status_code == 200


def test_cvt_endpoints_exist_from_v1(api: Client) -> None:
    assert api.post("cvt/doc/xml", ["R.mac"], v=1).status_code == 200
    assert _xml_post(api, "<Export/>", v=1).status_code == 200


@pytest.mark.parametrize(("text", "words"), [
    (BILLION_LAUGHS, "entity"), (XXE, "entity"), (MALFORMED, "not well-formed"),
    ("<Other/>", "not <Export>"), ("", "not well-formed"),
    ('<Export><Class><UDL/></Class></Export>', "without a 'name'"),
    ('<Export><Routine name="../x" type="MAC"/></Export>', "invalid document"),
    ('<Export><CSPBase64 name="/csp/user/a.png">@@@</CSPBase64></Export>', "base64")])
def test_cvt_xml_doc_rejects_bad_xml_with_clear_400(api: Client, text: str, words: str) -> None:
    resp = _xml_post(api, text)
    assert resp.status_code == 400
    assert words in summary(resp)


@pytest.mark.parametrize("path", ["action/xml/list", "action/xml/load"])
@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE])
def test_hostile_xml_files_are_refused_whole(api: Client, path: str, text: str) -> None:
    resp = api.post(path, [{"file": "evil.xml", "content": text.split("\n")}])
    assert resp.status_code == 400 and "entity" in summary(resp)
    assert (api.ws / "R.mac").read_bytes() == FILES["R.mac"]


def test_cvt_xml_doc_needs_xml_content_type(api: Client) -> None:
    resp = _xml_post(api, "<Export/>", "application/json")
    assert resp.status_code == 415 and "application/xml" in summary(resp)


@pytest.mark.parametrize(("path", "payload", "words"), [
    ("action/xml/export", {"a": 1}, "array"), ("action/xml/export", [1], "item 0"),
    ("action/xml/export", ["../x.cls"], "invalid"), ("action/xml/list", [{"file": 1}], "item 0"),
    ("action/xml/load", ["x"], "item 0"), ("cvt/doc/xml", [{"name": "R.mac"}], "item 0"),
    ("cvt/doc/xml", [7], "item 0")])
def test_bad_bodies_are_400(api: Client, path: str, payload: object, words: str) -> None:
    resp = api.post(path, payload)
    assert resp.status_code == 400 and words in summary(resp).lower()


def test_export_of_missing_document_is_404(api: Client) -> None:
    resp = api.post("action/xml/export", ["Nope.mac"])
    assert resp.status_code == 404 and "Nope.mac" in summary(resp)


def test_json_endpoints_need_json(api: Client) -> None:
    resp = api.call("POST", "action/xml/export", data="[]", content_type="text/plain")
    assert resp.status_code == 415


def test_huge_bodies_are_413(workspace: Path, make_client: Callable[..., Client]) -> None:
    api = make_client(workspace, max_body_bytes=4096)
    huge = "<Export>" + "x" * 10000 + "</Export>"
    assert _xml_post(api, huge).status_code == 413
    resp = api.post("action/xml/load", [{"file": "a.xml", "content": ["x" * 10000]}])
    assert resp.status_code == 413 and summary(resp)


# -- PutDoc with XML export content ----------------------------------------------------------
def _put(api: Client, name: str, content: list[str]):
    return api.call("PUT", f"doc/{name}", query_string={"ignoreConflict": "1"},
                    json={"enc": False, "content": content})


def test_put_doc_accepts_xml_export_content(api: Client) -> None:
    text = ["ROUTINE P", "P ;", " quit", ""]
    lines = api.ok(api.post("cvt/doc/xml", [{"name": "P.mac", "content": text}]))["content"]
    resp = _put(api, "P.mac", lines)
    assert resp.status_code == 201 and envelope(resp)["result"]["status"] == ""
    assert (api.ws / "P.mac").read_text() == "ROUTINE P\nP ;\n quit\n"
    exported = api.ok(api.post("cvt/doc/xml", ["Pkg.A.cls", "R.mac"]))["content"]
    assert _put(api, "Pkg.A.cls", exported).status_code == 200
    assert (api.ws / "Pkg/A.cls").read_text() == CLASS_TEXT


def test_put_doc_xml_naming_another_document_is_a_soft_error(api: Client) -> None:
    lines = api.ok(api.post("cvt/doc/xml", ["R.mac"]))["content"]
    env = envelope(_put(api, "Other.mac", lines))
    assert "Other" in env["result"]["status"] and not (api.ws / "Other.mac").exists()
    junk = envelope(_put(api, "J.mac", ["<?xml version='1.0'?>", "<Export><oops>"]))
    assert "#16021" in junk["result"]["status"]


def test_put_doc_hostile_xml_is_400(api: Client) -> None:
    resp = _put(api, "R.mac", BILLION_LAUGHS.split("\n"))
    assert resp.status_code == 400 and "entity" in summary(resp)
    assert (api.ws / "R.mac").read_bytes() == FILES["R.mac"]
