"""ObjectScript vocabulary: commands, system functions and special variables (with abbreviations).

Used only to name an error that tree-sitter already found (never to find errors on its own), so
an incomplete list can misname an error but cannot invent one.
"""

from __future__ import annotations

COMMANDS = frozenset([
    "b", "break", "c", "close", "catch", "continue", "d", "do", "e", "else", "elseif", "f",
    "for", "g", "goto", "h", "halt", "hang", "i", "if", "j", "job", "k", "kill", "l", "lock",
    "m", "merge", "n", "new", "o", "open", "p", "print", "q", "quit", "r", "read", "ret",
    "return", "s", "set", "tc", "tcommit", "tro", "trollback", "ts", "tstart", "throw", "try",
    "u", "use", "v", "view", "vi", "w", "while", "write", "x", "xecute", "zb", "zbreak", "zk",
    "zkill", "zl", "zload", "zn", "znspace", "zp", "zprint", "zr", "zremove", "zs", "zsave",
    "zsync", "zt", "ztrap", "zw", "zwrite", "zzdump", "zzwrite", "zi", "zinsert"
])

FUNCTIONS = frozenset([
    "a", "ascii", "bit", "bitcount", "bitfind", "bitlogic", "case", "c", "char", "classmethod",
    "classname", "d", "data", "decimal", "double", "e", "extract", "factor", "f", "find", "fn",
    "fnumber", "g", "get", "i", "increment", "in", "inumber", "isobject", "isvaliddouble",
    "isvalidnum", "j", "justify", "l", "length", "li", "list", "lb", "listbuild", "ld",
    "listdata", "lf", "listfind", "lfs", "listfromstring", "lg", "listget", "ll", "listlength",
    "listnext", "ls", "listsame", "lts", "listtostring", "lu", "listupdate", "lv", "listvalid",
    "locate", "match", "method", "na", "name", "nc", "nconvert", "n", "next", "normalize",
    "now", "num", "number", "o", "order", "parameter", "p", "piece", "prefetchoff",
    "prefetchon", "property", "ql", "qlength", "qs", "qsubscript", "q", "query", "r", "random",
    "replace", "re", "reverse", "sc", "sconvert", "s", "select", "seq", "sequence", "sortbegin",
    "sortend", "st", "stack", "t", "text", "tr", "translate", "v", "view", "wascii", "wchar",
    "wextract", "wfind", "wiswide", "wlength", "wreverse", "xecute"
])

SPECIAL_VARIABLES = frozenset([
    "device", "ec", "ecode", "es", "estack", "et", "etrap", "halt", "h", "horolog", "i", "io",
    "j", "job", "k", "key", "namespace", "p", "principal", "q", "quit", "roles", "st", "stack",
    "s", "storage", "sy", "system", "t", "test", "this", "tl", "tlevel", "username", "x", "y"
])


def known_function(name: str) -> bool:
    """True for a system function name (``$Z*`` names are accepted: sites may add their own)."""
    low = name.lower()
    return low in FUNCTIONS or low.startswith("z")


def known_variable(name: str) -> bool:
    """True for a special variable name (``$Z*`` accepted)."""
    low = name.lower()
    return low in SPECIAL_VARIABLES or low.startswith("z")


def known_command(word: str) -> bool:
    """True for a command name or abbreviation."""
    return word.lower() in COMMANDS
