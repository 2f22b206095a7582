"""Unit-test runs: the ``/work`` request ``unittest`` (API v8), as VS Code's Testing view sends it.

A run is a ``/work`` job:

1. **Compile.** The test classes, the workspace classes they extend, and every document of
   ``load`` (class or routine texts the client sends: its local copies) are compiled by the
   compiler adapter into a run-private overlay. Nothing is written: not the workspace, not
   the namespace's compile state. A class whose compile fails is reported as that class's
   failure and the others run.
2. **Run.** One execution session (listed in ``%SYS/jobs``) whose documents are the overlay
   first, then the namespace's, runs the test cases as ``%UnitTest.Manager`` does
   (``ExecutionSession.run_tests``): its console lines become the job's console, its result
   rows the job's result items, handed out as each poll comes.
3. **Stop.** A cancel (``DELETE``) or the job's time limit interrupts the running test (it
   fails with ``<INTERRUPT>``) and ends the run; a session that does not stop is ended.
   Each test method has ``run_line_seconds`` to finish.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from atelier_api.adapters.contract import (
    Adapter,
    Capability,
    CompileRequest,
    CompileResult,
    Outcome,
    SourceDoc,
)
from atelier_api.adapters.execution import EventKind, TestSpec
from atelier_api.compile.workspace_view import StoreWorkspace
from atelier_api.documents.names import parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, InvalidName
from atelier_api.run.sessions import DebugTarget, Runs
from atelier_api.work.queue import JobContext
from atelier_api.work.queue import Outcome as JobOutcome

__all__ = ["UnitTestRequest", "parse_request", "unittest_job"]

#: most test classes, and documents to load, in one request
MAX_TESTS = 10_000
#: after interrupting a run, how long it may take to stop before its process is ended
STOP_GRACE = 5.0
#: how long a run with ``debug: true`` waits for its debugger to attach
DEBUGGER_WAIT = 60.0
_IDENT = re.compile(r"%?[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*\Z")
_METHOD = re.compile(r"[A-Za-z0-9%_]+\Z")
_CLASS_LINE = re.compile(r"\s*Class\s+(%?[A-Za-z][\w.%]*)", re.IGNORECASE)
_ROUTINE_LINE = re.compile(r"\s*ROUTINE\s+(%?[\w.%]+)(?:\s*\[\s*Type\s*=\s*(\w+))?",
                           re.IGNORECASE)


@dataclass(frozen=True)
class UnitTestRequest:
    """A checked ``unittest`` body."""

    tests: tuple[TestSpec, ...]
    load: tuple[SourceDoc, ...]
    console: bool
    debug: bool = False


def parse_request(body: dict[str, Any]) -> UnitTestRequest:
    """The body of a ``unittest`` request, or a 400 saying what is wrong."""
    debug = body.get("debug", False)
    if debug not in (True, False, 0, 1, None):
        raise BadRequest("'debug' must be true or false")
    tests = body.get("tests")
    if not isinstance(tests, list) or not tests:
        raise BadRequest("A unittest request needs 'tests': a non-empty array of "
                         "{\"class\": \"Pkg.Cls\", \"methods\": [\"Name\", ...]}")
    if len(tests) > MAX_TESTS:
        raise BadRequest(f"At most {MAX_TESTS} test classes per request")
    specs: dict[str, list[str] | None] = {}
    for i, item in enumerate(tests):
        cls, methods = _test_item(i, item)
        if cls in specs:  # the same class twice: the union of what was asked
            before = specs[cls]
            specs[cls] = None if before is None or methods is None else \
                before + [m for m in methods if m not in before]
        else:
            specs[cls] = methods
    console = body.get("console", True)
    if console not in (True, False, 0, 1):
        raise BadRequest("'console' must be true or false")
    return UnitTestRequest(
        tuple(TestSpec(c, tuple(m or ())) for c, m in specs.items()),
        _load(body.get("load")), bool(console), bool(debug))


def _test_item(i: int, item: Any) -> tuple[str, list[str] | None]:
    if not isinstance(item, dict) or not isinstance(item.get("class"), str):
        raise BadRequest(f"tests[{i}] must be an object with a 'class' string")
    cls = item["class"]
    if cls.lower().endswith(".cls"):
        cls = cls[:-4]
    if not _IDENT.match(cls):
        raise BadRequest(f"tests[{i}].class '{cls[:80]}' is not a class name")
    methods = item.get("methods")
    if methods is None:
        return cls, None
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise BadRequest(f"tests[{i}].methods must be an array of method names (without "
                         "the 'Test' prefix)")
    for m in methods:
        if not _METHOD.match(m):
            raise BadRequest(f"tests[{i}].methods: '{m[:80]}' is not a method name")
    return cls, list(dict.fromkeys(methods)) or None


def _load(items: Any) -> tuple[SourceDoc, ...]:
    """The documents of ``load``: UDL class or routine texts, named by their first line."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise BadRequest("'load' must be an array of {\"file\": ..., \"content\": [lines]}")
    if len(items) > MAX_TESTS:
        raise BadRequest(f"At most {MAX_TESTS} documents in 'load'")
    docs: dict[str, SourceDoc] = {}
    for i, item in enumerate(items):
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, list) or not all(isinstance(x, str) for x in content):
            raise BadRequest(f"load[{i}] must be an object with 'content': an array of lines")
        file = item.get("file", "")
        name = _document_name(content)
        if name is None:
            where = f" ({str(file)[:120]})" if file else ""
            raise BadRequest(f"load[{i}]{where} is not a class or routine in UDL form (a "
                             "'Class Pkg.Name' or 'ROUTINE name' first line); XML is not "
                             "loaded by this server")
        docs[name] = SourceDoc(name, tuple(content), "")
    return tuple(docs.values())


def _document_name(lines: list[str]) -> str | None:
    """The document a UDL text is, from its header (comments and blank lines skipped)."""
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("///", "//", "#;", ";", "/*", "*")):
            continue
        if stripped.lower().startswith(("include ", "import ", "includegenerator ")):
            continue
        m = _CLASS_LINE.match(line)
        if m:
            name = m.group(1) + ".cls"
        else:
            m = _ROUTINE_LINE.match(line)
            if m is None:
                return None
            name = f"{m.group(1)}.{(m.group(2) or 'mac').lower()}"
        try:
            return parse_name(name).name
        except InvalidName:
            return None
    return None


class _Overlay:
    """The compile's view: the loaded documents over the namespace's."""

    def __init__(self, view: StoreWorkspace, loaded: dict[str, SourceDoc]) -> None:
        self.view = view
        self.loaded = loaded

    def document(self, name: str) -> SourceDoc | None:
        try:
            canonical = parse_name(name).name
        except InvalidName:
            return None
        return self.loaded.get(canonical) or self.view.document(canonical)

    def class_names(self) -> list[str]:
        names = set(self.view.class_names())
        names.update(n[:-4] for n in self.loaded if n.endswith(".cls"))
        return sorted(names)


def _superclasses(doc: SourceDoc) -> list[str]:
    """The classes a class text names after ``Extends``."""
    for line in doc.lines:
        m = re.match(r"\s*Class\s+\S+\s+Extends\s+(\([^)]*\)|\S+)", line, re.IGNORECASE)
        if m:
            return [s.strip() for s in m.group(1).strip("()").split(",") if s.strip()]
        if _CLASS_LINE.match(line):
            return []
    return []


class _RunDocuments:
    """The documents of one run: what its compile produced over the namespace's.

    The test classes (with the workspace classes they extend) and the loaded documents are
    compiled before the run; any other class or routine of the workspace the tests reach
    is compiled the first time the session asks for its code, so a test never runs
    against code older than the workspace's text (or none at all)."""

    def __init__(self, adapter: Adapter, store: DocumentStore, catalog: Any,
                 request: UnitTestRequest, ctx: JobContext, base: Any) -> None:
        self.adapter = adapter
        self.ctx = ctx
        self.base = base
        self.console = request.console
        self.ws = _Overlay(StoreWorkspace(store, catalog), {d.name: d for d in request.load})
        self.docs: dict[str, tuple[str, str]] = {
            d.name: ("\n".join(d.lines), f"load:{ctx.job_id}") for d in request.load}
        self.failed: dict[str, str] = {}
        self.tried: set[str] = set()

    def prepare(self, request: UnitTestRequest) -> None:
        """Compile the test classes, their workspace superclasses and the loaded code."""
        wanted: dict[str, SourceDoc | None] = {
            d.name: d for d in request.load if d.name.rpartition(".")[2] in ("cls", "mac", "int")}
        classes = {t.cls for t in request.tests}
        queue = [f"{c}.cls" for c in classes]
        while queue:
            name = queue.pop()
            if name in wanted:
                continue
            found = self.ws.document(name)
            if found is None:
                if name[:-4] in classes:
                    self.failed[name[:-4]] = f"<CLASS DOES NOT EXIST> *{name[:-4]}"
                wanted[name] = None
                continue
            queue += [f"{s}.cls" for s in _superclasses(found)
                      if not s.startswith("%") and "." in s]
            routine = f"{name[:-4]}.1.int"
            code = self.base(routine) if found.upd else None
            if code is not None:  # compiled from this very text already: its code is current
                self.docs.setdefault(name, ("\n".join(found.lines), found.ts or "0"))
                self.docs[routine] = code
                wanted[name] = None
            else:
                wanted[name] = found
        self.compile([d for d in wanted.values() if d is not None])

    def compile(self, docs: list[SourceDoc], quiet: bool = False) -> None:
        """Compile ``docs`` into the run's documents (never into the workspace); ``quiet``:
        print the compiler's lines only when it failed."""
        self.tried.update(d.name for d in docs)
        if not docs:
            return
        result: CompileResult = self.adapter.compile(CompileRequest(
            tuple(docs), "cuk", self.ws, self.ctx.cancel, max(1.0, self.ctx.time_left())))
        if self.console and not (quiet and not result.failed):
            self.ctx.console(*result.console)
        for out in result.outcomes:
            if out.state is Outcome.FAILED and out.name.endswith(".cls"):
                self.failed[out.name[:-4]] = out.status or "the class did not compile"
            for gen in out.generated:
                try:
                    name = parse_name(gen.name).name
                except InvalidName:
                    continue
                self.docs[name] = ("\n".join(gen.lines), f"unittest:{self.ctx.job_id}")

    def __call__(self, name: str) -> tuple[str, str] | None:
        """A document for the session: the run's own, or compiled now, or the namespace's."""
        try:
            canonical = parse_name(name).name
        except InvalidName:
            return None
        found = self.docs.get(canonical)
        if found is not None:
            return found
        source = _source_of(canonical)
        if source is not None and source not in self.tried:
            doc = self.ws.document(source)
            if doc is not None and not doc.upd:  # not compiled from its current text
                self.compile([doc], quiet=True)
                found = self.docs.get(canonical)
                if found is not None:
                    return found
        result: tuple[str, str] | None = self.base(name)
        return result


def _source_of(name: str) -> str | None:
    """The document whose compile makes ``name``: ``Pkg.C.1.int`` -> ``Pkg.C.cls``,
    ``R.int`` -> ``R.mac``; None for anything else."""
    if not name.endswith(".int"):
        return None
    stem = name[:-4]
    if stem.endswith(".1"):
        return stem[:-2] + ".cls"
    return stem + ".mac"


def unittest_job(runs: Runs, store: DocumentStore, catalog: Any, request: UnitTestRequest, *,
                 user: str, device: str, test_seconds: float,
                 target: DebugTarget | None = None) -> Callable[[JobContext], JobOutcome]:
    """The ``/work`` job of one unit-test run (see the module's docstring); ``target``: the
    run waits for a debugger to attach with ``CSPDEBUG:<target.id>``."""

    def work(ctx: JobContext) -> JobOutcome:
        try:
            docs = _RunDocuments(runs.adapter, store, catalog, request, ctx,
                                 runs.documents_of(store))
            docs.prepare(request)
            tests = [replace(spec, error=docs.failed.get(spec.cls, ""))
                     for spec in request.tests]
            if not ctx.cancelled:
                _run(runs, store, docs, tests, request.console, ctx, user=user,
                     device=device, test_seconds=test_seconds, target=target)
        finally:
            if target is not None:
                runs.drop_debug_target(target)
        return JobOutcome(None)

    return work


def _wait_for_debugger(target: DebugTarget, ctx: JobContext, session: Any) -> bool:
    """Say the run is ready (``debugReady``) and wait for a debugger to attach and start it;
    False when none came, or the job was cancelled. The session's events are read meanwhile:
    the debugger's answers reach it through them (``debug_listener``)."""
    ctx.offer(debugReady=True)
    deadline = time.monotonic() + DEBUGGER_WAIT
    while not target.go.is_set():
        if ctx.cancelled:
            return False
        if not target.attached.is_set() and time.monotonic() > deadline:
            ctx.console(f"No debugger attached within {DEBUGGER_WAIT:g} s (CSPDEBUG:"
                        f"{target.id}): the tests did not run")
            return False
        select.select([session.fileno()], [], [], 0.05)
        for event in session.events():  # nothing runs yet: only the debugger's answers
            if event.kind is EventKind.CLOSED:
                ctx.console(f"The test run ended with an error: {event.text}")
                return False
    return True


def _run(runs: Runs, store: DocumentStore, documents: _RunDocuments, tests: list[TestSpec],
         console: bool, ctx: JobContext, *, user: str, device: str,
         test_seconds: float, target: DebugTarget | None = None) -> None:
    run = runs.open(store.namespace, user=user, device=device, kind="%UnitTest",
                    documents=documents)
    session = run.session
    pending = ""
    stopping = 0.0
    try:
        if target is not None:
            target.run = run
            if not _wait_for_debugger(target, ctx, session):
                return
            test_seconds = 0.0  # stopped in the debugger is not a test that hangs
        session.run_tests(tests, console=console, test_seconds=test_seconds)
        while True:
            if (ctx.cancelled or ctx.time_left() <= 0) and not stopping:
                session.interrupt()
                stopping = time.monotonic()
            if stopping and time.monotonic() - stopping > STOP_GRACE:
                ctx.console("The run did not stop when interrupted: its process was ended")
                return
            ready, _, _ = select.select([session.fileno()], [], [], 0.25)
            if not ready:
                continue
            for event in session.events():
                if event.kind is EventKind.OUTPUT:
                    if console:
                        pending = _lines(ctx, pending + event.text)
                elif event.kind is EventKind.RESULT:
                    ctx.emit(event.data)
                elif event.kind in (EventKind.ERROR, EventKind.CLOSED):
                    if pending.rstrip("\r"):
                        ctx.console(pending.rstrip("\r"))
                    pending = ""
                    ctx.console(f"The test run ended with an error: {event.text}")
                    return
                elif event.kind is EventKind.DONE:
                    if pending.rstrip("\r"):
                        ctx.console(pending.rstrip("\r"))
                    return
                elif event.kind is EventKind.READ:  # nobody can answer a READ in a test
                    session.answer(None)
    finally:
        runs.close(run)


def _lines(ctx: JobContext, text: str) -> str:
    """Hand whole lines of ``text`` to the console; return the unfinished rest (a CR at
    the end waits: its LF may come with the next piece)."""
    held = "\r" if text.endswith("\r") else ""
    *lines, rest = re.split(r"\r\n|\n|\r", text[:-1] if held else text)
    if lines:
        ctx.console(*lines)
    return rest + held


def available(adapter: Adapter) -> bool:
    """True when the adapter can run code (and so unit tests)."""
    return adapter.supports(Capability.EXECUTE)
