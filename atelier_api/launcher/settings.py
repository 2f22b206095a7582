"""The launcher's settings table: every setting once, with its default, environment variable
(``ATELIER_LAUNCHER_<KEY>``), TOML key and meaning; merged (defaults < TOML file <
environment < command line) and validated. ``docs/launcher.md``'s table is generated here.

Users and workspace sources are tables of the TOML file (``[users.NAME]``,
``[workspaces.NAME]``), not single values: see ``docs/launcher.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from atelier_api.config import ConfigError, parse_value, read_toml
from atelier_api.options import Option
from atelier_api.options import markdown_table as options_table


class LauncherConfigError(ConfigError):
    """A launcher setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class LauncherOption(Option):
    """A launcher setting (its own environment prefix)."""

    @property
    def env(self) -> str:
        return "ATELIER_LAUNCHER_" + self.key.upper()


BACKENDS = ("podman", "docker", "kubernetes", "process")
START_STATES = ("original", "preserved")

OPTIONS: tuple[LauncherOption, ...] = (
    LauncherOption("host", "127.0.0.1", "Address the launcher listens on (the page, its API "
                   "and the proxy to the sandboxes)."),
    LauncherOption("port", 8080, "TCP port the launcher listens on.", int),
    LauncherOption("public_url", "", "The launcher's address as IDEs reach it "
                   "(`http://host:port`), for the connection settings it hands out. Empty: "
                   "the scheme and `Host` of the request that asks."),
    LauncherOption("state_dir", "", "Folder of the launcher's records (who launched what, "
                   "relaunch counts, the sandboxes' credentials; mode 0700). Empty: "
                   "`$XDG_STATE_HOME/atelier-launcher` or `~/.local/state/atelier-launcher`."),
    LauncherOption("users_file", "", "TOML file of `[users.NAME]` tables (`password_hash`, "
                   "`operator`); read at start. Empty: the `[users]` tables of the "
                   "configuration file."),
    LauncherOption("backend", "podman", "Container engine: `podman` or `docker` (the "
                   "engine's REST API on its socket), `kubernetes` (the cluster's API), or "
                   "`process` (local processes, for development: no isolation, no limits)."),
    LauncherOption("engine_url", "", "The engine's API: `unix:///path.sock` or "
                   "`tcp://127.0.0.1:port`. Empty: `DOCKER_HOST`, then the engine's usual "
                   "socket (`/run/podman/podman.sock`, `$XDG_RUNTIME_DIR/podman/podman.sock`, "
                   "`/var/run/docker.sock`)."),
    LauncherOption("image", "localhost/atelier-api:latest", "The sandbox image (the "
                   "project's `Dockerfile`). It must exist in the engine: the launcher never "
                   "pulls."),
    LauncherOption("kube_namespace", "", "Kubernetes: the namespace sandboxes are created "
                   "in. Empty: the launcher's own when it runs in the cluster (its service "
                   "account's), else `default`."),
    LauncherOption("kube_launcher_labels", "app.kubernetes.io/name=atelier-launcher",
                   "Kubernetes: labels of the launcher's own pods (`k=v,k=v`), the only "
                   "pods a sandbox's NetworkPolicy admits."),
    LauncherOption("instance", "", "This launcher's name in the labels of what it creates; "
                   "a restarted launcher finds its sandboxes by it. Empty: generated once "
                   "and kept in the state dir."),
    LauncherOption("proxy_prefix", "sandbox", "IDE requests to `/<proxy_prefix>/<user>/...` "
                   "go to that user's sandbox (VS Code's `pathPrefix`)."),
    LauncherOption("namespace", "USER", "The sandbox namespace the connection settings "
                   "name."),
    LauncherOption("max_lifetime_seconds", 4 * 3600, "A sandbox is stopped and removed "
                   "this long after its launch (0: no limit).", int),
    LauncherOption("idle_timeout_seconds", 1800, "A sandbox is stopped and removed after "
                   "this long without a request through the proxy (0: never).", int),
    LauncherOption("relaunch_max", 10, "Relaunches a user may make in all (every launch "
                   "after the first is one; -1: no limit, 0: none).", int),
    LauncherOption("relaunch_cooldown_seconds", 30, "Time a user must wait between two "
                   "launches (429 with `Retry-After` before it).", int),
    LauncherOption("start_state", "original", "`original`: every launch starts from the "
                   "workspace source (fresh clone or empty); `preserved`: the user's "
                   "workspace and derived state live in a volume of their own and survive "
                   "relaunches and launcher restarts."),
    LauncherOption("default_workspace", "empty", "The workspace source a launch uses when "
                   "the user names none: `empty` or a name from `[workspaces]`."),
    LauncherOption("allowed_workspaces", "*", "Workspace sources a user may name, "
                   "comma-separated (`*`: every configured one; empty: only the default)."),
    LauncherOption("max_running", 10, "Sandboxes that may exist at once (starting, ready "
                   "or stopping); a launch over it gets 503 with `Retry-After`.", int),
    LauncherOption("cpus", 1.0, "CPU limit of one sandbox (fractional CPUs; 0: none).",
                   float),
    LauncherOption("memory_bytes", 1 << 30, "Memory limit of one sandbox (0: none).", int),
    LauncherOption("start_timeout_seconds", 60, "A sandbox not ready this long after its "
                   "launch is reported `crashed` and removed.", int),
    LauncherOption("proxy_wait_seconds", 15, "A proxied request to a sandbox that is still "
                   "starting waits this long for it, then gets 503 with `Retry-After`.", int),
    LauncherOption("reap_interval_seconds", 5.0, "How often the launcher looks at its "
                   "sandboxes (expiry, idleness, crashes, readiness).", float),
    LauncherOption("threads", 8, "gunicorn worker threads of the launcher's API and page "
                   "(the proxy runs on an event loop of its own and holds none).", int),
    LauncherOption("max_connections_per_client", 64, "Connections one client address may "
                   "hold open at once (WebSockets included); one more closes its oldest idle "
                   "one, or gets 503 with `Retry-After` when all are busy. Behind a reverse "
                   "proxy every user has its address: raise it.", int),
    LauncherOption("max_body_bytes", 64 * 1024 * 1024, "Largest request body the proxy "
                   "accepts (413 above).", int),
    LauncherOption("log_level", "info", "Logging level: debug, info, warning, error."),
)
OPTION_BY_KEY = {o.key: o for o in OPTIONS}


@dataclass(frozen=True)
class User:
    """A launcher user: name, scrypt password hash, operator or not."""

    name: str
    password_hash: str
    operator: bool = False


@dataclass(frozen=True)
class WorkspaceSource:
    """Where a sandbox's workspace comes from: ``empty``, or ``git`` (``url`` and ``ref``;
    ``mount``: a host folder, e.g. a local repository, mounted read-only into the sandbox
    at ``/mnt/source``, engine backends only)."""

    name: str
    source: str = "empty"
    url: str = ""
    ref: str = ""
    mount: str = ""


@dataclass(frozen=True)
class LauncherSettings:
    """The validated configuration of one launcher (fields: ``OPTIONS``, plus the tables)."""

    host: str
    port: int
    public_url: str
    state_dir: str
    users_file: str
    backend: str
    engine_url: str
    image: str
    kube_namespace: str
    kube_launcher_labels: str
    instance: str
    proxy_prefix: str
    namespace: str
    max_lifetime_seconds: int
    idle_timeout_seconds: int
    relaunch_max: int
    relaunch_cooldown_seconds: int
    start_state: str
    default_workspace: str
    allowed_workspaces: str
    max_running: int
    cpus: float
    memory_bytes: int
    start_timeout_seconds: int
    proxy_wait_seconds: int
    reap_interval_seconds: float
    threads: int
    max_connections_per_client: int
    max_body_bytes: int
    log_level: str
    users: Mapping[str, User]
    workspaces: Mapping[str, WorkspaceSource]

    def workspace(self, name: str | None) -> WorkspaceSource:
        """The source a launch asks for (None: the default); raises for one not allowed."""
        wanted = name or self.default_workspace
        allowed = {w.strip() for w in self.allowed_workspaces.split(",") if w.strip()}
        if name and wanted != self.default_workspace and "*" not in allowed \
                and wanted not in allowed:
            raise LauncherConfigError(f"workspace {wanted!r} is not one you may choose")
        if wanted == "empty" and "empty" not in self.workspaces:
            return WorkspaceSource("empty")
        if wanted not in self.workspaces:
            raise LauncherConfigError(f"no workspace source named {wanted!r}")
        return self.workspaces[wanted]

    def choosable(self) -> list[str]:
        """The workspace names a user may pick, the default first."""
        allowed = {w.strip() for w in self.allowed_workspaces.split(",") if w.strip()}
        names = ["empty", *self.workspaces] if "*" in allowed else sorted(allowed)
        ordered = [self.default_workspace] + [n for n in names if n != self.default_workspace]
        return list(dict.fromkeys(ordered))


# -- passwords --------------------------------------------------------------------------------

_SCRYPT = (2 ** 14, 8, 1)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex), the form ``password_hash`` takes."""
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` value (constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# -- loading ----------------------------------------------------------------------------------

_USER_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def default_state_dir() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "atelier-launcher")


def load_launcher_settings(*, config_file: str | None = None,
                           env: Mapping[str, str] | None = None,
                           cli: Mapping[str, Any] | None = None,
                           users: Mapping[str, Any] | None = None,
                           workspaces: Mapping[str, Any] | None = None) -> LauncherSettings:
    """Defaults < TOML file < ``ATELIER_LAUNCHER_*`` < command line; ``users`` and
    ``workspaces`` (tables as in the TOML file) are added to the file's."""
    try:
        return _load(config_file, os.environ if env is None else env, cli or {}, users or {},
                     workspaces or {})
    except LauncherConfigError:
        raise
    except ConfigError as exc:  # the shared readers' (a file, a value)
        raise LauncherConfigError(str(exc)) from None


def _load(config_file: str | None, env: Mapping[str, str], cli: Mapping[str, Any],
          users: Mapping[str, Any], workspaces: Mapping[str, Any]) -> LauncherSettings:
    config_file = config_file or env.get("ATELIER_LAUNCHER_CONFIG") or None
    table = read_toml(config_file) if config_file else {}
    unknown = sorted(k for k in table if k not in OPTION_BY_KEY and k not in
                     ("users", "workspaces"))
    if unknown:
        raise LauncherConfigError(f"{config_file}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = {o.key: o.default for o in OPTIONS}
    values.update({k: v for k, v in table.items() if k in OPTION_BY_KEY})
    values.update({o.key: env[o.env] for o in OPTIONS if o.env in env})
    values.update({k: v for k, v in (cli or {}).items() if v is not None})
    parsed = {k: parse_value(OPTION_BY_KEY[k], v) for k, v in values.items()}
    user_tables = dict(table.get("users", {}))
    if parsed["users_file"]:
        extra = read_toml(parsed["users_file"])
        user_tables.update(extra.get("users", {}))
    user_tables.update(users or {})
    ws_tables = dict(table.get("workspaces", {}))
    ws_tables.update(workspaces or {})
    settings = LauncherSettings(**parsed, users=_users(user_tables),
                                workspaces=_workspaces(ws_tables))
    return validate(settings)


def _users(tables: Mapping[str, Any]) -> dict[str, User]:
    found: dict[str, User] = {}
    for name, table in tables.items():
        if not _USER_RE.fullmatch(name):
            raise LauncherConfigError(f"user {name!r}: names are 1-40 lower-case letters, "
                                      "digits, '-' or '_' (they become URL segments)")
        if not isinstance(table, Mapping) or not str(table.get("password_hash", "")
                                                     ).startswith("scrypt$"):
            raise LauncherConfigError(f"user {name!r}: needs password_hash = \"scrypt$...\" "
                                      "(atelier-api launcher --hash-password)")
        found[name] = User(name, str(table["password_hash"]), bool(table.get("operator")))
    return found


def _workspaces(tables: Mapping[str, Any]) -> dict[str, WorkspaceSource]:
    found: dict[str, WorkspaceSource] = {}
    for name, table in tables.items():
        if not _NAME_RE.fullmatch(name) or not isinstance(table, Mapping):
            raise LauncherConfigError(f"workspace {name!r}: a name of letters, digits, "
                                      "'.', '-', '_' with a table of settings")
        source = str(table.get("source", "git" if table.get("url") else "empty"))
        if source not in ("empty", "git"):
            raise LauncherConfigError(f"workspace {name!r}: source is empty or git")
        if source == "git" and not table.get("url"):
            raise LauncherConfigError(f"workspace {name!r}: a git source needs url")
        found[name] = WorkspaceSource(name, source, str(table.get("url", "")),
                                      str(table.get("ref", "")), str(table.get("mount", "")))
    return found


def validate(s: LauncherSettings) -> LauncherSettings:
    """Refuse what cannot work, with the setting's name in the message."""
    if s.backend not in BACKENDS:
        raise LauncherConfigError(f"backend: one of {', '.join(BACKENDS)}, not {s.backend!r}")
    if s.start_state not in START_STATES:
        raise LauncherConfigError(f"start_state: original or preserved, not {s.start_state!r}")
    if not 0 < s.port < 65536:
        raise LauncherConfigError(f"port: {s.port} is not a TCP port")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", s.proxy_prefix):
        raise LauncherConfigError("proxy_prefix: one path segment of letters, digits, - or _")
    if s.proxy_prefix in ("launcher", "static"):
        raise LauncherConfigError(f"proxy_prefix: {s.proxy_prefix!r} is the launcher's own")
    for key in ("max_lifetime_seconds", "idle_timeout_seconds", "relaunch_cooldown_seconds",
                "memory_bytes", "start_timeout_seconds", "proxy_wait_seconds"):
        if getattr(s, key) < 0:
            raise LauncherConfigError(f"{key}: must not be negative")
    if s.relaunch_max < -1:
        raise LauncherConfigError("relaunch_max: -1 (no limit), 0 or more")
    if s.max_running < 1 or s.threads < 4 or s.cpus < 0 or s.reap_interval_seconds <= 0:
        raise LauncherConfigError("max_running >= 1, threads >= 4, cpus >= 0 and "
                                  "reap_interval_seconds > 0")
    if s.default_workspace != "empty" and s.default_workspace not in s.workspaces:
        raise LauncherConfigError(f"default_workspace: no [workspaces.{s.default_workspace}]")
    if s.instance and not _NAME_RE.fullmatch(s.instance):
        raise LauncherConfigError("instance: letters, digits, '.', '-', '_'")
    try:
        loopback = ipaddress.ip_address(s.host).is_loopback
    except ValueError:
        loopback = s.host == "localhost"
    if not loopback and not s.users:
        raise LauncherConfigError(f"host {s.host}: a launcher on a non-loopback address "
                                  "needs a users table")
    return s


def markdown_table() -> str:
    """``docs/launcher.md``'s settings table, generated from ``OPTIONS``."""
    return options_table(OPTIONS)


FIELD_NAMES = tuple(f.name for f in fields(LauncherSettings))
assert set(FIELD_NAMES) == set(OPTION_BY_KEY) | {"users", "workspaces"}

__all__ = ["OPTIONS", "LauncherSettings", "User", "WorkspaceSource", "check_password",
           "hash_password", "load_launcher_settings"]
