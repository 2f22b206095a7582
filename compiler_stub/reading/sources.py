"""Parsed workspace classes kept between compiles: an IDE recompiles one class again and again,
and each compile reads the same superclasses; their text rarely changes between two saves."""

from __future__ import annotations

import threading
from collections import OrderedDict

from compiler_stub.reading.outline import ClassSource, read_class

#: Classes kept per adapter (least recently used dropped first); ~20 KB each for typical ones.
CAPACITY = 512


class SourceCache:
    """``read_class`` results by exact text, bounded, shared by the compiles of one adapter.

    ``read_class`` depends on the lines only and its result is immutable, so a hit returns what
    a fresh read would; the key is the whole text, never a name or a timestamp.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, ...], ClassSource] = OrderedDict()

    def read(self, lines: tuple[str, ...]) -> ClassSource:
        """The ClassSource of ``lines`` (read and kept on a miss)."""
        with self._lock:
            found = self._entries.get(lines)
            if found is not None:
                self._entries.move_to_end(lines)
                return found
        found = read_class(list(lines))  # outside the lock: parsing takes milliseconds
        with self._lock:
            self._entries[lines] = found
            self._entries.move_to_end(lines)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return found
