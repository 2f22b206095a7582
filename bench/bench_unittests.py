"""Unit tests through ``/work`` against the floor without the harness (issue 14), side by side
in one run, printed as a ratio (target at most 3x) and as tests per second:

- **through /work**: a generated suite of 200 ``%UnitTest.TestCase`` classes x 10 test
  methods x 5 ``$$$AssertEquals`` each, compiled first (as saving them in VS Code does),
  then run with one ``POST /work`` ``unittest`` request and polled every 50 ms (the
  extension's interval) to the last poll, console on;
- **the floor**: the same test methods with their 10,000 assertions, called in a plain loop
  (``%New`` of each class, then each ``Test*`` method) in a new execution session of the
  same adapter, as a ``/work`` run opens one: the assertion methods run, with no manager,
  console, hooks, result rows, ``/work`` or polling. Both sides start with the translation
  cache filled by a first, untimed run (the ``/work`` side's first run is printed too), so
  what differs is the harness. The loop's second call in the same session, with every class
  loaded, is printed too, as the stricter floor (pure execution).

Run: ``.venv/bin/python bench/bench_unittests.py`` (about a minute; loopback only).
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

from atelier_api.adapters.contract import CompileRequest, MappingWorkspace, SourceDoc
from atelier_api.adapters.execution import EventKind, ExecutionRequest
from compiler_stub import StubCompiler

CLASSES, METHODS, ASSERTS = 200, 10, 5


def _expr(i: int, j: int, k: int) -> tuple[str, int]:
    """One assertion's expression and its value."""
    return f"{i}*{j}+{k}", i * j + k


def write_suite(ws: Path) -> list[str]:
    """The test classes, in Bench/T<i>.cls; their names."""
    (ws / "Bench").mkdir(parents=True)
    names = []
    for i in range(1, CLASSES + 1):
        lines = [f"Class Bench.T{i} Extends %UnitTest.TestCase", "{", ""]
        for j in range(1, METHODS + 1):
            lines += [f"Method TestM{j:02d}()", "{"]
            for k in range(1, ASSERTS + 1):
                expr, value = _expr(i, j, k)
                lines.append(f"    do $$$AssertEquals({expr}, {value})")
            lines += ["}", ""]
        lines.append("}")
        (ws / "Bench" / f"T{i}.cls").write_text("\n".join(lines) + "\n")
        names.append(f"Bench.T{i}")
    return names


FLOOR = f"""ROUTINE BenchFloor [Type=INT]
BenchFloor ;
 quit
Run() public {{
 set n=0
 for i=1:1:{CLASSES} {{
   set o=$classmethod("Bench.T"_i,"%New")
   for j=1:1:{METHODS} {{ do $method(o,"TestM"_$select(j<10:"0",1:"")_j) set n=n+1 }}
 }}
 quit n
}}
"""


def compiled_suite(ws: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    """The suite's class texts and their compiled routines, by document name."""
    docs = [SourceDoc(f"{n}.cls", tuple((ws / "Bench" / f"{n[6:]}.cls").read_text()
                                        .rstrip("\n").split("\n")), "") for n in names]
    result = StubCompiler().compile(CompileRequest(tuple(docs), "cuk",
                                                   MappingWorkspace.of(docs)))
    out = {d.name: ("\n".join(d.lines), "1") for d in docs}
    for o in result.outcomes:
        for gen in o.generated:
            out[gen.name] = ("\n".join(gen.lines), "1")
    out["BenchFloor.int"] = (FLOOR, "1")
    return out


def _call(session: Any, entry: str) -> str:
    session.call(entry)
    while True:
        select.select([session.fileno()], [], [], 1.0)
        done = [e for e in session.events() if e.kind in (EventKind.DONE, EventKind.ERROR,
                                                          EventKind.CLOSED)]
        if done:
            assert done[0].kind is EventKind.DONE, done[0]
            return str(done[0].value)


def run_floor(folder: str, names: list[str], repeat: int) -> tuple[float, float, str]:
    """The floor, fastest of ``repeat`` after a first, untimed round that fills the
    translation cache (as the ``/work`` side's first run does for it): (a new session
    calling the plain loop once, from opening it; the loop called again in that session,
    everything loaded; the answer)."""
    docs = compiled_suite(Path(folder) / "ws", names)
    data = os.path.join(folder, "floor", "derived", "USER", "data")
    os.makedirs(data)
    fresh = warm = float("inf")
    answer = ""
    for round_ in range(repeat + 1):
        started = time.perf_counter()
        session = StubCompiler().open_session(ExecutionRequest("USER", docs.get, data))
        try:
            answer = _call(session, "Run^BenchFloor")
            first = time.perf_counter() - started
            again = float("inf")
            for _ in range(2):
                started = time.perf_counter()
                _call(session, "Run^BenchFloor")
                again = min(again, time.perf_counter() - started)
        finally:
            session.close()
        if round_:
            fresh, warm = min(fresh, first), min(warm, again)
    return fresh, warm, answer


def run_work(folder: str, names: list[str], repeat: int) -> dict[str, Any]:
    port = benchlib.free_port()
    ws = Path(folder) / "ws"
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(folder, "state"),
            "--namespace", f"USER={ws}"]
    server = benchlib.ServerProcess("atelier-api", argv, port, os.path.join(folder, "log"))
    session = benchlib.LoopbackSession()
    base = benchlib.loopback_url(port, "/api/atelier/v8/USER")

    def probe() -> bool:
        try:
            return session.get(benchlib.loopback_url(port, "/readyz"), timeout=2).ok
        except OSError:
            return False

    with benchlib.running(server, probe):
        session.head(benchlib.loopback_url(port, "/api/atelier/"), auth=("_SYSTEM", "SYS"))
        started = time.perf_counter()
        compiled = session.post(base + "/action/compile", json=[f"{n}.cls" for n in names],
                                timeout=600)
        assert compiled.status_code == 200 and not compiled.json()["status"]["errors"]
        compile_s = time.perf_counter() - started
        best: dict[str, Any] = {}
        runs = []
        for _ in range(repeat):
            body = {"request": "unittest", "tests": [{"class": n} for n in names],
                    "console": True}
            started = time.perf_counter()
            queued = session.post(base + "/work", json=body, timeout=60)
            assert queued.status_code == 202, queued.text
            job = queued.headers["Location"]
            rows: list[dict[str, Any]] = []
            console = 0
            while True:
                poll = session.get(f"{base}/work/{job}", timeout=60)
                payload = poll.json()
                rows += payload["result"]
                console += len(payload["console"])
                if "Retry-After" not in poll.headers:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            runs.append(elapsed)
            passed = sum(1 for r in rows if r.get("method") and r["status"] == 1)
            assert passed == CLASSES * METHODS, (passed, rows[:3])
            if not best or elapsed < best["seconds"]:
                best = {"seconds": elapsed, "rows": len(rows), "console_lines": console}
    best["compile_seconds"] = compile_s
    best["first_seconds"] = runs[0]  # the translation cache empty: every class translated
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side; the "
                        "fastest counts")
    args = parser.parse_args(argv)
    started_load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        names = write_suite(Path(folder) / "ws")
        floor_s, warm_s, answer = run_floor(folder, names, args.repeat)
        assert answer == str(CLASSES * METHODS), answer
        work = run_work(folder, names, args.repeat)
    tests = CLASSES * METHODS
    result: dict[str, Any] = {
        "loadavg_start": list(started_load),
        "suite": {"classes": CLASSES, "methods": METHODS, "asserts": ASSERTS},
        "work": work, "floor_seconds": floor_s, "ratio": work["seconds"] / floor_s,
        "floor_loaded_seconds": warm_s, "ratio_to_loaded": work["seconds"] / warm_s,
        "tests_per_second": tests / work["seconds"],
        "environment": benchlib.environment()}
    print(f"{CLASSES} classes x {METHODS} tests x {ASSERTS} assertions "
          f"(compiled first in {work['compile_seconds']:.1f} s)")
    print(f"through /work to the last poll: {work['seconds']:.2f} s ({work['rows']} result "
          f"rows, {work['console_lines']} console lines): {result['tests_per_second']:.0f} "
          "tests/s")
    print(f"first run (nothing translated yet, the translation cache empty): "
          f"{work['first_seconds']:.2f} s")
    print(f"the floor (the same test methods and assertions in a plain loop in a new "
          f"session, no harness): {floor_s:.3f} s: ratio {result['ratio']:.2f}x "
          "(target <= 3x)")
    print(f"the same loop again in that session, everything loaded already: {warm_s:.3f} s:"
          " "
          f"ratio {result['ratio_to_loaded']:.2f}x")
    benchlib.print_load_note(result, "rerun on a quiet machine before concluding anything.")
    print(f"\nresult written to {benchlib.write_json(result, 'bench_unittests')}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
