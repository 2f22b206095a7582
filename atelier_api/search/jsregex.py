"""Include/exclude patterns as the client writes them, JavaScript regular expressions (the
``source`` of the glob library's ``RegExp``), in Python's syntax.

For what the glob library writes, the two syntaxes read alike but for:

* ``\\p{…}`` and ``\\P{…}``, Unicode property escapes, which it writes for POSIX classes
  (``[[:alpha:]]`` → ``[\\p{L}\\p{Nl}]``) under the ``u`` flag that the source leaves behind.
  Python's ``re`` has none: each becomes the explicit class of its general category
  (``charsets.general_category``; ``gc=`` and ``General_Category=`` may precede the name);
* in a class, ``[`` and doubled ``&``, ``|``, ``~`` are literal in JavaScript, and Python
  warns of set operations to come: they are escaped;
* the empty class ``[]`` (matches nothing) and ``[^]`` (any character), which Python reads
  as the start of a class holding ``]``.
"""

from __future__ import annotations

from atelier_api.search.charsets import Ranges, complement, general_category

_NOTHING = "[^\\x00-\\U0010ffff]"
_ANYTHING = "[\\x00-\\U0010ffff]"
_PROPERTY_PREFIXES = ("gc=", "General_Category=")


def python_source(source: str) -> str:
    """``source`` in Python's syntax (ValueError for a property this server does not know)."""
    out: list[str] = []
    i, size = 0, len(source)
    in_class = False
    while i < size:
        ch = source[i]
        if ch == "\\" and i + 1 < size:
            if source[i + 1] in "pP" and source.startswith("{", i + 2):
                end = source.find("}", i + 3)
                if end < 0:
                    raise ValueError("a \\p{ without its closing brace")
                body = _class_body(_property(source[i + 3:end], source[i + 1] == "P"))
                out.append(body if in_class else f"[{body}]")
                i = end + 1
                continue
            out.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append(ch)
            else:
                out.append("\\" + ch if ch in "[&|~" else ch)
            i += 1
            continue
        if ch == "[":
            if source.startswith("[]", i) or source.startswith("[^]", i):
                out.append(_NOTHING if source[i + 1] == "]" else _ANYTHING)
                i += 2 if source[i + 1] == "]" else 3
                continue
            in_class = True
            negated = source.startswith("[^", i)
            out.append("[^" if negated else "[")
            i += 2 if negated else 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _property(name: str, negated: bool) -> Ranges:
    for prefix in _PROPERTY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    try:
        ranges = general_category(name)
    except KeyError:
        raise ValueError(f"the Unicode property \\p{{{name}}} is not a general category "
                         "this server knows") from None
    return complement(ranges) if negated else ranges


def _class_body(ranges: Ranges) -> str:
    return "".join(_esc(low) if low == high else f"{_esc(low)}-{_esc(high)}"
                   for low, high in ranges)


def _esc(code: int) -> str:
    return f"\\U{code:08x}"
