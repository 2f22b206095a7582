"""Watching the workspaces: changes other programs make on disk reach the index within a second.

One watchdog observer watches every namespace root recursively. Events are reduced to
root-relative document paths (the server's temp files, ``.git`` and other skipped folders are
dropped) and collected; a burst ends after ``debounce`` seconds without a new event (or after
``max_delay`` at the latest), and each namespace's paths are then handed in one batch to
``DocumentStore.on_external_change``, which refreshes their timestamps under each document's
lock and tells derived data. The server's own atomic writes are already in the index with the
same file signature, so they are not echoed back as external changes.

Without the watcher nothing is missed either: every request stats the files it touches.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from atelier_api.documents.layout import document_paths, is_document_path, is_skipped_dir
from atelier_api.documents.store import DocumentStore

log = logging.getLogger(__name__)
#: File-content events only: opening and reading (the watcher's own reads) are not changes.
EVENTS = [FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent,
          FileClosedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class _Pending:
    """Paths seen since the last batch, per namespace; folders are expanded at batch time."""

    def __init__(self) -> None:
        self.files: dict[str, set[str]] = {}
        self.dirs: dict[str, set[str]] = {}
        self.rescan: set[str] = set()
        self.first = 0.0
        self.last = 0.0

    def empty(self) -> bool:
        return not (self.files or self.dirs or self.rescan)


class _Handler(FileSystemEventHandler):
    """Turns watchdog events of one root into pending paths."""

    def __init__(self, watcher: Watcher, namespace: str, root: str) -> None:
        self.watcher = watcher
        self.namespace = namespace
        self.root = root

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for raw in paths:
            if not raw:
                continue
            path = os.fsdecode(raw)
            rel = os.path.relpath(path, self.root).replace(os.sep, "/")
            if rel == "." or rel.startswith("../"):
                continue
            self.watcher.add(self.namespace, rel, event.is_directory)


class _OverflowFilter(logging.Filter):
    """watchdog logs a lost-events warning when the kernel queue overflows: rescan then."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def filter(self, record: logging.LogRecord) -> bool:
        if "overflow" in record.getMessage().lower():
            self.watcher.rescan_all()
        return True


class Watcher:
    """Watches each store's root and feeds coalesced batches to the stores."""

    def __init__(self, stores: Mapping[str, DocumentStore], *, debounce: float = 0.15,
                 max_delay: float = 1.0) -> None:
        self.stores = dict(stores)
        self.debounce = debounce
        self.max_delay = max(max_delay, debounce)
        self._pending = _Pending()
        self._cond = threading.Condition()
        self._stopping = False
        self._observer: Any = None
        self._thread: threading.Thread | None = None
        self._overflow = _OverflowFilter(self)

    # -- life -------------------------------------------------------------------------------
    def start(self) -> None:
        """Schedule every root and start the observer and the batching thread."""
        observer = Observer()
        for name, store in self.stores.items():
            observer.schedule(_Handler(self, name, store.root), store.root, recursive=True,
                              event_filter=EVENTS)
        try:
            observer.start()
        except BaseException:  # e.g. the inotify watch limit: leave no thread behind
            observer.stop()
            raise
        self._observer = observer
        for store in self.stores.values():
            store.watched = self
        logging.getLogger("watchdog.observers.inotify_c").addFilter(self._overflow)
        logging.getLogger("watchdog.observers.inotify").addFilter(self._overflow)
        self._thread = threading.Thread(target=self._run, name="atelier-watcher", daemon=True)
        self._thread.start()
        log.info("watching %d workspace(s) for changes on disk", len(self.stores))

    def stop(self) -> None:
        """Stop watching; the changes seen so far are taken in before it returns."""
        for store in self.stores.values():
            if store.watched is self:
                store.watched = None
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        for name in ("watchdog.observers.inotify_c", "watchdog.observers.inotify"):
            logging.getLogger(name).removeFilter(self._overflow)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._flush()

    # -- intake -----------------------------------------------------------------------------
    def add(self, namespace: str, rel: str, is_dir: bool) -> None:
        """Note one changed path (a file, or a folder created, moved or deleted)."""
        layout = self.stores[namespace].layout
        if is_skipped_dir(layout, rel) if is_dir else not is_document_path(layout, rel):
            return
        with self._cond:
            p = self._pending
            idle = p.empty()
            (p.dirs if is_dir else p.files).setdefault(namespace, set()).add(rel)
            now = time.monotonic()
            p.first = p.first or now
            p.last = now
            if idle:  # the batching thread waits for a first event; later ones it finds in
                self._cond.notify()  # ``last`` when its quiet-time wait ends

    def rescan_all(self) -> None:
        """Compare every workspace with the index at the next batch (events were lost)."""
        with self._cond:
            self._pending.rescan.update(self.stores)
            now = time.monotonic()
            self._pending.first = self._pending.first or now
            self._pending.last = now
            self._cond.notify()

    # -- batching ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending.empty() and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                wait = self._quiet_left()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
            self._flush()

    def _quiet_left(self) -> float:
        now = time.monotonic()
        p = self._pending
        return min(p.last + self.debounce - now, p.first + self.max_delay - now)

    def _flush(self) -> None:
        with self._cond:
            batch, self._pending = self._pending, _Pending()
        if batch.empty():
            return
        for name, store in self.stores.items():
            paths = self._expand(store, batch, name)
            if not paths:
                continue
            try:
                changed = store.on_external_change(sorted(paths))
            except Exception:  # never let one bad batch stop the watcher
                log.exception("taking in changes of namespace %s failed", name)
                continue
            if changed:
                log.debug("namespace %s: %d document(s) changed on disk", name, len(changed))

    @staticmethod
    def _expand(store: DocumentStore, batch: _Pending, name: str) -> set[str]:
        """Files of the batch, plus every document below each folder event (or the root)."""
        paths = set(batch.files.get(name, ()))
        folders = [""] if name in batch.rescan else sorted(batch.dirs.get(name, ()))
        for folder in folders:
            prefix = folder + "/" if folder else ""
            paths.update(store.index.live_paths(prefix))  # known below: maybe gone
            if os.path.isdir(os.path.join(store.root, *folder.split("/")) if folder
                             else store.root):
                paths.update(document_paths(store.root, store.layout, folder))
        return {p for p in paths if is_document_path(store.layout, p)}
