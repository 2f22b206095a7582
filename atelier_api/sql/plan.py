"""``%SYSTEM.QUERY_PLAN(statement, ..., options)``: the plan of a statement in the XML shape
IRIS's Show Plan uses, made from SQLite's ``EXPLAIN QUERY PLAN`` of the statement as this
server rewrites it.

IRIS's plan document (``$SYSTEM.SQL.Explain``, the ``EXPLAIN`` command, ``QUERY_PLAN``) is
one ``<plan>`` element holding ``<sql>`` (the statement text), optional ``<warning>`` and
``<info>`` elements, ``<cost value="..."/>`` and then the plan itself as indented text lines,
followed by ``<module>`` / ``<subquery>`` elements for the parts it calls. VS Code's Show Plan
reads exactly those children of the first ``<plan>`` and renders each text line as a list
item, nested by its indentation.

A ``%Persistent`` class's SQL table (``Demo.Person``, schema ``SQLUser`` for package
``User``) is planned over its shape: an empty temporary table with the class's stored
properties as columns and its indices as indices, made for the plan and dropped after it.
This server does not run SQL over class data; only the plan sees such a table.

Here the text is SQLite's plan tree: one line per step, indented by depth, with the IRIS
name of each table a step reads (``SCAN dcd (%Dictionary.ClassDefinition)``). SQLite gives
no cost, so ``value`` is 0 (the extension shows "Unavailable"); an ``<info>`` says whose
plan this is.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

#: the step words before a table name in SQLite's plan lines
_TABLE_STEP = re.compile(r"^(SCAN|SEARCH)( TABLE)? (\S+)")
#: the prefix that keeps a projection's temporary index names apart (not shown)
_TEMP_INDEX = re.compile(r"iris_plan_\d+_\d+_")
INFO = ("This server runs IRIS SQL on SQLite: the plan below is SQLite's plan (EXPLAIN "
        "QUERY PLAN) of the statement as the server rewrote it. SQLite gives no relative "
        "cost.")


def steps(rows: list[tuple[Any, ...]], names: dict[str, str]) -> list[str]:
    """The plan lines: SQLite's ``(id, parent, notused, detail)`` rows as a tree, each line
    one space in, four more per level, table aliases followed by their IRIS names."""
    children: dict[int, list[tuple[int, str]]] = {}
    ids = set()
    for row in rows:
        node, parent, detail = int(row[0]), int(row[1]), str(row[3])
        children.setdefault(parent, []).append((node, detail))
        ids.add(node)
    lines: list[str] = []

    def walk(parent: int, depth: int) -> None:
        for node, detail in children.get(parent, []):
            lines.append(" " + "    " * depth + _named(detail, names))
            if node != parent:
                walk(node, depth + 1)

    for root in sorted(p for p in children if p not in ids):
        walk(root, 0)
    return lines


def _named(detail: str, names: dict[str, str]) -> str:
    found = _TABLE_STEP.match(detail)
    if not found:
        return detail
    alias = found.group(3)
    name = names.get(alias.lower())
    if not name or name.lower() == alias.lower():
        return detail
    end = found.end(3)
    return f"{detail[:end]} ({name}){detail[end:]}"


def document(statement: str, rows: list[tuple[Any, ...]], names: dict[str, str]) -> str:
    """The ``<plan>`` document of a statement whose SQLite plan rows are ``rows``."""
    out = ["<plan>", "<sql>"]
    out.extend(" " + escape(line.rstrip()) for line in statement.strip().splitlines())
    out.append("</sql>")
    out.append(f"<info>\n{escape(INFO)}\n</info>")
    out.append('<cost value="0"/>')
    out.extend(escape(_TEMP_INDEX.sub("", line)) for line in steps(rows, names))
    out.append("</plan>")
    return "\n".join(out)


@dataclass(frozen=True)
class Projection:
    """A persistent class's SQL table as a plan needs it: name, columns, indices."""

    iris_name: str  # schema.table, as IRIS names it
    columns: tuple[str, ...]
    indices: tuple[tuple[str, tuple[str, ...], bool], ...]  # (name, columns, unique)


def _schema_of(package: str) -> str:
    return "SQLUser" if package == "User" else package.replace(".", "_")


def find_projection(conn: sqlite3.Connection, schema: str, table: str) -> Projection | None:
    """The SQL table ``schema.table`` of a persistent class of the class dictionary
    (attached as ``dict``), or None."""
    wanted = (schema.lower(), table.lower())
    found = None
    for name, sql_name in conn.execute(
            "SELECT Name, SqlTableName FROM dict.CompiledClass WHERE ClassType = 'persistent'"):
        package, _, short = str(name).rpartition(".")
        if (_schema_of(package).lower(), str(sql_name or short).lower()) == wanted:
            found = (str(name), _schema_of(package), str(sql_name or short))
            break
    if found is None:
        return None
    cls, shown_schema, shown_table = found
    columns: list[str] = []
    by_property: dict[str, str] = {}
    for prop, field, calculated, transient, multi, relationship, cardinality, collection in \
            conn.execute("SELECT Name, SqlFieldName, Calculated, Transient, MultiDimensional, "
                         "Relationship, Cardinality, Collection FROM dict.CompiledProperty "
                         "WHERE parent = ? ORDER BY SequenceNumber, Name", (cls,)):
        if calculated or transient or multi or str(collection or "").lower() == "array":
            continue
        if relationship and str(cardinality or "").lower() in ("many", "children"):
            continue
        column = str(field or prop)
        if column.lower() != "id" and column not in columns:
            columns.append(column)
            by_property[str(prop).lower()] = column
    indices = []
    for index, properties, unique, sql_name in conn.execute(
            "SELECT Name, Properties, _Unique, SqlName FROM dict.CompiledIndex "
            "WHERE parent = ?", (cls,)):
        keys = [p.split(":")[0].split("(")[0].strip().lower()
                for p in str(properties or "").split(",") if p.strip()]
        cols = tuple(by_property[k] for k in keys if k in by_property)
        if cols and len(cols) == len(keys):
            indices.append((str(sql_name or index), cols, bool(unique)))
    return Projection(f"{shown_schema}.{shown_table}", tuple(columns), tuple(indices))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create(conn: sqlite3.Connection, table: str, projection: Projection) -> None:
    """The projection as an empty temporary table ``temp.<table>`` with its indices."""
    cols = ", ".join(["ID INTEGER PRIMARY KEY", *(_quoted(c) for c in projection.columns)])
    conn.execute(f"CREATE TEMP TABLE {_quoted(table)} ({cols})")
    for n, (name, columns, unique) in enumerate(projection.indices):
        kind = "UNIQUE INDEX" if unique else "INDEX"
        conn.execute(f"CREATE {kind} temp.{_quoted(f'{table}_{n}_{name}')} ON "
                     f"{_quoted(table)} ({', '.join(_quoted(c) for c in columns)})")


def drop(conn: sqlite3.Connection, table: str) -> None:
    conn.execute(f"DROP TABLE IF EXISTS temp.{_quoted(table)}")
