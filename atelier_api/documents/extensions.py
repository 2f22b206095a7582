"""What other packages attach to a store, as protocols the store is written against.

The store lists generated documents and answers ``upd`` from a namespace's compile state, and
reads and writes the XML export format; both belong to packages above it (``compile``,
``xmlexport``). The store depends on these protocols only; the service container attaches the
implementations (``compile.state.CompiledCatalog``, ``xmlexport.service.XmlFormat``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from atelier_api.documents.layout import Layout
from atelier_api.documents.names import DocName


class GeneratedText(Protocol):
    """A generated document: its name, its ts (ms) and its text."""

    @property
    def name(self) -> str: ...

    @property
    def ts(self) -> int: ...

    @property
    def text(self) -> str: ...


class CompileRecord(Protocol):
    """A namespace's compile state, as the store reads and trims it."""

    def is_current(self, name: str, ts: int, sha: bytes | None = None) -> bool:
        """True while ``name`` at ``ts`` is the text that compiled last."""
        ...

    def generated(self, name: str) -> GeneratedText | None:
        """The generated document of that name, if any."""
        ...

    def generated_docs(self) -> Sequence[GeneratedText]:
        """Every generated document whose source still exists."""
        ...

    def drop_generated(self, name: str) -> bool:
        """Forget one generated document; True when there was one."""
        ...

    def drop_source(self, source: str) -> None:
        """Forget a deleted source's compile record and its generated documents."""
        ...

    def close(self) -> None:
        """Flush and close."""
        ...


class ExportFormat(Protocol):
    """The XML export format, as ``GET doc?format=xml`` and a PUT of export text use it."""

    def export_lines(self, layout: Layout, doc: DocName, data: bytes) -> list[str]:
        """One stored document as the lines of an export."""
        ...

    def udl_lines(self, doc: DocName, lines: list[str]) -> list[str] | None:
        """The UDL lines held by PUT content that is export text; None when it is not."""
        ...
