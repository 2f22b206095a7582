"""The ObjectScript runtime against plain Python and SQLite, and the terminal against REST
(issue 13), side by side in one run, each printed as a ratio:

(a) a loop of 1,000,000 iterations doing arithmetic, ``$PIECE`` work and local-array sets,
    with a full ``$ORDER`` walk of the array every 1,000 iterations (1,000,000 ``$ORDER``
    steps in all), against the same algorithm in plain Python (a dict, ``sorted`` for the
    walk) — target at most 3x;
(b) 100,000 ``SET ^G(i)=i`` then a full ``$ORDER`` walk of ``^G`` (written to disk at the
    end, as after a terminal line), against the same keys written and range-read with
    SQLite directly (one transaction, one ordered scan) — target at most 2x;
(c) a terminal round trip of ``write 1`` (the line sent, its output and the next prompt
    received) against a GET of one document on the same server, interleaved — target at
    most 3x;
(d) the time from opening the terminal's WebSocket to its first prompt.

(a) and (b) run the translated code in this process (the same code a session's worker
runs); (c) and (d) talk to a real ``atelier-api serve`` on 127.0.0.1 only.

    .venv/bin/python bench/bench_runtime.py [--rounds 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib
import websocket

from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process

LOOP_OS = """ set s=0,arr="" kill arr
 for i=1:1:1000000 {
   set s=s+(i#7),p=$piece("alpha,beta,gamma,delta",",",i#4+1),arr(i#1000)=p
   if i#1000=0 { set k="" for { set k=$order(arr(k)) quit:k=""  set n=$get(n)+1 } }
 }
 write s," ",n"""


def loop_python() -> str:
    """(a) in plain Python: the same steps, the same answer."""
    s, n = 0, 0
    arr: dict[int, str] = {}
    words = "alpha,beta,gamma,delta"
    for i in range(1, 1_000_001):
        s = s + i % 7
        p = words.split(",")[i % 4]
        arr[i % 1000] = p
        if i % 1000 == 0:
            for _k in sorted(arr):
                n += 1
    return f"{s} {n}"


GLOBALS_OS = """ kill ^G for i=1:1:100000 { set ^G(i)=i }
 set k="",n=0 for { set k=$order(^G(k)) quit:k=""  set n=n+1 }
 write n"""


def globals_sqlite(path: str) -> str:
    """(b) with SQLite directly: the same keys in one transaction, one ordered scan."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS g (k INTEGER PRIMARY KEY, v) WITHOUT ROWID")
    db.execute("BEGIN")
    db.execute("DELETE FROM g")
    db.executemany("INSERT INTO g VALUES (?, ?)", ((i, i) for i in range(1, 100_001)))
    db.execute("COMMIT")
    n = sum(1 for _ in db.execute("SELECT k FROM g ORDER BY k"))
    db.close()
    return str(n)


def run_os(code: str, store: GlobalStore) -> str:
    device = BufferDevice()
    process = Process("USER", store, lambda _name: None, device)
    process.execute(code)
    store.flush()
    return device.out


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds) and the last answer."""
    times, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - started)
    return min(times), answer


def in_process(repeat: int, folder: str) -> dict[str, Any]:
    store = GlobalStore(os.path.join(folder, "globals.sqlite"))
    try:
        t_os, out_os = best(lambda: run_os(LOOP_OS, store), repeat)
        t_py, out_py = best(loop_python, repeat)
        assert out_os == out_py, (out_os, out_py)
        g_os, gout = best(lambda: run_os(GLOBALS_OS, store), repeat)
        g_sql, gsql = best(lambda: globals_sqlite(os.path.join(folder, "raw.sqlite")), repeat)
        assert gout == gsql == "100000", (gout, gsql)
    finally:
        store.close()
    return {"loop": {"objectscript_s": t_os, "python_s": t_py, "ratio": t_os / t_py},
            "globals": {"objectscript_s": g_os, "sqlite_s": g_sql, "ratio": g_os / g_sql}}


def terminal(rounds: int, folder: str) -> dict[str, Any]:
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(folder, "state")]
    server = benchlib.ServerProcess("atelier-api", argv, port, os.path.join(folder, "log"))
    session = benchlib.LoopbackSession()

    def probe() -> bool:
        try:
            return session.get(benchlib.loopback_url(port, "/readyz"), timeout=2).ok
        except OSError:
            return False

    with benchlib.running(server, probe):
        session.head(benchlib.loopback_url(port, "/api/atelier/"), auth=("_SYSTEM", "SYS"))
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        url = f"ws://{benchlib.LOOPBACK}:{port}/api/atelier/v8/%25SYS/terminal"

        def open_terminal() -> websocket.WebSocket:
            ws = websocket.create_connection(url, header=[f"Cookie: {cookie}"], timeout=30)
            ws.recv()  # init
            ws.send(json.dumps({"type": "config", "namespace": "USER", "rawMode": False}))
            assert json.loads(ws.recv())["type"] == "prompt"
            return ws

        opens = []
        for _ in range(max(5, rounds // 20)):
            started = time.perf_counter()
            open_terminal().close()
            opens.append(time.perf_counter() - started)
        ws = open_terminal()
        doc = benchlib.loopback_url(port, "/api/atelier/v8/USER/doc/DemoRoutine.mac")
        term, get = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            ws.send(json.dumps({"type": "prompt", "input": "write 1"}))
            while json.loads(ws.recv())["type"] != "prompt":
                pass
            term.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert session.get(doc, timeout=30).status_code == 200
            get.append(time.perf_counter() - started)
        ws.close()
    tm, gm = statistics.median(term), statistics.median(get)
    return {"round_trip": {"terminal_ms": tm * 1000, "get_ms": gm * 1000, "ratio": tm / gm},
            "first_prompt_ms": {"median": statistics.median(opens) * 1000,
                                "max": max(opens) * 1000}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="terminal/GET round trips")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a) and (b); the "
                        "fastest counts")
    args = parser.parse_args(argv)
    started_load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        result: dict[str, Any] = {"loadavg_start": list(started_load)}
        result.update(in_process(args.repeat, folder))
        result.update(terminal(args.rounds, folder))
    result["environment"] = benchlib.environment()
    loop, glob, trip = result["loop"], result["globals"], result["round_trip"]
    print(f"(a) 1M-iteration loop: ObjectScript {loop['objectscript_s']:.2f} s, Python "
          f"{loop['python_s']:.2f} s: ratio {loop['ratio']:.2f}x (target <= 3x)")
    print(f"(b) 100k global sets + $ORDER walk: {glob['objectscript_s']:.2f} s, SQLite "
          f"{glob['sqlite_s']:.2f} s: ratio {glob['ratio']:.2f}x (target <= 2x)")
    print(f"(c) terminal 'write 1' {trip['terminal_ms']:.2f} ms, GET one document "
          f"{trip['get_ms']:.2f} ms (medians): ratio {trip['ratio']:.2f}x (target <= 3x)")
    print(f"(d) WebSocket open to first prompt: median {result['first_prompt_ms']['median']:.0f}"
          f" ms, max {result['first_prompt_ms']['max']:.0f} ms")
    benchlib.print_load_note(result, "rerun on a quiet machine before concluding anything.")
    print(f"\nresult written to {benchlib.write_json(result, 'bench_runtime')}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
