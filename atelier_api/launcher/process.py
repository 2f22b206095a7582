"""The ``process`` backend: each sandbox is a local ``atelier-api serve`` process on a
loopback port. For development and for a machine without a container engine: there is no
isolation between sandboxes and no CPU or memory limit (``docs/launcher.md`` says so).

Paths of the sandbox's settings under ``/tmp/atelier`` (an ``original`` start) and under
``SandboxSpec.state_mount`` (a ``preserved`` one) become folders under the backend's root:
``<root>/run/<sandbox id>`` (removed with the sandbox) and ``<root>/state/<volume>`` (kept
until ``drop_state``). A record per sandbox (``<root>/run/<id>.json``) lets a restarted
launcher find its processes again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from atelier_api.launcher.backend import (
    LABEL_MANAGED,
    BackendError,
    Observed,
    SandboxSpec,
)

#: where an ``original`` sandbox keeps its state inside a container (a tmpfs)
EPHEMERAL_ROOT = "/tmp/atelier"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class ProcessBackend:
    """Sandboxes as child processes of the launcher (or of an earlier launcher)."""

    name = "process"

    def __init__(self, root: str | Path, *, instance: str) -> None:
        self.root = Path(root)
        self.instance = instance
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(parents=True, exist_ok=True)
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def ping(self) -> None:
        return None

    def create(self, spec: SandboxSpec) -> Observed:
        if spec.mounts:
            raise BackendError("the process backend mounts nothing: a workspace with "
                               "'mount' needs the podman or docker backend")
        run_dir = self.root / "run" / spec.sandbox_id
        run_dir.mkdir(parents=True)
        state = self.root / "state" / spec.state_volume if spec.state_volume else None
        if state is not None:
            state.mkdir(parents=True, exist_ok=True)
            (state / ".atelier-user").write_text(spec.user)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
        for key, value in spec.env.items():
            value = value.replace(EPHEMERAL_ROOT, str(run_dir / "tmp"))
            if state is not None:
                value = value.replace(spec.state_mount, str(state))
            env[key] = value
        port = _free_port()
        env.update(ATELIER_HOST="127.0.0.1", ATELIER_PORT=str(port), ATELIER_WATCH="false")
        env.setdefault("ATELIER_STATE_DIR", str(run_dir / "tmp" / "state"))
        log = (run_dir / "sandbox.log").open("ab")
        try:
            proc = subprocess.Popen([sys.executable, "-m", "atelier_api", "serve"], env=env,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise BackendError(f"cannot start the sandbox process: {exc.strerror}") from None
        finally:
            log.close()
        self.children[spec.sandbox_id] = proc
        record = {"pid": proc.pid, "port": port, "user": spec.user, "labels": spec.labels}
        self._record(spec.sandbox_id).write_text(json.dumps(record))
        return Observed(spec.sandbox_id, spec.user, "running", ("127.0.0.1", port),
                        labels=dict(spec.labels))

    def observe(self, sandbox_id: str) -> Observed | None:
        try:
            record = json.loads(self._record(sandbox_id).read_text())
        except (OSError, ValueError):
            return None
        if record.get("labels", {}).get(LABEL_MANAGED) != self.instance:
            return None
        child = self.children.get(sandbox_id)
        code = child.poll() if child is not None else None
        running = code is None and _alive(int(record["pid"]))
        if running:
            return Observed(sandbox_id, record["user"], "running",
                            ("127.0.0.1", int(record["port"])), labels=record["labels"])
        return Observed(sandbox_id, record["user"], "exited", None, code,
                        labels=record["labels"])

    def list_owned(self) -> list[Observed]:
        found = []
        for path in sorted((self.root / "run").glob("*.json")):
            seen = self.observe(path.stem)
            if seen is not None:
                found.append(seen)
        return found

    def remove(self, sandbox_id: str) -> None:
        try:
            record = json.loads(self._record(sandbox_id).read_text())
        except (OSError, ValueError):
            record = None
        if record is not None and record.get("labels", {}).get(LABEL_MANAGED) == self.instance:
            pid = int(record["pid"])
            child = self.children.pop(sandbox_id, None)
            self._stop(pid, child)
        self._record(sandbox_id).unlink(missing_ok=True)
        shutil.rmtree(self.root / "run" / sandbox_id, ignore_errors=True)

    def drop_state(self, user: str) -> None:
        for path in (self.root / "state").iterdir():
            try:
                owner = (path / ".atelier-user").read_text()
            except OSError:
                continue
            if owner == user:
                shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        return None

    def _record(self, sandbox_id: str) -> Path:
        return self.root / "run" / f"{sandbox_id}.json"

    @staticmethod
    def _stop(pid: int, child: subprocess.Popen[bytes] | None) -> None:
        """SIGTERM to the process group, then SIGKILL after a bound."""
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if child is not None and child.poll() is not None:
                return
            if child is None and not _alive(pid):
                return
            time.sleep(0.05)
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if child is not None:
            child.wait(5)
