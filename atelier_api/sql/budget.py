"""The budget of every SQL statement: time, memory, value and result size, projects file size,
and the gate that runs statements on a few low-priority threads of their own.

A statement runs on one of ``SQL_MAX_RUNNING`` threads; at most ``SQL_MAX_WAITING`` more wait
for one, and any further statement is refused at once, so statements can never take every
request thread of the server. While it waits and while it runs, the request's own thread
watches the client: when the client goes away the statement is stopped. SQLite calls the
statement's progress handler every ``PROGRESS_STEPS`` virtual-machine steps; it stops the
statement when the time limit has passed, the client has gone, or the SQLite heap of the
process is above three quarters of the memory ceiling; the ceiling itself is SQLite's hard
heap limit, which fails the allocation that would cross it (a statement can make a large
value in one step, between two checks). Every value is at most IRIS's longest string,
results have a row and a byte cap, and the projects database a size cap.

The values below are the defaults; they are module constants until the settings table
(``atelier_api/config.py``) carries them. docs/sql.md describes each one.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import logging
import os
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

from atelier_api.sql.codes import (
    FATAL,
    INTERRUPTED,
    ROW_LIMIT,
    TIMEOUT,
    SqlError,
    megabytes,
    unexpected,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: seconds a statement may run (and, separately, wait for a free slot)
SQL_TIME_LIMIT_SECONDS = 10.0
#: statements running at once in the whole process (each on its own low-priority thread)
SQL_MAX_RUNNING = 2
#: statements waiting for a slot; one more is refused at once (SQLCODE -400)
SQL_MAX_WAITING = 14
#: the memory ceiling: SQLite's hard heap limit for the whole process (<STORE> beyond);
#: running statements are stopped (<STORE>) once three quarters of it are in use, so that
#: other connections of the process (document index, compile state) keep some room
SQL_MEMORY_LIMIT_BYTES = 256 << 20
#: longest value (string or blob) a statement may make or read: IRIS's longest string
SQL_MAX_VALUE_BYTES = 3_641_144
#: longest LIKE pattern (SQLite matches a pattern against a value in one uninterruptible step)
SQL_MAX_LIKE_PATTERN = 100
#: most result columns (IRIS: 1000 columns in a table)
SQL_MAX_COLUMNS = 1000
#: most rows a statement may return (SQLCODE -500 beyond; ``max=N`` returns fewer)
SQL_MAX_RESULT_ROWS = 250_000
#: most bytes of values and column names a statement may return
SQL_MAX_RESULT_BYTES = 64 << 20
#: size cap of one namespace's projects database (%Studio.Project, %Studio.ProjectItem)
PROJECTS_MAX_BYTES = 32 << 20
#: SQLite virtual-machine steps between two checks (about half a millisecond)
PROGRESS_STEPS = 20_000
#: how often the request's thread looks at its client while the statement waits or runs
CLIENT_POLL_SECONDS = 0.1
#: a statement stuck in one long step past its deadline is answered this much later anyway
STUCK_GRACE_SECONDS = 2.0
#: niceness of the statement threads (Linux: per thread), so requests that are not SQL win
SQL_THREAD_NICE = 10

#: statements stopped by their budget since start, by reason (``Stop.name``)
STOPPED: Counter[str] = Counter()


@dataclass(frozen=True)
class SqlLimits:
    """The per-statement limits of one namespace's SQL service."""

    time_limit: float = SQL_TIME_LIMIT_SECONDS
    max_value_bytes: int = SQL_MAX_VALUE_BYTES
    max_like_pattern: int = SQL_MAX_LIKE_PATTERN
    max_columns: int = SQL_MAX_COLUMNS
    max_result_rows: int = SQL_MAX_RESULT_ROWS
    max_result_bytes: int = SQL_MAX_RESULT_BYTES
    projects_max_bytes: int = PROJECTS_MAX_BYTES
    memory_bytes: int = SQL_MEMORY_LIMIT_BYTES
    running: int = SQL_MAX_RUNNING  # statements at once (the Gate's size)
    waiting: int = SQL_MAX_WAITING

    @property
    def memory_stop_bytes(self) -> int:
        """SQLite heap in use above which running statements are stopped."""
        return self.memory_bytes * 3 // 4


class Stop(enum.Enum):
    """Why a statement was stopped."""

    TIMEOUT = "time limit"
    CLIENT_GONE = "client disconnected"
    MEMORY = "memory ceiling"


def _heap_meter() -> Callable[[], int] | None:
    """``sqlite3_memory_used`` of the SQLite library Python's sqlite3 module uses, when it
    can be reached (the module's own symbols, or the shared library it links)."""
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        meter = lib.sqlite3_memory_used
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    meter.restype = ctypes.c_int64
    meter.argtypes = []
    return meter


HEAP_USED = _heap_meter()
_hard_limit_lock = threading.Lock()
_hard_limit = 0  # the process's hard heap limit once set (0: not yet)


def apply_hard_heap_limit(conn: sqlite3.Connection, limit: int) -> None:
    """Set SQLite's hard heap limit for the process (once per value; a PRAGMA can only
    lower it, so the lowest limit asked for wins)."""
    global _hard_limit
    if _hard_limit and _hard_limit <= limit:
        return
    with _hard_limit_lock:
        if not _hard_limit or limit < _hard_limit:
            conn.execute(f"PRAGMA hard_heap_limit = {int(limit)}")
            _hard_limit = limit


class Budget:
    """The clock, the stop flag and the limits of one statement."""

    def __init__(self, limits: SqlLimits) -> None:
        self.limits = limits
        self.created = time.monotonic()
        self.started: float | None = None
        #: while waiting: the end of the wait; once running: the end of the run
        self.deadline = self.created + limits.time_limit
        self.stop: Stop | None = None
        #: a function refused a value longer than ``max_value_bytes``
        self.too_long = False
        self._flag = threading.Event()

    def start(self) -> None:
        """The statement got its slot: its run time starts now."""
        if self.stop is None and time.monotonic() > self.deadline:
            self.cancel(Stop.TIMEOUT)
        if self.stop is not None:
            raise self.error()
        self.started = time.monotonic()
        self.deadline = self.started + self.limits.time_limit

    def cancel(self, reason: Stop) -> None:
        """Stop the statement at its next check (the first reason wins)."""
        if self.stop is None:
            self.stop = reason
        self._flag.set()

    @contextlib.contextmanager
    def exempt(self) -> Iterator[None]:
        """Time spent inside does not count (bringing the class dictionary up to date: the
        server's own derived state, not the statement's work)."""
        begin = time.monotonic()
        try:
            yield
        finally:
            self.deadline += time.monotonic() - begin

    def tick(self) -> int:
        """The progress handler: non-zero stops the statement."""
        if self._flag.is_set():
            return 1
        if time.monotonic() > self.deadline:
            self.cancel(Stop.TIMEOUT)
            return 1
        if HEAP_USED is not None and HEAP_USED() > self.limits.memory_stop_bytes:
            self.cancel(Stop.MEMORY)
            return 1
        return 0

    def mark_too_long(self) -> None:
        """A function refused to make a value longer than ``max_value_bytes``."""
        self.too_long = True

    def check(self) -> None:
        """Raise the budget's error when the statement must stop (for loops in Python)."""
        if self.tick():
            raise self.error()

    def elapsed(self) -> float:
        """Seconds since the statement was admitted."""
        return time.monotonic() - self.created

    def error(self) -> SqlError:
        """The IRIS error of a stopped statement."""
        limits = self.limits
        if self.stop is Stop.CLIENT_GONE:
            return SqlError(INTERRUPTED, "SQL query execution interrupted: the client "
                                         "disconnected")
        if self.stop is Stop.MEMORY:
            return unexpected("STORE", "the statement needs more memory than the "
                              f"{megabytes(limits.memory_bytes)} SQL memory ceiling")
        if self.started is None:
            return SqlError(TIMEOUT, "Request timed out: no free slot to run the statement "
                                     f"within {limits.time_limit:g} s (the server runs "
                                     f"{limits.running} statements at once)")
        return SqlError(TIMEOUT, "Request timed out: the statement ran longer than its "
                                 f"time limit of {limits.time_limit:g} s and was stopped")

    def too_many_rows(self) -> SqlError:
        """``-500`` for a result longer than ``max_result_rows``."""
        return SqlError(ROW_LIMIT, "Fetch row count limit reached: the statement returns more "
                                   f"than {self.limits.max_result_rows} rows; narrow it with "
                                   "WHERE or TOP, or pass max=N")

    def too_many_bytes(self) -> SqlError:
        """``<STORE>`` for a result larger than ``max_result_bytes``."""
        return unexpected("STORE", "the result is larger than the "
                          f"{megabytes(self.limits.max_result_bytes)} a statement may return; "
                          "narrow it with WHERE or TOP, or pass max=N")

    def value_too_long(self) -> SqlError:
        """``<MAXSTRING>`` for a value longer than ``max_value_bytes``."""
        return unexpected("MAXSTRING", "a value would be longer than "
                          f"{self.limits.max_value_bytes} bytes, the longest string")


def configure(conn: sqlite3.Connection, budget: Budget) -> None:
    """Put the budget's limits on a statement's connection (``proj`` attached)."""
    limits = budget.limits
    apply_hard_heap_limit(conn, limits.memory_bytes)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_bytes)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, limits.max_like_pattern)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, limits.max_columns)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 2)
    # sorts, DISTINCT and temporary tables in memory, so the heap limits count them (in
    # files they would fill the disk instead)
    conn.execute("PRAGMA temp_store = MEMORY")
    page = conn.execute("PRAGMA proj.page_size").fetchone()[0]
    conn.execute(f"PRAGMA proj.max_page_count = {max(1, limits.projects_max_bytes // page)}")
    conn.set_progress_handler(budget.tick, PROGRESS_STEPS)


def _lower_priority(nice: int) -> None:
    """Make the calling thread ``nice`` steps nicer than the process (Linux threads have a
    niceness of their own)."""
    if not sys.platform.startswith("linux") or nice <= 0:
        return
    with contextlib.suppress(OSError):
        base = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, base + nice))


class Gate:
    """Runs statements on ``running`` threads of their own, with ``waiting`` more queued
    (one gate per server, shared by its namespaces: ``SqlLimits.running`` and ``waiting``)."""

    def __init__(self, running: int = SQL_MAX_RUNNING, waiting: int = SQL_MAX_WAITING,
                 nice: int | None = None) -> None:
        self.running = max(1, running)
        self.waiting = max(0, waiting)
        nice = SQL_THREAD_NICE if nice is None else nice
        self._pool = ThreadPoolExecutor(max_workers=self.running,
                                        thread_name_prefix="atelier-sql",
                                        initializer=_lower_priority, initargs=(nice,))
        self._lock = threading.Lock()
        self.admitted = 0

    def run(self, job: Callable[[], T], budget: Budget,
            client_gone: Callable[[], bool] | None = None) -> T:
        """Run ``job`` within the budget; the calling thread watches the client meanwhile.

        Raises the budget's ``SqlError`` when the statement cannot be admitted, waits or
        runs too long, or its client went away (the statement is stopped at its next step
        and ends on its own thread).
        """
        with self._lock:
            if self.admitted >= self.running + self.waiting:
                raise SqlError(FATAL, "Too many SQL statements at once: "
                                      f"{self.running} are running and {self.waiting} "
                                      "waiting; try again when one has finished")
            self.admitted += 1
        try:
            future = self._pool.submit(_started, job, budget)
        except RuntimeError:
            self._release(None)
            raise SqlError(FATAL, "The server is shutting down") from None
        future.add_done_callback(self._release)
        return self._wait(future, budget, client_gone)

    def _release(self, _future: Future[T] | None) -> None:
        with self._lock:
            self.admitted -= 1

    def _wait(self, future: Future[T], budget: Budget,
              client_gone: Callable[[], bool] | None) -> T:
        while True:
            try:
                return future.result(timeout=CLIENT_POLL_SECONDS)
            except FutureTimeout:
                pass
            if client_gone is not None and client_gone():
                budget.cancel(Stop.CLIENT_GONE)
                if future.cancel():
                    record_stop(budget, "before it started")
                raise budget.error()
            now = time.monotonic()
            if budget.started is None and now > budget.deadline and future.cancel():
                budget.cancel(Stop.TIMEOUT)
                record_stop(budget, "before it started")
                raise budget.error()
            if budget.started is not None and now > budget.deadline + STUCK_GRACE_SECONDS:
                # stuck in one long step: answer now, the statement stops after that step
                budget.cancel(Stop.TIMEOUT)
                raise budget.error()

    def shutdown(self) -> None:
        """Stop taking statements; running ones end within their budget."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _started(job: Callable[[], T], budget: Budget) -> T:
    try:
        budget.start()
    except SqlError:
        record_stop(budget, "before it started")
        raise
    return job()


def record_stop(budget: Budget, detail: str = "") -> None:
    """Count and log a statement that its budget stopped."""
    if budget.stop is None:
        return
    STOPPED[budget.stop.name] += 1
    log.warning("SQL statement stopped (%s) after %.2f s%s", budget.stop.value,
                budget.elapsed(), f" {detail}" if detail else "")
