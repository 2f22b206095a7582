"""The console of one compile: the adapter's lines passed on as printed, with the server's
own lines put where the real compiler prints them.

The server adds lines of its own (documents that do not exist, masks that match nothing,
Storage it could not write back, a cancelled or failed compile). They go right after the
``Compilation started`` header and right before the footer, and the footer keeps counting
every error (``Detected N errors during compilation in S.SSSs.``). Adapters that do not stream
(``on_console`` ignored) have their lines replayed at the end.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

HEADER_RE = re.compile(r"^Compilation started on ")
FOOTER_RE = re.compile(r"^(?:Compilation finished successfully|Detected (\d+) errors during "
                       r"compilation) in (\d+(?:\.\d+)?)s\.$")


def footer(errors: int, seconds: float) -> str:
    """The compiler's last line (always plural "errors")."""
    if errors:
        return f"Detected {errors} errors during compilation in {seconds:.3f}s."
    return f"Compilation finished successfully in {seconds:.3f}s."


class ConsoleRelay:
    """Passes console lines to ``sink``, holding the footer back until the compile is applied."""

    def __init__(self, sink: Callable[[str], None], notes: Sequence[str] = ()) -> None:
        self._sink = sink
        self._notes = list(notes)
        self._streamed: list[str] = []
        self._lock = threading.Lock()
        self.header_seen = False
        self.footer: re.Match[str] | None = None

    def line(self, text: str) -> None:
        """One line printed by the adapter (``CompileRequest.on_console``)."""
        with self._lock:
            self._streamed.append(text)
            self._pass(text)

    def _pass(self, text: str) -> None:
        found = FOOTER_RE.match(text)
        if found:
            self.footer = found
            return
        self._sink(text)
        if not self.header_seen and HEADER_RE.match(text):
            self.header_seen = True
            self._flush_notes()

    def _flush_notes(self) -> None:
        for note in self._notes:
            self._sink(note)
        self._notes = []

    def finish(self, console: Sequence[str], *, extra_errors: int, notes: Sequence[str],
               elapsed: float, force: bool = False) -> None:
        """Replay what the adapter did not stream, then the closing notes and the footer.

        With the display off (no header and no footer printed) nothing of ours is printed
        either, unless ``force`` (the adapter failed); the errors still reach ``status.errors``.
        """
        with self._lock:
            done = len(self._streamed)
            if list(console[:done]) == self._streamed:
                for text in console[done:]:
                    self._pass(text)
            if not (self.header_seen or self.footer or force):
                return
            self._flush_notes()
            for note in notes:
                self._sink(note)
            self._sink(self._footer(extra_errors, elapsed))

    def _footer(self, extra_errors: int, elapsed: float) -> str:
        if self.footer is None:
            return footer(extra_errors, elapsed)
        if not extra_errors:
            return self.footer.group(0)
        counted = int(self.footer.group(1) or 0)
        return footer(counted + extra_errors, float(self.footer.group(2)))
