"""Compile set and order: subclasses (b), predecessors (r), System levels, dependencies."""

from __future__ import annotations

from compiler_stub.reading.model import ClassModel, kw_list
from compiler_stub.resolution.world import ClassWorld


def _level(model: ClassModel | None) -> int:
    """The System keyword (0 = last)."""
    try:
        value = int((model.kw("System") if model is not None else None) or 0)
    except ValueError:
        value = 0
    return value if 0 < value <= 4 else 5


def predecessors(world: ClassWorld, name: str) -> list[str]:
    """Workspace classes this one needs first: superclasses, property types, DependsOn."""
    model = world.model(name)
    if model is None:
        return []
    refs = list(world.supers(name))
    for m in model.members:
        if m.kind in ("property", "relationship") and m.type:
            refs.append(world.resolve(m.type, model))
    for key in ("DependsOn", "CompileAfter"):
        refs += [world.resolve(n, model) for n in kw_list(model.kw(key))]
    return [r for r in dict.fromkeys(refs) if r != name]


def _depends_on(world: ClassWorld, name: str) -> set[str]:
    """DependsOn names of a class (must be fully compiled first)."""
    model = world.model(name)
    return set() if model is None else {world.resolve(n, model)
                                        for n in kw_list(model.kw("DependsOn"))}


def subclasses(world: ClassWorld, names: list[str]) -> list[str]:
    """Workspace classes inheriting from any of ``names`` (recursively)."""
    wanted = set(names)
    return [c for c in sorted(world.workspace_names())
            if c not in wanted and any(a in wanted for a in world.ancestors(c))]


def all_predecessors(world: ClassWorld, names: list[str]) -> list[str]:
    """Workspace predecessors of ``names``, transitively."""
    seen: list[str] = []
    stack = list(names)
    while stack:
        for p in predecessors(world, stack.pop()):
            if p not in seen and p not in names and p in world.workspace_names():
                seen.append(p)
                stack.append(p)
    return seen


def _topo(world: ClassWorld, names: list[str]) -> list[str]:
    """Dependency order within a group, stable on the given order; cycles keep that order.

    Depth-first post-order with an explicit stack, so a dependency chain of any length works
    (no recursion limit).
    """
    inside = set(names)
    done: list[str] = []
    finished: set[str] = set()  # ``done`` as a set: membership tests stay O(1) on big sets
    visiting: set[str] = set()
    for root in names:
        if root in finished:
            continue
        visiting.add(root)
        stack = [(root, iter(predecessors(world, root)))]
        while stack:
            node, preds = stack[-1]
            for p in preds:
                if p in inside and p not in finished and p not in visiting:
                    visiting.add(p)
                    stack.append((p, iter(predecessors(world, p))))
                    break
            else:
                stack.pop()
                visiting.discard(node)
                done.append(node)
                finished.add(node)
    return done


def batches(world: ClassWorld, names: list[str]) -> list[list[str]]:
    """Groups compiled fully one after the other: by System level, then DependsOn depth."""
    by_level: dict[int, list[str]] = {}
    for n in names:
        by_level.setdefault(_level(world.model(n)), []).append(n)
    out: list[list[str]] = []
    for level in sorted(by_level):
        ordered = _topo(world, by_level[level])
        depth: dict[str, int] = {}
        for n in ordered:
            deps = [d for d in _depends_on(world, n) if d in depth]
            depth[n] = max((depth[d] + 1 for d in deps), default=0)
        for d in sorted(set(depth.values())):
            out.append([n for n in ordered if depth[n] == d])
    return out
