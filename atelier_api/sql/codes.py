"""The SQLCODEs this server answers and the error that carries one.

IRIS reports a failed statement as ``ERROR #5540: SQLCODE: <n> Message: <text>``. The codes
for statements stopped by their budget are the ones IRIS uses for the same situation:

* ``-450`` (IRIS: "Request timed out due to user timeout"): the statement ran, or waited for
  a free slot, longer than its time limit.
* ``-456`` (IRIS: "SQL query execution interrupted by user"): the client went away and the
  statement was stopped.
* ``-400`` (IRIS: "Fatal error occurred", its general code) with the ObjectScript error IRIS
  itself raises inside a statement: ``<MAXSTRING>`` for a value longer than the longest
  string (IRIS's is 3,641,144 characters), ``<STORE>`` when the memory ceiling is reached,
  ``<FILEFULL>`` when the projects database reached its size cap; and, without an
  ObjectScript error, when too many statements are already running or waiting.
* ``-500`` (IRIS: "Fetch row count limit reached"): more rows than the result may hold.
"""

from __future__ import annotations

TIMEOUT = -450
INTERRUPTED = -456
FATAL = -400
ROW_LIMIT = -500


class SqlError(Exception):
    """A statement that fails the way IRIS reports it: an SQLCODE and a message."""

    def __init__(self, sqlcode: int, message: str) -> None:
        super().__init__(message)
        self.sqlcode = sqlcode
        self.message = message


def unexpected(error: str, detail: str) -> SqlError:
    """``-400`` with an ObjectScript error name the way IRIS words a runtime error inside a
    statement (``Unexpected error occurred: <STORE> ...``)."""
    return SqlError(FATAL, f"Unexpected error occurred: <{error}> {detail}")


def megabytes(size: int) -> str:
    """A byte count for a message: ``64 MB`` (MiB, rounded), or bytes below one."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):.0f} MB"
    return f"{size} bytes"
