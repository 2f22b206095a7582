"""Documents benchmark: atelier-api vs Jupyter Server's contents API vs in-process floors.

One run, the same generated documents for everyone, ratios against targets (see README.md):

  python bench/bench_documents.py [--docs 10000] [--repeat 20] [--requests 200]

Every server runs as a real process on 127.0.0.1, started and stopped here; nothing else is
contacted. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import benchlib
import docgen
from benchlib import LoopbackSession, ServerProcess, loopback_url, running, summary, timed

NAMESPACE = "USER"
USER, PASSWORD = "_SYSTEM", "SYS"
DOCNAMES = f"/api/atelier/v8/{NAMESPACE}/docnames"
DOC = f"/api/atelier/v8/{NAMESPACE}/doc/"
HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {  # ratio = our median / the other median; lower is better
    "listing_vs_jupyter": ("listing", "jupyter", 0.10),
    "listing_vs_floor": ("listing", "floor", 3.0),
    "get_vs_jupyter": ("get", "jupyter", 0.5),
    "put_vs_jupyter": ("put", "jupyter", 0.5),
}
COMPARED = {
    "listing_vs_jupyter": "GET {docnames} (all {n} entries: name, cat, ts, upd, db, gen) vs "
                          "Jupyter GET /api/contents/?type=directory&content=1 (all {n} file "
                          "models, no content) of the same folder",
    "listing_vs_floor": "the same GET {docnames} over HTTP vs in-process os.scandir + stat + "
                        "json.dumps of the same envelope (checked byte for byte against ours)",
    "get_vs_jupyter": "GET {doc}<one class> vs Jupyter GET /api/contents/<same file>"
                      "?type=file&format=text&content=1",
    "put_vs_jupyter": "PUT {doc}<one class> {{enc, content: lines}} with If-None-Match (ours: "
                      "temp file, fsync, rename, fsync folder) vs Jupyter PUT /api/contents/"
                      "<another class> {{type: file, format: text, content}} (its default "
                      "atomic_writing: backup copy, write in place, fsync file, no folder fsync)",
}
CONTEXT = {
    "null": "cheapest request: ours GET /healthz (no auth), Jupyter GET /api/status (token), "
            "wsgi_hello = a bare WSGI app on the same gunicorn gthread worker as ours",
    "disk": "each server's own write function in-process (servers stopped): ours atomic_write, "
            "Jupyter atomic_writing, same kind of bytes",
}


# -- servers --------------------------------------------------------------------------------
@dataclass
class Clients:
    """Keep-alive sessions and base URLs: ours (logged in), Jupyter (token), the bare WSGI."""

    ours: LoopbackSession
    ours_base: str
    jup: LoopbackSession
    jup_base: str
    hello_base: str


def atelier_server(root: str, work: str) -> ServerProcess:
    """Our server: gunicorn via ``python -m atelier_api serve``, flat layout, own state dir."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(work, "state"), "--layout", "flat",
            "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess("atelier-api", argv, port, os.path.join(work, "atelier.log"))


def jupyter_server(root: str, work: str, token: str) -> ServerProcess:
    """Jupyter Server on the same folder: token auth, no browser, no terminals, own config."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "jupyter_server", f"--IdentityProvider.token={token}",
            f"--ServerApp.port={port}", f"--ServerApp.ip={benchlib.LOOPBACK}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False", "--no-browser",
            "--ServerApp.terminals_enabled=False", "--ServerApp.log_level=WARN"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers often run as root
    jdir = os.path.join(work, "jupyter")
    env = {"JUPYTER_CONFIG_DIR": os.path.join(jdir, "config"), "JUPYTER_NO_CONFIG": "1",
           "JUPYTER_DATA_DIR": os.path.join(jdir, "data"),
           "JUPYTER_RUNTIME_DIR": os.path.join(jdir, "runtime"),
           "JUPYTER_PLATFORM_DIRS": "1", "HOME": jdir}
    return ServerProcess("jupyter-server", argv, port, os.path.join(work, "jupyter.log"), env)


def hello_server(work: str) -> ServerProcess:
    """bench/hello_wsgi.py on gunicorn's gthread worker, configured like ours."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1",
            "--threads", "32", "--keep-alive", "30", "--bind", f"{benchlib.LOOPBACK}:{port}",
            "--chdir", HERE, "--log-level", "warning", "hello_wsgi:app"]
    return ServerProcess("wsgi-hello", argv, port, os.path.join(work, "hello.log"))


def ours_probe(port: int) -> Callable[[], bool]:
    """Ready when /readyz says so (start-up indexing done); without /readyz, when login works."""
    def probe() -> bool:
        session = LoopbackSession()
        ready = session.get(loopback_url(port, "/readyz"), timeout=2)
        if ready.status_code != 404:
            return ready.status_code == 200
        return session.head(loopback_url(port, "/api/atelier/"), auth=(USER, PASSWORD),
                            timeout=2).ok
    return probe


def jupyter_probe(port: int, token: str) -> Callable[[], bool]:
    """Ready when /api/status answers with the token."""
    url = loopback_url(port, "/api/status")
    return lambda: LoopbackSession().get(url, headers=_tok(token), timeout=2).ok


def hello_probe(port: int) -> Callable[[], bool]:
    """Ready when the bare app answers."""
    return lambda: LoopbackSession().get(loopback_url(port, "/"), timeout=2).ok


def _tok(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def login(ours_port: int, jup_port: int, hello_port: int, token: str) -> Clients:
    """Ours: HEAD /api/atelier/ with Basic auth once, then the cookie alone. Jupyter: token."""
    ours = LoopbackSession()
    resp = ours.head(loopback_url(ours_port, "/api/atelier/"), auth=(USER, PASSWORD))
    resp.raise_for_status()
    if not ours.cookies:
        raise RuntimeError("atelier-api set no session cookie on login")
    jup = LoopbackSession()
    jup.headers.update(_tok(token))
    return Clients(ours, loopback_url(ours_port), jup, loopback_url(jup_port),
                   loopback_url(hello_port))


# -- measurements ---------------------------------------------------------------------------
def check(cond: bool, message: str) -> None:
    """Stop the benchmark when the contestants do not do the same work."""
    if not cond:
        raise RuntimeError(f"sanity check failed: {message}")


def fetch(session: LoopbackSession, url: str, **kwargs: Any) -> Callable[[], bytes]:
    """A call that GETs ``url`` and reads the whole body."""
    def call() -> bytes:
        resp = session.get(url, **kwargs)
        resp.raise_for_status()
        return resp.content
    return call


def listing_calls(c: Clients, root: str) -> dict[str, Callable[[], bytes]]:
    """The three listings, each returning its body."""
    return {"floor": lambda: docgen.floor_listing(root, NAMESPACE),
            "ours": fetch(c.ours, c.ours_base + DOCNAMES),
            "jupyter": fetch(c.jup, c.jup_base + "/api/contents/",
                             params={"type": "directory", "content": "1"})}


def verify_listings(calls: dict[str, Callable[[], bytes]], files: list[str]) -> None:
    """Everyone lists exactly the generated files; the floor's bytes equal ours."""
    ours_body, floor_body = calls["ours"](), calls["floor"]()
    ours = json.loads(ours_body)["result"]["content"]
    check(sorted(e["name"] for e in ours) == sorted(files), "ours does not list every document")
    check(ours_body == floor_body, "the floor's body differs from ours")
    jup = json.loads(calls["jupyter"]())["content"]
    check(sorted(m["name"] for m in jup) == sorted(files), "jupyter does not list every file")


def measure_rounds(calls: dict[str, Callable[[], Any]], rounds: int, warmup: int
                   ) -> dict[str, list[float]]:
    """Interleave the contestants in every round, rotating who goes first."""
    names = list(calls)
    for _ in range(warmup):
        for name in names:
            calls[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            samples[name].append(timed(calls[name]))
    return samples


def get_calls(c: Clients, doc: str) -> dict[str, Callable[[], bytes]]:
    """GET the same document from each server."""
    return {"ours": fetch(c.ours, c.ours_base + DOC + doc),
            "jupyter": fetch(c.jup, f"{c.jup_base}/api/contents/{doc}",
                             params={"type": "file", "format": "text", "content": "1"})}


def null_calls(c: Clients) -> dict[str, Callable[[], bytes]]:
    """Context: the cheapest request of each server, and of a bare WSGI app."""
    healthz = c.ours.get(c.ours_base + "/healthz").status_code == 200
    return {"wsgi_hello": fetch(LoopbackSession(), c.hello_base + "/"),
            "ours": fetch(c.ours, c.ours_base + ("/healthz" if healthz else "/api/atelier/")),
            "jupyter": fetch(c.jup, c.jup_base + "/api/status")}


class PutCalls:
    """PUT a new revision of one class each time; ours chains the ts it got back."""

    def __init__(self, c: Clients, ours_doc: str, jup_doc: str) -> None:
        self.c, self.ours_doc, self.jup_doc = c, ours_doc, jup_doc
        self.rng = random.Random(7)
        self.revision = 0
        resp = c.ours.get(c.ours_base + DOC + ours_doc)
        resp.raise_for_status()
        self.ts = resp.json()["result"]["ts"]
        self.last: dict[str, str] = {}

    def _next_text(self, doc: str) -> str:
        self.revision += 1
        self.last[doc] = docgen.class_text(doc.removesuffix(".cls"), self.rng, self.revision)
        return self.last[doc]

    def ours(self) -> None:
        """PUT with If-None-Match: the ts of the previous save."""
        lines = self._next_text(self.ours_doc).split("\n")
        resp = self.c.ours.put(self.c.ours_base + DOC + self.ours_doc,
                               json={"enc": False, "content": lines},
                               headers={"If-None-Match": self.ts})
        resp.raise_for_status()
        self.ts = resp.json()["result"]["ts"]

    def jupyter(self) -> None:
        """PUT a text file model."""
        body = {"type": "file", "format": "text", "content": self._next_text(self.jup_doc)}
        resp = self.c.jup.put(f"{self.c.jup_base}/api/contents/{self.jup_doc}", json=body)
        resp.raise_for_status()
        _ = resp.content

    def verify(self, root: str) -> None:
        """The last revision each server accepted is on disk, byte for byte."""
        for doc, text in self.last.items():
            with open(os.path.join(root, doc), encoding="utf-8", newline="") as handle:
                check(handle.read() == text, f"{doc} on disk is not the last PUT")


def fsync_costs(root: str, samples: int = 50) -> dict[str, float]:
    """Context for PUT: median cost of fsync of a ~3 KB file and of the folder, in ms."""
    path = os.path.join(root, ".~bench-fsync.tmp")
    files: list[float] = []
    dirs: list[float] = []
    try:
        for _ in range(samples):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, os.urandom(3000))
            files.append(timed(functools.partial(os.fsync, fd)))
            os.close(fd)
            dfd = os.open(root, os.O_RDONLY)
            dirs.append(timed(functools.partial(os.fsync, dfd)))
            os.close(dfd)
    finally:
        os.unlink(path)
    return {"fsync_file_ms": statistics.median(files) * 1000,
            "fsync_dir_ms": statistics.median(dirs) * 1000}


# -- report ---------------------------------------------------------------------------------
def verdicts(stats: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """ratio = our median / the other median, compared with each target."""
    out = {}
    for key, (group, other, target) in TARGETS.items():
        ours, theirs = stats[group]["ours"]["median_ms"], stats[group][other]["median_ms"]
        out[key] = {"ours_median_ms": ours, "other": other, "other_median_ms": theirs,
                    "ratio": ours / theirs, "target_max_ratio": target,
                    "pass": ours / theirs <= target}
    return out


def explain(result: dict[str, Any]) -> dict[str, float]:
    """Derived context: how much of the GET and PUT ratios the fixed costs explain."""
    s = result["stats"]
    med = {g: {who: v["median_ms"] for who, v in by.items()} for g, by in s.items()}
    return {
        "get_ratio_if_our_work_were_free": med["null"]["ours"] / med["get"]["jupyter"],
        "get_ratio_of_bare_wsgi_app": med["null"]["wsgi_hello"] / med["get"]["jupyter"],
        "put_ratio_without_disk_work": (med["put"]["ours"] - med["disk"]["ours"])
        / max(med["put"]["jupyter"] - med["disk"]["jupyter"], 1e-9),
        "disk_ratio": med["disk"]["ours"] / med["disk"]["jupyter"],
    }


def print_report(result: dict[str, Any]) -> None:
    """The table: ratios with targets and PASS/FAIL; absolute medians only as context."""
    p, env = result["params"], result["environment"]
    print(f"\natelier-api documents benchmark: {p['docs']} generated ObjectScript classes "
          f"(~100 lines each) in ONE folder (layout=flat) that both servers serve, on "
          f"{benchlib.LOOPBACK}; listings {p['repeat']} rounds, other requests {p['requests']} "
          "each; contestants interleaved round by round after warm-up; requests.Session "
          "keep-alive clients; times are client-side, to the last byte of the body.\n")
    print("What is compared (ratio = our median / the other median, lower is better):")
    for key, text in COMPARED.items():
        print(f"  {key:<19} {text.format(docnames=DOCNAMES, doc=DOC, n=p['docs'])}")
    print(f"\n{'comparison':<20}{'ours ms':>9}{'other':>9}{'other ms':>10}{'ratio':>8}"
          f"{'target':>9}  result")
    for key, v in result["verdicts"].items():
        print(f"{key:<20}{v['ours_median_ms']:>9.2f}{v['other']:>9}{v['other_median_ms']:>10.2f}"
              f"{v['ratio']:>8.3f}{'<= ' + format(v['target_max_ratio'], 'g'):>9}  "
              f"{'PASS' if v['pass'] else 'FAIL'}")
    print("\nContext (no targets):")
    for key, text in CONTEXT.items():
        print(f"  {key:<6} {text}")
    print("Medians / p90 in ms:")
    for group, by in result["stats"].items():
        row = ", ".join(f"{who} {s['median_ms']:.2f} / {s['p90_ms']:.2f}" for who, s in by.items())
        print(f"  {group:<8} {row}")
    print_explanations(result)
    load0, load1, cpus = result["loadavg_start"][0], env["loadavg"][0], env["cpus"] or 1
    if max(load0, load1) > cpus * 0.75:
        print(f"\nNOTE: load average {load0:.1f} -> {load1:.1f} on {cpus} CPUs: other work shared "
              "this machine. Rounds are interleaved, so ratios hold up better than absolute "
              "times, but expect noise; rerun on a quiet machine before drawing conclusions.")


def print_explanations(result: dict[str, Any]) -> None:
    """What the fixed costs mean for the GET and PUT verdicts."""
    x, f = result["explain"], result["fsync"]
    print(f"\nGET: a bare WSGI app on our gunicorn worker would score "
          f"{x['get_ratio_of_bare_wsgi_app']:.3f}, our cheapest request "
          f"{x['get_ratio_if_our_work_were_free']:.3f} against Jupyter's GET: that much of the "
          "ratio is transport (client, loopback TCP, gthread hand-off) and framework, before "
          "any document work.")
    print(f"PUT: durability is kept. Ours fsyncs the file ({f['fsync_file_ms']:.3f} ms here) and "
          f"the folder ({f['fsync_dir_ms']:.3f} ms); Jupyter's atomic_writing fsyncs the file "
          f"only. The write recipes alone compare {x['disk_ratio']:.3f}; PUT minus its own "
          f"write recipe compares {x['put_ratio_without_disk_work']:.3f}.")
    put = result["verdicts"]["put_vs_jupyter"]
    if not put["pass"]:
        only_disk = x["put_ratio_without_disk_work"] <= put["target_max_ratio"]
        print("  PUT misses its target " + ("only because of the disk work (fsync)." if only_disk
              else "also outside the disk work (transport, framework, request handling)."))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, start the servers, verify, measure, stop, measure the disk floors."""
    work = tempfile.mkdtemp(prefix="atelier-bench-")
    root = os.path.join(work, "docs")
    os.makedirs(root)
    try:
        load_start = list(os.getloadavg())
        started = time.perf_counter()
        files = docgen.generate(root, args.docs)
        os.sync()  # no write-back of the generated files behind either server's first fsyncs
        print(f"generated {len(files)} documents in {time.perf_counter() - started:.1f}s "
              f"under {root}", flush=True)
        raw = measure_servers(args, root, work, files)
        disk = docgen.disk_recipes(root, files[3], files[4])
        raw["disk"] = measure_rounds(disk, args.requests, warmup=10)
        stats = {g: {who: summary(s) for who, s in by.items()} for g, by in raw.items()}
        result = {"benchmark": "bench_documents", "environment": benchlib.environment(),
                  "loadavg_start": load_start, "params": vars(args),
                  "compared": {k: v.format(docnames=DOCNAMES, doc=DOC, n=args.docs)
                               for k, v in COMPARED.items()},
                  "context": CONTEXT, "stats": stats, "verdicts": verdicts(stats),
                  "fsync": fsync_costs(root)}
        result["explain"] = explain(result)
        return result
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure_servers(args: argparse.Namespace, root: str, work: str, files: list[str]
                    ) -> dict[str, dict[str, list[float]]]:
    """Start ours, Jupyter and the bare WSGI app; verify; measure listing, GET, null, PUT."""
    token = secrets.token_hex(24)
    ours, jup, hello = atelier_server(root, work), jupyter_server(root, work, token), \
        hello_server(work)
    with running(ours, ours_probe(ours.port)), \
            running(jup, jupyter_probe(jup.port, token)), running(hello, hello_probe(hello.port)):
        c = login(ours.port, jup.port, hello.port, token)
        calls = listing_calls(c, root)
        verify_listings(calls, files)
        print("listings verified; measuring ...", flush=True)
        raw = {"listing": measure_rounds(calls, args.repeat, warmup=2),
               "get": measure_rounds(get_calls(c, files[len(files) // 2]), args.requests, 20),
               "null": measure_rounds(null_calls(c), args.requests, warmup=20)}
        puts = PutCalls(c, files[1], files[2])
        raw["put"] = measure_rounds({"ours": puts.ours, "jupyter": puts.jupyter},
                                    args.requests, warmup=20)
        puts.verify(root)
    return raw


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print the table, write bench/results/*.json."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate")
    parser.add_argument("--repeat", type=int, default=20, help="listing rounds")
    parser.add_argument("--requests", type=int, default=200,
                        help="GET, PUT and null requests per contestant")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.docs < 10 or args.repeat < 1 or args.requests < 1:
        parser.error("--docs must be at least 10, --repeat and --requests at least 1")
    result = run(args)
    print_report(result)
    print(f"\nresult written to {benchlib.write_json(result, 'bench_documents')}")
    return 0 if all(v["pass"] for v in result["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
