"""Interoperability class lists computed from the workspace's class hierarchy (ens/*).

There is no Ens library in the sandbox: a class belongs to a list when one of its ancestors
(followed through workspace classes, then through the few well-known Ens parents below) is
the list's root class. See docs/xml.md for the mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from atelier_api.documents.store import DocumentStore, ListQuery
from atelier_api.errors import BadRequest, NotFound

#: type number -> (meaning, root classes)
ENS_TYPES: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("Adapters", ("Ens.Adapter",)),
    2: ("InboundAdapters", ("Ens.InboundAdapter",)),
    3: ("OutboundAdapters", ("Ens.OutboundAdapter",)),
    4: ("Messages", ("Ens.MessageBody", "Ens.Request", "Ens.Response")),
    5: ("Requests", ("Ens.Request",)),
    6: ("Responses", ("Ens.Response",)),
    7: ("BusinessServices", ("Ens.BusinessService",)),
    8: ("BusinessProcesses", ("Ens.BusinessProcess",)),
    9: ("BusinessOperations", ("Ens.BusinessOperation",)),
    10: ("DataTransformation", ("Ens.DataTransformation",)),
    11: ("Production", ("Ens.Production",)),
    12: ("BusinessHost", ("Ens.Host",)),
    13: ("Dashboard", ("Ens.Dashboard",)),
    14: ("Rule", ("Ens.Rule.Definition",)),
}
#: parents of library classes that are not in the workspace (as in IRIS)
KNOWN_PARENTS: dict[str, tuple[str, ...]] = {
    "Ens.InboundAdapter": ("Ens.Adapter",),
    "Ens.OutboundAdapter": ("Ens.Adapter",),
    "Ens.Request": ("Ens.MessageBody",),
    "Ens.Response": ("Ens.MessageBody",),
    "Ens.BusinessService": ("Ens.Host",),
    "Ens.BusinessProcess": ("Ens.Host",),
    "Ens.BusinessOperation": ("Ens.Host",),
    "Ens.BusinessProcessBPL": ("Ens.BusinessProcess",),
    "Ens.BusinessMetric": ("Ens.BusinessService",),
    "Ens.DataTransformationDTL": ("Ens.DataTransformation",),
}
_CLASS = re.compile(r"Class\s+(%?[\w.]+)(?:\s+Extends\s+(\([^)]*\)|[^\s\[{]+))?", re.I)
_PARAM = re.compile(r'Parameter\s+(\w+)(?:\s+As\s+\S+)?\s*=\s*"?([^";\[]*?)"?\s*(?:\[.*\])?;',
                    re.I)


@dataclass(frozen=True)
class ClassFacts:
    """What the lists need of a workspace class: its supers and its parameter values."""

    name: str
    supers: tuple[str, ...]
    params: dict[str, str]


def _facts(name: str, lines: list[str]) -> ClassFacts | None:
    for index, line in enumerate(lines):
        match = _CLASS.match(line.strip())
        if match:
            supers = tuple(_resolve(s.strip(), name) for s in
                           (match.group(2) or "").strip("()").split(",") if s.strip())
            params = {m.group(1).upper(): m.group(2) for m in
                      (_PARAM.match(rest.strip()) for rest in lines[index + 1 :]) if m}
            return ClassFacts(name, supers, params)
    return None


def _resolve(short: str, owner: str) -> str:
    """A super as written -> full name (``%X`` -> ``%Library.X``; no package -> the owner's)."""
    if "." in short:
        return short
    if short.startswith("%"):
        return "%Library." + short[1:]
    return owner.rsplit(".", 1)[0] + "." + short


def workspace_classes(store: DocumentStore) -> dict[str, ClassFacts]:
    """Facts of every class document in the namespace, by class name."""
    out = {}
    for info in store.list(ListQuery(cats=frozenset({"CLS"}))):
        name = info.name[:-4]
        try:
            doc = store.get(info.name)
        except (NotFound, BadRequest):  # deleted meanwhile
            continue
        facts = _facts(name, list(doc.content))
        if facts is not None:
            out[name] = facts
    return out


def ancestors(name: str, classes: dict[str, ClassFacts]) -> set[str]:
    """Every ancestor of a class (workspace supers, then the known library parents)."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        facts = classes.get(current)
        parents = facts.supers if facts else KNOWN_PARENTS.get(current, ())
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def classes_of_type(store: DocumentStore, type_text: str) -> list[str]:
    """ens/classes/{type}: the workspace classes under the type's root classes, sorted."""
    type_number = int(type_text) if type_text.isascii() and type_text.isdigit() else 0
    if type_number not in ENS_TYPES:
        raise BadRequest(f"Unknown interoperability class type '{type_text}'; use 1 to 14")
    roots = set(ENS_TYPES[type_number][1])
    classes = workspace_classes(store)
    return sorted(n for n in classes if ancestors(n, classes) & roots)


def adapter_io(store: DocumentStore, raw: str) -> dict[str, str]:
    """ens/adapter/{name}: ``{input, output}`` from INPUTCLASS / OUTPUTCLASS parameters."""
    name = raw[:-4] if raw.lower().endswith(".cls") else raw
    classes = workspace_classes(store)
    if name not in classes or "Ens.Adapter" not in ancestors(name, classes):
        raise NotFound(f"Adapter '{name}' does not exist")
    found: dict[str, str] = {}
    for cls in [name, *_ordered_ancestors(name, classes)]:
        for key in ("INPUTCLASS", "OUTPUTCLASS"):
            facts = classes.get(cls)
            if facts and key in facts.params:
                found.setdefault(key, facts.params[key])
    return {"input": found.get("INPUTCLASS", ""), "output": found.get("OUTPUTCLASS", "")}


def _ordered_ancestors(name: str, classes: dict[str, ClassFacts]) -> list[str]:
    """Ancestors nearest first (breadth first), for parameter inheritance."""
    order, queue = [], [name]
    while queue:
        current = queue.pop(0)
        for parent in classes[current].supers if current in classes else ():
            if parent not in order:
                order.append(parent)
                queue.append(parent)
    return order
