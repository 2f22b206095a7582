"""The grammar of document names: classes, routines, web-application files and other types."""

from __future__ import annotations

import re
from dataclasses import dataclass

from atelier_api.errors import InvalidName

ROUTINE_EXTS = frozenset({"mac", "int", "inc", "bas", "mvi", "mvb"})
COMPILABLE_EXTS = frozenset({"cls", "mac", "int", "bas", "mvb"})
#: "Other" (abstract) document types served as plain files named by their full name.
OTHER_EXTS = frozenset(
    {"lut", "hl7", "x12", "dfi", "bpl", "dtl", "ast", "esd", "stu", "prj", "pkg", "kpi", "pivot"}
)
CATEGORIES = ("CLS", "RTN", "CSP", "OTH")
TEXT_WEB_EXTS = frozenset(
    {
        "csp", "csr", "html", "htm", "js", "mjs", "css", "json", "xml", "txt", "md", "svg",
        "ts", "map", "xsl", "xslt", "csv", "yml", "yaml", "ini", "cfg", "conf", "properties",
        "vue", "jsx", "tsx", "scss", "less", "sql", "py", "sh", "bat", "cmd", "ps1", "cls",
        "mac", "inc", "int", "toml", "lock", "webmanifest", "gitignore", "editorconfig",
    }
)

MAX_NAME_LENGTH = 1024
# A class or routine identifier segment: letters (any script) and digits; no underscore.
_IDENT = r"[^\W_][^\W_]*"
_CLASS_RE = re.compile(rf"%?{_IDENT}(?:\.{_IDENT})+")
_ROUTINE_RE = re.compile(rf"%?{_IDENT}(?:\.{_IDENT})*")
# C0 and C1 control characters, DEL and the backslash (a path separator on Windows); the
# invisible ones a name must not hide: bidi controls and marks, zero-width characters, the
# word joiner and invisible operators, the byte-order mark, soft hyphen, interlinear
# annotation and tag characters, variation selectors, and every space but the plain one.
_FORBIDDEN_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\\\\\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000e0000-\U000e0fff]")


@dataclass(frozen=True, slots=True)
class DocName:
    """A validated, canonical document name."""

    name: str  # canonical: lower-case extension, web files with one leading "/"
    cat: str  # CLS | RTN | CSP | OTH
    ext: str  # lower-case extension ("" for a web file without one)
    base: str  # name without extension (web files: the whole path)

    @property
    def is_web(self) -> bool:
        """True for web-application (CSP category) files."""
        return self.cat == "CSP"

    @property
    def is_compilable(self) -> bool:
        """True for documents a compiler turns into runnable code."""
        return self.cat in ("CLS", "RTN") and self.ext in COMPILABLE_EXTS


def category_of(ext: str) -> str:
    """The category of a non-web document extension."""
    if ext == "cls":
        return "CLS"
    if ext in ROUTINE_EXTS:
        return "RTN"
    return "OTH"


def parse_name(raw: str) -> DocName:
    """Validate a client-supplied name and return its canonical form.

    Accepts web-file names with a leading slash, a double slash or none; upper-case
    extensions are folded to lower case. Anything that could name a path outside a
    namespace root raises ``InvalidName``.
    """
    if not isinstance(raw, str) or not raw or len(raw) > MAX_NAME_LENGTH:
        raise InvalidName(str(raw)[:80], "empty or too long")
    if _FORBIDDEN_CHARS.search(raw):
        raise InvalidName(raw, "control, invisible or bidirectional-override character, or "
                               "backslash")
    if "/" in raw:
        return _parse_web_name(raw)
    return _parse_plain_name(raw)


def _parse_plain_name(raw: str) -> DocName:
    base, dot, ext = raw.rpartition(".")
    ext = ext.lower()
    if not dot or not base:
        raise InvalidName(raw, "no type extension")
    if ext == "cls":
        if not _CLASS_RE.fullmatch(base):
            raise InvalidName(raw, "not a package-qualified class name")
    elif ext in ROUTINE_EXTS or ext in OTHER_EXTS:
        if not _ROUTINE_RE.fullmatch(base):
            raise InvalidName(raw, "not a valid routine or document name")
    else:
        raise InvalidName(raw, f"unknown document type '.{ext}'")
    return DocName(f"{base}.{ext}", category_of(ext), ext, base)


def _parse_web_name(raw: str) -> DocName:
    segments = [s for s in raw.split("/")]
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[0] == "":  # the isfs double slash: "//csp/user/x.csp"
        segments = segments[1:]
    if len(segments) < 2 or any(s in ("", ".", "..") for s in segments):
        raise InvalidName(raw, "empty or dot segment in a web path")
    if any(s.strip() != s or s.endswith(".") for s in segments):
        raise InvalidName(raw, "segment with surrounding blanks or a trailing dot")
    name = "/" + "/".join(segments)
    last = segments[-1]
    ext = last.rpartition(".")[2].lower() if "." in last.lstrip(".") else ""
    return DocName(name, "CSP", ext, name)


def is_text_web_file(doc: DocName) -> bool:
    """True when a web file is served as text by default (without ``binary=1``)."""
    return doc.ext in TEXT_WEB_EXTS or doc.base.rsplit("/", 1)[-1].startswith(".")
