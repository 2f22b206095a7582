"""The translation cache: translated routines kept across sessions in one SQLite file.

A session is a new process, so a routine it calls would otherwise be translated again in
every terminal and every unit-test run (translating is most of the cost of a first call:
about 15 ms for a class of 60 lines). ``translate.translate_routine`` keys an entry by the
routine's name and text, the build (debugger or not) and the runtime's own source, so an
entry is never used for code it was not made from; a changed translator simply misses.

It also keeps class models (``remember``): reading a class text is the other cost of a first
use. The file lives next to the namespaces' data folders
(``<state>/derived/translations.sqlite``) and holds at most ``max_entries`` entries (the
oldest go first). Errors never
reach the code being run: a cache that cannot be read or written is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CodeCache", "source_id"]


def source_id(package: str) -> bytes:
    """A digest of a package's own source files (and Python's version): what is derived
    from them is kept under it, so a changed package misses instead of misreading."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    h = hashlib.sha256(sys.version.encode())
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as f:
                    h.update(name.encode() + b"\0" + f.read())
    return h.digest()


class CodeCache:
    """``get``/``put`` of ``translate.TranslationCache`` over a SQLite file."""

    def __init__(self, path: str, *, max_entries: int = 20_000) -> None:
        self.path = path
        self.max_entries = max_entries
        self._db: sqlite3.Connection | None = None
        self._puts = 0
        try:
            db = sqlite3.connect(path, isolation_level=None, timeout=0.25,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS code (key BLOB PRIMARY KEY, data BLOB NOT "
                       "NULL, used REAL NOT NULL) WITHOUT ROWID")
            self._db = db
        except sqlite3.Error:
            self._db = None

    def get(self, key: bytes) -> bytes | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT data FROM code WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else bytes(row[0])

    def put(self, key: bytes, data: bytes) -> None:
        if self._db is None:
            return
        try:
            self._db.execute("INSERT OR REPLACE INTO code (key, data, used) VALUES (?, ?, ?)",
                             (key, data, time.time()))
            self._puts += 1
            if self._puts % 64 == 1:
                self._prune()
        except sqlite3.Error:
            return

    def remember(self, tag: bytes, text: str, make: Callable[[str], Any]) -> Any:
        """``make(text)``, kept under ``tag`` and the text (``pickle``): read back the next
        time the same text is asked for, in any session. A value that cannot be kept, or an
        entry that cannot be read, is simply made."""
        key = hashlib.sha256(tag + text.encode("utf-8", "surrogatepass")).digest()
        kept = self.get(key)
        if kept is not None:
            try:
                return pickle.loads(kept)  # noqa: S301 - written by this runtime
            except Exception:  # noqa: BLE001, S110 - an unreadable entry is a miss
                pass
        value = make(text)
        if value is not None:
            with contextlib.suppress(Exception):
                self.put(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value

    def _prune(self) -> None:
        assert self._db is not None
        (count,) = self._db.execute("SELECT count(*) FROM code").fetchone()
        if count > self.max_entries:
            self._db.execute("DELETE FROM code WHERE key IN (SELECT key FROM code ORDER BY used "
                             "LIMIT ?)", (count - self.max_entries * 9 // 10,))

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return int(self._db.execute("SELECT count(*) FROM code").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
