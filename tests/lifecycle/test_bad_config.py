"""Bad workspace and lifecycle configurations stop start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from atelier_api.config import ConfigError, load_settings
from atelier_api.sandbox.workspaces import prepare_workspaces

from .conftest import CLASS_A1, Origin, ns_config, settings_with, write


def _prepare(tmp_path: Path, **ns: Any) -> None:
    prepare_workspaces(settings_with(tmp_path / "state", ns_config(**ns)))


def test_clone_failure_names_the_url(tmp_path: Path) -> None:
    pytest.importorskip("git")
    missing = tmp_path / "no-such-repo"
    with pytest.raises(ConfigError, match=r"namespace USER: cannot clone .*no-such-repo"):
        _prepare(tmp_path, source="git", url=str(missing))
    assert not (tmp_path / "state" / "workspaces" / "USER" / "repo").exists()


def test_missing_ref_lists_what_exists(origin: Origin, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _prepare(tmp_path, source="git", url=origin.url, ref="no-such-branch")
    text = str(info.value)
    assert "ref 'no-such-branch' not found" in text
    assert "feature" in text and "main" in text and "v1" in text  # branches and tags
    assert not (tmp_path / "state" / "workspaces" / "USER" / "repo").exists()


def test_clone_into_a_non_empty_folder_is_refused(origin: Origin, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    write(target, "mine.txt", "keep me\n")
    with pytest.raises(ConfigError, match="not empty"):
        _prepare(tmp_path, root=str(target), source="git", url=origin.url)
    assert (target / "mine.txt").read_text() == "keep me\n"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"workspace folder .*nowhere does not exist"):
        _prepare(tmp_path, root=str(tmp_path / "nowhere"))


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "file.txt", "x")
    with pytest.raises(ConfigError, match="is not a folder"):
        _prepare(tmp_path, root=str(path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o000)
    try:
        with pytest.raises(ConfigError, match="is not readable"):
            _prepare(tmp_path, root=str(folder))
    finally:
        folder.chmod(0o755)


def test_empty_source_over_documents(tmp_path: Path) -> None:
    folder = tmp_path / "full"
    write(folder, "Pkg/A.cls", CLASS_A1)
    with pytest.raises(ConfigError, match="source 'empty' but .* already holds documents"):
        _prepare(tmp_path, root=str(folder), source="empty")


@pytest.mark.parametrize(("env", "message"), [
    ({"ATELIER_START_MODE": "fresh"}, "start_mode must be 'keep' or 'original'"),
    ({"ATELIER_MAX_LIFETIME_SECONDS": "-1"}, "max_lifetime_seconds must be 0"),
    ({"ATELIER_IDLE_TIMEOUT_SECONDS": "soon"}, "idle_timeout_seconds"),
    ({"ATELIER_WATCH": "maybe"}, "watch"),
    ({"ATELIER_WATCH_DEBOUNCE_MS": "0"}, "watch_debounce_ms must be between"),
    ({"ATELIER_GIT_REF": "main"}, "git_ref .* is set but git_url"),
    ({"ATELIER_NAMESPACES": "USER=git+"}, "source 'git' needs a 'url'"),
    ({"ATELIER_NAMESPACES": "USER"}, "expected NAME=DIR"),
])
def test_bad_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


@pytest.mark.parametrize(("table", "message"), [
    ('[namespaces.USER]\nsource = "git"\n', "source 'git' needs a 'url'"),
    ('[namespaces.USER]\nsource = "svn"\npath = "/tmp"\n', "source must be 'folder', 'git'"),
    ('[namespaces.USER]\npath = "/tmp"\nurl = "/srv/repo"\n', "'url' and 'ref' need source"),
    ('[namespaces.USER]\nlayout = "flat"\n', r"needs a 'path' \(or source"),
])
def test_bad_namespace_tables(tmp_path: Path, table: str, message: str) -> None:
    toml = tmp_path / "atelier.toml"
    toml.write_text(table)
    with pytest.raises(ConfigError, match=message):
        load_settings(config_file=str(toml), env={})


def test_keep_refuses_a_changed_ref(origin: Origin, tmp_path: Path) -> None:
    """The clone holds changes made through the API: a new ref must not silently drop them."""
    state = tmp_path / "state"
    prepare_workspaces(settings_with(state, ns_config(source="git", url=origin.url, ref="v1")))
    other = settings_with(state, ns_config(source="git", url=origin.url, ref="feature"))
    with pytest.raises(ConfigError, match="was cloned from .* at v1; the configuration now asks "
                                          "for .* at feature.*start_mode=original"):
        prepare_workspaces(other)
    fresh = prepare_workspaces(other.__class__(**{**other.__dict__, "start_mode": "original"}))
    assert fresh[1]["USER"].record["commit"] == origin.feature


def test_serve_exits_2_with_the_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    cmd = [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--state-dir",
           str(tmp_path / "state"), "--namespace", f"USER={tmp_path / 'missing'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert f"namespace USER: workspace folder {tmp_path / 'missing'} does not exist" in (
        done.stderr)


def test_serve_without_the_git_executable(tmp_path: Path) -> None:
    pytest.importorskip("git")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env["GIT_PYTHON_GIT_EXECUTABLE"] = str(tmp_path / "no-git")
    cmd = [sys.executable, "-m", "atelier_api", "serve", "--port", "0", "--state-dir",
           str(tmp_path / "state"), "--namespace", f"USER=git+{tmp_path / 'repo'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "git workspaces need GitPython and the git executable on PATH" in done.stderr
