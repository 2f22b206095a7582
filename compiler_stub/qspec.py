"""Compiler flags and qualifiers (qspec): ``cuk``, ``-d``, ``/keepsource``, ``/display=none``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAG_QUALIFIERS = {
    "c": ("compile",), "k": ("keepsource",), "b": ("subclasses",),
    "r": ("predecessorclasses",), "d": ("displaylog", "displayerror"), "e": ("deleteextent",),
    "u": ("checkuptodate",),
}
_QUAL_RE = re.compile(r"/\s*([A-Za-z]+)(?:=([^/]*))?")


@dataclass(frozen=True)
class Qspec:
    """The settings of a qspec that the stub acts on; everything else is accepted and ignored."""

    keepsource: bool = False
    subclasses: bool = False
    predecessors: bool = False
    displaylog: bool = True
    displayerror: bool = True
    checkuptodate: str = "expandedonly"
    defines: tuple[tuple[str, str], ...] = ()


def _flags(text: str, on: dict[str, object]) -> None:
    """Apply flag letters (``-x`` negates; ``o1``..``o4`` are ignored)."""
    negate = False
    for ch in re.sub(r"o\d", "", text.lower()):
        if ch == "-":
            negate = True
            continue
        for qual in _FLAG_QUALIFIERS.get(ch, ()):
            on[qual] = ("none" if negate else "all") if qual == "checkuptodate" else not negate
        negate = False


def _qualifier(name: str, value: str | None, on: dict[str, object]) -> None:
    """Apply one ``/name[=value]`` qualifier (``/noname`` and ``=0`` negate)."""
    name = name.lower()
    negated = name.startswith("no") and name[2:] in {"keepsource", "subclasses", "display",
                                                    "displaylog", "displayerror", "expand",
                                                    "predecessorclasses", "checkuptodate"}
    if negated:
        name = name[2:]
    truth = not negated and (value is None or value.strip().lower() not in ("0", "none", ""))
    if name == "display":
        on["displaylog"] = on["displayerror"] = truth
    elif name == "expand":
        on["subclasses"] = on["predecessorclasses"] = truth
    elif name == "checkuptodate":
        v = (value or "all").strip().lower()
        on[name] = "none" if negated or v in ("0", "none") else v if v in (
            "all", "expandedonly") else "all"
    elif name == "defines":
        on["defines"] = tuple(_define(d) for d in (value or "").split(",") if d.strip())
    elif name in ("keepsource", "subclasses", "predecessorclasses", "displaylog", "displayerror"):
        on[name] = truth


def _define(item: str) -> tuple[str, str]:
    """``NAME[=value]`` -> (name, value) with value defaulting to 1 (like #define NAME 1)."""
    name, _, value = item.strip().partition("=")
    return name.strip(), value.strip() or "1"


def parse_qspec(text: str) -> Qspec:
    """Parse flags then qualifiers, left to right; later settings win; unknown ones ignored."""
    on: dict[str, object] = {"keepsource": False, "subclasses": False,
                             "predecessorclasses": False, "displaylog": True,
                             "displayerror": True, "checkuptodate": "expandedonly", "defines": ()}
    head, _, _ = text.partition("/")
    _flags(head.strip(), on)
    for m in _QUAL_RE.finditer(text[len(head):]):
        _qualifier(m.group(1), m.group(2), on)
    return Qspec(
        keepsource=bool(on["keepsource"]), subclasses=bool(on["subclasses"]),
        predecessors=bool(on["predecessorclasses"]), displaylog=bool(on["displaylog"]),
        displayerror=bool(on["displayerror"]), checkuptodate=str(on["checkuptodate"]),
        defines=on["defines"])  # type: ignore[arg-type]
