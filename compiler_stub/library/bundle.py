"""The bundled system library: class signatures (system_classes/) and include files."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler_stub.reading.model import ClassModel
from compiler_stub.reading.outline import read_class

_HERE = Path(__file__).parent
CLASS_DIR = _HERE / "system_classes"
INCLUDE_DIR = _HERE / "system_includes"


class LazyClasses(Mapping[str, ClassModel]):
    """System classes by full name (the file name), each parsed on first use: a compile
    looks at a few dozen of the hundreds bundled, and start-up stays fast."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths
        self._parsed: dict[str, ClassModel | None] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> ClassModel:
        model = self._model(name)
        if model is None:
            raise KeyError(name)
        return model

    def get(self, name: str, default: Any = None) -> Any:  # noqa: D102 - Mapping.get
        model = self._model(name)
        return default if model is None else model

    def _model(self, name: str) -> ClassModel | None:
        try:
            return self._parsed[name]
        except KeyError:
            pass
        path = self._paths.get(name)
        if path is None:
            return None
        model = read_class(path.read_text(encoding="utf-8").split("\n")).model
        with self._lock:
            self._parsed[name] = model
        return model

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass(frozen=True)
class Library:
    """System classes by full name (parsed when first asked for) and system include files by
    name (lines)."""

    classes: Mapping[str, ClassModel]
    includes: dict[str, tuple[str, ...]]

    def has_class(self, name: str) -> bool:
        """True for a bundled system class (full name)."""
        return name in self.classes

    def include(self, name: str) -> tuple[str, ...] | None:
        """Lines of a bundled include file, or None."""
        return self.includes.get(name)


def load_library() -> Library:
    """Index every bundled file (classes are parsed on first use)."""
    classes = LazyClasses({p.name[:-4]: p for p in sorted(CLASS_DIR.glob("*.cls"))})
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
