"""Run one parsed IRIS statement on SQLite: resolve %Dictionary / %Studio tables, materialise
class queries as temporary tables (or, when their arguments come from other tables' columns,
call them per row: ``atelier_api.sql.lateral``), map IRIS functions and predicates,
``DISTINCT BY`` and the ``LIST`` aggregate, bind the parameters. ``%SYSTEM.QUERY_PLAN``
answers the plan of a statement (``atelier_api.sql.plan``).

Safety does not rest on the rewrite alone: the connection's authorizer allows reads of the
namespace's tables, writes to the project tables only, and a fixed list of functions. It
checks the whole statement the client sent, the Filter of a class query included (the Filter
is part of that statement). The statement's budget (``atelier_api.sql.budget``) bounds its
time, memory and result.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from atelier_api.sql import plan
from atelier_api.sql.budget import PROGRESS_STEPS, Budget, Stop
from atelier_api.sql.classqueries import SCALAR_METHODS, TABLE_QUERIES, Context, TableResult
from atelier_api.sql.codes import FATAL, SqlError, megabytes, unexpected
from atelier_api.sql.dialect import (
    DOLLAR,
    TARGET,
    Contains,
    Follows,
    Parsed,
    PatternMatch,
    SqlSyntaxError,
    parse,
    parse_condition,
)
from atelier_api.sql.dictschema import COMPILED_TABLES, MEMBER_TABLES
from atelier_api.sql.functions import ALLOWED_SQLITE_FUNCTIONS, FUNCTION_MAP, register
from atelier_api.sql.lateral import Calls, LateralCall, LateralColumn, LateralPass
from atelier_api.sql.opendialog import statement_scope
from atelier_api.sql.patterns import PatternError, PatternTooComplex

TABLES = {f"%dictionary.{t.lower()}": ("dict", t)
          for t in ["ClassDefinition", *MEMBER_TABLES, *COMPILED_TABLES]}
TABLES.update({"%studio.project": ("proj", "Project"), "%studio.projectitem":
               ("proj", "ProjectItem")})
WRITABLE = {("proj", "Project"), ("proj", "ProjectItem")}
STATEMENTS = (exp.Select, exp.SetOperation, exp.Insert, exp.Update, exp.Delete)
#: rows fetched at a time while the result caps are counted
FETCH_ROWS = 500
#: the IRIS predicates the dialect parses -> their SQLite functions
PREDICATE_FUNCTIONS: dict[type[exp.Expr], str] = {
    PatternMatch: "iris_pattern", Contains: "iris_contains", Follows: "iris_follows"}
QUERY_PLAN = "%system.query_plan"
#: SQLite's message for a name that is no column of the statement's tables
NO_COLUMN = "no such column:"
__all__ = ["Rows", "SqlError", "Statement", "authorizer", "condition", "run"]


@dataclass(frozen=True)
class Rows:
    """Column names and rows of a statement (DML: no columns, no rows)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


class Statement:
    """One statement being prepared for and run on a connection.

    ``plan_only``: prepared for ``EXPLAIN QUERY PLAN`` only (Show Plan): class queries are
    not run (empty tables of their columns), host variables (``:name``, embedded SQL) and
    ``?`` are NULL parameters, an ``INTO`` list is left out."""

    def __init__(self, parsed: Parsed, params: list[Any], ctx: Context,
                 plan_only: bool = False) -> None:
        self.tree = parsed.tree.copy()
        self.plan_only = plan_only
        self.params = _bind(parsed.params, params)
        if plan_only:
            for holder in self.tree.find_all(exp.Placeholder):
                self.params.setdefault(holder.name, None)
            if isinstance(self.tree, exp.Select):
                self.tree.set("into", None)
        self.ctx = ctx
        self._tmp = itertools.count(1)
        self.uses_dictionary = False
        self.ctes = {c.alias_or_name.lower() for c in self.tree.find_all(exp.CTE)}
        #: the lateral class query calls (None: the statement has none)
        self.calls: Calls | None = None
        #: what the server functions raised while the statement ran (SQLite only says that
        #: a function failed)
        self.errors: list[BaseException] = []
        #: table alias (lower case) -> IRIS name, for the plan
        self.names: dict[str, str] = {}
        #: Show Plan's temporary tables of persistent classes: (name, projection)
        self.projections: list[tuple[str, plan.Projection]] = []
        self._scratch: sqlite3.Connection | None = None

    def prepare(self) -> str:
        """The SQLite text of the statement (class queries already materialised)."""
        if not isinstance(self.tree, STATEMENTS):
            raise SqlError(-51, f"{type(self.tree).__name__.upper()} statements are not "
                                "supported by this server")
        self._check_target()
        for select in list(self.tree.find_all(exp.Select)):
            _distinct_by(select)
        lateral = LateralPass(TABLE_QUERIES, self._columns_of)
        if lateral.run(self.tree):
            self.calls = Calls(self.ctx, TABLE_QUERIES, self._filtered)
            self.uses_dictionary |= any(q.dictionary for q in lateral.used)
            self.names.update(lateral.names)
        tree = self.tree.transform(self._rewrite, copy=False)
        _name_columns(tree)
        index_join_keys(tree, self.ctx.conn, self.errors)
        return tree.sql(dialect=TARGET)

    def install(self, conn: sqlite3.Connection) -> None:
        """The functions of the lateral calls (``iris_cq``, ``iris_cq_col``) on ``conn``."""
        calls = self.calls
        if calls is None:
            return
        _load_json_each(conn)
        errors = self.errors

        def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
            def call(*values: Any) -> Any:
                try:
                    return func(*values)
                except Exception as exc:
                    errors.append(exc)
                    raise
            return call
        conn.create_function("iris_cq", -1, guarded(calls.call))
        conn.create_function("iris_cq_col", 2, guarded(calls.column))

    def close(self) -> None:
        """Close the connection the Filters of lateral calls ran on."""
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def _columns_of(self, table: exp.Table) -> set[str] | None:
        """The columns (lower case) of a dictionary or project table; None when unknown."""
        found = self._resolve_name(table)
        if found is None:
            return None
        try:
            cur = self.ctx.conn.execute(f'SELECT * FROM {found[0]}."{found[1]}" LIMIT 0')
        except sqlite3.Error:
            return None
        return {d[0].lower() for d in cur.description}

    def _filtered(self, result: TableResult) -> list[int]:
        """The rows (numbers) of a lateral call's result that pass its Filter: the Filter
        runs on a connection of its own (the statement's is busy running the call), under
        the same authorizer, functions and budget."""
        where = condition(result.condition, {c for c, _t in result.columns})
        conn = self._filter_connection()
        name = f"f_{next(self._tmp)}"
        cols = ", ".join(f'"{c}" {t}' for c, t in result.columns)
        conn.execute(f'CREATE TEMP TABLE "{name}" (iris_n INTEGER, {cols})')
        try:
            marks = ", ".join("?" for _ in range(len(result.columns) + 1))
            conn.executemany(f'INSERT INTO temp."{name}" VALUES ({marks})',
                             ((n, *row) for n, row in enumerate(result.rows)))
            query = exp.select("iris_n").from_(exp.Table(
                this=exp.to_identifier(name), db=exp.to_identifier("temp"))).where(
                where).order_by("iris_n")
            conn.set_authorizer(authorizer)
            try:
                return [r[0] for r in conn.execute(query.sql(dialect=TARGET)).fetchall()]
            finally:
                conn.set_authorizer(None)
        finally:
            conn.execute(f'DROP TABLE temp."{name}"')

    def _filter_connection(self) -> sqlite3.Connection:
        if self._scratch is None:
            budget = self.ctx.budget
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, budget.limits.max_value_bytes)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
                          budget.limits.max_like_pattern)
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.set_progress_handler(budget.tick, PROGRESS_STEPS)
            register(conn, budget.limits.max_value_bytes, too_long=budget.mark_too_long,
                     check=budget.check, errors=self.errors)
            self._scratch = conn
        return self._scratch

    def _check_target(self) -> None:
        if isinstance(self.tree, (exp.Insert, exp.Update, exp.Delete)):
            target = self.tree.find(exp.Table)
            if target is None or self._resolve_name(target) not in WRITABLE:
                raise SqlError(-115, "Only %Studio.Project and %Studio.ProjectItem can be "
                                     "changed through this server")

    def _resolve_name(self, table: exp.Table) -> tuple[str, str] | None:
        key = f"{table.db}.{table.name}".lower() if table.db else table.name.lower()
        return TABLES.get(key)

    def _rewrite(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, LateralCall):
            return self._lateral(node)
        if isinstance(node, LateralColumn):
            return exp.Anonymous(this="iris_cq_col", expressions=[
                exp.column("value", table=node.this.name, quoted=True), node.expression])
        if isinstance(node, exp.Table):
            return self._table(node)
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
            return self._scalar_method(node)
        if isinstance(node, exp.JSONExtract):
            return self._arrow(node)
        return rewrite_expression(node, self.params, self._again)

    def _again(self, node: exp.Expr) -> exp.Expr:
        return node.transform(self._rewrite, copy=False)

    def _table(self, node: exp.Table) -> exp.Expr:
        if isinstance(node.this, exp.Anonymous):
            return self._class_query(node)
        if node.catalog:
            raise SqlError(-30, f"Table '{node.sql()}' not found")
        found = self._resolve_name(node)
        if found is None:
            if not node.db and node.name.lower() in self.ctes:
                return node
            projection = self._persistent(node)
            shown = f"{node.db}.{node.name}" if node.db else f"SQLUser.{node.name}"
            if projection is not None and self.plan_only:
                return self._planned(node, projection)
            if projection is not None:
                raise SqlError(-30, f"Table '{shown}' not found: this server plans SQL over "
                                    "persistent classes (Show Plan) but does not run it over "
                                    "their data")
            raise SqlError(-30, f"Table '{shown}' not found")
        if found[0] == "dict":
            self.uses_dictionary = True
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
        shown = {"dict": "%Dictionary", "proj": "%Studio"}[found[0]]
        self.names[alias.name.lower()] = f"{shown}.{found[1]}"
        return exp.Table(this=exp.to_identifier(found[1]), db=exp.to_identifier(found[0]),
                         alias=alias)

    def _persistent(self, node: exp.Table) -> plan.Projection | None:
        """The persistent class that projects this SQL table, if any."""
        with self.ctx.budget.exempt():
            self.ctx.dictionary.sync()
        return plan.find_projection(self.ctx.conn, node.db or "SQLUser", node.name)

    def _planned(self, node: exp.Table, found: plan.Projection) -> exp.Expr:
        """Show Plan only: the class's SQL table as an empty temporary table of its shape
        (``atelier_api.sql.plan``), made before the plan is asked and dropped after."""
        name = f"iris_plan_{next(self._tmp)}"
        self.projections.append((name, found))
        alias = node.args.get("alias") or exp.TableAlias(
            this=exp.to_identifier(node.name, quoted=True))
        self.names[alias.name.lower()] = found.iris_name
        return exp.Table(this=exp.to_identifier(name), db=exp.to_identifier("temp"),
                         alias=alias)

    def _arrow(self, node: exp.JSONExtract) -> exp.Expr:
        """``parent->Col`` (IRIS implicit join) on a dictionary member: the parent class's
        column, as a scalar sub-query on CompiledClass (which holds every class)."""
        ref, target = node.this, node.expression
        if not (isinstance(ref, exp.Column) and ref.name.lower() == "parent"
                and isinstance(target, exp.Column) and not target.table):
            raise SqlError(-1, f"Implicit join '{ref.sql()}->{target.sql()}' is not "
                               "supported (only parent->Column)")
        if target.name.lower() == "id":
            return ref
        self.uses_dictionary = True
        owner = exp.Table(this=exp.to_identifier("CompiledClass"), db=exp.to_identifier("dict"),
                          alias=exp.TableAlias(this=exp.to_identifier("arrow_parent")))
        sub = exp.select(exp.column(target.name, table="arrow_parent", quoted=True)).from_(
            owner).where(exp.EQ(this=exp.column("Name", table="arrow_parent"), expression=ref))
        return exp.Subquery(this=sub)

    def _lateral(self, node: exp.Table) -> exp.Expr:
        """A lateral class query call: json_each over the handles of its rows."""
        call = node.this
        args = [call.this, *(self._again(a) for a in call.expressions)]
        alias = node.args["alias"]
        return exp.Table(this=exp.Anonymous(this="json_each", expressions=[
            exp.Anonymous(this="iris_cq", expressions=args)]), alias=alias)

    def _class_query(self, node: exp.Table) -> exp.Expr:
        func = node.this
        name = f"{node.db}.{func.name}".lower()
        query = TABLE_QUERIES.get(name)
        if query is None:
            raise SqlError(-428, f"Stored procedure '{node.db}.{func.name}' not found")
        if query.dictionary:
            self.uses_dictionary = True
        args = [self._value(a) for a in func.expressions]
        # Show Plan only prepares the statement: an empty table of the query's columns
        result = (TableResult(query.columns, []) if self.plan_only
                  else query.run(self.ctx, args))
        self.ctx.budget.check()
        table = exp.Table(this=exp.to_identifier(self._materialise(result)),
                          db=exp.to_identifier("temp"))
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(func.name))
        self.names[alias.name.lower()] = f"{node.db}.{func.name}()"
        if not result.condition.strip():
            table.set("alias", alias)
            return table
        # the Filter becomes part of the client's statement: the same authorizer (function
        # allow-list) and the same budget apply to it
        where = condition(result.condition, {c for c, _t in result.columns})
        return exp.Subquery(this=exp.select("*").from_(table).where(where), alias=alias)

    def _scalar_method(self, node: exp.Dot) -> exp.Expr:
        func = node.expression
        name = f"{node.this.name}.{func.name}".lower()
        if name == QUERY_PLAN:
            if self.plan_only:
                return exp.Null()
            return exp.convert(self._query_plan([self._value(a) for a in func.expressions]))
        method = SCALAR_METHODS.get(name)
        if method is None:
            raise SqlError(-359, f"User defined SQL function '{node.this.name}.{func.name}' "
                                 "not found")
        value = method(self.ctx, [self._value(a) for a in func.expressions])
        return exp.convert(value)

    def _query_plan(self, args: list[Any]) -> str:
        """``%SYSTEM.QUERY_PLAN(statement, ..., options)``: the plan document of a statement
        this server can run; the statement's own SQL error for one it cannot."""
        text = args[0] if args else None
        if not isinstance(text, str) or not text.strip():
            raise SqlError(-1, "QUERY_PLAN needs the text of a statement")
        # the options (args[5]: selectmode, packages, includeFiles...) change nothing here
        try:
            parsed = parse(text)
        except SqlSyntaxError as exc:
            raise SqlError(-1, f"Invalid SQL statement: {exc}") from None
        inner = Statement(parsed, [None] * parsed.params, self.ctx, plan_only=True)
        conn = self.ctx.conn
        try:
            sql = inner.prepare()
            inner.install(conn)
            for table, projection in inner.projections:
                plan.create(conn, table, projection)
            conn.set_authorizer(authorizer)
            try:
                rows = conn.execute("EXPLAIN QUERY PLAN " + sql, inner.params).fetchall()
            finally:
                conn.set_authorizer(None)
        except sqlite3.Error as exc:
            raise failure(exc, self.ctx.budget, inner.errors) from None
        finally:
            for table, _projection in inner.projections:
                plan.drop(conn, table)
            inner.close()
        return plan.document(text, rows, inner.names)

    def _value(self, node: exp.Expr) -> Any:
        """The value of a class query argument: a literal or a bound parameter."""
        if isinstance(node, exp.Placeholder):
            return self.params.get(node.name)
        if isinstance(node, exp.Literal):
            return node.this if node.is_string else _number(node.this)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            return -_number(node.this.this)
        if isinstance(node, exp.Null):
            return None
        raise SqlError(-1, f"Class method arguments must be literals or ?, not '{node.sql()}'")

    def _materialise(self, result: TableResult) -> str:
        name = f"cq_{next(self._tmp)}"
        cols = ", ".join(f'"{c}" {t}' for c, t in result.columns)
        conn = self.ctx.conn
        conn.execute(f'CREATE TEMP TABLE "{name}" ({cols})')
        marks = ", ".join("?" for _ in result.columns)
        conn.executemany(f'INSERT INTO temp."{name}" VALUES ({marks})', result.rows)
        return name


def index_join_keys(tree: exp.Expr, conn: sqlite3.Connection,
                    errors: list[BaseException]) -> int:
    """Index the join keys that are expressions over a class query's table.

    A join such as the extension's ``... AS sod JOIN ... AS pil ON $PIECE(sod.Name, ...) =
    $PIECE(pil.Name, ...) AND ...`` compares an expression of one table with one of the
    other. SQLite indexes plain columns on its own, not expressions, so it would evaluate
    both sides for every pair of rows (1,000 x 500 pairs: 10 s). For each equality of the
    join's ``ON`` whose two sides each read one table, and for each side that is not a plain
    column and reads a class query's table (``temp.cq_N``, made for this statement), that
    table gets an index on the side's expressions. SQLite then looks the other side's value
    up in it, and each expression runs once per row. An expression SQLite refuses to index
    (not deterministic) is left as it was. Returns how many indexes were made."""
    made = 0
    for select in tree.find_all(exp.Select):
        tables: dict[str, str] = {}
        for source in [select.args.get("from"), *(select.args.get("joins") or [])]:
            table = source.this if source is not None else None
            if isinstance(table, exp.Table) and table.db.lower() == "temp" \
                    and table.name.startswith("cq_"):
                tables[(table.alias or table.name).lower()] = table.name
        if not tables:
            continue
        keys: dict[str, list[exp.Expr]] = {}
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            conjuncts = list(on.flatten()) if isinstance(on, exp.And) else [on]
            for term in conjuncts:
                if not isinstance(term, exp.EQ):
                    continue
                sides = [(side, {c.table.lower() for c in side.find_all(exp.Column)})
                         for side in (term.this, term.expression)]
                if any(len(found) != 1 for _side, found in sides) \
                        or sides[0][1] == sides[1][1]:
                    continue
                for side, found in sides:
                    (alias,) = found
                    if alias in tables and not isinstance(side, exp.Column):
                        keys.setdefault(alias, []).append(side)
        for alias, exprs in keys.items():
            columns = []
            for expr in exprs:
                bare = expr.copy()
                for column in bare.find_all(exp.Column):
                    column.set("table", None)
                columns.append(bare.sql(dialect=TARGET))
            name = tables[alias]
            seen = len(errors)
            try:
                conn.execute(f'CREATE INDEX temp."{name}_k{made}" ON "{name}" '
                             f'({", ".join(columns)})')
            except sqlite3.Error:
                del errors[seen:]  # not an error of the statement: it runs unindexed
                continue
            made += 1
    return made


def rewrite_expression(node: exp.Expr, params: dict[str, Any],
                       again: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """IRIS predicates and functions -> SQLite ones; named host variables are refused.

    ``again`` rewrites the children of a replaced node (sqlglot's transform does not visit
    the subtree of a node it replaced)."""
    if isinstance(node, (exp.Glob, exp.RegexpLike)):
        name = "iris_startswith" if isinstance(node, exp.Glob) else "iris_inlist"
        return exp.Anonymous(this=name, expressions=[again(node.this), again(node.expression)])
    predicate = PREDICATE_FUNCTIONS.get(type(node))
    if predicate is not None:
        return exp.Anonymous(this=predicate, expressions=[again(node.this),
                                                          again(node.expression)])
    if isinstance(node, exp.Placeholder):
        if node.name not in params:
            raise SqlError(-1, f"Host variables are not supported ('{node.sql()}')")
        return node
    if isinstance(node, exp.Anonymous):
        return _function(node, again)
    if isinstance(node, (exp.Command, exp.Pragma)):
        raise SqlError(-1, "Statement form not supported")
    return node


def _function(node: exp.Anonymous, again: Callable[[exp.Expr], exp.Expr]
              ) -> exp.Expr:
    name = node.name.upper()
    if name == "LIST":
        # the LIST aggregate: the values joined by commas, NULLs left out
        if len(node.expressions) != 1:
            raise SqlError(-1, "LIST takes one argument")
        return exp.GroupConcat(this=again(node.expressions[0]))
    target = FUNCTION_MAP.get(name)
    if target is None:
        shown = "$" + name[len(DOLLAR):] if name.startswith(DOLLAR) else name
        raise SqlError(-359, f"SQL function '{shown}' is not supported by this server")
    if target == "CURRENT_TIMESTAMP":
        return exp.CurrentTimestamp()
    return exp.Anonymous(this=target, expressions=[again(e) for e in node.expressions])


def condition(text: str, columns: set[str]) -> exp.Expr:
    """A Filter condition over a class query's own columns only, rewritten for SQLite."""
    try:
        tree = parse_condition(text)
    except SqlSyntaxError as exc:
        raise SqlError(-1, f"Invalid Filter condition: {exc}") from None
    if tree.find(exp.Table, exp.Select, exp.Subquery, exp.Placeholder):
        raise SqlError(-1, "A Filter condition may only compare the query's own columns")
    wanted = {c.lower() for c in columns}
    for col in tree.find_all(exp.Column):
        if col.table or col.name.lower() not in wanted:
            raise SqlError(-29, f"Field '{col.sql()}' not found in the applicable tables")
    def rewrite(node: exp.Expr) -> exp.Expr:
        return rewrite_expression(node, {}, lambda n: n.transform(rewrite, copy=False))

    return tree.transform(rewrite, copy=False)


def _load_json_each(conn: sqlite3.Connection) -> None:
    """Use json_each once before the authorizer is on: SQLite builds its table on first use
    by declaring it, which the authorizer (rightly) refuses as a change of the schema."""
    conn.execute("SELECT 1 FROM json_each('[]')").fetchall()


def _distinct_by(select: exp.Select) -> None:
    """``SELECT DISTINCT BY (a, b) ...``: one row for each value of ``(a, b)``, as a GROUP
    BY on those values whose other columns come from one row of the group (SQLite's bare
    columns; IRIS too keeps whichever row it meets first). A bare column of the list that
    an output column of the same name would shadow (SQLite reads GROUP BY names as output
    names first) is qualified with the one table of the FROM list."""
    distinct = select.args.get("distinct")
    on = distinct.args.get("on") if distinct is not None else None
    if on is None:
        return
    items = list(on.expressions) if isinstance(on, exp.Tuple) else [on]
    aggregate = any(isinstance(n, exp.AggFunc) or (
        isinstance(n, exp.Anonymous) and n.name.upper() == "LIST")
        for item in select.expressions
        for n in item.walk(prune=lambda n: isinstance(n, exp.Subquery)))
    if select.args.get("group") or aggregate:
        raise SqlError(-1, "DISTINCT BY together with GROUP BY or an aggregate function is "
                           "not supported by this server")
    outputs = {n.lower() for n in select.named_selects}
    sources = ([select.args["from_"].this] if select.args.get("from_") else []) + [
        j.this for j in select.args.get("joins") or []]
    for item in items:
        if (isinstance(item, exp.Column) and not item.table and len(sources) == 1
                and item.name.lower() in outputs and sources[0].alias_or_name):
            item.set("table", exp.to_identifier(sources[0].alias_or_name))
    select.set("distinct", None)
    select.set("group", exp.Group(expressions=items))


def _name_columns(tree: exp.Expr) -> None:
    """Alias every unaliased result column the way IRIS names it (column name or
    Expression_n), so row keys never depend on SQLite's naming."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    counter = itertools.count(1)
    aggregates = itertools.count(1)
    named: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, (exp.Alias, exp.Star)) or (
                isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            named.append(item)
        elif isinstance(item, exp.Column):
            named.append(exp.alias_(item, item.name, quoted=True))
        elif isinstance(item, exp.AggFunc):
            named.append(exp.alias_(item, f"Aggregate_{next(aggregates)}", quoted=True))
        else:
            named.append(exp.alias_(item, f"Expression_{next(counter)}", quoted=True))
    select.set("expressions", named)


def _bind(count: int, params: list[Any]) -> dict[str, Any]:
    if len(params) < count:
        raise SqlError(-1, f"The statement takes {count} parameters but {len(params)} were "
                           "given")
    out: dict[str, Any] = {}
    for i, value in enumerate(params[:count], 1):
        if isinstance(value, bool):
            value = int(value)
        elif not isinstance(value, (str, int, float)) and value is not None:
            raise SqlError(-1, f"Parameter {i} must be a string, number or null")
        out[f"p{i}"] = value
    return out


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None,
               _source: str | None) -> int:
    """Reads of the attached tables, writes to the project tables, listed functions only."""
    ok, deny = sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION):
        # transactions: the implicit one Python opens around DML (statements are parsed,
        # so a client can never send BEGIN/COMMIT itself)
        return ok
    if action == sqlite3.SQLITE_READ:
        return deny if (arg1 or "").lower().startswith(("sqlite_", "_")) else ok
    if action == sqlite3.SQLITE_FUNCTION:
        return ok if (arg2 or "").lower() in ALLOWED_SQLITE_FUNCTIONS else deny
    if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE):
        return ok if (db, arg1) in WRITABLE else deny
    return deny


def run(parsed: Parsed, params: list[Any], ctx: Context, limit: int = 0) -> Rows:
    """Prepare, execute and fetch one statement on the context's connection, within the
    context's budget (its connection configured by ``atelier_api.sql.budget.configure``)."""
    with statement_scope():  # the namespace's documents are read once per statement
        return _run(parsed, params, ctx, limit)


def _run(parsed: Parsed, params: list[Any], ctx: Context, limit: int) -> Rows:
    budget = ctx.budget
    stmt = Statement(parsed, params, ctx)
    register(ctx.conn, budget.limits.max_value_bytes, too_long=budget.mark_too_long,
             check=budget.check, errors=stmt.errors)
    try:
        text = stmt.prepare()
        stmt.install(ctx.conn)
        if stmt.uses_dictionary:
            with budget.exempt():
                ctx.dictionary.sync()
        ctx.conn.set_authorizer(authorizer)
        cur = ctx.conn.execute(text, stmt.params)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = _fetch(cur, columns, limit, budget)
        ctx.conn.set_authorizer(None)
        ctx.conn.commit()
    except sqlite3.Error as exc:
        raise failure(exc, budget, stmt.errors) from None
    except MemoryError:
        # SQLITE_NOMEM: the hard heap limit of the process was reached
        budget.cancel(Stop.MEMORY)
        raise budget.error() from None
    finally:
        stmt.close()
    return Rows(columns, rows)


def _fetch(cur: sqlite3.Cursor, columns: list[str], limit: int, budget: Budget
           ) -> list[tuple[Any, ...]]:
    """The rows, at most ``limit`` (0: all) and never more than the result caps (a
    statement without result columns, DML, has no rows)."""
    if not columns:
        return []
    caps = budget.limits
    key_bytes = sum(len(c) + 6 for c in columns)  # "name": value, as the answer spells it
    rows: list[tuple[Any, ...]] = []
    size = 0
    while True:
        want = FETCH_ROWS if limit <= 0 else min(FETCH_ROWS, limit - len(rows))
        chunk = cur.fetchmany(want)
        for row in chunk:
            size += key_bytes + sum(_size(v) for v in row)
        rows.extend(chunk)
        if len(rows) > caps.max_result_rows:
            raise budget.too_many_rows()
        if size > caps.max_result_bytes:
            raise budget.too_many_bytes()
        if len(chunk) < want or (limit > 0 and len(rows) >= limit):
            return rows


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes)):
        return len(value) + 2
    return 4 if value is None else 20


def failure(exc: sqlite3.Error, budget: Budget,
            raised: list[BaseException] | None = None) -> SqlError:
    """The IRIS error of a statement SQLite stopped (``raised``: what the server's own
    functions raised while it ran)."""
    if budget.stop is not None:
        return budget.error()
    for error in raised or []:
        if isinstance(error, SqlError):
            return error
        if isinstance(error, PatternTooComplex):
            return SqlError(FATAL, f"%PATTERN pattern too complex: {error}")
        if isinstance(error, PatternError):
            return unexpected("SYNTAX", f"not a valid pattern for %PATTERN: {error}")
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    if name == "SQLITE_TOOBIG" or (budget.too_long and "user-defined function" in text):
        return budget.value_too_long()
    if name == "SQLITE_FULL":
        return unexpected("FILEFULL", "the projects database reached its size cap of "
                          f"{megabytes(budget.limits.projects_max_bytes)} (or the disk is full)")
    if "pattern too complex" in text:
        return SqlError(FATAL, "LIKE pattern longer than "
                               f"{budget.limits.max_like_pattern} characters")
    if text.startswith(NO_COLUMN):
        return SqlError(-29, f"Field '{text[len(NO_COLUMN):].strip().upper()}' not found in "
                             "the applicable tables")
    return SqlError(_sqlcode(exc), text)


def _sqlcode(exc: sqlite3.Error) -> int:
    text = str(exc).lower()
    if "not authorized" in text:
        return -99
    if "no such table" in text:
        return -30
    if "unique" in text:
        return -119
    return -400
