"""Dates and times: ``$HOROLOG``, ``$ZTIMESTAMP`` and the ``$ZDATE``/``$ZTIME`` family.

Internal format: a date is a day count with day 0 = 31 Dec 1840 (day 1 = 1 Jan 1841, and
negative counts reach back to -672045 = 1 Jan 0001, proleptic Gregorian); a time is seconds
since midnight; ``$HOROLOG`` is ``"days,seconds"``.

Formats implemented (InterSystems ObjectScript Reference, ``$ZDATETIME`` dformat/tformat):
dformat -1 (locale default, here 1), 1 ``MM/DD/[YY]YY``, 2 ``DD Mmm [YY]YY``, 3 ``YYYY-MM-DD``,
4 and 15 ``DD/MM/[YY]YY``, 5 ``Mmm [D]D, YYYY``, 6 ``Mmm [D]D YYYY``, 7 ``Mmm DD [YY]YY``,
8 ``YYYYMMDD``, 9 ``Mmmmm [D]D, YYYY``, 10 weekday number (0 = Sunday), 11 ``Www``,
12 ``Wwwwww``, 13 Thai ``[D]D/[M]M/YYYY`` (Buddhist year), 14 day of the year,
16 ``YYYY年[M]M月[D]D日``, 17 the same with a space after 年 and 月; for ``$ZDATETIME``/
``$ZDATETIMEH`` also -2 (POSIX seconds) and -3 (``$ZTIMESTAMP`` UTC to/from local).
tformat -1 (locale default, here 1), 1 ``hh:mm:ss``, 2 ``hh:mm``, 3 ``hh:mm:ss`` + AM/PM,
4 ``hh:mm`` + AM/PM. The Hijri formats 18-21 and time formats 5-8 are not implemented and
raise ``<FUNCTION>`` like an unknown format.

``[YY]YY``: by default (yearopt -1/0/1) two digits for the years 1900-1999, four otherwise;
yearopt 2 always two, 4 always four, 3 two within the day window startwin..endwin.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.values import num, to_str

_BASE = _dt.date(1840, 12, 31).toordinal()
MIN_DATE = 1 - _BASE  # 1 Jan 0001
MAX_DATE = _dt.date(9999, 12, 31).toordinal() - _BASE  # 2980013

_MONTHS = [
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_YEAR, _MONTH, _DAY = chr(24180), chr(26376), chr(26085)

_DATE_FORMATS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
_TIME_FORMATS = frozenset({1, 2, 3, 4})


class _Invalid(Exception):
    """An input that is not a valid date or time (``<ILLEGAL VALUE>`` unless erropt)."""

    def __init__(self, code: str = "ILLEGAL VALUE") -> None:
        super().__init__(code)
        self.code = code


def _int(v: Any) -> int:
    n = num(v)
    if type(n) is int:
        return n
    if isinstance(n, float) and (n != n or math.isinf(n)):
        raise _Invalid()
    return int(n)


def _opt(v: Any, default: int) -> int:
    """An optional integer argument (omitted: None or the empty string)."""
    if v is None or (type(v) is str and v == ""):
        return default
    return _int(v)


def _fail(e: _Invalid, erropt: Any) -> Any:
    if erropt is not None:
        return erropt
    raise ObjectScriptError(e.code)


def _months(monthlist: Any, full: bool) -> list[str]:
    if monthlist is None or to_str(monthlist) == "":
        return _MONTHS if full else [m[:3] for m in _MONTHS]
    ml = to_str(monthlist)
    names = ml[1:].split(ml[0])
    if len(names) != 12:
        raise ObjectScriptError("FUNCTION")
    return names


# --------------------------------------------------------------------------- $HOROLOG


def horolog() -> str:
    """``$HOROLOG``: local ``"days,seconds"``."""
    now = _dt.datetime.now()
    return f"{now.date().toordinal() - _BASE},{now.hour * 3600 + now.minute * 60 + now.second}"


def ztimestamp() -> str:
    """``$ZTIMESTAMP``: UTC ``"days,seconds.fff"`` (milliseconds, trailing zeros kept)."""
    now = _dt.datetime.now(_dt.UTC)
    secs = now.hour * 3600 + now.minute * 60 + now.second
    return f"{now.date().toordinal() - _BASE},{secs}.{now.microsecond // 1000:03d}"


# --------------------------------------------------------------------------- dates out


def _two_digits(year: int, hdate: int, yearopt: int, startwin: Any, endwin: Any) -> bool:
    if yearopt == 2:
        return True
    if yearopt == 4:
        return False
    if yearopt == 3 and startwin is not None:
        lo = _int(startwin)
        hi = _int(endwin) if endwin is not None and to_str(endwin) != "" else lo + 36524
        return lo <= hdate <= hi
    return 1900 <= year <= 1999


def _format_date(
    h: int,
    fmt: int,
    monthlist: Any = None,
    yearopt: int = -1,
    startwin: Any = None,
    endwin: Any = None,
) -> str:
    d = _dt.date.fromordinal(h + _BASE)
    y, m, dd = d.year, d.month, d.day
    yyyy = f"{y:04d}"
    yy = f"{y % 100:02d}" if _two_digits(y, h, yearopt, startwin, endwin) else yyyy
    if fmt == 1:
        return f"{m:02d}/{dd:02d}/{yy}"
    if fmt == 2:
        return f"{dd:02d} {_months(monthlist, False)[m - 1]} {yy}"
    if fmt == 3:
        return f"{yyyy}-{m:02d}-{dd:02d}"
    if fmt in (4, 15):
        return f"{dd:02d}/{m:02d}/{yy}"
    if fmt == 5:
        return f"{_months(monthlist, False)[m - 1]} {dd}, {yyyy}"
    if fmt == 6:
        return f"{_months(monthlist, False)[m - 1]} {dd} {yyyy}"
    if fmt == 7:
        return f"{_months(monthlist, False)[m - 1]} {dd:02d} {yy}"
    if fmt == 8:
        return f"{yyyy}{m:02d}{dd:02d}"
    if fmt == 9:
        return f"{_months(monthlist, True)[m - 1]} {dd}, {yyyy}"
    wd = (d.weekday() + 1) % 7  # Python: Monday 0; ObjectScript: Sunday 0
    if fmt == 10:
        return str(wd)
    if fmt == 11:
        return _DAYS[wd][:3]
    if fmt == 12:
        return _DAYS[wd]
    if fmt == 13:
        return f"{dd}/{m}/{y + 543}"
    if fmt == 14:
        return str(d.timetuple().tm_yday)
    if fmt == 16:
        return f"{y}{_YEAR}{m}{_MONTH}{dd}{_DAY}"
    return f"{y}{_YEAR} {m}{_MONTH} {dd}{_DAY}"  # 17


def _date_format(v: Any) -> int:
    f = _opt(v, 1)
    if f == -1:
        f = 1
    if f not in _DATE_FORMATS:
        raise ObjectScriptError("FUNCTION")
    return f


def _check_date(h: int, mindate: Any, maxdate: Any) -> None:
    lo = _opt(mindate, MIN_DATE)
    hi = _opt(maxdate, MAX_DATE)
    if h < MIN_DATE or h > MAX_DATE:
        raise _Invalid()
    if h < lo or h > hi:
        raise _Invalid("VALUE OUT OF RANGE")


def zdate(
    hdate: Any,
    dformat: Any = None,
    monthlist: Any = None,
    yearopt: Any = None,
    startwin: Any = None,
    endwin: Any = None,
    mindate: Any = None,
    maxdate: Any = None,
    erropt: Any = None,
    localeopt: Any = None,
) -> Any:
    """``$ZDATE(hdate, dformat, monthlist, yearopt, startwin, endwin, mindate, maxdate,
    erropt, localeopt)``."""
    f = _date_format(dformat)
    try:
        h = _int(hdate)
        _check_date(h, mindate, maxdate)
    except _Invalid as e:
        return _fail(e, erropt)
    return _format_date(h, f, monthlist, _opt(yearopt, -1), startwin, endwin)


# --------------------------------------------------------------------------- times out


def _time_format(v: Any) -> int:
    f = _opt(v, 1)
    if f == -1:
        f = 1
    if f not in _TIME_FORMATS:
        raise ObjectScriptError("FUNCTION")
    return f


def _format_time(t: Any, fmt: int, precision: Any) -> str:
    """t: seconds since midnight (a number, 0 <= t < 86400)."""
    prec = _opt(precision, -1)
    d = Decimal(to_str(t)) if type(t) is not float else Decimal(repr(t))
    if prec > 0:
        d = d.quantize(Decimal(1).scaleb(-prec), rounding=ROUND_HALF_UP)
    else:
        d = Decimal(int(d))
    whole = int(d)
    frac = d - whole
    if whole >= 86400:  # rounding carried past midnight
        whole -= 86400
    hh, rest = divmod(whole, 3600)
    mm, ss = divmod(rest, 60)
    secs = f"{ss:02d}"
    if prec > 0:
        secs += "." + f"{frac:.{prec}f}".split(".")[1]
    if fmt in (1, 2):
        return f"{hh:02d}:{mm:02d}:{secs}" if fmt == 1 else f"{hh:02d}:{mm:02d}"
    suffix = "AM" if hh < 12 else "PM"
    h12 = hh % 12 or 12
    if fmt == 3:
        return f"{h12:02d}:{mm:02d}:{secs}{suffix}"
    return f"{h12:02d}:{mm:02d}{suffix}"


def _check_time(t: Any) -> Any:
    if type(t) is str:
        t = num(t)
    if isinstance(t, float) and (t != t or math.isinf(t)):
        raise _Invalid()
    if t < 0 or t >= 86400:
        raise _Invalid()
    return t


def ztime(
    htime: Any,
    tformat: Any = None,
    precision: Any = None,
    erropt: Any = None,
    localeopt: Any = None,
) -> Any:
    """``$ZTIME(htime, tformat, precision, erropt, localeopt)``."""
    f = _time_format(tformat)
    try:
        t = _check_time(num(htime))
    except _Invalid as e:
        return _fail(e, erropt)
    return _format_time(t, f, precision)


# --------------------------------------------------------------------------- $ZDATETIME


def zdatetime(
    hdatetime: Any,
    dformat: Any = None,
    tformat: Any = None,
    precision: Any = None,
    monthlist: Any = None,
    yearopt: Any = None,
    startwin: Any = None,
    endwin: Any = None,
    mindate: Any = None,
    maxdate: Any = None,
    erropt: Any = None,
    localeopt: Any = None,
) -> Any:
    """``$ZDATETIME(hdatetime, dformat, tformat, precision, monthlist, yearopt, startwin,
    endwin, mindate, maxdate, erropt, localeopt)``: ``"date time"`` (a missing time is 0).

    dformat -2 gives the POSIX seconds of a local ``$HOROLOG``; -3 the ``$ZTIMESTAMP``-style
    UTC value of a local one.
    """
    s = to_str(hdatetime)
    dpart, _, tpart = s.partition(",")
    fmt_raw = _opt(dformat, 1)
    try:
        h = _int(dpart)
        t = _check_time(num(tpart)) if tpart != "" else 0
        if fmt_raw in (-2, -3):
            _check_date(h, mindate, maxdate)
            local = _dt.datetime.fromordinal(h + _BASE) + _dt.timedelta(seconds=float(t))
            utc = local.astimezone(_dt.UTC)
            if fmt_raw == -2:
                return int((utc - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)).total_seconds())
            secs = utc.hour * 3600 + utc.minute * 60 + utc.second
            return f"{utc.date().toordinal() - _BASE},{secs}"
        f = _date_format(dformat)
        tf = _time_format(tformat)
        _check_date(h, mindate, maxdate)
    except _Invalid as e:
        return _fail(e, erropt)
    date = _format_date(h, f, monthlist, _opt(yearopt, -1), startwin, endwin)
    return date + " " + _format_time(t, tf, precision)


# --------------------------------------------------------------------------- dates in


def _year(text: str, yearopt: int) -> int:
    if not text.isdigit() or len(text) not in (2, 4):
        if text.isdigit() and len(text) in (1, 3):
            return int(text)
        raise _Invalid()
    y = int(text)
    if len(text) == 2 and yearopt != 4:
        y += 1900
    return y


def _month_number(name: str, monthlist: Any) -> int:
    low = name.lower().rstrip(".")
    if monthlist is not None and to_str(monthlist) != "":
        names = [n.lower() for n in _months(monthlist, True)]
        if low in names:
            return names.index(low) + 1
        raise _Invalid()
    if len(low) >= 3:
        for i, full in enumerate(_MONTHS):
            if full.lower().startswith(low):
                return i + 1
    raise _Invalid()


def _ymd(y: int, m: int, d: int) -> int:
    try:
        return _dt.date(y, m, d).toordinal() - _BASE
    except ValueError:
        if 1 <= m <= 12 and 1 <= d <= 31 and (y < 1 or y > 9999):
            raise _Invalid("VALUE OUT OF RANGE") from None
        raise _Invalid() from None


_T_RE = re.compile(r"T(?:([+-])(\d+))?", re.IGNORECASE)


def _parse_date(s: str, fmt: int, monthlist: Any, yearopt: int) -> int:
    s = s.strip()
    m = _T_RE.fullmatch(s)
    if m:
        today = _dt.date.today().toordinal() - _BASE
        if m.group(1):
            n = int(m.group(2))
            return today + n if m.group(1) == "+" else today - n
        return today
    if fmt in (1, 4, 15, 13):
        parts = re.split(r"[/.\-]", s)
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            if fmt == 15 and re.fullmatch(r"\d{8}", s):
                return _ymd(int(s[:4]), int(s[4:6]), int(s[6:]))
            raise _Invalid()
        if fmt == 15 and len(parts[0]) == 4:
            return _ymd(int(parts[0]), int(parts[1]), int(parts[2]))
        a, b, c = parts
        mo, dd = (int(a), int(b)) if fmt == 1 else (int(b), int(a))
        if fmt == 13:
            return _ymd(int(c) - 543, mo, dd)
        return _ymd(_year(c, yearopt), mo, dd)
    if fmt == 3:
        mt = re.fullmatch(r"(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})", s)
        if not mt:
            raise _Invalid()
        return _ymd(_year(mt.group(1), yearopt), int(mt.group(2)), int(mt.group(3)))
    if fmt == 8:
        if not re.fullmatch(r"\d{8}", s):
            raise _Invalid()
        return _ymd(int(s[:4]), int(s[4:6]), int(s[6:]))
    if fmt == 2:
        mt = re.fullmatch(r"(\d{1,2})\s+([^\s\d]+)\s+(\d+)", s)
        if not mt:
            raise _Invalid()
        return _ymd(
            _year(mt.group(3), yearopt), _month_number(mt.group(2), monthlist), int(mt.group(1))
        )
    if fmt in (5, 6, 7, 9):
        mt = re.fullmatch(r"([^\s\d,]+)\s+(\d{1,2}),?\s+(\d+)", s)
        if not mt:
            raise _Invalid()
        return _ymd(
            _year(mt.group(3), yearopt), _month_number(mt.group(1), monthlist), int(mt.group(2))
        )
    if fmt in (16, 17):
        mt = re.fullmatch(rf"(\d+){_YEAR}\s*(\d+){_MONTH}\s*(\d+){_DAY}", s)
        if not mt:
            raise _Invalid()
        return _ymd(int(mt.group(1)), int(mt.group(2)), int(mt.group(3)))
    raise ObjectScriptError("FUNCTION")  # 10, 11, 12, 14 have no input form


def _date_in_format(v: Any) -> int:
    f = _date_format(v)
    if f in (10, 11, 12, 14):
        raise ObjectScriptError("FUNCTION")
    return f


def zdateh(
    date: Any,
    dformat: Any = None,
    monthlist: Any = None,
    yearopt: Any = None,
    startwin: Any = None,
    endwin: Any = None,
    mindate: Any = None,
    maxdate: Any = None,
    erropt: Any = None,
    localeopt: Any = None,
) -> Any:
    """``$ZDATEH(date, dformat, monthlist, yearopt, startwin, endwin, mindate, maxdate,
    erropt, localeopt)``: the internal day count of a displayed date."""
    f = _date_in_format(dformat)
    try:
        h = _parse_date(to_str(date), f, monthlist, _opt(yearopt, -1))
        _check_date(h, mindate, maxdate)
    except _Invalid as e:
        return _fail(e, erropt)
    return h


# --------------------------------------------------------------------------- times in


_TIME_RE = re.compile(
    r"(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(\.\d*)?)?)?\s*(AM|PM|A|P)?", re.IGNORECASE
)


def _parse_time(s: str) -> Any:
    u = s.strip().upper()
    if u == "NOON":
        return 43200
    if u == "MIDNIGHT":
        return 0
    m = _TIME_RE.fullmatch(u)
    if not m:
        raise _Invalid()
    hh = int(m.group(1))
    mm = int(m.group(2) or 0)
    ss = int(m.group(3) or 0)
    ampm = m.group(5)
    if ampm:
        if hh < 1 or hh > 12:
            raise _Invalid()
        hh = hh % 12 + (12 if ampm.startswith("P") else 0)
    if hh > 23 or mm > 59 or ss > 59:
        raise _Invalid()
    total = hh * 3600 + mm * 60 + ss
    frac = m.group(4)
    if frac and frac.strip(".0"):
        return num(f"{total}{frac}")
    return total


def ztimeh(time: Any, tformat: Any = None, erropt: Any = None, localeopt: Any = None) -> Any:
    """``$ZTIMEH(time, tformat, erropt, localeopt)``: seconds since midnight (fractional
    seconds kept)."""
    _opt(tformat, 1)  # every 12/24-hour form is accepted whatever tformat says
    try:
        return _parse_time(to_str(time))
    except _Invalid as e:
        return _fail(e, erropt)


def zdatetimeh(
    datetime: Any,
    dformat: Any = None,
    tformat: Any = None,
    monthlist: Any = None,
    yearopt: Any = None,
    startwin: Any = None,
    endwin: Any = None,
    mindate: Any = None,
    maxdate: Any = None,
    erropt: Any = None,
    localeopt: Any = None,
) -> Any:
    """``$ZDATETIMEH(datetime, dformat, tformat, ...)``: ``"days,seconds"``.

    dformat -2 reads POSIX seconds, -3 a UTC ``$ZTIMESTAMP`` value; both give local time.
    """
    s = to_str(datetime).strip()
    fmt_raw = _opt(dformat, 1)
    try:
        if fmt_raw in (-2, -3):
            if fmt_raw == -2:
                stamp = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(seconds=_int(s))
                frac = ""
            else:
                dpart, _, tpart = s.partition(",")
                t = num(tpart) if tpart else 0
                secs = int(t)
                frac = to_str(num(f"0{to_str(t)[len(str(secs)) :]}")) if t != secs else ""
                stamp = _dt.datetime.fromordinal(_int(dpart) + _BASE).replace(
                    tzinfo=_dt.UTC
                ) + _dt.timedelta(seconds=secs)
            local = stamp.astimezone(tz=None).replace(tzinfo=None)
            days = local.date().toordinal() - _BASE
            secs_local = local.hour * 3600 + local.minute * 60 + local.second
            return f"{days},{secs_local}{frac}"
        f = _date_in_format(dformat)
        _opt(tformat, 1)
        if f == 3 and "T" in s[1:]:
            s = s.replace("T", " ", 1)
        dtext, ttext = s, ""
        if ":" in s or s.upper().endswith(("AM", "PM")):
            cut = s.rfind(" ")
            if cut < 0:
                raise _Invalid()
            dtext, ttext = s[:cut], s[cut + 1 :]
            # "10:00 AM": the meridian is its own word
            if ttext.upper() in ("AM", "PM") and " " in dtext:
                cut = dtext.rfind(" ")
                dtext, ttext = dtext[:cut], dtext[cut + 1 :] + ttext
        h = _parse_date(dtext, f, monthlist, _opt(yearopt, -1))
        _check_date(h, mindate, maxdate)
        t = _parse_time(ttext) if ttext else 0
    except _Invalid as e:
        return _fail(e, erropt)
    return f"{h},{to_str(t)}"


DATE_FUNCTIONS: dict[str, Any] = {
    "$ZDATE": zdate,
    "$ZD": zdate,
    "$ZDATEH": zdateh,
    "$ZDH": zdateh,
    "$ZDATETIME": zdatetime,
    "$ZDT": zdatetime,
    "$ZDATETIMEH": zdatetimeh,
    "$ZDTH": zdatetimeh,
    "$ZTIME": ztime,
    "$ZT": ztime,
    "$ZTIMEH": ztimeh,
    "$ZTH": ztimeh,
    "$HOROLOG": horolog,
    "$H": horolog,
    "$ZTIMESTAMP": ztimestamp,
    "$ZTS": ztimestamp,
}
