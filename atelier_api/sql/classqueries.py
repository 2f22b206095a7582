"""The IRIS class queries and class methods a statement may call, answered locally.

Table-valued: ``Schema.Class_Query(args)`` in FROM, each with its columns (known before it
runs: a call whose arguments name other tables' columns runs once per row,
``atelier_api.sql.lateral``). Scalar: ``Schema.Class_Method(args)`` in an expression. This
server has no source-control hooks, so the %Atelier_v1_Utils queries answer "nothing to do"
(empty rows, Enabled 0), never an error; ``Extension_GetStatus`` says a system document of
the compiler adapter (one the workspace does not shadow) is not editable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.system_library import bound
from atelier_api.documents.names import OTHER_EXTS
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import InvalidName
from atelier_api.sql.budget import Budget, SqlLimits
from atelier_api.sql.dictionary import ClassDictionary
from atelier_api.sql.opendialog import COLUMNS as DIALOG_COLUMNS
from atelier_api.sql.opendialog import studio_open_dialog
from atelier_api.sql.projects import ITEM_COLUMNS, project_items

Columns = list[tuple[str, str]]
SYSTEM_MODE_GLOBAL = '^%SYS("SystemMode")'


@dataclass
class Context:
    """What a class query may read: the namespace's store, dictionary and connection."""

    store: DocumentStore
    dictionary: ClassDictionary
    conn: sqlite3.Connection
    system_mode: str = ""
    notes: list[str] = field(default_factory=list)
    #: the statement's budget (time, memory, sizes)
    budget: Budget = field(default_factory=lambda: Budget(SqlLimits()))


@dataclass(frozen=True)
class TableResult:
    """Rows of a class query, and an SQL condition (text) the engine applies to them."""

    columns: Columns
    rows: list[tuple[Any, ...]]
    condition: str = ""


_TYPE_COLUMNS = [("Extention", "TEXT"), ("Description", "TEXT"), ("EditorClass", "TEXT")]
_MENU_COLUMNS = [("id", "TEXT"), ("name", "TEXT"), ("type", "TEXT"), ("items", "TEXT")]
_TEMPLATE_COLUMNS = [("id", "TEXT"), ("name", "TEXT"), ("type", "TEXT"),
                     ("description", "TEXT"), ("Url", "TEXT")]
_JOB_COLUMNS = [("Job", "TEXT"), ("ConfigName", "TEXT"), ("Status", "TEXT"), ("State", "TEXT")]
_RESOURCE_COLUMNS = [("Name", "TEXT"), ("Description", "TEXT"), ("PublicPermission", "TEXT"),
                     ("Type", "TEXT"), ("ResourceType", "TEXT")]


def _dialog(ctx: Context, args: list[Any]) -> TableResult:
    rows, condition = studio_open_dialog(ctx.store, args, bound(ctx.store))
    return TableResult(DIALOG_COLUMNS, rows, condition)


def _document_types(ctx: Context, args: list[Any]) -> TableResult:
    rows = [(ext.upper(), f"{ext.upper()} document", "") for ext in sorted(OTHER_EXTS)]
    return TableResult(_TYPE_COLUMNS, rows)


def _global_get(ctx: Context, args: list[Any]) -> TableResult:
    ref = str(args[1]) if len(args) > 1 and args[1] is not None else ""
    rows = []
    if ref.replace(" ", "") == SYSTEM_MODE_GLOBAL and ctx.system_mode:
        rows.append((ref, ctx.system_mode))
    return TableResult([("Name", "TEXT"), ("Value", "TEXT")], rows)


def _empty(columns: Columns) -> Callable[[Context, list[Any]], TableResult]:
    def query(ctx: Context, args: list[Any]) -> TableResult:
        return TableResult(columns, [])
    return query


USER_ACTION = [("action", "INTEGER"), ("target", "TEXT"), ("message", "TEXT"),
               ("reload", "INTEGER"), ("doc", "TEXT"), ("errorText", "TEXT")]
STATUS_COLUMNS = [("name", "TEXT"), ("inSourceControl", "INTEGER"), ("editable", "INTEGER"),
                  ("isCheckedOut", "INTEGER"), ("checkedOutBy", "TEXT")]


def _get_status(ctx: Context, args: list[Any]) -> TableResult:
    """No source control: every document is editable and not checked out, but for the
    system documents (read-only). The argument is one name or a comma list (the import of
    several documents asks at once): one row per document."""
    first = str(args[0]) if args and args[0] not in (None, "") else ""
    names = [n.strip() for n in first.split(",") if n.strip()]
    return TableResult(STATUS_COLUMNS, [(n, 0, int(not _is_system(ctx, n)), 0, "")
                                        for n in dict.fromkeys(names)])


def _is_system(ctx: Context, name: str) -> bool:
    """True for a system document that no workspace document of the same name shadows."""
    library = bound(ctx.store)
    if library.find(name) is None:
        return False
    try:
        return not ctx.store.exists(ctx.store.locate(name))
    except InvalidName:
        return False


def _subclass_of(ctx: Context, args: list[Any]) -> TableResult:
    sup = str(args[0]) if args and args[0] is not None else ""
    initial = str(args[1]) if len(args) > 1 and args[1] is not None else ""
    with ctx.budget.exempt():
        ctx.dictionary.sync()
    rows = ctx.conn.execute(
        "SELECT DISTINCT c.Name FROM dict.CompiledClass c WHERE c.Name <> ? AND "
        "EXISTS (SELECT 1 FROM dict.ClassDefinition d WHERE d.Name = c.Name) AND ? <> ''",
        (sup, sup)).fetchall()
    names = []
    for (name,) in rows:
        ctx.budget.check()  # one short query per class: the progress handler never runs
        if name > initial and _extends(ctx, name, sup):
            names.append(name)
    return TableResult([("Name", "TEXT")], [(n,) for n in sorted(names)])


def _extends(ctx: Context, name: str, sup: str) -> bool:
    """True when ``name`` has ``sup`` among its supers (recursively, %Library short forms)."""
    want = _long(sup).lower()
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current.lower() in seen:
            continue
        seen.add(current.lower())
        row = ctx.conn.execute("SELECT Super FROM dict.ClassDefinition WHERE Name = ?",
                               (current,)).fetchone()
        for parent in (row[0].split(",") if row and row[0] else []):
            if _long(parent).lower() == want:
                return True
            stack.append(_long(parent))
    return False


def _long(name: str) -> str:
    return "%Library." + name[1:] if name.startswith("%") and "." not in name else name


def _items_list(ctx: Context, args: list[Any]) -> TableResult:
    return TableResult(ITEM_COLUMNS, project_items(ctx.conn, ctx.store, args,
                                                   ctx.budget.check))


@dataclass(frozen=True)
class ClassQuery:
    """A table-valued class query: its columns (known before it runs, for the statements
    that call it once per row of another table) and the function that answers it."""

    columns: Columns
    run: Callable[[Context, list[Any]], TableResult]
    #: its rows read the class dictionary (bring it up to date first)
    dictionary: bool = False


TABLE_QUERIES: dict[str, ClassQuery] = {
    "%library.routinemgr_studioopendialog": ClassQuery(DIALOG_COLUMNS, _dialog),
    "%library.routinemgr_documenttypes": ClassQuery(_TYPE_COLUMNS, _document_types),
    "%library.global_get": ClassQuery([("Name", "TEXT"), ("Value", "TEXT")], _global_get),
    "%atelier_v1_utils.extension_useraction": ClassQuery(USER_ACTION, _empty(USER_ACTION)),
    "%atelier_v1_utils.extension_afteruseraction": ClassQuery(USER_ACTION,
                                                               _empty(USER_ACTION)),
    "%atelier_v1_utils.extension_getstatus": ClassQuery(STATUS_COLUMNS, _get_status),
    "%atelier_v1_utils.extension_getmenus": ClassQuery(_MENU_COLUMNS, _empty(_MENU_COLUMNS)),
    "%dictionary.classdefinition_subclassof": ClassQuery([("Name", "TEXT")], _subclass_of,
                                                         dictionary=True),
    "%studio.project_projectitemslist": ClassQuery(ITEM_COLUMNS, _items_list),
    "%csp.studiotemplatemgr_templates": ClassQuery(_TEMPLATE_COLUMNS,
                                                   _empty(_TEMPLATE_COLUMNS)),
    "ens.job_enumerate": ClassQuery(_JOB_COLUMNS, _empty(_JOB_COLUMNS)),
    # no Interoperability, no security resources to offer in a sandbox: the wizards that
    # ask get their columns and no rows
    "ensportal.utils_enumeratemessageclasses": ClassQuery([("Name", "TEXT")],
                                                          _empty([("Name", "TEXT")])),
    "security.resources_list": ClassQuery(_RESOURCE_COLUMNS, _empty(_RESOURCE_COLUMNS)),
}
SCALAR_METHODS: dict[str, Callable[[Context, list[Any]], Any]] = {
    "%atelier_v1_utils.extension_extensionenabled": lambda ctx, args: 0,
    "%atelier_v1_utils.general_getcsptoken": lambda ctx, args: "",
}
