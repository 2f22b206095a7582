"""The bundled system library: class signatures (system_classes/) and include files."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from compiler_stub.reading.model import ClassModel
from compiler_stub.reading.outline import read_class

_HERE = Path(__file__).parent
CLASS_DIR = _HERE / "system_classes"
INCLUDE_DIR = _HERE / "system_includes"


@dataclass(frozen=True)
class Library:
    """System classes by full name (parsed) and system include files by name (lines)."""

    classes: dict[str, ClassModel]
    includes: dict[str, tuple[str, ...]]

    def has_class(self, name: str) -> bool:
        """True for a bundled system class (full name)."""
        return name in self.classes

    def include(self, name: str) -> tuple[str, ...] | None:
        """Lines of a bundled include file, or None."""
        return self.includes.get(name)


def load_library() -> Library:
    """Read and parse every bundled file."""
    classes = {}
    for path in sorted(CLASS_DIR.glob("*.cls")):
        model = read_class(path.read_text(encoding="utf-8").split("\n")).model
        if model is not None:
            classes[model.name] = model
    includes = {p.name[:-4]: tuple(p.read_text(encoding="utf-8").split("\n"))
                for p in sorted(INCLUDE_DIR.glob("*.inc"))}
    return Library(classes, includes)


class LibraryHolder:
    """Loads the library once, on first use, for one adapter instance (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._library: Library | None = None

    def get(self) -> Library:
        """The loaded library."""
        with self._lock:
            if self._library is None:
                self._library = load_library()
            return self._library
