"""Standalone routines: ``x.mac`` -> macro preprocessor -> ``x.int`` (generated); ``x.int``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from atelier_api.adapters.contract import CompileError, DocOutcome, GeneratedDoc, Outcome, SourceDoc
from compiler_stub import console
from compiler_stub.checks.syntax import SyntaxIssue, routine_issues
from compiler_stub.classunit import Lines, include_lookup
from compiler_stub.generation.intcode import mac_to_int
from compiler_stub.library.bundle import Library
from compiler_stub.macros.preprocessor import (
    DEFINE_RE,
    INCLUDE_RE,
    UNDEF_RE,
    IncludeLookup,
    MacroDef,
    MacroTable,
    directive,
    uses,
)
from compiler_stub.qspec import Qspec
from compiler_stub.resolution.world import ClassWorld

_LABEL_RE = re.compile(r"^([%A-Za-z0-9]+)")


def is_routine(name: str) -> bool:
    """True for .mac, .int and .inc documents."""
    return name.lower().rsplit(".", 1)[-1] in ("mac", "int", "inc")


@dataclass
class RoutineJob:
    """One routine document and what its compile produced."""

    doc: SourceDoc
    errors: list[CompileError] = field(default_factory=list)
    generated: list[GeneratedDoc] = field(default_factory=list)
    skipped: bool = False

    @property
    def routine(self) -> str:
        """Routine name (document name without extension)."""
        return self.doc.name.rpartition(".")[0]

    def outcome(self) -> DocOutcome:
        """The outcome of this routine."""
        if self.skipped:
            return DocOutcome(self.doc.name, Outcome.SKIPPED)
        if self.errors:
            first = self.errors[0].display
            status = f"ERROR #5475: Error compiling routine: {self.routine}. Errors: {first}"
            return DocOutcome(self.doc.name, Outcome.FAILED, status, tuple(self.errors))
        return DocOutcome(self.doc.name, Outcome.COMPILED, generated=tuple(self.generated))


def label_ref(lines: list[str], row: int, routine: str) -> str:
    """``label+offset^routine`` for a 0-based row (``+row^routine`` before any label)."""
    for r in range(row, -1, -1):
        m = _LABEL_RE.match(lines[r])
        if m and not lines[r].upper().startswith("ROUTINE "):
            return f"{m.group(1)}+{row - r}^{routine}"
    return f"+{row}^{routine}"


def _macro_pass(job: RoutineJob, table: MacroTable, lookup: IncludeLookup,
                q: Qspec) -> list[SyntaxIssue]:
    """Apply directives in order; return every use of an undefined macro."""
    for name, value in q.defines:
        table.defs[name] = MacroDef(name, None, value, "", 0, (f"#define {name} {value}",))
    lines, found, row = job.doc.lines, [], 0
    while row < len(lines):
        line = lines[row]
        if DEFINE_RE.match(line) or UNDEF_RE.match(line) or INCLUDE_RE.match(line):
            row = directive(table, lines, row, job.doc.name, lookup) + 1
            continue
        for col, name in uses(line):
            if name not in table.defs:
                found.append(SyntaxIssue(row, col, "MPP5610",
                                         f"Referenced macro not defined: '{name}'", name))
        row += 1
    return found


def _error(job: RoutineJob, issue: SyntaxIssue, int_lines: list[str], int_row: int) -> Lines:
    """Record one error of a routine and return its console lines."""
    where = str(issue.row + 1)
    if issue.code.startswith("MPP"):
        display = console.mpp_error(job.doc.name, where, issue.code, issue.text)
        out: Lines = [("error", display)]
    else:
        ref = label_ref(int_lines, int_row, job.routine) if int_row >= 0 else job.routine
        display = console.code_error(job.doc.name, where, issue.code, issue.text, issue.token,
                                     issue.col + 1, ref)
        text = job.doc.lines[issue.row] if issue.row < len(job.doc.lines) else ""
        out = [("error", display), ("error", f" TEXT: {text}")]
    job.errors.append(CompileError(issue.code, issue.text, job.doc.name, "", issue.row + 1,
                                   issue.col + 1, (issue.token,), display))
    return out


def compile_routine(job: RoutineJob, world: ClassWorld, library: Library, q: Qspec) -> Lines:
    """Compile one routine document (.inc documents produce nothing)."""
    ext = job.doc.name.rsplit(".", 1)[-1].lower()
    if ext == "inc":
        return []
    if q.checkuptodate == "all" and job.doc.upd:
        job.skipped = True
        return [("log", f"{job.routine}.int is up to date. Compile of this item skipped.")]
    out: Lines = [("log", f"Compiling routine : {job.doc.name}")]
    lines = list(job.doc.lines)
    table = MacroTable()
    lookup = include_lookup(world, library)
    issues = _macro_pass(job, table, lookup, q) if ext == "mac" else []
    for name, line in table.missing:
        text = f"No include file '{name}'"
        display = console.mpp_error(job.doc.name, str(line), "MPP5635", text)
        job.errors.append(CompileError("MPP5635", text, job.doc.name, "", line, 0, (name,),
                                       display))
        out.append(("error", display))
    int_lines, rows = mac_to_int(job.doc.name, lines, table) if ext == "mac" else (
        lines, list(range(len(lines))))
    found = {i.row: i for i in issues}
    for issue in routine_issues(lines):
        found.setdefault(issue.row, issue)
    for row in sorted(found):
        out += _error(job, found[row], int_lines, rows[row] if row < len(rows) else -1)
    if not job.errors and ext == "mac":
        job.generated.append(GeneratedDoc(f"{job.routine}.int", tuple(int_lines), job.doc.name))
    return out
