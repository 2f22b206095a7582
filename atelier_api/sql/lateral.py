"""Class queries whose arguments are not constants: ``FROM Project_ProjectItemsList(?) AS
pil`` with ``EXISTS (SELECT Size FROM RoutineMgr_StudioOpenDialog(pil.Name, ...))``, or a
Filter argument built from a column. Their rows depend on the row of the other tables, so
they cannot be answered once before the statement runs (the way constant calls are, as
temporary tables).

SQLite runs them as its table-valued function ``json_each`` over the value of
``iris_cq(query, arg...)``, a server function called with the row's argument values (a
table-valued function's arguments may name the tables to its left and those of the outer
query: a lateral join). ``iris_cq`` answers the class query (once per distinct argument
values) and returns the handles of its rows as a JSON array; each column of the class query
becomes ``iris_cq_col(alias.value, n)``, the n-th value of the row with that handle.

This module is the tree pass that does it, before the engine's rewrite: the call becomes a
``LateralCall`` table, each column of it a ``LateralColumn`` (the engine turns both into
their SQLite form), ``*`` is spelled out in the SELECTs that read such a call, and
unqualified columns go to the call when it is the table that has them. ``Calls`` answers
``iris_cq`` / ``iris_cq_col`` while the statement runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from atelier_api.sql.classqueries import ClassQuery, Context, TableResult
from atelier_api.sql.codes import SqlError

#: columns of SQLite's json_each: an unqualified name among them must never reach it
JSON_EACH_COLUMNS = {"key", "value", "type", "atom", "id", "parent", "fullkey", "path",
                     "json", "root"}


class LateralCall(exp.Expression, exp.Func):
    """A class query called with arguments that are not constants (``this``: the query's
    name, ``schema.query`` in lower case, as a string literal)."""

    _sql_names = ["IRIS_LATERAL"]
    arg_types = {"this": True, "expressions": False}
    is_var_len_args = True


class LateralColumn(exp.Expression, exp.Func):
    """Column ``expression`` (0-based, a number literal) of the lateral call aliased
    ``this``."""

    _sql_names = ["IRIS_LATERAL_COLUMN"]
    arg_types = {"this": True, "expression": True}


def is_constant(node: exp.Expr) -> bool:
    """An argument the engine evaluates before the statement runs (a literal or ``?``)."""
    if isinstance(node, exp.Neg):
        return isinstance(node.this, exp.Literal)
    return isinstance(node, (exp.Placeholder, exp.Literal, exp.Null))


@dataclass
class Source:
    """A table of a SELECT's FROM list, as far as name resolution needs it."""

    alias: str
    #: column names in lower case (None: not known, e.g. a sub-query with ``*``)
    columns: set[str] | None
    #: the lateral call's columns in their order (None: not a lateral call)
    lateral: list[str] | None = None
    node: exp.Expr | None = field(default=None, repr=False)


def sources_of(select: exp.Select) -> list[exp.Expr]:
    """The FROM items of a SELECT in their order (FROM, then each JOIN)."""
    out: list[exp.Expr] = []
    from_ = select.args.get("from_")
    if from_ is not None and from_.this is not None:
        out.append(from_.this)
    for join in select.args.get("joins") or []:
        out.append(join.this)
    return out


def query_name(table: exp.Table) -> str:
    """``schema.query`` of a class-query table, in lower case."""
    return f"{table.db}.{table.this.name}".lower()


class LateralPass:
    """Turns the non-constant class query calls of a tree into lateral calls.

    ``columns_of(table)`` says the columns (lower case) of an ordinary table, None when
    unknown; ``queries`` are the class queries by lower-case name."""

    def __init__(self, queries: dict[str, ClassQuery],
                 columns_of: Callable[[exp.Table], set[str] | None]) -> None:
        self.queries = queries
        self.columns_of = columns_of
        self.scopes: dict[int, list[Source]] = {}
        self.used: list[ClassQuery] = []
        #: alias (lower case) -> the class query's IRIS name, for the plan
        self.names: dict[str, str] = {}

    def run(self, tree: exp.Expr) -> bool:
        """Rewrite ``tree`` in place; True when it has a lateral call."""
        calls = [t for t in tree.find_all(exp.Table)
                 if isinstance(t.this, exp.Anonymous) and not all(
                     is_constant(a) for a in t.this.expressions)]
        if not calls:
            return False
        lateral_ids = {id(t) for t in calls}
        for select in tree.find_all(exp.Select):
            self.scopes[id(select)] = [self._source(s, lateral_ids)
                                       for s in sources_of(select)]
        for column in list(tree.find_all(exp.Column)):
            self._column(column)
        for select in tree.find_all(exp.Select):
            self._stars(select)
        for table in calls:
            self._call(table)
        return True

    # -- the FROM items ------------------------------------------------------------------------

    def _source(self, node: exp.Expr, lateral_ids: set[int]) -> Source:
        alias = node.alias or (node.this.name if isinstance(node, exp.Table) and isinstance(
            node.this, exp.Anonymous) else node.alias_or_name)
        if isinstance(node, exp.Table) and id(node) in lateral_ids:
            names = [c for c, _t in self._query(node).columns]
            return Source(alias, {n.lower() for n in names}, names, node)
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            found = self.queries.get(query_name(node))
            cols = {c.lower() for c, _t in found.columns} if found else None
            return Source(alias, cols, None, node)
        if isinstance(node, exp.Table):
            return Source(alias, self.columns_of(node), None, node)
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Query):
            query = node.this
            if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column)
                                               and isinstance(e.this, exp.Star))
                   for e in query.selects):
                return Source(alias, None, None, node)
            return Source(alias, {n.lower() for n in query.named_selects}, None, node)
        return Source(alias, None, None, node)

    def _query(self, table: exp.Table) -> ClassQuery:
        query = self.queries.get(query_name(table))
        if query is None:
            raise SqlError(-428, f"Stored procedure '{table.db}.{table.this.name}' not found")
        return query

    # -- column references ---------------------------------------------------------------------

    def _scopes(self, column: exp.Column) -> list[list[Source]]:
        """The FROM lists a column may name, innermost first. In the arguments of a call
        only the tables to the call's left are visible (and the outer queries')."""
        out: list[list[Source]] = []
        inside: exp.Expr | None = None
        current = column.parent
        while current is not None:
            if isinstance(current, exp.Table) and isinstance(current.this, exp.Anonymous):
                inside = current
            if isinstance(current, exp.Select):
                sources = self.scopes.get(id(current), [])
                if inside is not None:
                    nodes = [s.node for s in sources]
                    if any(n is inside for n in nodes):
                        sources = sources[:[id(n) for n in nodes].index(id(inside))]
                    inside = None
                out.append(sources)
            current = current.parent
        return out

    def _column(self, column: exp.Column) -> None:
        if isinstance(column.this, exp.Star):
            return
        name = column.name.lower()
        qualifier = column.table.lower()
        found: Source | None = None
        lateral_in_scope = False
        for sources in self._scopes(column):
            lateral_in_scope = lateral_in_scope or any(s.lateral for s in sources)
            if qualifier:
                named = [s for s in sources if s.alias.lower() == qualifier]
                if named:
                    found = named[0]
                    break
                continue
            laterals = [s for s in sources if s.lateral and name in (s.columns or set())]
            others = [s for s in sources if not s.lateral and (
                s.columns is None or name in s.columns)]
            if laterals and any(s.columns is not None for s in others):
                raise SqlError(-27, f"Field '{column.name.upper()}' is ambiguous among the "
                                    "applicable tables")
            if laterals:
                found = laterals[0]
                break
            if others:
                return
        if found is None:
            if not qualifier and lateral_in_scope and name in JSON_EACH_COLUMNS:
                raise SqlError(-29, f"Field '{column.name.upper()}' not found in the "
                                    "applicable tables")
            return
        if found.lateral is None:
            return
        lowered = [c.lower() for c in found.lateral]
        if name not in lowered:
            raise SqlError(-29, f"Field '{found.alias.upper()}.{column.name.upper()}' not "
                                "found in the applicable tables")
        ref = LateralColumn(this=exp.to_identifier(found.alias),
                            expression=exp.Literal.number(lowered.index(name)))
        if isinstance(column.parent, exp.Select) and column.arg_key == "expressions":
            column.replace(exp.alias_(ref, column.name, quoted=True))
        else:
            column.replace(ref)

    def _stars(self, select: exp.Select) -> None:
        sources = self.scopes.get(id(select), [])
        if not any(s.lateral for s in sources):
            return
        items: list[exp.Expr] = []
        for item in select.expressions:
            if isinstance(item, exp.Star):
                for source in sources:
                    items.extend(self._expand(source))
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                named = [s for s in sources if s.alias.lower() == item.table.lower()]
                if named and named[0].lateral is not None:
                    items.extend(self._expand(named[0]))
                else:
                    items.append(item)
            else:
                items.append(item)
        select.set("expressions", items)

    @staticmethod
    def _expand(source: Source) -> list[exp.Expr]:
        if source.lateral is None:
            return [exp.Column(this=exp.Star(), table=exp.to_identifier(source.alias))]
        return [exp.alias_(LateralColumn(this=exp.to_identifier(source.alias),
                                         expression=exp.Literal.number(i)), name, quoted=True)
                for i, name in enumerate(source.lateral)]

    # -- the calls -----------------------------------------------------------------------------

    def _call(self, table: exp.Table) -> None:
        query = self._query(table)
        self.used.append(query)
        func = table.this
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(func.name))
        self.names[alias.name.lower()] = f"{table.db}.{func.name}()"
        call = LateralCall(this=exp.Literal.string(query_name(table)),
                           expressions=list(func.expressions))
        table.replace(exp.Table(this=call, alias=alias))


class Calls:
    """The rows of the lateral calls of one statement, by argument values: ``call``
    answers ``iris_cq``, ``column`` answers ``iris_cq_col``.

    ``filtered(result)`` applies a class query's Filter condition to its rows (the numbers
    of the rows that pass)."""

    def __init__(self, ctx: Context, queries: dict[str, ClassQuery],
                 filtered: Callable[[TableResult], list[int]]) -> None:
        self.ctx = ctx
        self.queries = queries
        self.filtered = filtered
        self.rows: list[tuple[Any, ...]] = []
        self._answers: dict[tuple[Any, ...], str] = {}

    def call(self, name: str, *args: Any) -> str:
        key = (name, *args)
        found = self._answers.get(key)
        if found is not None:
            return found
        query = self.queries[name]
        self.ctx.budget.check()
        result = query.run(self.ctx, list(args))
        self.ctx.budget.check()
        keep = (self.filtered(result) if result.condition.strip()
                else list(range(len(result.rows))))
        order = _order(query.columns, result.columns)
        first = len(self.rows)
        for n in keep:
            row = result.rows[n]
            self.rows.append(tuple(row[i] if i >= 0 else None for i in order))
        answer = json.dumps(list(range(first, len(self.rows))))
        self._answers[key] = answer
        return answer

    def column(self, handle: Any, index: Any) -> Any:
        if handle is None:
            return None
        return self.rows[int(handle)][int(index)]


def _order(declared: list[tuple[str, str]], actual: list[tuple[str, str]]) -> list[int]:
    """For each declared column, its place in the rows the query returned (-1: absent)."""
    places = {c.lower(): i for i, (c, _t) in enumerate(actual)}
    return [places.get(c.lower(), -1) for c, _t in declared]
