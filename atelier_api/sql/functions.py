"""IRIS SQL functions and predicates as SQLite user functions, and the allowed function list.

A ``$LIST`` is carried as a JSON array behind a marker character, which only ``%INLIST``
and the ``$LIST`` functions read.

A value ObjectScript leaves out (a ``$LISTGET`` past the end, no default given) is NULL, as
an ObjectScript ``""`` is in IRIS SQL. The predicates ``%PATTERN``, ``[`` and ``]`` are
unknown (NULL) when an operand is NULL. ``%SQLUPPER`` / ``%SQLSTRING`` (and the legacy
``%STRING``, as ``%SQLUPPER``) are IRIS's collation functions: trailing white space removed
and one space in front (``%SQLUPPER`` in upper case too), cut to the optional length; the
runtime's index collation (``compiler_stub/runtime/persistence.py``) is the same.

Every function runs in time linear in its arguments and never builds a value longer than the
statement's longest value (``ValueTooLong`` before the work, not after): SQLite cannot stop a
statement inside one function call. For that reason ``replace``, ``instr`` and ``trim`` are
replaced by linear versions too (SQLite's compare every position with the whole pattern).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from atelier_api.sql.dialect import DOLLAR
from atelier_api.sql.patterns import match as pattern_match

#: the longest value when a connection does not say otherwise (IRIS's longest string)
DEFAULT_MAX_VALUE = 3_641_144
#: up to this many distinct characters, trim uses str.strip (it compares each character of
#: the value with each trim character); more go through a set
STRIP_SET = 64

LIST_MARK = "\x01$L"
#: IRIS function name (upper case; $NAME as D__NAME) -> SQLite function
FUNCTION_MAP = {
    DOLLAR + "LISTFROMSTRING": "iris_listfromstring",
    DOLLAR + "LISTBUILD": "iris_listbuild",
    DOLLAR + "LISTLENGTH": "iris_listlength",
    DOLLAR + "LISTGET": "iris_listget",
    DOLLAR + "LISTTOSTRING": "iris_listtostring",
    DOLLAR + "PIECE": "iris_piece",
    DOLLAR + "LENGTH": "iris_length",
    DOLLAR + "EXTRACT": "iris_extract",
    DOLLAR + "ZCONVERT": "iris_zconvert",
    "%SQLUPPER": "iris_sqlupper", "%UPPER": "upper", "%SQLSTRING": "iris_sqlstring",
    "%EXACT": "iris_exact", "%STRING": "iris_sqlupper", "UCASE": "upper", "LCASE": "lower",
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
    "iris_concat", "iris_startswith", "iris_inlist", "current_timestamp", "iris_listtostring",
    "iris_sqlupper", "iris_sqlstring", "iris_pattern", "iris_contains", "iris_follows",
    "iris_cq", "iris_cq_col",
}
#: white space %SQLUPPER / %SQLSTRING remove from the end of a value
WHITE = " \t\r\n\x0b\x0c"


class ValueTooLong(ValueError):
    """A function would make a value longer than the statement's longest value."""


def _fits(size: int, limit: int) -> None:
    if size > limit:
        raise ValueTooLong(f"a value of {size} characters is longer than {limit}")


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str) and value.startswith(LIST_MARK):
        return json.loads(value[len(LIST_MARK):])  # type: ignore[no-any-return]
    return None


def _make_list(items: list[Any]) -> str:
    return LIST_MARK + json.dumps(items)


def list_from_string(text: Any, delimiter: Any = ",", *, limit: int = DEFAULT_MAX_VALUE
                     ) -> str | None:
    """$LISTFROMSTRING(text[, delimiter])."""
    if text is None:
        return None
    value, sep = str(text), str(delimiter) or ","
    _fits(len(value) + 3 * (value.count(sep) + 1) + len(LIST_MARK) + 2, limit)
    return _make_list(value.split(sep))


def list_build(*items: Any, limit: int = DEFAULT_MAX_VALUE) -> str:
    """$LISTBUILD(item, ...)."""
    _fits(sum(len(_text(i)) + 4 for i in items) + len(LIST_MARK) + 2, limit)
    return _make_list(list(items))


def concat(*items: Any, limit: int = DEFAULT_MAX_VALUE) -> str:
    """STRING(item, ...): the items as text, one after the other (NULL as nothing)."""
    texts = [_text(x) for x in items if x is not None]
    _fits(sum(len(t) for t in texts), limit)
    return "".join(texts)


def in_list(value: Any, items: Any) -> int | None:
    """``value %INLIST list``: compared as strings (IRIS compares list elements as text)."""
    if value is None:
        return 0
    found = _as_list(items)
    if found is None:
        found = [] if items is None else [items]
    wanted = _text(value)
    return int(any(_text(i) == wanted for i in found))


def starts_with(value: Any, prefix: Any) -> int | None:
    """``value %STARTSWITH prefix`` (exact comparison of the leading characters)."""
    if value is None or prefix is None:
        return 0
    return int(_text(value).startswith(_text(prefix)))


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sqlite_text(value: Any) -> str:
    """A value as SQLite turns it into text (a REAL keeps a decimal point)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        text = f"{value:.15g}"
        return text if any(c in text for c in ".eni") else text + ".0"
    return str(value)


def piece(text: Any, delimiter: Any, start: Any = 1, end: Any = None) -> str | None:
    """$PIECE(text, delimiter[, from[, to]]), without splitting the whole text."""
    if text is None or delimiter in (None, ""):
        return None
    value, sep = _text(text), _text(delimiter)
    first = int(start)
    last = first if end is None else int(end)
    first = max(first, 1)
    if last < first:
        return ""
    begin = 0
    for _ in range(first - 1):
        found = value.find(sep, begin)
        if found < 0:
            return ""
        begin = found + len(sep)
    stop = begin
    for _ in range(last - first + 1):
        found = value.find(sep, stop)
        if found < 0:
            return value[begin:]
        stop = found + len(sep)
    return value[begin:stop - len(sep)]


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
    sep = _text(delimiter)
    if not sep:
        raise ValueError("empty delimiter")
    return _text(text).count(sep) + 1


def list_get(items: Any, position: Any = 1, default: Any = None) -> Any:
    """$LISTGET(list[, position[, default]]): position -1 is the last element; an absent
    element is the default, NULL without one."""
    found = _as_list(items) or []
    index = 1 if position is None else int(position)
    if index == -1:
        index = len(found)
    value = found[index - 1] if 0 < index <= len(found) else None
    return default if value is None else value


def list_to_string(items: Any, delimiter: Any = ",", _flag: Any = None, *,
                   limit: int = DEFAULT_MAX_VALUE) -> str | None:
    """$LISTTOSTRING(list[, delimiter[, flag]]): the elements joined (an undefined element
    as nothing). A value that is not a list is a list of itself (the dictionary keeps list
    columns as text)."""
    if items is None:
        return None
    found = _as_list(items)
    if found is None:
        return _text(items)
    sep = "," if delimiter is None else _text(delimiter)
    texts = ["" if i is None else _text(i) for i in found]
    _fits(sum(len(t) for t in texts) + len(sep) * max(len(texts) - 1, 0), limit)
    return sep.join(texts)


def collation(value: Any, length: Any = None, *, upper: bool) -> str | None:
    """%SQLUPPER(value[, length]) / %SQLSTRING(value[, length])."""
    if value is None:
        return None
    body = _text(value).rstrip(WHITE)
    # a character whose upper case is longer (ß) stays as it is: the length is kept
    out = " " + ("".join(c.upper() if len(c.upper()) == 1 else c for c in body) if upper
                 else body)
    return out if length is None else out[:max(int(length), 0)]


def pattern(value: Any, text: Any, check: Callable[[], None] | None = None) -> int | None:
    """``value %PATTERN text``: ObjectScript's pattern match of the whole value."""
    if value is None or text is None:
        return None
    return int(pattern_match(_text(value), _text(text), check))


def contains(value: Any, part: Any) -> int | None:
    """``value [ part``: the value contains the string (exact comparison)."""
    if value is None or part is None:
        return None
    return int(_text(part) in _text(value))


def follows(value: Any, other: Any) -> int | None:
    """``value ] other``: the value sorts after the other (numbers by value, strings by
    character code)."""
    if value is None or other is None:
        return None
    if _is_number(value) and _is_number(other):
        return int(value > other)
    return int(_text(value) > _text(other))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def zconvert(text: Any, mode: Any = "U") -> Any:
    """$ZCONVERT(text, "U"|"L"|"W")."""
    if text is None:
        return None
    kind = _text(mode).upper()[:1]
    value = _text(text)
    if kind == "U":
        return value.upper()
    if kind == "L":
        return value.lower()
    if kind == "W":
        return value.title()
    return value


def replace(text: Any, old: Any, new: Any, *, limit: int = DEFAULT_MAX_VALUE) -> str | None:
    """SQLite's ``replace(x, y, z)`` in linear time; the length of the result is known (and
    refused when too long) before it is made."""
    if text is None or old is None or new is None:
        return None
    value, find, into = _sqlite_text(text), _sqlite_text(old), _sqlite_text(new)
    if not find:
        return value
    if len(into) > len(find):
        _fits(len(value) + value.count(find) * (len(into) - len(find)), limit)
    return value.replace(find, into)


def instr(text: Any, part: Any) -> int | None:
    """SQLite's ``instr(x, y)`` (1-based position, 0 when absent) in linear time."""
    if text is None or part is None:
        return None
    if isinstance(text, bytes) and isinstance(part, bytes):
        return text.find(part) + 1
    return _sqlite_text(text).find(_sqlite_text(part)) + 1


def _trimmer(left: bool, right: bool) -> Callable[..., str | None]:
    def trim(text: Any, chars: Any = " ") -> str | None:
        if text is None or chars is None:
            return None
        value, drop = _sqlite_text(text), _sqlite_text(chars)
        unique = set(drop)
        if len(unique) <= STRIP_SET:
            strip = "".join(unique)
            if left and right:
                return value.strip(strip)
            return value.lstrip(strip) if left else value.rstrip(strip)
        begin, stop = 0, len(value)
        while left and begin < stop and value[begin] in unique:
            begin += 1
        while right and stop > begin and value[stop - 1] in unique:
            stop -= 1
        return value[begin:stop]
    return trim


def register(conn: sqlite3.Connection, max_value: int = DEFAULT_MAX_VALUE,
             too_long: Callable[[], None] | None = None, check: Callable[[], None] | None = None,
             errors: list[BaseException] | None = None) -> None:
    """Install the IRIS functions (and the linear ``replace``, ``instr``, ``trim``) on a
    connection; ``too_long`` is told when a function refuses a value over ``max_value``;
    ``check`` (the statement's budget) is asked by functions that loop (``%PATTERN``); the
    exception a function raises is appended to ``errors`` (SQLite only says a function
    failed)."""
    def add(name: str, args: int, func: Callable[..., Any]) -> None:
        def call(*values: Any) -> Any:
            try:
                return func(*values)
            except ValueTooLong:
                if too_long is not None:
                    too_long()
                raise
            except Exception as exc:
                if errors is not None:
                    errors.append(exc)
                raise
        conn.create_function(name, args, call, deterministic=True)

    add("iris_listfromstring", -1,
        lambda text, sep=",": list_from_string(text, sep, limit=max_value))
    add("iris_listbuild", -1, lambda *items: list_build(*items, limit=max_value))
    add("iris_listlength", 1, lambda v: len(_as_list(v) or []))
    add("iris_listget", -1, list_get)
    add("iris_listtostring", -1, lambda *a: list_to_string(*a, limit=max_value))
    add("iris_sqlupper", -1, lambda v, n=None: collation(v, n, upper=True))
    add("iris_sqlstring", -1, lambda v, n=None: collation(v, n, upper=False))
    add("iris_pattern", 2, lambda v, p: pattern(v, p, check))
    add("iris_contains", 2, contains)
    add("iris_follows", 2, follows)
    add("iris_inlist", 2, in_list)
    add("iris_startswith", 2, starts_with)
    add("iris_piece", -1, piece)
    add("iris_extract", -1, extract)
    add("iris_length", -1, dollar_length)
    add("iris_zconvert", -1, zconvert)
    add("iris_exact", 1, lambda v: v)
    add("iris_charindex", -1, lambda a, b, s=1: _text(b).find(_text(a), int(s) - 1) + 1
        if a is not None and b is not None else 0)
    add("iris_concat", -1, lambda *items: concat(*items, limit=max_value))
    add("replace", 3, lambda x, y, z: replace(x, y, z, limit=max_value))
    add("instr", 2, instr)
    for name, left, right in (("trim", True, True), ("ltrim", True, False),
                              ("rtrim", False, True)):
        add(name, 1, _trimmer(left, right))
        add(name, 2, _trimmer(left, right))
