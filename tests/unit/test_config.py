"""Settings: defaults, TOML file, ATELIER_* environment, command line, and validation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from atelier_api.cli import build_parser, settings_from_args
from atelier_api.config import (
    OPTIONS,
    ConfigError,
    Settings,
    is_loopback,
    load_settings,
    markdown_table,
)


def _load(tmp_path: Path, toml: str | None = None, env: dict[str, str] | None = None,
          **kwargs: Any) -> Settings:
    config_file = None
    if toml is not None:
        config_file = str(tmp_path / "atelier.toml")
        Path(config_file).write_text(toml, encoding="utf-8")
    return load_settings(config_file=config_file, env=env or {}, **kwargs)


def test_defaults(tmp_path: Path) -> None:
    """Nothing configured: loopback, port 52773, _SYSTEM/SYS, basic auth, no namespaces."""
    settings = _load(tmp_path)
    assert (settings.host, settings.port, settings.username, settings.password) == (
        "127.0.0.1", 52773, "_SYSTEM", "SYS")
    assert (settings.auth, settings.layout, settings.new_file_eol) == ("basic", "auto", "lf")
    assert settings.namespaces == () and not settings.credentials_explicit


def test_every_option_has_a_settings_field() -> None:
    """Each declared option lands in a Settings field with the same default."""
    defaults = Settings()
    for option in OPTIONS:
        if option.key != "namespaces":
            assert getattr(defaults, option.key) == option.default, option.key
    assert "`ATELIER_PORT`" in markdown_table()


def test_toml_file(tmp_path: Path) -> None:
    """Top-level keys of the TOML file set options, with their TOML types."""
    settings = _load(tmp_path, 'port = 8080\nlayout = "flat"\nthreads = 4\nhost = "::1"\n')
    assert (settings.port, settings.layout, settings.threads, settings.host) == (
        8080, "flat", 4, "::1")


def test_config_file_from_env(tmp_path: Path) -> None:
    """ATELIER_CONFIG names the file when no file is given."""
    path = tmp_path / "c.toml"
    path.write_text("port = 1234\n", encoding="utf-8")
    assert load_settings(env={"ATELIER_CONFIG": str(path)}).port == 1234


def test_env_values_are_parsed(tmp_path: Path) -> None:
    """ATELIER_* variables are strings parsed to the option's type."""
    settings = _load(tmp_path, env={"ATELIER_PORT": "9000", "ATELIER_THREADS": "3",
                                    "ATELIER_USERNAME": "dev", "OTHER_PORT": "1"})
    assert (settings.port, settings.threads, settings.username) == (9000, 3, "dev")


def test_precedence_cli_env_file_defaults(tmp_path: Path) -> None:
    """Command line beats environment beats file beats defaults, key by key."""
    settings = _load(
        tmp_path, 'port = 1001\nthreads = 5\nlayout = "flat"\nusername = "file"\n',
        env={"ATELIER_PORT": "1002", "ATELIER_THREADS": "6"},
        cli={"port": 1003, "threads": None, "username": None},
    )
    assert settings.port == 1003  # cli
    assert settings.threads == 6  # env (cli None means "not given")
    assert settings.layout == "flat" and settings.username == "file"  # file
    assert settings.compiler == "stub"  # default


def test_namespaces_from_all_sources(tmp_path: Path) -> None:
    """TOML tables, ATELIER_NAMESPACES pairs and --namespace all add namespaces."""
    toml = f'[namespaces.app]\npath = "{tmp_path / "a"}"\nlayout = "flat"\ndb = "APPDB"\n' \
           f'webapps = {{ "/csp/app" = "web" }}\n'
    settings = _load(tmp_path, toml, env={"ATELIER_NAMESPACES": f"user={tmp_path}/u, ,"},
                     cli_namespaces=[f"%SYS={tmp_path}/s"])
    by_name = {ns.name: ns for ns in settings.namespaces}
    assert set(by_name) == {"APP", "USER", "%SYS"}
    app = by_name["APP"]
    assert (app.root, app.layout, app.db) == (str(tmp_path / "a"), "flat", "APPDB")
    assert [(w.path, w.folder) for w in app.webapps] == [("/csp/app", "web")]
    assert by_name["USER"].db == "USER" and by_name["%SYS"].db == "IRISSYS"
    assert by_name["USER"].webapps[0].path == "/csp/user"
    assert settings.namespace("user") is by_name["USER"]


def test_namespaces_from_the_file_alone(tmp_path: Path) -> None:
    """A [namespaces] table is enough; each table needs only a path."""
    settings = _load(tmp_path, f'[namespaces.USER]\npath = "{tmp_path}"\n'
                               f'[namespaces.APP]\npath = "{tmp_path}/app"\n')
    assert [(ns.name, ns.root) for ns in settings.namespaces] == [
        ("USER", str(tmp_path)), ("APP", str(tmp_path / "app"))]


def test_namespace_precedence(tmp_path: Path) -> None:
    """The same namespace from several sources: the command line wins, then the environment."""
    settings = _load(tmp_path, f'[namespaces.USER]\npath = "{tmp_path}/file"\n',
                     env={"ATELIER_NAMESPACES": f"USER={tmp_path}/env"},
                     cli_namespaces=[f"user={tmp_path}/cli"])
    assert [ns.root for ns in settings.namespaces] == [str(tmp_path / "cli")]


def test_namespace_inherits_the_layout(tmp_path: Path) -> None:
    """A namespace without its own layout uses the top-level one."""
    settings = _load(tmp_path, env={"ATELIER_LAYOUT": "atelier"},
                     cli_namespaces=[f"USER={tmp_path}"])
    assert settings.namespaces[0].layout == "atelier"


@pytest.mark.parametrize(
    ("toml", "env", "cli", "match"),
    [
        (None, {"ATELIER_PORT": "http"}, {}, "port"),
        (None, {}, {"port": 70000}, "port"),
        (None, {}, {"port": -1}, "port"),
        ("port = 1.5\n", {}, {}, "port"),
        ("port = true\n", {}, {}, "port"),
        ("host = 5\n", {}, {}, "host"),
        (None, {"ATELIER_THREADS": "0"}, {}, "threads"),
        (None, {}, {"layout": "nested"}, "unknown layout"),
        ('layout = "nested"\n', {}, {}, "unknown layout"),
        (None, {}, {"log_level": "chatty"}, "log_level"),
        (None, {"ATELIER_NEW_FILE_EOL": "lfcr"}, {}, "new_file_eol"),
        (None, {"ATELIER_AUTH": "digest"}, {}, "auth"),
        (None, {"ATELIER_SESSION_IDLE_SECONDS": "0"}, {}, "session_idle_seconds"),
    ],
)
def test_bad_values(tmp_path: Path, toml: str | None, env: dict[str, str],
                    cli: dict[str, Any], match: str) -> None:
    """A value that cannot be used is a ConfigError naming the setting."""
    with pytest.raises(ConfigError, match=match):
        _load(tmp_path, toml, env, cli=cli)


@pytest.mark.parametrize(
    "toml",
    ["port = \n", "[namespaces.USER]\nlayout = \"flat\"\n", "namespaces = 3\n",
     "[namespaces.USER]\npath = \"/x\"\nlayout = \"nested\"\n",
     "[namespaces.USER]\npath = \"/x\"\nwebapps = { \"/csp/x\" = \"../out\" }\n",
     "[namespaces.\"../../etc\"]\npath = \"/x\"\n"],
    ids=["bad-toml", "no-path", "not-a-table", "ns-layout", "webapp-escape", "ns-name"],
)
def test_bad_files(tmp_path: Path, toml: str) -> None:
    """Broken TOML and broken namespace tables are ConfigErrors."""
    with pytest.raises(ConfigError):
        _load(tmp_path, toml)


def test_missing_file(tmp_path: Path) -> None:
    """A config file that cannot be read is a ConfigError."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(config_file=str(tmp_path / "missing.toml"), env={})


@pytest.mark.parametrize("pair", ["USER", "=/x", "USER=", "USER= ", "../x=/tmp", "US ER=/x",
                                  "a/b=/x"])
def test_bad_namespace_pairs(tmp_path: Path, pair: str) -> None:
    """NAME=DIR with a plain name and a folder, or a ConfigError."""
    with pytest.raises(ConfigError):
        _load(tmp_path, cli_namespaces=[pair])
    with pytest.raises(ConfigError):
        _load(tmp_path, env={"ATELIER_NAMESPACES": pair})


def test_namespace_root_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative and ~ folders are made absolute at load time."""
    monkeypatch.chdir(tmp_path)
    settings = _load(tmp_path, cli_namespaces=["USER=work", "APP=~/app"])
    roots = [ns.root for ns in settings.namespaces]
    assert roots == [str(tmp_path / "work"), os.path.expanduser("~/app")]


@pytest.mark.parametrize(
    "cli",
    [{"host": "0.0.0.0"}, {"host": "0.0.0.0", "username": "bob"},
     {"host": "0.0.0.0", "password": "SYS"}, {"host": "10.1.2.3", "password": ""},
     {"host": "example.com"}],
)
def test_non_loopback_needs_chosen_credentials(tmp_path: Path, cli: dict[str, Any]) -> None:
    """Off loopback the well-known (or an empty) password is refused."""
    with pytest.raises(ConfigError, match="password"):
        _load(tmp_path, cli=cli)


def test_non_loopback_with_credentials(tmp_path: Path) -> None:
    """A chosen password, from any source, allows a public address."""
    settings = _load(tmp_path, env={"ATELIER_HOST": "0.0.0.0", "ATELIER_PASSWORD": "s3cret"})
    assert settings.host == "0.0.0.0" and settings.credentials_explicit


def test_auth_none_only_on_loopback(tmp_path: Path) -> None:
    """auth=none is fine on loopback and refused elsewhere, even with credentials."""
    assert _load(tmp_path, cli={"auth": "none"}).auth == "none"
    with pytest.raises(ConfigError, match="auth=none"):
        _load(tmp_path, cli={"auth": "none", "host": "0.0.0.0", "password": "s3cret"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LocalHost", True), ("0.0.0.0", False), ("::", False),
     ("10.0.0.1", False), ("example.com", False), ("", False), ("localhost.evil", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    """Loopback addresses and the name localhost, nothing else."""
    assert is_loopback(host) is loopback


def test_work_settings_reach_the_compile_service_and_the_queue(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """work_time_limit_seconds / work_retention_seconds / work_threads are real settings."""
    from atelier_api.adapters.discovery import load_adapter
    from atelier_api.services import build_services

    settings = load_settings(env={"ATELIER_WORK_TIME_LIMIT_SECONDS": "7",
                                  "ATELIER_WORK_RETENTION_SECONDS": "9",
                                  "ATELIER_WORK_THREADS": "3"},
                             cli={"state_dir": str(tmp_path)})
    svc = build_services(settings, load_adapter("stub"))
    try:
        assert svc.compiling["USER"].time_limit == 7
        assert svc.work._retention == 9 and svc.work._pool._max_workers == 3
    finally:
        svc.close()


@pytest.mark.parametrize("env", [{"ATELIER_WORK_TIME_LIMIT_SECONDS": "0"},
                                 {"ATELIER_WORK_THREADS": "0"}])
def test_bad_work_settings_are_refused(env: dict[str, str]) -> None:
    """Nonsense limits stop start-up with a message naming the setting."""
    with pytest.raises(ConfigError, match="work_"):
        load_settings(env=env)


def test_any_setting_from_the_command_line_with_set(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``--set KEY=VALUE`` reaches every setting of the table; a named flag wins over it;
    an unknown key or a bad value stops with the key named."""
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    args = build_parser().parse_args(
        ["serve", "--state-dir", str(tmp_path), "--set", "sql_time_limit_seconds=30",
         "--set", "min-body-rate-bytes=50", "--set", "watch=off", "--set", "threads=3",
         "--threads", "5"])
    settings = settings_from_args(args)
    assert (settings.sql_time_limit_seconds, settings.min_body_rate_bytes, settings.watch,
            settings.threads) == (30, 50, False, 5)
    for bad, named in ((["--set", "no_such=1"], "no_such"), (["--set", "threads"], "threads"),
                       (["--set", "sql_threads=many"], "sql_threads")):
        with pytest.raises(ConfigError, match=named):
            settings_from_args(build_parser().parse_args(["serve", *bad]))
