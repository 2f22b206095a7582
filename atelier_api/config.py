"""Every setting once: its default, environment variable, TOML key and meaning; validated at start."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .documents.layout import LAYOUTS, WebApp, default_webapps, parse_webapps
from .documents.textcodec import EOLS


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Option:
    """One declared setting."""

    key: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        """Its environment variable."""
        return "ATELIER_" + self.key.upper()


def _bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _default_state_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "atelier-api")


OPTIONS: tuple[Option, ...] = (
    Option("host", "127.0.0.1", "Address to listen on. Non-loopback addresses need explicit "
           "credentials."),
    Option("port", 52773, "TCP port to listen on.", int),
    Option("username", "_SYSTEM", "User name for Basic auth."),
    Option("password", "SYS", "Password for Basic auth."),
    Option("auth", "basic", "`basic` (Basic auth, then a session cookie) or `none` (loopback "
           "only: every request is accepted as the configured user)."),
    Option("namespaces", "", "Namespaces as `NAME=DIR` pairs separated by commas. Empty: the "
           "bundled demo workspace as `USER`."),
    Option("layout", "default", "Default name-to-path layout: " + ", ".join(LAYOUTS) + "."),
    Option("state_dir", "", "Folder for derived state (timestamp index, sessions are in "
           "memory) and the demo copy. Empty: `$XDG_STATE_HOME/atelier-api` or "
           "`~/.local/state/atelier-api`."),
    Option("new_file_eol", "lf", "Line ending of files created through the API: lf, crlf, cr."),
    Option("max_body_bytes", 64 * 1024 * 1024, "Largest accepted request body in bytes "
           "(413 above).", int),
    Option("threads", 32, "gunicorn worker threads (one process, gthread worker).", int),
    Option("session_idle_seconds", 8 * 3600, "A session cookie unused this long is "
           "forgotten (the client re-logs in on the 401).", int),
    Option("compiler", "stub", "Name of the compiler adapter (entry point group "
           "`atelier_api.compilers`)."),
    Option("log_level", "info", "Logging level: debug, info, warning, error."),
)
OPTION_BY_KEY = {o.key: o for o in OPTIONS}


@dataclass(frozen=True)
class NamespaceConfig:
    """One namespace: its workspace folder, layout, database name and web applications."""

    name: str
    root: str
    layout: str = "default"
    db: str = ""
    webapps: tuple[WebApp, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one server."""

    host: str = "127.0.0.1"
    port: int = 52773
    username: str = "_SYSTEM"
    password: str = "SYS"
    auth: str = "basic"
    layout: str = "default"
    state_dir: str = ""
    new_file_eol: str = "lf"
    max_body_bytes: int = 64 * 1024 * 1024
    threads: int = 32
    session_idle_seconds: int = 8 * 3600
    compiler: str = "stub"
    log_level: str = "info"
    namespaces: tuple[NamespaceConfig, ...] = ()
    credentials_explicit: bool = False
    demo: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def namespace(self, name: str) -> NamespaceConfig | None:
        """The namespace of that name (case-insensitive)."""
        upper = name.upper()
        return next((ns for ns in self.namespaces if ns.name == upper), None)


def load_settings(
    *, config_file: str | None = None, env: Mapping[str, str] | None = None,
    cli: Mapping[str, Any] | None = None, cli_namespaces: list[str] | None = None,
) -> Settings:
    """Merge defaults < TOML file < ATELIER_* environment < command line, then validate."""
    env = os.environ if env is None else env
    config_file = config_file or env.get("ATELIER_CONFIG") or None
    values: dict[str, Any] = {}
    table: dict[str, Any] = {}
    if config_file:
        table = _read_toml(config_file)
        values.update({k: v for k, v in table.items() if k in OPTION_BY_KEY})
    for option in OPTIONS:
        if option.env in env:
            values[option.key] = env[option.env]
    values.update({k: v for k, v in (cli or {}).items() if v is not None})
    explicit = any(k in values for k in ("username", "password"))
    parsed = {k: _parse(OPTION_BY_KEY[k], v) for k, v in values.items()}
    settings = Settings(**{k: v for k, v in parsed.items() if k != "namespaces"},
                        credentials_explicit=explicit)
    namespaces = _namespaces(settings, table.get("namespaces"), parsed.get("namespaces", ""),
                             cli_namespaces or [])
    return validate(replace(settings, namespaces=namespaces))


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _parse(option: Option, value: Any) -> Any:
    if option.parse is str or not isinstance(value, str):
        return value
    try:
        return option.parse(value)
    except ValueError:
        raise ConfigError(f"{option.key} ({option.env}): cannot use {value!r}") from None


def _namespaces(
    settings: Settings, toml_ns: Any, env_ns: str, cli_ns: list[str]
) -> tuple[NamespaceConfig, ...]:
    found: dict[str, NamespaceConfig] = {}
    if toml_ns is not None:
        if not isinstance(toml_ns, dict):
            raise ConfigError("[namespaces] must be a table of tables")
        for name, spec in toml_ns.items():
            found[name.upper()] = _ns_from_table(settings, name, spec)
    pairs = [p for p in env_ns.split(",") if p.strip()] if isinstance(env_ns, str) else []
    for pair in pairs + cli_ns:
        name, sep, root = pair.partition("=")
        if not sep or not name.strip() or not root.strip():
            raise ConfigError(f"namespace {pair!r}: expected NAME=DIR")
        found[name.strip().upper()] = _make_ns(settings, name, root.strip(), {})
    return tuple(found.values())


def _ns_from_table(settings: Settings, name: str, spec: Any) -> NamespaceConfig:
    if not isinstance(spec, dict) or "path" not in spec:
        raise ConfigError(f"[namespaces.{name}] needs a 'path'")
    return _make_ns(settings, name, str(spec["path"]), spec)


def _make_ns(settings: Settings, name: str, root: str, spec: Mapping[str, Any]) -> NamespaceConfig:
    upper = name.strip().upper()
    try:
        apps = parse_webapps(dict(spec["webapps"])) if "webapps" in spec else default_webapps(
            upper)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"namespace {upper}: {exc}") from None
    db = str(spec.get("db") or ("IRISSYS" if upper == "%SYS" else upper))
    return NamespaceConfig(upper, os.path.abspath(os.path.expanduser(root)),
                           str(spec.get("layout", settings.layout)), db, apps)


def validate(settings: Settings) -> Settings:
    """Check every value; raise ``ConfigError`` naming the first that cannot be used."""
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port {settings.port} is out of range")
    if settings.auth not in ("basic", "none"):
        raise ConfigError(f"auth must be 'basic' or 'none', not {settings.auth!r}")
    if settings.new_file_eol not in EOLS:
        raise ConfigError(f"new_file_eol must be one of {', '.join(EOLS)}")
    if settings.max_body_bytes < 1024 or settings.threads < 1:
        raise ConfigError("max_body_bytes must be at least 1024 and threads at least 1")
    for ns in settings.namespaces:
        if ns.layout not in LAYOUTS:
            raise ConfigError(f"namespace {ns.name}: unknown layout {ns.layout!r}; choose one "
                              f"of {', '.join(LAYOUTS)}")
    if not is_loopback(settings.host):
        if settings.auth == "none":
            raise ConfigError(f"auth=none is only allowed on loopback, not {settings.host}")
        if not settings.credentials_explicit:
            raise ConfigError(
                f"refusing to listen on {settings.host} with the default credentials: set "
                "ATELIER_USERNAME and ATELIER_PASSWORD (or --username/--password)")
    return settings


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def state_dir(settings: Settings) -> str:
    """The effective state folder."""
    return os.path.abspath(settings.state_dir or _default_state_dir())


def markdown_table() -> str:
    """The README's configuration table, generated from ``OPTIONS``."""
    rows = ["| setting | environment | default | meaning |", "| --- | --- | --- | --- |"]
    for o in OPTIONS:
        default = f"`{o.default}`" if o.default != "" else "(empty)"
        rows.append(f"| `{o.key}` | `{o.env}` | {default} | {o.help} |")
    return "\n".join(rows)
