"""The compiler's read-only view of a namespace (``atelier_api.adapters.contract.Workspace``).

Documents are read through the store (generated ones included), each at most once per view,
and the view remembers the exact version it handed out (``ts`` and digest) so the results of
a compile are recorded against the text that was really compiled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from atelier_api.adapters.contract import SourceDoc
from atelier_api.compile.state import CompiledCatalog
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore, ListQuery
from atelier_api.documents.texts import text_digest
from atelier_api.documents.tsindex import format_ts, parse_ts
from atelier_api.errors import DocumentNotFound, InvalidName


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
            doc = parse_name(name)
        except InvalidName:
            return None
        with self._lock:
            if doc.name in self._docs:
                return self._docs[doc.name]
        found = self._read_web(doc) if doc.is_web else self._read(doc)
        with self._lock:
            return self._docs.setdefault(doc.name, found)

    def _read(self, doc: DocName) -> SourceDoc | None:
        """Read one text document through the store and stamp the version read."""
        try:
            text = self.store.text_of(doc.name)
        except InvalidName:
            return None
        if text is None:
            return None
        return self._stamped(doc, text.lines, text.ts, text.sha)

    def _read_web(self, doc: DocName) -> SourceDoc | None:
        """A web file, read as GET does (binary ones exist but have no lines)."""
        try:
            got = self.store.get(doc.name)
        except (InvalidName, DocumentNotFound):
            return None
        if got.enc or not isinstance(got.content, list):
            return SourceDoc(doc.name, (), got.ts, True)  # binary: it exists, nothing to read
        lines = tuple(got.content)
        return self._stamped(doc, lines, parse_ts(got.ts) or 0, text_digest(lines))

    def _stamped(self, doc: DocName, lines: tuple[str, ...], ts: int, sha: bytes) -> SourceDoc:
        """The document as read, its version remembered for recording the compile's result."""
        with self._lock:
            self.stamps[doc.name] = Stamp(ts, sha, lines)
        upd = self.store.upd(doc, ts) if self.catalog is None or not doc.is_compilable else (
            self.catalog.is_current(doc.name, ts, sha))
        return SourceDoc(doc.name, lines, format_ts(ts), upd)

    def class_names(self) -> Iterable[str]:
        """Every class of the namespace, without ``.cls`` (listed once per view)."""
        if self._classes is None:
            entries = self.store.list(ListQuery(cats=frozenset({"CLS"})))
            self._classes = [e.name[:-4] for e in entries]
        return self._classes
