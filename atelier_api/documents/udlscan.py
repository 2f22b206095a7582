"""The UDL class-text scanner of the class dictionary (``sql/``) and the XML exporter.

It owns the lexical rules both share (a string runs from ``"`` to the next ``"`` and never
past its line; ``()``, ``[]`` and ``{}`` all nest in top-level searches and splits) and two
modes for where their needs differ:

``Mode.LENIENT``, the dictionary: ``scan`` reads any saved text into a ``ClassInfo`` (header,
keywords, each member's name, formal spec, type, keywords, default, description). Words and
keywords in any case and spacing; ``//`` lines between members skipped; a stray closing
bracket ignored; a member body runs to the brace matching its ``{`` (other brackets in a
body do not count), or to the end of the text.

``Mode.CANONICAL``, the exporter: ``parse_*``, ``split_*`` and ``to_formal_spec`` (with their
inverses) accept only the layout IRIS writes (exact case, ``K = v``, ``Not K``, ``(A, B)``)
and raise ``Unmappable`` otherwise, so the exporter falls back to its verbatim form. A stray
closing bracket ends the top level; ``closing`` nests every kind and raises when unclosed.
The exporter's line layout (one header a line, ``}`` alone) is checked in ``xmlexport``.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from atelier_api.documents.udl import split_arguments

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_PAIRS.values())
_BRACKETS = "()[]{}"
_KEYWORD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
KINDS = {"method": "Method", "classmethod": "Method", "clientmethod": "Method",
         "property": "Property", "relationship": "Property", "parameter": "Parameter",
         "index": "Index", "xdata": "XData", "query": "Query", "trigger": "Trigger",
         "storage": "Storage", "foreignkey": "ForeignKey", "projection": "Projection"}


#: members whose body is ObjectScript code (its comments and strings hide braces)
_CODE_KINDS = frozenset({"method", "classmethod", "clientmethod", "trigger"})
_LANGUAGE = re.compile(r"\bLanguage\s*=\s*(\w+)", re.IGNORECASE)


class Mode(enum.Enum):
    """Whose rules a scan follows where the class dictionary and the exporter differ."""

    LENIENT = "lenient"  # the class dictionary: read what was saved, recover from junk
    CANONICAL = "canonical"  # the XML exporter: canonical layout only, else Unmappable


class Unmappable(Exception):
    """Class text not in the canonical form (the exporter then uses its verbatim form)."""


def expect(ok: bool, why: str) -> None:
    """Raise ``Unmappable`` unless ``ok``."""
    if not ok:
        raise Unmappable(why)


# -- the shared lexical rules -----------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _stops(chars: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape('"\n' + chars) + "]")


def _unquoted(text: str, start: int, chars: str) -> Iterator[int]:
    """Indexes from ``start`` of the ``chars`` that stand outside string literals."""
    quoted = False
    for match in _stops(chars).finditer(text, start):
        if match.group() == '"':
            quoted = not quoted
        elif match.group() == "\n":
            quoted = False  # ObjectScript strings never span lines
        elif not quoted:
            yield match.start()


def find_top(text: str, needles: str | tuple[str, ...], start: int = 0, *, mode: Mode) -> int:
    """First index from ``start`` where one of ``needles`` (none starting with ``"`` or a
    newline) stands outside strings and brackets, or -1. LENIENT ignores a stray closer;
    CANONICAL lets it end the top level."""
    depth = braces = 0  # LENIENT: inside braces (a code value), only braces count
    firsts = "".join(n[:1] for n in ((needles,) if isinstance(needles, str) else needles))
    for index in _unquoted(text, start, _BRACKETS + firsts):
        char = text[index]
        if depth == 0 and braces == 0 and text.startswith(needles, index):
            return index
        if mode is Mode.LENIENT and (braces or char == "{"):
            braces += 1 if char == "{" else -1 if char == "}" else 0
        elif char in _PAIRS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1) if mode is Mode.LENIENT else depth - 1
    return -1


def split_top(text: str, sep: str, *, mode: Mode) -> list[str]:
    """``text`` cut at every ``sep`` outside strings and brackets."""
    parts, start = [], 0
    while (at := find_top(text, sep, start, mode=mode)) >= 0:
        parts.append(text[start:at])
        start = at + len(sep)
    parts.append(text[start:])
    return parts


_HTML_TOKEN = re.compile(r"<(?=[A-Za-z/!?])|>")
_RAW_TAG = re.compile(r"<(script|style)\b[^>]*>", re.IGNORECASE)


def html_end(text: str, start: int) -> int:
    """The index after the ``>`` that closes embedded HTML opened by the ``&html<`` ending at
    ``start`` (the end of the text when it never closes): a ``<`` that starts a tag nests, a
    ``>`` closes, and a ``<script>``/``<style>`` element's text runs to its end tag (the rule
    of the ObjectScript grammar; the stub compiler applies the same rule to its code lines)."""
    depth, at = 1, start
    while (m := _HTML_TOKEN.search(text, at)) is not None:
        if m.group() == ">":
            depth -= 1
            if not depth:
                return m.end()
            at = m.end()
            continue
        raw = _RAW_TAG.match(text, m.start())
        if raw is None:
            depth, at = depth + 1, m.end()
            continue
        end = text.lower().find("</" + raw.group(1).lower(), raw.end())
        at = len(text) if end < 0 else end
    return len(text)


def closing(text: str, start: int, *, mode: Mode) -> int:
    """Index of the bracket closing the one at ``start``. LENIENT (a member body) counts only
    that bracket's kind and runs to the end of the text when it is not closed; CANONICAL
    nests every kind and raises ``Unmappable``."""
    pairs = _PAIRS if mode is Mode.CANONICAL else {text[start]: _PAIRS[text[start]]}
    stack: list[str] = []
    for index in _unquoted(text, start, "".join(k + v for k, v in pairs.items())):
        char = text[index]
        if char in pairs:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index
    if mode is Mode.LENIENT:
        return len(text)
    raise Unmappable(f"unbalanced brackets in {text!r}")


_CODE_TOKEN = re.compile(r'["{}\n;]|//|#;|/\*|&html<', re.IGNORECASE)


def code_closing(text: str, start: int) -> int:
    """Index of the ``}`` closing the ObjectScript body whose ``{`` is at ``start`` (the end
    of the text when it never closes): braces in strings, comments (``//``, ``;``, ``#;``,
    ``/* */``) and embedded HTML do not count, as in the compiler."""
    depth, at = 0, start
    while (m := _CODE_TOKEN.search(text, at)) is not None:
        tok, at = m.group(), m.end()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if not depth:
                return m.start()
        elif tok == '"':
            close = text.find('"', at)
            eol = text.find("\n", at)
            at = close + 1 if close >= 0 and (eol < 0 or close < eol) else at
        elif tok == "/*":
            close = text.find("*/", at)
            at = len(text) if close < 0 else close + 2
        elif tok in ("//", ";", "#;"):
            eol = text.find("\n", at)
            at = len(text) if eol < 0 else eol
        elif tok != "\n":  # &html<
            at = html_end(text, at)
    return len(text)


# -- LENIENT: the class dictionary's scan -----------------------------------------------------
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
    """Scan a class text leniently; None when no ``Class`` header is found."""
    text = "\n".join(lines)
    pos, desc, pre = _preamble(text)
    head_end = find_top(text, "{", pos, mode=Mode.LENIENT)
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
    body, kw = _lenient_keywords(head)
    info = ClassInfo(words[1].rstrip("["), description=desc, keywords=kw)
    at = body.lower().find(" extends ")
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
        if line.startswith("/*"):  # a block comment between members, maybe several lines
            close = text.find("*/", text.find("/*", pos) + 2)
            pos, desc = (len(text) if close < 0 else close + 2), []
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
    stop = find_top(text, ("{", ";"), pos, mode=Mode.LENIENT)
    if stop < 0:
        return None, len(text)
    head = text[pos:stop].strip()
    end = stop + 1
    body: list[str] = []
    if text[stop] == "{":
        language = _LANGUAGE.search(head)
        code = bool(head) and head.split(None, 1)[0].lower() in _CODE_KINDS and (
            language is None or language.group(1).lower() in ("objectscript", "cache"))
        close = code_closing(text, stop) if code else closing(text, stop, mode=Mode.LENIENT)
        body = text[stop + 1:close].strip("\n").split("\n")
        end = close + 1
    return _parse_member(head, body), end


def _parse_member(head: str, body: list[str]) -> Member | None:
    word, _, rest = head.partition(" ")
    kind = KINDS.get(word.lower())
    if kind is None:
        return None
    name, rest = _take_name(rest.strip())
    spec = ""
    if rest.startswith("("):
        close = find_top(rest, ")", 1, mode=Mode.LENIENT)
        spec, rest = rest[1:close], rest[close + 1:].strip()
    rest, keywords = _lenient_keywords(rest)
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
    eq = find_top(rest, "=", mode=Mode.LENIENT)
    if eq >= 0:
        member.default = rest[eq + 1:].strip().rstrip(";").strip()
        rest = rest[:eq].strip()
    if rest.lower().startswith("as "):
        typ = rest[3:].strip()
        paren = find_top(typ, "(", mode=Mode.LENIENT)
        space = typ.find(" ")
        cut = min(x for x in (paren, space, len(typ)) if x >= 0)
        member.type = typ[:cut]
        if paren == cut:
            close = find_top(typ, ")", paren + 1, mode=Mode.LENIENT)
            member.type_params = typ[paren + 1:close]
            cut = close + 1
        rest = typ[cut:].strip()
    member.rest = rest


def _lenient_keywords(text: str) -> tuple[str, dict[str, str]]:
    """Remove the top-level ``[ ... ]`` keyword list from a header; read it in any case and
    spacing: {lowercased name: value, "1" for a bare name, "0" for ``Not`` name}."""
    start = find_top(text, "[", mode=Mode.LENIENT)
    if start < 0:
        return text, {}
    end = find_top(text, "]", start + 1, mode=Mode.LENIENT)
    end = len(text) if end < 0 else end
    out: dict[str, str] = {}
    for item in split_top(text[start + 1:end], ",", mode=Mode.LENIENT):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not eq and key.lower().startswith("not "):
            out[key[4:].strip().lower()] = "0"
        else:
            out[key.lower()] = value.strip() if eq else "1"
    return text[:start] + text[end + 1:], out


# -- CANONICAL: the exporter's exact reading, each with its inverse ---------------------------
def split_keywords_tail(text: str) -> tuple[str, str | None]:
    """Split ``head [ keywords ]`` into (head, keyword text); (text, None) without keywords."""
    at = find_top(text, " [ ", mode=Mode.CANONICAL)
    if at < 0:
        return text, None
    end = closing(text, at + 1, mode=Mode.CANONICAL)
    expect(end == len(text) - 1, f"text after keywords in {text!r}")
    expect(text.endswith(" ]"), f"keyword list not closed with ' ]' in {text!r}")
    return text[:at], text[at + 3 : -2]


def parse_keywords(text: str) -> list[tuple[str, str]]:
    """``K, K = v, Not K`` -> [(K, "1"), (K, v), (K, "0")]; values kept as written."""
    out: list[tuple[str, str]] = []
    for item in split_arguments(text):
        if item.startswith("Not "):
            name, value = item[4:], "0"
        elif " = " in item:
            name, _, value = item.partition(" = ")
            expect(value not in ("0", "1"), f"keyword value {value!r} reads as a flag")
        else:
            name, value = item, "1"
        expect(_KEYWORD_NAME.fullmatch(name) is not None, f"keyword name {name!r}")
        out.append((name, value))
    expect(render_keywords(out) == text, f"keyword list {text!r} is not in canonical form")
    return out


def render_keywords(pairs: list[tuple[str, str]]) -> str:
    """Inverse of ``parse_keywords``."""
    return ", ".join(name if value == "1" else f"Not {name}" if value == "0"
                     else f"{name} = {value}" for name, value in pairs)


def parse_name_list(text: str) -> list[str]:
    """``A`` or ``(A, B)`` -> [A, B] (canonical spacing required)."""
    if text.startswith("(") and text.endswith(")"):
        items = split_arguments(text[1:-1])
        expect(len(items) > 1 and "(" + ", ".join(items) + ")" == text, f"list {text!r}")
        return items
    expect(" " not in text and "," not in text, f"list {text!r}")
    return [text]


def render_name_list(items: list[str]) -> str:
    """Inverse of ``parse_name_list``."""
    return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"


def to_formal_spec(args_text: str) -> str:
    """UDL arguments ``ByRef a As T = d, b`` -> FormalSpec ``&a:T=d,b``."""
    specs = []
    for arg in split_arguments(args_text):
        prefix = ""
        for word, mark in (("ByRef ", "&"), ("Output ", "*")):
            if arg.startswith(word):
                prefix, arg = mark, arg[len(word) :]
        default_at = find_top(arg, " = ", mode=Mode.CANONICAL)
        default = None if default_at < 0 else arg[default_at + 3 :]
        head = arg if default_at < 0 else arg[:default_at]
        name, _, type_ = head.partition(" As ")
        expect(bool(name) and not any(c in name for c in " :=,&*"), f"argument {arg!r}")
        spec = prefix + name + (":" + type_ if type_ else "")
        specs.append(spec + ("" if default is None else "=" + default))
    out = ",".join(specs)
    expect(from_formal_spec(out) == args_text, f"arguments {args_text!r} not canonical")
    return out


def from_formal_spec(spec: str) -> str:
    """FormalSpec ``&a:T=d,b`` -> UDL arguments ``ByRef a As T = d, b``."""
    args = []
    for item in split_arguments(spec) if spec else []:
        prefix = ""
        if item[:1] in ("&", "*"):
            prefix, item = ("ByRef " if item[0] == "&" else "Output "), item[1:]
        default_at = find_top(item, "=", mode=Mode.CANONICAL)
        head = item if default_at < 0 else item[:default_at]
        name, _, type_ = head.partition(":")
        arg = prefix + name + (" As " + type_ if type_ else "")
        args.append(arg + ("" if default_at < 0 else " = " + item[default_at + 1 :]))
    return ", ".join(args)


def split_type(text: str) -> tuple[str, list[tuple[str, str]] | None]:
    """``%String(MAXLEN = 100)`` -> ("%String", [("MAXLEN", "100")]); no params -> None."""
    at = text.find("(")
    if at < 0:
        expect(" " not in text, f"type {text!r}")
        return text, None
    expect(closing(text, at, mode=Mode.CANONICAL) == len(text) - 1, f"type {text!r}")
    params = []
    for item in split_arguments(text[at + 1 : -1]):
        name, sep, value = item.partition(" = ")
        expect(bool(sep) and _KEYWORD_NAME.fullmatch(name) is not None, f"type param {item!r}")
        params.append((name, value))
    expect(render_type(text[:at], params) == text, f"type {text!r} not canonical")
    return text[:at], params


def render_type(name: str, params: list[tuple[str, str]] | None) -> str:
    """Inverse of ``split_type``."""
    if params is None:
        return name
    return name + "(" + ", ".join(f"{k} = {v}" for k, v in params) + ")"
