"""The real container engine for the launcher's tests: rootful podman with the private
configuration and storage that ``.ci/container-check`` builds the image into.

``.ci/run`` keeps that image (``localhost/ci-smoke-app:latest``) for the test suite. Without
it (or without podman) the engine tests skip on a developer's machine and fail under CI,
where a skip would hide a missing install step.

Settings (environment): ``ATELIER_TEST_PODMAN_WORK`` (default ``/tmp/ctr-smoke``, the
folder holding ``storage.conf`` and ``containers.conf``), ``ATELIER_TEST_IMAGE`` (default
``localhost/ci-smoke-app:latest``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

WORK = Path(os.environ.get("ATELIER_TEST_PODMAN_WORK", "/tmp/ctr-smoke"))
IMAGE = os.environ.get("ATELIER_TEST_IMAGE", "localhost/ci-smoke-app:latest")


def podman_env() -> dict[str, str]:
    """The environment under which podman sees the CI image (private config and storage)."""
    env = dict(os.environ)
    env.update(CONTAINERS_STORAGE_CONF=str(WORK / "storage.conf"),
               CONTAINERS_CONF=str(WORK / "containers.conf"), TMPDIR=str(WORK / "tmp"))
    return env


def podman(*args: str, check: bool = True,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the podman CLI under ``podman_env``."""
    return subprocess.run(["podman", *args], env=podman_env(), capture_output=True, text=True,
                          timeout=timeout, check=check)


def why_unavailable() -> str | None:
    """None when podman and the image are here, else the reason."""
    if shutil.which("podman") is None:
        return "podman is not installed"
    if not (WORK / "storage.conf").is_file():
        return f"no podman configuration under {WORK} (run .ci/container-check with KEEP=1)"
    done = podman("image", "exists", IMAGE, check=False)
    if done.returncode != 0:
        return f"the image {IMAGE} is not in {WORK} (run .ci/container-check with KEEP=1)"
    return None


def require_engine() -> None:
    """Skip (or, under CI, fail) when the engine or the image is missing."""
    reason = why_unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the container engine tests need podman and the image: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def podman_socket(folder: Path) -> Iterator[str]:
    """``podman system service`` on a socket of its own under ``folder``; yields its
    ``unix://`` URL (the Docker-compatible REST API the launcher's engine backend uses)."""
    sock = folder / "podman.sock"
    proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"],
                            env=podman_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("podman system service did not create its socket")
            time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
