"""ObjectScript runtime errors: ``<NAME>`` with an optional detail (``*x`` of ``<UNDEFINED>``).

The executor fills in the location (``label+offset^routine``) when the error leaves a frame;
a function that raises only says what went wrong.
"""

from __future__ import annotations


class ObjectScriptError(Exception):
    """An ObjectScript error such as ``<UNDEFINED>`` or ``<DIVIDE>``.

    ``code`` is the name between the angle brackets (``"UNDEFINED"``), ``detail`` what IRIS
    prints after the location (``"*x"``, ``"^Glo(1)"``, a class or method name), ``location``
    the ``label+offset^routine`` once known.
    """

    def __init__(self, code: str, detail: str = "", location: str = "") -> None:
        super().__init__(code, detail, location)
        self.code = code
        self.detail = detail
        self.location = location

    @property
    def name(self) -> str:
        """``<CODE>``."""
        return f"<{self.code}>"

    def zerror(self) -> str:
        """The text ``$ZERROR`` holds: ``<CODE>location detail`` (parts present only)."""
        text = self.name + self.location
        return f"{text} {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return self.zerror()
