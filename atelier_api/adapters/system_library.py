"""An adapter's system documents as the server serves them (Capability.SYSTEM_DOCUMENTS).

The listing is asked of the adapter once per adapter instance and kept (it is small and
static); texts are read on first use and kept too. An adapter without the capability, or one
that fails or breaks the contract, has an empty library: the server then behaves as if there
were no system documents (the failure is logged once).

The documents of a namespace's store and the system documents meet in the layers above: a
workspace document of the same name always wins. The domain services that see only a store
(SQL, search) find the library through ``bind``/``bound``, which the app fills in once for
every store (``atelier_api.api.documents``).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable

from atelier_api.adapters.contract import (
    Adapter,
    Capability,
    SystemDoc,
    SystemDocsRequest,
    SystemDocsResult,
    call,
)

log = logging.getLogger(__name__)

#: What IRIS answers when a document of a read-only library database is written (PutDoc,
#: DeleteDoc): the item is named without its extension.
READ_ONLY_ERROR = ("ERROR #5883: Item '{item}' is mapped from a database that you do not have "
                   "write permission on")
READ_ONLY_CODE = 5883


def read_only_text(name: str) -> str:
    """The error text of a write to the system document ``name``."""
    base, dot, _ext = name.rpartition(".")
    return READ_ONLY_ERROR.format(item=base if dot else name)


class SystemLibrary:
    """The system documents of one adapter instance: listed once, texts read on demand."""

    def __init__(self, adapter: Adapter | None) -> None:
        self._adapter = adapter
        self._lock = threading.Lock()
        self._entries: tuple[SystemDoc, ...] | None = None
        self._by_name: dict[str, SystemDoc] = {}
        self._texts: dict[str, SystemDoc] = {}
        self._sizes: dict[str, int] | None = None

    @property
    def declared(self) -> bool:
        """True when the adapter declared Capability.SYSTEM_DOCUMENTS."""
        return self._adapter is not None and self._adapter.supports(
            Capability.SYSTEM_DOCUMENTS)

    def _ask(self, request: SystemDocsRequest) -> tuple[SystemDoc, ...]:
        assert self._adapter is not None
        try:
            result: SystemDocsResult = call(self._adapter, Capability.SYSTEM_DOCUMENTS, request)
        except Exception:  # a broken library is no library, never a failed listing
            log.exception("compiler adapter %s failed to give its system documents",
                          self._adapter.info.name)
            return ()
        return result.documents

    def entries(self) -> tuple[SystemDoc, ...]:
        """Every system document (without text), sorted by name; () without the capability."""
        if self._entries is not None:
            return self._entries
        found = self._ask(SystemDocsRequest()) if self.declared else ()
        with self._lock:
            if self._entries is None:
                self._entries = found
                self._by_name = {_key(d.name): d for d in found}
            return self._entries

    def find(self, name: str) -> SystemDoc | None:
        """The listing entry of a system document (extension in any case), or None."""
        self.entries()
        return self._by_name.get(_key(name))

    def read(self, name: str) -> SystemDoc | None:
        """A system document with its lines, or None (asked of the adapter once per name)."""
        entry = self.find(name)
        if entry is None:
            return None
        with self._lock:
            held = self._texts.get(entry.name)
        if held is not None:
            return held
        got = [d for d in self._ask(SystemDocsRequest((entry.name,), text=True))
               if d.name == entry.name and d.lines is not None]
        if not got:
            return None
        with self._lock:
            return self._texts.setdefault(entry.name, got[0])

    def read_all(self, names: Iterable[str]) -> list[SystemDoc]:
        """Several system documents with their lines (one adapter call for those not read
        yet), in the order given; unknown names are left out."""
        entries = [e for e in (self.find(n) for n in names) if e is not None]
        with self._lock:
            missing = [e.name for e in entries if e.name not in self._texts]
        if missing:
            for doc in self._ask(SystemDocsRequest(tuple(missing), text=True)):
                if doc.lines is not None:
                    with self._lock:
                        self._texts.setdefault(doc.name, doc)
        with self._lock:
            return [self._texts[e.name] for e in entries if e.name in self._texts]

    def size(self, name: str) -> int:
        """The size in bytes of a system document's text (UTF-8, lines joined with LF; 0 when
        unknown): every text is read once, on the first call."""
        if self._sizes is None:
            docs = self.read_all(e.name for e in self.entries())
            sizes = {d.name: len("\n".join(d.lines or ()).encode("utf-8", "surrogatepass"))
                     for d in docs}
            with self._lock:
                self._sizes = sizes
        entry = self.find(name)
        return self._sizes.get(entry.name, 0) if entry is not None else 0

    def class_names(self) -> list[str]:
        """The system classes, without ``.cls``."""
        return [d.name[:-4] for d in self.entries() if d.name.endswith(".cls")]


def _key(name: str) -> str:
    """A name with its extension lower-cased (extensions are case-insensitive)."""
    base, dot, ext = name.rpartition(".")
    return f"{base}.{ext.lower()}" if dot else name


_LIBRARIES: weakref.WeakKeyDictionary[Adapter, SystemLibrary] = weakref.WeakKeyDictionary()
_BOUND: weakref.WeakKeyDictionary[object, SystemLibrary] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
EMPTY = SystemLibrary(None)


def system_library(adapter: Adapter) -> SystemLibrary:
    """The system library of an adapter instance (one per instance, made on first use)."""
    with _REGISTRY_LOCK:
        found = _LIBRARIES.get(adapter)
        if found is None:
            found = _LIBRARIES[adapter] = SystemLibrary(adapter)
        return found


def bind(store: object, library: SystemLibrary) -> None:
    """Make ``library`` the system library of a namespace's store (for the services that
    only see the store)."""
    with _REGISTRY_LOCK:
        _BOUND[store] = library


def bound(store: object) -> SystemLibrary:
    """The system library bound to a store; an empty one when none was bound."""
    return _BOUND.get(store, EMPTY)
