"""The Kubernetes backend's Pod, run for real: ``podman kube play`` of the manifest that
``objects_for`` makes, with the project's image.

podman 4.3 creates no usable secret from a ``kind: Secret`` document: it stores the document
as YAML, and ``envFrom: secretRef`` then reads that podman secret as JSON and fails. What it
does read is a podman secret of the Secret's name holding a JSON object of base64 values
(the Secret's ``data``). So the test creates that podman secret from the Secret's
``stringData`` and plays the Pod document alone, unchanged but for ``hostPort`` and
``hostIP`` on its container port (the only way to reach it from the host, published on a
free 127.0.0.1 port). Everything made is removed at the end.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import yaml

from atelier_api.launcher.backend import LABEL_MANAGED, LABEL_SANDBOX, LABEL_USER, SandboxSpec
from atelier_api.launcher.kube import objects_for

from . import engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, deadline_seconds: float = 60) -> None:
    """Until ``url`` answers 200; fails after ``deadline_seconds``."""
    deadline = time.monotonic() + deadline_seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            answer = requests.get(url, timeout=2)
            if answer.status_code == 200:
                return
            last = answer.status_code
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise AssertionError(f"{url} was not ready within {deadline_seconds} s (last: {last})")


def test_the_pod_manifest_runs_under_podman_kube_play(tmp_path: Path) -> None:
    engine.require_engine()
    sandbox_id = "play-" + uuid.uuid4().hex[:8]
    password = uuid.uuid4().hex
    spec = SandboxSpec(
        sandbox_id=sandbox_id, user="kplay", image=engine.IMAGE,
        env={"ATELIER_USERNAME": "kplay", "ATELIER_PASSWORD": password},
        labels={LABEL_MANAGED: "kube-play-test", LABEL_USER: "kplay",
                LABEL_SANDBOX: sandbox_id},
        cpus=1.0, memory_bytes=512 * 1024 * 1024)
    objects = {o["kind"]: o for o in objects_for(spec, namespace="default",
                                                 launcher_selector={"app": "launcher"})}
    secret, pod = objects["Secret"], objects["Pod"]
    name = pod["metadata"]["name"]
    port = free_port()
    (container,) = pod["spec"]["containers"]
    container["ports"][0].update(hostPort=port, hostIP="127.0.0.1")
    data = {key: base64.b64encode(value.encode()).decode()
            for key, value in secret["stringData"].items()}
    (tmp_path / "secret.json").write_text(json.dumps(data), encoding="utf-8")
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump(pod), encoding="utf-8")

    engine.podman("secret", "create", secret["metadata"]["name"], str(tmp_path / "secret.json"))
    started = time.monotonic()
    try:
        engine.podman("kube", "play", str(manifest), timeout=120)
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/readyz")
        ready_after = time.monotonic() - started
        answer = requests.get(f"{base}/api/atelier/", auth=("kplay", password), timeout=10)
        assert answer.status_code == 200, answer.text[:200]
        refused = requests.get(f"{base}/api/atelier/", auth=("kplay", "wrong"), timeout=10)
        assert refused.status_code == 401
        # the hardening of the manifest reached the container
        inspected = json.loads(engine.podman("inspect", f"{name}-{container['name']}").stdout)[0]
        assert inspected["HostConfig"]["ReadonlyRootfs"] is True
        assert inspected["Config"]["User"] == "10001:10001"
        assert inspected["HostConfig"]["Memory"] == 512 * 1024 * 1024
        engine.podman("kube", "down", str(manifest), timeout=120)
        assert engine.podman("pod", "exists", name, check=False).returncode != 0
        print(f"kube play: ready after {ready_after:.1f} s, "
              f"down after {time.monotonic() - started:.1f} s")
    finally:
        engine.podman("pod", "rm", "-f", "--ignore", name, check=False, timeout=120)
        engine.podman("secret", "rm", secret["metadata"]["name"], check=False)
    assert engine.podman("secret", "inspect", name, check=False).returncode != 0
