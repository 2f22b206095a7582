"""The podman / Docker backend: the engine's REST API on its socket, through the Docker SDK
(podman serves the same API: ``podman system service``).

One sandbox is one container named ``atelier-<sandbox id>``, running the configured image
with a read-only root, ``/tmp`` as a tmpfs, every capability dropped, no new privileges, its
CPU and memory limits, and its port published on 127.0.0.1 only (on a port the engine
picks). A preserved start mounts the user's named volume at ``SandboxSpec.state_mount``.
Everything carries the launcher's labels, so a restarted launcher finds it again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from typing import Any

from atelier_api.launcher.backend import (
    LABEL_MANAGED,
    LABEL_SANDBOX,
    LABEL_USER,
    SANDBOX_PORT,
    BackendError,
    BackendUnavailable,
    ImageMissing,
    Observed,
    SandboxSpec,
    Status,
)

log = logging.getLogger(__name__)

#: seconds a stopping sandbox gets after SIGTERM before it is killed
STOP_TIMEOUT = 10


def default_engine_url() -> str:
    """``DOCKER_HOST``, else the first usual engine socket that exists."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    for path in ("/run/podman/podman.sock",
                 os.path.join(runtime, "podman", "podman.sock") if runtime else "",
                 "/var/run/docker.sock"):
        if path and os.path.exists(path):
            return "unix://" + path
    return "unix:///run/podman/podman.sock"


def start_podman_service(folder: str) -> tuple[str, subprocess.Popen[bytes]]:
    """``podman system service`` on a socket under ``folder`` (for a launcher started where
    no engine socket exists yet); returns its URL and process. It ends with the launcher;
    the containers it started do not (podman keeps them)."""
    podman = shutil.which("podman")
    if podman is None:
        raise BackendUnavailable("no engine socket found and no podman to start one: set "
                                 "engine_url, or install podman")
    os.makedirs(folder, exist_ok=True)
    sock = os.path.join(folder, "podman.sock")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sock)
    proc = subprocess.Popen([podman, "system", "service", "--time=0", f"unix://{sock}"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(sock):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise BackendUnavailable("podman system service did not start")
        time.sleep(0.05)
    return "unix://" + sock, proc


def engine_socket_found() -> bool:
    """An engine socket exists where ``default_engine_url`` looks (or DOCKER_HOST is set)."""
    url = default_engine_url()
    return bool(os.environ.get("DOCKER_HOST")) or os.path.exists(url[len("unix://"):])


class EngineBackend:
    """Sandboxes as containers of a podman or Docker engine."""

    def __init__(self, *, instance: str, engine_url: str = "", name: str = "podman") -> None:
        try:
            import docker
        except ImportError:  # pragma: no cover - the launcher extra is not installed
            raise BackendUnavailable("the podman/Docker backend needs the Docker SDK: pip "
                                     "install 'atelier-api[launcher]'") from None
        self.name = name
        self.instance = instance
        self.url = engine_url or default_engine_url()
        self._docker = docker
        # an explicit API version: no round trip (nor failure) before the first call
        self.client = docker.DockerClient(base_url=self.url, timeout=60, version="1.41")

    # -- the interface ------------------------------------------------------------------------
    def ping(self) -> None:
        try:
            self.client.ping()
        except Exception as exc:
            raise self._unavailable(exc) from None

    def create(self, spec: SandboxSpec) -> Observed:
        errors = self._docker.errors
        try:
            self.client.images.get(spec.image)
        except errors.ImageNotFound:
            raise ImageMissing(f"the sandbox image {spec.image} is not in the {self.name} "
                               "engine (build it: see docs/launcher.md)") from None
        except errors.APIError as exc:
            raise BackendError(f"{self.name}: {_explain(exc)}") from None
        except Exception as exc:
            raise self._unavailable(exc) from None
        volume_made = False
        container = None
        try:
            volumes: dict[str, dict[str, str]] = {}
            if spec.state_volume:
                volume_made = self._ensure_volume(spec)
                volumes[spec.state_volume] = {"bind": spec.state_mount, "mode": "rw"}
            for mount in spec.mounts:
                volumes[mount.source] = {"bind": mount.target,
                                         "mode": "ro" if mount.read_only else "rw"}
            options: dict[str, Any] = {
                "name": f"atelier-{spec.sandbox_id}", "detach": True, "environment": spec.env,
                "labels": spec.labels, "ports": {f"{SANDBOX_PORT}/tcp": ("127.0.0.1", None)},
                "read_only": True, "tmpfs": {"/tmp": "rw,size=512m"},
                "cap_drop": ["ALL"], "security_opt": ["no-new-privileges"],
                "volumes": volumes, "stop_signal": "SIGTERM",
            }
            if spec.cpus:
                options["nano_cpus"] = int(spec.cpus * 1e9)
            if spec.memory_bytes:
                options["mem_limit"] = spec.memory_bytes
            container = self.client.containers.create(spec.image, **options)
            container.start()
            container.reload()
            return self._observed(container)
        except Exception as exc:
            self._undo(container, spec, volume_made)
            if isinstance(exc, errors.APIError):
                raise BackendError(f"{self.name} could not start the sandbox: "
                                   f"{_explain(exc)}") from None
            raise self._unavailable(exc) from None

    def observe(self, sandbox_id: str) -> Observed | None:
        errors = self._docker.errors
        try:
            container = self.client.containers.get(f"atelier-{sandbox_id}")
        except errors.NotFound:
            return None
        except Exception as exc:
            raise self._unavailable(exc) from None
        if container.labels.get(LABEL_MANAGED) != self.instance:
            return None
        return self._observed(container)

    def list_owned(self) -> list[Observed]:
        try:
            found = self.client.containers.list(
                all=True, filters={"label": f"{LABEL_MANAGED}={self.instance}"})
        except Exception as exc:
            raise self._unavailable(exc) from None
        return [self._observed(c) for c in found if c.labels.get(LABEL_SANDBOX)]

    def remove(self, sandbox_id: str) -> None:
        errors = self._docker.errors
        try:
            container = self.client.containers.get(f"atelier-{sandbox_id}")
        except errors.NotFound:
            return
        except Exception as exc:
            raise self._unavailable(exc) from None
        if container.labels.get(LABEL_MANAGED) != self.instance:
            return
        try:
            if container.status == "running":
                container.stop(timeout=STOP_TIMEOUT)
            container.remove(force=True, v=False)
        except errors.NotFound:
            return
        except errors.APIError as exc:
            raise BackendError(f"{self.name} could not remove the sandbox: "
                               f"{_explain(exc)}") from None

    def drop_state(self, user: str) -> None:
        errors = self._docker.errors
        try:
            found = self.client.volumes.list(filters={"label": [f"{LABEL_MANAGED}={self.instance}",
                                                               f"{LABEL_USER}={user}"]})
        except Exception as exc:
            raise self._unavailable(exc) from None
        for volume in found:
            if (volume.attrs.get("Labels") or {}).get(LABEL_USER) != user:
                continue
            try:
                volume.remove(force=True)
            except errors.NotFound:
                pass
            except errors.APIError as exc:
                raise BackendError(f"{self.name} could not remove {volume.name}: "
                                   f"{_explain(exc)}") from None

    def close(self) -> None:
        self.client.close()

    # -- helpers ------------------------------------------------------------------------------
    def _ensure_volume(self, spec: SandboxSpec) -> bool:
        """Create the user's state volume unless it exists; True when this call made it."""
        assert spec.state_volume
        try:
            self.client.volumes.get(spec.state_volume)
            return False
        except self._docker.errors.NotFound:
            labels = {LABEL_MANAGED: self.instance, LABEL_USER: spec.user}
            self.client.volumes.create(name=spec.state_volume, labels=labels)
            return True

    def _undo(self, container: Any, spec: SandboxSpec, volume_made: bool) -> None:
        """Remove what a failed ``create`` made (never a volume that was there before)."""
        with contextlib.suppress(Exception):  # nothing there, or the engine is gone
            if container is None:
                container = self.client.containers.get(f"atelier-{spec.sandbox_id}")
            container.remove(force=True)
        if volume_made and spec.state_volume:
            with contextlib.suppress(Exception):
                self.client.volumes.get(spec.state_volume).remove(force=True)

    def _observed(self, container: Any) -> Observed:
        state = container.attrs.get("State") or {}
        status: Status
        if container.status in ("created", "running", "restarting", "paused"):
            status = "running" if container.status == "running" else "starting"
        else:
            status = "exited"
        endpoint = None
        ports = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
        bound = ports.get(f"{SANDBOX_PORT}/tcp") or []
        if status == "running" and bound and bound[0].get("HostPort"):
            endpoint = ("127.0.0.1", int(bound[0]["HostPort"]))
        labels = dict(container.labels or {})
        return Observed(labels.get(LABEL_SANDBOX, ""), labels.get(LABEL_USER, ""), status,
                        endpoint, state.get("ExitCode") if status == "exited" else None,
                        bool(state.get("OOMKilled")), labels)

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        log.warning("container engine at %s: %s", self.url, exc)
        return BackendUnavailable(f"the {self.name} engine at {self.url} cannot be reached "
                                  f"({type(exc).__name__})")


def _explain(exc: Any) -> str:
    """The engine's own message of an API error, without the SDK's wrapping."""
    return str(getattr(exc, "explanation", None) or exc)
