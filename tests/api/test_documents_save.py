"""PUT/DELETE doc and DELETE docs: compare-and-swap saves, creation, soft errors, deletes."""

from __future__ import annotations

import base64

import pytest
from samples import CLASS_TEXT, JS_TEXT, ROUTINE_TEXT

from .conftest import Api, Box, body, doc_url, error_text, snapshot, url

R_LINES = ROUTINE_TEXT.split("\n")
R_CHANGED = ["ROUTINE R", "R ;", ' w "changed"', " quit", ""]


def test_put_without_if_none_match_on_existing_doc_is_409_with_server_copy(api: Api,
                                                                          box: Box) -> None:
    resp = api.put_doc("R.mac", R_CHANGED)
    assert resp.status_code == 409
    env = body(resp)
    assert env["status"]["summary"]
    assert env["result"]["name"] == "R.mac"
    assert env["result"]["content"] == R_LINES
    assert env["result"]["ts"] == api.ts("R.mac")
    assert (box.ws / "R.mac").read_text() == ROUTINE_TEXT


def test_put_with_stale_ts_is_409(api: Api, box: Box) -> None:
    resp = api.put_doc("R.mac", R_CHANGED, ts="2001-01-01 00:00:00.000")
    assert resp.status_code == 409
    assert body(resp)["result"]["content"] == R_LINES
    assert (box.ws / "R.mac").read_text() == ROUTINE_TEXT


def test_put_with_ignore_conflict_0_and_no_header_is_409(api: Api) -> None:
    assert api.put_doc("R.mac", R_CHANGED, ignore=0).status_code == 409


def test_put_with_current_ts_is_200_and_larger_ts(api: Api, box: Box) -> None:
    old = api.ts("R.mac")
    resp = api.put_doc("R.mac", R_CHANGED, ts=old, ignore=0)
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["ts"] > old
    assert doc["content"] == []
    assert doc["status"] == ""
    assert resp.headers["ETag"].strip('"') == doc["ts"]
    assert (box.ws / "R.mac").read_text() == "\n".join(R_CHANGED)
    assert api.ts("R.mac") == doc["ts"]


@pytest.mark.parametrize("quote", ['"', ""])
def test_put_accepts_quoted_and_unquoted_ts(api: Api, quote: str) -> None:
    ts = api.ts("R.mac")
    assert api.put_doc("R.mac", R_CHANGED, ts=f"{quote}{ts}{quote}").status_code == 200


def test_put_ignore_conflict_1(api: Api, box: Box) -> None:
    resp = api.put_doc("R.mac", R_CHANGED, ignore=1, ts="2001-01-01 00:00:00.000")
    assert resp.status_code == 200
    assert (box.ws / "R.mac").read_text() == "\n".join(R_CHANGED)


def test_put_new_is_201(api: Api, box: Box) -> None:
    resp = api.put_doc("Pkg.New.cls", ["Class Pkg.New Extends %RegisteredObject", "{", "}"],
                       ignore=1, extra={"mtime": -1})
    assert resp.status_code == 201
    doc = body(resp)["result"]
    assert doc["name"] == "Pkg.New.cls" and doc["ts"] and doc["content"] == []
    assert (box.ws / "Pkg/New.cls").read_text() == "Class Pkg.New Extends %RegisteredObject\n{\n}"
    assert api.ts("Pkg.New.cls") == doc["ts"]


def test_put_new_routine_without_any_header_fields(api: Api, box: Box) -> None:
    assert api.put_doc("Z.inc", ["ROUTINE Z [Type=INC]", "#define Y 2"]).status_code == 201
    assert (box.ws / "Z.inc").exists()


def test_identical_content_keeps_ts(api: Api) -> None:
    ts = api.ts("R.mac")
    resp = api.put_doc("R.mac", R_LINES, ts=ts)
    assert resp.status_code == 200
    assert body(resp)["result"]["ts"] == ts
    # even without a header: nothing changes, so nothing conflicts
    resp = api.put_doc("R.mac", R_LINES)
    assert resp.status_code == 200
    assert body(resp)["result"]["ts"] == ts


def test_timestamps_agree_across_endpoints(api: Api) -> None:
    put_ts = body(api.put_doc("R.mac", R_CHANGED, ignore=1))["result"]["ts"]
    get_ts = api.ts("R.mac")
    head_ts = api.head(doc_url("R.mac")).headers["ETag"].strip('"')
    names = body(api.get(url("USER", "docnames/RTN")))["result"]["content"]
    list_ts = next(d["ts"] for d in names if d["name"] == "R.mac")
    rows = body(api.post(url("USER", "modified/*"), json=[]))["result"]["content"]
    mod_ts = next(d["ts"] for d in rows[0]["docs"] if d["name"] == "R.mac")
    docs_ts = body(api.post(url("USER", "docs"), json=["R.mac"]))["result"]["content"][0]["ts"]
    assert put_ts == get_ts == head_ts == list_ts == mod_ts == docs_ts


def test_successive_saves_strictly_increase_ts(api: Api) -> None:
    seen = [api.ts("R.mac")]
    for i in range(5):
        resp = api.put_doc("R.mac", ["ROUTINE R", f" quit {i}"], ts=seen[-1])
        assert resp.status_code == 200
        seen.append(body(resp)["result"]["ts"])
    assert seen == sorted(set(seen))


def test_deleted_doc_with_stale_header_is_created(api: Api) -> None:
    ts = api.ts("R.mac")
    assert api.delete(doc_url("R.mac")).status_code == 200
    resp = api.put_doc("R.mac", R_CHANGED, ts=ts, ignore=0)
    assert resp.status_code == 201
    assert body(resp)["result"]["ts"] > ts


def test_base64_save_and_binary_read(api: Api, box: Box) -> None:
    data = bytes(range(256)) * 300  # > one chunk
    chunk = 24573
    chunks = [base64.b64encode(data[i:i + chunk]).decode() for i in range(0, len(data), chunk)]
    resp = api.put_doc("/csp/user/blob.bin", chunks, enc=True, ignore=1)
    assert resp.status_code == 201
    assert (box.ws / "csp/user/blob.bin").read_bytes() == data
    doc = body(api.get_doc("/csp/user/blob.bin", query_string={"binary": "1"}))["result"]
    assert doc["enc"] is True
    assert b"".join(base64.b64decode(c) for c in doc["content"]) == data
    assert all("=" not in c for c in doc["content"][:-1])


def test_base64_save_of_a_routine(api: Api, box: Box) -> None:
    text = "ROUTINE B64\n quit\n"
    resp = api.put_doc("B64.mac", [base64.b64encode(text.encode()).decode()], enc=True)
    assert resp.status_code == 201
    assert (box.ws / "B64.mac").read_text() == text


def test_invalid_base64_is_400_and_nothing_written(api: Api, box: Box) -> None:
    before = snapshot(box.root)
    resp = api.put_doc("/csp/user/bad.bin", ["***not base64***"], enc=True)
    assert resp.status_code == 400
    error_text(resp)
    assert snapshot(box.root) == before


@pytest.mark.parametrize("form", ["doc//csp/user/x.js", "doc/csp/user/x.js"])
def test_web_file_paths_are_the_same_document(api: Api, box: Box, form: str) -> None:
    ts = body(api.get(url("USER", "doc/csp/user/x.js")))["result"]["ts"]
    resp = api.put(url("USER", form), headers={"IF-NONE-MATCH": ts},
                   json={"enc": False, "content": ["var x = 2;", ""]})
    assert resp.status_code == 200
    assert (box.ws / "csp/user/x.js").read_text() == "var x = 2;\n"
    other = "doc/csp/user/x.js" if form.startswith("doc//") else "doc//csp/user/x.js"
    doc = body(api.get(url("USER", other)))["result"]
    assert doc["content"] == ["var x = 2;", ""]
    assert doc["ts"] == body(resp)["result"]["ts"]


def test_web_file_created_with_empty_line_content(api: Api, box: Box) -> None:
    resp = api.put_doc("/csp/user/empty.css", [""], ignore=1)
    assert resp.status_code == 201
    assert (box.ws / "csp/user/empty.css").read_bytes() == b""


@pytest.mark.parametrize("name,content", [
    ("R.mac", ["ROUTINE Other", " quit"]),
    ("R.mac", ["ROUTINE R [Type=INC]", " quit"]),
    ("Inc.inc", ["ROUTINE Inc", "#define X 2"]),
    ("New.mac", ["ROUTINE Wrong", " quit"]),
    ("Pkg.A.cls", ["Class Pkg.B Extends %RegisteredObject", "{", "}"]),
    ("Pkg.New.cls", ["Class Other.New", "{", "}"]),
    ("Pkg.New.cls", ["just some text"]),
    ("New.mac", ["no header here"]),
])
def test_header_mismatch_is_soft_error_and_nothing_written(
        api: Api, box: Box, name: str, content: list[str]) -> None:
    before = snapshot(box.root)
    resp = api.put_doc(name, content, ignore=1)
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["status"].startswith("ERROR #")
    assert doc["ts"] == ""
    assert snapshot(box.root) == before


def test_class_without_package_means_user_package(api: Api, box: Box) -> None:
    assert api.put_doc("User.Foo.cls", ["Class Foo", "{", "}"]).status_code == 201
    assert (box.ws / "User/Foo.cls").exists()


@pytest.mark.parametrize("content", [[], [""], ["", "  ", ""]])
def test_empty_content_is_16022(api: Api, box: Box, content: list[str]) -> None:
    before = snapshot(box.root)
    resp = api.put_doc("R.mac", content, ignore=1)
    assert resp.status_code == 200
    assert "#16022" in body(resp)["result"]["status"]
    assert snapshot(box.root) == before


def test_udl_multiline_round_trip_keeps_bytes(api: Api, box: Box) -> None:
    before = (box.ws / "Pkg/A.cls").read_bytes()
    resp = api.get_doc("Pkg.A.cls", query_string={"format": "udl-multiline"})
    doc = body(resp)["result"]
    assert len(doc["content"]) > len(CLASS_TEXT.split("\n"))
    resp = api.put_doc("Pkg.A.cls", doc["content"], ts=doc["ts"], ignore=0)
    assert resp.status_code == 200
    assert body(resp)["result"]["ts"] == doc["ts"]
    assert (box.ws / "Pkg/A.cls").read_bytes() == before


def test_crlf_file_keeps_its_line_endings(api: Api, box: Box) -> None:
    (box.ws / "W.mac").write_bytes(b"ROUTINE W\r\n quit\r\n")
    ts = api.ts("W.mac")
    assert api.put_doc("W.mac", ["ROUTINE W", " quit 1", ""], ts=ts).status_code == 200
    assert (box.ws / "W.mac").read_bytes() == b"ROUTINE W\r\n quit 1\r\n"


def test_put_result_for_class_is_an_array(api: Api) -> None:
    ts = api.ts("Pkg.A.cls")
    lines = CLASS_TEXT.replace("Property Name", "Property Title").split("\n")
    doc = body(api.put_doc("Pkg.A.cls", lines, ts=ts))["result"]
    assert isinstance(doc["content"], list)


def test_unknown_body_keys_are_ignored(api: Api) -> None:
    resp = api.put_doc("M.mac", ["ROUTINE M", " quit"], extra={"mtime": -1, "whatever": [1]})
    assert resp.status_code == 201


# -- deletes -------------------------------------------------------------------------------

def test_delete_doc(api: Api, box: Box) -> None:
    resp = api.delete(doc_url("R.mac"))
    assert resp.status_code == 200
    doc = body(resp)["result"]
    assert doc["name"] == "R.mac" and doc["ts"] == "" and doc["status"] == ""
    assert not (box.ws / "R.mac").exists()
    assert api.get_doc("R.mac").status_code == 404
    assert api.delete(doc_url("R.mac")).status_code == 404


def test_delete_class_prunes_empty_package_folder(api: Api, box: Box) -> None:
    assert api.delete(doc_url("Pkg.A.cls")).status_code == 200
    assert not (box.ws / "Pkg").exists()
    assert box.ws.exists()


def test_delete_web_file_by_both_name_forms(api: Api, box: Box) -> None:
    assert api.delete(url("USER", "doc//csp/user/x.js")).status_code == 200
    assert not (box.ws / "csp/user/x.js").exists()
    assert api.delete(url("USER", "doc/csp/user/logo.png")).status_code == 200
    assert not (box.ws / "csp/user/logo.png").exists()


def test_delete_docs_per_item_status(api: Api, box: Box) -> None:
    resp = api.delete(url("USER", "docs"),
                      json=["R.mac", "Nope.mac", "/csp/user/x.js", "../evil.mac"])
    assert resp.status_code == 200
    result = body(resp)["result"]
    assert isinstance(result, list)
    assert [r["name"] for r in result][:3] == ["R.mac", "Nope.mac", "/csp/user/x.js"]
    assert result[0]["status"] == "" and result[0]["db"] == "USER"
    assert result[1]["status"] and result[1]["db"] == ""
    assert result[2]["status"] == ""
    assert result[3]["status"]
    assert not (box.ws / "R.mac").exists()
    assert not (box.ws / "csp/user/x.js").exists()
    assert (box.ws / "Inc.inc").exists()


def test_delete_docs_empty_array(api: Api) -> None:
    resp = api.delete(url("USER", "docs"), json=[])
    assert resp.status_code == 200
    assert body(resp)["result"] == []


def test_js_text_unchanged_by_reads(api: Api, box: Box) -> None:
    for _ in range(3):
        api.get_doc("/csp/user/x.js")
        api.head(doc_url("/csp/user/x.js"))
    assert (box.ws / "csp/user/x.js").read_text() == JS_TEXT


@pytest.mark.parametrize("name,rel,content", [
    ("Pkg.Ñandú.cls", "Pkg/Ñandú.cls", ["Class Pkg.Ñandú", "{", "}"]),
    ("Ünï.mac", "Ünï.mac", ["ROUTINE Ünï", " quit"]),
    ("/csp/user/my file ü.js", "csp/user/my file ü.js", ["var ü = 1;"]),
])
def test_non_ascii_and_spaces_in_names(api: Api, box: Box, name: str, rel: str,
                                       content: list[str]) -> None:
    from urllib.parse import quote

    path = url("USER", "doc/") + quote(name, safe="/%")
    resp = api.put(path, json={"enc": False, "content": content})
    assert resp.status_code == 201, resp.data
    assert (box.ws / rel).read_text() == "\n".join(content)
    doc = body(api.get(path))["result"]
    assert doc["name"] == name and doc["content"] == content
    names = [d["name"] for d in body(api.get(url("USER", "docnames")))["result"]["content"]]
    assert name in names
