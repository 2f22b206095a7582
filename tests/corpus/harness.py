"""Serving one corpus and checking it: what ``test_corpus.py`` asserts and ``report.py``
summarises. Each check returns the problems it found (empty: the corpus passes it).

The server is the real app (Flask test client) with default settings on a copy of the
corpus; names are checked against ``headers.declared_name``, written apart from the server.
"""

from __future__ import annotations

import base64
import re
import shutil
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from spaces import SessionClient

from atelier_api.app import create_app
from atelier_api.config import load_settings

from .headers import Declared, declared_name, text_of

HERE = Path(__file__).resolve().parent
EXPECTATIONS_FILE = HERE / "expectations.toml"
NAMESPACE = "USER"
FLAGS = "cuk"
COMPILE_DEADLINE = 900.0  # seconds; the server's own time limit (600 s) comes first


# --- serving ---------------------------------------------------------------------------------

@dataclass
class Served:
    """A corpus copy served by a fresh app: the original folder, the copy, a logged-in
    client, and every file's declared name (root-relative posix path -> Declared)."""

    original: Path
    ws: Path
    client: SessionClient
    declared: dict[str, Declared | None]

    def url(self, rest: str) -> str:
        return f"/api/atelier/v8/{NAMESPACE}/{rest}"

    def names(self) -> list[str]:
        """Every declared name, sorted (files without a declaration left out)."""
        return sorted({d.name for d in self.declared.values() if d is not None})


def source_files(root: Path) -> list[str]:
    """Every file under ``root`` as a root-relative posix path, sorted."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def declarations(root: Path) -> dict[str, Declared | None]:
    """The declared name of every file under ``root``."""
    return {rel: declared_name(root / rel) for rel in source_files(root)}


@contextmanager
def serve(original: Path, scratch: Path) -> Iterator[Served]:
    """Copy ``original`` to ``scratch/ws`` and serve the copy as namespace USER with default
    settings (but the file watcher, which a test does not need); closed on exit."""
    ws, state = scratch / "ws", scratch / "state"
    shutil.copytree(original, ws)
    state.mkdir()
    settings = load_settings(env={"ATELIER_STATE_DIR": str(state), "ATELIER_WATCH": "false"},
                             cli_namespaces=[f"{NAMESPACE}={ws}"])
    app = create_app(settings)
    client = SessionClient(app, app.test_client(use_cookies=False))
    client.login()
    try:
        yield Served(original, ws, client, declarations(original))
    finally:
        client.svc.close()


def _json(resp: Any) -> Any:
    """The JSON body, or None when there is none."""
    return resp.get_json(force=True, silent=True)


def _summary(resp: Any) -> str:
    body = _json(resp)
    if isinstance(body, dict) and isinstance(body.get("status"), dict):
        text = body["status"].get("summary") or ""
        if text:
            return str(text)
    return str(resp.get_data(as_text=True))[:200]


# --- (a) names -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NameProblem:
    """``kind``: ``undeclared`` (a class file without a class header), ``duplicate`` (two
    files declare one name), ``missing`` (a declared name is not listed), ``unexpected`` (a
    listed name no file declares), ``listing`` (docnames failed)."""

    kind: str
    name: str
    path: str = ""
    detail: str = ""

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.kind}: {self.name}{where}{': ' + self.detail if self.detail else ''}"


def listed_names(served: Served) -> tuple[list[dict[str, Any]], str]:
    """The docnames listing (non-generated documents), or an error text."""
    resp = served.client.call("GET", served.url("docnames/*/*"),
                              query_string={"generated": "0"})
    body = _json(resp)
    if resp.status_code != 200 or not isinstance(body, dict):
        return [], f"GET docnames answered {resp.status_code}: {_summary(resp)}"
    return list(body["result"]["content"]), ""


def check_names(served: Served) -> list[NameProblem]:
    """(a) every file is listed under the name its header declares, and nothing else is."""
    problems: list[NameProblem] = []
    by_name: dict[str, list[str]] = {}
    for rel, decl in served.declared.items():
        if decl is None:
            problems.append(NameProblem("undeclared", rel, rel, "no class header found"))
        else:
            by_name.setdefault(decl.name, []).append(rel)
    for name, paths in by_name.items():
        if len(paths) > 1:
            problems.append(NameProblem("duplicate", name, paths[0], ", ".join(paths[1:])))
    listing, error = listed_names(served)
    if error:
        return [*problems, NameProblem("listing", "docnames", "", error)]
    listed = {entry["name"] for entry in listing}
    lowered = {name.lower(): name for name in listed}
    unexplained = set(listed)
    for name, paths in sorted(by_name.items()):
        if name in listed:
            unexplained.discard(name)
            continue
        near = lowered.get(name.lower())
        detail = f"listed as {near}" if near else "not listed"
        if near:
            unexplained.discard(near)
        problems.append(NameProblem("missing", name, paths[0], detail))
    for name in sorted(unexplained):
        problems.append(NameProblem("unexpected", name, "", "listed, but no file declares it"))
    return problems


# --- (b) round trip --------------------------------------------------------------------------

@dataclass(frozen=True)
class TripProblem:
    """``step``: ``get`` (GET failed), ``text`` (GET's text is not the file's), ``put``
    (the unchanged PUT failed), ``changed`` (a file differs afterwards)."""

    step: str
    name: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.step}: {self.name} ({self.path}): {self.detail}"


def _text_lines(data: bytes) -> list[str]:
    lines = re.split(r"\r\n|\n|\r", text_of(data))
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _content_lines(doc: Mapping[str, Any]) -> list[str] | None:
    content = doc.get("content")
    if not isinstance(content, list):
        return None
    if doc.get("enc"):
        try:
            return _text_lines(b"".join(base64.b64decode(chunk) for chunk in content))
        except (ValueError, TypeError):
            return None
    lines = [str(x) for x in content]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def expected_text(decl: Declared, data: bytes) -> list[str]:
    """The lines a GET (UDL, the default format) should answer for a file: its own lines;
    for a routine in the %RO format, the UDL header line and the routine's lines (those
    after its ``Name^TYPE^...`` line, up to the blank line that ends it)."""
    lines = _text_lines(data)
    if decl.how != "ro":
        return lines
    body = lines[decl.line:]
    if "" in body:
        body = body[:body.index("")]
    stem, _, ext = decl.name.rpartition(".")
    return [f"ROUTINE {stem} [Type={ext.upper()}]", *body]


def first_difference(a: Sequence[str], b: Sequence[str]) -> str:
    """Where two line lists first differ, as ``line N: 'a' != 'b'``."""
    for number, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x != y:
            return f"line {number}: {x[:80]!r} != {y[:80]!r}"
    return f"{len(a)} lines != {len(b)} lines"


def round_trip(served: Served) -> list[TripProblem]:
    """(b) GET each declared document, PUT it back unchanged (``If-None-Match`` = its ts, as
    VS Code saves), then compare every file with the original byte for byte."""
    problems: list[TripProblem] = []
    for rel, decl in sorted(served.declared.items()):
        if decl is None:
            continue
        url = served.url("doc/" + quote(decl.name, safe="./"))
        resp = served.client.call("GET", url)
        body = _json(resp)
        doc = body.get("result") if isinstance(body, dict) else None
        if resp.status_code != 200 or not isinstance(doc, dict) or doc.get("status"):
            problems.append(TripProblem("get", decl.name, rel,
                                        f"HTTP {resp.status_code}: {_summary(resp)}"))
            continue
        got = _content_lines(doc)
        want = expected_text(decl, (served.original / rel).read_bytes())
        if got != want:
            detail = "no content" if got is None else first_difference(got, want)
            problems.append(TripProblem("text", decl.name, rel, f"GET text is not the file's: "
                                        f"{detail}"))
        put = served.client.call("PUT", url, query_string={"ignoreConflict": "0"},
                                 headers={"If-None-Match": str(doc.get("ts", ""))},
                                 json={"enc": bool(doc.get("enc")), "content": doc["content"]})
        answer = _json(put)
        result = answer.get("result") if isinstance(answer, dict) else None
        status = result.get("status") if isinstance(result, dict) else "no result"
        if put.status_code != 200 or status:
            problems.append(TripProblem("put", decl.name, rel, f"HTTP {put.status_code}: "
                                        f"{status or _summary(put)}"))
    for change in tree_changes(served.original, served.ws):
        name = served.declared.get(change.path)
        problems.append(TripProblem("changed", name.name if name else "-", change.path,
                                    f"{change.kind}: {change.detail}"))
    return problems


# --- (d) files unchanged ---------------------------------------------------------------------

@dataclass(frozen=True)
class FileChange:
    """``kind``: ``changed``, ``added`` or ``removed``; ``detail`` where it first differs."""

    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}{': ' + self.detail if self.detail else ''}"


def tree_changes(original: Path, copy: Path) -> list[FileChange]:
    """Every file of ``copy`` that differs from ``original`` (or is new, or is gone)."""
    before, after = set(source_files(original)), set(source_files(copy))
    changes = [FileChange("removed", rel) for rel in sorted(before - after)]
    changes += [FileChange("added", rel) for rel in sorted(after - before)]
    for rel in sorted(before & after):
        old, new = (original / rel).read_bytes(), (copy / rel).read_bytes()
        if old != new:
            changes.append(FileChange("changed", rel, _byte_difference(old, new)))
    return changes


def _byte_difference(old: bytes, new: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y),
              min(len(old), len(new)))
    line = old.count(b"\n", 0, at) + 1
    start = old.rfind(b"\n", 0, at) + 1
    return (f"line {line}: {old[start:start + 60]!r} -> {new[start:start + 60]!r} "
            f"({len(old)} -> {len(new)} bytes)")


# --- (c) compile -----------------------------------------------------------------------------

@dataclass
class CompileRun:
    """One compile of every declared document through /work (as VS Code does)."""

    status: int
    console: list[str]
    errors: list[dict[str, Any]]  # status.errors of the final poll
    changed_docs: list[str]  # result.content names: documents whose text the compile changed
    seconds: float
    failure: str = ""  # the request itself failed (no compile result)


def compile_all(served: Served, names: Sequence[str], flags: str = FLAGS) -> CompileRun:
    """POST /work {"request": "compile", "documents": names, "flags": flags}, then poll
    until an answer has no Retry-After; the console of every poll is kept."""
    start = time.monotonic()
    resp = served.client.call("POST", served.url("work"), json={
        "request": "compile", "documents": list(names), "flags": flags, "source": False})
    if resp.status_code != 202 or "Location" not in resp.headers:
        return CompileRun(resp.status_code, [], [], [], 0.0,
                          f"POST /work answered {resp.status_code}: {_summary(resp)}")
    job = resp.headers["Location"]
    console: list[str] = []
    deadline = start + COMPILE_DEADLINE
    while True:
        poll = served.client.call("GET", served.url(f"work/{job}"))
        body = _json(poll)
        if poll.status_code != 200 or not isinstance(body, dict):
            return CompileRun(poll.status_code, console, [], [], time.monotonic() - start,
                              f"GET /work/{job} answered {poll.status_code}: {_summary(poll)}")
        console += [str(x) for x in body.get("console", [])]
        if "Retry-After" not in poll.headers:
            break
        if time.monotonic() > deadline:
            return CompileRun(poll.status_code, console, [], [], time.monotonic() - start,
                              f"still running after {COMPILE_DEADLINE:.0f}s")
        time.sleep(0.02)
    result = body.get("result")
    content = result.get("content") if isinstance(result, dict) else None
    changed = [str(d.get("name")) for d in content] if isinstance(content, list) else []
    return CompileRun(poll.status_code, console, list(body["status"]["errors"]), changed,
                      time.monotonic() - start)


@dataclass
class CompileError:
    """One error the compile reported: the document it belongs to, its number (``5373``,
    ``MPP5635``, ``1003`` ...), its text, where in the document (``Method+3``, ``12``) and
    the source line the console quoted (`` TEXT:`` lines)."""

    doc: str
    code: str
    text: str
    where: str = ""
    source: str = ""

    def __str__(self) -> str:
        at = f"({self.where})" if self.where else ""
        return f"{self.doc}{at}: {self.text}"


_COMPILING = re.compile(r"^Compiling (class|routine) (?:: )?(\S+)$")
_CODE_ERROR = re.compile(r"^ERROR: ([^\s(]+?\.[A-Za-z0-9]+)(?=[(\s])(?:\(([^)]*)\))?\s*(.*)$")
_CLASS_ERROR = re.compile(r"^ERROR #(\d+):\s*(.*)$")
_FOR_CLASS = re.compile(r"^\s+> ERROR #5030: .*class '([^']+)'")
_CODE = re.compile(r"#(\d+)|\b(MPP\d+)\b|\b([A-Z]{2,}\d{3,})\b")


def parse_console(console: Sequence[str]) -> list[CompileError]:
    """Every error line of a compile console, each attributed to its document.

    ``ERROR: Doc.ext(where) ...`` names its document; ``ERROR #N: ...`` belongs to the class
    the ``  > ERROR #5030 ... class 'X'`` line after it names, else to the document being
    compiled; a `` TEXT:`` line quotes the source line of the error before it.
    """
    errors: list[CompileError] = []
    current = ""
    for number, line in enumerate(console):
        compiling = _COMPILING.match(line)
        if compiling:
            kind, name = compiling.groups()
            if kind == "class":
                current = f"{name}.cls"
            elif "." in name and name.rsplit(".", 1)[1].isdigit():
                current = f"{name.rsplit('.', 1)[0]}.cls"  # a class's generated routine
            else:
                current = name
            continue
        code_error = _CODE_ERROR.match(line)
        if code_error:
            doc, where, text = code_error.groups()
            errors.append(CompileError(doc, _code(text), text.strip(" :"), where or ""))
            continue
        class_error = _CLASS_ERROR.match(line)
        if class_error:
            doc = current
            following = console[number + 1] if number + 1 < len(console) else ""
            owner = _FOR_CLASS.match(following)
            if owner:
                doc = f"{owner.group(1)}.cls"
            errors.append(CompileError(doc, class_error.group(1),
                                       f"#{class_error.group(1)}: {class_error.group(2)}"))
            continue
        if line.startswith(" TEXT:") and errors:
            errors[-1].source = line[len(" TEXT:"):].strip()
    return errors


def _code(text: str) -> str:
    match = _CODE.search(text)
    return next((g for g in match.groups() if g), "") if match else ""


def error_units(run: CompileRun) -> list[CompileError]:
    """The errors a compile reported: the console's, plus any ``status.errors`` entry whose
    document has no error line in the console (so nothing is lost when the console is
    terse)."""
    units = parse_console(run.console)
    seen = {e.doc for e in units}
    for entry in run.errors:
        params = entry.get("params") or [""]
        doc = str(params[0])
        if doc not in seen:
            text = str(entry.get("error", "")).split("\n")[0]
            units.append(CompileError(doc, str(entry.get("code", "")), text))
    return units


# --- expectations ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Expectation:
    """An error IRIS reports too, for a real missing third-party dependency: the document,
    fragments that all appear in the error text, and the reason."""

    corpus: str
    doc: str
    match: tuple[str, ...]
    reason: str

    def covers(self, error: CompileError) -> bool:
        return error.doc == self.doc and all(f in error.text for f in self.match)


def load_expectations(path: Path = EXPECTATIONS_FILE) -> dict[str, list[Expectation]]:
    """``expectations.toml``: per corpus, a list of ``{doc, match, reason}`` tables."""
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    found: dict[str, list[Expectation]] = {}
    for corpus, rows in table.items():
        if not isinstance(rows, list):
            raise ValueError(f"{path.name}: [{corpus}] must be an array of tables ([[{corpus}]])")
        for row in rows:
            if set(row) != {"doc", "match", "reason"}:
                raise ValueError(f"{path.name}: [[{corpus}]] needs exactly doc, match, reason; "
                                 f"got {sorted(row)}")
            match = row["match"]
            match = (match,) if isinstance(match, str) else tuple(str(m) for m in match)
            if not str(row["reason"]).strip() or not match or not all(match):
                raise ValueError(f"{path.name}: [[{corpus}]] {row['doc']}: an empty match or "
                                 "reason")
            found.setdefault(corpus, []).append(
                Expectation(corpus, str(row["doc"]), match, " ".join(str(row["reason"]).split())))
    return found


@dataclass
class Verdict:
    """The compile's errors split by the expectations."""

    unexpected: list[CompileError] = field(default_factory=list)
    expected: list[CompileError] = field(default_factory=list)
    unmet: list[Expectation] = field(default_factory=list)  # listed, but not reported


def judge(errors: Sequence[CompileError], expectations: Sequence[Expectation]) -> Verdict:
    verdict = Verdict()
    met: set[int] = set()
    for error in errors:
        hits = [i for i, exp in enumerate(expectations) if exp.covers(error)]
        met.update(hits)
        (verdict.expected if hits else verdict.unexpected).append(error)
    verdict.unmet = [exp for i, exp in enumerate(expectations) if i not in met]
    return verdict


def shown(items: Sequence[object], limit: int = 40) -> str:
    """At most ``limit`` items, one a line, and how many more."""
    lines = [f"  {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)
