"""Generated INT routines: ``Pkg.Cls.1.int`` (methods), ``Pkg.Cls.G1.int`` (generators), MAC->INT.

Method bodies are copied line for line after their ``z<Method>`` label, so the INT offset of a
body line equals its ``Method+n`` offset in the class. Macros are expanded.
"""

from __future__ import annotations

from datetime import datetime

from compiler_stub.macros.preprocessor import DEFINE_RE, INCLUDE_RE, UNDEF_RE, MacroTable, expand
from compiler_stub.reading.model import ClassModel, Member

GENERATOR_MODES = ("generator", "objectgenerator")


def _formal(member: Member) -> str:
    """The INT formal list: names with defaults (ByRef/Output are conventions, not syntax)."""
    parts = [f"{a.name}={a.default}" if a.default else a.name for a in member.args]
    return ",".join(parts)


def _public_list(member: Member) -> str:
    """``[a,b]`` from the PublicList keyword, else ''."""
    value = member.kw("PublicList")
    return f"[{value.strip('()').replace(' ', '')}] " if value else ""


def method_lines(member: Member, lines: tuple[str, ...], table: MacroTable) -> list[str]:
    """The label line and the body of one method, macros expanded."""
    seg = member.segment
    assert seg is not None and seg.open_at and seg.close_at
    (orow, ocol), (crow, ccol) = seg.open_at, seg.close_at
    label = f"z{member.name}({_formal(member)}) {_public_list(member)}public {{"
    if member.codemode == "expression":
        body = " ".join(x.strip() for x in lines[orow + 1:crow] if x.strip())
        return [f"{label} Quit {expand(body, table)} }}"]
    rows = [expand(x, table) for x in lines[orow + 1:crow]]
    last = lines[crow][:ccol]
    tail = [expand(last, table) + "}"] if last.strip() else ["}"]
    if crow == orow:
        return [label + " " + expand(lines[orow][ocol + 1:ccol], table).strip() + " }"]
    return [label, *rows, *tail]


def _header(routine: str, source: str, now: datetime) -> list[str]:
    """UDL header and the generated-code banner."""
    stamp = now.strftime("%m/%d/%Y %I:%M:%S%p")
    return [f"ROUTINE {routine} [Type=INT,Generated]", f" ;{routine}",
            f" ;(C)InterSystems, generated for {source}.  Do NOT edit. {stamp}", " ;"]


def code_members(model: ClassModel, generators: bool) -> list[Member]:
    """ObjectScript methods with bodies, either the generators or the others."""
    out = []
    for m in model.members:
        if not (m.is_method and m.is_code and m.segment and m.segment.open_at):
            continue
        if m.flag("Abstract") or (m.codemode in GENERATOR_MODES) != generators:
            continue
        out.append(m)
    return out


def class_routine(model: ClassModel, table: MacroTable, generators: bool,
                  now: datetime) -> list[str] | None:
    """``Pkg.Cls.1.int`` (or ``.G1.int``) text, or None when there is no such code."""
    members = code_members(model, generators)
    if not members:
        return None
    routine = f"{model.name}.{'G1' if generators else '1'}"
    out = _header(routine, f"class {model.name}", now)
    for m in members:
        out += method_lines(m, model.lines, table)
    return out


def method_label_row(model: ClassModel, member_name: str, generators: bool) -> int:
    """Line number of ``z<member>`` in the generated routine (the ROUTINE header is not a
    line of the routine; 0 when absent)."""
    row = 3
    for m in code_members(model, generators):
        row += 1
        if m.name == member_name:
            return row
        row += len(method_lines(m, model.lines, MacroTable())) - 1
    return 0


def mac_to_int(name: str, lines: list[str], table: MacroTable) -> tuple[list[str], list[int]]:
    """INT text from MAC text, and for each MAC row the INT row (0-based) or -1 if dropped."""
    routine = name.rpartition(".")[0]
    out = [f"ROUTINE {routine} [Type=INT,Generated]"]
    rows = []
    start = 1 if lines and lines[0].upper().startswith("ROUTINE ") else 0
    rows.extend([-1] * start)
    continued = False
    for line in lines[start:]:
        directive = DEFINE_RE.match(line) or UNDEF_RE.match(line) or INCLUDE_RE.match(line)
        if directive or continued:
            continued = line.rstrip().endswith("##continue")
            rows.append(-1)
            continue
        rows.append(len(out))
        out.append(expand(line, table))
    return out, rows
