"""The search corpus: every document of a namespace decoded once and kept in memory.

Documents are kept in name order in chunks of a few hundred; a chunk holds its documents'
texts joined into one string (each document followed by ``\\n``) with the documents' start
offsets, and the same as UTF-8 bytes, which RE2 searches. A search runs one compiled regex
over each chunk instead of reading, decoding and splitting every file.

Texts come from the store's per-version text store (``DocumentStore.texts``,
atelier_api.documents.texts), which reads and decodes a file version and states the freshness
rule: a text read while the file had a signature that was not racy then stays the file's text
while the file keeps that signature. The corpus keeps its own joined copy, per chunk.

Freshness: the corpus never serves a document version the store no longer has.

* Every change the timestamp index learns (the server's own saves and deletes, changes taken
  in by the workspace watcher or a reset, a listing noticing a change on disk) marks the path
  dirty through ``TsIndex.listeners``; the next search re-reads the dirty paths first.
* While a watcher watches the root (``DocumentStore.watched``), that is all a search needs.
  Otherwise (``watch`` off, the watcher failed or stopped) each search walks the root and
  re-reads a document whose text is no longer current by that rule
  (``TextStore.is_current``: its signature changed, or was too recent to prove its content).

Chunks are immutable once built: a search works on the list of chunks current when it started
(a save during the search shows in the next one) and the forked regex scan inherits them.
"""

from __future__ import annotations

import bisect
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from atelier_api.documents.declared import present
from atelier_api.documents.layout import is_document_path
from atelier_api.documents.names import DocName
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.tsindex import Signature
from atelier_api.search.processes import stop_owned

#: Documents per chunk (a chunk is re-joined when one of its documents changes).
CHUNK_DOCS = 256

#: Document kinds, for attributing a line to the client's location.
OTHER, CLASS, ROUTINE, ROUTINE_HEADER = 0, 1, 2, 3


@dataclass(eq=False)
class CorpusDoc:
    """One version of one document (a new object for every new version)."""

    name: DocName
    rel: str
    kind: int
    sig: Signature | None  # the signature that proves the text (TextStore); None: re-read
    long: bool  # a line longer than the per-line regex limit: searched line by line
    length: int  # characters of the text (without the separating newline)
    #: lazily computed per-version data (the class outline), see atelier_api.search.render
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Chunk:
    """Consecutive documents (in name order) and their joined text."""

    docs: list[CorpusDoc]
    keys: list[tuple[str, str]]  # (name, rel) of each document, sorted
    text: str
    starts: list[int]  # start offset of each document, then len(text)
    #: the text as UTF-8 (what RE2 searches; a lone surrogate becomes "?", one byte for one
    #: character) and the documents' start offsets in it (``starts`` when the text is ASCII)
    data: bytes = b""
    byte_starts: list[int] = field(default_factory=list)
    ascii: bool = True  # the text is ASCII (byte and character offsets agree)
    #: selection caches: (files, include, exclude, system) -> selected document indexes
    selections: dict[tuple[str, str, str, bool], list[int]] = field(default_factory=dict)

    def doc_text(self, i: int) -> str:
        """The text of document ``i`` (its lines joined with ``\\n``)."""
        return self.text[self.starts[i]:self.starts[i + 1] - 1]


def _kind(doc: DocName, text: str) -> int:
    if doc.ext == "cls" and doc.cat == "CLS":
        return CLASS
    if doc.cat == "RTN":
        return ROUTINE_HEADER if text[:8].upper() == "ROUTINE " else ROUTINE
    return OTHER


def _build_chunk(docs: list[CorpusDoc], texts: list[str]) -> Chunk:
    starts = []
    pos = 0
    for text in texts:
        starts.append(pos)
        pos += len(text) + 1
    starts.append(pos)
    joined = "\n".join(texts) + "\n" if texts else ""
    ascii_text = joined.isascii()
    if ascii_text:
        data, byte_starts = joined.encode("ascii"), starts
    else:
        data = joined.encode("utf-8", "replace")
        byte_starts = []
        pos = 0
        for text in texts:
            byte_starts.append(pos)
            pos += (len(text) if text.isascii() else
                    len(text.encode("utf-8", "replace"))) + 1
        byte_starts.append(pos)
    keys = [(d.name.name, d.rel) for d in docs]
    return Chunk(docs, keys, joined, starts, data, byte_starts, ascii_text)


class Corpus:
    """The in-memory texts of one store's documents (see the module docstring)."""

    def __init__(self, store: DocumentStore, max_line: int) -> None:
        self.store = store
        self.max_line = max_line
        self._lock = threading.Lock()  # one refresh at a time
        self._dirty_lock = threading.Lock()
        self._dirty: set[str] = set()
        self._chunks: list[Chunk] | None = None
        self._where: dict[str, int] = {}  # rel -> index of its chunk (rebuilt with chunks)
        self._watched_by: object | None = None  # the watcher seen at the last refresh
        #: the child process that runs regex scans (atelier_api.search.workers), and its lock
        self.worker: Any = None
        self.worker_lock = threading.Lock()
        ref = weakref.ref(self)

        def changed(path: str) -> None:  # no strong reference from the index to the corpus
            corpus = ref()
            if corpus is not None:
                corpus.mark_dirty(path)
        store.index.listeners.append(changed)

    def mark_dirty(self, path: str) -> None:
        """The document at this root-relative path changed: re-read it before the next search."""
        with self._dirty_lock:
            self._dirty.add(path)

    def close(self) -> None:
        """End the regex worker process and every other search process of the store (a
        search still using one gets a stop reason)."""
        with self.worker_lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            worker.kill()
        stop_owned(self.store)

    # -- reading documents ----------------------------------------------------------------------
    def _load(self, rel: str, doc: DocName | None = None) -> tuple[CorpusDoc, str] | None:
        """One document's current text, from the store's text store; None when it is not (or
        no longer) a listed document."""
        if doc is None:
            if not is_document_path(self.store.layout, rel):
                return None
            doc = self.store.name_of(rel)
            if doc is None:
                return None
        path = os.path.join(self.store.root, *rel.split("/"))
        read = self.store.texts.read(path, rel)
        if read is None:
            return None
        lines = present(doc, list(read.lines))  # a routine as GET shows it (its header)
        text = "\n".join(lines)
        long = len(text) > self.max_line and max(map(len, lines)) > self.max_line
        return CorpusDoc(doc, rel, _kind(doc, text), read.sig, long, len(text)), text

    # -- keeping current ------------------------------------------------------------------------
    def chunks(self) -> list[Chunk]:
        """The current chunks (brought up to date first)."""
        with self._lock:
            watcher = self.store.watched
            if self._chunks is None:
                self._take_dirty()
                self._full_build()
            elif watcher is not None and watcher is self._watched_by:
                self._apply(self._take_dirty())
            else:  # nobody watches (or a new watcher): compare every file with its stat
                self._take_dirty()
                self._revalidate()
            self._watched_by = watcher
            assert self._chunks is not None
            with self.worker_lock:  # an idle worker of older chunks only holds memory now
                if self.worker is not None and self.worker.chunks is not self._chunks and (
                        not self.worker.busy):
                    self.worker.kill()
                    self.worker = None
            return self._chunks

    def _take_dirty(self) -> set[str]:
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        return dirty

    def _full_build(self) -> None:
        loaded = []
        for rel, _path, doc in self.store.walk():
            found = self._load(rel, doc)
            if found is not None:
                loaded.append(found)
        self._set_chunks(loaded)

    def _set_chunks(self, loaded: list[tuple[CorpusDoc, str]]) -> None:
        self._install(_chunked(loaded))

    def _install(self, chunks: list[Chunk]) -> None:
        self._chunks = chunks
        self._where = {d.rel: i for i, c in enumerate(chunks) for d in c.docs}

    def _revalidate(self) -> None:
        """Unwatched: walk the root, re-read each document whose text may not be current."""
        assert self._chunks is not None
        known = {d.rel: (d, c) for c in self._chunks for d in c.docs}
        changes: dict[str, tuple[CorpusDoc, str] | None] = {}
        seen = set()
        for rel, path, doc in self.store.walk():
            seen.add(rel)
            have = known.get(rel)
            if have is not None and self.store.texts.is_current(path, have[0].sig):
                continue
            changes[rel] = self._load(rel, doc)
        for rel in known:
            if rel not in seen:
                changes[rel] = None
        self._update(changes)

    def _apply(self, dirty: Iterable[str]) -> None:
        """Watched: re-read the paths the index reported."""
        self._update({rel: self._load(rel) for rel in dirty})

    def _update(self, changes: dict[str, tuple[CorpusDoc, str] | None]) -> None:
        """Replace, add or remove documents, re-joining only the chunks they fall in."""
        assert self._chunks is not None
        if not changes:
            return
        chunks = list(self._chunks)
        if not chunks:
            self._set_chunks([v for v in changes.values() if v is not None])
            return
        per_chunk: dict[int, list[tuple[str, tuple[CorpusDoc, str] | None]]] = {}
        firsts = [c.keys[0] for c in chunks]
        for rel, new in changes.items():
            at = self._where.get(rel)
            if at is not None:
                per_chunk.setdefault(at, []).append((rel, None))  # the old version goes
            if new is not None:
                key = (new[0].name.name, rel)
                target = max(bisect.bisect_right(firsts, key) - 1, 0)
                per_chunk.setdefault(target, []).append((rel, new))
        out: list[Chunk] = []
        for i, chunk in enumerate(chunks):
            todo = per_chunk.get(i)
            if todo is None:
                out.append(chunk)
                continue
            gone = {rel for rel, new in todo if new is None}
            items = [(d, chunk.doc_text(j)) for j, d in enumerate(chunk.docs)
                     if d.rel not in gone]
            items += [new for _rel, new in todo if new is not None]
            out += _chunked(items)
        self._install(out)


def _chunked(items: list[tuple[CorpusDoc, str]]) -> list[Chunk]:
    """Documents (with their texts) in name order, cut into chunks of ``CHUNK_DOCS``."""
    items.sort(key=lambda item: (item[0].name.name, item[0].rel))
    return [_build_chunk([d for d, _ in part], [t for _, t in part])
            for part in (items[k:k + CHUNK_DOCS] for k in range(0, len(items), CHUNK_DOCS))]


_CREATING = threading.Lock()  # two first searches of one store make one corpus


def corpus_of(store: DocumentStore, max_line: int) -> Corpus:
    """The corpus of a store: created on first use and kept on the store
    (``DocumentStore.search_corpus``), so that it lives and goes with it; ``close_corpus``
    ends its search processes when the server stops."""
    with _CREATING:
        corpus = store.search_corpus
        if not isinstance(corpus, Corpus):
            corpus = store.search_corpus = Corpus(store, max_line)
        return corpus


def close_corpus(store: DocumentStore) -> None:
    """Drop a store's corpus and end its search processes, if any (server shutdown)."""
    with _CREATING:
        corpus, store.search_corpus = store.search_corpus, None
    if isinstance(corpus, Corpus):
        corpus.close()
    else:
        stop_owned(store)


def selected(chunk: Chunk, key: tuple[str, str, str, bool],
             wanted: Callable[[CorpusDoc], bool]) -> list[int]:
    """Indexes of the chunk's documents a query searches (cached per chunk and filter)."""
    found = chunk.selections.get(key)
    if found is None:
        found = [i for i, d in enumerate(chunk.docs) if wanted(d)]
        if len(chunk.selections) > 16:
            chunk.selections.clear()
        chunk.selections[key] = found
    return found
