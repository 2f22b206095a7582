"""The runtime's ``%UnitTest`` (compiler_stub/runtime/unittests.py), in process: test classes
compiled by the stand-in compiler, run as ``%UnitTest.Manager`` runs them.

Where the expected values come from (the notes of the unit-test issue list the sources):
DOC = the %UnitTest.TestCase / %UnitTest.Manager class reference and the "Unit Testing"
guide (GUNITTEST_*); OBS = real Manager output and result rows seen in public logs and in the
captures of a client of the Atelier v8 unittest request; IPM = intersystems/ipm's
integration fixtures (hook outcomes with counted expectations); INF = inferred, marked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.unittests import describe
from tests.runtime.unittest_helpers import TestBed

BASE = """Class T.Base Extends %UnitTest.TestCase
{

Method TestInherited()
{
    do $$$AssertTrue(1, "from the base")
}

}
"""

ORDER = """Class T.Order Extends T.Base
{

Method Testa()
{
    do $$$LogMessage("a")
}

Method TestB()
{
    do $$$LogMessage("B")
}

ClassMethod TestClassMethod()
{
    quit
}

Method Helper()
{
    quit
}

}
"""

HOOKS = """Class T.Hooks Extends %UnitTest.TestCase
{

Method OnBeforeOneTest(testname As %String) As %Status
{
    if testname = "TestBeforeThrows" { set x = 1/0 }
    if testname = "TestSkippedByHook" { do $$$AssertSkipped("not here") }
    quit $$$OK
}

Method OnAfterOneTest(testname As %String) As %Status
{
    if testname = "TestAfterFails" quit $$$ERROR(5001, "cleanup failed")
    quit $$$OK
}

Method OnAfterAllTests() As %Status
{
    quit $$$ERROR(5001, "teardown failed")
}

Method TestAfterFails()
{
    do $$$AssertTrue(1)
}

Method TestBeforeThrows()
{
    do $$$AssertTrue(1)
}

Method TestSkippedByHook()
{
    write "never"
    do $$$AssertTrue(0)
}

}
"""

ERRORS = """Class T.Errors Extends %UnitTest.TestCase
{

Method TestThrowsException()
{
    throw ##class(%Exception.General).%New("Oops", 5001, , "data")
}

Method TestThrowsStatus()
{
    $$$ThrowOnError($$$ERROR(5001, "as a status"))
}

Method TestStatusOK()
{
    do $$$AssertStatusOK($$$ERROR(5001, "deliberate"), "status check")
    do $$$AssertStatusOK($$$ERROR(5001, "plain"))
}

Method TestHelper()
{
    do ..Check(1)
    do ..Check(2)
}

Method Check(n As %Integer)
{
    do $$$AssertEquals(n, 1)
}

Method TestWrites()
{
    write "to the device"
    do $$$AssertTrue($isobject(..Manager))
}

Method TestStatusEquals()
{
    do $$$AssertStatusEquals($$$ERROR(5001, "a"), $$$ERROR(5001, "b"), "same code")
    do $$$AssertStatusEquals($$$ERROR(5001, "a"), $$$ERROR(5002, "a"), "other code")
}

Method TestFiles()
{
    do $$$AssertFilesSame("/etc/passwd", "/etc/hosts")
}

Method TestValues()
{
    set a = $$$AssertEquals(1, 1)
    set b = $$$AssertEquals(1, 2)
    do $$$LogMessage(a_b)
}

}
"""

LOOPS = """Class T.Loops Extends %UnitTest.TestCase
{

Method TestForever()
{
    for { }
}

Method TestCatchesAndGoesOn()
{
    for i=1:1:3 { try { for { } } catch e { } }
}

Method TestZLast()
{
    do $$$AssertTrue(1)
}

}
"""


def _rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r.get("method", ""): r for r in rows}


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("AssertEquals", "x,2", "x==2"),  # OBS: AssertEquals:Complexity(M)==4
    ("AssertEquals", '$piece("a,b",","),"a"', '$piece("a,b",",")=="a"'),
    ("AssertEquals", "f(1,2),{\"a\":[1,2]}", 'f(1,2)=={"a":[1,2]}'),
    ("AssertNotEquals", "x,2", "x!=2"),  # INF
    ("AssertTrue", "a>b", "a>b"),  # DOC "the expression is used by default"
    ("AssertStatusOK", "sc", "sc"),
    ("AssertTrue", '"a,b"[",",1', '"a,b"[","'),
])
def test_default_descriptions(kind: str, text: str, expected: str) -> None:
    assert describe(kind, text) == expected


def test_which_methods_and_their_order(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, BASE, ORDER)
    lines, rows, _ = bed.run([("T.Order", [])])
    # DOC: Test* methods, inherited ones too, in (code point) name order; class methods are
    # not tests (the client lists instance methods only)
    assert [r.get("method") for r in rows] == ["B", "Inherited", "a", None]
    assert [line for line in lines if line.endswith("() begins ...")] == [
        "      TestB() begins ...", "      TestInherited() begins ...",
        "      Testa() begins ..."]
    only, rows, _ = bed.run([("T.Order", ["a", "B"])])
    assert [r.get("method") for r in rows] == ["B", "a", None]


def test_hooks(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, HOOKS)
    lines, rows, written = bed.run([("T.Hooks", [])])
    by = _rows(rows)
    # IPM: OnAfterOneTest's error fails the test although its assertions passed
    assert by["AfterFails"]["status"] == 0
    assert by["AfterFails"]["error"] == "ERROR #5001: cleanup failed"
    # IPM: OnBeforeOneTest's error (here thrown) fails the test without running it
    assert by["BeforeThrows"]["status"] == 0
    assert by["BeforeThrows"]["error"].startswith(
        "ERROR #5002: ObjectScript error: <DIVIDE>zOnBeforeOneTest+1^T.Hooks.1")
    # DOC: $$$AssertSkipped in OnBeforeOneTest skips the test
    assert by["SkippedByHook"]["status"] == 2 and "never" not in written
    # IPM: OnAfterAllTests' error fails the class, the tests keep their own results
    assert by[""]["status"] == 0 and by[""]["error"] == "OnAfterAllTests: ERROR #5001: " \
        "teardown failed"
    assert "LogStateStatus:0:OnAfterOneTest: ERROR #5001: cleanup failed (failed)  <<==== " \
        "**FAILED** (root):T.Hooks:TestAfterFails" in lines


def test_errors_statuses_and_places(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, ERRORS)
    lines, rows, written = bed.run([("T.Errors", [])])
    by = _rows(rows)
    # OBS (captured against IRIS 2026.1): a thrown %Exception.General is its status's text
    assert by["ThrowsException"]["error"] == \
        "ERROR #5035: General exception Name 'Oops' Code '5001' Data 'data'"
    assert by["ThrowsStatus"]["error"] == "ERROR #5001: as a status"
    # OBS: a failed AssertStatusOK names the status's error after " => "
    assert [f["message"] for f in by["StatusOK"]["failures"]] == [
        "AssertStatusOK: status check => ERROR #5001: deliberate",
        "AssertStatusOK: $$$ERROR(5001, \"plain\") => ERROR #5001: plain"]
    # the place of an assertion made in a helper is the helper's line
    helper = by["Helper"]["failures"]
    assert helper == [{"message": "AssertEquals: n==1",
                       "location": {"document": "T.Errors.cls", "label": "Check",
                                    "offset": 1, "namespace": "USER"}}]
    # what a test writes goes to the process's device, not into the Manager's lines
    assert written == "to the device"
    assert by["Writes"]["status"] == 1
    # DOC: AssertStatusEquals compares the statuses' error codes
    assert [f["message"] for f in by["StatusEquals"]["failures"]] == [
        "AssertStatusEquals: other code"]
    # the sandbox has no files: comparing them is refused like any host access
    assert by["Files"]["error"].startswith("ERROR #5002: ObjectScript error: <PROTECT>")
    # DOC: the assertion methods return whether they passed
    assert "        LogMessage:10" in lines


def test_time_limit_per_test(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, LOOPS)
    _, rows, _ = bed.run([("T.Loops", [])], test_seconds=0.5)
    by = _rows(rows)
    limit = ("ERROR #5002: ObjectScript error: <INTERRUPT> the test ran longer than its "
             "0.5 s time limit")
    assert by["Forever"]["error"] == limit
    assert by["CatchesAndGoesOn"]["error"] == limit  # caught, the test still fails
    assert by["ZLast"]["status"] == 1


def test_unrunnable_classes_are_failures_in_their_place(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, BASE)
    lines, rows, _ = bed.run([("T.Gone", [], "ERROR #5030: it did not compile"),
                              ("T.Base", []), ("T.Nowhere", [])])
    assert [(r["class"], r.get("method"), r["status"]) for r in rows] == [
        ("T.Gone", None, 0), ("T.Base", "Inherited", 1), ("T.Base", None, 1),
        ("T.Nowhere", None, 0)]
    assert rows[0]["error"] == "ERROR #5030: it did not compile"
    assert rows[-1]["error"].startswith("<CLASS DOES NOT EXIST>")
    assert lines[-2:] == ["Some tests FAILED in suites:", "  (root)"]


def test_console_off_prints_nothing(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, BASE)
    lines, rows, _ = bed.run([("T.Base", [])], show=False)
    assert lines == [] and [r["status"] for r in rows] == [1, 1]


def test_assertions_work_without_a_manager(tmp_path: Path) -> None:
    bed = TestBed(tmp_path, BASE)
    P = bed.process()
    try:
        P.execute('set t=##class(T.Base).%New() write t.AssertEqualsViaMacro("1,1",1,1),'
                  't.AssertTrueViaMacro("0",0)')
        assert P.device.take() == "10"  # type: ignore[attr-defined]
    finally:
        P.gstore.close()
