"""The timestamp index: one ``ts`` per document, agreed by every endpoint, kept across restarts.

A document's ``ts`` starts as its file's modification time (UTC, milliseconds). It changes only
when the content changes, and then strictly increases, so two different contents never share a
``ts`` and touching a file (or a checkout rewriting identical bytes) never causes a false
conflict. The index is derived state: deleting it falls back to modification times.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Signature = tuple[int, int, int]  # (mtime_ns, size, inode)
#: Coarse filesystems stamp mtimes in ticks of up to 2 s (ext3, HFS+, FAT; older Linux kernels
#: in jiffies). A signature taken within this window of its mtime may hide a same-size rewrite
#: in the same tick, so such "racy" entries are checked against the content until they age out.
RACY_NS = 2_000_000_000
#: The inode stored in SQLite for a racy entry: it never matches, so a restart re-checks it.
_RACY_INO = -1


@dataclass(slots=True)
class Entry:
    """What the index knows of one path."""

    sig: Signature | None  # None: a tombstone (the file was deleted)
    ts: int  # milliseconds since the epoch, UTC
    sha: bytes | None  # content digest when the content was seen, else None
    racy: bool = False  # sig taken too close to its mtime to prove the content unchanged


def signature(st: os.stat_result) -> Signature:
    """The cheap identity of a file version."""
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def is_racy(sig: Signature) -> bool:
    """True when a file with this signature could change without changing the signature."""
    return time.time_ns() - sig[0] < RACY_NS


def digest(data: bytes) -> bytes:
    """A content digest used to tell a real change from a touch."""
    return hashlib.blake2b(data, digest_size=16).digest()


_FMT_CACHE: dict[int, str] = {}


def format_ts(ms: int) -> str:
    """Milliseconds since the epoch as ``YYYY-MM-DD HH:MM:SS.fff`` (UTC)."""
    text = _FMT_CACHE.get(ms)
    if text is None:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}"
        if len(_FMT_CACHE) > 200_000:
            _FMT_CACHE.clear()
        _FMT_CACHE[ms] = text
    return text


def parse_ts(text: str) -> int | None:
    """Parse a client timestamp (quoted or not, ``W/`` allowed, ``T``/``Z`` tolerated) to ms."""
    value = text.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip().strip('"').replace("T", " ").rstrip("Z").strip()
    if not value.isascii():  # digits of other scripts (``³``, ``٣``) are no timestamp
        return None
    date_part, _, frac = value.partition(".")
    try:
        secs = time.strptime(date_part, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if frac and not frac.isdigit():
        return None
    millis = int((frac + "000")[:3]) if frac else 0
    return calendar.timegm(secs) * 1000 + millis


class TsIndex:
    """Path -> (signature, ts, digest), in memory and persisted in SQLite."""

    def __init__(self, db_path: str | None) -> None:
        self._entries: dict[str, Entry] = {}
        self._pending: dict[str, Entry] = {}
        #: callbacks of in-memory derived data (the search corpus), called with the path of
        #: every entry the index changes: own writes and deletes, changes taken in from disk
        self.listeners: list[Callable[[str], None]] = []
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        #: what each file version's header declares (``atelier_api.documents.declared``), kept
        #: so a restart does not read every file's first bytes again: path -> (sig, text)
        self._heads: dict[str, tuple[Signature, str]] = {}
        self._pending_heads: dict[str, tuple[Signature, str] | None] = {}
        if db_path:
            self._open(db_path)

    def _open(self, db_path: str) -> None:
        os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
        db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS ts (path TEXT PRIMARY KEY, mtime INTEGER, size INTEGER,"
            " ino INTEGER, ts INTEGER NOT NULL, sha BLOB)"
        )
        for path, mtime, size, ino, ts, sha in db.execute("SELECT * FROM ts"):
            sig = None if mtime is None else (mtime, size, ino)
            self._entries[path] = Entry(sig, ts, sha)
        db.execute("CREATE TABLE IF NOT EXISTS heads (path TEXT PRIMARY KEY, mtime INTEGER,"
                   " size INTEGER, ino INTEGER, head TEXT NOT NULL)")
        for path, mtime, size, ino, head in db.execute("SELECT * FROM heads"):
            self._heads[path] = ((mtime, size, ino), head)
        self._db = db

    def close(self) -> None:
        """Flush and close the SQLite connection."""
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def ts_of(
        self, path: str, st: os.stat_result, read: Callable[[], bytes] | None = None
    ) -> int:
        """The ts of the file at ``path`` with stat ``st``; ``read`` gives its bytes if needed."""
        sig = signature(st)
        entry = self._entries.get(path)
        if entry is None or entry.sig != sig:
            return self._refresh(path, st, sig, entry, read)
        if entry.racy and read and entry.sha is not None:  # same sig may hide a rewrite
            return self._refresh(path, st, sig, entry, read)
        return entry.ts

    def _refresh(
        self,
        path: str,
        st: os.stat_result,
        sig: Signature,
        entry: Entry | None,
        read: Callable[[], bytes] | None,
    ) -> int:
        mtime_ms = st.st_mtime_ns // 1_000_000
        racy = is_racy(sig)
        seen = entry is not None and entry.sha is not None and entry.sig is not None
        sha = digest(read()) if read and (seen or racy) else None
        if entry is not None and seen and sha == entry.sha:
            # touched (or re-checked), not changed: keep the ts a client may hold
            fresh = Entry(sig, entry.ts, sha, racy)
            if fresh != entry:  # a racy re-check that still matches has nothing to persist
                self._store(path, fresh)
            return entry.ts
        ts = mtime_ms if entry is None else max(mtime_ms, entry.ts + 1)
        self._store(path, Entry(sig, ts, sha, racy))
        return ts

    def settled(self, path: str, sig: Signature) -> int | None:
        """The ts of the version of ``path`` with signature ``sig`` when the index vouches for
        it without reading the content (known signature, not racy now), else None."""
        entry = self._entries.get(path)
        if entry is None or entry.sig != sig or entry.racy or is_racy(sig):
            return None
        return entry.ts

    def record_write(self, path: str, st: os.stat_result, data: bytes, prev_ts: int | None) -> int:
        """Register content the server itself just wrote; returns its new, larger ts."""
        entry = self._entries.get(path)
        floor = max(prev_ts or 0, entry.ts if entry else 0)
        ts = max(st.st_mtime_ns // 1_000_000, floor + 1)
        sig = signature(st)
        self._store(path, Entry(sig, ts, digest(data), is_racy(sig)))
        return ts

    def record_read(self, path: str, st: os.stat_result, data: bytes) -> int:
        """Register content the server read (so a later touch keeps its ts); returns the ts."""
        ts = self.ts_of(path, st, lambda: data)
        entry = self._entries[path]
        if entry.sha is None and entry.sig == signature(st):
            self._store(path, Entry(entry.sig, entry.ts, digest(data), entry.racy))
        return ts

    def record_delete(self, path: str) -> None:
        """Keep a tombstone so a re-created document still gets a larger ts."""
        entry = self._entries.get(path)
        if entry is not None:
            self._store(path, Entry(None, entry.ts, None))

    def refresh(
        self, path: str, st: os.stat_result | None, read: Callable[[], bytes]
    ) -> bool:
        """Take in a change another program made (``st`` None: the file is gone).

        True when the index learnt something (the content changed, appeared or disappeared);
        False when it already knew this version, as for the server's own writes.
        """
        entry = self._entries.get(path)
        if st is None:
            if entry is None or entry.sig is None:
                return False
            self.record_delete(path)
            return True
        if entry is not None and entry.sig == signature(st) and not entry.racy:
            return False
        ts = self.ts_of(path, st, read)
        return entry is None or entry.sig is None or ts != entry.ts

    def live_paths(self, prefix: str = "") -> list[str]:
        """Paths the index holds as existing files (tombstones left out) under a prefix."""
        return [p for p, e in list(self._entries.items())
                if e.sig is not None and p.startswith(prefix)]

    def head_of(self, path: str, sig: Signature) -> str | None:
        """The header text recorded for this version of ``path`` (same signature, not racy
        now), else None."""
        held = self._heads.get(path)
        if held is None or held[0] != sig or is_racy(sig):
            return None
        return held[1]

    def record_head(self, path: str, sig: Signature | None, head: str) -> None:
        """Remember what the header of a file version declares (``sig`` None: forget it)."""
        if sig is None:
            if self._heads.pop(path, None) is not None and self._db is not None:
                with self._lock:
                    self._pending_heads[path] = None
            return
        if self._heads.get(path) == (sig, head):
            return
        self._heads[path] = (sig, head)
        if self._db is not None and not is_racy(sig):
            with self._lock:
                self._pending_heads[path] = (sig, head)

    def _store(self, path: str, entry: Entry) -> None:
        self._entries[path] = entry
        if self._db is not None:
            with self._lock:
                self._pending[path] = entry
        for listener in self.listeners:
            listener(path)

    def flush(self) -> None:
        """Write the changes made since the last flush to SQLite in one transaction."""
        if not self._pending and not self._pending_heads:
            return
        with self._lock:
            pending, self._pending = self._pending, {}
            heads, self._pending_heads = self._pending_heads, {}
            if self._db is None:
                return
            gone = [(path,) for path, held in heads.items() if held is None]
            kept = [(path, *held[0], held[1]) for path, held in heads.items() if held is not None]
            rows = []
            for path, e in pending.items():
                mtime, size, ino = e.sig if e.sig else (None, None, None)
                ino = _RACY_INO if e.racy else ino
                rows.append((path, mtime, size, ino, e.ts, e.sha))
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO ts VALUES (?,?,?,?,?,?)", rows)
                self._db.executemany("DELETE FROM heads WHERE path = ?", gone)
                self._db.executemany("INSERT OR REPLACE INTO heads VALUES (?,?,?,?,?)", kept)
