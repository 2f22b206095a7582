"""Conformance table of the date and time functions (compiler_stub/runtime/dates.py).

Every case is ``(function, args, expected)``: an exact value (type included) or ``Err(code)``.
The comment on each case names where the expected value comes from: a page of the InterSystems
ObjectScript Reference (RCOS_f...) and its example, or the rule it states. Anchors used for
day counts: day 0 = 31 Dec 1840 (RCOS_fzdate), 47117 = 1 Jan 1970 and 58074 = 1 Jan 2000
(GCOS_datetime: days since 31 Dec 1840, so 47117 = 129 years of days incl. 32 leap days).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from intrinsics import Err, check_call

from compiler_stub.runtime.functions import FUNCTIONS

Y, M, D = chr(24180), chr(26376), chr(26085)

CASES: list[tuple[str, tuple[Any, ...], Any]] = [
    # --- $ZDATE, every dformat on 1 Jan 2000 (a Saturday)
    ("$ZDATE", (0,), "12/31/1840"),  # RCOS_fzdate: day 0 is 31 Dec 1840
    ("$ZD", (1,), "01/01/1841"),  # RCOS_fzdate: day 1 is 1 Jan 1841
    ("$ZD", (58074,), "01/01/2000"),  # dformat 1 default: MM/DD/YYYY outside 1900-1999
    ("$ZD", (58074, 1), "01/01/2000"),  # RCOS_fzdatetime_dformat 1
    ("$ZD", (58074, 2), "01 Jan 2000"),  # RCOS_fzdatetime_dformat 2: DD Mmm [YY]YY
    ("$ZD", (58074, 3), "2000-01-01"),  # RCOS_fzdatetime_dformat 3: ODBC
    ("$ZD", (58074, 4), "01/01/2000"),  # RCOS_fzdatetime_dformat 4: DD/MM/[YY]YY
    ("$ZD", (58074, 5), "Jan 1, 2000"),  # RCOS_fzdatetime_dformat 5: Mmm [D]D, YYYY
    ("$ZD", (58074, 6), "Jan 1 2000"),  # RCOS_fzdatetime_dformat 6: Mmm [D]D YYYY
    ("$ZD", (58074, 7), "Jan 01 2000"),  # RCOS_fzdatetime_dformat 7: Mmm DD [YY]YY
    ("$ZD", (58074, 8), "20000101"),  # RCOS_fzdatetime_dformat 8: YYYYMMDD
    ("$ZD", (58074, 9), "January 1, 2000"),  # RCOS_fzdatetime_dformat 9: Mmmmm [D]D, YYYY
    ("$ZD", (58074, 10), "6"),  # RCOS_fzdatetime_dformat 10: 0 Sunday .. 6 Saturday
    ("$ZD", (58074, 11), "Sat"),  # RCOS_fzdatetime_dformat 11: Www
    ("$ZD", (58074, 12), "Saturday"),  # RCOS_fzdatetime_dformat 12: Wwwwww
    ("$ZD", (58074, 13), "1/1/2543"),  # RCOS_fzdatetime_dformat 13: Thai, year + 543
    ("$ZD", (58074, 14), "1"),  # RCOS_fzdatetime_dformat 14: day of the year
    ("$ZD", (58074 + 59, 14), "60"),  # RCOS_fzdatetime_dformat 14: 29 Feb 2000 is day 60
    ("$ZD", (58074, 15), "01/01/2000"),  # RCOS_fzdatetime_dformat 15: same as 4
    ("$ZD", (58074, 16), f"2000{Y}1{M}1{D}"),  # RCOS_fzdatetime_dformat 16: Japanese
    ("$ZD", (58074, 17), f"2000{Y} 1{M} 1{D}"),  # RCOS_fzdatetime_dformat 17: with spaces
    ("$ZD", (58074, -1), "01/01/2000"),  # RCOS_fzdatetime_dformat -1: locale default (1)
    ("$ZD", (47117, 3), "1970-01-01"),  # anchor: day 47117 is 1 Jan 1970
    ("$ZD", (36524,), "12/31/40"),  # RCOS_fzdate yearopt: 1900-1999 print two digits
    ("$ZD", (36524, 2), "31 Dec 40"),  # RCOS_fzdate yearopt: dformat 2 two digits
    ("$ZD", (36524, 3), "1940-12-31"),  # RCOS_fzdatetime_dformat 3: always four digits
    ("$ZD", (36524, 1, None, 4), "12/31/1940"),  # RCOS_fzdate yearopt 4: four digits
    ("$ZD", (58074, 1, None, 2), "01/01/00"),  # RCOS_fzdate yearopt 2: two digits
    (
        "$ZD",
        (58074, 2, " Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".replace("Jan", "Ene")),
        "01 Ene 2000",
    ),  # RCOS_fzdate monthlist
    ("$ZD", (2980013,), "12/31/9999"),  # RCOS_fzdate: the largest date
    ("$ZD", (-672045, 3), "0001-01-01"),  # RCOS_fzdate: the smallest date, 1 Jan 0001
    ("$ZD", (2980014,), Err("ILLEGAL VALUE")),  # RCOS_fzdate: past 31 Dec 9999
    ("$ZD", (-672046,), Err("ILLEGAL VALUE")),  # RCOS_fzdate: before 1 Jan 0001
    ("$ZD", (2980014, 1, None, None, None, None, None, None, "bad"), "bad"),  # erropt
    ("$ZD", (100, 1, None, None, None, None, 200), Err("VALUE OUT OF RANGE")),  # mindate
    ("$ZD", (100, 1, None, None, None, None, 200, None, "x"), "x"),  # erropt over mindate
    ("$ZD", (300, 1, None, None, None, None, None, 200), Err("VALUE OUT OF RANGE")),  # maxdate
    ("$ZD", (58074, 99), Err("FUNCTION")),  # stated rule: an unknown dformat
    ("$ZD", ("58074,3600",), "01/01/2000"),  # RCOS_fzdate: a $H value's time part is ignored
    ("$ZD", ("58074.9", 3), "2000-01-01"),  # RCOS_fzdate: fraction truncated
    # --- $ZDATEH
    ("$ZDATEH", ("12/31/1840",), 0),  # RCOS_fzdateh: the inverse of $ZDATE(0)
    ("$ZDH", ("01/01/2000",), 58074),  # RCOS_fzdateh dformat 1
    ("$ZDH", ("1/1/00",), 21550),  # RCOS_fzdateh: two-digit year is 19xx, no leading zeros
    ("$ZDH", ("2000-01-01", 3), 58074),  # RCOS_fzdatetimeh_dformat 3: ODBC
    ("$ZDH", ("1970-01-01", 3), 47117),  # anchor: 1 Jan 1970
    ("$ZDH", ("01 Jan 2000", 2), 58074),  # RCOS_fzdatetimeh_dformat 2
    ("$ZDH", ("31/12/1840", 4), 0),  # RCOS_fzdatetimeh_dformat 4: European
    ("$ZDH", ("Jan 1, 2000", 5), 58074),  # RCOS_fzdatetimeh_dformat 5
    ("$ZDH", ("Jan 1 2000", 6), 58074),  # RCOS_fzdatetimeh_dformat 6
    ("$ZDH", ("January 1, 2000", 9), 58074),  # RCOS_fzdatetimeh_dformat 9: full month name
    ("$ZDH", ("20000101", 8), 58074),  # RCOS_fzdatetimeh_dformat 8
    ("$ZDH", ("1/1/2543", 13), 58074),  # RCOS_fzdatetimeh_dformat 13: Thai year
    ("$ZDH", ("2000-01-01", 15), 58074),  # RCOS_fzdatetimeh_dformat 15: ODBC accepted
    ("$ZDH", (f"2000{Y}1{M}1{D}", 16), 58074),  # RCOS_fzdatetimeh_dformat 16
    ("$ZDH", ("02/30/2000",), Err("ILLEGAL VALUE")),  # RCOS_fzdateh: no 30 February
    ("$ZDH", ("hello",), Err("ILLEGAL VALUE")),  # RCOS_fzdateh: not a date
    ("$ZDH", ("13/01/2000",), Err("ILLEGAL VALUE")),  # RCOS_fzdateh: month 13
    ("$ZDH", ("hello", 1, None, None, None, None, None, None, -1), -1),  # erropt
    ("$ZDH", ("2000-01-01", 10), Err("FUNCTION")),  # stated rule: dformat 10 has no input
    (
        "$ZDH",
        ("01/01/2000", 1, None, None, None, None, 60000),
        Err("VALUE OUT OF RANGE"),
    ),  # mindate
    # --- $ZTIME
    ("$ZTIME", (0,), "00:00:00"),  # RCOS_fztime: midnight
    ("$ZT", (3661,), "01:01:01"),  # RCOS_fztime tformat 1 default: hh:mm:ss
    ("$ZT", (86399,), "23:59:59"),  # RCOS_fztime: the last second of the day
    ("$ZT", (45296, 2), "12:34"),  # RCOS_fztime tformat 2: hh:mm
    ("$ZT", (52205, 3), "02:30:05PM"),  # RCOS_fztime tformat 3: 12-hour with PM
    ("$ZT", (0, 3), "12:00:00AM"),  # RCOS_fztime tformat 3: midnight is 12 AM
    ("$ZT", (43200, 4), "12:00PM"),  # RCOS_fztime tformat 4: noon is 12 PM
    ("$ZT", (3661.987,), "01:01:01"),  # RCOS_fztime: without precision fractions truncated
    ("$ZT", (Decimal("3661.987"), 1, 2), "01:01:01.99"),  # RCOS_fztime precision: rounded
    ("$ZT", (Decimal("3661.5"), 1, 3), "01:01:01.500"),  # RCOS_fztime precision: zero pad
    ("$ZT", (Decimal("59.9999"), 1, 2), "00:01:00.00"),  # RCOS_fztime precision: carries
    ("$ZT", (45296, -1), "12:34:56"),  # RCOS_fztime tformat -1: locale default (1)
    ("$ZT", (86400,), Err("ILLEGAL VALUE")),  # RCOS_fztime: 86400 is past the day
    ("$ZT", (-1,), Err("ILLEGAL VALUE")),  # RCOS_fztime: negative time
    ("$ZT", (-1, 1, None, "none"), "none"),  # RCOS_fztime erropt
    ("$ZT", (0, 42), Err("FUNCTION")),  # stated rule: an unknown tformat
    # --- $ZTIMEH
    ("$ZTIMEH", ("01:01:01",), 3661),  # RCOS_fztimeh: hh:mm:ss
    ("$ZTH", ("12:34",), 45240),  # RCOS_fztimeh: hh:mm
    ("$ZTH", ("2:30:05PM",), 52205),  # RCOS_fztimeh: 12-hour with PM
    ("$ZTH", ("2:30:05 pm",), 52205),  # RCOS_fztimeh: meridian after a space, any case
    ("$ZTH", ("12:00AM",), 0),  # RCOS_fztimeh: 12 AM is midnight
    ("$ZTH", ("12:30PM",), 45000),  # RCOS_fztimeh: 12 PM is noon
    ("$ZTH", ("NOON",), 43200),  # RCOS_fztimeh: NOON
    ("$ZTH", ("MIDNIGHT",), 0),  # RCOS_fztimeh: MIDNIGHT
    ("$ZTH", ("10:20:30.5",), Decimal("37230.5")),  # RCOS_fztimeh: fractional seconds kept
    ("$ZTH", ("25:00",), Err("ILLEGAL VALUE")),  # RCOS_fztimeh: hour 25
    ("$ZTH", ("10:61",), Err("ILLEGAL VALUE")),  # RCOS_fztimeh: minute 61
    ("$ZTH", ("13:00PM",), Err("ILLEGAL VALUE")),  # RCOS_fztimeh: 13 with a meridian
    ("$ZTH", ("xyz", 1, "bad"), "bad"),  # RCOS_fztimeh erropt
    # --- $ZDATETIME
    ("$ZDATETIME", ("58074,3661",), "01/01/2000 01:01:01"),  # RCOS_fzdatetime defaults 1,1
    ("$ZDT", ("58074,3661", 3), "2000-01-01 01:01:01"),  # RCOS_fzdatetime: ODBC date
    ("$ZDT", ("58074,45296", 3, 2), "2000-01-01 12:34"),  # RCOS_fzdatetime tformat 2
    ("$ZDT", ("58074,52205", 5, 3), "Jan 1, 2000 02:30:05PM"),  # dformat 5 + tformat 3
    ("$ZDT", ("58074,3661.25", 3, 1, 2), "2000-01-01 01:01:01.25"),  # precision
    ("$ZDT", ("58074", 3), "2000-01-01 00:00:00"),  # stated rule: a missing time is 0
    ("$ZDT", ("58074,86400", 3), Err("ILLEGAL VALUE")),  # RCOS_fzdatetime: bad time
    ("$ZDT", ("2980014,0", 3), Err("ILLEGAL VALUE")),  # RCOS_fzdatetime: bad date
    ("$ZDT", ("2980014,0", 3, 1, None, None, None, None, None, None, None, "e"), "e"),  # erropt
    ("$ZDT", ("58074,0", 99), Err("FUNCTION")),  # stated rule: unknown dformat
    # --- $ZDATETIMEH
    ("$ZDATETIMEH", ("01/01/2000 01:01:01",), "58074,3661"),  # RCOS_fzdatetimeh defaults
    ("$ZDTH", ("2000-01-01 12:34:56", 3), "58074,45296"),  # RCOS_fzdatetimeh ODBC
    ("$ZDTH", ("2000-01-01T12:34:56", 3), "58074,45296"),  # RCOS_fzdatetimeh: T separator
    ("$ZDTH", ("2000-01-01", 3), "58074,0"),  # RCOS_fzdatetimeh: date only, time 0
    ("$ZDTH", ("Jan 1, 2000 2:30 PM", 5), "58074,52200"),  # dformat 5 with a meridian word
    ("$ZDTH", ("2000-01-01 10:20:30.5", 3), "58074,37230.5"),  # fractional seconds kept
    ("$ZDTH", ("2000-13-01 10:00", 3), Err("ILLEGAL VALUE")),  # RCOS_fzdatetimeh: month 13
    ("$ZDTH", ("2000-01-01 99:00", 3), Err("ILLEGAL VALUE")),  # RCOS_fzdatetimeh: hour 99
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_conformance(name: str, args: tuple[Any, ...], expected: Any) -> None:
    check_call(name, args, expected)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("utc")
def test_posix_formats_in_utc() -> None:
    # RCOS_fzdatetime dformat -2: POSIX seconds; 1 Jan 2000 00:00 UTC is 946684800
    assert FUNCTIONS["$ZDT"]("58074,0", -2) == 946684800
    assert FUNCTIONS["$ZDTH"](946684800, -2) == "58074,0"
    # RCOS_fzdatetimeh dformat -3: a $ZTIMESTAMP (UTC) to local time, here the same
    assert FUNCTIONS["$ZDTH"]("58074,3661.5", -3) == "58074,3661.5"
    assert FUNCTIONS["$ZDT"]("58074,3661", -3) == "58074,3661"


def test_horolog_and_ztimestamp_shapes() -> None:
    # RCOS_vhorolog: "days,seconds" integers; RCOS_vztimestamp: UTC with fractional seconds
    h = FUNCTIONS["$H"]()
    assert re.fullmatch(r"\d{5},\d{1,5}", h)
    days, secs = map(int, h.split(","))
    assert days > 67000 and 0 <= secs < 86400
    z = FUNCTIONS["$ZTS"]()
    assert re.fullmatch(r"\d{5},\d{1,5}\.\d{3}", z)
    assert abs(int(z.split(",")[0]) - days) <= 1


def test_round_trip_every_day_format() -> None:
    # RCOS_fzdateh: $ZDATEH reverses $ZDATE for each dformat that has an input form
    for fmt in (1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 15, 16, 17):
        for h in (1, 36525, 47117, 58074, 60000, 2980013):
            text = FUNCTIONS["$ZD"](h, fmt, None, 4)
            assert FUNCTIONS["$ZDH"](text, fmt, None, 4) == h, (fmt, h, text)
