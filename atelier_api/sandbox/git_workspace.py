"""Git workspaces: clone at a branch, tag or commit with GitPython; change list and reset.

GitPython needs the ``git`` executable; it is imported only when a git workspace is used, so
folder and empty workspaces work without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

from atelier_api.config import ConfigError, NamespaceConfig
from atelier_api.documents.layout import Layout, is_document_path
from atelier_api.sandbox.changes import Changes, redact

#: Keeps the original commit reachable whatever happens to the branches of the clone.
ORIGINAL_REF = "refs/atelier/original"


def _git() -> Any:
    """GitPython, imported only for git workspaces (it needs the ``git`` executable)."""
    try:
        import git
    except ImportError as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ConfigError("git workspaces need GitPython and the git executable on PATH "
                          f"(install git in the image): {first}") from None
    return git


def _git_env() -> dict[str, str]:
    """Never wait for a password prompt at start-up: fail with git's message instead."""
    return {"GIT_TERMINAL_PROMPT": "0",
            "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}


def _git_error(exc: Exception) -> str:
    text = (getattr(exc, "stderr", "") or str(exc)).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[-3:]).replace("stderr: ", "")[:500]


def clone(ns: NamespaceConfig, *, default_target: bool) -> dict[str, str]:
    """Clone into ``ns.root`` (missing or empty), check the ref out; the record's git fields."""
    git = _git()
    if default_target:
        shutil.rmtree(ns.root, ignore_errors=True)  # our own leftovers of a failed clone
    elif os.path.isdir(ns.root) and os.listdir(ns.root):
        raise ConfigError(f"namespace {ns.name}: cannot clone into {ns.root}: the folder is not "
                          "empty")
    existed = os.path.isdir(ns.root)
    try:
        repo = git.Repo.clone_from(ns.url, ns.root, no_checkout=True, env=_git_env())
    except git.GitCommandError as exc:
        _discard(ns.root, existed)
        raise ConfigError(f"namespace {ns.name}: cannot clone {redact(ns.url)}: "
                          f"{_git_error(exc)}") from None
    try:
        with repo:
            commit, branch = _resolve(repo, ns)
            _checkout(repo, commit, branch)
            repo.git.update_ref(ORIGINAL_REF, commit)
    except BaseException:
        _discard(ns.root, existed)
        raise
    return {"commit": commit, "branch": branch}


def _discard(root: str, keep_folder: bool) -> None:
    if keep_folder:
        for entry in os.scandir(root):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
    else:
        shutil.rmtree(root, ignore_errors=True)


def _resolve(repo: Any, ns: NamespaceConfig) -> tuple[str, str]:
    """(commit sha, branch or "") of the configured ref: a branch, a tag, or a commit."""
    ref = ns.ref.strip()
    if not ref:
        try:
            return repo.head.commit.hexsha, repo.active_branch.name
        except (ValueError, TypeError):
            raise ConfigError(f"namespace {ns.name}: {redact(ns.url)} has no commits") from None
    if _rev(repo, f"refs/remotes/origin/{ref}"):
        return _rev(repo, f"refs/remotes/origin/{ref}"), ref
    sha = _rev(repo, f"refs/tags/{ref}") or _rev(repo, ref)
    if not sha:
        with contextlib.suppress(Exception):  # a commit no branch or tag reaches
            repo.git.fetch("origin", ref, env=_git_env())
            sha = _rev(repo, "FETCH_HEAD")
    if not sha:
        branches = sorted(r.remote_head for r in repo.remotes.origin.refs
                          if r.remote_head != "HEAD")
        tags = sorted(t.name for t in repo.tags)
        raise ConfigError(
            f"namespace {ns.name}: ref {ref!r} not found in {redact(ns.url)}: no branch, tag "
            f"or commit of that name (branches: {', '.join(branches[:10]) or 'none'}; tags: "
            f"{', '.join(tags[:10]) or 'none'})")
    return sha, ""


def _rev(repo: Any, name: str) -> str:
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{name}^{{commit}}"))
    except Exception:  # GitCommandError: no such ref
        return ""


def _checkout(repo: Any, commit: str, branch: str) -> None:
    if branch:
        repo.git.checkout("--force", "-B", branch, commit)
    else:
        repo.git.checkout("--force", "--detach", commit)


def git_changes(root: str, commit: str, layout: Layout) -> Changes:
    git = _git()
    with git.Repo(root) as repo:
        diff = repo.git.diff("--name-status", "-z", "--no-renames", commit).split("\0")
        others = repo.git.ls_files("-z", "--others").split("\0")
    status = {path: code for code, path in zip(diff[0::2], diff[1::2], strict=False) if path}
    for path in others:
        if path:
            status.setdefault(path, "A")
    kinds: dict[str, list[str]] = {"A": [], "M": [], "D": []}
    for path, code in sorted(status.items()):
        if is_document_path(layout, path):
            kinds.get(code[:1], kinds["M"]).append(path)
    return Changes(tuple(kinds["A"]), tuple(kinds["M"]), tuple(kinds["D"]))


def git_restore(ns: NamespaceConfig, record: dict[str, Any]) -> None:
    git = _git()
    commit = str(record["commit"])
    try:
        with git.Repo(ns.root) as repo:
            _checkout(repo, commit, str(record.get("branch", "")))
            repo.git.reset("--hard", commit)
            repo.git.clean("-ffdx")
    except git.GitCommandError as exc:
        raise ConfigError(f"namespace {ns.name}: cannot reset {ns.root} to {commit}: "
                          f"{_git_error(exc)}") from None
