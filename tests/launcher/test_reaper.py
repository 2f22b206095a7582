"""The reaper's retry of a removal the backend refused: a real launcher state over the
``process`` backend (real sandbox processes), in-process, with one removal made to fail the
way an engine's hiccup would (the backend raises ``BackendError`` once)."""

from __future__ import annotations

import time
from pathlib import Path

from atelier_api.launcher.backend import BackendError
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import load_launcher_settings


def _until(check, seconds: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_failed_removal_is_retried_with_its_state_drop(tmp_path: Path) -> None:
    settings = load_launcher_settings(env={}, cli={
        "backend": "process", "state_dir": str(tmp_path), "reap_interval_seconds": 0.2,
        "start_state": "preserved", "relaunch_cooldown_seconds": 0})
    _app, sandboxes = build(settings)
    backend = sandboxes.backend
    real_remove = backend.remove
    refusals = []

    def remove_once_refused(sandbox_id: str) -> None:
        if not refusals:
            refusals.append(sandbox_id)
            raise BackendError("the engine did not answer")
        real_remove(sandbox_id)

    backend.remove = remove_once_refused  # type: ignore[method-assign]
    sandboxes.start()
    try:
        record, created = sandboxes.launch("alice")
        assert created
        assert _until(lambda: sandboxes.get("alice").state == "ready")  # type: ignore[union-attr]
        state = tmp_path / "process" / "state"
        assert [p for p in state.iterdir() if (p / ".atelier-user").exists()]
        sandboxes.discard("alice", drop_state=True)
        # the first removal fails; the reaper's next round removes it, state drop included
        assert _until(lambda: sandboxes.get("alice").state == "gone")  # type: ignore[union-attr]
        assert refusals == [record.sandbox_id]
        assert backend.list_owned() == []
        assert not [p for p in state.iterdir() if (p / ".atelier-user").exists()]
        assert not sandboxes._removing and not sandboxes._in_flight  # nothing left pending
    finally:
        sandboxes.close()
        for seen in backend.list_owned():
            real_remove(seen.sandbox_id)
