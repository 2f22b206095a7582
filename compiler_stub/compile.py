"""A whole compile request: the set, up-to-date skips, phases per batch, console, outcomes."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from atelier_api.adapters.contract import (
    CompileRequest,
    CompileResult,
    DocOutcome,
    Outcome,
    SourceDoc,
)
from compiler_stub import console
from compiler_stub.classunit import (
    ClassJob,
    Lines,
    class_phase,
    routine_phase,
    superclass_failed,
    table_phase,
)
from compiler_stub.library.bundle import Library
from compiler_stub.qspec import Qspec, parse_qspec
from compiler_stub.reading.pool import ReadPool, read_in_process
from compiler_stub.reading.sources import SourceCache
from compiler_stub.resolution.order import all_predecessors, batches, subclasses
from compiler_stub.resolution.world import ClassWorld
from compiler_stub.routines import RoutineJob, compile_routine, is_routine

STOP_TEXT = {"cancelled": "Compilation cancelled", "time limit": "Compilation time limit reached"}


class StreamedLines(list[tuple[str, str]]):
    """Console lines of a run that also passes each visible line on as soon as it is added
    (``CompileRequest.on_console``: the /work queue streams them to polling clients)."""

    def __init__(self, sink: Callable[[str], None], keep: dict[str, bool]) -> None:
        super().__init__()
        self._sink = sink
        self._keep = keep

    def append(self, item: tuple[str, str]) -> None:
        """Add one (kind, text) line and pass it on when its kind is displayed."""
        super().append(item)
        if self._keep[item[0]]:
            self._sink(item[1])

    def __iadd__(self, items: object) -> StreamedLines:  # type: ignore[override,misc]
        for item in items:  # type: ignore[attr-defined]
            self.append(item)
        return self


@dataclass
class Run:
    """Shared state of one compile run."""

    request: CompileRequest
    library: Library
    q: Qspec
    world: ClassWorld
    started: float
    now: datetime
    lines: Lines = field(default_factory=list)
    stopped: str = ""
    outcomes: dict[str, DocOutcome] = field(default_factory=dict)
    #: classes of this run that failed their class or table phase: subclasses cannot compile
    failed: set[str] = field(default_factory=set)

    def check_stop(self) -> bool:
        """True (and remember why) once cancelled or past the time limit."""
        if not self.stopped:
            self.stopped = stop_reason(self.request, self.started)
        return bool(self.stopped)


def stop_reason(request: CompileRequest, started: float) -> str:
    """Why a compile started at ``started`` must stop now: "cancelled", "time limit" or ""."""
    if request.cancel.cancelled:
        return "cancelled"
    limit = request.time_limit
    if limit is not None and time.monotonic() - started > limit:
        return "time limit"
    return ""


def _class_jobs(request: CompileRequest, pool: ReadPool | None,
                stop: Callable[[], bool]) -> dict[str, ClassJob]:
    """Jobs for the class documents named in the request, read in ``pool`` when given.

    Once ``stop`` is true the reading ends: the classes not read get no job, and so the outcome
    of a document that was not reached.
    """
    docs = [doc for doc in request.documents if doc.name.lower().endswith(".cls")]
    lines = [doc.lines for doc in docs]
    sources = pool.read_all(lines, stop) if pool is not None else read_in_process(lines, stop)
    read = zip(docs, sources, strict=False)  # sources: a prefix of docs once stopped
    return {doc.name[:-4]: ClassJob(doc, doc.name[:-4], src) for doc, src in read}


def _expand(run: Run, jobs: dict[str, ClassJob]) -> None:
    """Add subclasses (b) and predecessors (r) from the workspace, marked expanded."""
    extra: list[str] = []
    if run.q.subclasses:
        extra += subclasses(run.world, list(jobs))
    if run.q.predecessors:
        extra += all_predecessors(run.world, list(jobs))
    for name in dict.fromkeys(extra):
        doc = run.world.document(name)
        src = run.world.source(name)
        if doc is not None and src is not None and name not in jobs:
            jobs[name] = ClassJob(doc, name, src, expanded=True)
            run.world.batch[name] = src


def _up_to_date(run: Run, job: ClassJob) -> bool:
    """The document and all its workspace superclasses are compiled as they are."""
    if not job.doc.upd:
        return False
    for anc in run.world.ancestors(job.name):
        doc = run.world.document(anc)
        if doc is not None and not doc.upd:
            return False
    return True


def _skips(run: Run, jobs: dict[str, ClassJob]) -> list[str]:
    """Names skipped as up to date (``all`` skips named ones too, ``expandedonly`` not)."""
    mode = run.q.checkuptodate
    out = []
    for name, job in jobs.items():
        eligible = mode == "all" or (mode == "expandedonly" and job.expanded)
        if eligible and _up_to_date(run, job):
            out.append(name)
            run.outcomes[job.doc.name] = DocOutcome(job.doc.name, Outcome.SKIPPED,
                                                    expanded=job.expanded)
            if not job.expanded:
                run.lines.append(("log", f"Class {name} is up-to-date."))
    return out


def _finish(job: ClassJob) -> DocOutcome:
    """The outcome of a class that went through every phase it could."""
    if job.errors:
        status = console.status_text(job.errors[0], job.name)
        return DocOutcome(job.doc.name, Outcome.FAILED, status, tuple(job.errors),
                          expanded=job.expanded)
    source = tuple(job.new_lines) if job.new_lines is not None else None
    return DocOutcome(job.doc.name, Outcome.COMPILED, "", (), source, tuple(job.storage),
                      tuple(job.generated), job.expanded)


def _phase(run: Run, batch: list[ClassJob], step: Callable[[ClassJob], Lines]) -> list[ClassJob]:
    """Run one phase over a batch; return the jobs still without errors (stops early)."""
    alive = []
    for job in batch:
        if run.check_stop():
            break
        run.lines += step(job)
        if not job.errors:
            alive.append(job)
    return alive


def _run_batch(run: Run, batch: list[ClassJob]) -> None:
    """Class, table and routine phases over one batch. A class below one that failed its class
    or table phase in this run fails without going further (that superclass has no compiled
    form to inherit); a failure in the routine phase (code errors) stays its class's own."""
    ok = _below_failed(run, batch, batch)
    ok = _below_failed(run, batch, _phase(run, ok, lambda j: class_phase(j, run.world)))
    ok = _below_failed(run, batch, _phase(run, ok, lambda j: table_phase(j, run.world)))
    _phase(run, ok, lambda j: routine_phase(j, run.world, run.library, run.q, run.now))
    if run.stopped:
        return
    for job in batch:
        run.outcomes[job.doc.name] = _finish(job)


def _below_failed(run: Run, batch: list[ClassJob], alive: list[ClassJob]) -> list[ClassJob]:
    """The jobs of ``alive`` none of whose superclasses failed; the others fail here."""
    run.failed.update(job.name for job in batch if job.errors)
    if not run.failed:
        return alive
    out = []
    for job in alive:
        failed = next((a for a in run.world.ancestors(job.name) if a in run.failed), None)
        if failed is None:
            out.append(job)
        else:
            run.lines += superclass_failed(job, failed)
            run.failed.add(job.name)
    return out


def _compile_classes(run: Run, jobs: dict[str, ClassJob]) -> None:
    """Every class of the set, batch by batch."""
    skipped = set(_skips(run, jobs))
    todo = [n for n in jobs if n not in skipped]
    if len(todo) > 1:
        run.lines.append(("log", f"Compiling {len(todo)} classes"))
    for names in batches(run.world, todo):
        if run.stopped:
            break
        _run_batch(run, [jobs[n] for n in names])


def _compile_others(run: Run) -> None:
    """Routines and other documents of the request, in request order."""
    for doc in run.request.documents:
        if doc.name in run.outcomes or doc.name.lower().endswith(".cls"):
            continue
        if run.check_stop():
            return
        if not is_routine(doc.name):
            run.outcomes[doc.name] = DocOutcome(doc.name, Outcome.COMPILED)
            continue
        job = RoutineJob(doc)
        run.lines += compile_routine(job, run.world, run.library, run.q)
        run.outcomes[doc.name] = job.outcome()


def _visible(run: Run) -> list[str]:
    """Console lines after the display qualifiers."""
    keep = {"log": run.q.displaylog, "error": run.q.displayerror}
    return [text for kind, text in run.lines if keep[kind]]


def _ordered_outcomes(run: Run, docs: list[SourceDoc]) -> tuple[DocOutcome, ...]:
    """Requested documents first (request order), then expanded ones; unreached = CANCELLED."""
    out = []
    for doc in docs:
        found = run.outcomes.get(doc.name)
        out.append(found or DocOutcome(doc.name, Outcome.CANCELLED,
                                       STOP_TEXT.get(run.stopped, "Not compiled")))
    named = {d.name for d in docs}
    return tuple(out) + tuple(o for n, o in run.outcomes.items() if n not in named)


#: From this many documents on, a compile runs with the cyclic garbage collector paused.
GC_PAUSE_FROM = 50


class _GcPause:
    """Pause the cyclic garbage collector while large compiles run.

    A compile builds tens of objects per class and keeps them until it ends, so every full
    collection would walk all of them again (measured: about 15% of a 5,000-class compile).
    Reference counting still frees what a compile drops; cycles, if any, wait until the last
    of the concurrent large compiles ends. The collector is left as it was found.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = False

    @contextlib.contextmanager
    def held(self, pause: bool) -> Iterator[None]:
        if not pause:
            yield
            return
        with self._lock:
            self._holders += 1
            if self._holders == 1:
                self._was_enabled = gc.isenabled()
                gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._was_enabled:
                    gc.enable()


_GC_PAUSE = _GcPause()


def run_compile(library: Library, request: CompileRequest,
                sources: SourceCache | None = None, pool: ReadPool | None = None
                ) -> CompileResult:
    """Compile the request's documents (``sources``: parsed workspace classes to reuse;
    ``pool``: worker processes that read the classes of large sets)."""
    with _GC_PAUSE.held(len(request.documents) >= GC_PAUSE_FROM):
        return _run_compile(library, request, sources, pool)


def _run_compile(library: Library, request: CompileRequest,
                 sources: SourceCache | None, pool: ReadPool | None) -> CompileResult:
    q = parse_qspec(request.flags)
    started = time.monotonic()
    jobs = _class_jobs(request, pool, lambda: bool(stop_reason(request, started)))
    world = ClassWorld(library, request.workspace, {n: j.src for n, j in jobs.items()}, sources)
    run = Run(request, library, q, world, started, datetime.now())
    if request.on_console is not None:
        run.lines = StreamedLines(request.on_console,
                                  {"log": q.displaylog, "error": q.displayerror})
    run.lines += [("log", ""), ("log", console.header(request.flags, run.now))]
    _expand(run, jobs)
    _compile_classes(run, jobs)
    _compile_others(run)
    expanded = [j.doc for j in jobs.values() if j.expanded]
    outcomes = _ordered_outcomes(run, list(request.documents) + expanded)
    elapsed = time.monotonic() - run.started
    errors = sum(len(o.errors) for o in outcomes)
    run.lines.append(("error" if errors else "log", console.footer(errors, elapsed)))
    return CompileResult(tuple(_visible(run)), outcomes, run.stopped, elapsed)
