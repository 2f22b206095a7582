"""DocumentStore and the disk: other programs' writes, hostile names, symlinks, case twins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import parse_ts
from atelier_api.errors import AtelierError, BadRequest, Conflict, InvalidName

from .conftest import ROUTINE_LINES, MakeStore

OLD_NS = 1_600_000_000 * 1_000_000_000  # 2020-09-13, well before any write in a test


def _ms(ts: str) -> int:
    value = parse_ts(ts)
    assert value is not None
    return value


def _rewrite(path: Path, data: bytes, *, mtime_ns: int | None = None) -> None:
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def _external_change_cases(store: DocumentStore, path: Path) -> list[str]:
    """ts of R.mac after an outside write, seen through get, list and ts_of in turn."""
    seen = [store.put("R.mac", ROUTINE_LINES).doc.ts]
    _rewrite(path, b"ROUTINE R\n quit 1\n")
    seen.append(store.get("R.mac").ts)
    _rewrite(path, b"ROUTINE R\n quit 22\n", mtime_ns=OLD_NS)
    seen.append(next(d.ts for d in store.list() if d.name == "R.mac"))
    _rewrite(path, b"ROUTINE R\n quit 33\n", mtime_ns=OLD_NS + 1)
    seen.append(store.ts_of("R.mac"))
    return seen


def test_outside_writes_are_seen_at_once(store: DocumentStore, tmp_path: Path) -> None:
    """Each outside write, even one setting an older mtime, gives a new and larger ts."""
    seen = _external_change_cases(store, tmp_path / "root" / "R.mac")
    assert all(_ms(b) > _ms(a) for a, b in zip(seen, seen[1:], strict=False)), seen
    assert store.get("R.mac").content == ["ROUTINE R", " quit 33", ""]


def test_outside_write_with_same_size_and_mtime(store: DocumentStore, tmp_path: Path) -> None:
    """An in-place rewrite in the same clock tick (same stat signature) is still a change."""
    path = tmp_path / "root" / "R.mac"
    first = store.put("R.mac", ROUTINE_LINES).doc.ts
    st = os.stat(path)
    with open(path, "r+b") as handle:
        handle.write(b"ROUTINE R\nX")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _ms(store.ts_of("R.mac")) > _ms(first)


def test_save_after_outside_write_conflicts(store: DocumentStore, tmp_path: Path) -> None:
    """A client holding the old ts cannot overwrite what another program wrote."""
    first = store.put("R.mac", ROUTINE_LINES).doc.ts
    _rewrite(tmp_path / "root" / "R.mac", b"ROUTINE R\n quit 9\n", mtime_ns=OLD_NS)
    with pytest.raises(Conflict) as info:
        store.put("R.mac", ["ROUTINE R", " quit 1"], if_match=first)
    assert info.value.result["content"] == ["ROUTINE R", " quit 9", ""]


def test_touch_keeps_ts(store: DocumentStore, tmp_path: Path) -> None:
    """A new mtime with the same bytes (checkout, touch) is not a change."""
    first = store.put("R.mac", ROUTINE_LINES).doc.ts
    path = tmp_path / "root" / "R.mac"
    os.utime(path, ns=(OLD_NS, OLD_NS))
    assert store.ts_of("R.mac") == first
    assert store.get("R.mac").ts == first


def test_ts_survives_a_restart(make_store: MakeStore, tmp_path: Path) -> None:
    """A new store on the same state keeps every ts, so clients' headers stay valid."""
    store = make_store()
    ts = store.put("R.mac", ROUTINE_LINES).doc.ts
    store.index.close()
    os.utime(tmp_path / "root" / "R.mac", ns=(OLD_NS, OLD_NS))
    again = make_store()
    assert again.ts_of("R.mac") == ts
    assert not again.put("R.mac", ["ROUTINE R", " quit 2"], if_match=ts).created


def test_case_twin_creation_rejected(store: DocumentStore, tmp_path: Path) -> None:
    """A document differing only in letter case from an existing file or folder is refused."""
    store.put("Pkg.A.cls", ["Class Pkg.A", "{", "}"])
    for name, lines in (("pkg.B.cls", ["Class pkg.B"]), ("PKG.A.cls", ["Class PKG.A"]),
                        ("/csp/user/X.js", ["x"])):
        if name.endswith(".js"):
            store.put("/csp/user/x.js", ["x"])
        with pytest.raises(BadRequest, match="letter case"):
            store.put(name, lines)
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["Pkg", "csp"]


HOSTILE = ["../x.cls", "..", "/csp/user/../../etc/passwd", "/etc/passwd", "/csp/other/x.js",
           "csp/user/../../../outside.js", "Pkg\\..\\..\\x.cls", "R\x00.mac", "/csp/user/\x00",
           "/csp/user/a/../../../x.js", "%2e%2e/x.js", "Pkg..A.cls", "csp.user.X.cls",
           "/csp/user/" + "x" * 300, "/csp/user/.git/config", ""]


def _tree(top: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(top)), p.stat().st_size if p.is_file() else -1)
                  for p in top.rglob("*"))


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: repr(n)[:30])
def test_hostile_names_never_touch_the_disk(make_store: MakeStore, tmp_path: Path,
                                            name: str) -> None:
    """Every operation with a hostile name is a 400 and changes nothing anywhere."""
    store = make_store(persist=False)
    (tmp_path / "root" / "csp" / "user").mkdir(parents=True)
    before = _tree(tmp_path)
    operations = [lambda: store.put(name, ["x"]), lambda: store.put(name, ["eA=="], enc=True),
                  lambda: store.get(name), lambda: store.delete(name), lambda: store.ts_of(name)]
    for operation in operations:
        with pytest.raises(InvalidName) as info:
            operation()
        assert info.value.http_status == 400
    assert _tree(tmp_path) == before


def test_symlink_escaping_the_root_is_rejected(store: DocumentStore, tmp_path: Path) -> None:
    """Links inside the root that point outside cannot be read, written or deleted."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mac").write_text("ROUTINE secret\n")
    (outside / "A.cls").write_text("Class Evil.A\n")
    (tmp_path / "root" / "Evil").symlink_to(outside, target_is_directory=True)
    (tmp_path / "root" / "secret.mac").symlink_to(outside / "secret.mac")
    for operation in (lambda: store.get("secret.mac"), lambda: store.get("Evil.A.cls"),
                      lambda: store.put("Evil.B.cls", ["Class Evil.B"]),
                      lambda: store.put("secret.mac", ["ROUTINE secret", " quit"],
                                        ignore_conflict=True),
                      lambda: store.delete("secret.mac")):
        with pytest.raises(InvalidName):
            operation()
    assert sorted(p.name for p in outside.iterdir()) == ["A.cls", "secret.mac"]
    assert (outside / "secret.mac").read_text() == "ROUTINE secret\n"
    assert "secret.mac" not in {d.name for d in store.list()}


def test_symlink_inside_the_root_is_no_second_name(store: DocumentStore,
                                                   tmp_path: Path) -> None:
    """A link that stays inside the root gives its target no second name (documents are
    named by their files' headers; a link is never a document file)."""
    store.put("Real.R.mac", ["ROUTINE Real.R", " quit"])
    (tmp_path / "root" / "Alias.mac").symlink_to(tmp_path / "root" / "Real.R.mac")
    with pytest.raises(InvalidName):
        store.get("Alias.mac")
    with pytest.raises(InvalidName):
        store.delete("Alias.mac")
    assert store.get("Real.R.mac").content == ["ROUTINE Real.R", " quit"]
    assert [d.name for d in store.list()] == ["Real.R.mac"]


def test_temp_files_are_not_documents(store: DocumentStore, tmp_path: Path) -> None:
    """Leftover temp files of an interrupted write are never listed."""
    (tmp_path / "root" / ".~atelier-abc.tmp").write_text("x")
    store.put("R.mac", ROUTINE_LINES)
    assert [d.name for d in store.list()] == ["R.mac"]


def test_errors_are_atelier_errors(store: DocumentStore) -> None:
    """Nothing the store raises for client input escapes the Atelier error tree."""
    for name in ("x", "/", "//", "Pkg.A.cls/", "/csp/user/.."):
        with pytest.raises(AtelierError):
            store.put(name, ["x"])
