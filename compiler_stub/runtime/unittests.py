"""``%UnitTest``: the assertions of ``%UnitTest.TestCase`` and the run ``%UnitTest.Manager``
makes of test classes, with its console lines and the result rows of the ``/work`` unittest
request.

A run (``run_tests``) takes test classes and, per class, the test methods to run (names
without the ``Test`` prefix; none: every ``Test*`` instance method, inherited ones included,
in name order). Classes are grouped into suites by package, in the order given. Per class:
one instance is made (``%New`` with the manager), ``OnBeforeAllTests`` runs once, then per
method ``OnBeforeOneTest(name)``, the method, ``OnAfterOneTest(name)``, and at the end
``OnAfterAllTests``. A hook that returns an error status or throws fails what it guards: the
class's every method (``OnBeforeAllTests``), or the one method (``OnBeforeOneTest``,
``OnAfterOneTest``); ``OnAfterAllTests`` fails the class.

The assertion methods (``AssertEqualsViaMacro`` …, called by the ``$$$Assert…`` macros of
``%occUnitTest.inc``) log one line each and return whether they passed. A failed assertion
fails its method and is reported with its place in the class: the caller's INT location
``zTestX+n^Pkg.T.1`` becomes ``{document: "Pkg.T.cls", label: "TestX", offset: n}`` (the
class compiler keeps a method's body lines one for one in its ``z`` label, so ``+1`` is the
first body line). An error thrown inside a method fails it with the error's text and place,
and the run goes on; an interrupt (a cancelled run) fails the method running and ends the
run.

Console lines (VS Code reads their indentation: 2 spaces a suite, 4 a class, 6 a method, 8
an assertion) and result rows go to the callbacks the caller gives; ``console`` False prints
nothing.
"""

from __future__ import annotations

import contextlib
import re
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler_stub.runtime import status as S
from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.frames import ThrownObject
from compiler_stub.runtime.objbase import Obj, arg, given, native, native_class

__all__ = ["TestRun", "run_tests"]

_TC = "%UnitTest.TestCase"
_MGR = "%UnitTest.Manager"

PASSED, FAILED, SKIPPED = 1, 0, 2


class ManagerObj(Obj):
    """The ``%UnitTest.Manager`` a test case's ``..Manager`` is: the run it belongs to."""

    run: TestRun | None = None


native_class(_MGR, ("%Library.RegisteredObject",), pyclass=ManagerObj)
native_class(_TC, ("%Library.RegisteredObject",), props=("Manager", "Debug", "SkipTest"))


@dataclass
class _Method:
    """The record of one test method while it runs."""

    name: str  # TestX
    failures: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False
    error: str = ""


#: the suite of a run: all its classes are run as one suite with no directory, the root
SUITE = "(root)"


class TestRun:
    """One run of test classes (see the module's docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(self, P: Any, *, console: Callable[[str], None],
                 result: Callable[[dict[str, Any]], None], show: bool = True,
                 test_seconds: float = 0.0) -> None:
        self.P = P
        self._console = console
        self._result = result
        self.show = show
        self.test_seconds = test_seconds
        self.suite = SUITE
        self.cls = ""
        self.current: _Method | None = None
        self.stopped = False  # interrupted from outside: no more tests
        self.timed_out = False

    # ------------------------------------------------------------------ output

    def line(self, indent: int, text: str) -> None:
        if self.show:
            self._console(" " * indent + text)

    def failed_line(self, action: str, description: str, method: str) -> None:
        """A failure, as ``LogAssert`` prints it: at the start of the line, marked."""
        self.line(0, f"{action}:{description} (failed)  <<==== **FAILED** "
                     f"{self.suite}:{self.cls}:{method}")

    def log_assert(self, kind: str, passed: int, description: str) -> None:
        """One assertion's line, and its failure on the running method."""
        m = self.current
        if passed == SKIPPED:
            self.line(8, f"{kind}:{description} (skipped)")
            if m is not None:
                m.skipped = True
            return
        if passed:
            self.line(8, f"{kind}:{description} (passed)")
            return
        self.failed_line(kind, description, m.name if m is not None else "")
        if m is not None:
            m.failures.append({"message": f"{kind}: {description}",
                               "location": self.location(self.caller())})

    def log_message(self, text: str) -> None:
        self.line(8, f"LogMessage:{text}")

    # ------------------------------------------------------------------ places

    def caller(self) -> str:
        """``label+offset^routine`` of the innermost ObjectScript line running now (the
        assertion's call in the test method)."""
        for routine, label, offset, _row in self.P.stack_lines():
            return f"{label}+{offset}^{routine}" if offset else f"{label}^{routine}"
        return ""

    def location(self, place: str) -> dict[str, Any]:
        """``zTestX+3^Pkg.T.1`` as a failure's location in the class document."""
        loc: dict[str, Any] = {"document": f"{self.cls}.cls",
                               "namespace": self.P.namespace}
        where, _, routine = place.partition("^")
        label, _, offset = where.partition("+")
        if routine.endswith(".1"):
            loc["document"] = f"{routine[:-2]}.cls"
            if label.startswith("z"):
                label = label[1:]
        elif routine:
            loc["document"] = f"{routine}.int"
        if label:
            loc["label"] = label
        loc["offset"] = int(offset) if offset.isdigit() else 0
        return loc

    # ------------------------------------------------------------------ the run

    def run(self, tests: Sequence[tuple[Any, ...]]) -> bool:
        """Run ``(class, methods[, error])`` entries (a class with an error fails with it,
        unrun); True when no test failed."""
        previous = signal.signal(signal.SIGALRM, self._on_alarm) if self.test_seconds > 0 \
            else None
        try:
            return self._run(tests)
        finally:
            if previous is not None:
                signal.signal(signal.SIGALRM, previous)

    def _run(self, tests: Sequence[tuple[Any, ...]]) -> bool:
        self.line(2, f"{self.suite} begins ...")
        ok = True
        for cls, methods, *error in tests:
            if self.stopped:
                break
            if error and error[0]:
                self.cls = cls
                self.line(4, f"{cls} begins ...")
                ok = self.class_failed(cls, time.perf_counter(), "", error[0]) and ok
                continue
            ok = self.run_class(cls, methods) and ok
        self.line(2, f"{self.suite} {'passed' if ok else 'failed'}")
        self.line(0, "")
        if ok:
            self.line(0, "All PASSED")
        else:
            self.line(0, "Some tests FAILED in suites:")
            self.line(2, self.suite)
        return ok

    def run_class(self, cls: str, wanted: Sequence[str]) -> bool:
        """One test class: its methods, its summary row; True when it did not fail."""
        self.cls = cls
        started = time.perf_counter()
        self.line(4, f"{cls} begins ...")
        rows: list[dict[str, Any]] = []
        try:
            names = self.test_methods(cls, wanted)
            obj = self.P.class_call(cls, "%New", True, self.manager())
        except ObjectScriptError as e:
            return self.class_failed(cls, started, "", self.P.error_of(e).zerror())
        setup = self.hook(obj, "OnBeforeAllTests")
        if setup:  # no test runs: the class fails (its methods have no rows)
            return self.class_failed(cls, started, "OnBeforeAllTests", setup)
        for name in names:
            if self.stopped:
                break
            rows.append(self.run_method(obj, name))
        teardown = self.hook(obj, "OnAfterAllTests") if not self.stopped else ""
        if teardown:
            self.failed_line("LogStateStatus", f"0:OnAfterAllTests: {teardown}", "")
        statuses = [r["status"] for r in rows]
        status = FAILED if teardown or FAILED in statuses else (
            PASSED if PASSED in statuses or not statuses else SKIPPED)
        summary: dict[str, Any] = {
            "class": cls, "status": status, "duration": _ms(started),
            "failures": [{"message": f"Test{r['method']}: "
                                     f"{r.get('error') or r['failures'][0]['message']}"}
                         for r in rows if r["status"] == FAILED
                         and (r.get("error") or r["failures"])]}
        if teardown:
            summary["error"] = f"OnAfterAllTests: {teardown}"
        self._result(summary)
        self.line(4, f"{cls} {'failed' if status == FAILED else 'passed'}")
        return status != FAILED

    def class_failed(self, cls: str, started: float, action: str, error: str) -> bool:
        """A class none of whose tests ran: it does not exist, is no test case, lacks a
        method asked for, or its ``OnBeforeAllTests`` failed."""
        text = f"{action}: {error}" if action else error
        self.failed_line("LogStateStatus", f"0:{text}", "")
        self._result({"class": cls, "status": FAILED, "duration": _ms(started),
                      "failures": [], "error": text})
        self.line(4, f"{cls} failed")
        return False

    def test_methods(self, cls: str, wanted: Sequence[str]) -> list[str]:
        """The ``Test*`` instance methods to run, in name order (``<METHOD DOES NOT EXIST>``
        for a requested one the class lacks)."""
        rc = self.P.objects.get(cls)
        if not rc.extends(_TC):
            raise ObjectScriptError("CLASS DOES NOT EXIST",
                                    f"*{cls} is not a %UnitTest.TestCase")
        tests = sorted(n for n, m in rc.methods.items()
                       if n.startswith("Test") and m.kind != "classmethod")
        if not wanted:
            return tests
        out = []
        for short in wanted:
            name = "Test" + short
            if name not in tests:
                raise ObjectScriptError("METHOD DOES NOT EXIST", f"*{name},{cls}")
            if name not in out:
                out.append(name)
        return sorted(out)

    def manager(self) -> ManagerObj:
        rc = self.P.objects.get(_MGR)
        mgr = ManagerObj(rc, self.P.objects.numbers)
        mgr.run = self
        return mgr

    def hook(self, obj: Any, name: str, *args: Any) -> str:
        """Run a hook; '' when it succeeded, else the error it returned or threw (as a
        status's text: ``ERROR #5002: ObjectScript error: <...>`` for a thrown error)."""
        m = obj.cls.methods.get(name)
        if m is not None and m.fn in _DEFAULT_HOOKS:  # TestCase's own: it does nothing
            return ""
        try:
            sc = self.P.objects.call_method(obj, name, True, args)
        except KeyboardInterrupt:
            self.stopped = True
            return S.error_text(S.error(5002, "<INTERRUPT>"))
        except BaseException as e:  # noqa: BLE001 - the hook's error is the test's failure
            return self.error_text(e)
        if sc is not None and sc != "" and S.is_error(sc):
            return S.error_text(sc)
        return ""

    def error_text(self, e: BaseException) -> str:
        """An error thrown in a test or hook as the status text IRIS records for it."""
        if isinstance(e, ThrownObject):  # a THROWn exception object: its status
            try:
                return S.error_text(self.P.method(e.obj, "AsStatus"))
            except BaseException:  # noqa: BLE001, S110 - not an exception object: as below
                pass
        return S.error_text(S.error(5002, self.P.error_of(e).zerror()))

    def run_method(self, obj: Any, name: str) -> dict[str, Any]:
        """One test method with its hooks; its result row (reported too)."""
        m = self.current = _Method(name)
        self.line(6, f"{name}() begins ...")
        started = time.perf_counter()
        before = self.hook(obj, "OnBeforeOneTest", name)
        if before:
            self.method_error(m, "OnBeforeOneTest", before)
        elif V.truth(self.prop(obj, "SkipTest")):
            m.skipped = True  # OnBeforeOneTest asked to skip it ($$$AssertSkipped)
        elif not self.stopped:
            self.call_test(obj, m)
        if not self.stopped:
            after = self.hook(obj, "OnAfterOneTest", name)
            if after:
                self.method_error(m, "OnAfterOneTest", after)
        with contextlib.suppress(ObjectScriptError):
            obj.props["SkipTest"] = 0
        self.current = None
        seconds = time.perf_counter() - started
        self.log_message(f"Duration of execution: {_seconds(seconds)} sec.")
        if m.failures or m.error:
            status = FAILED
        elif m.skipped:
            status = SKIPPED
        else:
            status = PASSED
        row: dict[str, Any] = {"class": self.cls, "method": name[4:], "status": status,
                               "duration": round(seconds * 1000, 3),
                               "failures": m.failures}
        if m.error:
            row["error"] = m.error
        self._result(row)
        self.line(6, f"{name} " + {FAILED: "failed", SKIPPED: "skipped", PASSED: "passed"}[
            status])
        return row

    def prop(self, obj: Any, name: str) -> Any:
        try:
            return obj.os_get(name)
        except ObjectScriptError:
            return ""

    def call_test(self, obj: Any, m: _Method) -> None:
        """Run the method under the time limit; an error fails it."""
        timer = self.test_seconds > 0
        limit = (f"ERROR #5002: ObjectScript error: <INTERRUPT> the test ran longer than "
                 f"its {self.test_seconds:g} s time limit")
        if timer:
            self.timed_out = False
            # and again after each interval: code that catches the interrupt gets another
            signal.setitimer(signal.ITIMER_REAL, self.test_seconds, self.test_seconds)
        try:
            self.P.objects.call_method(obj, m.name, False, ())
        except KeyboardInterrupt as e:
            if self.timed_out:
                self.method_error(m, m.name, limit)
            else:
                self.stopped = True
                self.method_error(m, m.name, self.error_text(e))
        except BaseException as e:  # noqa: BLE001 - an error in a test fails the test
            self.method_error(m, m.name, self.error_text(e))
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
        if self.timed_out and not m.error:  # the code caught the interrupt and went on
            self.method_error(m, m.name, limit)

    def _on_alarm(self, _signum: int, _frame: Any) -> None:
        self.timed_out = True
        raise KeyboardInterrupt

    def method_error(self, m: _Method, action: str, text: str) -> None:
        """A method failed by an error thrown in it (``action`` its name) or returned by
        one of its hooks (``action`` the hook's name), as ``LogStateStatus`` logs it."""
        self.failed_line("LogStateStatus", f"0:{action}: {text}", m.name)
        m.error = m.error or text


def _seconds(s: float) -> str:
    """Seconds as IRIS prints a duration: canonical, at most six decimals."""
    return V.to_str(V.num(f"{s:.6f}"))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def run_tests(P: Any, tests: Sequence[tuple[Any, ...]], *,
              console: Callable[[str], None], result: Callable[[dict[str, Any]], None],
              show: bool = True, test_seconds: float = 0.0) -> bool:
    """Run test classes in process ``P`` (see the module's docstring)."""
    run = TestRun(P, console=console, result=result, show=show, test_seconds=test_seconds)
    return run.run(tests)


# --------------------------------------------------------------------------- TestCase


def _run_of(this: Any) -> TestRun | None:
    mgr = this.props.get("Manager") if isinstance(this, Obj) else None
    return mgr.run if isinstance(mgr, ManagerObj) else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Obj) or isinstance(b, Obj):
        return a is b
    return bool(V.eq(a, b))


_GROUPING = re.compile(r'["(\[{]')


def _arguments(text: str) -> list[str]:
    """The top-level arguments of a macro's quoted argument text: commas inside strings,
    parentheses and JSON literals do not split. ``[`` opens an array literal only where an
    operand starts (after ``(``, ``,``, ``=``, ``:``, ``[``, ``{`` or at the start);
    elsewhere it is the contains operator, as ``]`` is the follows operator."""
    if _GROUPING.search(text) is None:  # nothing that can hold a comma
        return [a.strip() for a in text.split(",")]
    out: list[str] = []
    openers: list[str] = []
    start, quoted, prev = 0, False, ""
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif c in "({" or (c == "[" and prev in ("", "(", ",", "=", ":", "[", "{")):
            openers.append(c)
        elif c in ")]}" and openers and openers[-1] == {")": "(", "]": "[", "}": "{"}[c]:
            openers.pop()
        elif c == "," and not openers:
            out.append(text[start:i].strip())
            start = i + 1
        if not c.isspace():
            prev = c if not quoted or c == '"' else prev
    out.append(text[start:].strip())
    return out


#: how a default description joins an assertion's first two arguments
_JOIN = {"AssertEquals": "==", "AssertNotEquals": "!=", "AssertStatusEquals": "=="}


def describe(kind: str, autoquoted: str) -> str:
    """The description of an assertion given none: built from the text of its arguments,
    ``x==2`` for ``$$$AssertEquals(x,2)``, the first argument for one-value assertions."""
    args = _arguments(autoquoted)
    join = _JOIN.get(kind)
    if join is not None and len(args) >= 2:
        return f"{args[0]}{join}{args[1]}"
    return args[0]


def _log(this: Any, kind: str, passed: int, autoquoted: Any, description: Any) -> int:
    text = V.to_str(arg(description)) if given(description) else describe(
        kind, V.to_str(arg(autoquoted)))
    run = _run_of(this)
    if run is not None:
        run.log_assert(kind, passed, text)
    return 1 if passed else 0


@native(_TC, "%OnNew")
def _on_new(P: Any, this: Any, initvalue: Any = None) -> int:
    this.props["Manager"] = arg(initvalue)
    return 1


@native(_TC, "OnBeforeAllTests", "OnAfterAllTests")
def _hook_all(P: Any, this: Any) -> int:
    return 1


@native(_TC, "OnBeforeOneTest", "OnAfterOneTest")
def _hook_one(P: Any, this: Any, testname: Any = "") -> int:
    return 1


_DEFAULT_HOOKS = (_hook_all, _hook_one)


@native(_TC, "AssertEqualsViaMacro")
def _assert_equals(P: Any, this: Any, autoquoted: Any = "", v1: Any = "", v2: Any = "",
                   description: Any = None) -> int:
    return _log(this, "AssertEquals", _same(arg(v1), arg(v2)), autoquoted, description)


@native(_TC, "AssertNotEqualsViaMacro")
def _assert_not_equals(P: Any, this: Any, autoquoted: Any = "", v1: Any = "", v2: Any = "",
                       description: Any = None) -> int:
    return _log(this, "AssertNotEquals", not _same(arg(v1), arg(v2)), autoquoted,
                description)


@native(_TC, "AssertTrueViaMacro")
def _assert_true(P: Any, this: Any, autoquoted: Any = "", value: Any = "",
                 description: Any = None) -> int:
    return _log(this, "AssertTrue", V.truth(arg(value)), autoquoted, description)


@native(_TC, "AssertNotTrueViaMacro")
def _assert_not_true(P: Any, this: Any, autoquoted: Any = "", value: Any = "",
                     description: Any = None) -> int:
    return _log(this, "AssertNotTrue", not V.truth(arg(value)), autoquoted, description)


@native(_TC, "AssertStatusOKViaMacro")
def _assert_status_ok(P: Any, this: Any, autoquoted: Any = "", sc: Any = "",
                      description: Any = None) -> int:
    value = arg(sc)
    ok = not S.is_error(value)
    if not ok:  # a failure names the status's error
        text = V.to_str(arg(description)) if given(description) else describe(
            "AssertStatusOK", V.to_str(arg(autoquoted)))
        description = f"{text} => {S.error_text(value)}"
    return _log(this, "AssertStatusOK", ok, autoquoted, description)


@native(_TC, "AssertStatusNotOKViaMacro")
def _assert_status_not_ok(P: Any, this: Any, autoquoted: Any = "", sc: Any = "",
                          description: Any = None) -> int:
    return _log(this, "AssertStatusNotOK", S.is_error(arg(sc)), autoquoted, description)


@native(_TC, "AssertStatusEqualsViaMacro")
def _assert_status_equals(P: Any, this: Any, autoquoted: Any = "", sc1: Any = "",
                          sc2: Any = "", description: Any = None) -> int:
    same = S.error_codes(arg(sc1)) == S.error_codes(arg(sc2))
    return _log(this, "AssertStatusEquals", same, autoquoted, description)


@native(_TC, "AssertSuccessViaMacro")
def _assert_success(P: Any, this: Any, autoquoted: Any = "", description: Any = None) -> int:
    return _log(this, "AssertSuccess", 1, autoquoted, description)


@native(_TC, "AssertFailureViaMacro")
def _assert_failure(P: Any, this: Any, autoquoted: Any = "", description: Any = None) -> int:
    return _log(this, "AssertFailure", 0, autoquoted, description)


@native(_TC, "AssertSkippedViaMacro")
def _assert_skipped(P: Any, this: Any, autoquoted: Any = "", description: Any = None) -> int:
    _log(this, "TestSkipped", SKIPPED, autoquoted, description)
    if isinstance(this, Obj):  # in OnBeforeOneTest: the test does not run
        this.props["SkipTest"] = 1
    return 1


@native(_TC, "AssertFilesSameViaMacro", "AssertFilesSQLUnorderedSameViaMacro")
def _assert_files(P: Any, this: Any, autoquoted: Any = "", file1: Any = "", file2: Any = "",
                  description: Any = None) -> int:
    raise ObjectScriptError("PROTECT", "*the sandbox has no files to compare")


@native(_TC, "LogMessage")
def _log_message(P: Any, this: Any, message: Any = "") -> int:
    run = _run_of(this)
    if run is not None:
        run.log_message(V.to_str(arg(message)))
    return 1
