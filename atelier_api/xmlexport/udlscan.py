"""Small scanning helpers for UDL class text: balanced brackets, top-level splits, keywords."""

from __future__ import annotations

import re

from atelier_api.documents.udl import split_arguments

_KEYWORD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


class Unmappable(Exception):
    """Class text the structured XML form cannot carry exactly (the verbatim form is used)."""


def expect(ok: bool, why: str) -> None:
    """Raise ``Unmappable`` unless ``ok``."""
    if not ok:
        raise Unmappable(why)


def closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (quotes and nesting respected)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    quoted = False
    for index in range(start, len(text)):
        char = text[index]
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in pairs:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index
    raise Unmappable(f"unbalanced brackets in {text!r}")


def top_level_find(text: str, needle: str) -> int:
    """First index of ``needle`` outside quotes and brackets, or -1."""
    depth, quoted = 0, False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(needle, index):
            return index
    return -1


def split_keywords_tail(text: str) -> tuple[str, str | None]:
    """Split ``head [ keywords ]`` into (head, keyword text); (text, None) without keywords."""
    at = top_level_find(text, " [ ")
    if at < 0:
        return text, None
    expect(closing(text, at + 1) == len(text) - 1, f"text after keywords in {text!r}")
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
    parts = []
    for name, value in pairs:
        parts.append(name if value == "1" else f"Not {name}" if value == "0"
                     else f"{name} = {value}")
    return ", ".join(parts)


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
        default_at = top_level_find(arg, " = ")
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
        default_at = top_level_find(item, "=")
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
    expect(closing(text, at) == len(text) - 1, f"type {text!r}")
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
