"""Compile state of one namespace, kept in SQLite under the state folder (derived state).

Two things survive restarts here: which text of each source document compiled last (its
``ts`` and a content digest: the document is up to date, ``upd``, while its current text is
that one) and the documents compiles generated (``Pkg.Cls.1.int``, ``R.int`` from ``R.mac``),
which are never written into the client's workspace. A generated document is visible only
while its source exists; one whose source went away is removed the first time it is looked at.
Deleting the database loses nothing a compile cannot rebuild.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
Statement = tuple[str, Sequence[tuple[object, ...]]]  # SQL and its parameter rows
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS compiled (name TEXT PRIMARY KEY, ts INTEGER NOT NULL, "
    "sha BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS generated (name TEXT PRIMARY KEY, source TEXT NOT NULL, "
    "ts INTEGER NOT NULL, text TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Generated:
    """A generated document: its name, the source it came from, its ts (ms) and text."""

    name: str
    source: str
    ts: int
    text: str

    @property
    def lines(self) -> list[str]:
        """The text as lines (a final '' means a final newline)."""
        return self.text.split("\n")


@dataclass
class Changes:
    """What one compile changes, applied in one transaction.

    ``compiled``: (source name, ts, digest) of texts that compiled; ``forgotten``: sources
    that failed (no longer up to date); ``generated``: per source, the complete new set of
    (generated name, lines) — an empty set removes them.
    """

    compiled: list[tuple[str, int, bytes]] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    generated: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)


class CompiledCatalog:
    """Up-to-date state and generated documents of one namespace, in memory and in SQLite."""

    def __init__(self, db_path: str | None) -> None:
        self._lock = threading.RLock()
        self._compiled: dict[str, tuple[int, bytes]] = {}
        self._generated: dict[str, Generated] = {}
        self._db: sqlite3.Connection | None = None
        self._exists: Callable[[str], bool] = lambda _name: True
        if db_path:
            self._db = _open(db_path)
            self._load()

    def bind(self, exists: Callable[[str], bool]) -> None:
        """Tell the catalog how to check that a source document still exists."""
        self._exists = exists

    def _load(self) -> None:
        assert self._db is not None
        for name, ts, sha in self._db.execute("SELECT name, ts, sha FROM compiled"):
            self._compiled[name] = (ts, bytes(sha))
        for name, source, ts, text in self._db.execute(
                "SELECT name, source, ts, text FROM generated"):
            self._generated[name] = Generated(name, source, ts, text)

    def close(self) -> None:
        """Close the SQLite connection (everything is already written)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- up to date ---------------------------------------------------------------------------
    def is_current(self, name: str, ts: int, sha: bytes | None = None) -> bool:
        """True when the text ``name`` has now (``ts``, and ``sha`` when known) compiled last."""
        found = self._compiled.get(name)
        if found is None or found[0] != ts:
            gen = self._generated.get(name)
            return gen is not None and gen.ts == ts
        return sha is None or found[1] == sha

    # -- generated documents ------------------------------------------------------------------
    def generated(self, name: str) -> Generated | None:
        """The generated document ``name`` while its source exists (else it is removed)."""
        gen = self._generated.get(name)
        if gen is None:
            return None
        if not self._exists(gen.source):
            self.drop_source(gen.source)
            return None
        return gen

    def generated_docs(self) -> list[Generated]:
        """Every generated document whose source exists (the others are removed)."""
        with self._lock:
            docs = list(self._generated.values())
        alive: dict[str, bool] = {}
        out = []
        for gen in docs:
            if gen.source not in alive:
                alive[gen.source] = self._exists(gen.source)
            if alive[gen.source]:
                out.append(gen)
        for source, exists in alive.items():
            if not exists:
                self.drop_source(source)
        return out

    def generated_from(self, source: str) -> list[str]:
        """Names of the documents generated from ``source``."""
        with self._lock:
            return sorted(g.name for g in self._generated.values() if g.source == source)

    def drop_generated(self, name: str) -> bool:
        """Remove one generated document; False when there is none of that name."""
        with self._lock:
            if self._generated.pop(name, None) is None:
                return False
            self._write([("DELETE FROM generated WHERE name = ?", [(name,)])])
            return True

    def drop_source(self, source: str) -> None:
        """Forget a source that went away: its up-to-date state and generated documents."""
        with self._lock:
            names = [g.name for g in self._generated.values() if g.source == source]
            for name in names:
                del self._generated[name]
            self._compiled.pop(source, None)
            self._write([("DELETE FROM generated WHERE source = ?", [(source,)]),
                         ("DELETE FROM compiled WHERE name = ?", [(source,)])])
        if names:
            log.info("removed %d generated documents of %s (source gone)", len(names), source)

    # -- one compile's changes ------------------------------------------------------------------
    def apply(self, changes: Changes) -> None:
        """Record a compile's results in one transaction."""
        with self._lock:
            statements: list[Statement] = [("INSERT OR REPLACE INTO compiled VALUES (?,?,?)",
                                            list(changes.compiled))]
            for name, ts, sha in changes.compiled:
                self._compiled[name] = (ts, sha)
            for name in changes.forgotten:
                self._compiled.pop(name, None)
            statements.append(("DELETE FROM compiled WHERE name = ?",
                               [(n,) for n in changes.forgotten]))
            for source, docs in changes.generated.items():
                statements += self._replace_set(source, docs)
            self._write(statements)

    def _replace_set(self, source: str, docs: list[tuple[str, tuple[str, ...]]]
                     ) -> list[Statement]:
        """Replace the generated set of ``source`` in memory; return the SQL to persist it."""
        keep = {name for name, _ in docs}
        gone = [g.name for g in self._generated.values() if g.source == source
                and g.name not in keep]
        for name in gone:
            del self._generated[name]
        rows: list[tuple[object, ...]] = []
        now = int(time.time() * 1000)
        for name, lines in docs:
            text = "\n".join(lines)
            old = self._generated.get(name)
            if old is not None and old.text == text and old.source == source:
                continue  # unchanged text keeps its ts
            ts = now if old is None else max(now, old.ts + 1)
            self._generated[name] = Generated(name, source, ts, text)
            rows.append((name, source, ts, text))
        return [("DELETE FROM generated WHERE name = ?", [(n,) for n in gone]),
                ("INSERT OR REPLACE INTO generated VALUES (?,?,?,?)", rows)]

    def _write(self, statements: list[Statement]) -> None:
        """Run statements in one transaction (caller holds the lock)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                for sql, rows in statements:
                    if rows:
                        self._db.executemany(sql, rows)
        except sqlite3.Error:  # derived state: the memory copy stays right for this run
            log.exception("could not persist the compile state")


def _open(db_path: str) -> sqlite3.Connection:
    """Open (or recreate, when unreadable) the catalog database."""
    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
    for attempt in (1, 2):
        db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for sql in _SCHEMA:
                db.execute(sql)
            db.execute("SELECT count(*) FROM compiled").fetchone()
            return db
        except sqlite3.DatabaseError:
            db.close()
            if attempt == 2:
                raise
            log.warning("compile state %s is unreadable; starting it afresh", db_path)
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(db_path + suffix)
    raise AssertionError("unreachable")
