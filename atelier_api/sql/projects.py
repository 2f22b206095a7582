"""Studio projects (%Studio.Project, %Studio.ProjectItem) kept in one SQLite file per
namespace, and the ``%Studio.Project_ProjectItemsList`` class query over them.

ProjectItemsList(project[, showAll]) has the columns ID, Name, Type, Package (the VS Code
extension reads all four): the items of the project, then the classes of its package items
(Type CLS, Package the package item that holds them), and with showAll the files of its web
folder items (Type CSP). Package is NULL on an item of the project itself, so a client tells
a class item (which may be gone) from a class a package item holds (which exists). The
extension reads the classes of package items from the query without showAll (the classes of
a project's package folder, its unit tests, its symbols, the flat listing of a project
folder).

Projects are user data, not derived state: the file lives in the state folder beside the
derived folder (a reset of derived state keeps it).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

from atelier_api.documents.store import DocumentStore
from atelier_api.sql.opendialog import Names, snapshot_of

DDL = [
    """CREATE TABLE IF NOT EXISTS Project (
        Name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        ID TEXT GENERATED ALWAYS AS (Name) VIRTUAL,
        Description TEXT DEFAULT '',
        LastModified TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))""",
    """CREATE TABLE IF NOT EXISTS ProjectItem (
        Project TEXT NOT NULL COLLATE NOCASE,
        Name TEXT NOT NULL,
        Type TEXT NOT NULL DEFAULT '',
        ID TEXT GENERATED ALWAYS AS (Project || '||' || Name || '||' || Type) VIRTUAL,
        UNIQUE (Project, Name, Type))""",
    """CREATE TRIGGER IF NOT EXISTS ProjectGone AFTER DELETE ON Project BEGIN
        DELETE FROM ProjectItem WHERE Project = old.Name; END""",
]
ITEM_COLUMNS = [("ID", "TEXT"), ("Name", "TEXT"), ("Type", "TEXT"), ("Package", "TEXT")]


def open_projects(path: str) -> str:
    """Create the projects file when missing; returns its path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        for statement in DDL:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    return path


def project_items(conn: sqlite3.Connection, store: DocumentStore, args: list[Any],
                  check: Callable[[], None] = lambda: None) -> list[tuple[Any, ...]]:
    """Rows of ProjectItemsList(project[, showAll]): the items, then the classes of the
    package items (Package set), and with showAll the files of the web folder items.
    ``check`` raises when the statement's budget is spent (called once per item)."""
    project = str(args[0]) if args and args[0] is not None else ""
    show_all = len(args) > 1 and str(args[1]) not in ("", "0", "None")
    items = conn.execute("SELECT ID, Name, Type, Project FROM proj.ProjectItem WHERE Project = ?"
                         " ORDER BY Name", (project,)).fetchall()
    out: list[tuple[Any, ...]] = [(r[0], r[1], r[2], None) for r in items]
    seen = {(r[1].lower(), r[2]) for r in out}
    docs: Names | None = None
    for _id, name, kind, proj in items:
        check()
        if kind != "PKG" and not (kind == "DIR" and show_all):
            continue
        # the statement's snapshot of the namespace: its names are read once per statement
        docs = snapshot_of(store).documents if docs is None else docs
        package = name if kind == "PKG" else None
        for extra in _expand(docs, name, kind):
            if (extra[0].lower(), extra[1]) not in seen:
                seen.add((extra[0].lower(), extra[1]))
                out.append((f"{proj}||{extra[0]}||{extra[1]}", extra[0], extra[1], package))
    return out


def project_documents(path: str, store: DocumentStore, project: str) -> list[str]:
    """The document names of a project (a ``/work`` search in a project folder): its class,
    routine and web file items, the classes of its packages and the files of its web
    folders, named as documents are (``Pkg.A.cls``, ``R.mac``, ``/csp/user/x.js``)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS proj", (f"file:{path}?mode=ro",))
        rows = project_items(conn, store, [project, 1])
    finally:
        conn.close()
    names: list[str] = []
    for _id, name, kind, _package in rows:
        if kind in ("PKG", "DIR"):
            continue    # expanded into their classes and files
        if kind == "CLS":
            names.append(f"{name}.cls")
        elif kind == "CSP":
            names.append("/" + name.lstrip("/"))
        else:
            names.append(name)
    return list(dict.fromkeys(names))


def _expand(docs: Names, name: str, kind: str) -> list[tuple[str, str]]:
    """The classes of a package item (``Pkg.`` and below) or the files of a web folder item,
    by document name."""
    out = []
    prefix = name.lower().strip("/") + ("." if kind == "PKG" else "/")
    found = [docs.docs[n] for n in docs.select([prefix if kind == "PKG" else "/" + prefix])]
    for doc in sorted(found, key=lambda d: d.name):
        if kind == "PKG" and doc.ext == "cls" and doc.base.lower().startswith(prefix):
            out.append((doc.base, "CLS"))
        elif kind == "DIR" and doc.is_web and doc.name[1:].lower().startswith(prefix):
            out.append((doc.name[1:], "CSP"))
    return out
