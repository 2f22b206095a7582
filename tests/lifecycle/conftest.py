"""Fixtures of the lifecycle tests: a git "remote" in tmp, workspaces, apps and real servers.

Git remotes are local paths or file:// URLs; servers listen on 127.0.0.1 port 0.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from envelopes import PASSWORD, USER
from envelopes import basic as basic_value
from spaces import write_files

from atelier_api.config import NamespaceConfig, Settings
from atelier_api.documents.layout import default_webapps

AUTH = (USER, PASSWORD)
CLASS_A1 = "Class Pkg.A\n{\n\nProperty One As %String;\n\n}\n"
CLASS_A2 = "Class Pkg.A\n{\n\nProperty Two As %String;\n\n}\n"
CLASS_B = "Class Pkg.B\n{\n}\n"
CLASS_F = "Class Pkg.F\n{\n}\n"
ROUTINE = "ROUTINE R\nR ;\n quit\n"


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    """An Authorization header for Basic auth."""
    return {"Authorization": basic_value(user, password)}


def write(root: Path, rel: str, text: str) -> Path:
    """Write a file (parents created) the way an editor or git would."""
    write_files(root, {rel: text})
    return root / rel


# -- a git "remote" ------------------------------------------------------------------------------
@dataclass
class Origin:
    """A local git repository used as the remote: main (two commits), tag v1, branch feature."""

    path: Path
    c1: str  # v1: Pkg/A.cls (A1), R.mac, README.md
    c2: str  # main: Pkg/A.cls (A2), Pkg/B.cls, R.mac, README.md
    feature: str  # feature (from c1): + Pkg/F.cls

    @property
    def url(self) -> str:
        """The file:// URL of the repository."""
        return self.path.as_uri()


def _commit(repo: Any, root: Path, files: dict[str, str | None], message: str) -> str:
    for rel, text in files.items():
        if text is None:
            repo.index.remove([rel], working_tree=True)
        else:
            write(root, rel, text)
            repo.index.add([rel])
    actor = git_module().Actor("Test", "test@example.invalid")
    return str(repo.index.commit(message, author=actor, committer=actor).hexsha)


def git_module() -> Any:
    """GitPython, or a skip when it (or the git executable) is missing."""
    return pytest.importorskip("git", reason="git workspaces need GitPython and git")


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    """A fresh git repository in tmp, built with GitPython."""
    git = git_module()
    root = tmp_path / "origin"
    repo = git.Repo.init(root, initial_branch="main")
    c1 = _commit(repo, root, {"Pkg/A.cls": CLASS_A1, "R.mac": ROUTINE, "README.md": "hi\n"},
                 "one")
    repo.create_tag("v1")
    c2 = _commit(repo, root, {"Pkg/A.cls": CLASS_A2, "Pkg/B.cls": CLASS_B}, "two")
    repo.git.checkout("-b", "feature", c1)
    feature = _commit(repo, root, {"Pkg/F.cls": CLASS_F}, "feature")
    repo.git.checkout("main")
    repo.close()
    return Origin(root, c1, c2, feature)


def ns_config(name: str = "USER", root: str = "", source: str = "folder", url: str = "",
              ref: str = "") -> NamespaceConfig:
    """A namespace as the config loader builds it."""
    return NamespaceConfig(name, root, "default", name, default_webapps(name), source, url, ref)


def settings_with(state: Path, *namespaces: NamespaceConfig, **overrides: Any) -> Settings:
    """Settings on a state folder with the given namespaces."""
    return Settings(state_dir=str(state), namespaces=namespaces, **overrides)


# -- a real server process ---------------------------------------------------------------------
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclass
class Server:
    """``python -m atelier_api serve --port 0`` in a child process, with its log."""

    proc: subprocess.Popen[bytes]
    log: Path
    port: int = 0
    session: requests.Session = field(default_factory=requests.Session)

    def text(self) -> str:
        """Everything the server logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        """One request with Basic auth."""
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), auth=AUTH, **kw)

    def put_doc(self, name: str, text: str, ns: str = "USER") -> requests.Response:
        """PUT a document, overwriting whatever is there."""
        return self.call("PUT", f"/api/atelier/v1/{ns}/doc/{name}",
                         params={"ignoreConflict": "1"},
                         json={"enc": False, "content": text.split("\n")})

    def wait_exit(self, timeout: float = 60.0) -> int:
        """The exit code, once the process has ended by itself (or after a signal)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server still running after {timeout} s:\n{self.text()}") \
                from None

    def terminate(self) -> int:
        """SIGTERM (what an orchestrator sends) and wait for the exit code."""
        self.session.close()  # no kept-alive connection for the worker to linger on
        self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit()


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env.update(extra)
    return env


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers on port 0 and wait until they are ready; kill leftovers at the end."""
    started: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None, state: Path | None = None,
              ready: bool = True) -> Server:
        log = tmp_path / f"server-{len(started)}.log"
        handle = open(log, "wb")  # noqa: SIM115 - the child owns it until it exits
        cmd = [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--state-dir",
               str(state or tmp_path / "state"), *args]
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=_clean_env(env or {}))
        handle.close()
        server = Server(proc, log)
        started.append(server)
        if ready:
            _wait_ready(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=30)
        server.session.close()


def _wait_ready(server: Server) -> None:
    def listening() -> int:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited with {server.proc.returncode}:\n{server.text()}")
        match = LISTENING.search(server.text())
        return int(match.group(1)) if match else 0

    server.port = wait_for(listening, 60, "the server to listen")

    def ready() -> bool:
        try:
            return server.session.get(server.url("/readyz"), timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(ready, 60, "/readyz")
