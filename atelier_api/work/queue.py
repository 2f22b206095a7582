"""The async work queue behind ``/work``: jobs with states, a cancel token, a time limit,
incremental polling and bounded retention.

A job's function receives a ``JobContext``: it appends console lines and result items as it
goes; each poll hands out only what is new since the previous poll. A job is *final* once its
function has returned (or it was cancelled before it started); the poll that sees it final
carries the outcome and drains the job, so a later poll is a 404. Threads start lazily on the
first submit (a ``ThreadPoolExecutor`` spawns them on demand), never when the queue is built.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.contract import CancelToken
from atelier_api.errors import ServiceUnavailable
from atelier_api.work.jobs import JobRegistry

log = logging.getLogger(__name__)
QUEUED, RUNNING, CANCELLING, DONE, FAILED, CANCELLED, TIMEOUT = (
    "queued", "running", "cancelling", "done", "failed", "cancelled", "timeout")
FINAL_STATES = frozenset({DONE, FAILED, CANCELLED, TIMEOUT})
#: Why a job was asked to stop (``WorkJob.stop_reason``).
STOP_CANCEL, STOP_TIME, STOP_SHUTDOWN = "cancelled", "time limit", "shutdown"


@dataclass
class Outcome:
    """How a job ended: the final ``result`` and ``status.errors`` of its last poll."""

    result: Any = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""


class JobContext:
    """What a running job sees: console and result sinks, its cancel token and deadline."""

    def __init__(self, job: WorkJob) -> None:
        self._job = job

    @property
    def job_id(self) -> int:
        """The job's id."""
        return self._job.id

    @property
    def cancel(self) -> CancelToken:
        """The token to check between units of work."""
        return self._job.token

    @property
    def cancelled(self) -> bool:
        """True once cancellation, the time limit or a shutdown asked the job to stop."""
        return self._job.token.cancelled

    @property
    def stop_reason(self) -> str:
        """'' while nobody asked the job to stop, else 'cancelled', 'time limit' or 'shutdown'."""
        return self._job.stop_reason

    def time_left(self) -> float:
        """Seconds until the job's time limit."""
        return max(0.0, self._job.deadline - time.monotonic())

    def console(self, *lines: str) -> None:
        """Append console lines (a poll returns only new ones)."""
        with self._job.lock:
            self._job.console.extend(lines)

    def offer(self, **content: Any) -> None:
        """Hand ``content`` out once, as the next poll's ``result.content``, in place of an
        empty list of items (a unit-test run that waits for a debugger says so)."""
        with self._job.lock:
            self._job.content = dict(content)

    def emit(self, *items: Any) -> None:
        """Append incremental result items (search matches, test results)."""
        with self._job.lock:
            self._job.items.extend(items)


@dataclass
class WorkJob:
    """One queued or running job (mutable fields are guarded by ``lock``)."""

    id: int
    namespace: str
    kind: str
    time_limit: float
    deadline: float = math.inf  # set when the job starts running
    token: CancelToken = field(default_factory=CancelToken)
    state: str = QUEUED
    stop_reason: str = ""
    console: list[str] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    content: dict[str, Any] | None = None  # handed out once (``JobContext.offer``)
    console_sent: int = 0
    items_sent: int = 0
    outcome: Outcome | None = None
    finished_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Poll:
    """What one poll returns: new console lines, new items, and the outcome when final."""

    running: bool
    console: list[str]
    items: list[Any]
    outcome: Outcome | None
    state: str
    kind: str = ""
    content: dict[str, Any] | None = None  # ``JobContext.offer``: instead of no items


Work = Callable[[JobContext], Outcome]


class WorkQueue:
    """Runs jobs on a bounded thread pool and keeps them until drained (or expired)."""

    def __init__(self, registry: JobRegistry | None = None, *, workers: int = 2,
                 retention_seconds: float = 600.0, max_jobs: int = 1000,
                 max_pending: int = 100) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work")
        self._jobs: OrderedDict[int, WorkJob] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._registry = registry
        self._retention = retention_seconds
        self._max_jobs = max_jobs
        self._max_pending = max_pending
        self._closed = False

    def submit(self, namespace: str, kind: str, work: Work, time_limit: float) -> int:
        """Queue a job; returns its id (the bare ``Location`` header value).

        Raises ``ServiceUnavailable`` once the queue is shut down or too many jobs wait.
        """
        with self._lock:
            if self._closed:
                raise ServiceUnavailable("The server is shutting down; no new jobs are accepted")
            self._expire()
            pending = sum(1 for j in self._jobs.values() if not j.done.is_set())
            if pending >= self._max_pending:
                raise ServiceUnavailable(
                    f"Too many jobs are queued or running ({pending}); try again later",
                    headers={"Retry-After": "5"})
            job = WorkJob(next(self._ids), namespace.upper(), kind, time_limit)
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job.id

    def _run(self, job: WorkJob, work: Work) -> None:
        with job.lock:
            if job.done.is_set():  # cancelled (or shut down) while it waited
                return
            job.state = RUNNING
            job.deadline = time.monotonic() + job.time_limit
        row = self._registry.start(job.namespace, f"work:{job.kind}:{job.id}") if (
            self._registry) else None
        try:
            outcome, state = work(JobContext(job)), DONE
        except Exception as exc:  # a failing job is a result, not a crash
            log.exception("job %s (%s) failed", job.id, job.kind)
            text = f"Job {job.id} ({job.kind}) failed: {type(exc).__name__}: {exc}"
            outcome, state = Outcome(None, [work_error(text)], f"ERROR #5002: {text}"), FAILED
        finally:
            if row is not None and self._registry is not None:
                self._registry.finish(row.pid)
        with job.lock:
            if state == DONE and job.stop_reason:
                state = TIMEOUT if job.stop_reason == STOP_TIME else CANCELLED
                outcome = _stopped_outcome(job, outcome)
            self._finish_locked(job, state, outcome)

    @staticmethod
    def _finish_locked(job: WorkJob, state: str, outcome: Outcome) -> None:
        job.state = state
        job.outcome = outcome
        job.finished_at = time.monotonic()
        job.done.set()

    def poll(self, namespace: str, job_id: int, wait: float = 0.0) -> Poll | None:
        """New output of a job; None when unknown or drained. The final poll drains it.

        ``wait``: give a running job up to that many seconds to finish first, so a short job
        is answered in one poll instead of a "still running" and another round trip.
        """
        job = self._get(namespace, job_id)
        if job is None:
            return None
        if wait > 0 and not job.done.is_set():
            job.done.wait(max(0.0, min(wait, job.deadline - time.monotonic())))
        with job.lock:
            self._check_deadline(job)
            return self._take(job)

    def _take(self, job: WorkJob) -> Poll:
        """Hand out what is new (caller holds ``job.lock``); drain the job when it is final."""
        console = job.console[job.console_sent :]
        items = job.items[job.items_sent :]
        job.console_sent += len(console)
        job.items_sent += len(items)
        final = job.done.is_set()
        content = None
        if not items and not final and job.content is not None:
            content, job.content = job.content, None
        if final:
            with self._lock:
                self._jobs.pop(job.id, None)
        return Poll(not final, console, items, job.outcome if final else None, job.state,
                    job.kind, content)

    def peek(self, namespace: str, job_id: int) -> Poll | None:
        """A job's state without handing anything out (HEAD); None when unknown."""
        job = self._get(namespace, job_id)
        if job is None:
            return None
        with job.lock:
            return Poll(not job.done.is_set(), [], [], None, job.state, job.kind)

    def _check_deadline(self, job: WorkJob) -> None:
        """Past its time limit: ask the job to stop (its worker finishes it as TIMEOUT)."""
        if job.done.is_set() or time.monotonic() < job.deadline:
            return
        self._stop_locked(job, STOP_TIME)

    def _stop_locked(self, job: WorkJob, reason: str) -> None:
        """Ask a job to stop; a job that has not started ends at once (caller holds its lock)."""
        if job.done.is_set():
            return
        job.stop_reason = job.stop_reason or reason
        job.token.cancel()
        if job.state == QUEUED:
            self._finish_locked(job, CANCELLED, _stopped_outcome(job, None))
        else:
            job.state = CANCELLING

    def cancel(self, namespace: str, job_id: int) -> Poll | None:
        """Ask a job to stop. ``running`` stays true until it has stopped; the call that sees
        it stopped drains it (with the console lines not handed out yet)."""
        job = self._get(namespace, job_id)
        if job is None:
            return None
        with job.lock:
            self._stop_locked(job, STOP_CANCEL)
            return self._take(job)

    def _get(self, namespace: str, job_id: int) -> WorkJob | None:
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
        return job if job is not None and job.namespace == namespace.upper() else None

    def _expire(self) -> None:
        """Drop finished jobs nobody drained within the retention time, and the oldest
        finished ones beyond the job limit (caller holds ``_lock``)."""
        now = time.monotonic()
        for job_id, job in list(self._jobs.items()):
            if job.done.is_set() and now - job.finished_at > self._retention:
                del self._jobs[job_id]
        while len(self._jobs) >= self._max_jobs:
            oldest = next((j for j in self._jobs.values() if j.done.is_set()), None)
            if oldest is None:
                break
            del self._jobs[oldest.id]

    def running(self) -> list[WorkJob]:
        """Jobs not finished yet."""
        with self._lock:
            return [j for j in self._jobs.values() if not j.done.is_set()]

    def shutdown(self, *, cancel: bool = True, timeout: float = 20.0) -> None:
        """Stop accepting jobs; cancel (or let finish) the others and wait for them.

        Every job ends with a clear state: queued ones are cancelled at once, running ones
        stop at their next cancel check (or finish, with ``cancel=False``).
        """
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            with job.lock:
                if cancel or job.state == QUEUED:
                    self._stop_locked(job, STOP_SHUTDOWN)
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.done.wait(max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)


def work_error(text: str, code: int = 5002, error_id: str = "WorkError") -> dict[str, Any]:
    """A ``status.errors`` entry in the IRIS shape."""
    return {"error": f"ERROR #{code}: {text}", "code": code, "domain": "%ObjectErrors",
            "id": error_id, "params": [text]}


_STOP_TEXT = {
    STOP_CANCEL: "was cancelled",
    STOP_TIME: "exceeded its time limit and was stopped",
    STOP_SHUTDOWN: "was cancelled: the server is shutting down",
}


def _stopped_outcome(job: WorkJob, partial: Outcome | None) -> Outcome:
    """The outcome of a stopped job: its own errors when it reported any, else why it stopped."""
    if partial is not None and partial.errors:
        return partial
    text = f"Job {job.id} ({job.kind}) {_STOP_TEXT.get(job.stop_reason, 'was stopped')}"
    return Outcome(partial.result if partial else None, [work_error(text)],
                   f"ERROR #5002: {text}")
