"""The per-version text store: the one place that decodes a document file version and knows
whether a text it (or a reader it fed) holds is still that file's text.

A *version* of a document file is named by the file's stat signature (mtime, size, inode).

The freshness rule, the only one: a text decoded from bytes read while the file had signature
``sig`` is the file's text for as long as the file still has ``sig``, provided ``sig`` was not
racy when the bytes were read (taken ``RACY_NS`` or more after its mtime: within that window a
same-size rewrite in the same timestamp tick could keep the signature). A racy read proves
nothing: its text is used once and must be read again. The timestamp index applies the same
rule to trust a signature without reading the content (``TsIndex.settled``).

What the store owns and who calls it:

* ``TextStore.read``: reading and decoding a document file as a listing sees it (a regular
  file, not a link), giving a ``FileText``: its lines, and its signature only when that proves
  the text. The search corpus (``atelier_api.search.corpus``) takes every text it holds from
  here and keeps the signature to re-check it (``TextStore.is_current``) when no watcher
  reports changes. The corpus keeps its own search-specific copy (texts joined per chunk).
* ``TextStore.served`` / ``TextStore.keep``: the texts a compile reads
  (``DocumentStore.text_of``), with their ``ts`` and digest. A held text is served only while
  the file has the signature it was read with and the index vouches for that version (settled:
  known signature, not racy); anything else is a miss, and the store reads the file under the
  document's lock, records the read in the index and hands the bytes to ``keep``. Held in a
  ``TextCache`` bounded by an estimate of memory (``footprint``), least recently used out first:
  the few dozen documents a class compile looks at stay, a whole-namespace compile does not pin
  the namespace in memory.
* ``read`` serves a version the bounded cache holds (same signature, so by the rule the same
  text) without reading the file again, but never adds to the cache: a corpus build would push
  out the compile's working set.

Memory: the corpus holds every text of the namespace, joined per chunk (plus a lower-cased
copy); the cache holds at most ``MAX_BYTES`` of lines. A compile read does not take its text
from the corpus: on a miss it must read the file's bytes all the same (``TsIndex.record_read``
keeps their digest, so that a later touch keeps the ``ts``), and it needs lines and a digest the
corpus does not keep; the copy that sharing would save is the bounded one.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from atelier_api.documents import textcodec
from atelier_api.documents.fsutil import open_regular
from atelier_api.documents.tsindex import RACY_NS, Signature, TsIndex, signature

#: Estimated bytes of memory the cached texts may take (per namespace).
MAX_BYTES = 16 * 1024 * 1024
#: Estimated memory of one line beyond its characters: the str object and its tuple slot.
LINE_OVERHEAD = 64


def text_digest(lines: Iterable[str]) -> bytes:
    """The digest of a text given as lines (what ``upd`` compares)."""
    return hashlib.blake2b("\n".join(lines).encode("utf-8", "surrogatepass"),
                           digest_size=16).digest()


def decode_lines(data: bytes) -> list[str]:
    """A file version's text as lines without terminators (what GET shows): the one decoder."""
    return textcodec.decode(data)[0]


@dataclass(frozen=True, slots=True)
class SourceText:
    """A document's text as a compile reads it: lines (no terminators), ts (ms), digest."""

    lines: tuple[str, ...]
    ts: int
    sha: bytes


def source_text(data: bytes, ts: int) -> SourceText:
    """The compile's view of the version with bytes ``data`` and ``ts``."""
    lines = tuple(decode_lines(data))
    return SourceText(lines, ts, text_digest(lines))


def source_text_of_lines(lines: Sequence[str], ts: int) -> SourceText:
    """The compile's view of a text given as lines (a routine shown with its UDL header)."""
    kept = tuple(lines)
    return SourceText(kept, ts, text_digest(kept))


def footprint(data: bytes, text: SourceText) -> int:
    """Roughly the memory ``text`` (decoded from ``data``) takes."""
    return len(data) + LINE_OVERHEAD * len(text.lines)


def proof(st: os.stat_result, read_at_ns: int) -> Signature | None:
    """The signature that names the version read at ``read_at_ns`` (taken before the read),
    or None when it was racy then and so proves nothing (the freshness rule)."""
    if read_at_ns - st.st_mtime_ns < RACY_NS:
        return None
    return signature(st)


@dataclass(frozen=True, slots=True)
class FileText:
    """One version of a document file as read: its lines and, when it proves them, its
    signature (None: racy when read, so the text must be read again to be trusted later)."""

    sig: Signature | None
    lines: Sequence[str]


@dataclass(frozen=True, slots=True)
class _Entry:
    sig: Signature
    text: SourceText
    size: int


class TextCache:
    """Root-relative path -> the decoded text of one version of that file (thread-safe),
    bounded by ``max_bytes`` (least recently used out first)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, rel: str, sig: Signature, ts: int) -> SourceText | None:
        """The cached text of ``rel`` when it is of this very version, else None."""
        with self._lock:
            entry = self._entries.get(rel)
            if entry is None or entry.sig != sig or entry.text.ts != ts:
                return None
            self._entries.move_to_end(rel)
            return entry.text

    def peek(self, rel: str, sig: Signature) -> SourceText | None:
        """The cached text of the version of ``rel`` with signature ``sig``, if any, leaving
        the order of use alone (a reader other than the compile)."""
        with self._lock:
            entry = self._entries.get(rel)
            return entry.text if entry is not None and entry.sig == sig else None

    def put(self, rel: str, sig: Signature, text: SourceText, size: int) -> None:
        """Remember the text of the version of ``rel`` with signature ``sig``."""
        if size > self._max // 8:
            return  # a huge file would push out everything else
        with self._lock:
            old = self._entries.pop(rel, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[rel] = _Entry(sig, text, size)
            self._bytes += size
            while self._bytes > self._max and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class TextStore:
    """The decoded texts of one namespace's document files, per version (see the module
    docstring: what it holds, the freshness rule, who calls it). Thread-safe."""

    def __init__(self, index: TsIndex, max_bytes: int = MAX_BYTES) -> None:
        self.index = index
        self.cache = TextCache(max_bytes)

    def __len__(self) -> int:
        """How many versions the bounded cache holds."""
        return len(self.cache)

    # -- compile reads (DocumentStore.text_of, under the document's lock) -----------------------
    def served(self, rel: str, path: str) -> SourceText | None:
        """The held text of the file's current version when the index vouches for it (same
        signature as when read, settled), else None: the caller reads the file."""
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        sig = signature(st)
        ts = self.index.settled(rel, sig) if stat.S_ISREG(st.st_mode) else None
        return None if ts is None else self.cache.get(rel, sig, ts)

    def keep(self, rel: str, data: bytes, st: os.stat_result, ts: int) -> SourceText:
        """Decode the version the caller read (``data``, ``st``; ``ts`` as the index recorded
        it), holding it when the index vouches for that version."""
        text = source_text(data, ts)
        sig = signature(st)
        if self.index.settled(rel, sig) == ts:
            self.cache.put(rel, sig, text, footprint(data, text))
        return text

    # -- readers that keep their own copy (the search corpus) -----------------------------------
    def read(self, path: str, rel: str) -> FileText | None:
        """The current version of the document file at ``path`` (root-relative ``rel``);
        None when it is not a regular file (a link, a folder) or cannot be read."""
        now = time.time_ns()
        try:
            with open_regular(path) as handle:  # never a FIFO, a device or a link
                st = os.fstat(handle.fileno())
                sig = proof(st, now)
                held = self.cache.peek(rel, sig) if sig is not None else None
                if held is not None:  # the same version: by the rule, the same text
                    return FileText(sig, held.lines)
                data = handle.read()
        except OSError:
            return None
        return FileText(sig, decode_lines(data))

    @staticmethod
    def is_current(path: str, sig: Signature | None) -> bool:
        """True while the file at ``path`` still has the signature ``sig`` a ``FileText``
        proved: its text is still the file's (a None signature never is)."""
        if sig is None:
            return False
        try:
            return signature(os.stat(path)) == sig
        except OSError:
            return False
