"""Slow-client benchmark: a GET of one document under attack vs the same GET on an idle server.

One run, real servers on 127.0.0.1 (see README.md):

  python bench/bench_slowclients.py [--requests 200] [--loris 200] [--queries 8]

The attack runs in a separate process, so that it never shares the measuring client's GIL:

- slow-loris: ``--loris`` connections that each send a request line, then one more header
  byte every ``--interval`` seconds (2 s), never ending the head. A connection the server
  closed is opened again at the next tick, as slowloris tools do.
- endless SQL: ``--queries`` connections that each POST action/query with
  ``WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c``
  and wait. When the server answers one (its SQL time limit), the same query is sent again
  on a new connection, so that this many are always open.

Phases on one server with the default settings, in this order (endless queries cannot be
taken back on a server without SQL time limits, so they come last):

- idle:       GET /doc/<class> on the idle server (after a warm-up);
- loris:      the same GET while the slow-loris connections are held;
- loris+sql:  the same GET while the slow-loris connections and the queries are held
              (the target: at most 2x idle);
- idle again: when the server stopped every query at its time limit once the attack ended,
              the GET on the idle server once more (pooled with the first idle phase).

Then, as context, a second server with ``max_connections_per_client`` above the number of
slow-loris connections, so that all of them stay open at once (idle, then loris). Exit status
1 when the target is missed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import multiprocessing
import multiprocessing.synchronize
import os
import platform
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import benchlib
import requests
from benchlib import LoopbackSession, ServerProcess, loopback_url, running

NAMESPACE = "USER"
USER, PASSWORD = "_SYSTEM", "SYS"
DOC = "Bench.Slow.Target.cls"
DOC_PATH = f"/api/atelier/v8/{NAMESPACE}/doc/{DOC}"
TARGET = 2.0  # loaded GET median / idle GET median, lower is better
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
SETTLE = 1.0  # seconds after the attack is in place before measuring (queries running)


def target_class() -> str:
    """The measured document: a class of about 100 lines."""
    lines = ["/// The document the slow-client benchmark reads.",
             "Class Bench.Slow.Target Extends %Persistent", "{", ""]
    for i in range(12):
        lines += [f"Property P{i:02d} As %String(MAXLEN = {50 + i});", ""]
    for i in range(8):
        lines += [f"Method M{i}(x As %Integer) As %Integer", "{",
                  f"    set y = x * {i + 1}", "    if y > 100 { set y = y - 100 }",
                  "    quit y", "}", ""]
    return "\n".join(lines + ["}", ""])


def server(root: str, work: str, name: str, env: dict[str, str]) -> ServerProcess:
    """A server on the namespace, default settings but ``env``, its own state dir."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(work, f"state-{name}"),
            "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess(f"atelier-api ({name})", argv, port,
                         os.path.join(work, f"atelier-{name}.log"), env=env)


def probe(port: int) -> Any:
    """Ready when /readyz answers 200 (start-up indexing done)."""
    return lambda: LoopbackSession().get(loopback_url(port, "/readyz"), timeout=2).ok


def login(port: int) -> LoopbackSession:
    """HEAD /api/atelier/ with Basic auth once; the session cookie alone afterwards."""
    session = LoopbackSession()
    session.head(loopback_url(port, "/api/atelier/"), auth=(USER, PASSWORD)).raise_for_status()
    if not session.cookies:
        raise RuntimeError("atelier-api set no session cookie on login")
    return session


# -- the attack (a separate process) --------------------------------------------------------------
def _basic() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _query_request(cookie: str) -> bytes:
    """The endless query, with the attacker's session cookie (Basic auth without one)."""
    body = json.dumps({"query": ENDLESS, "parameters": []}).encode()
    auth = f"Cookie: {cookie}" if cookie else f"Authorization: {_basic()}"
    head = (f"POST /api/atelier/v1/{NAMESPACE}/action/query HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"{auth}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def _login_cookie(port: int) -> str:
    """Log in once (so the queries do not each make a session): ``name=value``."""
    conn = http.client.HTTPConnection(benchlib.LOOPBACK, port, timeout=30)
    try:
        conn.request("HEAD", "/api/atelier/", headers={"Authorization": _basic()})
        cookie = conn.getresponse().getheader("Set-Cookie") or ""
    finally:
        conn.close()
    return cookie.split(";", 1)[0]


def _status_of(data: bytes) -> str:
    """``503``, ``408``, ``200 <SQL error summary>``, or ``closed`` for no answer."""
    if not data.startswith(b"HTTP/1."):
        return "closed"
    status = data.split(b" ", 2)[1].decode()
    _head, _, body = data.partition(b"\r\n\r\n")
    with contextlib.suppress(ValueError):
        summary = json.loads(body).get("status", {}).get("summary", "")
        if summary:
            return f"{status} {summary[:120]}"
    return status


class Attack:
    """The slow-loris connections and the endless queries, ticking every ``interval``."""

    def __init__(self, port: int, loris: int, queries: int, interval: float) -> None:
        self.port, self.interval = port, interval
        self.loris: list[socket.socket | None] = [None] * loris
        self.queries: list[tuple[socket.socket, bytearray] | None] = [None] * queries
        self.sent_bytes = [0] * loris
        self.stats: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.query_answers: Counter[str] = Counter()
        self.query_seconds: list[float] = []
        self.query_started: list[float] = [0.0] * queries
        self.header = b"X-Slow: " + b"a" * 100_000
        self.cookie = _login_cookie(port) if queries else ""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((benchlib.LOOPBACK, self.port), timeout=10)
        sock.settimeout(None)  # blocking: MSG_DONTWAIT calls never wait
        return sock

    def _gone(self, sock: socket.socket) -> bytes | None:
        """What the server sent before closing (b"" for nothing), None while it is open."""
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT | socket.MSG_PEEK)
        except BlockingIOError:
            return None
        except OSError:
            return b""
        return data

    def tick(self) -> None:
        """Reopen what the server closed, send one more byte on every slow-loris connection,
        collect the answers of queries the server finished."""
        for i, sock in enumerate(self.loris):
            if sock is not None:
                answer = self._gone(sock)
                if answer is not None:
                    self.stats["loris closed by the server"] += 1
                    self.answers[_status_of(answer)] += 1
                    sock.close()
                    sock = None
            if sock is None:
                try:
                    sock = self._connect()
                    sock.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", socket.MSG_DONTWAIT)
                except OSError:
                    self.stats["loris connect failed"] += 1
                    continue
                self.stats["loris connections opened"] += 1
                self.sent_bytes[i] = 0
                self.loris[i] = sock
                continue
            byte = self.header[self.sent_bytes[i] % len(self.header):][:1]
            try:
                sock.send(byte, socket.MSG_DONTWAIT)
                self.sent_bytes[i] += 1
            except OSError:
                pass  # noticed closed at the next tick
        for i, entry in enumerate(self.queries):
            if entry is not None and self._answered(*entry):
                sock, got = entry
                self.query_answers[_status_of(bytes(got))] += 1
                self.query_seconds.append(time.monotonic() - self.query_started[i])
                sock.close()
                entry = None
            if entry is None:
                try:
                    sock = self._connect()
                    sock.sendall(_query_request(self.cookie))
                except OSError:
                    self.stats["query connect failed"] += 1
                    self.queries[i] = None
                    continue
                self.stats["queries sent"] += 1
                self.query_started[i] = time.monotonic()
                entry = (sock, bytearray())
            self.queries[i] = entry

    @staticmethod
    def _answered(sock: socket.socket, got: bytearray) -> bool:
        """Read what the server sent; True once a whole answer is there or it closed."""
        while True:
            try:
                chunk = sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return _complete(got)
            except OSError:
                return True
            if not chunk:
                return True
            got += chunk

    def still_open(self) -> int:
        """Slow-loris connections the server has not closed."""
        return sum(1 for sock in self.loris if sock is not None and self._gone(sock) is None)

    def close(self) -> None:
        for sock in self.loris:
            if sock is not None:
                sock.close()
        for entry in self.queries:
            if entry is not None:
                entry[0].close()


def _complete(data: bytearray) -> bool:
    """A whole Content-Length framed response has arrived."""
    head, sep, body = bytes(data).partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def attack_process(port: int, loris: int, queries: int, interval: float,
                   ready: multiprocessing.synchronize.Event,
                   stop: multiprocessing.synchronize.Event, out: Any) -> None:
    """Run the attack until ``stop``; send its counters back through ``out``."""
    attack = Attack(port, loris, queries, interval)
    try:
        attack.tick()
        ready.set()
        while not stop.wait(interval):
            attack.tick()
        out.send({"stats": dict(attack.stats), "loris_answers": dict(attack.answers),
                  "loris_open_at_end": attack.still_open(),
                  "query_answers": dict(attack.query_answers),
                  "query_seconds_median": statistics.median(attack.query_seconds)
                  if attack.query_seconds else None,
                  "queries_open_at_end": sum(1 for q in attack.queries if q is not None)})
    finally:
        attack.close()


class Attacker:
    """The attack process, started and stopped around a phase."""

    def __init__(self, port: int, loris: int, queries: int, interval: float) -> None:
        self.ready, self.stop = multiprocessing.Event(), multiprocessing.Event()
        self.recv, send = multiprocessing.Pipe(duplex=False)
        self.proc = multiprocessing.Process(
            target=attack_process, args=(port, loris, queries, interval, self.ready,
                                         self.stop, send), daemon=True)

    def __enter__(self) -> Attacker:
        self.proc.start()
        if not self.ready.wait(120):
            raise RuntimeError("the attack did not get in place within 120 s")
        time.sleep(SETTLE)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.result: dict[str, Any] = self.recv.recv() if self.recv.poll(60) else {}
        self.proc.join(30)


# -- measuring ----------------------------------------------------------------------------------
def measure_gets(session: LoopbackSession, base: str, rounds: int,
                 seconds: float = 0.0) -> dict[str, Any]:
    """At least ``rounds`` GETs of the document, for at least ``seconds``; every answer
    checked; connection errors counted (and the GET repeated)."""
    samples: list[float] = []
    errors = 0
    url = base + DOC_PATH
    end = time.monotonic() + seconds
    while len(samples) < rounds or time.monotonic() < end:
        start = time.perf_counter()
        try:
            resp = session.get(url, timeout=60)
        except requests.ConnectionError:
            errors += 1
            if errors > rounds:
                raise
            continue
        elapsed = time.perf_counter() - start
        if resp.status_code != 200 or resp.json()["result"]["name"] != DOC:
            raise RuntimeError(f"GET {DOC} answered {resp.status_code}: {resp.text[:300]}")
        samples.append(elapsed)
    return {**benchlib.summary(samples), "connection_errors": errors, "samples": samples}


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds used so far by the processes of a process group (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # fields[2]: the process group (5th field of stat)
                total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def wait_queries_stopped(pgid: int, limit_s: float) -> bool:
    """After the attack, wait (up to ``limit_s``) until the server uses under a tenth of a CPU
    over a second: it stopped the endless queries (time limit, or their clients gone)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        before = group_cpu_seconds(pgid)
        time.sleep(1.0)
        after = group_cpu_seconds(pgid)
        if before is None or after is None:
            return False
        if after - before < 0.1:
            return True
    return False


def run_server(root: str, work: str, name: str, env: dict[str, str], args: argparse.Namespace,
               with_sql: bool) -> dict[str, Any]:
    """The phases on one server."""
    srv = server(root, work, name, env)
    phases: dict[str, Any] = {}
    attacks: dict[str, Any] = {}
    with running(srv, probe(srv.port)):
        session, base = login(srv.port), loopback_url(srv.port)
        measure_gets(session, base, 20)  # warm-up
        print(f"[{name}] idle ...", flush=True)
        phases["idle"] = measure_gets(session, base, args.requests, args.seconds)
        print(f"[{name}] {args.loris} slow-loris connections ...", flush=True)
        with Attacker(srv.port, args.loris, 0, args.interval) as attack:
            phases["loris"] = measure_gets(session, base, args.requests, args.seconds)
        attacks["loris"] = attack.result
        if with_sql:
            print(f"[{name}] {args.loris} slow-loris connections + {args.queries} endless "
                  "queries ...", flush=True)
            with Attacker(srv.port, args.loris, args.queries, args.interval) as attack:
                phases["loris+sql"] = measure_gets(session, base, args.requests, args.seconds)
            attacks["loris+sql"] = attack.result
            assert srv.proc is not None
            stopped = wait_queries_stopped(srv.proc.pid, args.sql_wait)
            attacks["sql_stopped_by_server"] = stopped
            if stopped:
                print(f"[{name}] idle again (the server stopped the queries) ...", flush=True)
                phases["idle_after"] = measure_gets(session, base, args.requests,
                                                    args.seconds)
    return {"phases": phases, "attacks": attacks, "log_tail": srv.log_tail(10)}


def environment() -> dict[str, Any]:
    """Where the numbers were taken."""
    import atelier_api

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "atelier_api": atelier_api.__version__, "git_commit": benchlib._git_commit()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Write the namespace, run both servers, compute the ratios."""
    work = tempfile.mkdtemp(prefix="atelier-bench-slowclients-")
    root = os.path.join(work, NAMESPACE)
    try:
        load_start = list(os.getloadavg())
        os.makedirs(os.path.join(root, "Bench", "Slow"))
        with open(os.path.join(root, "Bench", "Slow", "Target.cls"), "w",
                  encoding="utf-8") as handle:
            handle.write(target_class())
        default = run_server(root, work, "default", {}, args, with_sql=True)
        wide = run_server(root, work, "all-held", {
            "ATELIER_MAX_CONNECTIONS_PER_CLIENT": str(max(args.loris * 2, 64))}, args,
            with_sql=False)
        phases = default["phases"]
        idle = phases["idle"]["samples"] + phases.get("idle_after", {}).get("samples", [])
        idle_median = statistics.median(idle)
        ratios = {key: phases[key]["median_ms"] / (idle_median * 1000)
                  for key in ("loris", "loris+sql")}
        ratios["all-held loris"] = (wide["phases"]["loris"]["median_ms"]
                                    / wide["phases"]["idle"]["median_ms"])
        for server_result in (default, wide):
            for phase in server_result["phases"].values():
                phase.pop("samples")
        return {"benchmark": "bench_slowclients", "environment": environment(),
                "loadavg_start": load_start, "params": vars(args),
                "idle_median_ms": idle_median * 1000, "default": default, "all_held": wide,
                "ratios": ratios,
                "verdict": {"ratio": ratios["loris+sql"], "target_max_ratio": TARGET,
                            "pass": ratios["loris+sql"] <= TARGET}}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def print_report(result: dict[str, Any]) -> None:
    """The ratios against the target, with what the attack saw."""
    p, v = result["params"], result["verdict"]
    d, w = result["default"], result["all_held"]
    print(f"\nGET {DOC_PATH} (a class of about 100 lines) on one server, GETs one after the "
          f"other for {p['seconds']:g} s (at least {p['requests']}) per phase, keep-alive "
          f"requests.Session; the attack in its own process: "
          f"{p['loris']} slow-loris connections (a header byte every {p['interval']:g} s, "
          f"reopened when closed) and {p['queries']} endless WITH RECURSIVE queries.\n")
    print(f"{'phase':<28}{'GETs':>7}{'median ms':>10}{'p90 ms':>9}{'ratio':>8}{'target':>9}"
          "  result")
    idle_ms, idle_n = result["idle_median_ms"], sum(
        ph["n"] for key, ph in d["phases"].items() if key.startswith("idle"))
    print(f"{'idle (default settings)':<28}{idle_n:>7}{idle_ms:>10.2f}"
          f"{d['phases']['idle']['p90_ms']:>9.2f}{1.0:>8.2f}")
    for key, label in (("loris", f"{p['loris']} slow-loris"),
                       ("loris+sql", "slow-loris + endless SQL")):
        ph = d["phases"][key]
        mark = (f"{'<= ' + format(TARGET, 'g'):>9}  {'PASS' if v['pass'] else 'FAIL'}"
                if key == "loris+sql" else "")
        print(f"{label:<28}{ph['n']:>7}{ph['median_ms']:>10.2f}{ph['p90_ms']:>9.2f}"
              f"{result['ratios'][key]:>8.2f}{mark}")
    wl = w["phases"]["loris"]
    print(f"{'all held: slow-loris':<28}{wl['n']:>7}{wl['median_ms']:>10.2f}{wl['p90_ms']:>9.2f}"
          f"{result['ratios']['all-held loris']:>8.2f}   (context: vs that server's idle "
          f"{w['phases']['idle']['median_ms']:.2f} ms)")
    for label, attack in (("default, slow-loris", d["attacks"].get("loris", {})),
                          ("default, slow-loris + SQL", d["attacks"].get("loris+sql", {})),
                          ("all held, slow-loris", w["attacks"].get("loris", {}))):
        print(f"\n{label}: {attack.get('loris_open_at_end')} slow-loris connections open at "
              f"the end; {json.dumps(attack.get('stats', {}))}; answers to closed ones: "
              f"{json.dumps(attack.get('loris_answers', {}))}")
        if attack.get("query_answers") is not None and label.endswith("SQL"):
            median = attack.get("query_seconds_median")
            print(f"  queries: {attack.get('queries_open_at_end')} open at the end; answered: "
                  f"{json.dumps(attack.get('query_answers'))}"
                  + (f"; median time to the answer {median:.1f} s" if median else ""))
    errors = sum(ph.get("connection_errors", 0) for s in (d, w) for ph in s["phases"].values())
    print(f"\nGET connection errors (retried): {errors}")
    if d["attacks"].get("sql_stopped_by_server"):
        print("The server stopped the endless queries (SQL time limit): the idle median pools "
              "the idle phases before and after the attack.")
    else:
        print("NOTE: the endless queries were still running after the attack ended: this "
              "server has no SQL time limit; the idle median is the phase before the attack.")
    benchlib.print_load_note(result, "rerun on a quiet machine before concluding anything.")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print the table, write bench/results/*.json."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="GETs per phase, at least")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="seconds per phase, at least (longer than the SQL time limit, "
                        "so that queries are stopped and sent again during the phase)")
    parser.add_argument("--loris", type=int, default=200, help="slow-loris connections")
    parser.add_argument("--queries", type=int, default=8, help="endless SQL queries")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between two bytes of a slow-loris connection")
    parser.add_argument("--sql-wait", type=float, default=30.0,
                        help="seconds to wait, after the attack, for the server to stop the "
                        "queries")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.loris < 1 or args.queries < 0 or args.interval <= 0:
        parser.error("--requests and --loris at least 1, --queries at least 0, --interval > 0")
    result = run(args)
    print_report(result)
    print(f"\nresult written to {benchlib.write_json(result, 'bench_slowclients')}")
    return 0 if result["verdict"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
