"""The parts behind the compile API on their own: the work queue, the console relay, masks
and the compile state catalog."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from atelier_api.compile.console import ConsoleRelay
from atelier_api.compile.state import Changes, CompiledCatalog
from atelier_api.documents.docsets import mask_matcher
from atelier_api.documents.names import parse_name
from atelier_api.documents.texts import text_digest
from atelier_api.errors import ServiceUnavailable
from atelier_api.work.jobs import JobRegistry
from atelier_api.work.queue import (
    CANCELLED,
    DONE,
    FAILED,
    TIMEOUT,
    JobContext,
    Outcome,
    WorkQueue,
)

from .conftest import DEADLINE


@pytest.fixture
def queue() -> WorkQueue:
    q = WorkQueue(JobRegistry(), workers=2, retention_seconds=600, max_jobs=50)
    yield q  # type: ignore[misc]
    q.shutdown(cancel=True, timeout=DEADLINE)


def _drain(q: WorkQueue, job: int) -> tuple[list[str], list[object], object]:
    lines: list[str] = []
    items: list[object] = []
    while True:
        poll = q.poll("USER", job)
        assert poll is not None
        lines += poll.console
        items += poll.items
        if not poll.running:
            return lines, items, poll


def test_lines_and_items_are_handed_out_once(queue: WorkQueue) -> None:
    step = threading.Event()

    def work(ctx: JobContext) -> Outcome:
        ctx.console("a", "b")
        ctx.emit({"n": 1})
        assert step.wait(DEADLINE)
        ctx.console("c")
        return Outcome({"content": []})

    job = queue.submit("user", "compile", work, 60)
    seen: list[str] = []
    got: list[object] = []
    while len(seen) < 2 or not got:
        poll = queue.poll("USER", job)
        assert poll is not None and poll.running
        seen += poll.console
        got += poll.items
    assert seen == ["a", "b"] and got == [{"n": 1}]
    step.set()
    lines, items, last = _drain(queue, job)
    assert lines == ["c"] and items == []
    assert last.state == DONE and last.outcome.result == {"content": []}  # type: ignore
    assert queue.poll("USER", job) is None


def test_a_job_that_raises_is_failed_not_lost(queue: WorkQueue) -> None:
    def work(ctx: JobContext) -> Outcome:
        raise ValueError("nope")

    job = queue.submit("USER", "compile", work, 60)
    _, _, last = _drain(queue, job)
    assert last.state == FAILED  # type: ignore[attr-defined]
    assert "ValueError: nope" in last.outcome.summary  # type: ignore[attr-defined]


def _until_cancelled(ctx: JobContext) -> None:
    """Wait (with a deadline) until the queue asks the job to stop."""
    stop = threading.Event()
    deadline = time.monotonic() + DEADLINE
    while not ctx.cancelled:
        assert time.monotonic() < deadline, "the job was never asked to stop"
        stop.wait(0.005)


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, "condition not reached"


def test_deadline_is_enforced_on_poll_and_the_job_finishes_as_timeout(queue: WorkQueue) -> None:
    def work(ctx: JobContext) -> Outcome:
        _until_cancelled(ctx)
        assert ctx.stop_reason == "time limit"
        return Outcome({"content": []})

    job = queue.submit("USER", "compile", work, 0.05)
    _, _, last = _drain(queue, job)
    assert last.state == TIMEOUT  # type: ignore[attr-defined]
    assert "exceeded its time limit" in last.outcome.summary  # type: ignore[attr-defined]


def test_jobs_belong_to_their_namespace(queue: WorkQueue) -> None:
    job = queue.submit("USER", "compile", lambda ctx: Outcome(), 60)
    assert queue.poll("%SYS", job) is None and queue.cancel("%SYS", job) is None
    _drain(queue, job)


def test_retention_drops_finished_jobs_nobody_collects() -> None:
    q = WorkQueue(retention_seconds=0.05, max_jobs=10)
    job = q.submit("USER", "compile", lambda ctx: Outcome(), 60)
    _until(lambda: (p := q.peek("USER", job)) is None or not p.running)
    _until(lambda: q.peek("USER", job) is None)  # never polled, yet gone: expired
    q.shutdown()


def test_the_job_table_is_bounded() -> None:
    q = WorkQueue(workers=1, retention_seconds=600, max_jobs=3, max_pending=100)
    ids = []
    for _ in range(6):
        job = q.submit("USER", "compile", lambda ctx: Outcome(), 60)
        ids.append(job)
        _until(lambda j=job: not q.peek("USER", j).running)  # type: ignore[union-attr]
    assert q.peek("USER", ids[0]) is None and q.peek("USER", ids[-1]) is not None
    q.shutdown()


def test_shutdown_refuses_new_jobs_and_cancels_the_others() -> None:
    q = WorkQueue(workers=1)
    started = threading.Event()

    def slow(ctx: JobContext) -> Outcome:
        started.set()
        _until_cancelled(ctx)
        return Outcome()

    running = q.submit("USER", "compile", slow, 60)
    waiting = q.submit("USER", "compile", slow, 60)
    assert started.wait(DEADLINE)
    q.shutdown(cancel=True, timeout=DEADLINE)
    for job in (running, waiting):
        last = q.poll("USER", job)
        assert last is not None and last.state == CANCELLED and not last.running
        assert "the server is shutting down" in last.outcome.summary  # type: ignore
    with pytest.raises(ServiceUnavailable):
        q.submit("USER", "compile", slow, 60)


# -- console relay -------------------------------------------------------------------------------

HEADER = "Compilation started on 01/02/2026 10:00:00 with qualifiers 'cuk'"


def test_relay_puts_notes_after_the_header_and_counts_extra_errors() -> None:
    out: list[str] = []
    relay = ConsoleRelay(out.append, ["ERROR #16005: Document 'X.cls' does NOT exist"])
    for line in ("", HEADER, "Compiling class A", "Compilation finished successfully in 0.5s."):
        relay.line(line)
    assert out == ["", HEADER, "ERROR #16005: Document 'X.cls' does NOT exist",
                   "Compiling class A"]
    relay.finish(("", HEADER, "Compiling class A", "Compilation finished successfully in "
                  "0.5s."), extra_errors=1, notes=["WARNING: later"], elapsed=9.0)
    assert out[-2:] == ["WARNING: later", "Detected 1 errors during compilation in 0.500s."]


def test_relay_replays_adapters_that_do_not_stream() -> None:
    out: list[str] = []
    relay = ConsoleRelay(out.append, [])
    relay.finish(("", HEADER, "Detected 2 errors during compilation in 0.010s."),
                 extra_errors=1, notes=[], elapsed=0.0)
    assert out == ["", HEADER, "Detected 3 errors during compilation in 0.010s."]


# -- masks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("mask", "name", "hit"), [
    ("*.CLS", "Pkg.A.cls", True), ("*.cls", "Pkg.A.mac", False), ("Pkg.*.cls", "Pkg.A.cls", True),
    ("Pkg.*.cls", "Pkg.Sub.A.cls", True), ("Pkg.*.cls", "Other.A.cls", False),
    ("pkg.*.CLS", "Pkg.A.cls", True), ("*.MAC", "R.mac", True), ("R?.mac", "R1.mac", True),
    ("/csp/user/*", "/csp/user/a/b.js", True), ("csp/user/*.js", "/csp/user/x.js", True),
    ("/csp/user/*", "/csp/other/x.js", False), ("*.cls", "/csp/user/x.cls", False),
    ("*", "R.mac", True),
])
def test_mask_matching(mask: str, name: str, hit: bool) -> None:
    assert mask_matcher(mask)(parse_name(name)) is hit


# -- compile state ---------------------------------------------------------------------------------

def test_catalog_keeps_ts_of_unchanged_generated_text(tmp_path: Path) -> None:
    cat = CompiledCatalog(str(tmp_path / "c.sqlite"))
    cat.bind(lambda name: name != "Gone.mac")
    cat.apply(Changes([("R.mac", 5, text_digest(["x"]))], [], {"R.mac": [("R.int", ("a",))]}))
    first = cat.generated("R.int")
    assert first is not None and cat.is_current("R.mac", 5, text_digest(["x"]))
    assert not cat.is_current("R.mac", 5, text_digest(["y"])) and not cat.is_current("R.mac", 6)
    cat.apply(Changes(generated={"R.mac": [("R.int", ("a",))]}))
    assert cat.generated("R.int").ts == first.ts  # type: ignore[union-attr]
    cat.apply(Changes(generated={"R.mac": [("R.int", ("b",))]}))
    assert cat.generated("R.int").ts > first.ts  # type: ignore[union-attr]
    cat.apply(Changes(generated={"Gone.mac": [("Gone.int", ("z",))]}))
    assert cat.generated("Gone.int") is None and cat.generated_from("Gone.mac") == []
    cat.close()
    again = CompiledCatalog(str(tmp_path / "c.sqlite"))
    assert again.generated("R.int").lines == ["b"]  # type: ignore[union-attr]
    assert again.is_current("R.mac", 5)
    again.close()
