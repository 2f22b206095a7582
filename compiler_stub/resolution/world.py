"""Class resolution against the compile set, the workspace and the bundled system library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atelier_api.adapters.contract import SourceDoc, Workspace
from compiler_stub.library.bundle import Library
from compiler_stub.reading.model import ClassModel, kw_list
from compiler_stub.reading.outline import ClassSource, read_class
from compiler_stub.reading.sources import SourceCache

PERSISTENT = "%Library.Persistent"
SERIAL = "%Library.SerialObject"
#: Class names a world asks its workspace about one by one before it lists every class.
LOOKUPS = 100


def full_name(raw: str, context: ClassModel | None = None) -> str:
    """Normalise a class reference: ``%String`` -> ``%Library.String``; bare names get a package.

    A bare name resolves to the referring class's package (IRIS also tries ``Import``
    packages; see ``ClassWorld.resolve``).
    """
    name = raw.strip().strip('"')
    if "." in name or not name:
        return name
    if name.startswith("%"):
        return f"%Library.{name[1:]}"
    package = context.package if context is not None and context.package else "User"
    return f"{package}.{name}"


class ClassWorld:
    """Every class a compile can see; workspace classes are read lazily and cached."""

    def __init__(self, library: Library, workspace: Workspace,
                 batch: dict[str, ClassSource], sources: SourceCache | None = None) -> None:
        self.library = library
        self.workspace = workspace
        self.batch = batch
        self.sources = sources  # parsed workspace classes kept between compiles, if any
        self._names: set[str] | None = None
        self._looked_up: dict[str, SourceDoc | None] = {}
        self._cache: dict[str, ClassSource | None] = {}
        self._memos: dict[str, dict[Any, Any]] = {}
        self._memo_size = len(batch)

    def memo(self, kind: str) -> dict[Any, Any]:
        """A cache of derived facts of one kind (supers, ancestors, ...) for this world.

        Facts derive from the models, which do not change while the world lives; the compile
        set only grows (expanded classes, read from this same world). Growth drops every memo
        all the same, so a fact never outlives the set it was computed from.
        """
        if len(self.batch) != self._memo_size:
            self._memos.clear()
            self._memo_size = len(self.batch)
        return self._memos.setdefault(kind, {})

    def workspace_names(self) -> set[str]:
        """Class names of the workspace plus those being compiled."""
        if self._names is None:
            self._names = set(self.workspace.class_names())
            self._names.update(self.batch)
        return self._names

    def in_workspace(self, name: str) -> bool:
        """True for a class of the compile set or of the workspace (``workspace_names``).

        Listing every class of a workspace can cost far more than a small compile (a store
        walks its folder with a stat per file), so the first ``LOOKUPS`` names are asked of
        the workspace one by one (the document read is kept for ``source``); past that, or
        once the list was taken anyway, the list answers.
        """
        if self._names is not None:
            return name in self._names
        if name in self.batch:
            return True
        if name not in self._looked_up:
            if len(self._looked_up) >= LOOKUPS:
                return name in self.workspace_names()
            self._looked_up[name] = self.workspace.document(f"{name}.cls")
        return self._looked_up[name] is not None

    def exists(self, name: str) -> bool:
        """True when a class of that full name is visible."""
        return self.library.has_class(name) or self.in_workspace(name)

    def resolve(self, raw: str, context: ClassModel | None) -> str:
        """Full name of a reference, trying Import packages when the package guess is absent."""
        name = full_name(raw, context)
        if self.exists(name) or "." in raw.strip('" ') or context is None:
            return name
        for package in context.imports:
            candidate = f"{package}.{raw.strip()}"
            if self.exists(candidate):
                return candidate
        return name

    def source(self, name: str) -> ClassSource | None:
        """The parsed source of a workspace class (compile set first), or None."""
        if name in self.batch:
            return self.batch[name]
        if name not in self._cache:
            doc = self._looked_up[name] if name in self._looked_up else self.document(name)
            self._cache[name] = None if doc is None else self._read(doc)
        return self._cache[name]

    def _read(self, doc: SourceDoc) -> ClassSource:
        """Parse a workspace class, through the cache kept between compiles when there is one."""
        if self.sources is None:
            return read_class(list(doc.lines))
        return self.sources.read(tuple(doc.lines))

    def document(self, name: str) -> SourceDoc | None:
        """The workspace document of a class, or None."""
        return self.workspace.document(f"{name}.cls")

    def model(self, name: str) -> ClassModel | None:
        """The model of any visible class (workspace first, then the system library)."""
        src = self.source(name) if self.in_workspace(name) else None
        if src is not None and src.model is not None:
            return src.model
        return self.library.classes.get(name)

    def supers(self, name: str) -> list[str]:
        """Full names of the direct superclasses of ``name``."""
        memo: dict[str, list[str]] = self.memo("supers")
        found = memo.get(name)
        if found is None:
            model = self.model(name)
            found = memo[name] = [] if model is None else [self.resolve(s, model)
                                                            for s in model.supers]
        return list(found)

    def ancestors(self, name: str) -> list[str]:
        """All superclasses, depth first, left to right, each once (cycles cut)."""
        memo: dict[str, list[str]] = self.memo("ancestors")
        found = memo.get(name)
        if found is None:
            found = memo[name] = self._ancestors(name)
        return list(found)

    def _ancestors(self, name: str) -> list[str]:
        """``ancestors`` computed."""
        seen: list[str] = []
        stack = list(reversed(self.supers(name)))
        while stack:
            cur = stack.pop()
            if cur in seen or cur == name:
                continue
            seen.append(cur)
            stack.extend(reversed(self.supers(cur)))
        return seen

    def cycle(self, name: str) -> list[str]:
        """The inheritance cycle through ``name`` ([] when there is none).

        Depth-first with an explicit stack (no recursion limit on long chains); classes
        proven not to lead back to ``name`` are not walked twice.
        """
        path, on_path, dead = [name], {name}, set()
        pending = [iter(self.supers(name))]
        while pending:
            for sup in pending[-1]:
                if sup == name:
                    return path
                if sup in on_path or sup in dead:
                    continue
                path.append(sup)
                on_path.add(sup)
                pending.append(iter(self.supers(sup)))
                break
            else:
                pending.pop()
                done = path.pop()
                on_path.discard(done)
                dead.add(done)
        return []

    def primary_chain(self, name: str) -> list[str]:
        """``name`` and its primary (leftmost) superclasses up to the root."""
        chain = [name]
        while True:
            sup = self.supers(chain[-1])
            if not sup or sup[0] in chain:
                return chain
            chain.append(sup[0])

    def class_type(self, name: str) -> str:
        """ClassType, from the class or its primary superclass chain ('' when none)."""
        for cls in self.primary_chain(name):
            model = self.model(cls)
            value = model.kw("ClassType") if model is not None else None
            if value is not None:
                return value.strip('"').lower()
        return ""

    def is_a(self, name: str, other: str) -> bool:
        """True when ``name`` is ``other`` or inherits from it."""
        return name == other or other in self.ancestors(name)

    def includes(self, name: str) -> list[str]:
        """Include files of a class and all its superclasses (accumulated, own first)."""
        return self._inherited_names(name, lambda model: model.includes)

    def include_generators(self, name: str) -> list[str]:
        """IncludeGenerator files of a class and its superclasses (accumulated, own first):
        the include files its generator methods see besides ``includes``."""
        return self._inherited_names(name, lambda model: model.include_generators)

    def _inherited_names(self, name: str,
                         pick: Callable[[ClassModel], tuple[str, ...]]) -> list[str]:
        out: list[str] = []
        for cls in [name, *self.ancestors(name)]:
            model = self.model(cls)
            for inc in pick(model) if model is not None else ():
                if inc not in out:
                    out.append(inc)
        return out

    def depends_on(self, model: ClassModel) -> list[str]:
        """Full names in DependsOn."""
        return [self.resolve(n, model) for n in kw_list(model.kw("DependsOn"))]

    def compile_after(self, model: ClassModel) -> list[str]:
        """Full names in CompileAfter."""
        return [self.resolve(n, model) for n in kw_list(model.kw("CompileAfter"))]
