"""Helpers for the compiler adapter tests: small sources and console shapes."""

from __future__ import annotations

import re

from atelier_api.adapters.contract import CancelToken, CompileResult, SourceDoc
from compiler_stub.reading.model import ClassModel, Member

HEADER_RE = re.compile(
    r"^Compilation started on \d\d/\d\d/\d{4} \d\d:\d\d:\d\d with qualifiers '(.*)'$")
FOOTER_OK_RE = re.compile(r"^Compilation finished successfully in \d+\.\d{3}s\.$")
FOOTER_ERR_RE = re.compile(r"^Detected (\d+) errors during compilation in \d+\.\d{3}s\.$")


def doc(name: str, text: str, **kw: object) -> SourceDoc:
    """A SourceDoc from a text block (surrounding blank lines dropped)."""
    return SourceDoc(name, tuple(text.strip("\n").split("\n")), **kw)  # type: ignore[arg-type]


def cls(name: str, body: str = "", head: str = "", extends: str = "%RegisteredObject",
        keywords: str = "") -> SourceDoc:
    """A class document with the given members."""
    kw = f" [ {keywords} ]" if keywords else ""
    ext = f" Extends {extends}" if extends else ""
    text = f"{head}Class {name}{ext}{kw}\n{{\n\n{body.strip(chr(10))}\n\n}}\n"
    return doc(f"{name}.cls", text)


def body(console: tuple[str, ...]) -> list[str]:
    """Console lines between the header and the footer."""
    lines = [x for x in console if x != ""]
    assert HEADER_RE.match(lines[0]), lines[0]
    assert FOOTER_OK_RE.match(lines[-1]) or FOOTER_ERR_RE.match(lines[-1]), lines[-1]
    return lines[1:-1]


class CancelAfter(CancelToken):
    """A token that reports cancellation from its n-th check on (deterministic half-way)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    @property
    def cancelled(self) -> bool:
        """Count the checks; cancel once they run out."""
        self.left -= 1
        if self.left < 0:
            self.cancel()
        return super().cancelled


def member_of(model: ClassModel, name: str, *kinds: str) -> Member:
    """The one member ``name`` of a class model (of one of ``kinds`` when given)."""
    found = [m for m in model.members if m.name == name and (not kinds or m.kind in kinds)]
    assert len(found) == 1, (model.name, name, [m.name for m in model.members])
    return found[0]


def missing_classes(result: CompileResult) -> list[tuple[str, str]]:
    """(missing class, used by) of every #5373 of a compile."""
    return [(e.params[0], e.params[1]) for e in result.errors if e.code == "5373"]

