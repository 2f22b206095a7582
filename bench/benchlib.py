"""Shared benchmark plumbing: loopback-only server processes, free ports, timing, reporting."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port that was free on the loopback interface a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def loopback_url(port: int, path: str = "") -> str:
    """A URL on 127.0.0.1; the only place any benchmark sends traffic."""
    return f"http://{LOOPBACK}:{port}{path}"


class LoopbackSession(requests.Session):
    """A keep-alive session that refuses any URL not on 127.0.0.1, and ignores proxies."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # no proxy variables, no .netrc: straight to the loopback socket

    def request(self, method: str, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        if not text.startswith(f"http://{LOOPBACK}:"):
            raise ValueError(f"benchmarks only talk to {LOOPBACK}, not {text!r}")
        return super().request(method, text, *args, **kwargs)


@dataclass
class ServerProcess:
    """A server started by the benchmark: its process, port and log file."""

    name: str
    argv: list[str]
    port: int
    log_path: str
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process in its own session, output to the log file."""
        env = {**os.environ, **self.env}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)

    def wait_ready(self, probe: Callable[[], bool], deadline_s: float = 60.0) -> None:
        """Poll ``probe`` until it is true; fail early when the process dies."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see "
                                   f"{self.log_path}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if probe():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {deadline_s}s; see {self.log_path}:\n"
                           f"{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's log, for error messages."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 25.0) -> None:
        """SIGTERM the process we started; SIGKILL its own process group if it lingers."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group this benchmark created
            proc.wait(5)


@contextlib.contextmanager
def running(server: ServerProcess, probe: Callable[[], bool]) -> Iterator[ServerProcess]:
    """Start a server, wait until it answers, always stop it."""
    server.start()
    try:
        server.wait_ready(probe)
        yield server
    finally:
        server.stop()


def timed(call: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def summary(samples: list[float]) -> dict[str, float]:
    """Median, p10, p90, min, max in milliseconds, and the sample count."""
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {"median_ms": statistics.median(ordered) * 1000, "p10_ms": pct(0.10),
            "p90_ms": pct(0.90), "min_ms": ordered[0] * 1000, "max_ms": ordered[-1] * 1000,
            "n": len(ordered)}


def environment() -> dict[str, Any]:
    """Where the numbers were taken."""
    import jupyter_server

    import atelier_api

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "atelier_api": atelier_api.__version__,
            "jupyter_server": jupyter_server.__version__, "git_commit": _git_commit()}


def _git_commit() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--", "atelier_api"],
                               capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_json(result: dict[str, Any], stem: str) -> str:
    """Write a result under bench/results/ (gitignored); return its path."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    return path


def print_load_note(result: dict[str, Any], advice: str) -> None:
    """A NOTE when the machine's load average (``result["loadavg_start"]`` at the start,
    ``result["environment"]["loadavg"]`` at the end) says other work shared it; ``advice``
    ends the note."""
    load0, load1 = result["loadavg_start"][0], result["environment"]["loadavg"][0]
    cpus = result["environment"]["cpus"] or 1
    if max(load0, load1) > cpus * 0.75:
        print(f"\nNOTE: load average {load0:.1f} -> {load1:.1f} on {cpus} CPUs: other work "
              f"shared this machine; {advice}")
