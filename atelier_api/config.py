"""Every setting once: its default, environment variable, TOML key and meaning; validated."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from atelier_api.documents.layout import LAYOUTS, WebApp, default_webapps, parse_webapps
from atelier_api.documents.textcodec import EOLS
from atelier_api.options import OPTION_BY_KEY, OPTIONS, Option
from atelier_api.options import markdown_table as markdown_table  # re-exported


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
#: Namespace names: letters, digits, ``-`` and ``_``, optionally after a leading ``%``. They
#: become URL segments and state file names, so nothing path-like gets through.
_NAMESPACE_RE = re.compile(r"%?[A-Z0-9][A-Z0-9_-]*")


def _default_state_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "atelier-api")


@dataclass(frozen=True)
class NamespaceConfig:
    """One namespace: its workspace folder, layout, database name and web applications."""

    name: str
    root: str
    layout: str = "auto"
    db: str = ""
    webapps: tuple[WebApp, ...] = ()
    source: str = "folder"  # "folder" | "git" | "empty" (see atelier_api.sandbox.workspaces)
    url: str = ""  # git: the repository URL or path
    ref: str = ""  # git: branch, tag or commit


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one server."""

    host: str = "127.0.0.1"
    port: int = 52773
    username: str = "_SYSTEM"
    password: str = "SYS"
    auth: str = "basic"
    layout: str = "auto"
    state_dir: str = ""
    new_file_eol: str = "lf"
    max_body_bytes: int = 64 * 1024 * 1024
    threads: int = 32
    request_head_timeout_seconds: int = 20
    min_body_rate_bytes: int = 500
    max_connections_per_client: int = 64
    session_idle_seconds: int = 8 * 3600
    max_sessions_per_user: int = 100
    login_max_failures: int = 10
    login_window_seconds: int = 60
    allowed_hosts: str = ""
    compiler: str = "stub"
    log_level: str = "info"
    git_url: str = ""
    git_ref: str = ""
    git_namespace: str = "USER"
    start_mode: str = "keep"
    max_lifetime_seconds: int = 0
    idle_timeout_seconds: int = 0
    watch: bool = True
    watch_debounce_ms: int = 150
    work_time_limit_seconds: int = 600
    work_retention_seconds: int = 600
    work_threads: int = 2
    sql_time_limit_seconds: int = 10
    sql_threads: int = 2
    sql_queue: int = 14
    sql_max_rows: int = 250_000
    sql_max_result_bytes: int = 64 << 20
    sql_memory_bytes: int = 256 << 20
    max_run_sessions: int = 8
    run_cpu_seconds: int = 600
    run_memory_bytes: int = 1 << 30
    run_line_seconds: int = 300
    run_output_bytes: int = 16 << 20
    projects_max_bytes: int = 32 << 20
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
        table = read_toml(config_file)
        # [namespaces] is a table of tables, merged by _namespaces, not a NAME=DIR string
        values.update({k: v for k, v in table.items() if k in OPTION_BY_KEY and k != "namespaces"})
    for option in OPTIONS:
        if option.env in env:
            values[option.key] = env[option.env]
    values.update({k: v for k, v in (cli or {}).items() if v is not None})
    explicit = "password" in values
    parsed = {k: parse_value(OPTION_BY_KEY[k], v) for k, v in values.items()}
    settings = Settings(**{k: v for k, v in parsed.items() if k != "namespaces"},
                        credentials_explicit=explicit)
    namespaces = _namespaces(settings, table.get("namespaces"), parsed.get("namespaces", ""),
                             cli_namespaces or [])
    return validate(replace(settings, namespaces=namespaces))


def read_toml(path: str) -> dict[str, Any]:
    """A TOML configuration file; ``ConfigError`` when unreadable or invalid."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def parse_value(option: Option, value: Any) -> Any:
    """A setting's value from text (environment, command line) or TOML, as its default's
    type; ``ConfigError`` naming the setting otherwise."""
    wanted = type(option.default)
    if isinstance(value, str) and wanted is not str:
        try:
            return option.parse(value)
        except ValueError:
            pass
    elif type(value) is wanted:  # exact: a TOML bool is no port, a float no thread count
        return value
    elif wanted is float and type(value) is int:  # but a whole number is a float
        return float(value)
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
    if settings.git_url:
        found[settings.git_namespace.strip().upper()] = _make_ns(
            settings, settings.git_namespace, "",
            {"source": "git", "url": settings.git_url, "ref": settings.git_ref})
    pairs = [p for p in env_ns.split(",") if p.strip()] if isinstance(env_ns, str) else []
    for pair in pairs + cli_ns:
        name, sep, root = pair.partition("=")
        if not sep or not name.strip() or not root.strip():
            raise ConfigError(f"namespace {pair!r}: expected NAME=DIR, NAME=git+URL[@REF] or "
                              "NAME=empty:[DIR]")
        found[name.strip().upper()] = _ns_from_pair(settings, name, root.strip())
    return tuple(found.values())


def _ns_from_pair(settings: Settings, name: str, value: str) -> NamespaceConfig:
    """``DIR`` (a folder), ``git+URL[@REF]`` (a clone) or ``empty:[DIR]`` (filled by PUT)."""
    if value.startswith("git+"):
        url, ref = split_git_spec(value[4:])
        return _make_ns(settings, name, "", {"source": "git", "url": url, "ref": ref})
    if value.startswith("empty:"):
        return _make_ns(settings, name, value[6:], {"source": "empty"})
    return _make_ns(settings, name, value, {})


def _ns_from_table(settings: Settings, name: str, spec: Any) -> NamespaceConfig:
    if not isinstance(spec, dict) or ("path" not in spec and spec.get("source", "folder")
                                      == "folder"):
        raise ConfigError(f"[namespaces.{name}] needs a 'path' (or source = \"git\" with a "
                          "'url', or source = \"empty\")")
    return _make_ns(settings, name, str(spec.get("path", "")), spec)


def _make_ns(settings: Settings, name: str, root: str, spec: Mapping[str, Any]) -> NamespaceConfig:
    upper = name.strip().upper()
    if not _NAMESPACE_RE.fullmatch(upper):
        raise ConfigError(f"namespace name {name!r}: use letters, digits, '-' and '_' "
                          "(optionally after a leading '%')")
    try:
        apps = parse_webapps(dict(spec["webapps"])) if "webapps" in spec else default_webapps(
            upper)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"namespace {upper}: {exc}") from None
    db = str(spec.get("db") or ("IRISSYS" if upper == "%SYS" else upper))
    return NamespaceConfig(upper, os.path.abspath(os.path.expanduser(root)) if root else "",
                           str(spec.get("layout", settings.layout)), db, apps,
                           str(spec.get("source", "folder")), str(spec.get("url", "")),
                           str(spec.get("ref", "")))


def validate(settings: Settings) -> Settings:
    """Check every value; raise ``ConfigError`` naming the first that cannot be used."""
    _check_values(settings)
    _check_layouts(settings)
    _check_workspaces(settings)
    _check_exposure(settings)
    return settings


def _check_values(settings: Settings) -> None:
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"port {settings.port} is out of range")
    if settings.auth not in ("basic", "none"):
        raise ConfigError(f"auth must be 'basic' or 'none', not {settings.auth!r}")
    if settings.new_file_eol not in EOLS:
        raise ConfigError(f"new_file_eol must be one of {', '.join(EOLS)}")
    if settings.max_body_bytes < 1024 or settings.threads < 1:
        raise ConfigError("max_body_bytes must be at least 1024 and threads at least 1")
    if settings.session_idle_seconds < 1:
        raise ConfigError("session_idle_seconds must be at least 1")
    _check_browser_facing(settings)
    if not 1 <= settings.request_head_timeout_seconds <= 3600:
        raise ConfigError("request_head_timeout_seconds must be between 1 and 3600")
    if settings.min_body_rate_bytes < 1 or settings.max_connections_per_client < 1:
        raise ConfigError("min_body_rate_bytes and max_connections_per_client must be at "
                          "least 1")
    _check_sql(settings)
    if settings.log_level.lower() not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")


def _check_sql(settings: Settings) -> None:
    """The SQL budgets (atelier_api.sql.budget) and the execution limits (atelier_api.run):
    each needs room for ordinary work."""
    least = {"sql_time_limit_seconds": 1, "sql_threads": 1, "sql_queue": 0,
             "sql_max_rows": 1, "sql_max_result_bytes": 1 << 20, "sql_memory_bytes": 16 << 20,
             "projects_max_bytes": 1 << 20, "max_run_sessions": 0, "run_cpu_seconds": 1,
             "run_memory_bytes": 64 << 20, "run_line_seconds": 1, "run_output_bytes": 1024}
    for key, floor in least.items():
        if getattr(settings, key) < floor:
            raise ConfigError(f"{key} must be at least {floor}, not {getattr(settings, key)}")


def _check_workspaces(settings: Settings) -> None:
    """Workspace sources and lifecycle rules (see atelier_api.sandbox.workspaces and .lifecycle)."""
    if settings.start_mode not in ("keep", "original"):
        raise ConfigError(f"start_mode must be 'keep' or 'original', not {settings.start_mode!r}")
    for key in ("max_lifetime_seconds", "idle_timeout_seconds"):
        if getattr(settings, key) < 0:
            raise ConfigError(f"{key} must be 0 (no limit) or a number of seconds")
    if not 10 <= settings.watch_debounce_ms <= 10_000:
        raise ConfigError("watch_debounce_ms must be between 10 and 10000")
    if settings.work_time_limit_seconds < 1 or settings.work_retention_seconds < 1:
        raise ConfigError("work_time_limit_seconds and work_retention_seconds must be at least 1")
    if not 1 <= settings.work_threads <= 64:
        raise ConfigError("work_threads must be between 1 and 64")
    if settings.git_ref and not settings.git_url:
        raise ConfigError("git_ref (ATELIER_GIT_REF) is set but git_url (ATELIER_GIT_URL) is not")
    for ns in settings.namespaces:
        if ns.source not in ("folder", "git", "empty"):
            raise ConfigError(f"namespace {ns.name}: source must be 'folder', 'git' or 'empty', "
                              f"not {ns.source!r}")
        if ns.source == "git" and not ns.url:
            raise ConfigError(f"namespace {ns.name}: source 'git' needs a 'url'")
        if ns.source != "git" and (ns.url or ns.ref):
            raise ConfigError(f"namespace {ns.name}: 'url' and 'ref' need source = 'git'")
        if ns.source == "folder" and not ns.root:
            raise ConfigError(f"namespace {ns.name}: source 'folder' needs a 'path'")


def _check_layouts(settings: Settings) -> None:
    # the top-level layout is checked even without namespaces: the demo workspace uses it
    for where, layout in [("layout", settings.layout)] + [
            (f"namespace {ns.name}", ns.layout) for ns in settings.namespaces]:
        if layout not in LAYOUTS:
            raise ConfigError(f"{where}: unknown layout {layout!r}; choose one of "
                              f"{', '.join(LAYOUTS)}")


def _check_browser_facing(settings: Settings) -> None:
    if settings.max_sessions_per_user < 1 or settings.login_window_seconds < 1:
        raise ConfigError("max_sessions_per_user and login_window_seconds must be at least 1")
    if settings.login_max_failures < 0:
        raise ConfigError("login_max_failures must be 0 (no throttling) or more")
    for name in host_names(settings.allowed_hosts):
        if name != "*" and not _HOST_NAME_RE.fullmatch(name):
            raise ConfigError(f"allowed_hosts: {name!r} is not a host name (no scheme, port "
                              "or path; '.example.com' for subdomains, '*' for any)")


#: A host name of allowed_hosts, optionally with a leading dot (its subdomains too).
_HOST_NAME_RE = re.compile(r"\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def host_names(text: str) -> list[str]:
    """The entries of a comma-separated host list, lower-cased, without a trailing dot."""
    names = (n.strip().lower() for n in text.split(","))
    return [n[:-1] if n.endswith(".") and len(n) > 1 else n for n in names if n]


def _check_exposure(settings: Settings) -> None:
    """Off loopback: Basic auth with a password someone chose, never the well-known one."""
    if is_loopback(settings.host):
        return
    if settings.auth == "none":
        raise ConfigError(f"auth=none is only allowed on loopback, not {settings.host}")
    default = str(OPTION_BY_KEY["password"].default)
    password = settings.password.strip()
    if not settings.credentials_explicit or password.casefold() in ("", default.casefold()):
        raise ConfigError(
            f"refusing to listen on {settings.host} with the default password (SYS, in any "
            "letter case) or an empty one: set ATELIER_USERNAME and ATELIER_PASSWORD (or "
            "--username/--password)")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def state_dir(settings: Settings) -> str:
    """The effective state folder."""
    return os.path.abspath(settings.state_dir or _default_state_dir())


def split_git_spec(spec: str) -> tuple[str, str]:
    """``URL[@REF]`` -> (url, ref). The ``@`` of ``user@host`` is no ref (pip's rule)."""
    if "://" in spec:
        scheme, _, rest = spec.partition("://")
        netloc, slash, path = rest.partition("/")
        head, tail = f"{scheme}://{netloc}{slash}", path
    elif ":" in spec.split("/", 1)[0]:  # scp-like user@host:path
        host, _, path = spec.partition(":")
        head, tail = host + ":", path
    else:
        head, tail = "", spec
    url, at, ref = tail.rpartition("@")
    return (head + url, ref) if at and url else (spec, "")
