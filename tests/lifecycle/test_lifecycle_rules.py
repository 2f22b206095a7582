"""Lifecycle rules in process: the idle clock, lifetime, draining (a fake clock, no sleeps)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from atelier_api.app import create_app
from atelier_api.operations import Background
from atelier_api.sandbox.lifecycle import Lifecycle, Supervisor
from atelier_api.work.queue import CANCELLED, Outcome, WorkQueue

from .conftest import basic, ns_config, settings_with, wait_for


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_clock_counts_from_the_end_of_the_last_request() -> None:
    clock = Clock()
    lc = Lifecycle(clock)
    clock.now += 50
    assert lc.idle_for() == 50
    lc.begin()
    clock.now += 500  # a long request in flight is activity, not idleness
    assert lc.idle_for() == 0
    lc.end()
    clock.now += 7
    assert lc.idle_for() == 7 and lc.uptime() == 557


@pytest.mark.parametrize(("lifetime", "idle", "advance", "busy", "reason"), [
    (0, 0, 10**6, False, None),
    (60, 0, 59, False, None),
    (60, 0, 60, False, "maximum lifetime of 60 s reached"),
    (60, 0, 60, True, "maximum lifetime of 60 s reached"),  # the lifetime is a hard limit
    (0, 30, 29, False, None),
    (0, 30, 30, False, "idle for 30 s"),
    (0, 30, 3000, True, None),
])
def test_supervisor_rules(tmp_path: Path, lifetime: int, idle: int, advance: int, busy: bool,
                          reason: str | None) -> None:
    clock = Clock()
    lc = Lifecycle(clock)
    if busy:
        lc.begin()
    settings = settings_with(tmp_path, max_lifetime_seconds=lifetime, idle_timeout_seconds=idle)
    sup = Supervisor(settings, lc, stop_process=lambda _r: None, alive=lambda: True)
    clock.now += advance
    due = sup.due()
    assert (due is None) if reason is None else (due is not None and due.startswith(reason))


def test_supervisor_signals_once_and_drains(tmp_path: Path) -> None:
    clock = Clock()
    lc = Lifecycle(clock)
    stops: list[str] = []
    settings = settings_with(tmp_path, idle_timeout_seconds=5)
    sup = Supervisor(settings, lc, stop_process=stops.append, alive=lambda: True)
    sup.start()
    try:
        clock.now += 5
        wait_for(lambda: stops, 30, "the supervisor to stop the process")
        assert lc.draining.is_set() and lc.reason.startswith("idle for 5 s")
        assert len(stops) == 1
    finally:
        sup.stop()


def test_supervisor_notices_an_outside_sigterm(tmp_path: Path) -> None:
    lc = Lifecycle()
    alive = threading.Event()
    alive.set()
    stops: list[str] = []
    sup = Supervisor(settings_with(tmp_path), lc, stop_process=stops.append,
                     alive=alive.is_set)
    sup.start()
    try:
        alive.clear()  # what gunicorn's SIGTERM handler does to worker.alive
        wait_for(lc.draining.is_set, 30, "draining")
        assert lc.reason == "SIGTERM received" and stops == []
    finally:
        sup.stop()


def test_drain_runs_every_hook_once() -> None:
    lc = Lifecycle()
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    lc.on_shutdown("broken", broken)
    lc.on_shutdown("websockets", lambda: calls.append("websockets"))
    assert lc.drain("test") is True
    assert lc.drain("again") is False
    assert calls == ["broken", "websockets"] and lc.reason == "test"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = create_app(settings_with(tmp_path / "state", ns_config(source="empty")))
    yield application
    application.extensions["atelier"].close()


def test_api_requests_keep_the_sandbox_busy(app: Flask) -> None:
    clock = Clock()
    svc = app.extensions["atelier"]
    svc.lifecycle = lc = Lifecycle(clock)
    clock.now += 100
    client = app.test_client()
    assert client.get("/api/atelier/", headers=basic()).status_code == 200
    assert lc.idle_for() == 0
    clock.now += 10
    for path in ("/healthz", "/readyz", "/operator/status", "/docs"):
        client.get(path, headers=basic())  # probes, operators and docs are no API activity
    assert lc.idle_for() == 10
    client.get("/api/atelier/v1/USER/docnames", headers={})  # even a 401 is activity
    assert lc.idle_for() == 0


def test_shutdown_cancels_running_jobs_with_a_clear_status(app: Flask) -> None:
    svc = app.extensions["atelier"]
    queue = WorkQueue(svc.jobs, workers=1)
    svc.work = queue  # as the /work service will hang it on Services
    started = threading.Event()

    def slow(ctx):  # type: ignore[no-untyped-def]
        started.set()
        while not ctx.cancelled:
            time.sleep(0.01)  # a unit of work
        return Outcome({"done": False})

    job = queue.submit("USER", "compile", slow, time_limit=600)
    queued = queue.submit("USER", "compile", slow, time_limit=600)
    wait_for(started.is_set, 30, "the job to start")
    background = Background(svc, stop_process=lambda _r: None, alive=lambda: True)
    background.stop()  # what the worker's exit hook runs
    assert app.test_client().get("/readyz").status_code == 503  # traffic goes elsewhere
    for job_id in (job, queued):
        poll = queue.poll("USER", job_id)
        assert poll is not None and poll.state == CANCELLED
        assert "was cancelled" in poll.outcome.summary
