"""The compiler's read-only view of a namespace (``atelier_api.compiler.Workspace``).

Documents are read through the store (generated ones included), each at most once per view,
and the view remembers the exact version it handed out (``ts`` and digest) so the results of
a compile are recorded against the text that was really compiled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from ..compiler import SourceDoc
from ..documents.names import parse_name
from ..documents.store import DocumentStore, ListQuery
from ..documents.tsindex import parse_ts
from ..errors import DocumentNotFound, InvalidName
from .compiled import CompiledCatalog, text_digest


@dataclass(frozen=True)
class Stamp:
    """The version of a document a compile read: its ts (ms), digest and lines."""

    ts: int
    sha: bytes
    lines: tuple[str, ...]


class StoreWorkspace:
    """A ``Workspace`` over a document store, for one compile, index or macro look-up."""

    def __init__(self, store: DocumentStore, catalog: CompiledCatalog | None) -> None:
        self.store = store
        self.catalog = catalog
        self.stamps: dict[str, Stamp] = {}
        self._docs: dict[str, SourceDoc | None] = {}
        self._classes: list[str] | None = None
        self._lock = threading.Lock()

    def document(self, name: str) -> SourceDoc | None:
        """The document called ``name`` (extension in any case), or None."""
        try:
            key = parse_name(name).name
        except InvalidName:
            return None
        with self._lock:
            if key in self._docs:
                return self._docs[key]
        found = self._read(key)
        with self._lock:
            return self._docs.setdefault(key, found)

    def _read(self, name: str) -> SourceDoc | None:
        """Read one text document through the store and stamp the version read."""
        try:
            doc = self.store.get(name)
        except (InvalidName, DocumentNotFound):
            return None
        if doc.enc or not isinstance(doc.content, list):
            return SourceDoc(name, (), doc.ts, True)  # binary: it exists, nothing to read
        lines = tuple(doc.content)
        ts, sha = parse_ts(doc.ts) or 0, text_digest(lines)
        with self._lock:
            self.stamps[name] = Stamp(ts, sha, lines)
        upd = doc.upd if self.catalog is None or not parse_name(name).is_compilable else (
            self.catalog.is_current(name, ts, sha))
        return SourceDoc(name, lines, doc.ts, upd)

    def class_names(self) -> Iterable[str]:
        """Every class of the namespace, without ``.cls`` (listed once per view)."""
        if self._classes is None:
            entries = self.store.list(ListQuery(cats=frozenset({"CLS"})))
            self._classes = [e.name[:-4] for e in entries]
        return self._classes
