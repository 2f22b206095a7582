"""IRIS SQL functions and predicates as SQLite user functions, and the allowed function list.

A ``$LIST`` is carried as a JSON array behind a marker character, which only ``%INLIST``
and the ``$LIST`` functions read.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from atelier_api.sql.dialect import DOLLAR

LIST_MARK = "\x01$L"
#: IRIS function name (upper case; $NAME as D__NAME) -> SQLite function
FUNCTION_MAP = {
    DOLLAR + "LISTFROMSTRING": "iris_listfromstring",
    DOLLAR + "LISTBUILD": "iris_listbuild",
    DOLLAR + "LISTLENGTH": "iris_listlength",
    DOLLAR + "LISTGET": "iris_listget",
    DOLLAR + "PIECE": "iris_piece",
    DOLLAR + "LENGTH": "iris_length",
    DOLLAR + "EXTRACT": "iris_extract",
    DOLLAR + "ZCONVERT": "iris_zconvert",
    "%SQLUPPER": "upper", "%UPPER": "upper", "%SQLSTRING": "iris_exact",
    "%EXACT": "iris_exact", "%STRING": "iris_exact", "UCASE": "upper", "LCASE": "lower",
    "NVL": "ifnull", "ISNULL": "ifnull", "LEN": "length", "CHAR_LENGTH": "length",
    "CHARACTER_LENGTH": "length", "CHARINDEX": "iris_charindex", "INSTR": "instr",
    "NOW": "CURRENT_TIMESTAMP", "GETDATE": "CURRENT_TIMESTAMP", "GETUTCDATE": "CURRENT_TIMESTAMP",
    "SUBSTR": "substr", "REPLACE": "replace", "LTRIM": "ltrim", "RTRIM": "rtrim",
    "STRING": "iris_concat", "IFNULL": "ifnull", "%STARTSWITH": "iris_startswith",
}
ALLOWED_SQLITE_FUNCTIONS = {
    "upper", "lower", "substr", "substring", "length", "coalesce", "ifnull", "nullif", "iif",
    "count", "max", "min", "sum", "avg", "total", "group_concat", "trim", "ltrim", "rtrim",
    "replace", "round", "abs", "instr", "like", "glob", "strftime", "datetime", "date", "time",
    "julianday", "printf", "format", "concat", "concat_ws", "typeof", "cast", "char",
    "iris_listfromstring", "iris_listbuild", "iris_listlength", "iris_listget", "iris_piece",
    "iris_length", "iris_extract", "iris_zconvert", "iris_exact", "iris_charindex",
    "iris_concat", "iris_startswith", "iris_inlist", "current_timestamp",
}


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str) and value.startswith(LIST_MARK):
        return json.loads(value[len(LIST_MARK):])  # type: ignore[no-any-return]
    return None


def _make_list(items: list[Any]) -> str:
    return LIST_MARK + json.dumps(items)


def list_from_string(text: Any, delimiter: Any = ",") -> str | None:
    """$LISTFROMSTRING(text[, delimiter])."""
    if text is None:
        return None
    return _make_list(str(text).split(str(delimiter) or ","))


def in_list(value: Any, items: Any) -> int | None:
    """``value %INLIST list``: compared as strings (IRIS compares list elements as text)."""
    if value is None:
        return 0
    found = _as_list(items)
    if found is None:
        found = [] if items is None else [items]
    return int(_text(value) in {_text(i) for i in found})


def starts_with(value: Any, prefix: Any) -> int | None:
    """``value %STARTSWITH prefix`` (exact comparison of the leading characters)."""
    if value is None or prefix is None:
        return 0
    return int(_text(value).startswith(_text(prefix)))


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def piece(text: Any, delimiter: Any, start: Any = 1, end: Any = None) -> str | None:
    """$PIECE(text, delimiter[, from[, to]])."""
    if text is None or delimiter in (None, ""):
        return None
    parts = _text(text).split(_text(delimiter))
    first = int(start)
    last = first if end is None else int(end)
    return _text(delimiter).join(parts[max(first, 1) - 1:max(last, 0)])


def extract(text: Any, start: Any = 1, end: Any = None) -> str | None:
    """$EXTRACT(text[, from[, to]])."""
    if text is None:
        return None
    first = int(start)
    last = first if end is None else int(end)
    return _text(text)[max(first, 1) - 1:max(last, 0)]


def dollar_length(text: Any, delimiter: Any = None) -> int:
    """$LENGTH(text[, delimiter])."""
    if text is None:
        return 0
    if delimiter is None:
        return len(_text(text))
    return len(_text(text).split(_text(delimiter)))


def list_get(items: Any, position: Any = 1) -> Any:
    """$LISTGET(list[, position])."""
    found = _as_list(items) or []
    index = int(position)
    return found[index - 1] if 0 < index <= len(found) else ""


def zconvert(text: Any, mode: Any = "U") -> Any:
    """$ZCONVERT(text, "U"|"L"|"W")."""
    if text is None:
        return None
    kind = _text(mode).upper()[:1]
    return {"U": _text(text).upper(), "L": _text(text).lower(), "W": _text(text).title()
            }.get(kind, _text(text))


def register(conn: sqlite3.Connection) -> None:
    """Install the IRIS functions on a connection."""
    conn.create_function("iris_listfromstring", -1, list_from_string, deterministic=True)
    conn.create_function("iris_listbuild", -1, lambda *a: _make_list(list(a)),
                         deterministic=True)
    conn.create_function("iris_listlength", 1, lambda v: len(_as_list(v) or []),
                         deterministic=True)
    conn.create_function("iris_listget", -1, list_get, deterministic=True)
    conn.create_function("iris_inlist", 2, in_list, deterministic=True)
    conn.create_function("iris_startswith", 2, starts_with, deterministic=True)
    conn.create_function("iris_piece", -1, piece, deterministic=True)
    conn.create_function("iris_extract", -1, extract, deterministic=True)
    conn.create_function("iris_length", -1, dollar_length, deterministic=True)
    conn.create_function("iris_zconvert", -1, zconvert, deterministic=True)
    conn.create_function("iris_exact", 1, lambda v: v, deterministic=True)
    conn.create_function("iris_charindex", -1,
                         lambda a, b, s=1: _text(b).find(_text(a), int(s) - 1) + 1
                         if a is not None and b is not None else 0, deterministic=True)
    conn.create_function("iris_concat", -1, lambda *a: "".join(_text(x) for x in a
                                                                if x is not None),
                         deterministic=True)
