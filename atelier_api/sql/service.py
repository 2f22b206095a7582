"""action/query for one namespace: parse, run on SQLite, answer rows or the IRIS SQL error
(HTTP 200, ``status.errors[{code: 5540, id: "SQLCode"}]``, ``result: {}``).

Each statement runs through the process's gate (``atelier_api.sql.budget``): on a statement
thread, within its budget, stopped when its client goes away."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest
from atelier_api.sql.budget import Budget, Gate, SqlLimits, Stop, configure, record_stop
from atelier_api.sql.classqueries import Context
from atelier_api.sql.codes import FATAL, SqlError
from atelier_api.sql.dictionary import ClassDictionary
from atelier_api.sql.projects import open_projects

log = logging.getLogger(__name__)
SQL_ERROR_CODE = 5540


@dataclass(frozen=True)
class QueryAnswer:
    """Rows (``content``) or, for a failed statement, the errors and their summary."""

    content: list[dict[str, Any]] | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""


def sql_error(sqlcode: int, message: str) -> dict[str, Any]:
    """One ``status.errors`` entry as IRIS renders a failed SQL statement."""
    return {"error": f"ERROR #{SQL_ERROR_CODE}: SQLCODE: {sqlcode} Message: {message}",
            "code": SQL_ERROR_CODE, "domain": "%ObjectErrors", "id": "SQLCode",
            "params": [str(sqlcode), message]}


def query_body(body: Any) -> tuple[str, list[Any]]:
    """``{"query": "...", "parameters": [...]}``; a malformed body is a 400."""
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object with 'query' and 'parameters'")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("'query' must be a non-empty string")
    params = body.get("parameters", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise BadRequest("'parameters' must be an array")
    return text, params


class SqlService:
    """The SQL facade of one namespace: the class dictionary, projects and class queries."""

    def __init__(self, store: DocumentStore, dictionary: ClassDictionary, projects: str,
                 system_mode: str = "", limits: SqlLimits | None = None,
                 gate: Gate | None = None) -> None:
        self.store = store
        self.dictionary = dictionary
        self.projects = projects
        self.system_mode = system_mode
        self.limits = limits or SqlLimits()
        #: the server's statement threads, shared by its namespaces (its own when alone)
        self.gate = gate or Gate(self.limits.running, self.limits.waiting)
        self._own_gate = gate is None

    def query(self, text: str, params: list[Any], max_rows: int = 0,
              client_gone: Callable[[], bool] | None = None) -> QueryAnswer:
        """Run one statement within its budget; every failure is an SQL error answer, never
        an exception. ``client_gone`` says whether the client has disconnected (it is asked
        on the calling thread while the statement waits or runs)."""
        budget = Budget(self.limits)
        try:
            content = self.gate.run(lambda: self._statement(text, params, max_rows, budget),
                                 budget, client_gone)
        except SqlError as exc:
            return _failed(exc.sqlcode, exc.message)
        return QueryAnswer(content)

    def _statement(self, text: str, params: list[Any], max_rows: int, budget: Budget
                   ) -> list[dict[str, Any]]:
        """Parse, run and shape one statement (on a statement thread); a statement its
        budget stopped is counted and logged."""
        try:
            return self._run(text, params, max_rows, budget)
        except SqlError:
            record_stop(budget)
            raise
        except MemoryError:
            budget.cancel(Stop.MEMORY)
            record_stop(budget)
            raise budget.error() from None

    def _run(self, text: str, params: list[Any], max_rows: int, budget: Budget
             ) -> list[dict[str, Any]]:
        from atelier_api.sql.dialect import (  # sqlglot: loaded off the start-up path
            SqlSyntaxError,
            parse,
        )
        from atelier_api.sql.engine import run

        try:
            parsed = parse(text)
        except SqlSyntaxError as exc:
            raise SqlError(-1, f"Invalid SQL statement: {exc}") from None
        budget.check()
        conn: sqlite3.Connection | None = None
        try:
            with budget.exempt():
                self.dictionary.ensure()
            conn = self._connect(budget)
            ctx = Context(self.store, self.dictionary, conn, self.system_mode, budget=budget)
            rows = run(parsed, params, ctx, max_rows)
            return [_row(rows.columns, r) for r in rows.rows]
        except (sqlite3.Error, ValueError, TypeError, OverflowError, RecursionError) as exc:
            if budget.stop is not None:
                raise budget.error() from None
            log.warning("query failed: %s", exc)
            raise SqlError(FATAL, f"{type(exc).__name__}: {exc}") from None
        finally:
            if conn is not None:
                conn.close()

    def _connect(self, budget: Budget) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", uri=True, timeout=10.0, check_same_thread=False)
        try:
            conn.execute("ATTACH DATABASE ? AS dict",
                         (Path(self.dictionary.path).absolute().as_uri() + "?mode=ro",))
            conn.execute("ATTACH DATABASE ? AS proj",
                         (Path(self.projects).absolute().as_uri(),))
            configure(conn, budget)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the dictionary's connection (and the gate, when it is this service's own)."""
        self.dictionary.close()
        if self._own_gate:
            self.gate.shutdown()


def _failed(sqlcode: int, message: str) -> QueryAnswer:
    error = sql_error(sqlcode, message)
    return QueryAnswer(None, [error], error["error"])


def _row(columns: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return {c: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
            for c, v in zip(columns, values, strict=True)}


def open_sql(store: DocumentStore, derived: str, state: str, system_mode: str = "",
             limits: SqlLimits | None = None, gate: Gate | None = None) -> SqlService:
    """The SQL service of a namespace: dictionary under ``derived``, projects in ``state``."""
    dictionary = ClassDictionary(os.path.join(derived, "dictionary.sqlite"), store)
    safe = store.namespace.replace("%", "_")
    projects = open_projects(os.path.join(state, "projects", f"{safe}.sqlite"))
    return SqlService(store, dictionary, projects, system_mode, limits, gate)


def preload() -> None:
    """Import the SQL parser and engine (sqlglot, about 0.1 s) ahead of the first query;
    called by the warm-up thread once the server is ready, so start-up does not wait on it."""
    from atelier_api.sql import dialect, engine  # noqa: F401
