"""Run the corpus checks outside pytest and write a failure report (Markdown) that groups
what failed: names, round trips, compile errors (missing classes by class, undefined macros
by name, missing include files, syntax errors by the shape of the line), changed files.

    python -m corpus.report [--out FILE] [--json FILE] [NAME ...]     (from tests/)

Uses the same harness as ``test_corpus.py``: every corpus of ``repos.toml`` present in the
cache (the PyPI one fetched), each served from copies with default settings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .extract import CorpusError, cache_dir, load_entries, materialise_pypi, present
from .harness import (
    CompileError,
    FileChange,
    NameProblem,
    Served,
    TripProblem,
    check_names,
    compile_all,
    error_units,
    judge,
    load_expectations,
    round_trip,
    serve,
    tree_changes,
)
from .headers import text_of

#: Classes of the IRIS system library: %-packages (but the %Z/%z ones, which are the user's,
#: and the %-named packages of add-ons found in the corpus) and interoperability's.
SYSTEM_PACKAGES = ("%", "Ens.", "EnsLib.", "EnsPortal.", "HS.")
NOT_SYSTEM = ("%Z", "%z", "%pkg.", "%IPM.")


@dataclass
class Located:
    """A compile error with the file and line it points at (when it can be found)."""

    error: CompileError
    path: str = ""
    line: int = 0
    text: str = ""
    context: str = ""  # a class's Include lines and superclasses

    @property
    def at(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path or self.error.doc


@dataclass
class CorpusResult:
    """Everything one corpus run found."""

    name: str
    files: int
    names: list[NameProblem] = field(default_factory=list)
    trips: list[TripProblem] = field(default_factory=list)
    errors: list[Located] = field(default_factory=list)
    expected: int = 0
    unmet: list[str] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    compile_seconds: float = 0.0
    compile_failure: str = ""
    skipped: str = ""
    #: classes below a class that has a missing-class error: name -> (the failed ancestors,
    #: how many errors the compile reported for the class itself)
    cascade: dict[str, tuple[list[str], int]] = field(default_factory=dict)


# --- locating an error in its file -----------------------------------------------------------

_MEMBER = re.compile(r"^\s*(?:Class)?Method\s+(\"[^\"]+\"|[%\w]+)\s*\(|"
                     r"^\s*(?:Query|Trigger|ClientMethod)\s+(\"[^\"]+\"|[%\w]+)", re.IGNORECASE)


def locate(error: CompileError, served: Served) -> Located:
    """The file of the error's document and the line ``where`` points at: a line number, or
    ``Label+offset`` counted from the line of the member's opening brace."""
    by_name = {d.name: rel for rel, d in served.declared.items() if d is not None}
    rel = by_name.get(error.doc, "")
    if not rel:
        return Located(error)
    lines = re.split(r"\r\n|\n|\r", text_of((served.original / rel).read_bytes()))
    line = 0
    where = error.where
    if where.isdigit():
        line = int(where)
    elif where:
        label, _, offset = where.partition("+")
        shift = int(offset) if offset.isdigit() else 0
        line = (_member_line(lines, label, shift) if rel.lower().endswith(".cls")
                else _label_line(lines, label, shift))
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return Located(error, rel, line, text, _class_context(lines))


_HEAD = re.compile(r"^(Include|IncludeGenerator)\s+(.*?)\s*$|^Class\s+\S+(?:\s+Extends\s+"
                   r"(\([^)]*\)|\S+))?", re.IGNORECASE)


def _class_context(lines: Sequence[str]) -> str:
    """``Include a,b; Extends X`` of a class file (empty for a routine)."""
    parts = []
    for line in lines[:80]:
        match = _HEAD.match(line)
        if not match:
            continue
        if match.group(1):
            parts.append(f"{match.group(1)} {match.group(2).strip('()')}")
            continue
        if match.group(3):
            parts.append(f"Extends {match.group(3).strip('()')}")
        break
    return "; ".join(parts)


def _member_line(lines: Sequence[str], member: str, offset: int) -> int:
    """The line ``offset`` lines below the opening brace of the member's body."""
    for number, line in enumerate(lines, 1):
        match = _MEMBER.match(line)
        if match and (match.group(1) or match.group(2) or "").strip('"') == member:
            for brace in range(number, min(number + 40, len(lines)) + 1):
                if lines[brace - 1].strip().startswith("{"):
                    return brace + offset
    return 0


def _label_line(lines: Sequence[str], label: str, offset: int) -> int:
    """The line ``offset`` lines below the routine label (a label starts its line)."""
    pattern = re.compile(rf"{re.escape(label)}(?![\w%])")
    for number, line in enumerate(lines, 1):
        if pattern.match(line):
            return number + offset
    return 0


# --- running ---------------------------------------------------------------------------------

def run_corpus(name: str, folder: Path, scratch: Path) -> CorpusResult:
    expectations = load_expectations().get(name, [])
    with serve(folder, scratch / "a") as box:
        result = CorpusResult(name, len(box.declared))
        result.names = check_names(box)
        result.trips = round_trip(box)
    with serve(folder, scratch / "c") as box:
        run = compile_all(box, box.names())
        result.compile_seconds = run.seconds
        result.compile_failure = run.failure
        verdict = judge(error_units(run), expectations)
        result.errors = [locate(e, box) for e in verdict.unexpected]
        result.expected = len(verdict.expected)
        result.unmet = [f"{e.doc}: {list(e.match)}" for e in verdict.unmet]
        result.changes = tree_changes(box.original, box.ws)
        result.cascade = cascade(box, [*verdict.expected, *verdict.unexpected])
    return result


def superclasses(served: Served) -> dict[str, list[str]]:
    """Class name -> its superclasses as written (from each class file's header)."""
    found: dict[str, list[str]] = {}
    for rel, decl in served.declared.items():
        if decl is None or decl.how != "class":
            continue
        lines = re.split(r"\r\n|\n|\r", text_of((served.original / rel).read_bytes()))
        context = _class_context(lines)
        supers = next((part[len("Extends "):] for part in context.split("; ")
                       if part.startswith("Extends ")), "")
        name = decl.name[:-4]
        package = name.rpartition(".")[0]
        found[name] = [s.strip() if "." in s or s.strip().startswith("%") else
                       f"{package}.{s.strip()}" for s in supers.split(",") if s.strip()]
    return found


def cascade(served: Served, errors: Sequence[CompileError]) -> dict[str, tuple[list[str], int]]:
    """Classes of the corpus that inherit (at any depth) from a class the compile reported a
    missing class (#5373) for: IRIS cannot compile them either, so it skips them."""
    failed = {e.doc[:-4] for e in errors if e.code == "5373" and e.doc.endswith(".cls")}
    supers = superclasses(served)
    counts = Counter(e.doc for e in errors)

    def ancestors(name: str, seen: set[str]) -> set[str]:
        out: set[str] = set()
        for parent in supers.get(name, []):
            if parent not in seen:
                seen.add(parent)
                out |= {parent} | ancestors(parent, seen)
        return out

    found = {}
    for name in sorted(supers):
        bad = sorted(ancestors(name, set()) & failed)
        if bad and name not in failed:
            found[name] = (bad, counts.get(f"{name}.cls", 0))
    return found


def collect(names: Sequence[str]) -> list[CorpusResult]:
    entries, cache = load_entries(), cache_dir()
    results = []
    for name in names or list(entries):
        entry = entries[name]
        try:
            folder = materialise_pypi(entry, cache) if entry.kind == "pypi" else present(
                entry, cache)
        except CorpusError as exc:
            results.append(CorpusResult(name, 0, skipped=str(exc)))
            continue
        if folder is None:
            results.append(CorpusResult(name, 0, skipped="not extracted"))
            continue
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as scratch:
            results.append(run_corpus(name, folder, Path(scratch)))
        print(f"{name}: done in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return results


# --- grouping --------------------------------------------------------------------------------

_MISSING_CLASS = re.compile(r"#5373: Class '([^']+)', used by '([^']+)'")
_UNDEFINED_MACRO = re.compile(r"Referenced macro not defined: '([^']+)'")
_NO_INCLUDE = re.compile(r"No include file '([^']+)'")


def group_key(error: CompileError) -> tuple[str, str]:
    """(family, key): errors of one family and key have one cause."""
    text = error.text
    match = _MISSING_CLASS.search(text)
    if match:
        return "missing class (#5373)", match.group(1)
    match = _UNDEFINED_MACRO.search(text)
    if match:
        return "undefined macro (MPP5610)", match.group(1)
    match = _NO_INCLUDE.search(text)
    if match:
        return "missing include file (MPP5635)", match.group(1)
    if error.code.isdigit() and 1000 <= int(error.code) < 2000:
        return f"syntax error #{error.code}", _mask(text)
    return f"other #{error.code}" if error.code else "other", _mask(text)


def _mask(text: str) -> str:
    """The message with names, numbers and quoted values masked, so like errors group."""
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\b\d+\b", "N", text)
    return text[:160]


def is_system(name: str) -> bool:
    return name.startswith(SYSTEM_PACKAGES) and not name.startswith(NOT_SYSTEM)


def render(results: Sequence[CorpusResult]) -> str:
    out = ["# Real-code corpus: failure report", "",
           f"Generated by `python -m corpus.report` (tests/corpus/report.py) on "
           f"{time.strftime('%Y-%m-%d %H:%M')}, against the working tree. Same checks as "
           "`tests/corpus/test_corpus.py`; default settings; compile through `/work`, flags "
           "`cuk`, every declared document in one request.", "",
           "| corpus | files | (a) names | (b) round trip | (c) compile errors (unexpected / "
           "expected) | docs with errors | (d) changed files | compile s |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        if r.skipped:
            out.append(f"| {r.name} | skipped: {r.skipped} | | | | | | |")
            continue
        docs = len({e.error.doc for e in r.errors})
        out.append(f"| {r.name} | {r.files} | {len(r.names)} | {len(r.trips)} | "
                   f"{len(r.errors)} / {r.expected} | {docs} | {len(r.changes)} | "
                   f"{r.compile_seconds:.1f} |")
    out += ["", "## Compile errors across all corpora, grouped", ""]
    out += _render_groups([e for r in results for e in r.errors], results)
    for r in results:
        if r.skipped:
            continue
        out += ["", f"## {r.name}", ""]
        if r.compile_failure:
            out.append(f"**The compile did not run:** {r.compile_failure}")
        out += _render_list("(a) names", r.names)
        out += _render_list("(b) round trip", r.trips)
        out += _render_list("(d) files changed by the compile", r.changes)
        if r.unmet:
            out += _render_list("(c) expected errors not reported", r.unmet)
        out += [f"### (c) compile errors: {len(r.errors)} ({r.expected} expected ones not "
                "counted)", ""]
        out += _render_groups(r.errors, [r], per_corpus=True)
        if r.cascade:
            silent = sum(1 for _, n in r.cascade.values() if n == 0)
            out += [f"### Below a class with a missing class: {len(r.cascade)} classes "
                    f"({len(r.cascade) - silent} report errors of their own, {silent} compile "
                    "without any)", ""]
            out += [f"- `{name}` (below {', '.join(bad)}): {n} errors"
                    for name, (bad, n) in r.cascade.items()]
            out.append("")
    return "\n".join(out) + "\n"


def _render_list(title: str, items: Sequence[object], limit: int = 15) -> list[str]:
    out = [f"### {title}: {len(items)}", ""]
    if not items:
        return out
    kinds = Counter(str(item).split(":", 1)[0] for item in items)
    out.append("By kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + ".")
    out.append("")
    out += [f"- `{item}`" for item in items[:limit]]
    if len(items) > limit:
        out.append(f"- … and {len(items) - limit} more")
    out.append("")
    return out


def _render_groups(errors: Sequence[Located], results: Sequence[CorpusResult],
                   per_corpus: bool = False) -> list[str]:
    if not errors:
        return ["None.", ""]
    owner = {id(e): r.name for r in results for e in r.errors}
    families: dict[str, dict[str, list[Located]]] = defaultdict(lambda: defaultdict(list))
    for located in errors:
        family, key = group_key(located.error)
        families[family][key].append(located)
    out: list[str] = []
    for family, groups in sorted(families.items(), key=lambda kv: -sum(map(len, kv[1].values()))):
        total = sum(map(len, groups.values()))
        out += [f"#### {family}: {total} errors, {len(groups)} distinct", ""]
        out += ["| key | errors | docs | corpora | samples (file:line, the line) |",
                "| --- | ---: | ---: | --- | --- |"]
        limit = 60 if not per_corpus else 20
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for key, items in ordered[:limit]:
            docs = len({i.error.doc for i in items})
            corpora = ", ".join(sorted({owner.get(id(i), "") for i in items}))
            label = key
            if family.startswith("missing class"):
                label += " (IRIS library)" if is_system(key) else " (not IRIS: third-party)"
            samples = "; ".join(_sample(i) for i in items[:2])
            out.append(f"| `{_cell(label)}` | {len(items)} | {docs} | {corpora} | {samples} |")
        if len(ordered) > limit:
            rest = ordered[limit:]
            out.append(f"| … {len(rest)} more keys | {sum(len(v) for _, v in rest)} | | | |")
        out.append("")
    return out


def _sample(located: Located) -> str:
    text = f" `{_cell(located.text[:70])}`" if located.text else ""
    if not text and located.error.source:
        text = f" `{_cell(located.error.source[:70])}`"
    extra = ""
    family = group_key(located.error)[0]
    if located.error.text and family.startswith(("syntax", "other")):
        extra = f" — {_cell(located.error.text[:90])}"
    if located.context and family.startswith("undefined macro"):
        extra += f" [{_cell(located.context[:90])}]"
    return f"{located.at}{text}{extra}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpora (default: every one present)")
    parser.add_argument("--out", default="", help="write the Markdown here (default: stdout)")
    parser.add_argument("--json", default="", help="also write the raw results as JSON")
    args = parser.parse_args(argv)
    results = collect(args.names)
    text = render(results)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1,
                                              default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
