"""The stub's class model: what the outline extractor reads from a UDL class."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler_stub.reading.segments import Segment

METHOD_KINDS = ("method", "classmethod", "clientmethod")
CODE_LANGUAGES = ("", "objectscript", "cache")
_NESTING = '"()[]{}'
_KW_RE = re.compile(r"^(?:(Not)\s+)?([%\w]+)\s*(?:=\s*(.*))?$", re.IGNORECASE | re.DOTALL)


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside quotes, parentheses, brackets and braces."""
    if not any(ch in text for ch in _NESTING):  # most keyword lists: a plain split
        return [p for p in (part.strip() for part in text.split(sep)) if p]
    parts: list[str] = []
    cur: list[str] = []
    depth, in_str = 0, False
    for ch in text:
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch in "([{":
            depth += 1
        elif not in_str and ch in ")]}":
            depth -= 1
        elif not in_str and not depth and ch == sep:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    tail = "".join(cur).strip()
    return [p for p in [*parts, tail] if p]


def parse_keywords(text: str) -> tuple[tuple[str, str], ...]:
    """``[ Final, Not ProcedureBlock, ClassType = persistent ]`` -> ((name, value), ...)."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    out = []
    for part in split_top(body):
        m = _KW_RE.match(part)
        if m:
            value = "0" if m.group(1) else (m.group(3) or "1").strip()
            out.append((m.group(2).lower(), value))
    return tuple(out)


def kw_list(value: str | None) -> list[str]:
    """A keyword value that may be a parenthesised list -> its items."""
    if not value:
        return []
    v = value.strip()
    if v.startswith("(") and v.endswith(")"):
        v = v[1:-1]
    return [p.strip().strip('"') for p in split_top(v)]


@dataclass(frozen=True)
class Keyworded:
    """Mixin for things with a keyword list."""

    keywords: tuple[tuple[str, str], ...] = ()

    def kw(self, name: str) -> str | None:
        """Value of keyword ``name`` (case-insensitive), or None."""
        for key, value in self.keywords:
            if key == name.lower():
                return value
        return None

    def flag(self, name: str) -> bool:
        """True when boolean keyword ``name`` is set (``X`` or ``X = 1``)."""
        value = self.kw(name)
        return value is not None and value.strip().lower() not in ("0", "false")


@dataclass(frozen=True)
class Arg:
    """A formal argument as written."""

    name: str
    type: str = ""
    byref: bool = False
    output: bool = False
    default: str = ""


@dataclass(frozen=True)
class Member(Keyworded):
    """A class member; ``type`` is the raw type (return type, property type, parameter type)."""

    kind: str = ""
    name: str = ""
    row: int = 0
    doc: tuple[str, ...] = ()
    type: str = ""
    collection: str = ""
    args: tuple[Arg, ...] = ()
    default: str = ""
    segment: Segment | None = None
    language: str = ""

    @property
    def is_method(self) -> bool:
        """Method, ClassMethod or ClientMethod."""
        return self.kind in METHOD_KINDS

    @property
    def is_code(self) -> bool:
        """True when the body is ObjectScript code (not python, SQL, XML, ...)."""
        if self.kind not in ("method", "classmethod", "trigger"):
            return False
        return self.language in CODE_LANGUAGES

    @property
    def codemode(self) -> str:
        """CodeMode keyword, lowercased ('code' by default)."""
        return (self.kw("CodeMode") or "code").lower()


@dataclass(frozen=True)
class ClassModel(Keyworded):
    """A parsed class: header facts, members, and the source lines."""

    name: str = ""
    row: int = 0
    doc: tuple[str, ...] = ()
    supers: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    include_generators: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    lines: tuple[str, ...] = field(default=(), repr=False)

    @property
    def package(self) -> str:
        """The package part of the class name."""
        return self.name.rpartition(".")[0]

    @property
    def short(self) -> str:
        """The class name without its package."""
        return self.name.rpartition(".")[2]

    def of_kind(self, *kinds: str) -> list[Member]:
        """Members of the given kinds, in declaration order."""
        return [m for m in self.members if m.kind in kinds]
