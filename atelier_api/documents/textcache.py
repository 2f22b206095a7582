"""Decoded texts of unchanged files, so a compile does not re-read and re-decode each class it
looks at (its superclasses, the classes it references, its include files) on every compile.

An entry is the text of one file version, keyed by the file's signature (mtime, size, inode)
and the ``ts`` the timestamp index gives that version. It is served only while the file still
has that signature and the index still vouches for it as settled (not "racy": a signature
taken within the filesystem's timestamp granularity could hide a same-size rewrite), which is
exactly when the index itself trusts the signature without reading the content. Anything else
is a miss and the caller reads the file. Bounded by an estimate of the memory the texts take
(``footprint``), least recently used out first: the few dozen documents a class compile looks
at stay, a whole-namespace compile does not pin the namespace in memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from atelier_api.documents.tsindex import Signature

#: Estimated bytes of memory the cached texts may take (per namespace).
MAX_BYTES = 16 * 1024 * 1024
#: Estimated memory of one line beyond its characters: the str object and its tuple slot.
LINE_OVERHEAD = 64


def text_digest(lines: Iterable[str]) -> bytes:
    """The digest of a text given as lines (what ``upd`` compares)."""
    return hashlib.blake2b("\n".join(lines).encode("utf-8", "surrogatepass"),
                           digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class SourceText:
    """A document's text as a compile reads it: lines (no terminators), ts (ms), digest."""

    lines: tuple[str, ...]
    ts: int
    sha: bytes


def footprint(data: bytes, text: SourceText) -> int:
    """Roughly the memory ``text`` (decoded from ``data``) takes."""
    return len(data) + LINE_OVERHEAD * len(text.lines)


@dataclass(frozen=True, slots=True)
class _Entry:
    sig: Signature
    text: SourceText
    size: int


class TextCache:
    """Root-relative path -> the decoded text of one version of that file (thread-safe)."""

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
