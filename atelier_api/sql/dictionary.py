"""The class dictionary of a namespace: %Dictionary tables in SQLite, derived from the class
texts of the workspace and kept current by comparing each class's ``ts`` before a query.

The file lives under the namespace's derived folder; deleting it loses nothing (the next
query rebuilds it). Compiled* tables hold every class's own and inherited members, walking
supers left to right (members of the class itself win, then the first super's, ...), and
CompiledClass what the compile of a class resolves: its primary super chain (PrimarySuper),
its ClassType (its own, else its primary super's), its imports and include files with those
of all its supers (Importall, IncludeCodeAll, as $LISTs).

The compiler adapter's system classes (``atelier_api.adapters.system_library``) are in the
tables too, as in every IRIS namespace, read from their signature texts: ``System`` as their
text says and ``Deployed`` 1 (only the signatures are there, so clients treat them as
read-only). A workspace class of the same name replaces the system one. Their ``_sources``
key is their ts and digest, so a new library version reloads them.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from typing import Any

from atelier_api.adapters.system_library import SystemLibrary, bound
from atelier_api.documents.store import DocumentStore, ListQuery
from atelier_api.documents.udlscan import scan
from atelier_api.errors import AtelierError
from atelier_api.sql.dictschema import (
    COMPILED_DEFAULTS,
    COMPILED_ONLY,
    COMPILED_TABLES,
    INTEGER,
    MEMBER_TABLES,
    Row,
    class_row,
    columns_of,
    member_rows,
)
from atelier_api.sql.functions import LIST_MARK

log = logging.getLogger(__name__)
SCHEMA_VERSION = "5"
#: The ``_sources`` key of a system class starts with this (a workspace class's is its ts).
SYSTEM_KEY = "system:"
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
        for table in (*TABLES, *COMPILED_TABLES):
            cols = columns_of(table)
            self._conn.execute(_ddl(table, cols))
            # the look-ups the IDE's statements make per row (a class by ID, a class's
            # members by parent) are index searches, not scans of every class
            for key in ("ID", "parent"):
                if key in cols:
                    self._conn.execute(f'CREATE INDEX "{table}_{key}" ON "{table}" ("{key}")')
        self._conn.execute("CREATE TABLE _sources (name TEXT PRIMARY KEY, ts TEXT)")
        self._conn.execute("CREATE TABLE _meta (v TEXT)")
        self._conn.execute("INSERT INTO _meta VALUES (?)", (SCHEMA_VERSION,))

    def sync(self) -> None:
        """Bring the tables up to date with the workspace's classes and the system classes
        (cheap when unchanged)."""
        with self._lock:
            self._sync()

    def _sync(self) -> None:
        current = {i.name: i.ts for i in self.store.list(ListQuery(cats=frozenset({"CLS"})))}
        library = bound(self.store)
        offered = {d.name: f"{SYSTEM_KEY}{d.ts}#{d.digest}" for d in library.entries()
                   if d.name.endswith(".cls")}
        system = {n: k for n, k in offered.items() if n not in current}
        wanted = {**system, **current}
        known = dict(self._conn.execute("SELECT name, ts FROM _sources").fetchall())
        changed = [n for n, ts in wanted.items() if known.get(n) != ts]
        gone = [n for n in known if n not in wanted]
        if not changed and not gone and not self._dirty:
            return
        # a system class, or a workspace class in its place, changed: every class may
        # inherit differently; else only the workspace's classes are rebuilt
        was_system = {n for n, k in known.items() if k.startswith(SYSTEM_KEY)}
        touched = (*changed, *gone)
        full = any(n in offered or n in was_system for n in touched) or bool(
            {n[:-4].lower() for n in touched} & self._outside_supers())
        library.read_all(n for n in changed if n in system)
        self._conn.execute("BEGIN")
        try:
            for name in gone:
                self._drop(name)
            batch: dict[str, list[Row]] = {}
            for name in changed:
                if name in known:
                    self._drop(name)
                self._load(name, wanted[name], batch)
            for table, rows in batch.items():
                _insert(self._conn, table, rows)
            self._build_compiled(full, system if len(system) == len(offered) else None)
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

    def _load(self, docname: str, key: str, batch: dict[str, list[Row]]) -> None:
        """Read one class into ``batch`` (table -> rows): from the workspace, or (``key`` of
        a system class) from the adapter's system library."""
        if key.startswith(SYSTEM_KEY):
            rows = _system_rows(docname, key, bound(self.store))
        else:
            try:
                lines = self.store.get(docname).content
            except AtelierError:
                return
            rows = _class_rows(docname, lines if isinstance(lines, list) else [], key)
        self._conn.execute("INSERT INTO _sources VALUES (?, ?)", (docname, key))
        for table, table_rows in rows.items():
            batch.setdefault(table, []).extend(table_rows)

    def _system_names(self) -> set[str]:
        """The system classes in the tables (without ``.cls``)."""
        return {r[0][:-4] for r in self._conn.execute(
            "SELECT name FROM _sources WHERE ts LIKE ?", (SYSTEM_KEY + "%",))}

    def _outside_supers(self) -> set[str]:
        """The supers (lower case, full names) of system classes that are no system class:
        a workspace class of such a name changes what system classes inherit."""
        names = self._system_names()
        rows = {r["Name"]: r for r in _rows(self._conn, "ClassDefinition") if r["Name"] in names}
        return _outside(rows, {n.lower() for n in names})

    def _build_compiled(self, full: bool = True, system: dict[str, str] | None = None) -> None:
        """Rebuild the Compiled* rows: of every class (``full``), else of the workspace's
        classes only (the system classes' rows stay). ``system``: the system classes' keys
        when no workspace class stands in for one (their rows then depend on the library
        alone and are computed once per process)."""
        classes = {r["Name"]: r for r in _rows(self._conn, "ClassDefinition")}
        lower = {n.lower(): n for n in classes}
        sys_names = self._system_names()
        targets = list(classes) if full else [n for n in classes if n not in sys_names]
        if system is not None and _outside(
                {n: classes[n] for n in sys_names if n in classes},
                {n.lower() for n in sys_names}) & set(lower):
            system = None  # a system class inherits from a workspace class: no shared rows
        # the members a rebuild of the workspace's classes reads: those of their supers
        needed = None if full else sorted({o for n in targets for o in _mro(n, classes, lower)})
        for compiled, source in COMPILED_TABLES.items():
            column = "Name" if source == "ClassDefinition" else "parent"
            if full:
                self._conn.execute(f"DELETE FROM {compiled}")
            else:
                self._conn.execute(
                    f"DELETE FROM {compiled} WHERE {column} NOT IN (SELECT substr(name, 1, "
                    "length(name) - 4) FROM _sources WHERE ts LIKE ?)", (SYSTEM_KEY + "%",))
            if source == "ClassDefinition":
                _insert(self._conn, compiled,
                        [_compiled_class(n, classes, lower) for n in targets])
                continue
            members: dict[str, list[Row]] = {}
            for row in (_rows(self._conn, source) if needed is None
                        else _rows_of(self._conn, source, needed)):
                members.setdefault(row["parent"], []).append(row)
            signature = tuple(sorted(system.items())) if full and system else None
            with _MEMO_LOCK:
                held = _COMPILED.get(compiled)
            cached = held[1] if held is not None and held[0] == signature else None
            rows: list[Row] = list(cached) if cached is not None else []
            extra = (COMPILED_ONLY.get(compiled, {}), COMPILED_DEFAULTS.get(compiled, {}))
            for name in targets:
                if cached is None or name not in sys_names:
                    rows.extend(_inherited(name, classes, lower, members, extra))
            if signature is not None and cached is None:
                with _MEMO_LOCK:
                    _COMPILED[compiled] = (signature,
                                           [r for r in rows if r["parent"] in sys_names])
            _insert(self._conn, compiled, rows)

    def connection_path(self) -> str:
        """The SQLite file to attach read-only."""
        return self.path

    def close(self) -> None:
        """Close the writer connection."""
        with self._lock:
            self._conn.close()


#: The rows of system classes depend on their text alone (its ts and digest are in the key),
#: and their Compiled* rows on the whole system library when no workspace class stands in for
#: one: both are computed once per process, not once per namespace or app.
_SYSTEM_ROWS: dict[tuple[str, str], dict[str, list[Row]]] = {}
_COMPILED: dict[str, tuple[tuple[tuple[str, str], ...], list[Row]]] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_LIMIT = 20_000


def _class_rows(docname: str, lines: list[str], ts: str, *, system: bool = False
                ) -> dict[str, list[Row]]:
    """table -> rows of one class text (none when it is not the class its name says)."""
    info = scan(lines)
    if info is None or info.name.lower() != docname[:-4].lower():
        return {}
    row = class_row(info, ts)
    if system:  # signatures only, no implementation: read-only, like a deployed class
        row["Deployed"] = max(1, int(row["Deployed"] or 0))
    return {"ClassDefinition": [row], **member_rows(info)}


def _system_rows(docname: str, key: str, library: SystemLibrary) -> dict[str, list[Row]]:
    """The rows of a system class (computed once per process for each text)."""
    with _MEMO_LOCK:
        held = _SYSTEM_ROWS.get((docname, key))
    if held is not None:
        return held
    doc = library.read(docname)
    if doc is None or doc.lines is None:
        return {}
    rows = _class_rows(docname, list(doc.lines), doc.ts, system=True)
    with _MEMO_LOCK:
        if len(_SYSTEM_ROWS) >= _MEMO_LIMIT:
            _SYSTEM_ROWS.clear()
        _SYSTEM_ROWS[(docname, key)] = rows
    return rows


def _outside(system_rows: dict[str, Row], system_lower: set[str]) -> set[str]:
    """The supers (lower case, full names) of these system classes that are no system class."""
    return {_full(sup).lower() for row in system_rows.values()
            for sup in _supers(row)} - system_lower


def _inherited(name: str, classes: dict[str, Row], lower: dict[str, str],
               members: dict[str, list[Row]],
               extra: tuple[dict[str, Any], dict[str, Any]]) -> list[Row]:
    """A class's members with the inherited ones (first definition in MRO order wins).
    ``extra``: the values of the columns only the Compiled* table has, and what the compile
    puts in a column the definition leaves NULL."""
    only, defaults = extra
    out: dict[str, Row] = {}
    for origin in _mro(name, classes, lower):
        for row in members.get(origin, []):
            key = row["Name"].lower()
            if key not in out:
                new = {**row, **only, "ID": f"{name}||{row['Name']}", "parent": name,
                       "Origin": origin}
                for column, value in defaults.items():
                    if new[column] is None:
                        new[column] = value
                out[key] = new
    return list(out.values())


def _compiled_class(name: str, classes: dict[str, Row], lower: dict[str, str]) -> Row:
    """The CompiledClass row of a class: its definition with what the compile resolves."""
    row = dict(classes[name])
    chain = _primary_chain(name, classes, lower)
    row["PrimarySuper"] = "~" + "~".join(chain) + "~"
    if row["ClassType"] is None:
        row["ClassType"] = next((classes[c]["ClassType"] for c in chain[1:]
                                 if c in classes and classes[c]["ClassType"]), None)
    # the imports and include files of every super come first, then the class's own
    order = list(reversed(_mro(name, classes, lower)))
    row["Importall"] = _list_value(_items(classes, order, "Import"))
    row["IncludeCodeAll"] = _list_value(_items(classes, order, "IncludeCode"))
    return row


def _primary_chain(name: str, classes: dict[str, Row], lower: dict[str, str]) -> list[str]:
    """The class and its primary (first) supers, each by its full name; a super that is not
    in the tables ends the chain."""
    chain = [name]
    current: str | None = name
    while current is not None:
        supers = _supers(classes[current])
        if not supers:
            break
        full = _full(supers[0])
        current = lower.get(full.lower())
        if current is not None and current in chain:
            break
        chain.append(current or full)
    return chain


def _items(classes: dict[str, Row], order: list[str], column: str) -> list[str]:
    """The comma-list values of ``column`` of these classes, each item once, in order."""
    out: list[str] = []
    for name in order:
        for item in (classes[name][column] or "").split(","):
            if item.strip() and item.strip() not in out:
                out.append(item.strip())
    return out


def _list_value(items: list[str]) -> str | None:
    """A $LIST value as the SQL functions carry it (NULL when empty, as IRIS's "")."""
    return LIST_MARK + json.dumps(items) if items else None


def _supers(row: Row) -> list[str]:
    """The supers a class row names (none: NULL Super)."""
    return [s.strip() for s in (row["Super"] or "").split(",") if s.strip()]


def _mro(name: str, classes: dict[str, Row], lower: dict[str, str]) -> list[str]:
    order: list[str] = []
    stack = [name]
    while stack:
        current = lower.get(_full(stack.pop(0)).lower())
        if current is None or current in order:
            continue
        order.append(current)
        stack = _supers(classes[current]) + stack
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


def _rows_of(conn: sqlite3.Connection, table: str, parents: list[str]) -> list[dict[str, Any]]:
    """The rows of a member table whose parent is one of ``parents``."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(parents), 500):
        part = parents[start:start + 500]
        cur = conn.execute(f'SELECT * FROM "{table}" WHERE parent IN '
                           f'({", ".join("?" for _ in part)})', part)
        names = [d[0] for d in cur.description]
        out.extend(dict(zip(names, r, strict=True)) for r in cur.fetchall())
    return out


def _rows(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cur = conn.execute(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def open_dictionary(path: str, store: DocumentStore) -> ClassDictionary:
    """Open (or create) a namespace's dictionary."""
    return ClassDictionary(path, store)

