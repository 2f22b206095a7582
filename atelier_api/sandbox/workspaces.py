"""Workspace sources of a namespace (a folder, a git clone, an empty folder) and their origin.

Each namespace's workspace has an *original state*, recorded under the state dir at its first
launch (``<state>/workspaces/<NS>/workspace.json``):

- ``git``: the repository is cloned with GitPython at start-up (into ``path``, or into the
  state dir) and the ``ref`` (branch, tag or commit) checked out; the original is that commit.
- ``folder``: a mounted checkout; the original is a snapshot of its documents taken at first
  launch (a manifest of content hashes plus one copy of each distinct content).
- ``empty``: a folder filled only through PUT; the original has no documents.

``Workspace.changes`` lists what differs from the original per document (added, modified,
deleted) and ``Workspace.restore`` brings the original back. Only files that hold documents
(the store's own walk rules) are compared, snapshotted or restored, except in a git clone,
which ``restore`` resets whole (``git checkout --force``, ``git clean -ffdx``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import time
from dataclasses import replace
from typing import Any

from atelier_api.config import ConfigError, NamespaceConfig, Settings, state_dir
from atelier_api.documents.fsutil import atomic_write, fsync_dir, open_regular, remove_durably
from atelier_api.documents.layout import Layout, WebApp, document_paths
from atelier_api.sandbox.changes import Changes, redact
from atelier_api.sandbox.vscode_app import with_vscode_app

log = logging.getLogger(__name__)
RECORD = "workspace.json"


def _url_id(url: str) -> str:
    return hashlib.blake2b(url.encode(), digest_size=12).hexdigest()


def safe_name(namespace: str) -> str:
    """A namespace name as a file name (``%SYS`` -> ``_SYS``)."""
    return namespace.replace("%", "_")


def workspace_home(state: str, namespace: str) -> str:
    """The folder that keeps one namespace's record, snapshot and (default) clone."""
    return os.path.join(state, "workspaces", safe_name(namespace))


def derived_dir(state: str, namespace: str) -> str:
    """Where derived data of a namespace lives; an offline reset deletes it."""
    return os.path.join(state, "derived", safe_name(namespace))


def _digest_file(path: str) -> str:
    with open_regular(path) as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=20)).hexdigest()


# -- the workspace of one namespace ----------------------------------------------------------
class Workspace:
    """One namespace's source, its recorded original state, its change list and its reset."""

    def __init__(self, ns: NamespaceConfig, home: str, record: dict[str, Any]) -> None:
        self.ns = ns
        self.home = home
        self.record = record
        self.layout = Layout(ns.layout, ns.webapps)

    @property
    def source(self) -> str:
        """``folder``, ``git`` or ``empty``."""
        return self.ns.source

    @property
    def original(self) -> str:
        """The original commit (git) or ``snapshot <UTC time>``."""
        if self.source == "git":
            return str(self.record["commit"])
        return f"snapshot {self.record.get('created', '')}"

    def describe(self) -> dict[str, Any]:
        """What an operator sees of it (no secrets)."""
        out = {"source": self.source, "root": self.ns.root, "original": self.original,
               "layout": self.ns.layout}
        if self.source == "git":
            out.update(url=self.record.get("url", ""), ref=self.record.get("ref", ""),
                       branch=self.record.get("branch", ""))
        return out

    def changes(self) -> Changes:
        """Documents added, modified or deleted since the original state."""
        if self.source == "git":
            from atelier_api.sandbox.git_workspace import git_changes

            return git_changes(self.ns.root, str(self.record["commit"]), self.layout)
        return _snapshot_changes(self.ns.root, self.home, self.layout)

    def restore(self) -> Changes:
        """Bring the original state back; returns what it undid."""
        undone = self.changes()
        try:
            if self.source == "git":
                from atelier_api.sandbox.git_workspace import git_restore

                git_restore(self.ns, self.record)
            else:
                _snapshot_restore(self.ns.root, self.home, undone)
        except OSError as exc:
            raise ConfigError(f"namespace {self.ns.name}: cannot restore {self.ns.root}: "
                              f"{exc}") from None
        log.info("namespace %s reset to %s (%d documents restored)", self.ns.name,
                 self.original, len(undone.paths()))
        return undone


def prepare_workspaces(
    settings: Settings, *, launch: bool = False
) -> tuple[Settings, dict[str, Workspace]]:
    """Resolve every namespace's root (cloning, creating, snapshotting on first launch).

    ``launch`` is true once per launch (``atelier-api serve``): then ``start_mode=original``
    resets each workspace to its original state and drops its derived data.
    """
    state = state_dir(settings)
    spaces = {ns.name: _prepare(with_vscode_app(ns, state), state, settings.start_mode, launch)
              for ns in settings.namespaces}
    resolved = tuple(ws.ns for ws in spaces.values())
    return replace(settings, namespaces=resolved), spaces


def open_recorded(settings: Settings, namespace: str) -> Workspace:
    """The workspace of a namespace as recorded in the state dir (for an offline reset)."""
    home = workspace_home(state_dir(settings), namespace.upper())
    record = _read_record(home)
    if record is None:
        raise ConfigError(f"namespace {namespace.upper()}: no recorded original state in "
                          f"{home} (has a server been started with this state dir?)")
    apps = tuple(WebApp(str(p), str(f)) for p, f in record.get("webapps", []))
    ns = NamespaceConfig(str(record["namespace"]), str(record["root"]),
                         str(record.get("layout", "default")), str(record.get("db", "")), apps,
                         str(record["source"]), "", str(record.get("ref", "")))
    return Workspace(ns, home, record)


def _prepare(ns: NamespaceConfig, state: str, start_mode: str, launch: bool) -> Workspace:
    home = workspace_home(state, ns.name)
    if not ns.root:
        ns = replace(ns, root=os.path.join(home, "repo" if ns.source == "git" else "files"))
    record = _read_record(home)
    if record is not None and _same_origin(ns, record) and os.path.isdir(ns.root):
        ws = Workspace(ns, home, record)
        if launch and start_mode == "original":
            ws.restore()
            shutil.rmtree(derived_dir(state, ns.name), ignore_errors=True)
        _check_folder(ns)
        return ws
    if record is not None and record.get("source") == "git" and ns.source == "git" and (
            start_mode == "keep" and os.path.isdir(ns.root)):
        raise ConfigError(
            f"namespace {ns.name}: the workspace {ns.root} was cloned from "
            f"{record.get('url')} at {record.get('ref') or 'its default branch'}; the "
            f"configuration now asks for {redact(ns.url)} at {ns.ref or 'the default branch'}. "
            "Start once with start_mode=original to discard it and clone again, or use "
            "another state_dir")
    return _create(ns, home)


def _same_origin(ns: NamespaceConfig, record: dict[str, Any]) -> bool:
    if record.get("source") != ns.source or record.get("root") != ns.root:
        return False
    if ns.source == "git":
        return bool(record.get("url_id") == _url_id(ns.url) and record.get("ref") == ns.ref)
    return True


def _create(ns: NamespaceConfig, home: str) -> Workspace:
    """First launch of this source: clone, or check the folder, then record the original."""
    record: dict[str, Any] = {
        "version": 1, "namespace": ns.name, "source": ns.source, "root": ns.root,
        "layout": ns.layout, "db": ns.db, "webapps": [[a.path, a.folder] for a in ns.webapps],
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()) + " UTC"}
    os.makedirs(home, exist_ok=True)
    layout = Layout(ns.layout, ns.webapps)
    if ns.source == "git":
        from atelier_api.sandbox.git_workspace import clone

        record.update(url=redact(ns.url), url_id=_url_id(ns.url), ref=ns.ref,
                      **clone(ns, default_target=ns.root.startswith(home + os.sep)))
    elif ns.source == "empty":
        _make_empty(ns, layout)
        _take_snapshot(ns.root, home, layout)
    else:
        _check_folder(ns)
        _take_snapshot(ns.root, home, layout)
    _write_record(home, record)
    log.info("namespace %s: %s workspace at %s, original %s", ns.name, ns.source, ns.root,
             record.get("commit", "snapshot"))
    return Workspace(ns, home, record)


def _check_folder(ns: NamespaceConfig) -> None:
    if not os.path.exists(ns.root):
        raise ConfigError(f"namespace {ns.name}: workspace folder {ns.root} does not exist")
    if not os.path.isdir(ns.root):
        raise ConfigError(f"namespace {ns.name}: workspace path {ns.root} is not a folder")
    if not os.access(ns.root, os.R_OK | os.X_OK):
        raise ConfigError(f"namespace {ns.name}: workspace folder {ns.root} is not readable")


def _make_empty(ns: NamespaceConfig, layout: Layout) -> None:
    try:
        os.makedirs(ns.root, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"namespace {ns.name}: cannot create {ns.root}: {exc.strerror}") from None
    _check_folder(ns)
    first = next(document_paths(ns.root, layout), None)
    if first is not None:
        raise ConfigError(f"namespace {ns.name}: source 'empty' but {ns.root} already holds "
                          f"documents ({first}); use source 'folder' to serve them")


def _read_record(home: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(home, RECORD), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_record(home: str, record: dict[str, Any]) -> None:
    atomic_write(os.path.join(home, RECORD), json.dumps(record, indent=2).encode() + b"\n")


# -- snapshots (folder, empty) ---------------------------------------------------------------
def _snapshot_dir(home: str) -> str:
    return os.path.join(home, "snapshot")


def _snapshot_db(home: str) -> str:
    return os.path.join(_snapshot_dir(home), "snapshot.sqlite")


def _take_snapshot(root: str, home: str, layout: Layout) -> None:
    """Store each distinct document content once plus the manifest (rel -> hash, mode).

    One SQLite file written in one transaction: a single durable commit instead of one
    fsync (or a system-wide sync) per document, so a first launch on a large checkout stays
    fast. The snapshot exists only once the file is renamed into place.
    """
    shutil.rmtree(_snapshot_dir(home), ignore_errors=True)
    os.makedirs(_snapshot_dir(home), exist_ok=True)
    tmp = _snapshot_db(home) + ".tmp"
    with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("CREATE TABLE objects (sha TEXT PRIMARY KEY, data BLOB NOT NULL)")
        db.execute("CREATE TABLE manifest (rel TEXT PRIMARY KEY, sha TEXT, mode INTEGER)")
        db.execute("BEGIN")
        for rel in document_paths(root, layout):
            path = os.path.join(root, *rel.split("/"))
            with open_regular(path) as handle:
                data = handle.read()
                mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            sha = hashlib.blake2b(data, digest_size=20).hexdigest()
            db.execute("INSERT OR IGNORE INTO objects VALUES (?, ?)", (sha, data))
            db.execute("INSERT INTO manifest VALUES (?, ?, ?)", (rel, sha, mode))
        db.execute("COMMIT")
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, _snapshot_db(home))
    fsync_dir(_snapshot_dir(home))


def _manifest(home: str) -> dict[str, list[Any]]:
    path = _snapshot_db(home)
    try:
        with contextlib.closing(_open_snapshot(path)) as db:
            rows = db.execute("SELECT rel, sha, mode FROM manifest").fetchall()
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"the snapshot {path} cannot be read: {exc}") from None
    return {rel: [sha, mode] for rel, sha, mode in rows}


def _open_snapshot(path: str) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise OSError(f"{path} does not exist")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _snapshot_object(home: str, sha: str) -> bytes:
    with contextlib.closing(_open_snapshot(_snapshot_db(home))) as db:
        row = db.execute("SELECT data FROM objects WHERE sha = ?", (sha,)).fetchone()
    if row is None:
        raise ConfigError(f"the snapshot has no content {sha}")
    return bytes(row[0])


def _snapshot_changes(root: str, home: str, layout: Layout) -> Changes:
    manifest = _manifest(home)
    now = set(document_paths(root, layout))
    added, modified = [], []
    for rel in sorted(now):
        if rel not in manifest:
            added.append(rel)
        elif _digest_file(os.path.join(root, *rel.split("/"))) != manifest[rel][0]:
            modified.append(rel)
    deleted = sorted(set(manifest) - now)
    return Changes(tuple(added), tuple(modified), tuple(deleted))


def _snapshot_restore(root: str, home: str, undo: Changes) -> None:
    manifest = _manifest(home)
    for rel in (*undo.modified, *undo.deleted):
        sha, mode = manifest[rel]
        data = _snapshot_object(home, sha)
        path = os.path.join(root, *rel.split("/"))
        atomic_write(path, data)
        os.chmod(path, int(mode))
    for rel in undo.added:
        with contextlib.suppress(FileNotFoundError):
            remove_durably(os.path.join(root, *rel.split("/")), root)
