"""Helpers for the compiler adapter tests: small sources and console shapes."""

from __future__ import annotations

import re

from atelier_api.adapters.contract import CancelToken, SourceDoc

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
