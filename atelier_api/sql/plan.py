"""``%SYSTEM.QUERY_PLAN(statement, ..., options)``: the plan of a statement in the XML shape
IRIS's Show Plan uses, made from SQLite's ``EXPLAIN QUERY PLAN`` of the statement as this
server rewrites it.

IRIS's plan document (``$SYSTEM.SQL.Explain``, the ``EXPLAIN`` command, ``QUERY_PLAN``) is
one ``<plan>`` element holding ``<sql>`` (the statement text), optional ``<warning>`` and
``<info>`` elements, ``<cost value="..."/>`` and then the plan itself as indented text lines,
followed by ``<module>`` / ``<subquery>`` elements for the parts it calls. VS Code's Show Plan
reads exactly those children of the first ``<plan>`` and renders each text line as a list
item, nested by its indentation.

Here the text is SQLite's plan tree: one line per step, indented by depth, with the IRIS
name of each table a step reads (``SCAN dcd (%Dictionary.ClassDefinition)``). SQLite gives
no cost, so ``value`` is 0 (the extension shows "Unavailable"); an ``<info>`` says whose
plan this is.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

#: the step words before a table name in SQLite's plan lines
_TABLE_STEP = re.compile(r"^(SCAN|SEARCH)( TABLE)? (\S+)")
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
    out.extend(escape(line) for line in steps(rows, names))
    out.append("</plan>")
    return "\n".join(out)
