"""The launcher's cost, side by side with the engine used directly (issue 17's targets):

(a) launch: from ``POST /launcher/v1/sandbox`` to the sandbox's ``/readyz`` 200 *through the
    launcher's proxy*, against ``podman run -d -p 127.0.0.1:PORT:52773 ...`` of the same image
    with the same settings followed by the same probe on the published port. Target <= 1.3x.
(b) proxy: a GET of one document through the launcher (``/sandbox/<user>/api/atelier/...``)
    against the same GET sent straight to the sandbox's published port, both on kept-alive
    connections with the session cookie. Target <= 1.5x.

Runs interleaved rounds (launcher, direct, launcher, ...) and prints medians and ratios.
Needs rootful podman and the image of ``.ci/container-check`` (kept with KEEP=1), as the
launcher's tests do (tests/launcher/engine.py):
    python3 bench/bench_launcher.py [--rounds 5] [--gets 400]
Talks only to 127.0.0.1. Writes bench/results/launcher.json.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import LoopbackSession, free_port, write_json  # noqa: E402
from tests.launcher import engine  # noqa: E402
from tests.launcher.harness import LauncherProc, sandbox_auth  # noqa: E402

DOC = ["Class Bench.One Extends %RegisteredObject", "{", "",
       "ClassMethod Hi() As %String", "{", "  quit \"hi\"", "}", "", "}"]
#: a class of a typical size (300 lines, about 11 KB): ten methods with comments
TYPICAL = ["Class Bench.Typical Extends %RegisteredObject", "{", ""]
for _m in range(10):
    TYPICAL += [f"/// Method {_m}: adds the numbers it is given and logs the total.",
                f"ClassMethod Add{_m}(a As %Integer, b As %Integer) As %Integer", "{"]
    TYPICAL += [f"  set total{_i} = a + b + {_i}  // step {_i} of the sum" for _i in range(24)]
    TYPICAL += ["  quit a + b", "}", ""]
TYPICAL += ["}"]


def _wait_ready(session: LoopbackSession, url: str, deadline: float = 120) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if session.get(url, timeout=5).status_code == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} never answered 200")


def direct_launch(image: str) -> tuple[float, str, int]:
    """``podman run`` + probe: (seconds, container id, port)."""
    port = free_port()
    password = secrets.token_urlsafe(18)
    start = time.perf_counter()
    cid = engine.podman(
        "run", "-d", "-p", f"127.0.0.1:{port}:52773", "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--cpus", "1",
        "--memory", str(1 << 30), "-e", "ATELIER_USERNAME=bench",
        "-e", f"ATELIER_PASSWORD={password}", "-e", "ATELIER_STATE_DIR=/tmp/atelier/state",
        "-e", "ATELIER_NAMESPACES=USER=empty:/tmp/atelier/workspace",
        "-e", "ATELIER_LOG_LEVEL=warning", image).stdout.strip()
    _wait_ready(LoopbackSession(), f"http://127.0.0.1:{port}/readyz")
    return time.perf_counter() - start, cid, port


def launcher_launch(launcher: LauncherProc, user: str) -> float:
    """Launch request + probe through the proxy."""
    session = LoopbackSession()
    start = time.perf_counter()
    answer = launcher.launch(user)
    assert answer.status_code == 201, answer.text
    _wait_ready(session, f"{launcher.url}/sandbox/{user}/readyz")
    return time.perf_counter() - start


def gets(session: LoopbackSession, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        answer = session.get(url, timeout=30)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gets", type=int, default=400)
    args = parser.parse_args()
    reason = engine.why_unavailable()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, engine.podman_socket(Path(tmp)) as url:
        instance = f"bench{secrets.token_hex(3)}"
        launcher = LauncherProc(Path(tmp) / "launcher", {
            "backend": "podman", "engine_url": url, "image": engine.IMAGE,
            "instance": instance, "relaunch_max": -1, "max_running": 4,
            "proxy_wait_seconds": 120})
        launcher.start()
        cids: list[str] = []
        try:
            via, direct = [], []
            for i in range(args.rounds):
                via.append(launcher_launch(launcher, "alice"))
                seconds, cid, _ = direct_launch(engine.IMAGE)
                direct.append(seconds)
                cids.append(cid)
                print(f"round {i + 1}: launcher {via[-1]:.2f} s, podman run {seconds:.2f} s")
                if i < args.rounds - 1:
                    launcher.call("DELETE", "/launcher/v1/sandbox", "alice")
                    launcher.wait_state("alice", "gone")
                    engine.podman("rm", "-f", "-t", "2", cid)
                    cids.remove(cid)
            # (b) the same document, through the proxy and straight
            view = launcher.sandbox("alice")
            auth = sandbox_auth(view)
            proxied = LoopbackSession()
            proxied.auth = auth
            base = f"{launcher.url}/sandbox/alice/api/atelier/v8/USER"
            for name, lines in (("Bench.One.cls", DOC), ("Bench.Typical.cls", TYPICAL)):
                put = proxied.put(f"{base}/doc/{name}", json={"enc": False, "content": lines},
                                  timeout=30)
                assert put.status_code in (200, 201), put.text
            port = int(engine.podman("port", f"atelier-{view['id']}", "52773").stdout
                       .strip().rsplit(":", 1)[1])
            straight = LoopbackSession()
            straight.auth = auth
            direct_base = f"http://127.0.0.1:{port}/api/atelier/v8/USER"
            timings: dict[str, tuple[list[float], list[float]]] = {}
            for name in ("Bench.One.cls", "Bench.Typical.cls"):
                gets(proxied, f"{base}/doc/{name}", 50)  # warm both, log both in
                gets(straight, f"{direct_base}/doc/{name}", 50)
                through, plain = [], []
                for _ in range(4):
                    through += gets(proxied, f"{base}/doc/{name}", args.gets // 4)
                    plain += gets(straight, f"{direct_base}/doc/{name}", args.gets // 4)
                timings[name] = (through, plain)
        finally:
            launcher.call("DELETE", "/launcher/v1/sandbox", "alice")
            for cid in cids:
                engine.podman("rm", "-f", "-t", "2", cid, check=False)
            try:
                launcher.wait_state("alice", "gone", timeout=30)
            finally:
                launcher.stop()
                subprocess.run(["true"], check=False)
    med = statistics.median
    launch_ratio = med(via) / med(direct)
    ratios = {name: med(t) / med(p) for name, (t, p) in timings.items()}
    print(f"\n(a) launch to /readyz 200: launcher + proxy {med(via):.2f} s, podman run + probe "
          f"{med(direct):.2f} s (medians of {args.rounds}) -> ratio {launch_ratio:.2f} "
          f"(target <= 1.3)")
    for name, (through, plain) in timings.items():
        print(f"(b) GET {name}: through the proxy {med(through) * 1000:.2f} ms, straight "
              f"{med(plain) * 1000:.2f} ms (medians of {len(plain)}) -> ratio "
              f"{ratios[name]:.2f} (target <= 1.5); added "
              f"{1000 * (med(through) - med(plain)):.2f} ms")
    load1 = os.getloadavg()
    print(f"load average {load0[0]:.1f} -> {load1[0]:.1f} on {os.cpu_count()} CPUs")
    path = write_json({"launch_s": {"launcher": via, "direct": direct},
                       "get_s": {n: {"proxy": t, "direct": p} for n, (t, p) in timings.items()},
                       "ratios": {"launch": launch_ratio, **ratios},
                       "loadavg": [load0[0], load1[0]]}, "launcher")
    print(f"written {path}")
    return 0 if launch_ratio <= 1.3 and max(ratios.values()) <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
