"""Four smaller misses of the REST surface, each as IRIS or the VS Code extension has it:

- ``GET %SYS/metadata/{database}`` (GetMetaData, v1): the database's ``METADATA.zip``;
- ``GET doc/{name}?format=%RO`` (GetDoc, v2 formats): a routine in the legacy ``%RO`` form;
- ``action/index`` positions of routines (v4): ``X.mac:label+offset`` in, ``X.int:+offset``
  out, and ``X.int:label+offset`` in, ``X.mac:+offset+NS`` out (``viewOthers`` reads both);
- the ``/_vscode`` web application of ``%SYS``, where isfs folders keep their ``.vscode``
  files (``redirectDotvscodeRoot``: ``/.vscode/settings.json`` of namespace USER is the %SYS
  document ``/_vscode/USER/settings.json``).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope, summary
from samples import CLASS_TEXT, INCLUDE_TEXT, JS_TEXT, PNG_BYTES
from spaces import write_files

from atelier_api.app import create_app
from atelier_api.config import NamespaceConfig, Settings
from atelier_api.documents.declared import declared, present
from atelier_api.documents.layout import WebApp, default_webapps
from atelier_api.documents.names import parse_name
from atelier_api.sandbox.vscode_app import VSCODE_APP, with_vscode_app

from .conftest import Api, Box, doc_url, url

SYS = "%SYS"

# A routine whose .int differs from its .mac: preprocessor lines vanish, macros expand.
ROUTINE = """\
ROUTINE Shop
#include Defs
#define TAX 7
Shop ;
 set x=1
 write $$$TAX
 quit
 ; a comment
Total(a,b) ;
 #define LOCAL 2
 set s=a+b
 set t=s*$$$LOCAL
 quit t
Tail ;
 write "end"
 quit
"""
DEFS = "ROUTINE Defs [Type=INC]\n#define ONE 1\n"
RO_ROUTINE = ("^MAC^Save for Source Control^^~Format=IRIS.S~^UTF8\n%RO\nOld^MAC^^^0\n"
              "Old ;\n quit\n\n\n")
FILES: dict[str, str | bytes] = {
    "Pkg/A.cls": CLASS_TEXT,
    "R.mac": 'ROUTINE R\nR ;\n\n w "hi"\n quit\n',
    "Inc.inc": INCLUDE_TEXT,
    "Shop.mac": ROUTINE,
    "Defs.inc": DEFS,
    "legacy/Old.mac": RO_ROUTINE,
    "csp/user/x.js": JS_TEXT,
    "csp/user/logo.png": PNG_BYTES,
}


@pytest.fixture
def space(box: Box) -> Box:
    """The box's workspace with this module's documents added."""
    write_files(box.ws, FILES)
    return box


@pytest.fixture
def client(space: Box, make_api: Any) -> Any:
    made = make_api()
    yield made
    made.app.extensions["atelier"].close()


def _result(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.data[:300]
    return envelope(resp)["result"]


# -- 1. GetMetaData ---------------------------------------------------------------------------

def _archive(resp: Any) -> zipfile.ZipFile:
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/zip"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="METADATA.zip"'
    return zipfile.ZipFile(io.BytesIO(resp.data))


def _member(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name).decode("utf-8"))


def test_metadata_zip_holds_the_index_of_the_database_classes(client: Api) -> None:
    archive = _archive(client.get(url(SYS, "metadata/USER", v=1)))
    manifest = _member(archive, "METADATA.json")
    assert manifest["database"] == "USER" and manifest["api"] == 8
    assert manifest["classes"] == ["Pkg.A.cls"]
    assert sorted(archive.namelist()) == ["METADATA.json", "index/Pkg.A.cls.json"]
    [indexed] = _result(client.post(url("USER", "action/index"), json=["Pkg.A.cls"]))["content"]
    assert _member(archive, "index/Pkg.A.cls.json") == indexed
    assert indexed["content"]["desc"] == ["A test class."]


def test_metadata_follows_saved_classes_and_any_letter_case(client: Api) -> None:
    client.put_doc("Pkg.B.cls", ["Class Pkg.B Extends %RegisteredObject", "{", "}"], ignore=1)
    archive = _archive(client.get(url(SYS, "metadata/user")))
    assert _member(archive, "METADATA.json")["classes"] == ["Pkg.A.cls", "Pkg.B.cls"]
    assert _member(archive, "index/Pkg.B.cls.json")["content"]["super"] == [
        "%Library.RegisteredObject"]


def test_metadata_of_a_library_database_holds_its_system_classes(client: Api) -> None:
    archive = _archive(client.get(url(SYS, "metadata/ENSLIB")))
    manifest = _member(archive, "METADATA.json")
    assert manifest["database"] == "ENSLIB"
    assert manifest["classes"] and all(n.startswith("Ens") for n in manifest["classes"])
    entry = _member(archive, f"index/{manifest['classes'][0]}.json")
    assert entry["db"] == "ENSLIB" and entry["content"]["depl"] is True


def test_metadata_is_a_sys_endpoint_of_known_databases(client: Api) -> None:
    resp = client.get(url("USER", "metadata/USER"))
    assert resp.status_code == 404 and "only in %SYS" in summary(resp)
    resp = client.get(url(SYS, "metadata/NOPE"))
    assert resp.status_code == 404 and "Database 'NOPE' does not exist" in summary(resp)


# -- 2. GetDoc format=%RO ---------------------------------------------------------------------

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _ro_head(name: str, kind: str, ts: str) -> list[str]:
    """The three header lines a %RO export of a document of this ts starts with."""
    when = dt.datetime.fromisoformat(ts)
    hour = when.hour % 12 or 12
    date = (f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year} {hour}:{when.minute:02d} "
            f"{'AM' if when.hour < 12 else 'PM'}")
    days = (when.date() - dt.date(1840, 12, 31)).days
    seconds = when.hour * 3600 + when.minute * 60 + when.second
    millis = f".{when.microsecond // 1000:03d}".rstrip("0") if when.microsecond >= 1000 else ""
    return [f"IRIS for UNIX^{kind}^^~Format=IRIS.S~^UTF8", f"%RO on {date}",
            f"{name}^{kind}^^{days},{seconds}{millis}^0"]


def test_ro_format_of_a_routine(client: Api) -> None:
    doc = _result(client.get_doc("R.mac", query_string={"format": "%RO"}))
    assert doc["name"] == "R.mac" and doc["enc"] is False and doc["status"] == ""
    # the routine's lines without the ROUTINE header; the empty line inside becomes "."
    # (a blank line ends a routine in this format); an empty line ends the routine and one
    # more the export
    assert doc["content"] == [*_ro_head("R", "MAC", doc["ts"]), "R ;", ".", ' w "hi"',
                              " quit", "", ""]
    assert doc["ts"] == _result(client.get_doc("R.mac"))["ts"]


def test_ro_output_is_read_back_as_the_same_routine(client: Api) -> None:
    udl = _result(client.get_doc("Shop.mac"))["content"]
    ro = _result(client.get_doc("Shop.mac", query_string={"format": "%ro"}))["content"]
    assert declared("mac", ro).name == "Shop.mac" and declared("mac", ro).form == "ro"
    assert present(parse_name("Shop.mac"), ro[:-2]) == udl[:-1]  # udl ends with the final ""
    inc = _result(client.get_doc("Inc.inc", query_string={"format": "%RO"}))["content"]
    assert inc[0].startswith("IRIS for UNIX^INC^") and inc[2].startswith("Inc^INC^^")
    assert inc[3:] == ["#define X 1", "", ""]


def test_ro_of_a_file_kept_in_ro_form_is_its_own_text(client: Api) -> None:
    doc = _result(client.get_doc("Old.mac", query_string={"format": "%RO"}))
    assert doc["content"] == RO_ROUTINE.split("\n")
    assert _result(client.get_doc("Old.mac"))["content"][:2] == ["ROUTINE Old", "Old ;"]


def test_ro_of_a_system_routine(client: Api) -> None:
    doc = _result(client.get_doc("%occStatus.inc", query_string={"format": "%RO"}))
    assert doc["content"][:3] == _ro_head("%occStatus", "INC", doc["ts"])
    udl = _result(client.get_doc("%occStatus.inc"))["content"]
    assert doc["content"][3:-2] == [line or "." for line in udl[1:-1]]  # udl: final ""


def test_ro_is_a_routine_format_only(client: Api) -> None:
    for name in ("Pkg.A.cls", "/csp/user/x.js"):
        resp = client.get_doc(name, query_string={"format": "%RO"})
        assert resp.status_code == 400, name
        assert "format %RO is the routine export format" in summary(resp)
    # binary=1 answers base64 whatever the format asks
    doc = _result(client.get_doc("R.mac", query_string={"format": "%RO", "binary": "1"}))
    assert doc["enc"] is True
    assert base64.b64decode("".join(doc["content"])).startswith(b"ROUTINE R\n")


# -- 3. action/index positions of routines ---------------------------------------------------

def _index(client: Api, name: str, v: int = 8) -> dict[str, Any]:
    [entry] = _result(client.post(url("USER", "action/index", v), json=[name]))["content"]
    assert entry["status"] == "", entry
    return entry  # type: ignore[no-any-return]


def _compiled(client: Api) -> tuple[list[str], list[str]]:
    resp = client.post(url("USER", "action/compile"), json=["Shop.mac"],
                       query_string={"flags": "ck"})
    assert envelope(resp)["status"]["errors"] == []
    mac = _result(client.get_doc("Shop.mac"))["content"]
    int_ = _result(client.get_doc("Shop.int"))["content"]
    return mac, int_


def test_mac_label_positions_give_int_offsets(client: Api) -> None:
    mac, int_ = _compiled(client)
    for label, offset, text in (("Shop", 1, " set x=1"), ("Total", 2, " set s=a+b"),
                                ("Tail", 1, ' write "end"'), ("Shop", 0, "Shop ;")):
        [other] = _index(client, f"Shop.mac:{label}+{offset}", v=4)["others"]
        name, _, line = other.partition(":+")
        assert name == "Shop.int" and int_[int(line)] == text, (label, offset, other)
        assert mac[mac.index(text)] == text
    [other] = _index(client, "Shop.mac:Total")["others"]  # no offset: the label's line
    assert int_[int(other.partition(":+")[2])] == "Total(a,b) ;"
    # an expanded macro: the .int line of " write $$$TAX"
    [other] = _index(client, "Shop.mac:Shop+2")["others"]
    assert int_[int(other.partition(":+")[2])] == " write 7"


def test_int_positions_give_mac_offsets_with_the_namespace(client: Api) -> None:
    mac, int_ = _compiled(client)
    labels = {"Shop": "Shop ;", "Total": "Total(a,b) ;", "Tail": "Tail ;"}
    for label, offset, text, source in (
            ("Shop", 1, " set x=1", " set x=1"),
            ("Total", 2, " set t=s*2", " set t=s*$$$LOCAL"),  # #define lines are not in .int
            ("Tail", 2, " quit", " quit"), ("Total", 0, "Total(a,b) ;", "Total(a,b) ;")):
        assert int_[int_.index(labels[label]) + offset] == text
        [other] = _index(client, f"Shop.int:{label}+{offset}", v=4)["others"]
        match = re.fullmatch(r"Shop\.mac:\+(\d+)\+USER", other)
        assert match, other
        line = int(match.group(1))
        assert mac[line] == source and line >= mac.index(labels[label]), (label, offset, other)
        # and back: that .mac position names the .int line it came from
        [back] = _index(client, f"Shop.mac:+{line}")["others"]
        assert int_[int(back.partition(":+")[2])] == text


def test_every_int_line_finds_its_mac_line(client: Api) -> None:
    """A longer routine (preprocessor lines between code lines): each .int line maps to the
    .mac line it came from (the search over the .mac lines is exact, not by text)."""
    lines = ["ROUTINE Long", "Long ;"]
    for n in range(120):
        if n % 7 == 0:
            lines.append(f"#define M{n} {n}")
        lines.append(f" set v{n}={n}")
    client.put_doc("Long.mac", [*lines, " quit", ""], ignore=1)
    resp = client.post(url("USER", "action/compile"), json=["Long.mac"],
                       query_string={"flags": "ck"})
    assert envelope(resp)["status"]["errors"] == []
    int_ = _result(client.get_doc("Long.int"))["content"]
    for n in (0, 1, 7, 8, 63, 64, 118, 119):
        row = int_.index(f" set v{n}={n}")
        [other] = _index(client, f"Long.int:Long+{row - 1}")["others"]
        line = int(re.fullmatch(r"Long\.mac:\+(\d+)\+USER", other).group(1))  # type: ignore[union-attr]
        assert lines[line] == f" set v{n}={n}", (n, other)


def test_routine_positions_without_a_known_label_name_no_line(client: Api) -> None:
    _compiled(client)
    assert _index(client, "Shop.mac:Nowhere+1")["others"] == ["Shop.int"]
    assert _index(client, "Shop.int:Nowhere+1")["others"] == ["Shop.mac"]
    assert _index(client, "Shop.int")["others"] == ["Shop.mac"]  # no position asked
    assert _index(client, "Shop.mac:Shop+999")["others"] == ["Shop.int"]  # past the end


# -- 4. the /_vscode web application ---------------------------------------------------------

VSCODE_DOC = "/_vscode/USER/settings.json"


def _b64(data: bytes) -> list[str]:
    return [base64.b64encode(data).decode()]


def test_sys_offers_the_vscode_web_application(client: Api) -> None:
    assert "/_vscode" in _result(client.get(url(SYS, "cspapps/%25SYS")))["content"]
    assert "/_vscode" not in _result(client.get(url(SYS, "cspapps/USER")))["content"]
    detail = _result(client.get(url(SYS, "cspapps/%25SYS"), query_string={"detail": "1"}))
    assert {"name": "/_vscode", "default": False} in detail["content"]


def test_vscode_settings_round_trip_under_the_state_dir(client: Api, space: Box) -> None:
    before = sorted(p.relative_to(space.ws) for p in space.ws.rglob("*"))
    sys_doc = doc_url(VSCODE_DOC, SYS)
    # the extension reads first (404: no settings yet), then saves web files as base64
    missing = client.get(sys_doc, query_string={"binary": "1"})
    assert missing.status_code == 404
    text = b'{\n  "objectscript.multilineMethodArgs": true\n}\n'
    created = client.put(sys_doc, query_string={"ignoreConflict": "1"},
                         json={"enc": True, "content": _b64(text), "mtime": -1})
    saved = _result(created, 201)
    assert saved["name"] == VSCODE_DOC and saved["cat"] == "CSP" and saved["db"] == "IRISSYS"
    stored = space.state / "namespaces" / "SYS" / "_vscode" / "USER" / "settings.json"
    assert stored.read_bytes() == text
    assert sorted(p.relative_to(space.ws) for p in space.ws.rglob("*")) == before
    read = _result(client.get(sys_doc, query_string={"binary": "1"}))
    assert read["enc"] is True and base64.b64decode("".join(read["content"])) == text
    head = client.head(sys_doc)
    assert head.status_code == 200 and head.headers["ETag"] == f'"{saved["ts"]}"'
    # an update under compare-and-swap, as a client-side save sends it
    newer = b'{"objectscript.multilineMethodArgs": false}\n'
    updated = _result(client.put(sys_doc, headers={"IF-NONE-MATCH": saved["ts"]},
                                 query_string={"ignoreConflict": "0"},
                                 json={"enc": True, "content": _b64(newer)}))
    assert stored.read_bytes() == newer and updated["ts"]
    # another namespace's folder, and a subfolder
    snippets = doc_url("/_vscode/%25SYS/snippets/x.code-snippets", SYS)
    _result(client.put(snippets, query_string={"ignoreConflict": "1"},
                       json={"enc": False, "content": ["{}"]}), 201)
    listed = {e["name"] for e in _result(client.get(url(SYS, "docnames/CSP")))["content"]}
    assert {VSCODE_DOC, "/_vscode/%SYS/snippets/x.code-snippets"} <= listed
    deleted = _result(client.delete(sys_doc))
    assert deleted["ts"] == "" and not stored.exists()
    assert client.get(sys_doc).status_code == 404


def test_vscode_folders_are_listed_like_the_extension_lists_them(client: Api) -> None:
    client.put(doc_url(VSCODE_DOC, SYS), query_string={"ignoreConflict": "1"},
               json={"enc": True, "content": _b64(b"{}\n")})
    query = ("SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog"
             "(?,?,?,?,?,?,?,?,?,?)")

    def rows(spec: str) -> list[Any]:
        body = {"query": query, "parameters": [spec, "1", "1", "1", "0", "0", "0", "", "0",
                                               "1"]}
        return _result(client.post(url(SYS, "action/query"), json=body))["content"]  # type: ignore[no-any-return]

    assert {"Name": "USER", "Type": 10} in rows("/_vscode/*")
    assert {"Name": "settings.json", "Type": 5} in rows("/_vscode/USER/*")


def test_a_sys_folder_of_the_user_gets_no_vscode_app(tmp_path: Path) -> None:
    own = write_files(tmp_path / "sys", {"Z.mac": "ROUTINE Z\nZ ;\n quit\n"})
    user = write_files(tmp_path / "user", {"R.mac": "ROUTINE R\nR ;\n quit\n"})
    state = tmp_path / "state"
    state.mkdir()
    namespaces = (NamespaceConfig("USER", str(user), "default", "USER", default_webapps("USER")),
                  NamespaceConfig(SYS, str(own), "default", "IRISSYS", default_webapps(SYS)))
    app = create_app(Settings(state_dir=str(state), namespaces=namespaces))
    try:
        api = Api(app, app.test_client(use_cookies=False))
        api.login()
        assert _result(api.get(url(SYS, "cspapps/%25SYS")))["content"] == ["/csp/sys"]
        resp = api.put(doc_url(VSCODE_DOC, SYS), query_string={"ignoreConflict": "1"},
                       json={"enc": False, "content": ["{}"]})
        assert resp.status_code == 400  # no web application serves /_vscode there
        assert not (own / "_vscode").exists()
    finally:
        app.extensions["atelier"].close()


def test_which_sys_gets_the_vscode_app(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    inside = NamespaceConfig(SYS, f"{state}/namespaces/SYS", "default", "IRISSYS",
                             default_webapps(SYS))
    assert with_vscode_app(inside, state).webapps == (*default_webapps(SYS), VSCODE_APP)
    not_chosen = NamespaceConfig(SYS, "", "default", "IRISSYS", (), "empty")
    assert with_vscode_app(not_chosen, state).webapps == (VSCODE_APP,)
    clone = NamespaceConfig(SYS, "", "default", "IRISSYS", (), "git", "https://x/y.git")
    assert with_vscode_app(clone, state) == clone
    theirs = NamespaceConfig(SYS, str(tmp_path / "mine"), "default", "IRISSYS", ())
    assert with_vscode_app(theirs, state) == theirs
    named = NamespaceConfig(SYS, "", "default", "IRISSYS", (WebApp("/_VSCode", "elsewhere"),))
    assert with_vscode_app(named, state) == named
    user = NamespaceConfig("USER", f"{state}/demo/USER", "default", "USER", ())
    assert with_vscode_app(user, state) == user
