"""Container overhead, side by side: the atelier-api image against its base and a minimal Flask app.

For three images built on the same base (``docker.io/library/python:3.12-slim``):

- ``base``: the plain base image (size; memory of an idle ``python3`` process),
- ``flask``: a hello-world Flask app under gunicorn (one gthread worker, as the product runs),
- ``atelier``: this repository's Dockerfile,

it measures the image size, the time from ``podman run`` to the first successful HTTP answer
(median of interleaved runs; for atelier-api the first ``/readyz`` 200, i.e. loaded and indexed),
and the resident memory (RSS and PSS summed over the container's processes) when idle, and for
atelier-api also after indexing 10,000 documents of a mounted workspace and listing them once.
It prints each figure beside the peers and the ratios against the targets of issue 5:
image <= 1.7x base, ready <= 2x the Flask app's start, idle memory <= 2x the Flask app's.

Runs on the rootful podman set up by ../shared/tools/container-smoke.sh (no registry needed):
    python3 bench/bench_container.py [--runs 7] [--docs 10000] [--no-git-variant] [--keep]
(as root)
Talks only to 127.0.0.1. Writes bench/results/container.json.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT.parent / "shared" / "tools" / "container-smoke.sh"
BASE = "docker.io/library/python:3.12-slim"
PRODUCT = "localhost/atelier-api:bench"
PRODUCT_NOGIT = "localhost/atelier-api:bench-nogit"
FLASK = "localhost/flask-min:bench"
CA = "/etc/ssl/certs/ca-certificates.crt"
PASSWORD = "bench-password"
TARGETS = {"size": 1.7, "start": 2.0, "idle_memory": 2.0}
FLASK_APP = 'from flask import Flask\napp = Flask(__name__)\n\n\n@app.get("/")\ndef hello():\n' \
            '    return {"hello": "world"}\n'
FLASK_DOCKERFILE = """ARG BASE=python:3.12-slim
FROM ${BASE}
RUN python -m pip install --quiet --no-cache-dir flask gunicorn
COPY app.py /app/app.py
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 XDG_RUNTIME_DIR=/tmp
USER 10001:10001
EXPOSE 52773
CMD ["gunicorn", "-k", "gthread", "--threads", "32", "-w", "1", "-b", "0.0.0.0:52773", "app:app"]
"""


@dataclass
class Figures:
    """What was measured for one image."""

    image: str
    size_mb: float = 0.0
    start_s: list[float] = field(default_factory=list)
    idle_rss_mb: float = 0.0
    idle_pss_mb: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def start_median(self) -> float:
        """Median start-to-first-answer time."""
        return statistics.median(self.start_s) if self.start_s else 0.0


# -- podman ------------------------------------------------------------------------------------
def podman_env(work: Path) -> dict[str, str]:
    """The private podman configuration the smoke script writes under WORK."""
    env = dict(os.environ)
    env.update(CONTAINERS_STORAGE_CONF=str(work / "storage.conf"),
               CONTAINERS_CONF=str(work / "containers.conf"), TMPDIR=str(work / "tmp"),
               BUILDAH_FORMAT="docker")
    return env


def podman(env: dict[str, str], *args: str, check: bool = True) -> str:
    """Run podman, return its standard output."""
    proc = subprocess.run(["podman", *args], env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])}: {proc.stderr.strip()[-800:]}")
    return proc.stdout.strip()


def prepare(work: Path) -> dict[str, str]:
    """Make sure podman, its configuration and the stand-in base exist (the smoke script)."""
    env = podman_env(work)
    ready = (work / "storage.conf").exists() and shutil.which("podman")
    if not ready or subprocess.run(["podman", "image", "exists", BASE], env=env).returncode:
        print("setting up podman and the base image with container-smoke.sh ...", flush=True)
        subprocess.run(["bash", str(SMOKE), str(ROOT)], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "WORK": str(work), "PORT": str(free_port()),
                            "URL_PATH": "/healthz"})
    return env


def build(env: dict[str, str], tag: str, context: Path, *build_args: str) -> None:
    """Build an image from a context (the host CA bundle mounted for pip and apt)."""
    args = [a for pair in build_args for a in ("--build-arg", pair)]
    podman(env, "build", "--quiet", "--pull=never", "-v", f"{CA}:{CA}:ro", *args, "-t", tag,
           str(context))


def image_size_mb(env: dict[str, str], tag: str) -> float:
    """The image's uncompressed size in MB (10^6 bytes), as podman reports it."""
    return int(podman(env, "image", "inspect", "--format", "{{.Size}}", tag)) / 1e6


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- HTTP and memory ---------------------------------------------------------------------------
def http_status(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    """The status of a GET on 127.0.0.1, or 0 when nothing answers yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def wait_for(port: int, path: str, started: float, limit: float = 120.0) -> float:
    """Seconds from ``started`` to the first 200 on ``path`` (polling every 10 ms)."""
    while time.monotonic() - started < limit:
        if http_status(port, path) == 200:
            return time.monotonic() - started
        time.sleep(0.01)
    raise TimeoutError(f"no 200 on 127.0.0.1:{port}{path} within {limit} s")


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (host PIDs)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return sorted(set(out))


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB summed over the container's processes, read from the host's /proc."""
    rss = pss = 0
    for proc in process_tree(pid):
        try:
            status = Path(f"/proc/{proc}/status").read_text()
            rollup = Path(f"/proc/{proc}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += _kb(status, "VmRSS:")
        pss += _kb(rollup, "Pss:")
    return rss / 1024, pss / 1024


def _kb(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


# -- one container run ---------------------------------------------------------------------------
def run_once(env: dict[str, str], image: str, path: str, *run_args: str,
             command: tuple[str, ...] = ()) -> tuple[str, int, float]:
    """Start a container published on 127.0.0.1; returns (id, port, seconds to first 200)."""
    port = free_port()
    started = time.monotonic()
    cid = podman(env, "run", "-d", "--no-healthcheck", "-p", f"127.0.0.1:{port}:52773",
                 *run_args, image, *command)
    try:
        return cid, port, wait_for(port, path, started)
    except TimeoutError:
        print(podman(env, "logs", cid, check=False), file=sys.stderr)
        remove(env, cid)
        raise


def remove(env: dict[str, str], cid: str) -> None:
    """Stop and remove a container."""
    podman(env, "rm", "-f", "-t", "10", cid, check=False)


def settle_and_measure(env: dict[str, str], cid: str, settle: float) -> tuple[float, float]:
    """Let start-up work (watcher, warm-up) finish, then read the container's memory."""
    time.sleep(settle)
    pid = int(podman(env, "inspect", "--format", "{{.State.Pid}}", cid))
    return memory_mb(pid)


def measure_servers(env: dict[str, str], servers: list[tuple[Figures, str]], runs: int,
                    settle: float) -> None:
    """Start times over ``runs`` rounds, the images interleaved so that they share the same
    background load; idle memory from the last round."""
    for i in range(runs):
        for fig, path in servers:
            cid, _port, seconds = run_once(env, fig.image, path)
            fig.start_s.append(round(seconds, 3))
            if i == runs - 1:
                fig.idle_rss_mb, fig.idle_pss_mb = settle_and_measure(env, cid, settle)
            remove(env, cid)


def measure_base(env: dict[str, str], fig: Figures, settle: float) -> None:
    """The base image's idle python3 process."""
    cid = podman(env, "run", "-d", BASE, "python3", "-c", "import time; time.sleep(600)")
    try:
        fig.idle_rss_mb, fig.idle_pss_mb = settle_and_measure(env, cid, settle)
    finally:
        remove(env, cid)


def make_workspace(folder: Path, docs: int) -> None:
    """``docs`` small classes in 100 packages, owned by the image's user."""
    for i in range(docs):
        package = folder / "Bench" / f"P{i // 100:03d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"C{i:05d}.cls").write_text(
            f"Class Bench.P{i // 100:03d}.C{i:05d} Extends %RegisteredObject\n{{\n\n"
            f"Property Name As %String;\n\nMethod Hello() As %String\n{{\n"
            f"  quit \"hello {i}\"\n}}\n\n}}\n")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, 10001, 10001)


def measure_indexed(env: dict[str, str], fig: Figures, docs: int, work: Path,
                    settle: float) -> None:
    """Ready time and memory with ``docs`` documents mounted, after one docnames listing."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ws.", dir=work))
    try:
        make_workspace(folder, docs)
        cid, port, seconds = run_once(env, fig.image, "/readyz", "-v", f"{folder}:/workspace",
                                      "-e", f"ATELIER_PASSWORD={PASSWORD}")
        try:
            auth = base64.b64encode(f"_SYSTEM:{PASSWORD}".encode()).decode()
            listed = time.monotonic()
            status = http_status(port, "/api/atelier/v8/USER/docnames/CLS",
                                 {"Authorization": f"Basic {auth}"})
            listing = time.monotonic() - listed
            if status != 200:
                raise RuntimeError(f"docnames answered {status}")
            rss, pss = settle_and_measure(env, cid, settle)
        finally:
            remove(env, cid)
        fig.extra.update({f"ready_{docs}_docs_s": round(seconds, 3),
                          f"docnames_{docs}_docs_s": round(listing, 3),
                          f"rss_{docs}_docs_mb": round(rss, 1),
                          f"pss_{docs}_docs_mb": round(pss, 1)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- report --------------------------------------------------------------------------------------
def report(base: Figures, flask: Figures, product: Figures, nogit: Figures | None,
           docs: int) -> dict[str, object]:
    """Print the side-by-side table and the ratios against the targets."""
    rows = [("image size (MB)", "size_mb"), ("start to first 200 (s, median)", "start"),
            ("idle RSS (MB)", "idle_rss_mb"), ("idle PSS (MB)", "idle_pss_mb")]
    figs = [base, flask, product] + ([nogit] if nogit else [])
    names = ["base", "flask-min", "atelier-api"] + (["atelier (no git)"] if nogit else [])
    print(f"\n{'':34}" + "".join(f"{n:>18}" for n in names))
    for label, attr in rows:
        cells = []
        for fig in figs:
            value = fig.start_median if attr == "start" else getattr(fig, attr)
            cells.append(f"{value:18.3f}" if attr == "start" else f"{value:18.1f}")
        if attr == "start":
            cells[0] = f"{'-':>18}"
        print(f"{label:34}" + "".join(cells))
    spread = "".join(f"{min(f.start_s):8.3f}-{max(f.start_s):<9.3f}" if f.start_s else f"{'-':>18}"
                     for f in figs)
    print(f"{'start spread (s, min-max)':34}{spread}")
    for key, value in product.extra.items():
        print(f"{'atelier-api ' + key:52}{value:>18}")
    ratios = {"size": product.size_mb / base.size_mb,
              "start": product.start_median / flask.start_median,
              "idle_memory": product.idle_rss_mb / flask.idle_rss_mb}
    print("\nratio vs target (atelier-api / peer):")
    verdicts = {}
    for key, ratio in ratios.items():
        peer = "base" if key == "size" else "flask-min"
        ok = ratio <= TARGETS[key]
        verdicts[key] = ok
        print(f"  {key:12} {ratio:5.2f}x {peer:10} target <= {TARGETS[key]}x  "
              f"{'MET' if ok else 'MISSED'}")
    if nogit:
        print(f"  {'size (no git)':12} {nogit.size_mb / base.size_mb:5.2f}x base")
    print(f"  pss ratio    {product.idle_pss_mb / flask.idle_pss_mb:5.2f}x flask-min (context)")
    return {"figures": {n: {**asdict(f), "start_median": f.start_median}
                        for n, f in zip(names, figs, strict=True)},
            "ratios": ratios, "targets": TARGETS, "met": verdicts, "docs": docs}


def main() -> int:
    """Build the three images, measure, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="start-up runs per image")
    parser.add_argument("--docs", type=int, default=10_000, help="documents for the indexed run")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before reading memory")
    parser.add_argument("--no-git-variant", action="store_true",
                        help="also build and measure the image with WITH_GIT=0")
    parser.add_argument("--keep", action="store_true", help="keep the images afterwards")
    args = parser.parse_args()
    work = Path(os.environ.get("WORK", "/tmp/ctr-smoke"))
    env = prepare(work)
    tags = [FLASK, PRODUCT] + ([PRODUCT_NOGIT] if args.no_git_variant else [])
    try:
        with tempfile.TemporaryDirectory(dir=work) as ctx:
            Path(ctx, "app.py").write_text(FLASK_APP)
            Path(ctx, "Dockerfile").write_text(FLASK_DOCKERFILE)
            build(env, FLASK, Path(ctx))
        build(env, PRODUCT, ROOT)
        if args.no_git_variant:
            build(env, PRODUCT_NOGIT, ROOT, "WITH_GIT=0")
        base, flask, product = Figures(BASE), Figures(FLASK), Figures(PRODUCT)
        nogit = Figures(PRODUCT_NOGIT) if args.no_git_variant else None
        for fig in (base, flask, product) + ((nogit,) if nogit else ()):
            fig.size_mb = image_size_mb(env, fig.image)
        measure_base(env, base, args.settle)
        servers = [(flask, "/"), (product, "/readyz")] + ([(nogit, "/readyz")] if nogit else [])
        measure_servers(env, servers, args.runs, args.settle)
        measure_indexed(env, product, args.docs, work, args.settle)
        result = report(base, flask, product, nogit, args.docs)
    finally:
        if not args.keep:
            for tag in tags:
                podman(env, "rmi", "-f", tag, check=False)
            podman(env, "image", "prune", "-f", check=False)  # untagged builder stages
    out = ROOT / "bench" / "results" / "container.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
