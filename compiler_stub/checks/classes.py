"""Class-level semantic checks: names, duplicates, missing classes, Final, circular inheritance.

Messages whose IRIS error number is not verified are reported under the generic #5001 ("%1")
with the documented text, rather than under a guessed number.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler_stub.reading.model import ClassModel, Member, kw_list
from compiler_stub.resolution.world import ClassWorld

_GROUPS = {"method": "method", "classmethod": "method", "clientmethod": "method",
           "property": "property", "relationship": "property"}
_CONFLICT = {"method": "Method name conflict: {}", "property": "Property name conflict: {}"}


@dataclass(frozen=True)
class Finding:
    """A class-level error: code, message, parameters, member and 0-based row."""

    code: str
    text: str
    params: tuple[str, ...]
    member: str = ""
    row: int = 0


def missing(name: str, user: str, member: str = "", row: int = 0) -> Finding:
    """#5373 Class '%1', used by '%2', does not exist."""
    return Finding("5373", f"Class '{name}', used by '{user}', does not exist", (name, user),
                   member, row)


def check_name(model: ClassModel, docname: str) -> list[Finding]:
    """The class name must match the document name."""
    expected = docname[:-4]
    if model.name == expected:
        return []
    text = f"Class name '{model.name}' does not match document name '{docname}'"
    return [Finding("5001", text, (text,), "", model.row)]


def check_duplicates(model: ClassModel) -> list[Finding]:
    """Two members of the same kind group with the same name."""
    seen: set[tuple[str, str]] = set()
    out = []
    for m in model.members:
        group = _GROUPS.get(m.kind, m.kind)
        if (group, m.name) in seen:
            text = _CONFLICT.get(group, "Duplicated name: {}").format(m.name)
            out.append(Finding("5001", text, (text,), m.name, m.row))
        seen.add((group, m.name))
    return out


def check_supers(world: ClassWorld, model: ClassModel) -> list[Finding]:
    """Missing superclasses, Final superclasses, circular inheritance, missing DependsOn."""
    out = []
    for sup in world.supers(model.name):
        target = world.model(sup) if world.exists(sup) else None
        if target is None:
            out.append(missing(sup, f"{model.name}:super", "", model.row))
        elif target.flag("Final"):
            text = f"Cannot inherit from final class '{sup}'"
            out.append(Finding("5001", text, (text,), "", model.row))
    cycle = world.cycle(model.name)
    if cycle:
        text = f"Circular inheritance detected: {', '.join(cycle)}"
        out.append(Finding("5001", text, (text,), "", model.row))
    for dep in world.depends_on(model):
        if not world.exists(dep):
            out.append(missing(dep, f"{model.name}:dependson", "", model.row))
    return out


def _type_refs(model: ClassModel, m: Member) -> list[tuple[str, str]]:
    """(raw type, used-by tag) of the class references of one member."""
    if m.kind in ("property", "relationship") and m.type:
        return [(m.type, f"{model.name}:property:{m.name}")]
    if m.is_method or m.kind == "query":
        refs = [(a.type, f"{model.name}:{m.name}:FormalSpec") for a in m.args if a.type]
        if m.is_method and m.type:
            refs.append((m.type, f"{model.name}:{m.name}:ReturnType"))
        return refs
    return []


def check_types(world: ClassWorld, model: ClassModel) -> list[Finding]:
    """Property, argument and return types must be existing classes: every missing one is
    reported, once per member that uses it (not only the first of a member or a class)."""
    out, seen = [], set()
    for m in model.members:
        for raw, user in _type_refs(model, m):
            full = world.resolve(raw, model)
            if (full, m.name) not in seen and not world.exists(full):
                seen.add((full, m.name))
                out.append(missing(full, user, m.name, m.row))
    return out


def _own_members(world: ClassWorld, name: str) -> dict[tuple[str, str], Member]:
    """The members of a class by (group, name), the first of each (kept for the whole run:
    every subclass asks again)."""
    memo: dict[str, dict[tuple[str, str], Member]] = world.memo("members by group")
    found = memo.get(name)
    if found is None:
        model = world.model(name)
        found = memo[name] = {}
        for other in model.members if model is not None else ():
            found.setdefault((_GROUPS.get(other.kind, other.kind), other.name), other)
    return found


def _inherited(world: ClassWorld, model: ClassModel, m: Member) -> Member | None:
    """The nearest inherited member of the same group and name."""
    key = (_GROUPS.get(m.kind, m.kind), m.name)
    for anc in world.ancestors(model.name):
        found = _own_members(world, anc).get(key)
        if found is not None:
            return found
    return None


def _final_keys(world: ClassWorld, name: str) -> frozenset[tuple[str, str]]:
    """(group, name) of the Final members a class defines itself."""
    memo: dict[str, frozenset[tuple[str, str]]] = world.memo("final member keys")
    found = memo.get(name)
    if found is None:
        found = memo[name] = frozenset(key for key, m in _own_members(world, name).items()
                                       if m.flag("Final"))
    return found


def check_final_members(world: ClassWorld, model: ClassModel) -> list[Finding]:
    """A member may not override a Final member of a superclass."""
    finals = frozenset().union(*(_final_keys(world, a) for a in world.ancestors(model.name)))
    out: list[Finding] = []
    if not finals:  # nothing final above: nothing to look up member by member
        return out
    for m in model.members:
        if m.kind == "storage" or (_GROUPS.get(m.kind, m.kind), m.name) not in finals:
            continue
        parent = _inherited(world, model, m)
        if parent is not None and parent.flag("Final"):
            word = _GROUPS.get(m.kind, m.kind)
            text = f"Cannot override final {word} '{m.name}'"
            out.append(Finding("5001", text, (text,), m.name, m.row))
    return out


def class_findings(world: ClassWorld, model: ClassModel, docname: str) -> list[Finding]:
    """Every class-level finding, in the order the class compiler meets them."""
    supers = check_supers(world, model)
    if supers:  # inherited members are unknown: only what does not depend on them
        return check_name(model, docname) + supers + check_types(world, model)
    return (check_name(model, docname) + check_duplicates(model) + check_types(world, model)
            + check_final_members(world, model))


def compile_after(world: ClassWorld, model: ClassModel) -> list[str]:
    """CompileAfter and DependsOn names (ordering only)."""
    return [world.resolve(n, model) for key in ("CompileAfter", "DependsOn")
            for n in kw_list(model.kw(key))]
