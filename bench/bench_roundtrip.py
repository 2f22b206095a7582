"""Round-trip benchmark: save and compile one class over HTTP vs a plain GET of it.

One run, one real server on 127.0.0.1, the namespace of bench_compile.py (see README.md):

  python bench/bench_roundtrip.py [--classes 5000] [--requests 50] [--poll-interval 0.005]

- roundtrip: PUT the class with a changed comment line (``If-None-Match`` = the ts of the
             previous save), POST /work {"request": "compile", "documents": [it],
             "flags": "cuk"} (202 + Location), then GET /work/<id> until a response has no
             ``Retry-After``: the compile is done and its result collected.
- get:       GET /doc/<the same class> on the same server, same session.

The class is persistent, four levels down an inheritance chain of generated classes, with
references to other classes and macros from an include file. Exit status 1 when the target is
missed, 2 when the server has no /work endpoint.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import benchlib
from bench_compile import (
    CHAIN,
    INCLUDE,
    ROOT_KINDS,
    class_name,
    generate_namespace,
    write_namespace,
)
from benchlib import LoopbackSession, ServerProcess, loopback_url, running

NAMESPACE = "USER"
USER, PASSWORD = "_SYSTEM", "SYS"
BASE = f"/api/atelier/v8/{NAMESPACE}"
TARGET = 5.0  # round-trip median / GET median, lower is better
FLAGS = "cuk"


class WorkUnavailable(RuntimeError):
    """The server answers POST /work with 404/405: the endpoint is not there."""


def server(root: str, work: str) -> ServerProcess:
    """Our server on the generated namespace, default layout, its own state dir."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(work, "state"),
            "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess("atelier-api", argv, port, os.path.join(work, "atelier.log"))


def probe(port: int) -> Callable[[], bool]:
    """Ready when /readyz answers 200 (start-up indexing done)."""
    return lambda: LoopbackSession().get(loopback_url(port, "/readyz"), timeout=2).ok


def login(port: int) -> LoopbackSession:
    """HEAD /api/atelier/ with Basic auth once; the session cookie alone afterwards."""
    session = LoopbackSession()
    session.head(loopback_url(port, "/api/atelier/"), auth=(USER, PASSWORD)).raise_for_status()
    if not session.cookies:
        raise RuntimeError("atelier-api set no session cookie on login")
    return session


def check(cond: bool, message: str) -> None:
    """Stop the benchmark when a step does not do what it should."""
    if not cond:
        raise RuntimeError(f"sanity check failed: {message}")


@dataclass
class RoundTrip:
    """Save-and-compile of one class, timed step by step; GET of the same class."""

    session: LoopbackSession
    base: str
    doc: str
    poll_interval: float
    marker: str  # the comment line each revision rewrites starts with this
    lines: list[str] = field(default_factory=list)
    ts: str = ""
    revision: int = 0
    steps: dict[str, list[float]] = field(default_factory=lambda: {
        "put": [], "queue": [], "wait": []})
    polls: list[int] = field(default_factory=list)
    compile_s: list[float] = field(default_factory=list)

    def load(self) -> None:
        """The document as the server has it now (after the first compile: with Storage)."""
        resp = self.session.get(f"{self.base}{BASE}/doc/{self.doc}")
        resp.raise_for_status()
        result = resp.json()["result"]
        self.lines, self.ts = list(result["content"]), result["ts"]

    def get(self) -> None:
        """A plain GET of the document, body read."""
        resp = self.session.get(f"{self.base}{BASE}/doc/{self.doc}")
        resp.raise_for_status()
        _ = resp.content

    def compile(self) -> list[str]:
        """POST /work, then poll until done; return the console of the final poll."""
        start = time.perf_counter()
        resp = self.session.post(f"{self.base}{BASE}/work", json={
            "request": "compile", "documents": [self.doc], "flags": FLAGS})
        if resp.status_code in (404, 405):
            raise WorkUnavailable(f"POST {BASE}/work answered {resp.status_code}")
        check(resp.status_code == 202, f"POST /work answered {resp.status_code}: {resp.text}")
        job = resp.headers["Location"]
        queued = time.perf_counter()
        console, polls = [], 0
        while True:
            polls += 1
            poll = self.session.get(f"{self.base}{BASE}/work/{job}")
            poll.raise_for_status()
            body = poll.json()
            console += body["console"]
            if "Retry-After" not in poll.headers:
                break
            time.sleep(self.poll_interval)
        done = time.perf_counter()
        check(not body["status"]["errors"], f"compile failed: {body['status']}")
        self.steps["queue"].append(queued - start)
        self.steps["wait"].append(done - queued)
        self.polls.append(polls)
        return console

    def roundtrip(self) -> None:
        """PUT a new revision (a changed comment line), then compile it via /work."""
        self.revision += 1
        at = next(i for i, x in enumerate(self.lines) if x.startswith(self.marker))
        self.lines[at] = f"{self.marker} (revision {self.revision})"
        start = time.perf_counter()
        resp = self.session.put(f"{self.base}{BASE}/doc/{self.doc}",
                                json={"enc": False, "content": self.lines},
                                headers={"If-None-Match": self.ts})
        resp.raise_for_status()
        self.ts = resp.json()["result"]["ts"]
        self.steps["put"].append(time.perf_counter() - start)
        console = self.compile()
        finished = [x for x in console if x.startswith("Compilation finished successfully in")]
        check(len(finished) == 1, f"no success line in {console}")
        self.compile_s.append(float(finished[0].rsplit(" ", 1)[1].rstrip("s.")))
        if self.doc.endswith(".cls"):
            check(any(x == f"Compiling class {self.doc[:-4]}" for x in console),
                  f"the class was not compiled: {console}")


def pick_class(count: int) -> str:
    """A persistent class four levels down its chain, in the middle of the namespace."""
    for i in range(count // 2, count):
        if ROOT_KINDS[(i // CHAIN) % len(ROOT_KINDS)] == "persistent" and i % CHAIN == CHAIN - 1:
            return f"{class_name(i)}.cls"
    raise RuntimeError("no persistent class of depth 4")


def measure(calls: dict[str, Callable[[], None]], rounds: int, warmup: int
            ) -> dict[str, list[float]]:
    """Interleave the contestants round by round, rotating who goes first."""
    names = list(calls)
    for _ in range(warmup):
        for name in names:
            calls[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(benchlib.timed(calls[name]))
    return samples


def generate(root: str, count: int) -> None:
    """The namespace of bench_compile.py, dated yesterday (a checkout), synced to disk."""
    write_namespace(root, generate_namespace(count))
    stamp = time.time_ns() - 86_400 * 10**9
    for folder, _dirs, files in os.walk(root):
        for file in files:
            os.utime(os.path.join(folder, file), ns=(stamp, stamp))
    os.sync()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, start the server, warm up, measure, verify, stop."""
    work = tempfile.mkdtemp(prefix="atelier-bench-roundtrip-")
    root = os.path.join(work, "USER")
    try:
        load_start = list(os.getloadavg())
        generate(root, args.classes)
        doc = pick_class(args.classes)
        srv = server(root, work)
        with running(srv, probe(srv.port)):
            session, base = login(srv.port), loopback_url(srv.port)
            rt = RoundTrip(session, base, doc, args.poll_interval, "/// Generated class")
            inc = RoundTrip(session, base, f"{INCLUDE}.inc", args.poll_interval, "#; Macros")
            first = rt.compile()  # first compile: generates Storage and writes it back
            rt.load()
            inc.load()
            check(any(x.strip() == "Storage Default" for x in rt.lines), "no Storage written back")
            print(f"{doc}: first compile done ({len(first)} console lines); measuring ...",
                  flush=True)
            calls = {"roundtrip": rt.roundtrip, "get": rt.get, "protocol": inc.roundtrip}
            raw = measure(calls, args.requests, warmup=5)
            for trip in (rt, inc):
                verify_on_disk(root, trip)
        stats = {k: benchlib.summary(v) for k, v in raw.items()}
        ratio = stats["roundtrip"]["median_ms"] / stats["get"]["median_ms"]
        return {"benchmark": "bench_roundtrip", "environment": environment(),
                "loadavg_start": load_start, "params": vars(args), "document": doc,
                "stats": stats, "steps": trip_steps(rt, args.requests),
                "protocol_steps": trip_steps(inc, args.requests),
                "verdict": {"ratio": ratio, "target_max_ratio": TARGET, "pass": ratio <= TARGET}}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def verify_on_disk(root: str, trip: RoundTrip) -> None:
    """The last revision the server accepted is the file on disk, byte for byte."""
    base, _, ext = trip.doc.rpartition(".")
    rel = base.replace(".", "/") + ".cls" if ext == "cls" else trip.doc
    with open(os.path.join(root, rel), encoding="utf-8", newline="") as handle:
        check(handle.read() == "\n".join(trip.lines), f"the last PUT of {trip.doc} is not on disk")


def trip_steps(trip: RoundTrip, rounds: int) -> dict[str, Any]:
    """Medians of the steps of the measured round trips (warm-up dropped)."""
    out: dict[str, Any] = {k: benchlib.summary(v[-rounds:]) for k, v in trip.steps.items()}
    out["polls_median"] = statistics.median(trip.polls[-rounds:])
    out["compile_reported_ms"] = statistics.median(trip.compile_s[-rounds:]) * 1000
    return out


def environment() -> dict[str, Any]:
    """Where the numbers were taken."""
    from bench_compile import environment as env

    return env()


def print_report(result: dict[str, Any]) -> None:
    """The ratio against its target, the steps of the round trip as context."""
    p, s, v = result["params"], result["stats"], result["verdict"]
    print(f"\natelier-api save-and-compile round trip: {result['document']} in a generated "
          f"namespace of {p['classes']} classes (default layout), one server on "
          f"{benchlib.LOOPBACK}, {p['requests']} rounds, contestants interleaved, keep-alive "
          f"requests.Session, polls {p['poll_interval'] * 1000:g} ms apart.\n")
    print(f"  roundtrip  PUT (If-None-Match) + POST {BASE}/work (compile, '{FLAGS}') + "
          "GET work/<id> until no Retry-After")
    print(f"  get        GET {BASE}/doc/<the same class>\n")
    print(f"{'comparison':<20}{'round ms':>10}{'get ms':>9}{'ratio':>8}{'target':>9}  result")
    print(f"{'roundtrip_vs_get':<20}{s['roundtrip']['median_ms']:>10.2f}"
          f"{s['get']['median_ms']:>9.2f}{v['ratio']:>8.2f}{'<= ' + format(TARGET, 'g'):>9}"
          f"  {'PASS' if v['pass'] else 'FAIL'}")
    protocol = s["protocol"]["median_ms"]
    print(f"\nContext: the same round trip on {INCLUDE}.inc (PUT, /work compile, polls; the "
          f"stub compiles an include to nothing) takes {protocol:.2f} ms, "
          f"{protocol / s['get']['median_ms']:.2f}x the GET: the protocol and the server's "
          "own work around any compile.")
    for label, key in (("class", "steps"), ("include", "protocol_steps")):
        st = result[key]
        print(f"Steps, {label} (medians): PUT {st['put']['median_ms']:.2f} ms, POST /work "
              f"{st['queue']['median_ms']:.2f} ms, polling until done {st['wait']['median_ms']:.2f}"
              f" ms ({st['polls_median']:g} polls); compile as the console reports it "
              f"{st['compile_reported_ms']:.1f} ms.")
    print("Each running poll answers 'Retry-After: 1'; a client that waited that second would "
          "spend it on every compile. This client polls again after --poll-interval.")
    benchlib.print_load_note(result, "the interleaved ratio holds up better than the times.")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print the table, write bench/results/*.json."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=5000, help="classes to generate")
    parser.add_argument("--requests", type=int, default=50, help="rounds per contestant")
    parser.add_argument("--poll-interval", type=float, default=0.005,
                        help="seconds between two polls of a running job")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.classes < CHAIN * 10 or args.requests < 1 or args.poll_interval < 0:
        parser.error(f"--classes must be at least {CHAIN * 10}, --requests at least 1")
    try:
        result = run(args)
    except WorkUnavailable as exc:
        print(f"\nwork endpoint not available: {exc}. The round trip needs POST/GET "
              f"{BASE}/work; nothing was measured.")
        return 2
    print_report(result)
    print(f"\nresult written to {benchlib.write_json(result, 'bench_roundtrip')}")
    return 0 if result["verdict"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
