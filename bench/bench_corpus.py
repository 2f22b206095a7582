"""Real-code corpus benchmark: documents per second for list, GET and compile of a corpus
(tests/corpus/, default: the largest, ipm) on a real server, beside in-process floors.

  python bench/bench_corpus.py [--corpus ipm] [--repeat 5]
  python bench/bench_corpus.py --all [--repeat 3]      # every corpus in the cache, one table

The corpus must be in the cache (``python tests/corpus/extract.py --mirror DIR``; the PyPI one
is fetched when absent). A copy of it is served by one server process on 127.0.0.1 with
default settings; nothing else is contacted. Contestants, interleaved round by round:

- list:    GET docnames/*/*?generated=0                  floor: walk + stat every file
- get:     GET doc/<name> of every document, one by one   floor: read + decode + split lines
- compile: POST /work {"request": "compile", documents: every name, flags "ck"} polled to the
           end                                           floor: read + tree-sitter parse of
                                                          every .cls (read only, the others)

``ck``, not ``cuk``: with ``u`` every round after the first would skip the unchanged
documents; ``ck`` does in every round what the first ``cuk`` compile of a checkout does.
No target: documents per second and ratios to the floors are printed; the JSON goes to
bench/results/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import benchlib
import tree_sitter_objectscript_udl
from benchlib import LoopbackSession, ServerProcess, loopback_url, running
from tree_sitter import Language, Parser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the corpus tooling lives with the tests

from corpus.extract import (  # noqa: E402
    CorpusError,
    cache_dir,
    load_entries,
    materialise_pypi,
    present,
    stale_reason,
)
from corpus.harness import parse_console  # noqa: E402
from corpus.headers import declared_name  # noqa: E402

NAMESPACE = "USER"
USER, PASSWORD = "_SYSTEM", "SYS"
BASE = f"/api/atelier/v8/{NAMESPACE}"
FLAGS = "ck"
POLL_INTERVAL = 0.005


def check(cond: bool, message: str) -> None:
    """Stop the benchmark when a step does not do what it should."""
    if not cond:
        raise RuntimeError(f"sanity check failed: {message}")


def corpus_folder(name: str) -> Path:
    """The cached extract of a corpus (the PyPI one fetched when absent)."""
    entries = load_entries()
    if name not in entries:
        raise SystemExit(f"no corpus {name!r} in tests/corpus/repos.toml: {', '.join(entries)}")
    entry, cache = entries[name], cache_dir()
    try:
        folder = materialise_pypi(entry, cache) if entry.kind == "pypi" else present(entry, cache)
    except CorpusError as exc:
        raise SystemExit(f"corpus {name}: {exc}") from None
    if folder is None:
        raise SystemExit(f"corpus {name}: {stale_reason(entry, cache)}; run "
                         "python tests/corpus/extract.py --mirror DIR")
    return folder


@dataclass
class Corpus:
    """A corpus copy: its folder, files (root-relative) and declared document names."""

    name: str
    root: Path
    files: list[str]
    names: list[str]

    @classmethod
    def copy_of(cls, name: str, source: Path, into: Path) -> Corpus:
        shutil.copytree(source, into)
        files = sorted(p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file())
        declared = [declared_name(into / rel) for rel in files]
        names = sorted({d.name for d in declared if d is not None})
        stamp = time.time_ns() - 86_400 * 10**9  # a checkout, not files still being written
        for rel in files:
            os.utime(into / rel, ns=(stamp, stamp))
        os.sync()
        return cls(name, into, files, names)


@dataclass
class Contestants:
    """The three server operations and their floors, over one corpus copy."""

    corpus: Corpus
    session: LoopbackSession
    base: str
    parser: Parser = field(default_factory=lambda: Parser(
        Language(tree_sitter_objectscript_udl.language_objectscript_udl())))
    listed: int = 0
    get_failures: int = 0
    errors: int = 0
    error_docs: int = 0
    compile_console: list[str] = field(default_factory=list)

    def list(self) -> None:
        resp = self.session.get(f"{self.base}{BASE}/docnames/*/*", params={"generated": "0"})
        resp.raise_for_status()
        self.listed = len(resp.json()["result"]["content"])

    def list_floor(self) -> None:
        count = 0
        for folder, _dirs, files in os.walk(self.corpus.root):
            for file in files:
                os.stat(os.path.join(folder, file))
                count += 1
        check(count == len(self.corpus.files), "the floor walked another set of files")

    def get(self) -> None:
        failures = 0
        for name in self.corpus.names:
            resp = self.session.get(f"{self.base}{BASE}/doc/{quote(name, safe='./')}")
            failures += resp.status_code != 200
            _ = resp.content
        self.get_failures = failures

    def get_floor(self) -> None:
        for rel in self.corpus.files:
            data = (self.corpus.root / rel).read_bytes()
            data.decode("utf-8", errors="replace").splitlines()

    def compile(self) -> None:
        resp = self.session.post(f"{self.base}{BASE}/work", json={
            "request": "compile", "documents": self.corpus.names, "flags": FLAGS,
            "source": False})
        check(resp.status_code == 202, f"POST /work answered {resp.status_code}: {resp.text}")
        job, console = resp.headers["Location"], []
        while True:
            poll = self.session.get(f"{self.base}{BASE}/work/{job}")
            poll.raise_for_status()
            body = poll.json()
            console += body["console"]
            if "Retry-After" not in poll.headers:
                break
            time.sleep(POLL_INTERVAL)
        units = parse_console(console)
        self.errors, self.error_docs = len(units), len({u.doc for u in units})
        self.compile_console = console

    def compile_floor(self) -> None:
        for rel in self.corpus.files:
            data = (self.corpus.root / rel).read_bytes()
            if rel.lower().endswith(".cls"):
                self.parser.parse(data)


def server(root: Path, work: Path) -> ServerProcess:
    """Our server on the corpus copy: default settings, its own state dir."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", str(work / "state"),
            "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess("atelier-api", argv, port, str(work / "atelier.log"))


def login(port: int) -> LoopbackSession:
    """HEAD /api/atelier/ with Basic auth once; the session cookie alone afterwards."""
    session = LoopbackSession()
    session.head(loopback_url(port, "/api/atelier/"), auth=(USER, PASSWORD)).raise_for_status()
    check(bool(session.cookies), "no session cookie on login")
    return session


def measure(calls: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """One warm-up each, then the contestants interleaved, rotating who goes first."""
    for call in calls.values():
        call()
    names = list(calls)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(benchlib.timed(calls[name]))
    return samples


def run_one(name: str, rounds: int, keep: bool) -> dict[str, Any]:
    """Copy, serve, warm up, measure one corpus."""
    source = corpus_folder(name)
    work = Path(tempfile.mkdtemp(prefix=f"atelier-bench-corpus-{name}-"))
    try:
        corpus = Corpus.copy_of(name, source, work / "ws")
        srv = server(corpus.root, work)
        probe = lambda: LoopbackSession().get(  # noqa: E731
            loopback_url(srv.port, "/readyz"), timeout=2).ok
        with running(srv, probe):
            c = Contestants(corpus, login(srv.port), loopback_url(srv.port))
            calls = {"list": c.list, "list_floor": c.list_floor, "get": c.get,
                     "get_floor": c.get_floor, "compile": c.compile,
                     "compile_floor": c.compile_floor}
            print(f"{name}: {len(corpus.files)} files, {len(corpus.names)} names; measuring "
                  f"{rounds} rounds ...", flush=True)
            raw = measure(calls, rounds)
        stats = {k: benchlib.summary(v) for k, v in raw.items()}
        docs = len(corpus.names)
        rates = {k: docs / (s["median_ms"] / 1000) for k, s in stats.items()}
        ratios = {op: stats[op]["median_ms"] / stats[f"{op}_floor"]["median_ms"]
                  for op in ("list", "get", "compile")}
        return {"corpus": name, "files": len(corpus.files), "docs": docs,
                "listed": c.listed, "get_failures": c.get_failures,
                "compile_errors": c.errors, "docs_with_errors": c.error_docs,
                "stats": stats, "docs_per_s": rates, "ratio_to_floor": ratios}
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def environment() -> dict[str, Any]:
    """Where the numbers were taken."""
    from bench_compile import environment as env

    return env()


def print_one(r: dict[str, Any]) -> None:
    s, rate, ratio = r["stats"], r["docs_per_s"], r["ratio_to_floor"]
    print(f"\ncorpus {r['corpus']}: {r['docs']} documents ({r['files']} files); listed "
          f"{r['listed']}, GET failures {r['get_failures']}, compile errors "
          f"{r['compile_errors']} in {r['docs_with_errors']} documents.\n")
    print(f"{'operation':<10}{'ours ms':>10}{'docs/s':>10}{'floor ms':>10}{'floor docs/s':>14}"
          f"{'ratio':>8}")
    for op in ("list", "get", "compile"):
        print(f"{op:<10}{s[op]['median_ms']:>10.1f}{rate[op]:>10.0f}"
              f"{s[op + '_floor']['median_ms']:>10.1f}{rate[op + '_floor']:>14.0f}"
              f"{ratio[op]:>8.1f}")
    print("\n  ratio = our median time / the floor's (lower is better); medians of the rounds.")


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"\n{'corpus':<30}{'docs':>6}{'errors':>8}{'list/s':>10}{'GET/s':>9}{'compile/s':>11}"
          f"{'compile x floor':>17}")
    for r in results:
        rate = r["docs_per_s"]
        print(f"{r['corpus']:<30}{r['docs']:>6}{r['compile_errors']:>8}{rate['list']:>10.0f}"
              f"{rate['get']:>9.0f}{rate['compile']:>11.0f}"
              f"{r['ratio_to_floor']['compile']:>17.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="ipm", help="a corpus of tests/corpus/repos.toml")
    parser.add_argument("--all", action="store_true", help="every corpus in the cache")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per contestant")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.all:
        entries, cache = load_entries(), cache_dir()
        names = [n for n, e in entries.items() if e.kind == "pypi" or present(e, cache)]
    else:
        names = [args.corpus]
    load_start = list(os.getloadavg())
    results = [run_one(name, args.repeat, args.keep) for name in names]
    for r in results:
        print_one(r)
    if len(results) > 1:
        print_table(results)
    env = environment()
    if max(load_start[0], env["loadavg"][0]) > (env["cpus"] or 1) * 0.75:
        print(f"\nNOTE: load average {load_start[0]:.1f} -> {env['loadavg'][0]:.1f} on "
              f"{env['cpus']} CPUs: other work shared this machine.")
    path = benchlib.write_json({"benchmark": "bench_corpus", "environment": env,
                                "loadavg_start": load_start, "params": vars(args),
                                "results": results}, "bench_corpus")
    print(f"\nresult written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
