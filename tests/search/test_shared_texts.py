"""One text per file version for both readers: what a compile reads (``DocumentStore.text_of``)
and what the search corpus holds agree after every kind of change, and the corpus takes a
version the store's text store holds instead of reading and decoding the file again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier_api.documents import texts as texts_mod
from atelier_api.documents.layout import Layout, default_webapps
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import TsIndex
from atelier_api.search.corpus import Corpus
from atelier_api.xmlexport.service import XmlFormat

DAY_NS = 86_400 * 10**9
A = "Class Pkg.A\n{\n\n/// zebra\nProperty Name As %String;\n\n}\n"
B = "ROUTINE B\nB ;\n write \"zebra\"\n quit\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DocumentStore]:
    root = tmp_path / "root"
    root.mkdir()
    index = TsIndex(str(tmp_path / "state" / "ts.sqlite"))
    made = DocumentStore("USER", str(root), Layout("default", default_webapps("USER")), "USER",
                         index)
    made.export_format = XmlFormat()
    yield made
    index.close()


def _write(store: DocumentStore, rel: str, text: str, *, age_ns: int | None = DAY_NS) -> Path:
    """Write a file as another program would; ``age_ns`` back-dates it (settled), None: now."""
    path = Path(store.root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if age_ns is not None:
        stamp = path.stat().st_mtime_ns - age_ns
        os.utime(path, ns=(stamp, stamp))
    return path


def _rewrite_in_place(path: Path, text: str, mtime_ns: int) -> None:
    """Same inode, the given mtime: only the size or the mtime can tell the versions apart."""
    with open(path, "r+b") as handle:
        handle.write(text.encode())
        handle.truncate()
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _corpus_texts(corpus: Corpus) -> dict[str, str]:
    return {d.name.name: chunk.doc_text(i)
            for chunk in corpus.chunks() for i, d in enumerate(chunk.docs)}


def _compile_text(store: DocumentStore, name: str) -> str | None:
    text = store.text_of(name)
    return None if text is None else "\n".join(text.lines)


def _agree(store: DocumentStore, corpus: Corpus, *names: str) -> dict[str, str]:
    """Both readers see the same text of every document (or both see none)."""
    held = _corpus_texts(corpus)
    for name in names:
        assert held.get(name) == _compile_text(store, name), name
    return held


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the text store's decodes (one per file version it reads)."""
    seen: list[int] = []
    real = texts_mod.decode_lines

    def counting(data: bytes) -> list[str]:
        seen.append(len(data))
        return real(data)

    monkeypatch.setattr(texts_mod, "decode_lines", counting)
    return seen


def test_the_corpus_takes_a_held_version(store: DocumentStore, decodes: list[int]) -> None:
    _write(store, "Pkg/A.cls", A)
    _write(store, "B.mac", B)
    assert _compile_text(store, "Pkg.A.cls") == A
    assert len(store.texts) == 1 and decodes == [len(A)]
    corpus = Corpus(store, 10_000)
    assert _corpus_texts(corpus) == {"Pkg.A.cls": A, "B.mac": B}
    assert decodes == [len(A), len(B)]  # A was not decoded a second time
    _agree(store, corpus, "Pkg.A.cls", "B.mac")


def test_a_same_size_rewrite_in_the_same_tick(store: DocumentStore) -> None:
    """Just written: the signature proves nothing, so neither reader keeps trusting it."""
    path = _write(store, "Pkg/A.cls", A, age_ns=None)
    corpus = Corpus(store, 10_000)
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == A
    assert len(store.texts) == 0
    before = path.stat()
    _rewrite_in_place(path, A.replace("zebra", "okapi"), before.st_mtime_ns)
    assert path.stat().st_size == before.st_size and path.stat().st_ino == before.st_ino
    assert "okapi" in _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"]


def test_a_change_without_a_watcher(store: DocumentStore) -> None:
    """A held (settled) version rewritten with the same size by another program: both readers
    see the new text, and neither gets the old one back from the other."""
    path = _write(store, "Pkg/A.cls", A)
    assert _compile_text(store, "Pkg.A.cls") == A  # held now
    corpus = Corpus(store, 10_000)
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == A
    _rewrite_in_place(path, A.replace("zebra", "okapi"), path.stat().st_mtime_ns + 10**9)
    changed = A.replace("zebra", "okapi")
    assert _corpus_texts(corpus)["Pkg.A.cls"] == changed  # the corpus first this time
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == changed
    assert len(store.texts) == 1


def test_deletes_and_a_re_creation(store: DocumentStore) -> None:
    path = _write(store, "Pkg/A.cls", A)
    _write(store, "B.mac", B)
    corpus = Corpus(store, 10_000)
    assert _agree(store, corpus, "Pkg.A.cls", "B.mac") == {"Pkg.A.cls": A, "B.mac": B}
    old_mtime = path.stat().st_mtime_ns
    path.unlink()  # another program
    store.delete("B.mac")  # our own
    assert _agree(store, corpus, "Pkg.A.cls", "B.mac") == {}
    _write(store, "Pkg/A.cls", A.replace("zebra", "gnu"), age_ns=None)
    os.utime(path, ns=(old_mtime + 10**9, old_mtime + 10**9))
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == A.replace("zebra", "gnu")


@pytest.mark.parametrize("watched", [False, True], ids=["unwatched", "watched"])
def test_own_saves_reach_both_readers(store: DocumentStore, watched: bool) -> None:
    """A save reaches the corpus by its stat check, or (watched) by the path the index marks
    dirty; the compile reads the saved text."""
    if watched:
        store.watched = object()  # the corpus then trusts the index's reports alone
    _write(store, "Pkg/A.cls", A)
    assert _compile_text(store, "Pkg.A.cls") == A
    corpus = Corpus(store, 10_000)
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == A
    lines = A.replace("zebra", "emu").split("\n")
    store.put("Pkg.A.cls", lines, ignore_conflict=True)
    assert _agree(store, corpus, "Pkg.A.cls")["Pkg.A.cls"] == A.replace("zebra", "emu")
