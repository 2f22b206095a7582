"""The ``%RO`` routine export format: what ``GET doc?format=%RO`` answers for a routine.

``%RO`` is the transfer format of IRIS's legacy routine output utility (``^%RO``), the third
format GetDoc offers from API v2 besides UDL and XML. It is a routine format only: classes,
web files and other documents have no ``%RO`` form (a 400). Its lines:

1. a description line ``<system>^<TYPE>^<comment>^~Format=IRIS.S~^<charset>``
   (``IRIS for UNIX^MAC^^~Format=IRIS.S~^UTF8``);
2. ``%RO on <date> <time>``: when the export was taken; here the document's own ``ts`` (UTC),
   so the same version always exports the same text;
3. ``<name>^<TYPE>^^<$HOROLOG of the last change>^0``;
4. the routine's lines, without the UDL ``ROUTINE`` header. A blank line ends a routine in
   this format, so an empty line inside the routine is written as ``.`` (the form IRIS's
   "Save for Source Control" files show) and trailing empty lines are dropped;
5. an empty line ending the routine and an empty line ending the export.

A routine file kept in ``%RO`` form already (``atelier_api.documents.declared``) is answered
with its own lines, byte for byte as stored.
"""

from __future__ import annotations

import datetime as dt

from atelier_api.documents.declared import present, routine_form
from atelier_api.documents.names import DocName
from atelier_api.errors import BadRequest
from atelier_api.version import version_string

RO_FORMAT = "%RO"
#: the routine types the format carries (the TYPE field)
RO_TYPES = frozenset({"mac", "int", "inc", "bas", "mvi", "mvb"})
_HOROLOG_DAY0 = dt.date(1840, 12, 31)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ro_lines(doc: DocName, lines: list[str], ts: str) -> list[str]:
    """A routine's text (``lines`` as stored, any routine form) as ``%RO`` export lines;
    ``ts`` is the document's timestamp (``YYYY-MM-DD HH:MM:SS[.fff]``, UTC)."""
    check_routine(doc)
    if routine_form(lines) == "ro":
        return list(lines)
    body = present(doc, lines)[1:]
    while body and body[-1] == "":
        body.pop()
    kind = doc.ext.upper()
    system = version_string().split(" (", 1)[0]
    when = _parse_ts(ts)
    return [f"{system}^{kind}^^~Format=IRIS.S~^UTF8",
            "%RO" if when is None else f"%RO on {_export_date(when)}",
            f"{doc.base}^{kind}^^{'' if when is None else _horolog(when)}^0",
            *(line if line != "" else "." for line in body), "", ""]


def check_routine(doc: DocName) -> None:
    """A 400 unless the document is a routine (the only documents ``%RO`` carries)."""
    if doc.cat != "RTN" or doc.ext not in RO_TYPES:
        raise BadRequest(f"format {RO_FORMAT} is the routine export format; '{doc.name}' is "
                         "not a routine (use udl or xml)")


def _parse_ts(ts: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(ts)
    except ValueError:
        return None


def _export_date(when: dt.datetime) -> str:
    """``22 Jun 2023 2:33 PM``: the date form of the ``%RO on`` line."""
    hour = when.hour % 12 or 12
    half = "AM" if when.hour < 12 else "PM"
    return (f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year} "
            f"{hour}:{when.minute:02d} {half}")


def _horolog(when: dt.datetime) -> str:
    """``$HOROLOG`` of a moment: days since 31 Dec 1840, seconds since midnight (with the
    milliseconds, when there are any)."""
    days = (when.date() - _HOROLOG_DAY0).days
    seconds = when.hour * 3600 + when.minute * 60 + when.second
    millis = when.microsecond // 1000
    return f"{days},{seconds}" + (f".{millis:03d}".rstrip("0") if millis else "")
