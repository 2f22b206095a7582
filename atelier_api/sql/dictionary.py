"""The class dictionary of a namespace: %Dictionary tables in SQLite, derived from the class
texts of the workspace and kept current by comparing each class's ``ts`` before a query.

The file lives under the namespace's derived folder; deleting it loses nothing (the next
query rebuilds it). Compiled* tables hold every class's own and inherited members, walking
supers left to right (members of the class itself win, then the first super's, ...).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from typing import Any

from atelier_api.documents.store import DocumentStore, ListQuery
from atelier_api.documents.udlscan import scan
from atelier_api.errors import AtelierError
from atelier_api.sql.dictschema import (
    COMPILED_TABLES,
    INTEGER,
    MEMBER_TABLES,
    Row,
    class_row,
    columns_of,
    member_rows,
)

log = logging.getLogger(__name__)
SCHEMA_VERSION = "3"
TABLES = ["ClassDefinition", *MEMBER_TABLES]


class ClassDictionary:
    """%Dictionary.* of one namespace in one SQLite file."""

    def __init__(self, path: str, store: DocumentStore) -> None:
        self.path = path
        self.store = store
        self._lock = threading.Lock()
        self._dirty = True
        self._conn = self._open()
        store.listeners.append(self._changed)

    def _open(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        self._conn = conn
        self._create()
        return conn

    def ensure(self) -> None:
        """Recreate the file when derived state was deleted under a running server."""
        if os.path.exists(self.path):
            return
        with self._lock:
            if not os.path.exists(self.path):
                self._conn.close()
                self._open()
                self._dirty = True

    def _changed(self, _paths: list[str]) -> None:
        self._dirty = True

    def mark_dirty(self) -> None:
        """Something changed (save, delete, compile): the next sync re-reads the sources."""
        self._dirty = True

    def _create(self) -> None:
        have = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='_meta'").fetchone()
        if have and self._conn.execute("SELECT v FROM _meta").fetchone() == (SCHEMA_VERSION,):
            return
        names = [r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")]
        for name in names:
            self._conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        for table in TABLES:
            self._conn.execute(_ddl(table, columns_of(table)))
        for compiled, source in COMPILED_TABLES.items():
            self._conn.execute(_ddl(compiled, columns_of(source)))
        self._conn.execute("CREATE TABLE _sources (name TEXT PRIMARY KEY, ts TEXT)")
        self._conn.execute("CREATE TABLE _meta (v TEXT)")
        self._conn.execute("INSERT INTO _meta VALUES (?)", (SCHEMA_VERSION,))

    def sync(self) -> None:
        """Bring the tables up to date with the workspace's classes (cheap when unchanged)."""
        with self._lock:
            current = {i.name: i.ts for i in self.store.list(ListQuery(cats=frozenset({"CLS"})))}
            known = dict(self._conn.execute("SELECT name, ts FROM _sources").fetchall())
            changed = [n for n, ts in current.items() if known.get(n) != ts]
            gone = [n for n in known if n not in current]
            if not changed and not gone and not self._dirty:
                return
            self._conn.execute("BEGIN")
            try:
                for name in gone:
                    self._drop(name)
                for name in changed:
                    self._load(name, current[name])
                self._build_compiled()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._dirty = False

    def _drop(self, docname: str) -> None:
        cls = docname[:-4]
        self._conn.execute("DELETE FROM ClassDefinition WHERE Name = ?", (cls,))
        for table in MEMBER_TABLES:
            self._conn.execute(f"DELETE FROM {table} WHERE parent = ?", (cls,))
        self._conn.execute("DELETE FROM _sources WHERE name = ?", (docname,))

    def _load(self, docname: str, ts: str) -> None:
        self._drop(docname)
        try:
            lines = self.store.get(docname).content
        except AtelierError:
            return
        info = scan(lines if isinstance(lines, list) else [])
        self._conn.execute("INSERT INTO _sources VALUES (?, ?)", (docname, ts))
        if info is None or info.name.lower() != docname[:-4].lower():
            return
        _insert(self._conn, "ClassDefinition", [class_row(info, ts)])
        for table, rows in member_rows(info).items():
            _insert(self._conn, table, rows)

    def _build_compiled(self) -> None:
        classes = {r["Name"]: r for r in _rows(self._conn, "ClassDefinition")}
        lower = {n.lower(): n for n in classes}
        for compiled, source in COMPILED_TABLES.items():
            self._conn.execute(f"DELETE FROM {compiled}")
            if source == "ClassDefinition":
                _insert(self._conn, compiled, list(classes.values()))
                continue
            members: dict[str, list[Row]] = {}
            for row in _rows(self._conn, source):
                members.setdefault(row["parent"], []).append(row)
            for name in classes:
                _insert(self._conn, compiled, _inherited(name, classes, lower, members))

    def connection_path(self) -> str:
        """The SQLite file to attach read-only."""
        return self.path

    def close(self) -> None:
        """Close the writer connection."""
        with self._lock:
            self._conn.close()


def _inherited(name: str, classes: dict[str, Row], lower: dict[str, str],
               members: dict[str, list[Row]]) -> list[Row]:
    """A class's members with the inherited ones (first definition in MRO order wins)."""
    out: dict[str, Row] = {}
    for origin in _mro(name, classes, lower):
        for row in members.get(origin, []):
            key = row["Name"].lower()
            if key not in out:
                out[key] = dict(row, ID=f"{name}||{row['Name']}", parent=name, Origin=origin)
    return list(out.values())


def _mro(name: str, classes: dict[str, Row], lower: dict[str, str]) -> list[str]:
    order: list[str] = []
    stack = [name]
    while stack:
        current = lower.get(_full(stack.pop(0)).lower())
        if current is None or current in order:
            continue
        order.append(current)
        supers = [s for s in classes[current]["Super"].split(",") if s]
        stack = supers + stack
    return order


def _full(name: str) -> str:
    """``%Persistent`` -> ``%Library.Persistent`` (the IRIS short form of %Library)."""
    if name.startswith("%") and "." not in name:
        return "%Library." + name[1:]
    return name


def _ddl(table: str, cols: list[str]) -> str:
    defs = ", ".join(f'"{c}" {"INTEGER" if c in INTEGER else "TEXT"}' for c in cols)
    return f'CREATE TABLE "{table}" ({defs})'


def _insert(conn: sqlite3.Connection, table: str, rows: list[Row]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    marks = ", ".join("?" for _ in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                     [tuple(r[c] for c in cols) for r in rows])


def _rows(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cur = conn.execute(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def open_dictionary(path: str, store: DocumentStore) -> ClassDictionary:
    """Open (or create) a namespace's dictionary."""
    return ClassDictionary(path, store)

