"""Typed values the document service speaks in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DocInfo:
    """One listing entry (docnames, modified)."""

    name: str
    cat: str
    ts: str
    upd: bool
    db: str
    gen: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a docnames entry."""
        return {"name": self.name, "cat": self.cat, "ts": self.ts, "upd": self.upd,
                "db": self.db, "gen": self.gen}


@dataclass(frozen=True)
class Document:
    """A document object (§5.3): what GET, PUT and DELETE doc return in ``result``."""

    name: str
    cat: str
    db: str = ""
    ts: str = ""
    upd: bool = False
    status: str = ""
    enc: bool = False
    flags: int = 0
    content: list[str] | str = field(default_factory=list)
    ext: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the document object."""
        out: dict[str, Any] = {
            "name": self.name, "db": self.db, "ts": self.ts, "upd": self.upd, "cat": self.cat,
            "status": self.status, "enc": self.enc, "flags": self.flags, "content": self.content,
        }
        if self.ext is not None:
            out["ext"] = self.ext
        return out


@dataclass(frozen=True)
class PutOutcome:
    """The result of a save: the document object, and whether it was created (201)."""

    doc: Document
    created: bool
    console: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeleteOutcome:
    """One item of DELETE /docs."""

    name: str
    db: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a DELETE /docs item."""
        return {"name": self.name, "db": self.db, "status": self.status}
