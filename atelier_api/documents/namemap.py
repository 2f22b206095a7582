"""Document names of one namespace's files: from each file's header, wherever the file sits.

The client's repository is the authority, in whatever folder layout it has. A class or routine
file is named by what its header declares (``atelier_api.documents.declared``); a file without a
header (a bare routine, a class file without a ``Class`` line, an "other" document) is named
from its path; web-application files are named by their path as always. The layout setting
decides only where a *new* document is written (``place``): a fixed layout by its rule, the
``auto`` layout (the default) next to the documents nearest to it in the package tree, in the
same folder convention (split into package folders or flat, ``%`` kept, dropped or written
``_``).

Two files declaring one document: one is served, chosen the same way every time (a file whose
path matches its name in one of the known conventions, then the shallower path, then the
smaller path), and the others are reported (``duplicates``).

Freshness: a full walk of the root builds the map on first use and every listing walks the root
again (files that appeared or went away are taken in). A file's header is read again when its
signature changes: the watcher reports such files (``refresh``); without a watcher the store
checks signatures itself (``verify``). Header reads are kept in the timestamp index with the
file version they came from, so a restart reads only files that changed.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from atelier_api.documents.declared import HEAD_BYTES, declared, head_lines
from atelier_api.documents.fsutil import open_regular
from atelier_api.documents.layout import Layout
from atelier_api.documents.names import ROUTINE_EXTS, DocName, parse_name
from atelier_api.documents.tsindex import Signature, TsIndex, signature
from atelier_api.errors import InvalidName

#: folder names that hold one category of document (VS Code's ``addCategory`` export and
#: common hand-made trees): a header-less file below one is named by the folders after it
_CATEGORY_DIRS = frozenset({"cls", "mac", "inc", "int", "rtn", "routines", "classes", "bas"})


class Style(NamedTuple):
    """How a tree stores a document: ``prefix`` folder, then ``split`` into package folders
    or ``flat`` by full name; ``pct`` how a leading ``%`` is written (keep, drop, under)."""

    kind: str
    prefix: str
    pct: str | None


@dataclass(slots=True)
class Mapped:
    """What the map knows of one file."""

    doc: DocName
    sig: Signature | None
    headed: bool  # named by its header (not by its path)
    style: Style | None


def _group(doc: DocName) -> str:
    return doc.ext


def _package(doc: DocName) -> tuple[str, ...]:
    return tuple(doc.base.lower().split(".")[:-1])


def _pct_variants(first: str) -> list[tuple[str | None, str]]:
    if first.startswith("%"):
        return [("keep", first), ("under", "_" + first[1:]), ("drop", first[1:])]
    return [(None, first)]


def style_of(doc: DocName, rel: str) -> Style | None:
    """The convention by which ``rel`` stores ``doc``, or None when the path does not follow
    one (a file named only by its header)."""
    if doc.is_web:
        return None
    stem = rel[: rel.rfind(".")]
    low = stem.lower()
    first, _, rest = doc.base.partition(".")
    for pct, head in _pct_variants(first):
        if not rest:  # one segment: split and flat are the same file; the default says flat
            if low.rpartition("/")[2] == head.lower():
                return Style("flat", rel.rpartition("/")[0], pct)
            continue
        split = (head + "/" + rest.replace(".", "/")).lower()
        if low == split:
            return Style("split", "", pct)
        if low.endswith(split) and low[-len(split) - 1] == "/":
            return Style("split", stem[: -len(split) - 1], pct)
        if rest and low.rpartition("/")[2] == (head + "." + rest).lower():
            return Style("flat", rel.rpartition("/")[0], pct)
    return None


def path_for(doc: DocName, style: Style) -> str:
    """The root-relative path ``style`` gives ``doc``."""
    parts = doc.base.split(".")
    pct = style.pct if parts[0].startswith("%") and style.pct else "keep"
    first = dict(_pct_variants(parts[0])).get(pct, parts[0]) if parts[0].startswith("%") \
        else parts[0]
    if style.kind == "split":
        leaf = "/".join([first, *parts[1:]]) + f".{doc.ext}"
    else:
        leaf = ".".join([first, *parts[1:]]) + f".{doc.ext}"
    return f"{style.prefix}/{leaf}" if style.prefix else leaf


def _preference(rel: str, mapped: Mapped) -> tuple[int, int, str]:
    return (0 if mapped.style is not None else 1, rel.count("/"), rel)


class NameMap:
    """Root-relative path <-> document name for the files of one namespace root."""

    def __init__(self, root: str, layout: Layout, index: TsIndex) -> None:
        self.root = root
        self.layout = layout
        self.index = index
        self._lock = threading.RLock()
        self._by_rel: dict[str, Mapped] = {}
        self._by_name: dict[str, list[str]] = {}
        self._places: dict[tuple[str, tuple[str, ...]], dict[Style, int]] = {}
        self._roots: dict[str, int] = {}  # prefixes of split-style files: how many
        self.built = False

    # -- reading one file ------------------------------------------------------------------
    def _abs(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def _read_head(self, rel: str, st: os.stat_result | None
                   ) -> tuple[str | None, Signature | None]:
        """(declared name or None, signature of the version read)."""
        path = self._abs(rel)
        try:
            if st is None:
                st = os.stat(path)
            sig = signature(st)
            held = self.index.head_of(rel, sig)
            if held is not None:
                return held or None, sig
            with open_regular(path) as handle:
                data = handle.read(HEAD_BYTES + 1)
                sig = signature(os.fstat(handle.fileno()))
        except OSError:
            return None, None
        ext = rel.rpartition(".")[2].lower()
        name = declared(ext, head_lines(data)).name
        self.index.record_head(rel, sig, name or "")
        return name, sig

    def _name_from_header(self, name: str | None) -> DocName | None:
        if name is None:
            return None
        try:
            doc = parse_name(name)
        except InvalidName:
            return None
        return None if doc.is_web else doc

    def _name_from_path(self, rel: str) -> DocName | None:
        """A header-less file's name: by the layout's rule, else by the tree."""
        if not self.layout.auto:
            doc = self.layout.to_name(rel)
            if doc is not None:
                return doc
        parts = rel.split("/")
        stem, _, ext = parts[-1].rpartition(".")
        ext = ext.lower()
        folders = parts[:-1]
        chosen: list[str] | None = None
        for i in range(len(folders), -1, -1):
            if self._roots.get("/".join(folders[:i])):
                chosen = folders[i:]
                break
        if chosen is None:
            for i in range(len(folders) - 1, -1, -1):
                if folders[i].lower() in _CATEGORY_DIRS:
                    chosen = folders[i + 1:]
                    break
        if chosen is None:
            chosen = [] if (ext != "cls" or "." in stem) else folders
        for candidate in (".".join([*chosen, stem]), stem):
            try:
                doc = parse_name(f"{candidate}.{ext}")
            except InvalidName:
                continue
            if not doc.is_web:
                return doc
        return None

    def _identify(self, rel: str, st: os.stat_result | None = None) -> Mapped | None:
        if self.layout.is_web_path(rel):
            web = self.layout.to_name(rel)
            return None if web is None else Mapped(web, None, False, None)
        name, sig = self._read_head(rel, st)
        doc = self._name_from_header(name)
        if doc is not None:
            return Mapped(doc, sig, True, style_of(doc, rel))
        if sig is None:
            return None
        doc = self._name_from_path(rel)
        return None if doc is None else Mapped(doc, sig, False, style_of(doc, rel))

    # -- the map ---------------------------------------------------------------------------
    def _add(self, rel: str, mapped: Mapped) -> None:
        self._by_rel[rel] = mapped
        rels = self._by_name.setdefault(mapped.doc.name, [])
        rels.append(rel)
        if len(rels) > 1:
            rels.sort(key=lambda r: _preference(r, self._by_rel[r]))
        if mapped.style is not None and mapped.headed:
            self._count(mapped, 1)

    def _remove(self, rel: str) -> Mapped | None:
        mapped = self._by_rel.pop(rel, None)
        if mapped is None:
            return None
        rels = self._by_name.get(mapped.doc.name, [])
        if rel in rels:
            rels.remove(rel)
        if not rels:
            self._by_name.pop(mapped.doc.name, None)
        if mapped.style is not None and mapped.headed:
            self._count(mapped, -1)
        return mapped

    def _count(self, mapped: Mapped, delta: int) -> None:
        style = mapped.style
        assert style is not None
        group, pkg = _group(mapped.doc), _package(mapped.doc)
        places = self._places
        for k in range(len(pkg) + 1):
            key = (group, pkg[:k])
            counts = places.get(key)
            if counts is None:
                counts = places[key] = {}
            left = counts.get(style, 0) + delta
            if left > 0:
                counts[style] = left
            else:
                counts.pop(style, None)
        if style.kind == "split":
            left = self._roots.get(style.prefix, 0) + delta
            if left > 0:
                self._roots[style.prefix] = left
            else:
                self._roots.pop(style.prefix, None)

    def build(self, rels: Iterable[str]) -> None:
        """Map every file of a full walk (headers first, then the files named by path, whose
        names depend on where the headed files sit)."""
        with self._lock:
            if self.built:
                return
            later = []
            for rel in rels:
                mapped = self._identify(rel)
                if mapped is None:
                    continue
                if mapped.headed or mapped.doc.is_web:
                    self._add(rel, mapped)
                else:
                    later.append(rel)
            for rel in later:
                mapped = self._identify(rel)
                if mapped is not None:
                    self._add(rel, mapped)
            self.built = True

    def sync(self, rels: Iterable[str]) -> None:
        """Take in the result of a new full walk: files that appeared or went away."""
        seen = set(rels)
        with self._lock:
            known = self._by_rel.keys()
            for rel in known - seen:
                self._remove(rel)
            for rel in sorted(seen - known):
                mapped = self._identify(rel)
                if mapped is not None:
                    self._add(rel, mapped)

    def refresh(self, rel: str, st: os.stat_result | None) -> bool:
        """Read one file again (``st`` None: it is gone). True when its name changed."""
        with self._lock:
            before = self._by_rel.get(rel)
            if before is not None and st is not None and before.sig == signature(st):
                return False
            self._remove(rel)
            mapped = self._identify(rel, st) if st is not None else None
            if mapped is not None:
                self._add(rel, mapped)
            if st is None:
                self.index.record_head(rel, None, "")
            return (before.doc if before else None) != (mapped.doc if mapped else None)

    def verify(self, rel: str, st: os.stat_result) -> DocName | None:
        """The name of the file at ``rel`` whose current stat is ``st``, reading its header
        again when the file changed since it was mapped."""
        mapped = self._by_rel.get(rel)
        if mapped is None or (mapped.sig is not None and mapped.sig != signature(st)):
            self.refresh(rel, st)
            mapped = self._by_rel.get(rel)
        return None if mapped is None else mapped.doc

    def record(self, rel: str, doc: DocName, st: os.stat_result) -> None:
        """A document the server itself created at ``rel``."""
        with self._lock:
            self._remove(rel)
            self._add(rel, Mapped(doc, signature(st), not doc.is_web, style_of(doc, rel)))

    def forget(self, rel: str) -> None:
        """A file the server itself deleted."""
        with self._lock:
            self._remove(rel)
            self.index.record_head(rel, None, "")

    # -- questions -------------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """The path of the file that serves a document name, if any."""
        rels = self._by_name.get(name)
        return rels[0] if rels else None

    def name_of(self, rel: str) -> DocName | None:
        """The document a mapped file serves (None: not a document, or a duplicate that is
        not served)."""
        mapped = self._by_rel.get(rel)
        if mapped is None:
            return None
        rels = self._by_name.get(mapped.doc.name)
        return mapped.doc if rels and rels[0] == rel else None

    def declared_by(self, rel: str) -> DocName | None:
        """What a mapped file declares, served or not."""
        mapped = self._by_rel.get(rel)
        return None if mapped is None else mapped.doc

    def served(self) -> Iterator[tuple[str, DocName]]:
        """(path, name) of every served document."""
        with self._lock:
            items = [(rels[0], self._by_rel[rels[0]].doc) for rels in self._by_name.values()]
        return iter(items)

    def duplicates(self) -> dict[str, list[str]]:
        """Names declared by more than one file: the served path first."""
        with self._lock:
            return {name: list(rels) for name, rels in self._by_name.items() if len(rels) > 1}

    def locate(self, doc: DocName) -> str:
        """The path of a (non-web) document: the file that serves it, else where a new one
        goes. A file found there that the map has not seen yet is taken in first; a path
        that holds another document raises ``InvalidName``."""
        rel = self.resolve(doc.name)
        if rel is not None:
            return rel
        rel = self.place(doc)
        try:
            st = os.lstat(self._abs(rel))
        except (OSError, ValueError):
            return rel
        if stat.S_ISLNK(st.st_mode):  # never a second name for a file (or a way out)
            raise InvalidName(doc.name, f"its path '{rel}' is a symbolic link")
        with self._lock:
            if rel not in self._by_rel and stat.S_ISREG(st.st_mode):
                self.refresh(rel, st)
            found = self.resolve(doc.name)
            if found is not None:
                return found
            other = self._by_rel.get(rel)
        if other is not None:
            raise InvalidName(doc.name, f"its file '{rel}' holds the document '{other.doc.name}'")
        return rel

    def place(self, doc: DocName) -> str:
        """Where a new document goes: the layout's path, or (``auto``) the folder convention
        of the documents nearest to it in the package tree."""
        if not self.layout.auto or doc.is_web:
            return self.layout.to_path(doc)
        with self._lock:
            style = self._nearest(doc)
        if style is None:
            return self.layout.to_path(doc)
        return self.layout.check_path(doc, path_for(doc, style))

    def _nearest(self, doc: DocName) -> Style | None:
        """The style of the documents of the same type that share the longest package
        prefix with ``doc``; without any of its type, where the other types are (routines
        first, then classes): a category folder named after their type becomes ``doc``'s,
        and otherwise a routine goes flat into their folder, as the default layout puts
        routines by name beside the class folders."""
        pkg = _package(doc)
        for k in range(len(pkg), -1, -1):
            counter = self._places.get((doc.ext, pkg[:k]))
            if counter:
                return _most_common(counter)
        others = sorted(ext for ext in ROUTINE_EXTS if ext != doc.ext) + ["cls"]
        for ext in others:
            counter = self._places.get((ext, ()))
            if not counter:
                continue
            style = _most_common(counter)
            head, _, last = style.prefix.rpartition("/")
            if last.lower() == ext:  # a category folder per type: this type gets its own
                return Style(style.kind, f"{head}/{doc.ext}" if head else doc.ext, style.pct)
            if ext == "cls" and doc.ext in ROUTINE_EXTS:
                return Style("flat", style.prefix, style.pct)
            return style
        return None


def _most_common(counter: dict[Style, int]) -> Style:
    return max(counter.items(), key=lambda kv: (kv[1], kv[0].kind == "split", kv[0].prefix))[0]


def name_at(root: str, layout: Layout, rel: str) -> DocName | None:
    """The document a file at ``rel`` declares, read from disk (no map): its header, else its
    path by the layout; None when it holds none (or is gone and the path says nothing)."""
    if layout.is_web_path(rel):
        return layout.to_name(rel)
    try:
        with open_regular(os.path.join(root, *rel.split("/"))) as handle:
            data = handle.read(HEAD_BYTES + 1)
        name = declared(rel.rpartition(".")[2].lower(), head_lines(data)).name
    except OSError:
        name = None
    if name is not None:
        try:
            return parse_name(name)
        except InvalidName:
            pass
    found = layout.to_name(rel)
    if found is not None:
        return found
    stem, _, ext = rel.rpartition("/")[2].rpartition(".")
    try:
        return parse_name(f"{stem}.{ext}")
    except InvalidName:
        return None

