"""A real ``python -m atelier_api serve --port 0`` process becomes ready and answers the probes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

LISTENING = re.compile(rb"Listening at: http://127\.0\.0\.1:(\d+)")
DOCS = 300


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_for_port(proc: subprocess.Popen[bytes], deadline: float) -> int:
    assert proc.stderr is not None
    seen = b""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        match = LISTENING.search(line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"server did not report its port:\n{seen.decode(errors='replace')}")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[int]:
    workspace = tmp_path / "ws" / "Bench"
    workspace.mkdir(parents=True)
    for i in range(DOCS):
        (workspace / f"C{i}.cls").write_text(f"Class Bench.C{i}\n{{\n}}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    cmd = [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--threads", "4",
           "--namespace", f"USER={tmp_path / 'ws'}", "--state-dir", str(tmp_path / "state")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        port = _wait_for_port(proc, time.monotonic() + 30)
        # keep reading the log so a full pipe never blocks the server
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()


def test_real_server_becomes_ready(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    assert _get(base + "/healthz") == (200, {"status": "ok"})
    deadline = time.monotonic() + 30
    status, body = _get(base + "/readyz")
    while status != 200 and time.monotonic() < deadline:
        assert status == 503 and body["status"] == "starting", body
        time.sleep(0.05)
        status, body = _get(base + "/readyz")
    assert (status, body) == (200, {"status": "ready", "namespaces": ["%SYS", "USER"]})
