"""What a compile reads: ``text_of`` agrees with GET, serves only settled versions from its
cache, and sees every change; ``exists``; the durable write keeps modes and leaves no temp."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from atelier_api.compile.state import Changes, CompiledCatalog
from atelier_api.documents.fsutil import atomic_write
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.texts import SourceText, TextCache, text_digest
from atelier_api.documents.tsindex import TsIndex, parse_ts, signature

from .conftest import CLASS_LINES

DAY_NS = 86_400 * 10**9


def _settle(path: Path) -> None:
    """Date a file yesterday: its signature then proves its content (no longer racy)."""
    stamp = path.stat().st_mtime_ns - DAY_NS
    os.utime(path, ns=(stamp, stamp))


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file the store reads from now on."""
    seen: list[str] = []
    real = DocumentStore._read

    def counting(path: str) -> object:
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(DocumentStore, "_read", staticmethod(counting))
    return seen


@pytest.fixture
def placed(store: DocumentStore, tmp_path: Path) -> Path:
    """Pkg.A.cls written by another program a day ago."""
    path = tmp_path / "root" / "Pkg" / "A.cls"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(CLASS_LINES))
    _settle(path)
    return path


def test_text_of_is_what_get_returns(store: DocumentStore, placed: Path) -> None:
    got = store.get("Pkg.A.cls")
    text = store.text_of("Pkg.A.cls")
    assert text is not None
    assert list(text.lines) == got.content and text.ts == parse_ts(got.ts)
    assert text.sha == text_digest(text.lines)


def test_a_settled_file_is_read_once(store: DocumentStore, placed: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = store.text_of("Pkg.A.cls")
    reads = _reads(monkeypatch)
    assert store.text_of("Pkg.A.cls") == first
    assert reads == []


def test_a_change_on_disk_is_always_seen(store: DocumentStore, placed: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = store.text_of("Pkg.A.cls")
    reads = _reads(monkeypatch)
    placed.write_text("\n".join(CLASS_LINES).replace("Name", "Nome"))  # same size
    after = store.text_of("Pkg.A.cls")
    assert before is not None and after is not None
    assert reads == ["A.cls"] and "Property Nome As %String;" in after.lines
    assert after.ts > before.ts


def test_a_racy_version_is_read_every_time(store: DocumentStore, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Just written: its signature cannot prove the content yet, so it is never cached."""
    store.put("Pkg.B.cls", [line.replace("Pkg.A", "Pkg.B") for line in CLASS_LINES])
    reads = _reads(monkeypatch)
    for _ in range(3):
        assert store.text_of("Pkg.B.cls") is not None
    assert reads == ["B.cls"] * 3
    assert len(store.texts) == 0


def test_own_saves_replace_what_a_compile_reads(store: DocumentStore, placed: Path) -> None:
    old = store.text_of("Pkg.A.cls")
    assert old is not None
    saved = store.put("Pkg.A.cls", [*CLASS_LINES[:-1], "// more", ""],
                      if_match=store.get("Pkg.A.cls").ts)
    new = store.text_of("Pkg.A.cls")
    assert new is not None and new.lines[-2] == "// more"
    assert new.ts == parse_ts(saved.doc.ts) and new.ts > old.ts


def test_missing_and_generated_documents(store: DocumentStore, placed: Path,
                                         tmp_path: Path) -> None:
    assert store.text_of("Pkg.Missing.cls") is None
    assert store.text_of("%Library.Persistent.cls") is None
    catalog = CompiledCatalog(str(tmp_path / "state" / "compiled.sqlite"))
    store.compiled = catalog
    catalog.bind(lambda name: name == "Pkg.A.cls")
    catalog.apply(Changes(generated={"Pkg.A.cls": [("Pkg.A.1.int", ("ROUTINE Pkg.A.1", ""))]}))
    text = store.text_of("Pkg.A.1.int")
    assert text is not None and text.lines == ("ROUTINE Pkg.A.1", "")
    catalog.close()


def test_exists(store: DocumentStore, placed: Path, tmp_path: Path) -> None:
    assert store.exists(store.locate("Pkg.A.cls"))
    assert not store.exists(store.locate("Pkg.Missing.cls"))
    (tmp_path / "root" / "Pkg" / "Dir.cls").mkdir()
    assert not store.exists(store.locate("Pkg.Dir.cls"))  # a folder is no document


def test_the_cache_is_bounded_by_bytes() -> None:
    cache = TextCache(max_bytes=800)
    sig = (1, 2, 3)
    for n in range(10):
        cache.put(f"f{n}", sig, SourceText(("x",), n, b""), 100)
    assert len(cache) == 8 and cache.get("f0", sig, 0) is None
    assert cache.get("f9", sig, 9) is not None
    cache.put("huge", sig, SourceText(("x",), 1, b""), 500)  # more than an eighth: not kept
    assert cache.get("huge", sig, 1) is None
    assert cache.get("f9", (1, 2, 4), 9) is None and cache.get("f9", sig, 8) is None


def test_settled_only_for_known_old_signatures(tmp_path: Path) -> None:
    index = TsIndex(None)
    path = tmp_path / "A.cls"
    path.write_text("x")
    fresh = path.stat()
    index.record_write("A.cls", fresh, b"x", None)
    assert index.settled("A.cls", signature(fresh)) is None  # racy: just written
    _settle(path)
    old = path.stat()
    assert index.settled("A.cls", signature(old)) is None  # not this version yet
    ts = index.ts_of("A.cls", old, lambda: b"x")
    assert index.settled("A.cls", signature(old)) == ts
    assert index.settled("B.cls", signature(old)) is None


def test_saves_keep_the_file_mode(store: DocumentStore, placed: Path) -> None:
    placed.chmod(0o640)
    store.put("Pkg.A.cls", [*CLASS_LINES[:-1], "// x", ""], ignore_conflict=True)
    assert stat.S_IMODE(placed.stat().st_mode) == 0o640
    assert sorted(os.listdir(placed.parent)) == ["A.cls"]


def test_durable_write_modes_beyond_the_umask(tmp_path: Path) -> None:
    """A mode the umask would strip is set explicitly; a new folder is created."""
    target = tmp_path / "New" / "Deeper" / "X.mac"
    old = os.umask(0o077)
    try:
        atomic_write(str(target), b"ROUTINE X\n", 0o664)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"ROUTINE X\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert os.listdir(target.parent) == ["X.mac"]


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "Y.mac"
    target.write_bytes(b"old")

    def broken(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        atomic_write(str(target), b"new")
    assert os.listdir(tmp_path) == ["Y.mac"] and target.read_bytes() == b"old"


def test_the_text_store_proves_only_versions_read_after_their_tick(
        store: DocumentStore, placed: Path, tmp_path: Path) -> None:
    """``read`` (the corpus's reader) gives a signature only when it proves the text, and
    ``is_current`` holds while the file keeps it; links and folders are no document files."""
    read = store.texts.read(str(placed), "Pkg/A.cls")
    assert read is not None and list(read.lines) == CLASS_LINES
    assert read.sig == signature(placed.stat())
    assert store.texts.is_current(str(placed), read.sig)
    fresh = tmp_path / "root" / "Pkg" / "B.cls"
    fresh.write_text("Class Pkg.B\n{\n}\n")
    racy = store.texts.read(str(fresh), "Pkg/B.cls")
    assert racy is not None and racy.sig is None
    assert not store.texts.is_current(str(fresh), racy.sig)
    placed.write_text("\n".join(CLASS_LINES).replace("Name", "Nome"))  # same size
    assert not store.texts.is_current(str(placed), read.sig)
    link = tmp_path / "root" / "Pkg" / "L.cls"
    link.symlink_to(placed)
    assert store.texts.read(str(link), "Pkg/L.cls") is None
    assert store.texts.read(str(tmp_path / "root" / "Pkg"), "Pkg") is None
    assert store.texts.read(str(tmp_path / "root" / "Gone.cls"), "Gone.cls") is None


def test_peeking_leaves_the_compile_order_alone() -> None:
    cache = TextCache(max_bytes=800)
    sig = (1, 2, 3)
    for n in range(8):
        cache.put(f"f{n}", sig, SourceText(("x",), n, b""), 100)
    assert cache.peek("f0", sig) is not None and cache.peek("f0", (1, 2, 4)) is None
    cache.put("f8", sig, SourceText(("x",), 8, b""), 100)
    assert cache.get("f0", sig, 0) is None  # still the least recently used: out first
