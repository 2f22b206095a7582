"""Unit tests through ``/work`` (issue 14) on a real ``atelier-api serve``: the request VS
Code's Testing view sends (``atelier-api.md`` §4.7 #27–#29, ``compiler.md`` §6.3), its polls,
console lines and result rows, cancel, limits and bad input.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import Client, Server, envelope, ns_path

#: only stops a test that hangs; never a performance claim
HANG_GUARD = 120.0

BASIC = """Class Tests.Unit.Basic Extends %UnitTest.TestCase
{

/// passes: every positive assertion
Method TestAllPass()
{
    do $$$AssertEquals(1+1, 2)
    do $$$AssertNotEquals(1, 2, "one is not two")
    do $$$AssertTrue(3>2)
    do $$$AssertNotTrue(2>3)
    do $$$AssertStatusOK($$$OK)
    do $$$AssertStatusNotOK($$$ERROR(5001,"bad"))
    do $$$AssertSuccess("reached")
    do $$$LogMessage("logged "_(6*7))
}

Method TestFails()
{
    set x = 2
    do $$$AssertEquals(x, 3, "x is three")
    do $$$AssertEquals(x, 2)
    do $$$AssertFailure("on purpose")
}

Method TestErrors()
{
    do $$$AssertTrue(1)
    set y = nothere
}

Method TestSkipped()
{
    do $$$AssertSkipped("not today")
}

}
"""

HOOKS = """Class Tests.Unit.Hooks Extends %UnitTest.TestCase
{

Property Seen As %String;

Method OnBeforeAllTests() As %Status
{
    set ..Seen = "all"
    quit $$$OK
}

Method OnBeforeOneTest(testname As %String) As %Status
{
    if testname = "TestGuarded" quit $$$ERROR(5001, "not ready")
    set ..Seen = ..Seen_","_testname
    quit $$$OK
}

Method TestFirst()
{
    do $$$AssertEquals(..Seen, "all,TestFirst")
}

Method TestGuarded()
{
    do $$$AssertTrue(1)
}

Method TestThird()
{
    do $$$AssertEquals(..Seen, "all,TestFirst,TestThird", "properties are shared")
}

}
"""

SETUP_FAILS = """Class Tests.Unit.SetupFails Extends %UnitTest.TestCase
{

Method OnBeforeAllTests() As %Status
{
    quit $$$ERROR(5001, "no database")
}

Method TestA()
{
    do $$$AssertTrue(1)
}

Method TestB()
{
    do $$$AssertTrue(1)
}

}
"""

BROKEN = """Class Tests.Unit.Broken Extends %UnitTest.TestCase
{

Method TestA()
{
    do $$$AssertTrue(1
}

}
"""

SLOW = """Class Tests.Unit.Slow Extends %UnitTest.TestCase
{

Method TestLoop()
{
    for i=1:1 { set x = i }
}

Method TestWaits()
{
    for i=1:1:600 { hang 0.1 }
}

Method TestZAfter()
{
    do $$$AssertTrue(1)
}

}
"""

LOUD = """Class Tests.Unit.Loud Extends %UnitTest.TestCase
{

Method TestPrints()
{
    for i=1:1:200000 { write "0123456789012345678901234567890123456789",! }
    do $$$AssertTrue(1)
}

}
"""

NOT_A_TEST = """Class Tests.Unit.Plain Extends %RegisteredObject
{

Method TestA()
{
    quit
}

}
"""


@dataclass
class Run:
    """What the polls of one job returned."""

    status: int
    queued: dict[str, Any]
    console: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    final: dict[str, Any] = field(default_factory=dict)

    def rows(self, cls: str) -> dict[str, dict[str, Any]]:
        """The rows of a class by method name ('' for the class's summary)."""
        return {r.get("method", ""): r for r in self.results if r["class"] == cls}


@pytest.fixture
def unit(tmp_path: Path, start: Callable[..., Server]) -> Iterator[Callable[..., Any]]:
    made: list[Client] = []

    def make(*extra: str) -> tuple[Server, Client, Path]:
        ws = tmp_path / "ws"
        (ws / "Tests" / "Unit").mkdir(parents=True, exist_ok=True)
        for name, text in (("Basic", BASIC), ("Hooks", HOOKS), ("SetupFails", SETUP_FAILS),
                           ("Broken", BROKEN), ("Slow", SLOW), ("Loud", LOUD),
                           ("Plain", NOT_A_TEST)):
            (ws / "Tests" / "Unit" / f"{name}.cls").write_text(text)
        server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                        "--namespace", f"USER={ws}", *extra])
        client = Client(server.base)
        client.login()
        made.append(client)
        return server, client, ws

    yield make
    for c in made:
        c.close()


def queue(client: Client, body: dict[str, Any], ns: str = "USER", v: int = 8) -> Any:
    return client.call("POST", ns_path(ns, "work", v=v),
                       json_body={"request": "unittest", **body})


def run_tests(client: Client, body: dict[str, Any], *, on_poll: Callable[[Run], None] | None
              = None) -> Run:
    """Queue a run and poll it to the end as the extension does (every 50 ms)."""
    resp = queue(client, body)
    run = Run(resp.status_code, envelope(resp))
    if resp.status_code != 202:
        return run
    job = resp.headers["Location"]
    assert job.isdigit()
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        poll = client.call("GET", ns_path("USER", f"work/{job}"))
        assert poll.status_code == 200, poll.text
        body_ = envelope(poll)
        run.polls += 1
        run.console += body_["console"]
        assert isinstance(body_["result"], list), body_["result"]
        run.results += body_["result"]
        if on_poll is not None:
            on_poll(run)
        if "Retry-After" not in poll.headers:
            run.final = body_
            gone = client.call("GET", ns_path("USER", f"work/{job}"))
            assert gone.status_code == 404
            return run
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def test_demo_tests_pass_with_vscode_shapes(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Hooks", "methods": ["First"]}],
                             "console": True, "debug": False})
    assert run.status == 202
    assert run.queued["result"] == {"content": {}}
    assert run.rows("Tests.Unit.Hooks") == {
        "First": {"class": "Tests.Unit.Hooks", "method": "First", "status": 1,
                  "duration": run.rows("Tests.Unit.Hooks")["First"]["duration"],
                  "failures": []},
        "": {"class": "Tests.Unit.Hooks", "status": 1,
             "duration": run.rows("Tests.Unit.Hooks")[""]["duration"], "failures": []}}
    assert all(isinstance(r["duration"], (int, float)) and r["duration"] >= 0
               for r in run.results)
    tail = run.console[run.console.index("  (root) begins ..."):]
    assert re.fullmatch(r"        LogMessage:Duration of execution: \d*\.?\d{1,6} sec\.",
                        tail[4]), tail[4]
    assert tail[:4] + tail[5:] == [
        "  (root) begins ...",
        "    Tests.Unit.Hooks begins ...",
        "      TestFirst() begins ...",
        "        AssertEquals:..Seen==\"all,TestFirst\" (passed)",
        "      TestFirst passed",
        "    Tests.Unit.Hooks passed",
        "  (root) passed",
        "",
        "All PASSED"]


def test_every_assertion_failure_error_and_skip(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Basic"}], "console": True})
    rows = run.rows("Tests.Unit.Basic")
    assert [r.get("method") for r in run.results] == ["AllPass", "Errors", "Fails",
                                                      "Skipped", None]  # name order
    assert rows["AllPass"]["status"] == 1 and rows["AllPass"]["failures"] == []
    fails = rows["Fails"]
    assert fails["status"] == 0 and "error" not in fails
    assert fails["failures"] == [
        {"message": "AssertEquals: x is three",
         "location": {"document": "Tests.Unit.Basic.cls", "label": "TestFails", "offset": 2,
                      "namespace": "USER"}},
        {"message": "AssertFailure: on purpose",
         "location": {"document": "Tests.Unit.Basic.cls", "label": "TestFails", "offset": 4,
                      "namespace": "USER"}}]
    errors = rows["Errors"]
    assert errors["status"] == 0 and errors["failures"] == []
    assert errors["error"] == \
        "ERROR #5002: ObjectScript error: <UNDEFINED>zTestErrors+2^Tests.Unit.Basic.1 *nothere"
    assert rows["Skipped"]["status"] == 2 and rows["Skipped"]["failures"] == []
    summary = rows[""]
    assert summary["status"] == 0
    assert [f["message"] for f in summary["failures"]] == [
        "TestErrors: ERROR #5002: ObjectScript error: <UNDEFINED>zTestErrors+2^"
        "Tests.Unit.Basic.1 *nothere",
        "TestFails: AssertEquals: x is three"]
    lines = run.console
    start = lines.index("      TestAllPass() begins ...")
    assert lines[start:start + 9] == [
        "      TestAllPass() begins ...",
        "        AssertEquals:1+1==2 (passed)",
        "        AssertNotEquals:one is not two (passed)",
        "        AssertTrue:3>2 (passed)",
        "        AssertNotTrue:2>3 (passed)",
        "        AssertStatusOK:$$$OK (passed)",
        "        AssertStatusNotOK:$$$ERROR(5001,\"bad\") (passed)",
        "        AssertSuccess:reached (passed)",
        "        LogMessage:logged 42"]
    assert lines[start + 10] == "      TestAllPass passed"
    assert "AssertEquals:x is three (failed)  <<==== **FAILED** " \
           "(root):Tests.Unit.Basic:TestFails" in lines
    assert "LogStateStatus:0:TestErrors: ERROR #5002: ObjectScript error: <UNDEFINED>" \
           "zTestErrors+2^Tests.Unit.Basic.1 *nothere (failed)  <<==== **FAILED** " \
           "(root):Tests.Unit.Basic:TestErrors" in lines
    assert "        TestSkipped:not today (skipped)" in lines
    assert "      TestSkipped skipped" in lines
    assert lines[-5:] == ["    Tests.Unit.Basic failed", "  (root) failed", "",
                          "Some tests FAILED in suites:", "  (root)"]


def test_hooks_guard_what_they_run_before(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Hooks"},
                                       {"class": "Tests.Unit.SetupFails"}]})
    hooks = run.rows("Tests.Unit.Hooks")
    assert hooks["First"]["status"] == 1
    assert hooks["Guarded"]["status"] == 0
    assert hooks["Guarded"]["error"] == "ERROR #5001: not ready"
    assert hooks["Third"]["status"] == 1  # the instance's properties carry over
    setup = run.rows("Tests.Unit.SetupFails")
    assert list(setup) == [""]  # no test ran: the class alone fails
    assert setup[""]["status"] == 0
    assert setup[""]["error"] == "OnBeforeAllTests: ERROR #5001: no database"
    assert "        AssertTrue:1 (passed)" not in run.console[
        run.console.index("    Tests.Unit.SetupFails begins ..."):]


def test_compile_failure_and_bad_classes_are_class_failures(
        unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    run = run_tests(client, {"tests": [
        {"class": "Tests.Unit.Broken"}, {"class": "Tests.Unit.Nowhere"},
        {"class": "Tests.Unit.Plain"}, {"class": "Tests.Unit.Hooks", "methods": ["Absent"]},
        {"class": "Tests.Unit.Hooks", "methods": ["First"]}]})
    assert run.status == 202
    broken = run.rows("Tests.Unit.Broken")[""]
    assert broken["status"] == 0 and "ERROR #5030" in broken["error"]
    assert run.rows("Tests.Unit.Nowhere")[""]["error"] == \
        "<CLASS DOES NOT EXIST> *Tests.Unit.Nowhere"
    assert "is not a %UnitTest.TestCase" in run.rows("Tests.Unit.Plain")[""]["error"]
    # the same class twice: what was asked of it, together
    hooks = run.rows("Tests.Unit.Hooks")
    assert hooks[""]["status"] == 0
    assert "<METHOD DOES NOT EXIST>" in hooks[""]["error"] and "TestAbsent" in \
        hooks[""]["error"]
    assert any("ERROR #5030" in line or "ERROR" in line for line in run.console)


def test_load_compiles_the_clients_copy_and_writes_nothing(unit: Callable[..., Any]) -> None:
    _, client, ws = unit()
    text = BASIC.replace("Tests.Unit.Basic", "Tests.Local.Only").split("\n")
    local = [line.replace("do $$$AssertEquals(x, 2)", "do $$$AssertEquals(x, 22)")
             for line in text]
    run = run_tests(client, {"tests": [{"class": "Tests.Local.Only", "methods": ["Fails"]}],
                             "load": [{"file": "/home/u/src/Tests/Local/Only.cls",
                                       "content": local}]})
    rows = run.rows("Tests.Local.Only")
    assert [f["message"] for f in rows["Fails"]["failures"]] == [
        "AssertEquals: x is three", "AssertEquals: x==22", "AssertFailure: on purpose"]
    assert not (ws / "Tests" / "Local").exists()
    listed = client.call("GET", ns_path("USER", "docnames/CLS"), params={"filter": "Local"})
    assert "Tests.Local.Only.cls" not in listed.text
    # a loaded copy of a workspace class wins over the workspace's text
    copy = [line.replace("do $$$AssertEquals(x, 3, \"x is three\")", "quit")
            for line in BASIC.split("\n")]
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Basic", "methods": ["Fails"]}],
                             "load": [{"file": "Basic.cls", "content": copy}]})
    assert run.rows("Tests.Unit.Basic")["Fails"]["status"] == 1
    assert (ws / "Tests" / "Unit" / "Basic.cls").read_text() == BASIC


def test_compiled_classes_run_as_compiled_and_edits_are_compiled_for_the_run(
        unit: Callable[..., Any]) -> None:
    _, client, ws = unit()
    compiled = client.call("POST", ns_path("USER", "action/compile"),
                           json_body=["Tests.Unit.Hooks.cls"])
    assert compiled.status_code == 200, compiled.text
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Hooks"}]})
    assert not [line for line in run.console if line.startswith("Compil")]
    assert run.rows("Tests.Unit.Hooks")[""]["status"] == 0  # TestGuarded's hook fails
    # an edit nobody compiled yet: the run compiles it (for itself only) and runs the new text
    path = ws / "Tests" / "Unit" / "Hooks.cls"
    path.write_text(HOOKS.replace('if testname = "TestGuarded" quit $$$ERROR(5001, '
                                  '"not ready")', ""))
    deadline = time.monotonic() + HANG_GUARD
    while True:  # the file watcher takes the change in within about a second
        run = run_tests(client, {"tests": [{"class": "Tests.Unit.Hooks"}]})
        if run.rows("Tests.Unit.Hooks")["Guarded"]["status"] == 0 and \
                time.monotonic() < deadline:
            time.sleep(0.3)
            continue
        break
    assert any(line.startswith("Compiling class Tests.Unit.Hooks") for line in run.console)
    assert run.rows("Tests.Unit.Hooks")["Guarded"]["status"] == 1
    assert run.rows("Tests.Unit.Hooks")["Third"]["status"] == 0  # Seen has TestGuarded now


def test_a_test_that_never_ends_fails_and_the_run_goes_on(unit: Callable[..., Any]) -> None:
    _, client, _ = unit("--set", "run_line_seconds=2")
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Slow",
                                        "methods": ["Loop", "ZAfter"]}]})
    rows = run.rows("Tests.Unit.Slow")
    assert rows["Loop"]["status"] == 0
    assert rows["Loop"]["error"] == ("ERROR #5002: ObjectScript error: <INTERRUPT> the test "
                                     "ran longer than its 2 s time limit")
    assert rows["ZAfter"]["status"] == 1


def test_cancel_stops_the_running_test(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    resp = queue(client, {"tests": [{"class": "Tests.Unit.Slow",
                                     "methods": ["Waits", "ZAfter"]}]})
    job = resp.headers["Location"]
    deadline = time.monotonic() + HANG_GUARD
    console: list[str] = []
    while "      TestWaits() begins ..." not in console:
        assert time.monotonic() < deadline
        poll = client.call("GET", ns_path("USER", f"work/{job}"))
        console += envelope(poll)["console"]
        time.sleep(0.05)
    results: list[dict[str, Any]] = []
    while True:  # verifiedCancel: DELETE until there is no Retry-After
        assert time.monotonic() < deadline
        cancel = client.call("DELETE", ns_path("USER", f"work/{job}"))
        assert cancel.status_code == 200, cancel.text
        body = envelope(cancel)
        results += body["result"] if isinstance(body["result"], list) else []
        if "Retry-After" not in cancel.headers:
            break
        time.sleep(0.2)
    waits = [r for r in results if r.get("method") == "Waits"]
    assert waits and waits[0]["status"] == 0
    assert waits[0]["error"].startswith("ERROR #5002: ObjectScript error: <INTERRUPT>")
    assert not [r for r in results if r.get("method") == "ZAfter"]
    assert client.call("GET", ns_path("USER", f"work/{job}")).status_code == 404


def test_megabytes_of_output_are_bounded(unit: Callable[..., Any]) -> None:
    _, client, _ = unit("--set", f"run_output_bytes={1 << 20}")
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Loud"}]})
    assert run.rows("Tests.Unit.Loud")["Prints"]["status"] == 1
    assert sum(len(line) for line in run.console) <= (1 << 20) + 10_000
    assert any("output beyond" in line for line in run.console) or \
        run.console[-1] == "All PASSED"


def test_two_runs_at_once_both_finish(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    runs: list[Run] = []

    def one(cls: str) -> None:
        other = Client(client.base)
        other.login()
        runs.append(run_tests(other, {"tests": [{"class": cls}]}))
        other.close()

    threads = [threading.Thread(target=one, args=(c,)) for c in
               ("Tests.Unit.Hooks", "Tests.Unit.Basic")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert [r.status for r in runs] == [202, 202], [(r.status, r.queued) for r in runs]
    assert sorted(r.results[-1]["class"] for r in runs) == ["Tests.Unit.Basic",
                                                             "Tests.Unit.Hooks"]


def test_console_false_prints_nothing(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    run = run_tests(client, {"tests": [{"class": "Tests.Unit.Hooks"}], "console": False})
    assert run.console == []
    assert len(run.rows("Tests.Unit.Hooks")) == 4


BAD = [
    ({"tests": []}, ("USER", 8), "non-empty array"),
    ({"tests": [{"methods": ["A"]}]}, ("USER", 8), "'class' string"),
    ({"tests": [{"class": "Bad Name"}]}, ("USER", 8), "is not a class name"),
    ({"tests": [{"class": "A.B", "methods": "A"}]}, ("USER", 8), "array of method"),
    ({"tests": [{"class": "A.B"}], "load": [{"file": "x.cls", "content": "text"}]},
     ("USER", 8), "array of lines"),
    ({"tests": [{"class": "A.B"}], "load": [{"file": "x.xml", "content": ["<?xml?>"]}]},
     ("USER", 8), "not a class or routine in UDL form"),
    ({"tests": [{"class": "A.B"}], "debug": "yes"}, ("USER", 8), "'debug' must be"),
    ({"tests": [{"class": "A.B"}]}, ("USER", 7), "from API version 8"),
    ({"tests": [{"class": "A.B"}]}, ("%SYS", 8), "do not run in %SYS"),
    ({"tests": [{"class": "A.B"}], "console": "yes"}, ("USER", 8), "'console' must be"),
]


def test_bad_requests_are_clear_errors(unit: Callable[..., Any]) -> None:
    _, client, _ = unit()
    for body, where, text in BAD:
        resp = queue(client, body, *where)
        assert resp.status_code == 400, (body, resp.text)
        assert text in envelope(resp)["status"]["summary"], (body, resp.text)


def _client_console_items(lines: list[str], classes: set[str]) -> dict[str, list[str]]:
    """The extension's reading of console lines (unitTest.ts): which test item (a class, or
    ``Class:Method``) each line is shown under; '' for lines under no item."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if indent == 4:
            if line.endswith("..."):
                name = line.strip().split(" ")[0]
                current = name if name in classes else ""
            elif ":" in current:
                current = current.split(":")[0]
        elif indent == 6 and line.endswith("..."):
            if current:
                current = current.split(":")[0] + ":" + line.strip()[4:].split("(")[0]
        elif indent == 2 and current:
            current = ""
        out.setdefault(current, []).append(line)
    return out


def _client_line(text: str, label: str, offset: int) -> int:
    """methodOffsetToLine with the language server (utils/index.ts): from the method's
    declaration, the first line ending with '{', plus the offset (0-based row)."""
    rows = text.split("\n")
    start = next(i for i, r in enumerate(rows) if r.startswith(f"Method {label}("))
    brace = next(i for i in range(start, len(rows)) if rows[i].strip().endswith("{"))
    return brace + offset


def test_the_demos_tests_as_vscode_runs_them_twice(start: Callable[..., Server],
                                                    tmp_path: Path) -> None:
    """The README's server (the bundled demo), the Testing view's Run on the whole tree,
    twice: the extension sends its local copies in ``load``, polls every 50 ms, reads the
    console by indentation and puts a failure's mark at the method's line + offset."""
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state")])
    client = Client(server.base)
    client.login()
    demo = Path(__file__).parents[2] / "atelier_api" / "demo" / "USER" / "Demo"
    files = {"Demo.Tests.UtilsTest": demo / "Tests" / "UtilsTest.cls",
             "Demo.Showcase.FailingTest": demo / "Showcase" / "FailingTest.cls"}
    body = {"tests": [{"class": c} for c in files], "console": True, "debug": False,
            "load": [{"file": str(f), "content": re.split(r"\r?\n", f.read_text())}
                     for f in files.values()]}
    for _ in range(2):
        run = run_tests(client, body)
        assert run.status == 202
        utils, showcase = run.rows("Demo.Tests.UtilsTest"), run.rows("Demo.Showcase.FailingTest")
        assert {m: r["status"] for m, r in utils.items()} == {"Greet": 1, "Sum": 1, "": 1}
        assert {m: r["status"] for m, r in showcase.items()} == {
            "SumOfTwo": 1, "SumIsFive": 0, "": 0}
        failure = showcase["SumIsFive"]["failures"][0]
        assert failure["message"] == "AssertEquals: 2+2 is 5"
        location = failure["location"]
        assert location["document"] == "Demo.Showcase.FailingTest.cls"
        text = files["Demo.Showcase.FailingTest"].read_text()
        row = _client_line(text, location["label"], location["offset"])
        assert text.split("\n")[row].strip() == \
            'do $$$AssertEquals(##class(Demo.Utils).Sum("2,2"), 5, "2+2 is 5")'
        items = _client_console_items(run.console, set(files))
        assert any(line.startswith("AssertEquals:2+2 is 5 (failed)")
                   for line in items["Demo.Showcase.FailingTest:SumIsFive"])
        assert "        LogMessage:this test fails on purpose" in \
            items["Demo.Showcase.FailingTest:SumIsFive"]
        assert "        AssertEquals:2+2 is 4 (passed)" in \
            items["Demo.Showcase.FailingTest:SumOfTwo"]
    client.close()


GLOBALS = """Class Tests.Unit.Globals Extends %UnitTest.TestCase
{

Method TestCount()
{
    set n = $increment(^UnitCount)
    do $$$LogMessage("run "_n_" in "_$namespace)
    do $$$AssertTrue(n > 0)
}

}
"""


def test_globals_persist_and_namespaces_are_apart(start: Callable[..., Server],
                                                  tmp_path: Path) -> None:
    """Globals a test writes stay, as on IRIS; a run in another namespace has its own."""
    spaces = {}
    for ns in ("USER", "OTHER"):
        folder = tmp_path / ns / "Tests" / "Unit"
        folder.mkdir(parents=True)
        (folder / "Globals.cls").write_text(GLOBALS)
        spaces[ns] = tmp_path / ns
    server = start(["serve", "--port", "0", "--state-dir", str(tmp_path / "state"),
                    "--namespace", f"USER={spaces['USER']}",
                    "--namespace", f"OTHER={spaces['OTHER']}"])
    client = Client(server.base)
    client.login()

    def count(ns: str) -> str:
        resp = queue(client, {"tests": [{"class": "Tests.Unit.Globals"}]}, ns)
        job = resp.headers["Location"]
        deadline = time.monotonic() + HANG_GUARD
        console: list[str] = []
        while time.monotonic() < deadline:
            poll = client.call("GET", ns_path(ns, f"work/{job}"))
            console += envelope(poll)["console"]
            if "Retry-After" not in poll.headers:
                break
            time.sleep(0.05)
        return next(line.strip() for line in console if "LogMessage:run" in line)

    assert count("USER") == "LogMessage:run 1 in USER"
    assert count("USER") == "LogMessage:run 2 in USER"
    assert count("OTHER") == "LogMessage:run 1 in OTHER"
    client.close()
