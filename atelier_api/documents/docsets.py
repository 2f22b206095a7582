"""Compile sets: the document list of a compile (names, masks, ``{"name": ...}`` objects)
expanded against a namespace's listing.

Masks are what the VS Code extension sends: ``*.CLS``, ``*.MAC`` (namespace compile; the
extension is matched case-insensitively), ``Pkg.*.cls`` (a package), ``/csp/app/*`` (a web
folder); ``*`` and ``?`` work anywhere, and a leading ``'`` excludes what it matches. Masks
never pick generated documents. Plain names must exist (on disk or generated); they are
reported as missing otherwise, and an invalid name fails the whole request (400).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.errors import BadRequest

#: Most items one request may name, and most documents one compile set may hold.
MAX_ITEMS = 20_000
MAX_DOCS = 50_000


@dataclass(frozen=True)
class DocSet:
    """An expanded compile set, in request order, each document once."""

    docs: tuple[DocName, ...]
    missing: tuple[DocName, ...] = ()
    empty_masks: tuple[str, ...] = ()
    named: int = 0  # how many plain names the request held

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical names of the documents to compile."""
        return tuple(d.name for d in self.docs)


def item_names(items: Any, *, where: str = "documents") -> list[str]:
    """The names of a document list: strings or ``{"name": "..."}`` objects (else a 400)."""
    if not isinstance(items, list):
        raise BadRequest(f"'{where}' must be an array of document names")
    if len(items) > MAX_ITEMS:
        raise BadRequest(f"'{where}' names {len(items)} items; at most {MAX_ITEMS} are accepted "
                         "in one request (use masks such as *.cls or Pkg.*.cls)")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            item = item.get("name")
        if not isinstance(item, str) or not item.strip():
            raise BadRequest(f"'{where}' item {i} must be a document name or an object with a "
                             "'name' string")
        out.append(item.strip())
    return out


def is_mask(item: str) -> bool:
    """True for an item with a wildcard (or an exclusion)."""
    return "*" in item or "?" in item or item.startswith("'")


def mask_matcher(mask: str) -> Callable[[DocName], bool]:
    """A predicate for one mask; extensions and names compare case-insensitively."""
    pattern = mask.lower()
    if "/" in pattern:  # web files: /csp/app/*, csp/app/*.js, //csp/app/*
        pattern = "/" + pattern.lstrip("/")
        return lambda d: d.is_web and fnmatch.fnmatchcase(d.name.lower(), pattern)
    base, dot, ext = pattern.rpartition(".")
    if not dot:
        return lambda d: not d.is_web and fnmatch.fnmatchcase(d.name.lower(), pattern)
    rx = re.compile(fnmatch.translate(base))
    return lambda d: (not d.is_web and fnmatch.fnmatchcase(d.ext, ext)
                      and rx.match(d.base.lower()) is not None)


def expand(store: DocumentStore, items: list[str]) -> DocSet:
    """Expand names and masks against the store's listing (raises 400 on invalid names)."""
    masks = [i for i in items if is_mask(i)]
    listing = [parse_name(e.name) for e in store.list()] if masks else []
    excluded = _excluded(listing, [m[1:] for m in masks if m.startswith("'")])
    docs: dict[str, DocName] = {}
    missing: dict[str, DocName] = {}
    empty: list[str] = []
    for item in items:
        if item.startswith("'"):
            continue
        if is_mask(item):
            match = mask_matcher(item)
            found = [d for d in listing if match(d) and d.name not in excluded]
            if not found:
                empty.append(item)
            docs.update((d.name, d) for d in found)
        else:
            loc = store.locate(item)
            target = docs if store.exists(loc) else missing
            target.setdefault(loc.doc.name, loc.doc)
        _check_size(len(docs))
    named = sum(1 for i in items if not is_mask(i))
    return DocSet(tuple(docs.values()), tuple(missing.values()), tuple(empty), named)


def _excluded(listing: list[DocName], masks: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for mask in masks:
        match = mask_matcher(mask)
        out.update(d.name for d in listing if match(d))
    return out


def _check_size(count: int) -> None:
    if count > MAX_DOCS:
        raise BadRequest(f"The compile set holds more than {MAX_DOCS} documents; compile it in "
                         "parts (for example one package mask at a time)")
