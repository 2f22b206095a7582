"""GET/HEAD doc, POST docs: content, formats, ETag and If-None-Match."""

from __future__ import annotations

import base64

import pytest
from samples import CLASS_TEXT, JS_TEXT, PNG_BYTES, ROUTINE_TEXT

from .conftest import Api, Box, body, doc_url, error_text, url


def test_get_routine(api: Api) -> None:
    resp = api.get_doc("R.mac")
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["name"] == "R.mac"
    assert doc["cat"] == "RTN"
    assert doc["db"] == "USER"
    assert doc["enc"] is False
    assert doc["status"] == ""
    assert doc["content"] == ROUTINE_TEXT.split("\n")


def test_get_class(api: Api) -> None:
    doc = body(api.get_doc("Pkg.A.cls"))["result"]
    assert doc["cat"] == "CLS"
    assert doc["content"][1] == "Class Pkg.A Extends %Persistent"
    assert "\n".join(doc["content"]) == CLASS_TEXT


def test_upper_case_extension_reads_the_same_document(api: Api) -> None:
    doc = body(api.get_doc("Pkg.A.CLS"))["result"]
    assert doc["name"] == "Pkg.A.cls"


def test_missing_document_is_404_with_soft_status(api: Api) -> None:
    resp = api.get_doc("Nope.mac")
    assert resp.status_code == 404
    env = body(resp)
    assert env["result"]["name"] == "Nope.mac"
    assert env["result"]["ts"] == ""
    assert "#16005" in env["result"]["status"]
    assert "#16005" in env["status"]["summary"]


def test_head_doc_gives_etag_equal_to_ts(api: Api) -> None:
    ts = api.ts("R.mac")
    resp = api.head(doc_url("R.mac"))
    assert resp.status_code == 200
    assert resp.data == b""
    assert resp.headers["ETag"].strip('"') == ts


def test_get_etag_header_equals_result_ts(api: Api) -> None:
    resp = api.get_doc("Pkg.A.cls")
    assert resp.headers["ETag"].strip('"') == body(resp)["result"]["ts"]


def test_head_missing_doc_is_404(api: Api) -> None:
    resp = api.head(doc_url("Pkg.Missing.cls"))
    assert resp.status_code == 404
    assert resp.data == b""


def test_ts_format(api: Api) -> None:
    ts = api.ts("R.mac")
    assert len(ts) == 23 and ts[4] == "-" and ts[10] == " " and ts[19] == "."


@pytest.mark.parametrize("quote", ["", '"', 'W/"'])
def test_if_none_match_equal_is_304(api: Api, quote: str) -> None:
    ts = api.ts("R.mac")
    close = '"' if quote else ""
    resp = api.get_doc("R.mac", headers={"IF-NONE-MATCH": f"{quote}{ts}{close}"})
    assert resp.status_code == 304
    assert resp.data == b""


def test_if_none_match_other_is_200(api: Api) -> None:
    for value in ("2001-01-01 00:00:00.000", "garbage", "", "*x"):
        resp = api.get_doc("R.mac", headers={"If-None-Match": value})
        assert resp.status_code == 200, value
        assert body(resp)["result"]["content"]


def test_if_none_match_without_milliseconds(api: Api, box: Box) -> None:
    import os

    os.utime(box.ws / "R.mac", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    ts = api.ts("R.mac")
    assert ts.endswith(".000")
    resp = api.get_doc("R.mac", headers={"If-None-Match": ts[:-4]})
    assert resp.status_code == 304


def test_binary_read_of_text_doc(api: Api) -> None:
    doc = body(api.get_doc("R.mac", query_string={"binary": "1"}))["result"]
    assert doc["enc"] is True
    assert base64.b64decode("".join(doc["content"])) == ROUTINE_TEXT.encode()


def test_binary_web_file_is_base64(api: Api) -> None:
    doc = body(api.get_doc("/csp/user/logo.png", query_string={"binary": "1"}))["result"]
    assert doc["enc"] is True
    assert doc["cat"] == "CSP"
    assert base64.b64decode("".join(doc["content"])) == PNG_BYTES


def test_binary_web_file_without_binary_flag_is_still_base64(api: Api) -> None:
    doc = body(api.get_doc("csp/user/logo.png"))["result"]
    assert doc["enc"] is True
    assert base64.b64decode("".join(doc["content"])) == PNG_BYTES


@pytest.mark.parametrize("name", ["/csp/user/x.js", "csp/user/x.js", "//csp/user/x.js",
                                  "/CSP/USER/x.js"])
def test_web_file_name_forms_are_one_document(api: Api, name: str) -> None:
    resp = api.get(url("USER", "doc/") + name)
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["name"].lower() == "/csp/user/x.js"
    assert doc["content"] == JS_TEXT.split("\n")


def test_storage_only(api: Api) -> None:
    doc = body(api.get_doc("Pkg.A.cls", query_string={"storageOnly": "1"}))["result"]
    assert doc["flags"] == 1
    assert doc["content"][0] == "Storage Default"
    assert doc["content"][-1] == "}"
    assert not any(line.startswith(("Class", "Property", "Method")) for line in doc["content"])


def test_udl_multiline_one_argument_per_line(api: Api) -> None:
    doc = body(api.get_doc("Pkg.A.cls", query_string={"format": "udl-multiline"}))["result"]
    lines = doc["content"]
    start = lines.index("Method Hello(")
    assert lines[start + 1] == "\ta As %String,"
    assert lines[start + 2] == "\tb As %Integer = 1) As %String"


def test_udl_format_explicit(api: Api) -> None:
    doc = body(api.get_doc("Pkg.A.cls", query_string={"format": "udl"}))["result"]
    assert "\n".join(doc["content"]) == CLASS_TEXT


@pytest.mark.parametrize("fmt", ["%RO", "nonsense"])
def test_unsupported_format_is_clean_400(api: Api, fmt: str) -> None:
    resp = api.get_doc("Pkg.A.cls", query_string={"format": fmt})
    assert resp.status_code == 400
    assert "format" in error_text(resp).lower()


def test_unsupported_format_on_missing_doc_is_not_500(api: Api) -> None:
    assert api.get_doc("Nope.cls", query_string={"format": "xml"}).status_code in (400, 404)


def test_bad_flag_value_is_400(api: Api) -> None:
    resp = api.get_doc("R.mac", query_string={"binary": "maybe"})
    assert resp.status_code == 400
    assert "binary" in error_text(resp)


def test_post_docs_reads_many_with_soft_errors(api: Api) -> None:
    resp = api.post(url("USER", "docs"), json=["R.mac", "Nope.mac", "../x.mac", "Pkg.A.cls"])
    assert resp.status_code == 200
    content = body(resp)["result"]["content"]
    assert [d["name"] for d in content][:2] == ["R.mac", "Nope.mac"]
    assert content[0]["status"] == "" and content[0]["content"]
    assert "#16005" in content[1]["status"]
    assert content[2]["status"]
    assert content[3]["status"] == "" and content[3]["cat"] == "CLS"


def test_post_docs_empty_array(api: Api) -> None:
    resp = api.post(url("USER", "docs"), json=[])
    assert resp.status_code == 200
    assert body(resp)["result"]["content"] == []


def test_external_change_visible_on_next_get(api: Api, box: Box) -> None:
    ts = api.ts("R.mac")
    (box.ws / "R.mac").write_text("ROUTINE R\n quit 42\n")
    resp = api.get_doc("R.mac", headers={"If-None-Match": ts})
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["content"][1] == " quit 42"
    assert doc["ts"] > ts
