"""DocumentStore reads, saves and deletes: created flags, conflicts, soft errors, base64."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import parse_ts
from atelier_api.errors import BadRequest, Conflict, DocumentNotFound

from .conftest import CLASS_LINES, ROUTINE_LINES, MakeStore

ROOT = "root"


def _file(tmp_path: Path, rel: str) -> Path:
    return tmp_path / ROOT / rel


def test_put_creates_then_updates(store: DocumentStore, tmp_path: Path) -> None:
    """First save creates (201), the next one updates (200); get reads it back."""
    created = store.put("Pkg.A.cls", CLASS_LINES)
    assert created.created and created.doc.ts and created.doc.content == []
    assert _file(tmp_path, "Pkg/A.cls").read_bytes() == "\n".join(CLASS_LINES).encode()
    changed = CLASS_LINES[:-2] + ["Property Age As %Integer;", "}", ""]
    updated = store.put("Pkg.A.cls", changed, if_match=created.doc.ts)
    assert not updated.created
    assert parse_ts(updated.doc.ts) > parse_ts(created.doc.ts)  # type: ignore[operator]
    got = store.get("Pkg.A.cls")
    assert (got.name, got.cat, got.db, got.ts, got.content) == (
        "Pkg.A.cls", "CLS", "USER", updated.doc.ts, changed)


def test_get_missing_is_404_with_soft_error(store: DocumentStore) -> None:
    """A missing document raises DocumentNotFound carrying the document object."""
    with pytest.raises(DocumentNotFound) as info:
        store.get("Pkg.Missing.cls")
    assert info.value.http_status == 404
    assert info.value.result["status"].startswith("ERROR #16005")
    assert info.value.result["ts"] == "" and info.value.result["cat"] == "CLS"


def test_new_file_uses_configured_eol(make_store: MakeStore, tmp_path: Path) -> None:
    """Files created through the API get the configured line ending."""
    make_store(eol="\r\n").put("R.mac", ROUTINE_LINES)
    assert _file(tmp_path, "R.mac").read_bytes() == b'ROUTINE R\r\nR ;\r\n w "hi"\r\n quit\r\n'


def test_edit_keeps_crlf_and_bom(store: DocumentStore, tmp_path: Path) -> None:
    """Saving an edit to a CRLF file with a BOM keeps both."""
    path = _file(tmp_path, "R.mac")
    path.write_bytes(b"\xef\xbb\xbfROUTINE R\r\nR ;\r\n quit\r\n")
    doc = store.get("R.mac")
    assert doc.content == ["ROUTINE R", "R ;", " quit", ""]
    store.put("R.mac", ["ROUTINE R", "R ;", " w 1", " quit", ""], if_match=doc.ts)
    assert path.read_bytes() == b"\xef\xbb\xbfROUTINE R\r\nR ;\r\n w 1\r\n quit\r\n"


@pytest.mark.parametrize("if_match", [None, "2001-01-01 00:00:00.000", "garbage"])
def test_stale_or_missing_header_conflicts(
    store: DocumentStore, tmp_path: Path, if_match: str | None
) -> None:
    """A stale or absent If-None-Match is a 409 with the server copy; nothing is written."""
    first = store.put("R.mac", ROUTINE_LINES).doc
    before = _file(tmp_path, "R.mac").read_bytes()
    with pytest.raises(Conflict) as info:
        store.put("R.mac", ["ROUTINE R", " quit 2"], if_match=if_match)
    assert info.value.http_status == 409
    assert info.value.result["content"] == ROUTINE_LINES
    assert info.value.result["ts"] == first.ts
    assert _file(tmp_path, "R.mac").read_bytes() == before
    assert store.get("R.mac").ts == first.ts


@pytest.mark.parametrize("quote", ['{}', '"{}"', 'W/"{}"'])
def test_quoted_header_matches(store: DocumentStore, quote: str) -> None:
    """The ts comes back quoted (ETag style) or weak; it still matches."""
    first = store.put("R.mac", ROUTINE_LINES).doc
    outcome = store.put("R.mac", ["ROUTINE R", " quit 2"], if_match=quote.format(first.ts))
    assert not outcome.created and outcome.doc.ts != first.ts


def test_ignore_conflict_saves(store: DocumentStore) -> None:
    """ignoreConflict=1 saves whatever the header says."""
    store.put("R.mac", ROUTINE_LINES)
    outcome = store.put("R.mac", ["ROUTINE R", " quit 3"], if_match="stale",
                        ignore_conflict=True)
    assert not outcome.created
    assert store.get("R.mac").content == ["ROUTINE R", " quit 3"]


def test_identical_text_keeps_ts_and_writes_nothing(store: DocumentStore, tmp_path: Path) -> None:
    """Saving the same text, even with a stale header, is not a change and not a conflict."""
    first = store.put("R.mac", ROUTINE_LINES).doc
    st = os.stat(_file(tmp_path, "R.mac"))
    again = store.put("R.mac", list(ROUTINE_LINES), if_match="2001-01-01 00:00:00")
    assert (again.created, again.doc.ts) == (False, first.ts)
    after = os.stat(_file(tmp_path, "R.mac"))
    assert (after.st_ino, after.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)


def test_deleted_doc_with_stale_header_is_recreated(store: DocumentStore) -> None:
    """Deleted since the client read it: the stale header re-creates it (201), ts larger."""
    first = store.put("R.mac", ROUTINE_LINES).doc
    deleted = store.delete("R.mac")
    assert deleted.ts == "" and deleted.name == "R.mac"
    again = store.put("R.mac", ROUTINE_LINES, if_match=first.ts)
    assert again.created
    assert parse_ts(again.doc.ts) > parse_ts(first.ts)  # type: ignore[operator]


def test_delete_missing_and_twice(store: DocumentStore, tmp_path: Path) -> None:
    """Deleting removes the file and its emptied folders; a second delete is a 404."""
    store.put("Pkg.Sub.A.cls", ["Class Pkg.Sub.A", "{", "}"])
    store.delete("Pkg.Sub.A.cls")
    assert not (tmp_path / ROOT / "Pkg").exists()
    with pytest.raises(DocumentNotFound):
        store.delete("Pkg.Sub.A.cls")


def test_delete_many_reports_per_item(store: DocumentStore) -> None:
    """DELETE /docs: empty status and the db for deleted items, the error for others."""
    store.put("R.mac", ROUTINE_LINES)
    out = [o.to_dict() for o in store.delete_many(["R.mac", "Nope.mac", "../x.cls"])]
    assert out[0] == {"name": "R.mac", "db": "USER", "status": ""}
    assert out[1]["db"] == "" and "#16005" in out[1]["status"]
    assert "#16006" in out[2]["status"]


def test_get_many_reports_per_item(store: DocumentStore) -> None:
    """POST /docs: documents, and soft errors in status for the others."""
    store.put("R.mac", ROUTINE_LINES)
    docs = store.get_many(["R.mac", "Nope.mac"])
    assert docs[0].content == ROUTINE_LINES and docs[0].status == ""
    assert "#16005" in docs[1].status


@pytest.mark.parametrize(
    ("name", "lines", "code"),
    [("R.mac", ["just junk"], "#16021"), ("R.mac", ["ROUTINE Other"], "#5001"),
     ("R.int", ["ROUTINE R"], "#5001"), ("Pkg.A.cls", ["Class Pkg.B", "{", "}"], "#5001"),
     ("Pkg.A.cls", ["", " "], "#16022"), ("Pkg.A.cls", ["junk"], "#16021")],
)
def test_soft_errors_write_nothing(
    store: DocumentStore, tmp_path: Path, name: str, lines: list[str], code: str
) -> None:
    """Header problems come back in status with ts "", and the disk is untouched."""
    outcome = store.put(name, lines)
    assert code in outcome.doc.status and outcome.doc.ts == "" and not outcome.created
    assert outcome.console and code in outcome.console[0]
    assert list((tmp_path / ROOT).iterdir()) == []


def test_soft_error_keeps_existing_text(store: DocumentStore) -> None:
    """A junk save over an existing routine leaves it as it was."""
    first = store.put("R.mac", ROUTINE_LINES).doc
    store.put("R.mac", ["junk"], if_match=first.ts)
    assert store.get("R.mac").content == ROUTINE_LINES


def test_class_without_package_saved_as_user(store: DocumentStore, tmp_path: Path) -> None:
    """``Class Foo`` saves as User.Foo.cls."""
    assert store.put("User.Foo.cls", ["Class Foo", "{", "}"]).created
    assert _file(tmp_path, "User/Foo.cls").exists()


def test_base64_save_is_byte_exact(store: DocumentStore, tmp_path: Path) -> None:
    """enc=true content is decoded chunk by chunk and written as the exact bytes."""
    data = bytes(range(256)) * 200
    chunks = [base64.b64encode(data[i : i + 1000]).decode() for i in range(0, len(data), 1000)]
    assert store.put("/csp/user/img/logo.png", chunks, enc=True).created
    assert _file(tmp_path, "csp/user/img/logo.png").read_bytes() == data
    doc = store.get("/csp/user/img/logo.png")
    assert doc.enc and base64.b64decode("".join(doc.content)) == data


def test_base64_class_is_checked_like_text(store: DocumentStore, tmp_path: Path) -> None:
    """A class sent as base64 still needs a matching header."""
    good = base64.b64encode(b"Class Pkg.A\r\n{\r\n}\r\n").decode()
    bad = base64.b64encode(b"Class Pkg.B\n{\n}\n").decode()
    assert "#5001" in store.put("Pkg.A.cls", [bad], enc=True).doc.status
    assert store.put("Pkg.A.cls", [good], enc=True).created
    assert _file(tmp_path, "Pkg/A.cls").read_bytes() == b"Class Pkg.A\r\n{\r\n}\r\n"


def test_bad_base64_is_a_bad_request(store: DocumentStore, tmp_path: Path) -> None:
    """Invalid base64 is a 400 and writes nothing."""
    with pytest.raises(BadRequest):
        store.put("/csp/user/x.bin", ["***"], enc=True)
    assert list((tmp_path / ROOT).iterdir()) == []


def test_binary_and_text_reads(store: DocumentStore) -> None:
    """Text web files read as lines; binary=1 forces base64; unknown types are base64."""
    store.put("/csp/user/app.js", ["var a = 1;", ""])
    assert store.get("/csp/user/app.js").content == ["var a = 1;", ""]
    forced = store.get("/csp/user/app.js", binary=True)
    assert forced.enc and base64.b64decode("".join(forced.content)) == b"var a = 1;\n"


def test_storage_only_and_multiline(store: DocumentStore) -> None:
    """storageOnly gives the Storage section with flags 1; udl-multiline splits arguments."""
    lines = ["Class Pkg.A", "{", "Method M(a, b)", "{", "}", "Storage Default", "{",
             "<Type>x</Type>", "}", "}"]
    store.put("Pkg.A.cls", lines)
    storage = store.get("Pkg.A.cls", storage_only=True)
    assert storage.flags == 1 and storage.content == lines[5:9]
    multi = store.get("Pkg.A.cls", fmt="udl-multiline").content
    assert multi[2:5] == ["Method M(", "\ta,", "\tb)"]
    with pytest.raises(BadRequest):
        store.get("Pkg.A.cls", fmt="%RO")


def test_multiline_save_round_trip_changes_nothing(store: DocumentStore, tmp_path: Path) -> None:
    """Saving back the udl-multiline text of an unchanged class keeps the file and its ts."""
    lines = ["Class Pkg.A", "{", "Method M(a, b As %String) As %Status", "{", "}", "}", ""]
    first = store.put("Pkg.A.cls", lines).doc
    multi = store.get("Pkg.A.cls", fmt="udl-multiline")
    again = store.put("Pkg.A.cls", list(multi.content), if_match=multi.ts)
    assert again.doc.ts == first.ts
    assert _file(tmp_path, "Pkg/A.cls").read_text() == "\n".join(lines)


def test_name_in_the_way_of_a_folder(store: DocumentStore, tmp_path: Path) -> None:
    """A document whose path is a folder, or below a file, is a 400; nothing is replaced."""
    (tmp_path / ROOT / "csp/user/sub").mkdir(parents=True)
    (tmp_path / ROOT / "csp/user/a.js").write_text("x")
    for name in ("/csp/user/sub", "/csp/user/a.js/b.js", "/csp/user/a.js/c/d.js"):
        with pytest.raises(BadRequest):
            store.put(name, ["x"])
    assert (tmp_path / ROOT / "csp/user/sub").is_dir()
    assert (tmp_path / ROOT / "csp/user/a.js").read_text() == "x"
    assert sorted(p.name for p in (tmp_path / ROOT / "csp/user").iterdir()) == ["a.js", "sub"]
    with pytest.raises(DocumentNotFound):
        store.get("/csp/user/sub")
    with pytest.raises(DocumentNotFound):
        store.ts_of("/csp/user/sub")


def test_upd_flag(store: DocumentStore) -> None:
    """Compilable documents start not up to date; others count as up to date."""
    assert not store.put("R.mac", ROUTINE_LINES).doc.upd
    assert store.put("/csp/user/x.js", ["x"]).doc.upd
