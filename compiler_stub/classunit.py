"""One class through the compile phases: class (dictionary), table (storage), routine (code)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from atelier_api.adapters.contract import CompileError, GeneratedDoc, SourceDoc
from compiler_stub import console
from compiler_stub.checks.classes import class_findings, missing
from compiler_stub.checks.syntax import SyntaxIssue, class_issues
from compiler_stub.generation.intcode import GENERATOR_MODES, class_routine
from compiler_stub.generation.storage import generate, merge, place
from compiler_stub.library.bundle import Library
from compiler_stub.macros.preprocessor import (
    DEFINE_RE,
    INCLUDE_RE,
    UNDEF_RE,
    IncludeLookup,
    MacroDef,
    MacroTable,
    directive,
    include,
    uses,
)
from compiler_stub.qspec import Qspec
from compiler_stub.reading.model import ClassModel, Member
from compiler_stub.reading.outline import ClassSource
from compiler_stub.resolution.world import ClassWorld

PARSE_5559 = ("The class definition for class '{}' could not be parsed correctly, possibly due "
              "to non-matching {{}} or () characters.")
Lines = list[tuple[str, str]]  # (kind 'log'|'error', text)


@dataclass
class ClassJob:
    """A class being compiled and what the phases found and produced."""

    doc: SourceDoc
    name: str
    src: ClassSource
    expanded: bool = False
    errors: list[CompileError] = field(default_factory=list)
    new_lines: list[str] | None = None
    storage: list[str] = field(default_factory=list)
    generated: list[GeneratedDoc] = field(default_factory=list)

    @property
    def model(self) -> ClassModel:
        """The class model (only called once the class phase passed)."""
        assert self.src.model is not None
        return self.src.model


def class_phase(job: ClassJob, world: ClassWorld) -> Lines:
    """Structure (#5559) and class-level checks; prints ``Compiling class X``."""
    if job.src.model is None or job.src.problem is not None:
        row, member = job.src.problem or (0, "")
        text = PARSE_5559.format(job.name)
        _add(job, "5559", text, (job.name,), member, row + 1, 1, console.class_error("5559", text))
        return [("error", job.errors[-1].display), ("error", console.wrapped_5030(job.name))]
    out: Lines = [("log", f"Compiling class {job.name}")]
    for f in class_findings(world, job.model, job.doc.name):
        _add(job, f.code, f.text, f.params, f.member, f.row + 1, 0,
             console.class_error(f.code, f.text))
        out += [("error", job.errors[-1].display), ("error", console.wrapped_5030(job.name))]
    return out


def superclass_failed(job: ClassJob, failed: str) -> Lines:
    """A class whose superclass (at any depth) failed to compile in the same run: #5373 for
    that class, which has no compiled form to inherit from [REC: the frame IRIS uses for a
    superclass it cannot find; the class is not compiled further, so no macro of its chain
    is expanded]."""
    f = missing(failed, f"{job.name}:super", "", job.model.row if job.src.model else 0)
    _add(job, f.code, f.text, f.params, f.member, f.row + 1, 0, console.class_error(f.code, f.text))
    return [("error", job.errors[-1].display), ("error", console.wrapped_5030(job.name))]


def _add(job: ClassJob, code: str, text: str, params: tuple[str, ...], member: str, line: int,
         column: int, display: str) -> None:
    """Record one error of this class."""
    job.errors.append(CompileError(code, text, job.doc.name, member, line, column, params,
                                   display))


def has_table(world: ClassWorld, model: ClassModel) -> bool:
    """True for classes that project an SQL table (persistent, with an extent)."""
    return (world.class_type(model.name) == "persistent" and not model.flag("Abstract")
            and not model.flag("NoExtent"))


def table_phase(job: ClassJob, world: ClassWorld) -> Lines:
    """Storage generation or extension; prints ``Compiling table S.T`` for persistent classes."""
    model = job.model
    current = next((m for m in model.members if m.kind == "storage" and m.segment), None)
    if current is not None and current.segment is not None:
        seg = current.segment
        storage = merge(world, model, list(model.lines[seg.start:seg.end + 1]))
    else:
        storage = generate(world, model)
    if storage is not None:
        job.storage = storage
        job.new_lines = place(list(model.lines), model, storage)
    if not has_table(world, model):
        return []
    return [("log", f"Compiling table {console.table_name(job.name, model.kw('SqlTableName'))}")]


def include_lookup(world: ClassWorld, library: Library) -> IncludeLookup:
    """Find an include file: the workspace first, then the bundled system files.

    Each name is looked up once per world: a compile reads the same includes for every class.
    """
    found: dict[str, tuple[str, tuple[str, ...]] | None] = world.memo("include files")

    def lookup(name: str) -> tuple[str, tuple[str, ...]] | None:
        if name not in found:
            doc = world.workspace.document(f"{name}.inc")
            lines = library.include(name) if doc is None else None
            found[name] = (doc.name, doc.lines) if doc is not None else (
                (f"{name}.inc", lines) if lines is not None else None)
        return found[name]
    return lookup


def class_macros(job: ClassJob, world: ClassWorld, library: Library, q: Qspec) -> MacroTable:
    """Macros in scope for a class: %occInclude, its (inherited) Include files, /defines.

    The table after the includes depends only on their names, so it is built once per world
    for each list of names and copied (unless an include is missing: that error names a row
    of this class).
    """
    names = tuple(world.includes(job.name))
    built: dict[tuple[str, ...], MacroTable] = world.memo("include macro tables")
    base = built.get(names)
    if base is not None:
        table = MacroTable(dict(base.defs), [], set(base.loaded))
    else:
        table = MacroTable()
        lookup = include_lookup(world, library)
        include(table, "%occInclude", 0, lookup)
        table.missing.clear()
        for name in names:
            include(table, name, _include_row(job.model, name) + 1, lookup)
        if not table.missing:
            built[names] = MacroTable(dict(table.defs), [], set(table.loaded))
    for name, value in q.defines:
        table.defs[name] = MacroDef(name, None, value, "", 0, (f"#define {name} {value}",))
    return table


def generator_macros(job: ClassJob, world: ClassWorld, library: Library,
                     table: MacroTable) -> MacroTable:
    """Macros in scope for the generator methods: the class's table plus its (inherited)
    IncludeGenerator files; the same table when there are none."""
    names = [n for n in world.include_generators(job.name) if n not in table.loaded]
    if not names:
        return table
    out = MacroTable(dict(table.defs), [], set(table.loaded))
    lookup = include_lookup(world, library)
    for name in names:
        include(out, name, _include_row(job.model, name, "IncludeGenerator") + 1, lookup)
    return out


def _include_row(model: ClassModel, name: str, keyword: str = "Include") -> int:
    """0-based row of the Include (or IncludeGenerator) statement naming ``name`` (the class
    row if inherited)."""
    for r, line in enumerate(model.lines[:model.row + 1]):
        if re.match(rf"(?i)^{keyword}\s", line) and re.search(
                rf"(?<![\w%]){re.escape(name)}\b", line):
            return r
    return model.row


def _macro_issues(member: Member, lines: tuple[str, ...], table: MacroTable, docname: str,
                  lookup: IncludeLookup) -> list[SyntaxIssue]:
    """Every use of an undefined macro in a member body (#define lines applied in order), as
    routines report them: one missing macro does not hide the next."""
    seg = member.segment
    assert seg is not None and seg.open_at and seg.close_at
    row, found = seg.open_at[0] + 1, []
    while row <= seg.close_at[0]:
        line = lines[row]
        if "#" in line and (DEFINE_RE.match(line) or UNDEF_RE.match(line)
                            or INCLUDE_RE.match(line)):
            row = directive(table, lines, row, docname, lookup) + 1
            continue
        for col, name in uses(line):
            if name not in table.defs:
                found.append(SyntaxIssue(row, col, "MPP5610",
                                         f"Referenced macro not defined: '{name}'", name,
                                         member.name))
        row += 1
    return found


def _code_error(job: ClassJob, issue: SyntaxIssue, member: Member) -> list[tuple[str, str]]:
    """Record a code error of a member and return its console lines."""
    assert member.segment is not None and member.segment.open_at is not None
    n = issue.row - member.segment.open_at[0]
    where = f"{member.name}+{n}"
    if issue.code.startswith("MPP"):
        display = console.mpp_error(job.doc.name, where, issue.code, issue.text)
        _add(job, issue.code, issue.text, (issue.token,), member.name, issue.row + 1,
             issue.col + 1, display)
        return [("error", display)]
    routine = f"{job.name}.{'G1' if member.codemode in GENERATOR_MODES else '1'}"
    display = console.code_error(job.doc.name, where, issue.code, issue.text, issue.token,
                                 issue.col + 1, f"z{member.name}+{n}^{routine}")
    _add(job, issue.code, issue.text, (issue.token,), member.name, issue.row + 1,
         issue.col + 1, display)
    return [("error", display), ("error", f" TEXT: {job.model.lines[issue.row]}")]


def routine_phase(job: ClassJob, world: ClassWorld, library: Library, q: Qspec,
                  now: datetime) -> Lines:
    """Macro and code errors, then the generated routines; prints ``Compiling routine X.1``."""
    model, out = job.model, []
    table = class_macros(job, world, library, q)
    gen_table = generator_macros(job, world, library, table)
    routine = class_routine(model, table, False, now)
    if routine is not None:
        out.append(("log", f"Compiling routine {job.name}.1"))
    for name, line in [*table.missing, *(gen_table.missing if gen_table is not table else [])]:
        text = f"No include file '{name}'"
        display = console.mpp_error(job.doc.name, str(line), "MPP5635", text)
        _add(job, "MPP5635", text, (name,), "", line, 0, display)
        out.append(("error", display))
    syntax = {i.member: i for i in class_issues(model, job.src)}
    lookup = include_lookup(world, library)
    for m in model.members:
        if not (m.is_code and m.segment and m.segment.open_at):
            continue
        scope = gen_table if m.codemode in GENERATOR_MODES else table
        found = _macro_issues(m, model.lines, scope, job.doc.name, lookup)
        first_syntax = syntax.get(m.name)
        if first_syntax is not None and (not found or (first_syntax.row, first_syntax.col) < (
                found[0].row, found[0].col)):
            found.insert(0, first_syntax)  # a syntax error before the macros still shows
        for issue in found:
            out += _code_error(job, issue, m)
    if not job.errors and q.keepsource:
        gen = class_routine(model, gen_table, True, now)
        for suffix, routine_lines in (("1", routine), ("G1", gen)):
            if routine_lines is not None:
                job.generated.append(GeneratedDoc(f"{job.name}.{suffix}.int",
                                                  tuple(routine_lines), job.doc.name))
    return out
