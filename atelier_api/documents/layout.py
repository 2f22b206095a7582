"""Mapping between document names and paths in the client repository's layout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from atelier_api.documents.fsutil import TEMP_PREFIX
from atelier_api.documents.names import (
    OTHER_EXTS,
    ROUTINE_EXTS,
    DocName,
    category_of,
    parse_name,
)
from atelier_api.errors import InvalidName

#: name -> (split classes into package folders, split routines/other too, category folder)
LAYOUTS: dict[str, tuple[bool, bool, bool]] = {
    "auto": (True, False, False),
    "default": (True, False, False),
    "atelier": (True, True, False),
    "flat": (False, False, False),
    "category": (True, True, True),
}
LAYOUT_HELP = {
    "auto": "any tree: names come from each file's header, and a new document goes where the "
    "documents nearest to it in the package tree are (as 'default' in an empty folder)",
    "default": "classes Pkg/Sub/Name.cls; routines and other documents by name at the root "
    "(Pkg.R.mac); web files under their application path",
    "atelier": "classes and routines split by package: Pkg/Sub/Name.cls, Pkg/R.mac "
    "(VS Code export with objectscript.export.atelier on)",
    "flat": "every document by its full name at the root: Pkg.Sub.Name.cls, Pkg.R.mac",
    "category": "a folder per type, then split by package: cls/Pkg/Name.cls, mac/Pkg/R.mac, "
    "inc/X.inc (VS Code export with addCategory on)",
}
#: Extensions (any letter case) of the files that hold a class, routine or other document
#: outside web-application folders; the file's header names the document.
DOCUMENT_EXTS = frozenset({"cls"}) | ROUTINE_EXTS | OTHER_EXTS
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules"})
#: Version-control metadata: never a document's folder (a web file written into .git/hooks
#: would run on the next git command in the checkout).
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
#: Longest file or folder name (in bytes) common filesystems accept (NAME_MAX).
MAX_COMPONENT_BYTES = 255


@dataclass(frozen=True)
class WebApp:
    """A web application: its URL path and the folder (relative to the root) holding its files."""

    path: str  # "/csp/user", no trailing slash
    folder: str  # "csp/user", posix, relative to the namespace root


class Layout:
    """Translates names to root-relative posix paths and back, for one namespace."""

    def __init__(self, kind: str, webapps: tuple[WebApp, ...]) -> None:
        if kind not in LAYOUTS:
            raise ValueError(f"unknown layout {kind!r}; choose one of {', '.join(LAYOUTS)}")
        self.kind = kind
        self.split_classes, self.split_routines, self.category = LAYOUTS[kind]
        self.webapps = tuple(sorted(webapps, key=lambda a: -len(a.path)))
        # Deepest folder first, so a file in a nested application folder belongs to it.
        by_folder = sorted(self.webapps, key=lambda a: -len(a.folder))
        self._web_folders = {a.folder.lower(): a for a in by_folder}

    @property
    def auto(self) -> bool:
        """True when new documents follow the tree (``auto``) rather than a fixed layout."""
        return self.kind == "auto"

    def to_path(self, doc: DocName) -> str:
        """The root-relative posix path this layout gives a document."""
        return self.check_path(doc, self._path_of(doc))

    def check_path(self, doc: DocName, path: str) -> str:
        """``path`` when a document may be written there, else raise ``InvalidName``."""
        if not doc.is_web and self._app_of_path(path) is not None:
            raise InvalidName(doc.name, "its file would fall inside a web application folder")
        parts = path.split("/")
        if any(len(part.encode()) > MAX_COMPONENT_BYTES for part in parts):
            raise InvalidName(doc.name, f"a file or folder name above {MAX_COMPONENT_BYTES} bytes")
        if any(part.lower() in VCS_DIRS for part in parts):
            raise InvalidName(doc.name, "version-control metadata is not a document")
        return path

    def _path_of(self, doc: DocName) -> str:
        if doc.is_web:
            app = self.webapp_for(doc.name)
            if app is None:
                raise InvalidName(doc.name, "no web application serves this path")
            rest = doc.name[len(app.path) :].lstrip("/")
            return f"{app.folder}/{rest}" if app.folder else rest
        split = self.split_classes if doc.ext == "cls" else self.split_routines
        stem = doc.base.replace(".", "/") if split else doc.base
        path = f"{stem}.{doc.ext}"
        if self.category:
            path = f"{doc.ext if doc.cat != 'OTH' else 'oth'}/{path}"
        return path

    def webapp_for(self, name: str) -> WebApp | None:
        """The web application whose path prefixes a web-file name (case-insensitive)."""
        low = name.lower()
        for app in self.webapps:
            if low.startswith(app.path.lower() + "/"):
                return app
        return None

    def to_name(self, relpath: str) -> DocName | None:
        """The document a root-relative posix path holds, or None when it holds none."""
        app = self._app_of_path(relpath)
        candidate: str | None
        if app is not None:
            rest = relpath[len(app.folder) + 1 :] if app.folder else relpath
            candidate = f"{app.path}/{rest}"
        else:
            candidate = self._plain_candidate(relpath)
        if candidate is None:
            return None
        try:
            doc = parse_name(candidate)
            return doc if self.to_path(doc) == relpath else None
        except InvalidName:
            return None

    def holds_document(self, relpath: str) -> bool:
        """True when a file at this root-relative path is a document: a web-application file,
        or a file with a document extension (its name then comes from its header)."""
        if self._app_of_path(relpath) is not None:
            return self.to_name(relpath) is not None
        stem, dot, ext = relpath.rpartition("/")[2].rpartition(".")
        return bool(dot and stem) and ext.lower() in DOCUMENT_EXTS

    def is_web_path(self, relpath: str) -> bool:
        """True when a root-relative file path lies in a web application's folder."""
        return self._app_of_path(relpath) is not None

    def _app_of_path(self, relpath: str) -> WebApp | None:
        low = relpath.lower()
        for folder, app in self._web_folders.items():
            if not folder or low.startswith(folder + "/"):
                return app
        return None

    def _plain_candidate(self, relpath: str) -> str | None:
        parts = relpath.split("/")
        if self.category:
            if len(parts) < 2:
                return None
            parts = parts[1:]
        stem, dot, ext = parts[-1].rpartition(".")
        if not dot or ext != ext.lower():
            return None
        return ".".join(parts[:-1] + [stem]) + "." + ext

    def is_web_folder(self, relpath: str) -> bool:
        """True when a root-relative folder is (inside) a web application's folder."""
        return self._app_of_path(relpath + "/") is not None


def default_webapps(namespace: str) -> tuple[WebApp, ...]:
    """The web application a namespace gets when none is configured: /csp/<ns>."""
    low = "sys" if namespace == "%SYS" else namespace.lower().lstrip("%")
    return (WebApp(f"/csp/{low}", f"csp/{low}"),)


def parse_webapps(spec: dict[str, str]) -> tuple[WebApp, ...]:
    """Build web applications from a {url path: folder} mapping, validating both."""
    apps = []
    for url, folder in spec.items():
        url = "/" + url.strip("/")
        folder = folder.strip("/")
        if url == "/" or any(s in ("", ".", "..") for s in url[1:].split("/")):
            raise ValueError(f"invalid web application path {url!r}")
        if folder and (os.path.isabs(folder) or "\\" in folder
                       or any(s in ("", ".", "..") for s in folder.split("/"))):
            raise ValueError(f"web application folder {folder!r} must stay inside the root")
        apps.append(WebApp(url, folder))
    return tuple(apps)


__all__ = ["Layout", "WebApp", "LAYOUTS", "DOCUMENT_EXTS", "LAYOUT_HELP", "default_webapps",
           "parse_webapps", "category_of"]


# -- document paths (the store's walk rules) -------------------------------------------------
def is_skipped_dir(layout: Layout, rel_dir: str) -> bool:
    """True when the store's walk never enters this root-relative folder (``.git``, ...)."""
    parts = rel_dir.split("/")
    for i, part in enumerate(parts):
        if part in SKIPPED_DIRS:
            return True
        if part.startswith(".") and not layout.is_web_folder("/".join(parts[: i + 1])):
            return True
    return False


def is_document_path(layout: Layout, rel: str) -> bool:
    """True when a root-relative posix path is one the store lists as a document."""
    folder, _, leaf = rel.rpartition("/")
    if not leaf or leaf.startswith(TEMP_PREFIX) or (folder and is_skipped_dir(layout, folder)):
        return False
    return layout.holds_document(rel)


def document_paths(root: str, layout: Layout, below: str = "") -> Iterator[str]:
    """Root-relative paths of every regular file under ``root/below`` that holds a document."""
    start = os.path.join(root, *below.split("/")) if below else root
    for dirpath, dirnames, filenames in os.walk(start):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel == "." else rel + "/"
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not (
            d.startswith(".") and not layout.is_web_folder(rel_dir + d))]
        for leaf in filenames:
            path = os.path.join(dirpath, leaf)
            if is_document_path(layout, rel_dir + leaf) and os.path.isfile(path) and not (
                    os.path.islink(path)):
                yield rel_dir + leaf
