"""A small UDL class scanner: the class header, its keywords and every member with its
name, formal spec, type, keywords, default and description; enough for %Dictionary tables.

It is a scanner, not a compiler: member bodies are skipped by counting braces outside
double-quoted strings, which holds for the text IRIS exports and clients save.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = {"method": "Method", "classmethod": "Method", "clientmethod": "Method",
         "property": "Property", "relationship": "Property", "parameter": "Parameter",
         "index": "Index", "xdata": "XData", "query": "Query", "trigger": "Trigger",
         "storage": "Storage", "foreignkey": "ForeignKey", "projection": "Projection"}


@dataclass
class Member:
    """One class member as written."""

    kind: str  # Method | Property | Parameter | Index | XData | Query | Trigger | ...
    keyword: str  # the word that introduced it (ClassMethod, Relationship, ...)
    name: str
    spec: str = ""  # text inside the parentheses after the name
    type: str = ""  # text after As (without its parameters)
    type_params: str = ""
    keywords: dict[str, str] = field(default_factory=dict)
    default: str = ""  # Parameter X = value; Property initial expression via keywords
    rest: str = ""  # header text after name/spec/type/keywords (On ..., References ...)
    description: str = ""
    body: list[str] = field(default_factory=list)
    seq: int = 0


@dataclass
class ClassInfo:
    """A class header and its members."""

    name: str
    supers: list[str] = field(default_factory=list)
    keywords: dict[str, str] = field(default_factory=dict)
    description: str = ""
    includes: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


def scan(lines: list[str]) -> ClassInfo | None:
    """Scan a class text; None when no ``Class`` header is found."""
    text = "\n".join(lines)
    pos, desc, pre = _preamble(text)
    head_end = _find_top(text, pos, "{")
    if head_end < 0:
        return None
    info = _header(text[pos:head_end], desc)
    if info is None:
        return None
    info.includes, info.imports = pre.get("include", []), pre.get("import", [])
    _members(text, head_end + 1, info)
    return info


def _preamble(text: str) -> tuple[int, str, dict[str, list[str]]]:
    """Skip Include/Import lines and comments; collect the /// description of the class."""
    pos, desc = 0, []
    pre: dict[str, list[str]] = {}
    for line in text.split("\n"):
        word = line.strip().split(" ", 1)[0].lower().lstrip("\ufeff")
        if word == "class":
            break
        if line.strip().startswith("///"):
            desc.append(line.strip()[3:].removeprefix(" "))
        elif word in ("include", "import", "includegenerator"):
            pre.setdefault(word[:7], []).extend(_names(line.strip()[len(word):]))
        elif line.strip():
            desc = []
        pos += len(line) + 1
    return min(pos, len(text)), "\n".join(desc), pre


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.strip().strip("()").split(",") if n.strip()]


def _header(head: str, desc: str) -> ClassInfo | None:
    words = head.split()
    if len(words) < 2 or words[0].lower().lstrip("\ufeff") != "class":
        return None
    body, kw = _split_keywords(head)
    info = ClassInfo(words[1].rstrip("["), description=desc, keywords=kw)
    low = body.lower()
    at = low.find(" extends ")
    if at >= 0:
        info.supers = _names(body[at + 9:].strip())
    return info


def _members(text: str, pos: int, info: ClassInfo) -> None:
    desc: list[str] = []
    seq = 0
    while pos < len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line = text[pos:line_end].strip()
        if line.startswith("}"):
            return
        if not line or line.startswith("//") and not line.startswith("///"):
            pos = line_end + 1
            continue
        if line.startswith("///"):
            desc.append(line[3:].removeprefix(" "))
            pos = line_end + 1
            continue
        member, pos = _member(text, pos)
        if member is not None:
            seq += 1
            member.description, member.seq = "\n".join(desc), seq
            info.members.append(member)
        desc = []


def _member(text: str, pos: int) -> tuple[Member | None, int]:
    """One member starting at ``pos``; returns it and the position after it."""
    stop = _find_top(text, pos, "{;")
    if stop < 0:
        return None, len(text)
    head = text[pos:stop].strip()
    end = stop + 1
    body: list[str] = []
    if text[stop] == "{":
        close = _matching_brace(text, stop)
        body = text[stop + 1:close].strip("\n").split("\n")
        end = close + 1
    return _parse_member(head, body), end


def _parse_member(head: str, body: list[str]) -> Member | None:
    word, _, rest = head.partition(" ")
    kind = KINDS.get(word.lower())
    if kind is None:
        return None
    rest = rest.strip()
    name, rest = _take_name(rest)
    spec = ""
    if rest.startswith("("):
        close = _find_top(rest, 1, ")")
        spec, rest = rest[1:close], rest[close + 1:].strip()
    rest, keywords = _split_keywords(rest)
    member = Member(kind, word, name, spec, keywords=keywords, body=body)
    _type_and_default(member, rest.strip())
    return member


def _take_name(rest: str) -> tuple[str, str]:
    if rest.startswith('"'):
        end = rest.find('"', 1)
        return rest[1:end], rest[end + 1:].strip()
    i = 0
    while i < len(rest) and (rest[i].isalnum() or rest[i] in "%."):
        i += 1
    return rest[:i], rest[i:].strip()


def _type_and_default(member: Member, rest: str) -> None:
    eq = _find_top(rest, 0, "=")
    if eq >= 0:
        member.default = rest[eq + 1:].strip().rstrip(";").strip()
        rest = rest[:eq].strip()
    if rest.lower().startswith("as "):
        typ = rest[3:].strip()
        paren = _find_top(typ, 0, "(")
        space = typ.find(" ")
        cut = min(x for x in (paren, space, len(typ)) if x >= 0)
        member.type = typ[:cut]
        if paren == cut:
            close = _find_top(typ, paren + 1, ")")
            member.type_params = typ[paren + 1:close]
            cut = close + 1
        rest = typ[cut:].strip()
    member.rest = rest


def _split_keywords(text: str) -> tuple[str, dict[str, str]]:
    """Remove the top-level ``[ ... ]`` keyword list from a header; parse it."""
    start = _find_top(text, 0, "[")
    if start < 0:
        return text, {}
    end = _find_top(text, start + 1, "]")
    end = len(text) if end < 0 else end
    out: dict[str, str] = {}
    for item in _split_top(text[start + 1:end], ","):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not eq and key.lower().startswith("not "):
            out[key[4:].strip().lower()] = "0"
        else:
            out[key.lower()] = value.strip() if eq else "1"
    return text[:start] + text[end + 1:], out


def _split_top(text: str, sep: str) -> list[str]:
    parts, start = [], 0
    while True:
        at = _find_top(text, start, sep)
        if at < 0:
            parts.append(text[start:])
            return parts
        parts.append(text[start:at])
        start = at + 1


def _find_top(text: str, pos: int, chars: str) -> int:
    """The first of ``chars`` at ``pos`` or later outside quotes, parentheses and brackets."""
    depth = 0
    quoted = False
    for i in range(pos, len(text)):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in chars and depth == 0:
            return i
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
    return -1


def _matching_brace(text: str, start: int) -> int:
    depth, quoted = 0, False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\n":
            quoted = False  # ObjectScript strings never span lines
        elif quoted:
            continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)
