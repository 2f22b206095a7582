"""Search benchmark: our search vs ripgrep on the same generated files, side by side in one run.

Generates N documents (default 20 000: classes of about 100 lines and routines of about 30,
well over a million lines) in a temporary folder, then times, for each query, ripgrep (``rg``,
the Debian package ``ripgrep``) printing every matching line with its number, our server's
synchronous ``GET action/search`` (``max`` big enough for every hit; one real server on
127.0.0.1, started and stopped here) and our search called in-process
(``atelier_api.search.service.search_envelope`` on a watched store, as the endpoint runs it, and its
JSON parsed). The hit counts must agree. Prints the ratios against the target (ours at most
2x ripgrep's time) and writes JSON to bench/results/.

On the same server it also times the folder listing VS Code sends (``POST action/query`` with
``%Library.RoutineMgr_StudioOpenDialog`` and the extension's parameter array) against
``GET docnames`` of the same documents: the root listing (one level: the package folder and
the routines), target at most 1.5x docnames, and the flat listing of every document (context).
The search half skips, saying so, when ``rg`` is not installed; the listing half always runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
from benchlib import LoopbackSession, ServerProcess, loopback_url  # noqa: E402
from docgen import class_text  # noqa: E402

TARGET = 2.0
DIALOG_TARGET = 1.5
DIALOG = "SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"
SPEC = "*.cls,*.inc,*.mac,*.int"
NAMESPACE = "USER"
USER, PASSWORD = "_SYSTEM", "SYS"
MAX_HITS = 1_000_000
#: name -> (query parameters of action/search, ripgrep arguments)
QUERIES: dict[str, tuple[dict[str, str], list[str]]] = {
    "literal_rare": ({"query": "searchtarget", "regex": "0", "case": "0"},
                     ["-i", "-F", "-e", "searchtarget"]),
    "literal_common": ({"query": "set total = total", "regex": "0", "case": "1"},
                       ["-F", "-e", "set total = total"]),
    "regex_rare": ({"query": r".*Search[A-Z]arget\d+.*", "regex": "1"},
                   ["-e", r"Search[A-Z]arget\d+"]),
    "regex_vscode_ci": ({"query": r"(?i).*set\s+sc\s*=.*", "regex": "1"},
                        ["-i", "-e", r"set\s+sc\s*="]),
}


def routine_text(name: str, rng: random.Random, hit: bool) -> str:
    """A routine of about 30 lines; ``hit`` puts the rare needle in it."""
    lines = [f"ROUTINE {name}", f"{name} ; generated routine", " quit", ""]
    for label in range(4):
        lines += [f"Label{label}(a, b) public {{", "    set sc = 1, x = a + b",
                  f"    for i = 1:1:{rng.randint(2, 9)} {{ set x = x * i }}",
                  "    write \"result: \", x, !", "    quit x", "}", ""]
    if hit:
        lines.insert(3, f" // SearchTarget{rng.randint(1, 999)} in a routine")
    return "\n".join(lines)


def generate(root: str, count: int) -> tuple[int, int]:
    """Write ``count`` documents (7 classes for every 3 routines); returns (files, lines)."""
    rng = random.Random(20261125)
    lines = 0
    for i in range(count):
        hit = i % 50 == 7
        if i % 10 < 7:
            name = f"Bench.P{i // 1000:02d}.C{i:05d}"
            text = class_text(name, rng)
            if hit:
                text = text.replace("{\n", f"{{\n// SearchTarget{i} marks this class\n", 1)
            path = os.path.join(root, name + ".cls")
        else:
            name = f"BenchR{i:05d}"
            text = routine_text(name, rng, hit)
            path = os.path.join(root, name + ".mac")
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        lines += text.count("\n") + 1
    return count, lines


def rg_call(rg: str, root: str, args: list[str], threads: int = 0) -> Callable[[], int]:
    """ripgrep printing each matching line with its number; returns the line count."""
    argv = [rg, "-n", "--no-heading", "--no-ignore", "--color", "never", *args]
    if threads:
        argv += ["-j", str(threads)]
    argv.append(root)

    def call() -> int:
        out = subprocess.run(argv, capture_output=True, check=False)
        if out.returncode not in (0, 1):
            raise RuntimeError(out.stderr.decode(errors="replace"))
        return out.stdout.count(b"\n")
    return call


def server_call(session: LoopbackSession, port: int, params: dict[str, str]
                ) -> Callable[[], int]:
    """GET action/search through our server; returns the number of hits."""
    url = loopback_url(port, f"/api/atelier/v8/{NAMESPACE}/action/search")
    query = {"files": "*.cls,*.mac", "max": str(MAX_HITS), **params}

    def call() -> int:
        resp = session.get(url, params=query, timeout=600)
        resp.raise_for_status()
        body = resp.json()
        if body["status"]["summary"]:
            raise RuntimeError(body["status"]["summary"])
        return sum(len(item["matches"]) for item in body["result"])
    return call


def dialog_call(session: LoopbackSession, port: int, flat: bool) -> Callable[[], int]:
    """The extension's folder listing of the root (studioOpenDialogFromURI); returns rows."""
    url = loopback_url(port, f"/api/atelier/v8/{NAMESPACE}/action/query")
    body = {"query": DIALOG,
            "parameters": [SPEC, "1", "1", "0", "1" if flat else "0", "0", "0", "", "0", "1"]}

    def call() -> int:
        resp = session.post(url, json=body, timeout=600)
        resp.raise_for_status()
        env = resp.json()
        if env["status"]["summary"]:
            raise RuntimeError(env["status"]["summary"])
        return len(env["result"]["content"])
    return call


def docnames_call(session: LoopbackSession, port: int) -> Callable[[], int]:
    """GET docnames of the same documents (classes and routines); returns entries."""
    url = loopback_url(port, f"/api/atelier/v8/{NAMESPACE}/docnames/*")

    def call() -> int:
        resp = session.get(url, timeout=600)
        resp.raise_for_status()
        return len(resp.json()["result"]["content"])
    return call


def inprocess_call(store: Any, params: dict[str, str]) -> Callable[[], int]:
    """atelier_api.search.service.search_envelope (what action/search runs) on a store of the same
    folder, the JSON parsed as the client does; returns the hits."""
    import json

    from atelier_api.search.query import SearchQuery
    from atelier_api.search.service import search_envelope

    query = SearchQuery(params["query"], "*.cls,*.mac", regex=params.get("regex") == "1",
                        case=params.get("case") == "1", max_hits=MAX_HITS)

    def call() -> int:
        body = json.loads(search_envelope(store, query, 600.0))
        if body["status"]["summary"]:
            raise RuntimeError(body["status"]["summary"])
        return sum(len(item["matches"]) for item in body["result"])
    return call


def open_store(root: str, work: str) -> Any:
    """Our app's document store of the folder (flat layout), listed once."""
    from atelier_api.app import create_app
    from atelier_api.config import NamespaceConfig, Settings
    from atelier_api.documents.layout import default_webapps
    from atelier_api.sandbox.watcher import Watcher

    ns = NamespaceConfig(NAMESPACE, root, "flat", NAMESPACE, default_webapps(NAMESPACE))
    app = create_app(Settings(state_dir=os.path.join(work, "inproc"), namespaces=(ns,),
                              watch=False))
    store = app.extensions["atelier"].store(NAMESPACE)
    store.list()
    watcher = Watcher({NAMESPACE: store})  # as the server: its search corpus trusts it
    watcher.start()
    return store


def measure(calls: dict[str, Callable[[], int]], rounds: int) -> dict[str, Any]:
    """Median seconds of each call (interleaved rounds, one warm-up) and its hit count."""
    counts = {name: call() for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: {"median_s": statistics.median(s), "min_s": min(s), "hits": counts[name]}
            for name, s in samples.items()}


def server(root: str, work: str) -> ServerProcess:
    """Our server: ``python -m atelier_api serve`` on the folder, flat layout."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(work, "state"), "--layout", "flat",
            "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess("atelier-api", argv, port, os.path.join(work, "atelier.log"))


def ready(port: int) -> Callable[[], bool]:
    """Ready when /readyz answers 200 (the listing index is built)."""
    return lambda: LoopbackSession().get(loopback_url(port, "/readyz"), timeout=2).ok


def run(args: argparse.Namespace, rg: str | None) -> dict[str, Any]:
    """Generate, start the server, measure every query; the result document."""
    work = tempfile.mkdtemp(prefix="bench-search-")
    root = os.path.join(work, "ns")
    os.makedirs(root)
    try:
        files, lines = generate(root, args.docs)
        print(f"generated {files} documents, {lines} lines in {root}")
        store = open_store(root, work)
        srv = server(root, work)
        results: dict[str, Any] = {}
        with benchlib.running(srv, ready(srv.port)):
            session = LoopbackSession()
            session.head(loopback_url(srv.port, "/api/atelier/"), auth=(USER, PASSWORD)
                         ).raise_for_status()
            listing = measure({"docnames": docnames_call(session, srv.port),
                               "dialog_root": dialog_call(session, srv.port, flat=False),
                               "dialog_flat": dialog_call(session, srv.port, flat=True)},
                              args.rounds * 4)
            if listing["docnames"]["hits"] != files or listing["dialog_flat"]["hits"] != files:
                raise SystemExit(f"listings miss documents: {listing}")
            for name, (params, rg_args) in QUERIES.items() if rg else ():
                calls = {"rg": rg_call(rg or "rg", root, rg_args),
                         "rg_1thread": rg_call(rg or "rg", root, rg_args, threads=1),
                         "server": server_call(session, srv.port, params),
                         "inprocess": inprocess_call(store, params)}
                results[name] = measure(calls, args.rounds)
                hits = {k: v["hits"] for k, v in results[name].items()}
                if len(set(hits.values())) != 1:
                    raise SystemExit(f"{name}: hit counts differ: {hits}")
        return {"docs": files, "lines": lines, "target": TARGET, "queries": results,
                "listing": listing, "dialog_target": DIALOG_TARGET,
                "environment": _environment()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _environment() -> dict[str, Any]:
    try:
        return benchlib.environment()
    except ImportError:  # jupyter_server is only needed by the other benchmarks
        return {"python": sys.version.split()[0], "cpus": os.cpu_count()}


def report_listing(result: dict[str, Any]) -> bool:
    """The StudioOpenDialog listings against docnames; True when the root one meets its target."""
    listing = result["listing"]
    base = listing["docnames"]["median_s"]
    print(f"\nfolder listing (POST action/query StudioOpenDialog) vs GET docnames/* "
          f"({listing['docnames']['hits']} entries, {base * 1000:.1f} ms); target: root "
          f"<= {DIALOG_TARGET}x")
    ok = True
    for name in ("dialog_root", "dialog_flat"):
        res = listing[name]
        ratio = res["median_s"] / base
        res["ratio_vs_docnames"] = ratio
        verdict = "context"
        if name == "dialog_root":
            ok = ratio <= DIALOG_TARGET
            verdict = "met" if ok else "MISSED"
        print(f"  {name:<12}{res['hits']:>7} rows{res['median_s'] * 1000:>9.1f} ms"
              f"{ratio:>8.2f}x  {verdict}")
    return ok


def report(result: dict[str, Any]) -> bool:
    """Print times and ratios; True when every ratio meets the target."""
    print(f"\n{result['docs']} documents, {result['lines']} lines; target: ours <= "
          f"{TARGET:.0f}x ripgrep (rg uses every core; rg -j1 shown for context)")
    print(f"{'query':<18}{'hits':>8}{'rg ms':>9}{'rg-j1 ms':>10}{'server ms':>11}"
          f"{'inproc ms':>11}{'server/rg':>11}{'inproc/rg':>11}  verdict")
    ok = report_listing(result)
    for name, res in result["queries"].items():
        rg = res["rg"]["median_s"]
        ratios = {k: res[k]["median_s"] / rg for k in ("server", "inprocess")}
        res["ratios"] = ratios
        met = ratios["server"] <= TARGET
        ok &= met
        print(f"{name:<18}{res['rg']['hits']:>8}{rg * 1000:>9.1f}"
              f"{res['rg_1thread']['median_s'] * 1000:>10.1f}"
              f"{res['server']['median_s'] * 1000:>11.1f}"
              f"{res['inprocess']['median_s'] * 1000:>11.1f}"
              f"{ratios['server']:>10.2f}x{ratios['inprocess']:>10.2f}x  "
              f"{'met' if met else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a target is missed (without rg: the listing half only)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rg = shutil.which("rg")
    result = run(args, rg)
    ok = report(result)
    if rg is None:
        print("search vs ripgrep SKIPPED: ripgrep (rg) is not installed; install the Debian "
              "package: apt-get install -y ripgrep")
    print("results:", benchlib.write_json(result, "bench_search"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
