"""The launcher's settings: sources and precedence, validation, passwords, the docs table, and
the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from atelier_api.launcher.settings import (
    OPTIONS,
    LauncherConfigError,
    check_password,
    hash_password,
    load_launcher_settings,
    markdown_table,
)
from tests.launcher.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_file_environment_command_line_in_that_order(tmp_path: Path) -> None:
    config = tmp_path / "l.toml"
    config.write_text('port = 9000\nmax_running = 3\nimage = "from-file"\n'
                      '[workspaces.demo]\nurl = "https://example.invalid/r.git"\nref = "v1"\n')
    settings = load_launcher_settings(
        config_file=str(config), env={"ATELIER_LAUNCHER_MAX_RUNNING": "5",
                                      "ATELIER_LAUNCHER_IMAGE": "from-env"},
        cli={"image": "from-cli"})
    assert settings.port == 9000 and settings.max_running == 5 and settings.image == "from-cli"
    assert settings.relaunch_max == 10  # a default
    assert settings.workspace("demo").source == "git"
    assert settings.workspace(None).source == "empty"
    assert settings.choosable() == ["empty", "demo"]


@pytest.mark.parametrize(("values", "message"), [
    ({"backend": "lxc"}, "backend"),
    ({"start_state": "kept"}, "start_state"),
    ({"port": "0"}, "port"),
    ({"proxy_prefix": "a/b"}, "proxy_prefix"),
    ({"proxy_prefix": "launcher"}, "launcher"),
    ({"max_lifetime_seconds": "-1"}, "max_lifetime_seconds"),
    ({"relaunch_max": "-2"}, "relaunch_max"),
    ({"max_running": "0"}, "max_running"),
    ({"cpus": "lots"}, "cpus"),
    ({"default_workspace": "nowhere"}, "default_workspace"),
    ({"host": "0.0.0.0"}, "needs a users table"),
])
def test_bad_values_are_refused_by_name(values: dict[str, str], message: str) -> None:
    with pytest.raises(LauncherConfigError, match=message):
        load_launcher_settings(env={}, cli=values)


def test_users_and_workspaces_are_checked(tmp_path: Path) -> None:
    with pytest.raises(LauncherConfigError, match="password_hash"):
        load_launcher_settings(env={}, users={"alice": {"password": "plain"}})
    with pytest.raises(LauncherConfigError, match="lower-case"):
        load_launcher_settings(env={}, users={"Alice": {"password_hash": "scrypt$x"}})
    with pytest.raises(LauncherConfigError, match="needs url"):
        load_launcher_settings(env={}, workspaces={"w": {"source": "git"}})
    unknown = tmp_path / "u.toml"
    unknown.write_text("prot = 1\n")
    with pytest.raises(LauncherConfigError, match="unknown setting"):
        load_launcher_settings(config_file=str(unknown), env={})
    settings = load_launcher_settings(env={}, cli={"allowed_workspaces": ""},
                                      workspaces={"w": {"url": "/srv/r.git"}})
    with pytest.raises(LauncherConfigError, match="not one you may choose"):
        settings.workspace("w")


def test_password_hashes() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$16384$8$1$") and "s3cret" not in stored
    assert check_password(stored, "s3cret")
    assert not check_password(stored, "s3cret ")
    assert not check_password("scrypt$garbage", "s3cret")
    assert hash_password("s3cret") != stored  # salted


def test_the_docs_table_is_generated_from_the_options() -> None:
    doc = (ROOT / "docs" / "launcher.md").read_text(encoding="utf-8")
    table = doc.split("<!-- launcher-table:start -->\n", 1)[1].split(
        "\n<!-- launcher-table:end -->", 1)[0]
    assert table == markdown_table(), "paste markdown_table() into docs/launcher.md"
    assert all(o.env.startswith("ATELIER_LAUNCHER_") for o in OPTIONS)


def test_the_command_line(tmp_path: Path) -> None:
    hashed = subprocess.run([sys.executable, "-m", "atelier_api", "launcher",
                             "--hash-password"], input="pw\n", capture_output=True,
                            text=True, timeout=60, check=True).stdout.strip()
    assert check_password(hashed, "pw")
    bad = subprocess.run([sys.executable, "-m", "atelier_api", "launcher", "--set",
                          "nope=1"], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "--set 'nope=1'" in bad.stderr
    refused = subprocess.run([sys.executable, "-m", "atelier_api", "launcher", "--host",
                              "0.0.0.0", "--state-dir", str(tmp_path)],
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and "needs a users table" in refused.stderr


def test_a_port_in_use_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "atelier_api", "launcher", "--backend",
                           "process", "--port", str(port), "--state-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    taken.close()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"atelier-api launcher: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another launcher or server there? --port or ATELIER_LAUNCHER_PORT)"]
    assert not (tmp_path / "launcher.json").exists()  # nothing started


def test_a_backend_that_cannot_be_set_up_is_a_clear_error(tmp_path: Path) -> None:
    """Kubernetes with neither a cluster nor a kubeconfig: one line, exit status 1."""
    port = free_port()  # the launcher listens before it sets its backend up
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ATELIER_", "KUBERNETES_SERVICE"))}
    env.update(KUBECONFIG=str(tmp_path / "no-such-kubeconfig"), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "atelier_api", "launcher", "--backend",
                           "kubernetes", "--port", str(port), "--state-dir", str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=60, check=False, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "atelier-api launcher: no Kubernetes configuration: not in a cluster and no usable "
        "kubeconfig"]
