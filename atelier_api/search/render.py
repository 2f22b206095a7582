"""Rendering corpus hits: each hit attributed from the cached class outline of its document
version, as match dicts and console lines, or as envelope JSON built as text."""

from __future__ import annotations

import bisect
import json
from array import array
from collections.abc import Callable, Iterable
from typing import Any

from atelier_api.search.corpus import CLASS, ROUTINE_HEADER, Chunk
from atelier_api.search.outlines import Entry, class_outline, class_place, where
from atelier_api.search.scan import HIT_WIDTH


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: What a run of outline lines reports, shared by every segment (of any class) alike:
#: (0 numbered / 1 not / 2 the class line, JSON of the keys after "text" (up to the number),
#: console text between the document name and the number or the text, the keys as pairs,
#: the number's key or None)
Kind = tuple[int, str, str, tuple[tuple[str, str], ...], str | None]
_KINDS: dict[tuple[str | None, str | None, bool], Kind] = {}


def _outline_of(chunk: Chunk, d: int) -> tuple[array[int], array[int], list[Kind]]:
    """The class outline of one document version, computed once and cached compactly:
    segments of consecutive lines with the same member / attr and consecutive numbers, as
    (start line of each segment, its number minus its start line, its kind)."""
    entry = chunk.docs[d]
    cached = entry.cache.get("outline")
    if cached is None:
        lines = chunk.doc_text(d).split("\n")
        starts, offsets = array("i"), array("i")
        kinds: list[Kind] = []
        prev: Entry | None = None
        for idx, item in enumerate(class_outline(lines)):
            if prev is not None and item[0] == prev[0] and item[1] == prev[1] and (
                    (item[2] is None and prev[2] is None) or
                    (item[2] is not None and prev[2] is not None and item[2] == prev[2] + 1)):
                prev = item
                continue
            prev = item
            starts.append(idx)
            offsets.append(0 if item[2] is None else item[2] - idx)
            kinds.append(_kind_of(item[0], item[1], item[2] is not None))
        cached = (starts, offsets, kinds)
        entry.cache["outline"] = cached
    return cached


def _kind_of(member: str | None, attr: str | None, numbered: bool) -> Kind:
    key = (member, attr, numbered)
    kind = _KINDS.get(key)
    if kind is None:
        keys: list[tuple[str, str]] = []
        if member is not None:
            keys.append(("member", member))
        numkey = None
        if attr is not None:
            keys.append(("attr", attr))
            numkey = "attrline" if numbered else None
        elif numbered:
            numkey = "line"
        if not keys and numkey is None:
            keys.append(("attr", "Name"))
        frag = "".join(f",{enc(k)}:{enc(v)}" for k, v in keys)
        parts = " ".join(v for _k, v in keys)
        if numkey is not None:
            frag += f",{enc(numkey)}:"
            lead = f"({parts} +" if parts else "(+"
        else:
            lead = f"({parts}): " if parts else ": "
        mode = 2 if attr == "Name" else 1 if numkey is None else 0
        if len(_KINDS) > 100_000:  # member names come and go: outlines keep their own
            _KINDS.clear()
        kind = _KINDS.setdefault(key, (mode, frag, lead, tuple(keys), numkey))
    return kind


def doc_matches(chunk: Chunk, d: int, hits: list[int]) -> Iterable[tuple[str, Any, str]]:
    """(stripped line text, match dict, console line) of each hit of document ``d``, exactly
    as ``locator``/``class_place`` and ``where`` give them."""
    entry = chunk.docs[d]
    source = chunk.text
    name = entry.name.name
    lines, heads, ends = hits[1::HIT_WIDTH], hits[2::HIT_WIDTH], hits[3::HIT_WIDTH]
    if entry.kind != CLASS:
        shift = 0 if entry.kind == ROUTINE_HEADER else 1
        for idx, head, end in zip(lines, heads, ends, strict=True):
            text = source[head:end].lstrip()
            yield text, {"text": text, "line": idx + shift}, f"{name}(+{idx + shift}): {text}"
        return
    starts, offsets, kinds = _outline_of(chunk, d)
    for k, (idx, head, end) in enumerate(zip(lines, heads, ends, strict=True)):
        raw = source[head:end]
        text = raw.lstrip()
        s = bisect.bisect_right(starts, idx) - 1
        mode, _frag, lead, keys, numkey = kinds[s]
        if mode == 2:  # the class line: Name or Super by column
            match = {"text": text, **class_place((None, "Name", None), raw,
                                                 hits[k * HIT_WIDTH + 4])}
            yield text, match, f"{name}{where(match)}: {text}"
        elif numkey is None:
            yield text, {"text": text, **dict(keys)}, f"{name}{lead}{text}"
        else:
            num = idx + offsets[s]
            yield text, {"text": text, **dict(keys), numkey: num}, f"{name}{lead}{num}): {text}"


def render_chunk(chunk: Chunk, flat: list[int], left: int, result: list[str],
                 console: list[str]) -> tuple[int, int]:
    """``doc_matches`` for the envelope, flattened over a chunk (a synchronous search may
    render hundreds of thousands of hits): each document's result item as JSON to
    ``result``, each hit's console line to ``console``; at most ``left`` hits. Returns (hits,
    documents)."""
    source = chunk.text
    docs = chunk.docs
    quote, say, where = enc, console.append, bisect.bisect_right  # locals: hot loop
    hits = files = 0
    n = min(len(flat), left * HIT_WIDTH)
    k = 0
    while k < n:
        d = flat[k]
        entry = docs[d]
        parts: list[str] = []
        add = parts.append
        if entry.kind == CLASS:
            name = entry.name.name
            starts, offsets, kinds = _outline_of(chunk, d)
            while k < n and flat[k] == d:
                idx = flat[k + 1]
                s = where(starts, idx) - 1
                mode, frag, lead = kinds[s][:3]
                if mode == 0:
                    text = source[flat[k + 2]:flat[k + 3]].lstrip()
                    num = idx + offsets[s]
                    add(f'{{"text":{quote(text)}{frag}{num}}}')
                    say(f"{name}{lead}{num}): {text}")
                elif mode == 1:
                    text = source[flat[k + 2]:flat[k + 3]].lstrip()
                    add(f'{{"text":{quote(text)}{frag}}}')
                    say(f"{name}{lead}{text}")
                else:  # the class line: Name or Super by column
                    for _text, match, line in doc_matches(chunk, d, flat[k:k + HIT_WIDTH]):
                        add(dumps(match))
                        say(line)
                k += HIT_WIDTH
        else:
            shift = 0 if entry.kind == ROUTINE_HEADER else 1
            prefix = entry.name.name + "(+"
            while k < n and flat[k] == d:
                text = source[flat[k + 2]:flat[k + 3]].lstrip()
                num = flat[k + 1] + shift
                add(f'{{"text":{quote(text)},"line":{num}}}')
                say(f"{prefix}{num}): {text}")
                k += HIT_WIDTH
        result.append(f'{{"doc":{enc(entry.name.name)},"matches":[{",".join(parts)}]}}')
        hits += len(parts)
        files += 1
    return hits, files


enc: Callable[[str], str] = json.encoder.encode_basestring
