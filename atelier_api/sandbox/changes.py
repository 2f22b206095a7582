"""What differs from a workspace's original state, and URLs fit for messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from atelier_api.documents.names import DocName


@dataclass(frozen=True)
class Changes:
    """Root-relative posix paths of documents that differ from the original state."""

    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    def paths(self) -> list[str]:
        """Every path, in one list."""
        return [*self.added, *self.modified, *self.deleted]

    def names(self, name_of: Callable[[str], DocName | None]) -> dict[str, list[str]]:
        """The same changes as sorted document names (``{"added": [...], ...}``);
        ``name_of`` names the document of a root-relative path."""
        out: dict[str, list[str]] = {}
        for kind in ("added", "modified", "deleted"):
            docs = (name_of(rel) for rel in getattr(self, kind))
            out[kind] = sorted(doc.name for doc in docs if doc is not None)
        return out


def redact(url: str) -> str:
    """A URL fit for logs and messages: no password or token."""
    if "://" not in url:
        return url
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{scheme}://{netloc}{slash}{path}"
