"""Which documents a query searches: the ``files`` masks (StudioOpenDialog spec), the
system flag and the include/exclude patterns, over the files and over the corpus; with the
system flag (always in ``%SYS``), also the compiler adapter's system documents
(``system_sources``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from atelier_api.adapters.system_library import bound
from atelier_api.documents.docsets import mask_matcher
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest, InvalidName
from atelier_api.search.corpus import CorpusDoc
from atelier_api.search.query import SearchQuery, name_regex


def select(store: DocumentStore, query: SearchQuery) -> list[Source]:
    """The documents a query searches, sorted by name, as (name, path, generated text)."""
    wanted, unwanted = spec_matchers(store, query.files)
    include = name_regex(query.include, "include")
    exclude = name_regex(query.exclude, "exclude")
    system = query.system or store.namespace == "%SYS"
    out: list[Source] = []
    for doc, path, text in _candidates(store, query.generated):
        if not system and doc.name.startswith("%"):
            continue
        if not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            continue
        where = doc_path(doc)
        if (include and not include.search(where)) or (exclude and exclude.search(where)):
            continue
        out.append((doc.name, path, text))
    out.sort(key=lambda source: source[0])
    return out


def system_sources(store: DocumentStore, query: SearchQuery) -> list[Source]:
    """The system documents a query searches, sorted by name, as text sources: with the
    system flag (or in ``%SYS``), those the masks and include/exclude patterns select and no
    workspace document of the same name shadows."""
    library = bound(store)
    if not (query.system or store.namespace == "%SYS") or not library.entries():
        return []
    wanted, unwanted = spec_matchers(store, query.files)
    include = name_regex(query.include, "include")
    exclude = name_regex(query.exclude, "exclude")
    picked = []
    for entry in library.entries():
        try:
            doc = parse_name(entry.name)
            shadowed = store.exists(store.locate(doc.name))
        except InvalidName:
            continue
        if shadowed or not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            continue
        where = doc_path(doc)
        if (include and not include.search(where)) or (exclude and exclude.search(where)):
            continue
        picked.append(doc.name)
    return [(d.name, None, "\n".join(d.lines or ())) for d in library.read_all(picked)]


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


def selector(store: DocumentStore, query: SearchQuery
             ) -> tuple[tuple[str, str, str, bool], Callable[[CorpusDoc], bool]]:
    """The selection of ``select`` as a per-document test (and its cache key)."""
    wanted, unwanted = spec_matchers(store, query.files)
    include = name_regex(query.include, "include")
    exclude = name_regex(query.exclude, "exclude")
    system = query.system or store.namespace == "%SYS"

    def keep(entry: CorpusDoc) -> bool:
        doc = entry.name
        if not system and doc.name.startswith("%"):
            return False
        if not any(m(doc) for m in wanted) or any(m(doc) for m in unwanted):
            return False
        where = doc_path(doc)
        return not ((include and not include.search(where)) or
                    (exclude and exclude.search(where)))
    return (query.files, query.include, query.exclude, system), keep
