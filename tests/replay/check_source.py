"""Compare statements.json and routes.json with a git checkout of the VS Code extension.

    python tests/replay/check_source.py /path/to/vscode-objectscript [REV]

REV defaults to HEAD. Prints, and exits 1 when there is any:

* an ``actionQuery`` call site under ``src/`` that no statement entry names (its file:line);
* a statement entry whose file:line is no ``actionQuery`` call at REV (the code moved);
* a method of the HTTP client (``src/api/index.ts``) that sends a request and is called
  somewhere, but that no route entry names in its ``api`` field (``actionQuery`` is covered
  by statements.json).

It only finds what moved or appeared; the SQL text, parameters and the columns the callers
read still have to be read in the diff (README.md, "Refreshing").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
CLIENT = "src/api/index.ts"


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def call_sites(repo: str, rev: str) -> set[str]:
    """``path:line`` of every actionQuery( call under src/ (the definition left out)."""
    out = git(repo, "grep", "-n", "actionQuery(", rev, "--", "src")
    sites = set()
    for hit in out.splitlines():
        _, path, line, text = hit.split(":", 3)
        if "public actionQuery" not in text:
            sites.add(f"{path}:{line}")
    return sites


def client_methods(repo: str, rev: str) -> dict[str, int]:
    """Methods of the client class that send a request (directly or through another
    method), by name, with the number of places that call them."""
    text = git(repo, "show", f"{rev}:{CLIENT}")
    bodies: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        match = re.match(r"\s*(?:public|private)\s+(?:async\s+)?(\w+)\(", line)
        if match:
            name = match.group(1)
            bodies[name] = ""
        elif name:
            bodies[name] += line + "\n"
    senders = {n for n, body in bodies.items() if "this.request(" in body and n != "request"}
    changed = True
    while changed:  # methods that send through another sending method
        grown = {n for n, body in bodies.items()
                 if any(f"this.{s}(" in body for s in senders)} - senders
        senders |= grown
        changed = bool(grown)
    source = git(repo, "grep", "-n", r"\.\(" + r"\|".join(sorted(senders)) + r"\)(", rev,
                 "--", "src")
    counts = dict.fromkeys(senders, 0)
    for hit in source.splitlines():
        for found in re.findall(r"\.(\w+)\(", hit.split(":", 3)[3]):
            if found in counts:
                counts[found] += 1
    return counts


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    repo, rev = argv[0], argv[1] if len(argv) > 1 else "HEAD"
    statements = json.loads((HERE / "statements.json").read_text())
    routes = json.loads((HERE / "routes.json").read_text())
    commit = git(repo, "rev-parse", rev).strip()
    recorded = statements["extension"]["commit"]
    print(f"extension {commit}; the data was taken from {recorded}"
          f"{' (same)' if commit == recorded else ''}")
    problems = 0
    sites = call_sites(repo, rev)
    named = {e["source"] for e in statements["statements"]}
    for site in sorted(sites - named):
        print(f"call site without a statement entry: {site}")
        problems += 1
    for site in sorted(named - sites):
        ids = [e["id"] for e in statements["statements"] if e["source"] == site]
        print(f"no actionQuery call at {site} any more: {', '.join(ids)}")
        problems += 1
    covered = {word for r in routes["routes"] for word in re.findall(r"\w+", r["api"])}
    covered.add("actionQuery")
    for method, calls in sorted(client_methods(repo, rev).items()):
        if method in covered:
            continue
        if calls == 0:
            print(f"client method {method} sends a request but nothing calls it: no route needed")
            continue
        print(f"client method {method} ({calls} call(s)) has no route entry")
        problems += 1
    print(f"{len(sites)} call sites, {len(statements['statements'])} statement entries, "
          f"{len(routes['routes'])} route entries; {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
