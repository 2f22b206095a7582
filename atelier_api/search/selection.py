"""Which documents a query searches: the ``files`` masks (StudioOpenDialog spec), the
system flag and the include/exclude patterns, over the files and over the corpus; with the
system flag (always in ``%SYS``), also the compiler adapter's system documents
(``system_sources``). The include/exclude patterns are decided for a whole list of paths at
once (``KeepPaths``), so that the caller can stop in between (``NameFilter.decide``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from atelier_api.adapters.system_library import bound
from atelier_api.documents.docsets import mask_matcher
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, InvalidName
from atelier_api.search.corpus import Chunk, CorpusDoc, selected
from atelier_api.search.query import NamePattern, SearchQuery, name_regex

#: Which of a list of document paths the include/exclude patterns keep, decided in one go
#: (by the service: asking between paths whether the search must stop).
KeepPaths = Callable[[list[str]], list[bool]]
#: How often (seconds) ``NameFilter.decide`` asks whether to stop.
STOP_CHECK = 0.05


@dataclass(frozen=True)
class NameFilter:
    """The include/exclude patterns, over document paths (``doc_path``): each path costs a
    bounded time (RE2 or the automaton, ``query.NamePattern``)."""

    include: NamePattern | None
    exclude: NamePattern | None

    def keeps(self, where: str) -> bool:
        """True when the path passes both patterns."""
        return not ((self.include is not None and not self.include.found(where)) or
                    (self.exclude is not None and self.exclude.found(where)))

    def decide(self, paths: list[str], stop: Callable[[], str]) -> list[bool] | str:
        """Which ``paths`` pass, or the reason ``stop`` gave (asked every ``STOP_CHECK`` s)."""
        kept = []
        due = time.monotonic() + STOP_CHECK
        for path in paths:
            if time.monotonic() >= due:
                reason = stop()
                if reason:
                    return reason
                due = time.monotonic() + STOP_CHECK
            kept.append(self.keeps(path))
        return kept


def name_filter(query: SearchQuery) -> NameFilter | None:
    """The query's include/exclude patterns (None when it has neither)."""
    if not (query.include or query.exclude):
        return None
    return NameFilter(name_regex(query.include, "include"), name_regex(query.exclude, "exclude"))


def _keeper(query: SearchQuery, keep_paths: KeepPaths | None) -> KeepPaths:
    """``keep_paths``, or the filter run in this process."""
    if keep_paths is not None:
        return keep_paths
    found = name_filter(query)
    if found is None:
        return lambda paths: [True] * len(paths)
    return lambda paths: [found.keeps(path) for path in paths]


def select(store: DocumentStore, query: SearchQuery, keep_paths: KeepPaths | None = None
           ) -> list[Source]:
    """The documents a query searches, sorted by name, as (name, path, generated text)."""
    wanted, unwanted = spec_matchers(store, query.files)
    system = query.system or store.namespace == "%SYS"
    masked: list[tuple[DocName, str | None, str | None]] = []
    for doc, path, text in _candidates(store, query.generated):
        if not system and doc.name.startswith("%"):
            continue
        if not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            continue
        masked.append((doc, path, text))
    if query.include or query.exclude:
        kept = _keeper(query, keep_paths)([doc_path(doc) for doc, _path, _text in masked])
        masked = [item for item, keep in zip(masked, kept, strict=True) if keep]
    out = [(doc.name, path, text) for doc, path, text in masked]
    out.sort(key=lambda source: source[0])
    return out


def system_sources(store: DocumentStore, query: SearchQuery,
                   keep_paths: KeepPaths | None = None) -> list[Source]:
    """The system documents a query searches, sorted by name, as text sources: with the
    system flag (or in ``%SYS``), those the masks and include/exclude patterns select and no
    workspace document of the same name shadows."""
    library = bound(store)
    if not (query.system or store.namespace == "%SYS") or not library.entries():
        return []
    wanted, unwanted = spec_matchers(store, query.files)
    picked: list[DocName] = []
    for entry in library.entries():
        try:
            doc = parse_name(entry.name)
            shadowed = store.exists(store.locate(doc.name))
        except InvalidName:
            continue
        if shadowed or not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            continue
        picked.append(doc)
    if picked and (query.include or query.exclude):
        kept = _keeper(query, keep_paths)([doc_path(doc) for doc in picked])
        picked = [doc for doc, keep in zip(picked, kept, strict=True) if keep]
    return [(d.name, None, "\n".join(d.lines or ()))
            for d in library.read_all([doc.name for doc in picked])]


def _candidates(store: DocumentStore, generated: bool
                ) -> Iterable[tuple[DocName, str | None, str | None]]:
    """Every document file under the root, then (when asked) the generated documents.

    Walks the folder like the listing does but skips its per-file ``ts`` bookkeeping: a
    search needs paths, not timestamps. The walk never follows symbolic links, so every path
    is inside the root (the name gate protects names that come from clients).
    """
    seen = set()
    for _rel, path, doc in store.walk():
        seen.add(doc.name)
        yield doc, path, None
    if generated and store.compiled is not None:
        for gen in store.compiled.generated_docs():
            doc = parse_name(gen.name)
            if doc.name not in seen:
                yield doc, None, gen.text


def doc_path(doc: DocName) -> str:
    """A name as the client's include/exclude globs see it: ``/Pkg/Cls.cls``, ``/csp/a.js``."""
    return doc.name if doc.is_web else "/" + doc.base.replace(".", "/") + "." + doc.ext


Matcher = Callable[[DocName], bool]
#: A document to read: (name, path on disk or None, generated text or None).
Source = tuple[str, "str | None", "str | None"]


def spec_matchers(store: DocumentStore, spec: str) -> tuple[list[Matcher], list[Matcher]]:
    """StudioOpenDialog spec: masks with an optional folder part (``Pkg.Sub/*.cls``; the
    folder carries on to later masks without one), web folders (``/csp/user/*``),
    ``*.cspall`` (every web file), and exclusions with a leading ``'``."""
    wanted: list[Matcher] = []
    unwanted: list[Matcher] = []
    folder = ""
    for raw in spec.split(","):
        item = raw.strip()
        negate = item.startswith("'")
        item = item[1:].strip() if negate else item
        if not item:
            continue
        item, folder = _with_folder(store, item, folder)
        (unwanted if negate else wanted).append(_matcher(item))
    if not wanted:
        raise BadRequest(f"'files' names no document mask: '{spec[:200]}'")
    return wanted, unwanted


def _with_folder(store: DocumentStore, item: str, folder: str) -> tuple[str, str]:
    if item.startswith("/"):
        return (item + "*" if item.endswith("/") else item), folder
    if "/" in item:
        head, _, mask = item.rpartition("/")
        if store.layout.webapp_for("/" + head + "/x") is not None:
            return "/" + item + ("*" if not mask else ""), folder
        folder = head.replace("/", ".").strip(".")
        item = mask or "*"
    if folder and item.lower() != "*.cspall":
        return f"{folder}.{item}", folder
    return item, folder


def _matcher(mask: str) -> Matcher:
    if mask.lower() == "*.cspall":
        return lambda d: d.is_web
    if mask == "*":
        return lambda d: True
    try:
        return mask_matcher(mask)
    except re.error:
        raise BadRequest(f"Invalid document mask '{mask[:200]}'") from None


def corpus_selection(store: DocumentStore, query: SearchQuery, chunks: list[Chunk],
                     keep_paths: KeepPaths | None = None) -> list[tuple[int, list[int]]]:
    """The selection of ``select`` over the corpus: (chunk index, indexes of its selected
    documents) for each chunk with any, cached per chunk (masks alone, and with the
    include/exclude patterns, decided for all uncached chunks in one go)."""
    wanted, unwanted = spec_matchers(store, query.files)
    system = query.system or store.namespace == "%SYS"
    key = (query.files, query.include, query.exclude, system)
    masks_key = (query.files, "", "", system)

    def by_masks(entry: CorpusDoc) -> bool:
        doc = entry.name
        if not system and doc.name.startswith("%"):
            return False
        return any(m(doc) for m in wanted) and not any(m(doc) for m in unwanted)
    out: dict[int, list[int]] = {}
    todo: list[tuple[int, list[int]]] = []
    for index, chunk in enumerate(chunks):
        cached = chunk.selections.get(key)
        if cached is not None:
            out[index] = cached
            continue
        picked = selected(chunk, masks_key, by_masks)
        if key == masks_key:
            out[index] = picked
        else:
            todo.append((index, picked))
    if todo:
        paths = [doc_path(chunks[index].docs[d].name) for index, picked in todo for d in picked]
        kept = iter(_keeper(query, keep_paths)(paths))
        for index, picked in todo:
            mine = {chunks[index].docs[d] for d in picked if next(kept)}
            out[index] = selected(chunks[index], key, mine.__contains__)
    return [(index, out[index]) for index in range(len(chunks)) if out.get(index)]
