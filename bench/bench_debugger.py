"""What the debugger costs a program that never stops (issue 15, item 6: "a program run under
the debugger with no breakpoint hit may be slower than without, but not by much; code that is
not being debugged pays nothing"), side by side in one run, each printed as a ratio:

(a) in this process, one ObjectScript routine (``BenchDbg``: a FOR loop of ``--iterations``
    iterations, each a ``$PIECE``, a local-array set, an extrinsic call of a procedure in
    another label doing ``$LENGTH`` arithmetic, and every 1,000 iterations a call that walks
    the array with ``$ORDER``; about 5.3 commands per iteration, so about 1,060,000
    commands at the default 200,000) run by a ``Process`` in the normal build (no hook
    calls) against the same routine in the debugger build with a ``Debugger`` attached and
    (a1) no breakpoint, (a2) a line breakpoint in another routine that never runs,
    (a3) a line breakpoint in ``BenchDbg`` itself, in a label that is never called.
    Each ratio is to the normal build;
(b) through a real ``atelier-api serve``: the same routine (a ``.mac`` document compiled with
    ``action/compile``) launched on the debug WebSocket with no breakpoint
    (``feature_set -n debug_target`` ``USER:run^BenchDbg(n)``, timed from sending ``run`` to
    the ``status="stopped"`` answer) against the same call as one Lite Terminal line
    (``do run^BenchDbg(n)``, timed from sending the line to the next prompt), each in a
    fresh session opened before the clock starts (both then fetch the routine from the
    server; its translation comes from the server's translation cache, filled by a
    warm-up); at the full size and at a tenth of it (where the fixed costs of a run show);
(c) "code that is not being debugged pays nothing": the terminal line at the full size in one
    terminal, while another client's debug session is stopped at a breakpoint in another
    routine (``BenchOther``), against the same terminal with no debug session open.

Between contestants the benchmark waits until ``%SYS/jobs`` shows the closed sessions gone,
so no clock runs while the server tears down the previous session.

There is no numeric target: the issue asks for "not much" for (a) and (b), and about 1.0 for
(c). Times are the best of ``--repeat`` runs (rounds interleaved, rotating who goes first);
medians are printed beside them. The result goes to ``bench/results/`` as JSON. The server is
only ever reached on 127.0.0.1.

    .venv/bin/python bench/bench_debugger.py [--iterations 200000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import benchlib
import websocket

from compiler_stub.runtime.debugger import Debugger, Pause
from compiler_stub.runtime.process import BufferDevice, Process

#: the program: ``run(n)`` is the entry both (a) and (b) call
BENCH_ROUTINE = """ROUTINE BenchDbg
BenchDbg ; the debugger benchmark's program (bench/bench_debugger.py)
 do run(1000) quit
run(n) public {
 set s=0,w="alpha,beta,gamma,delta" kill arr
 for i=1:1:n {
   set p=$piece(w,",",i#4+1),arr(i#100)=p
   set s=s+$$work(i,p)
   if i#1000=0 { do tally(.arr,.s) }
 }
 write "s=",s,!
 quit
}
work(i,p) public {
 set v=$length(p)*2
 quit v+(i#3)
}
tally(arr,s) public {
 set k="" for { set k=$order(arr(k)) quit:k=""  set s=s+$length(arr(k)) }
 quit
}
never ; never called: (a3)'s breakpoint is here
 set s=-1
 quit
"""

#: (a2)'s breakpoint routine, and in (c) the program another client stops in
OTHER_ROUTINE = """ROUTINE BenchOther
BenchOther ; stopped in by a debug session in (c) (bench/bench_debugger.py)
main set x=1
 set y=2
 write "never reached while the benchmark runs",!
 quit
"""
#: (c)'s breakpoint: editor line 4 (" set y=2"), sent as line 3 (DBGp: editor line - 1)
OTHER_BREAK_LINE = 3

#: (b)'s runs at a tenth of the size per round (cheap, and noisier: more samples)
TENTH_RUNS = 3

#: stops a run that hangs; never a performance claim
HANG_GUARD = 60.0


def expected_sum(n: int) -> int:
    """What ``run^BenchDbg(n)`` writes after ``s=`` (the check that every contestant ran
    the whole program)."""
    words = ["alpha", "beta", "gamma", "delta"]
    s, arr = 0, {}
    for i in range(1, n + 1):
        p = words[i % 4]
        arr[i % 100] = p
        s += len(p) * 2 + i % 3
        if i % 1000 == 0:
            s += sum(len(v) for v in arr.values())
    return s


def answer_of(output: str) -> int:
    found = re.findall(r"s=(-?\d+)", output)
    if not found:
        raise AssertionError(f"no answer in the program's output: {output!r}")
    return int(found[-1])


# ---------------------------------------------------------------------- (a) in process


def never_stops(pause: Pause) -> str:
    raise AssertionError(f"the benchmark's program stopped at {pause.where} ({pause.reason})")


def in_process_contestants() -> dict[str, Process]:
    """The normal build, and the debugger build under a ``Debugger`` with each breakpoint
    setting of (a)."""
    routines = {"BenchDbg": BENCH_ROUTINE.split("\n"), "BenchOther": OTHER_ROUTINE.split("\n")}
    out: dict[str, Process] = {}
    out["normal"] = Process("USER", None, routines.get, BufferDevice())
    for name in ("no_breakpoint", "breakpoint_other_routine", "breakpoint_same_routine"):
        process = Process("USER", None, routines.get, BufferDevice())
        dbg = Debugger(process, never_stops)
        if name == "breakpoint_other_routine":
            dbg.add_line("BenchOther", "main", 1)
        elif name == "breakpoint_same_routine":
            dbg.add_line("BenchDbg", "never", 1)
        # the debugger build; the engine's hook is installed only while there is a
        # breakpoint (or a step, a pause, a watch) to check
        assert process.debug
        assert process.debug_hook == (None if name == "no_breakpoint" else dbg.hook)
        out[name] = process
    return out


def count_commands(n: int) -> int:
    """Commands one ``run^BenchDbg(n)`` executes: hook calls of the debugger build under a
    hook that only counts."""
    calls = [0]

    def count(*_args: Any) -> None:
        calls[0] += 1

    routines = {"BenchDbg": BENCH_ROUTINE.split("\n")}
    process = Process("USER", None, routines.get, BufferDevice(), debug_hook=count)
    process.execute(f" do run^BenchDbg({n})")
    return calls[0] - 1     # the terminal line's own DO is not part of the program


def run_in_process(process: Process, n: int) -> float:
    device = process.device
    assert isinstance(device, BufferDevice)
    device.take()
    gc.collect()
    started = time.perf_counter()
    process.execute(f" do run^BenchDbg({n})")
    took = time.perf_counter() - started
    out = device.take()
    assert answer_of(out) == expected_sum(n), out
    return took


def in_process(n: int, repeat: int) -> dict[str, Any]:
    contestants = in_process_contestants()
    for process in contestants.values():        # warm-up: translation, first loads
        run_in_process(process, n // 10 or 1)
    times: dict[str, list[float]] = {name: [] for name in contestants}
    names = list(contestants)
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(run_in_process(contestants[name], n))
    return {"iterations": n, "commands": count_commands(n), "times_s": times}


# ---------------------------------------------------------------------- the server's sockets


class DbgpSocket:
    """One debug WebSocket, as the VS Code extension drives it: command lines in binary
    messages, ``<length>|<base64 of XML>`` packets back, read across message boundaries."""

    def __init__(self, url: str, cookie: str) -> None:
        self.ws = websocket.create_connection(url, header=[f"Cookie: {cookie}"],
                                              timeout=HANG_GUARD)
        self.buffer = b""
        self.txid = 0
        self.output: list[str] = []
        init = self.packet()
        assert init.tag == "init", ET.tostring(init)

    def packet(self) -> ET.Element:
        while True:
            bar = self.buffer.find(b"|")
            if bar >= 0:
                size = int(self.buffer[:bar])
                if len(self.buffer) >= bar + 1 + size:
                    data = self.buffer[bar + 1:bar + 1 + size]
                    self.buffer = self.buffer[bar + 1 + size:]
                    return ET.fromstring(base64.b64decode(data).decode("utf-8"))
            message = self.ws.recv()
            self.buffer += message.encode("ascii") if isinstance(message, str) else message

    def send(self, command: str, **flags: Any) -> int:
        self.txid += 1
        parts = [command, "-i", str(self.txid)]
        for flag, value in flags.items():
            parts += [f"-{flag}", str(value)]
        self.ws.send_binary((" ".join(parts) + "\n").encode("ascii"))
        return self.txid

    def reply(self, txid: int) -> ET.Element:
        """The response to ``txid``; stream packets on the way are kept in ``output``."""
        while True:
            packet = self.packet()
            if packet.tag == "stream":
                self.output.append(base64.b64decode(packet.text or "").decode("utf-8"))
            elif packet.tag == "response" and packet.get("transaction_id") == str(txid):
                if len(packet) and packet[0].tag == "error":
                    raise AssertionError(ET.tostring(packet).decode())
                return packet

    def call(self, command: str, **flags: Any) -> ET.Element:
        return self.reply(self.send(command, **flags))

    def launch(self, target: str) -> None:
        """The extension's handshake, then the program to debug."""
        for name, value in (("max_data", 8192), ("max_children", 32), ("max_depth", 2),
                            ("notify_ok", 1), ("step_granularity", "command")):
            self.call("feature_set", n=name, v=value)
        self.call("feature_set", n="debug_target",
                  v_base64=base64.b64encode(target.encode()).decode("ascii"))

    def close(self) -> None:
        self.ws.close()


class Terminal:
    """One Lite Terminal WebSocket (JSON messages) in namespace USER."""

    def __init__(self, url: str, cookie: str) -> None:
        self.ws = websocket.create_connection(url, header=[f"Cookie: {cookie}"],
                                              timeout=HANG_GUARD)
        assert json.loads(self.ws.recv())["type"] == "init"
        self.ws.send(json.dumps({"type": "config", "namespace": "USER", "rawMode": False}))
        self.until_prompt()

    def until_prompt(self) -> str:
        out: list[str] = []
        while True:
            message = json.loads(self.ws.recv())
            if message["type"] == "prompt":
                return "".join(out)
            if message["type"] == "output":
                out.append(message["text"])
            elif message["type"] in ("error", "read"):
                raise AssertionError(f"terminal: {message}")

    def line(self, text: str) -> tuple[float, str]:
        """Seconds from sending ``text`` to the next prompt, and the output."""
        started = time.perf_counter()
        self.ws.send(json.dumps({"type": "prompt", "input": text}))
        out = self.until_prompt()
        return time.perf_counter() - started, out

    def close(self) -> None:
        self.ws.close()


class Server:
    """A real ``atelier-api serve`` on 127.0.0.1 with the benchmark's routines compiled."""

    def __init__(self, port: int, folder: str) -> None:
        base = f"ws://{benchlib.LOOPBACK}:{port}/api/atelier/v8/%25SYS"
        self.debug_url, self.terminal_url = f"{base}/debug", f"{base}/terminal"
        self.port = port
        self.folder = folder
        self.http = benchlib.LoopbackSession()

    def jobs(self, cookie: str) -> int:
        """Rows of ``%SYS/jobs``: the requests being served and the open sessions."""
        answer = self.http.get(benchlib.loopback_url(self.port, "/api/atelier/v8/%25SYS/jobs"),
                               headers={"Cookie": cookie}, timeout=30)
        assert answer.ok, answer.status_code
        return len(answer.json()["result"]["content"])

    def settle(self, cookie: str, idle: int) -> None:
        """Wait until the sessions closed so far are gone (their worker processes have
        exited: ``%SYS/jobs`` is back to ``idle`` rows), so that no contestant's clock runs
        while the server tears down the previous one's session."""
        deadline = time.monotonic() + 30
        while self.jobs(cookie) > idle:
            if time.monotonic() > deadline:
                raise AssertionError("sessions still open 30 s after their sockets closed")
            time.sleep(0.01)

    def login(self) -> str:
        """A session cookie of a client of its own (each client logs in itself)."""
        session = benchlib.LoopbackSession()
        answer = session.head(benchlib.loopback_url(self.port, "/api/atelier/"),
                              auth=("_SYSTEM", "SYS"), timeout=30)
        assert answer.ok, answer.status_code
        return "; ".join(f"{k}={v}" for k, v in session.cookies.items())

    def compile(self, cookie: str, *docs: str) -> None:
        session = benchlib.LoopbackSession()
        done = session.post(benchlib.loopback_url(self.port, "/api/atelier/v8/USER/action/compile"),
                            json=list(docs), headers={"Cookie": cookie}, timeout=120)
        assert done.status_code == 200, done.text
        errors = [line for line in done.json()["console"] if "ERROR" in line.upper()]
        assert not errors, errors

    def debug_run(self, cookie: str, n: int) -> tuple[float, str]:
        """A launch with no breakpoint: seconds from ``run`` to ``status="stopped"``."""
        d = DbgpSocket(self.debug_url, cookie)
        try:
            d.launch(f"USER:run^BenchDbg({n})")
            started = time.perf_counter()
            end = d.call("run")
            took = time.perf_counter() - started
            assert end.get("status") == "stopped", ET.tostring(end)
            return took, "".join(d.output)
        finally:
            d.close()

    def terminal_run(self, cookie: str, n: int) -> tuple[float, str]:
        """One line in a fresh terminal: seconds from the line to the next prompt."""
        t = Terminal(self.terminal_url, cookie)
        try:
            return t.line(f"do run^BenchDbg({n})")
        finally:
            t.close()

    def stopped_elsewhere(self, cookie: str) -> DbgpSocket:
        """Another client's debug session, stopped at a breakpoint in ``BenchOther``."""
        d = DbgpSocket(self.debug_url, cookie)
        d.launch("USER:main^BenchOther")
        d.call("breakpoint_set", t="line", s="enabled", f="dbgp://|USER|BenchOther.mac",
               n=OTHER_BREAK_LINE)
        stop = d.call("run")
        assert stop.get("status") == "break", ET.tostring(stop)
        return d


def checked(n: int, run: Callable[[], tuple[float, str]]) -> float:
    took, output = run()
    assert answer_of(output) == expected_sum(n), output
    return took


def through_server(n: int, repeat: int, folder: str) -> dict[str, Any]:
    ws = Path(folder, "ws")
    ws.mkdir()
    (ws / "BenchDbg.mac").write_text(BENCH_ROUTINE, encoding="utf-8")
    (ws / "BenchOther.mac").write_text(OTHER_ROUTINE, encoding="utf-8")
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(folder, "state"),
            "--namespace", f"USER={ws}", "--log-level", "warning"]
    process = benchlib.ServerProcess("atelier-api", argv, port, os.path.join(folder, "log"))
    probe_session = benchlib.LoopbackSession()

    def probe() -> bool:
        try:
            return probe_session.get(benchlib.loopback_url(port, "/readyz"), timeout=2).ok
        except OSError:
            return False

    small = max(1, n // 10)
    b: dict[str, dict[str, list[float]]] = {
        size: {"terminal": [], "debugger": []} for size in ("full", "tenth")}
    c: dict[str, list[float]] = {"alone": [], "other_stopped": []}
    with benchlib.running(process, probe):
        server = Server(port, folder)
        me, other = server.login(), server.login()
        server.compile(me, "BenchDbg.mac", "BenchOther.mac")
        idle = server.jobs(me)      # no session open: the jobs request itself
        # warm-up: each build translated once (the translation cache keeps it for the
        # sessions after), a debug session stopped and let go
        checked(small, lambda: server.terminal_run(me, small))
        checked(small, lambda: server.debug_run(me, small))
        server.stopped_elsewhere(other).close()
        server.settle(me, idle)
        # (b): both contestants in fresh sessions, interleaved, rotating who goes first
        turn = 0
        for _ in range(repeat):
            for size, m in (("full", n), *(("tenth", small),) * TENTH_RUNS):
                order: list[tuple[str, Callable[[], tuple[float, str]]]] = [
                    ("terminal", partial(server.terminal_run, me, m)),
                    ("debugger", partial(server.debug_run, me, m)),
                ]
                turn += 1
                for name, run in order[turn % 2:] + order[:turn % 2]:
                    b[size][name].append(checked(m, run))
                    server.settle(me, idle)
        # (c): one terminal, with and without another client's stopped debug session
        term = Terminal(server.terminal_url, me)
        try:
            checked(n, lambda: term.line(f"do run^BenchDbg({n})"))
            with_term = server.jobs(me)     # the terminal's socket and session added
            for r in range(repeat):
                for phase in (("alone", "other_stopped") if r % 2 == 0
                              else ("other_stopped", "alone")):
                    held = server.stopped_elsewhere(other) if phase == "other_stopped" \
                        else None
                    try:
                        c[phase].append(checked(n, lambda: term.line(
                            f"do run^BenchDbg({n})")))
                    finally:
                        if held is not None:
                            held.close()
                            server.settle(me, with_term)
        finally:
            term.close()
    return {"full_iterations": n, "tenth_iterations": small, "launch_vs_terminal": b,
            "others_session": c}


# ---------------------------------------------------------------------- report


def row(name: str, samples: list[float], base: list[float] | None) -> dict[str, Any]:
    best, median = min(samples), statistics.median(samples)
    out: dict[str, Any] = {"name": name, "best_s": best, "median_s": median,
                           "samples_s": samples}
    if base is not None:
        out["ratio_best"] = best / min(base)
        out["ratio_median"] = median / statistics.median(base)
    return out


def report(result: dict[str, Any]) -> list[dict[str, Any]]:
    a, s = result["in_process"], result["server"]
    t = a["times_s"]
    rows = [
        row("(a)  normal build", t["normal"], None),
        row("(a1) debugger, no breakpoint", t["no_breakpoint"], t["normal"]),
        row("(a2) debugger, breakpoint in another routine", t["breakpoint_other_routine"],
            t["normal"]),
        row("(a3) debugger, breakpoint in a label never called",
            t["breakpoint_same_routine"], t["normal"]),
    ]
    for size in ("full", "tenth"):
        pair = s["launch_vs_terminal"][size]
        iters = s[f"{size}_iterations"]
        rows.append(row(f"(b)  terminal line, n={iters}", pair["terminal"], None))
        rows.append(row(f"(b)  debug launch, no breakpoint, n={iters}", pair["debugger"],
                        pair["terminal"]))
    c = s["others_session"]
    rows.append(row("(c)  terminal line, no debug session", c["alone"], None))
    rows.append(row("(c)  terminal line, another debug session stopped", c["other_stopped"],
                    c["alone"]))
    return rows


def print_table(rows: list[dict[str, Any]], a: dict[str, Any], s: dict[str, Any]) -> None:
    print(f"program: run^BenchDbg(n), {a['iterations']} iterations = {a['commands']} commands "
          f"in (a) and at (b)'s full size; (b)'s tenth: n={s['tenth_iterations']}")
    width = max(len(r["name"]) for r in rows)
    print(f"\n{'contestant':<{width}}  {'best':>9}  {'median':>9}  {'ratio':>6}  "
          f"{'(medians)':>9}")
    for r in rows:
        ratio = f"{r['ratio_best']:6.2f}" if "ratio_best" in r else f"{'':6}"
        ratio_m = f"{r['ratio_median']:9.2f}" if "ratio_median" in r else f"{'':9}"
        print(f"{r['name']:<{width}}  {r['best_s'] * 1000:7.0f}ms  "
              f"{r['median_s'] * 1000:7.0f}ms  {ratio}  {ratio_m}")
    per = (min(a["times_s"]["no_breakpoint"]) - min(a["times_s"]["normal"])) / a["commands"]
    print(f"\nratio: best to best (the contestant above each group = 1.00); (a1) costs "
          f"{per * 1e9:.0f} ns per command over the normal build")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200_000,
                        help="loop iterations of the program (about 5.3 commands each) in "
                             "(a), (b) and (c); (b) also runs a tenth of it")
    parser.add_argument("--repeat", type=int, default=7,
                        help="runs of each contestant (rounds; (b) at a tenth of the size "
                             f"runs {TENTH_RUNS} times a round); the fastest counts")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server log included)")
    args = parser.parse_args(argv)
    started_load = os.getloadavg()
    result: dict[str, Any] = {"loadavg_start": list(started_load),
                              "iterations": args.iterations, "repeat": args.repeat}
    folder = tempfile.mkdtemp(prefix="bench_debugger-")
    try:
        result["in_process"] = in_process(args.iterations, args.repeat)
        result["server"] = through_server(args.iterations, args.repeat, folder)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    result["environment"] = benchlib.environment()
    result["rows"] = report(result)
    print_table(result["rows"], result["in_process"], result["server"])
    benchlib.print_load_note(result, "rerun on a quiet machine before concluding anything.")
    print(f"\nresult written to {benchlib.write_json(result, 'bench_debugger')}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
