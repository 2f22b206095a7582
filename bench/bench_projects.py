"""Project folders: the VS Code extension's listing of a server-side project folder
(``isfs://…?project=P``) against its listing of the same plain folder, side by side in one run.

Generates N documents (default 20 000: classes in package folders, routines, include files,
"other" documents and web files), starts our server on them (one real process on 127.0.0.1,
started and stopped here), creates a Studio project of M items (default 500: routines, classes,
packages, web files, web folders, other documents, and a few items whose document is gone)
and times, interleaved round by round:

- ``project_root``: the project folder's root listing (replay ``isfs.project.root``: the items
  of ``%Studio.Project_ProjectItemsList`` with ``EXISTS`` over a
  ``%Library.RoutineMgr_StudioOpenDialog`` call whose arguments are the item's name: a lateral
  call per item);
- ``dialog_root``: the plain folder's root listing (replay ``isfs.dir.root``), the reference;
- ``project_flat`` / ``dialog_flat``: every document of the project at once (replay
  ``isfs.project.flat``) and the flat listing of the plain folder, for context;
- ``project_pkg`` / ``dialog_pkg``: the sub-folder ``Bench`` of the project and of the plain
  folder (replay ``isfs.project.package`` and ``isfs.dir.package``), for context.

The statements and parameter arrays are the extension's, read from
``tests/replay/statements.json``. Target: ``project_root`` at most 3x ``dialog_root``. Prints
the ratios and writes JSON to bench/results/; exit status 1 when the target is missed.

    python bench/bench_projects.py [--docs 20000] [--items 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
from benchlib import LoopbackSession, ServerProcess, loopback_url  # noqa: E402

TARGET = 3.0
NAMESPACE = "USER"
PROJECT = "BenchProject"
USER, PASSWORD = "_SYSTEM", "SYS"
STATEMENTS = os.path.join(os.path.dirname(HERE), "tests", "replay", "statements.json")
CREATE = "INSERT INTO %Studio.Project (Name,Description,LastModified) VALUES (?,?,NOW())"
ADD = "INSERT INTO %Studio.ProjectItem (Project,Name,Type) VALUES (?,?,?)"
#: share of the project's items per kind (the rest: routines)
ITEM_MIX = {"CLS": 0.20, "PKG": 0.04, "CSP": 0.20, "DIR": 0.04, "OTH": 0.10, "GONE": 0.02}


def statement(ident: str) -> tuple[str, list[Any]]:
    """The SQL and parameters of one replay statement."""
    with open(STATEMENTS, encoding="utf-8") as handle:
        found = [s for s in json.load(handle)["statements"] if s["id"] == ident]
    if not found:
        raise SystemExit(f"replay statement {ident} not found in {STATEMENTS}")
    return found[0]["sql"], list(found[0]["parameters"])


def in_package(param: Any) -> Any:
    """A replay parameter of the folder ``Demo`` moved to this benchmark's ``Bench``: names
    (``Demo.``, ``Demo/*``, ``Demo.*.mac``) and the ``SUBSTR`` start after the prefix."""
    if param == str(len("Demo.") + 1):
        return str(len("Bench.") + 1)
    return param.replace("Demo", "Bench") if isinstance(param, str) else param


def generate(root: str, count: int) -> dict[str, list[str]]:
    """Write ``count`` documents; returns their names by kind (CLS: class names without
    ``.cls``, MAC: routine document names, CSP: web paths without the leading ``/``, OTH)."""
    made: dict[str, list[str]] = {"CLS": [], "MAC": [], "CSP": [], "OTH": []}
    for i in range(count):
        kind = i % 20
        if kind < 11:  # classes, 100 to a package
            name = f"Bench.P{i // 1000:02d}.S{(i // 100) % 10}.C{i:05d}"
            path = os.path.join(root, *name.split(".")) + ".cls"
            text = f"/// Class {i}.\nClass {name} Extends %RegisteredObject\n{{\n\n}}\n"
            made["CLS"].append(name)
        elif kind < 16:  # routines and include files, some in dotted "folders"
            ext = "inc" if kind == 15 else "mac"
            base = f"BenchR{i:05d}" if kind < 13 else f"Bench.R{i // 1000:02d}.R{i:05d}"
            path = os.path.join(root, f"{base}.{ext}")
            text = f"ROUTINE {base}{' [Type=INC]' if ext == 'inc' else ''}\n quit\n"
            made["MAC"].append(f"{base}.{ext}")
        elif kind < 19:  # web files, 50 to a folder
            rel = (f"csp/user/d{i // 1000:02d}/s{(i // 200) % 5}/f{i:05d}."
                   + ("csp" if kind < 18 else "js"))
            path = os.path.join(root, *rel.split("/"))
            text = "<html></html>\n" if rel.endswith(".csp") else "var x = 1;\n"
            made["CSP"].append(rel)
        else:  # "other" documents
            name = f"Bench.L{i:05d}.lut"
            path = os.path.join(root, name)
            text = "<?xml version=\"1.0\"?>\n<lookupTable>\n</lookupTable>\n"
            made["OTH"].append(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    return made


def project_items(made: dict[str, list[str]], count: int) -> list[tuple[str, str]]:
    """``count`` project items spread over the kinds (every n-th document of a kind)."""
    def spread(names: list[str], n: int) -> list[str]:
        step = max(1, len(names) // max(n, 1))
        return names[::step][:n]

    want = {k: int(count * share) for k, share in ITEM_MIX.items()}
    want["MAC"] = count - sum(want.values())
    items = [(n, "CLS") for n in spread(made["CLS"], want["CLS"])]
    packages = sorted({n.rsplit(".", 1)[0] for n in made["CLS"]})  # Bench.Pnn.Sn: 100 classes
    items += [(p, "PKG") for p in spread(packages, want["PKG"])]
    items += [(n, "CSP") for n in spread(made["CSP"], want["CSP"])]
    folders = sorted({n.rsplit("/", 1)[0] for n in made["CSP"]})
    items += [(f, "DIR") for f in spread(folders, want["DIR"])]
    items += [(n, "OTH") for n in spread(made["OTH"], want["OTH"])]
    items += [(n, "MAC") for n in spread(made["MAC"], want["MAC"])]
    items += [(f"Gone.G{i:04d}.mac", "MAC") for i in range(want["GONE"])]
    items = list(dict.fromkeys(items))
    spare = [n for n in made["MAC"] if (n, "MAC") not in set(items)]
    return items + [(n, "MAC") for n in spare[:count - len(items)]]


def query_call(session: LoopbackSession, port: int, sql: str, params: list[Any]
               ) -> Callable[[], list[dict[str, Any]]]:
    """POST action/query; returns the rows (an SQL error raises)."""
    url = loopback_url(port, f"/api/atelier/v8/{NAMESPACE}/action/query")
    body = {"query": sql, "parameters": params}

    def call() -> list[dict[str, Any]]:
        resp = session.post(url, json=body, timeout=600)
        resp.raise_for_status()
        env = resp.json()
        if env["status"]["summary"]:
            raise RuntimeError(env["status"]["summary"])
        return env["result"]["content"]  # type: ignore[no-any-return]
    return call


def measure(calls: dict[str, Callable[[], list[dict[str, Any]]]], rounds: int
            ) -> dict[str, Any]:
    """Median seconds of each call (interleaved rounds after a warm-up) and its row count."""
    counts = {name: len(call()) for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotate who goes first
            samples[name].append(benchlib.timed(calls[name]))
    return {name: {"median_s": statistics.median(s), "min_s": min(s), "rows": counts[name]}
            for name, s in samples.items()}


def server(root: str, work: str, time_limit: int) -> ServerProcess:
    """Our server on the folder (default layout: classes in package folders), its SQL time
    limit raised (a slow listing is measured, not stopped)."""
    port = benchlib.free_port()
    argv = [sys.executable, "-m", "atelier_api", "serve", "--host", benchlib.LOOPBACK,
            "--port", str(port), "--state-dir", os.path.join(work, "state"), "--layout",
            "default", "--namespace", f"{NAMESPACE}={root}", "--log-level", "warning"]
    return ServerProcess("atelier-api", argv, port, os.path.join(work, "atelier.log"),
                         env={"ATELIER_SQL_TIME_LIMIT_SECONDS": str(time_limit)})


def ready(port: int) -> Callable[[], bool]:
    return lambda: LoopbackSession().get(loopback_url(port, "/readyz"), timeout=2).ok


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, start the server, make the project, measure; the result document."""
    work = tempfile.mkdtemp(prefix="bench-projects-")
    root = os.path.join(work, "ns")
    os.makedirs(root)
    loadavg_start = list(os.getloadavg())
    try:
        made = generate(root, args.docs)
        items = project_items(made, args.items)
        print(f"generated {args.docs} documents in {root}; project of {len(items)} items")
        srv = server(root, work, args.time_limit)
        with benchlib.running(srv, ready(srv.port)):
            session = LoopbackSession()
            session.head(loopback_url(srv.port, "/api/atelier/"), auth=(USER, PASSWORD)
                         ).raise_for_status()
            query_call(session, srv.port, CREATE, [PROJECT, "benchmark"])()
            for name, kind in items:
                query_call(session, srv.port, ADD, [PROJECT, name, kind])()
            calls = {}
            for label, ident in (("project_root", "isfs.project.root"),
                                 ("dialog_root", "isfs.dir.root"),
                                 ("project_flat", "isfs.project.flat"),
                                 ("dialog_flat", "isfs.file-search"),
                                 ("project_pkg", "isfs.project.package"),
                                 ("dialog_pkg", "isfs.dir.package")):
                sql, params = statement(ident)
                params = [PROJECT if p == "DemoProject" else in_package(p) for p in params]
                if ident == "isfs.file-search":  # the flat listing, without a name filter
                    params[7] = ""
                calls[label] = query_call(session, srv.port, sql, params)
            started = time.perf_counter()
            first = calls["project_root"]()
            first_s = time.perf_counter() - started
            listing = measure(calls, args.rounds)
        listing["project_root"]["first_s"] = first_s
        if not first or listing["dialog_root"]["rows"] == 0:
            raise SystemExit(f"a listing came back empty: {listing}")
        return {"docs": args.docs, "items": len(items), "target": TARGET, "listing": listing,
                "loadavg_start": loadavg_start, "environment": _environment()}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _environment() -> dict[str, Any]:
    try:
        return benchlib.environment()
    except ImportError:  # jupyter_server is only needed by the other benchmarks
        return {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                "loadavg": list(os.getloadavg())}


def report(result: dict[str, Any]) -> bool:
    """Print times and ratios; True when the project root listing meets its target."""
    listing = result["listing"]
    print(f"\n{result['docs']} documents, a project of {result['items']} items; target: "
          f"project_root <= {TARGET:.0f}x dialog_root")
    print(f"{'listing':<14}{'rows':>7}{'median ms':>11}{'min ms':>9}{'ratio':>9}  verdict")
    ok = True
    for name, base in (("project_root", "dialog_root"), ("dialog_root", "dialog_root"),
                       ("project_flat", "dialog_flat"), ("dialog_flat", "dialog_flat"),
                       ("project_pkg", "dialog_pkg"), ("dialog_pkg", "dialog_pkg")):
        res = listing[name]
        ratio = res["median_s"] / listing[base]["median_s"]
        res[f"ratio_vs_{base}"] = ratio
        verdict = "reference" if name == base else "context"
        if name == "project_root":
            ok = ratio <= TARGET
            verdict = "met" if ok else "MISSED"
        print(f"{name:<14}{res['rows']:>7}{res['median_s'] * 1000:>11.1f}"
              f"{res['min_s'] * 1000:>9.1f}{ratio:>8.2f}x  {verdict}")
    print(f"(project_root's first run, right after the items were added: "
          f"{listing['project_root']['first_s'] * 1000:.1f} ms)")
    if "loadavg" in result["environment"]:
        benchlib.print_load_note(result, "run again on an idle machine for steadier ratios")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--time-limit", type=int, default=300,
                        help="the server's SQL time limit in seconds (default 300)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    result = run(parser.parse_args(argv))
    ok = report(result)
    print("results:", benchlib.write_json(result, "bench_projects"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
