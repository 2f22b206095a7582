"""The settings table: every setting once, with its default, environment variable
(``ATELIER_<KEY>``), TOML key (``key``) and meaning. ``atelier_api.config`` merges and
validates them; the README's configuration table is generated from here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from atelier_api.documents.layout import LAYOUTS


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


OPTIONS: tuple[Option, ...] = (
    Option("host", "127.0.0.1", "Address to listen on. Non-loopback addresses need a password "
           "set explicitly, neither empty nor the default `SYS` in any letter case."),
    Option("port", 52773, "TCP port to listen on.", int),
    Option("username", "_SYSTEM", "User name for Basic auth."),
    Option("password", "SYS", "Password for Basic auth."),
    Option("auth", "basic", "`basic` (Basic auth, then a session cookie) or `none` (loopback "
           "only: every request is accepted as the configured user)."),
    Option("namespaces", "", "Namespaces as `NAME=SOURCE` pairs separated by commas; SOURCE "
           "is a folder `DIR`, `git+URL[@REF]` (cloned at start-up) or `empty:[DIR]` (filled "
           "through PUT). Empty: the bundled demo workspace as `USER`."),
    Option("layout", "auto", "Where new documents are written (existing files are named by "
           "their headers, wherever they sit): " + ", ".join(LAYOUTS) + "; auto follows the "
           "tree."),
    Option("state_dir", "", "Folder for derived state (timestamp index, sessions are in "
           "memory) and the demo copy. Empty: `$XDG_STATE_HOME/atelier-api` or "
           "`~/.local/state/atelier-api`."),
    Option("new_file_eol", "lf", "Line ending of files created through the API: lf, crlf, cr."),
    Option("max_body_bytes", 64 * 1024 * 1024, "Largest accepted request body in bytes "
           "(413 above).", int),
    Option("threads", 32, "gunicorn worker threads (one process, gthread worker).", int),
    Option("request_head_timeout_seconds", 20, "A request head (request line and headers) "
           "must be complete this many seconds after the connection opened (on a kept-alive "
           "connection: after its first byte), or the connection is closed (408). Also the "
           "window `min_body_rate_bytes` is measured over. Requests are received by the "
           "poller thread: a slow client holds no worker thread.", int),
    Option("min_body_rate_bytes", 500, "Minimum average rate, in bytes per second, of a "
           "request body (408 below it) and of a client taking its response (cut off below "
           "it), over each `request_head_timeout_seconds` spent waiting for the client.", int),
    Option("max_connections_per_client", 64, "Open connections of one client address. A "
           "new one over it replaces that address's oldest idle connection (still sending "
           "its request, or kept alive); when all are busy it is answered 503.", int),
    Option("session_idle_seconds", 8 * 3600, "A session cookie unused this long is "
           "forgotten (the client re-logs in on the 401).", int),
    Option("max_sessions_per_user", 100, "Live sessions of one user; opening one more ends "
           "that user's least recently used session (its client logs in again on the 401).",
           int),
    Option("login_max_failures", 10, "Failed Basic logins one client address may make "
           "within `login_window_seconds`; past that its Basic attempts (the right password "
           "too) are answered 429 with `Retry-After` until the oldest failure leaves the "
           "window. 0: no throttling.", int),
    Option("login_window_seconds", 60, "The sliding window of `login_max_failures`.", int),
    Option("allowed_hosts", "", "Host names clients may use in the `Host` header besides IP "
           "addresses, `localhost` (and `*.localhost`) and `host`; comma-separated, "
           "`.example.com` also matches its subdomains, `*` accepts any name. Other names "
           "are refused (400), which stops DNS rebinding; name the proxy's or Service's host "
           "name here when clients reach the server by one."),
    Option("compiler", "stub", "Name of the compiler adapter (entry point group "
           "`atelier_api.compilers`)."),
    Option("log_level", "info", "Logging level: debug, info, warning, error."),
    Option("git_url", "", "Clone this git repository (URL or local path) at start-up as "
           "namespace `git_namespace`; needs the `git` executable."),
    Option("git_ref", "", "Branch, tag or commit of `git_url` to check out. Empty: the "
           "remote's default branch."),
    Option("git_namespace", "USER", "The namespace that `git_url` becomes."),
    Option("start_mode", "keep", "On a (re)launch over an existing state dir: `keep` the "
           "changes made through the API, or start from the `original` state (the cloned "
           "commit, or the folder snapshot taken at first launch)."),
    Option("max_lifetime_seconds", 0, "Shut down gracefully this long after launch (0: no "
           "limit).", int),
    Option("idle_timeout_seconds", 0, "Shut down gracefully after this long without any "
           "request to /api/atelier/ (0: never).", int),
    Option("watch", True, "Watch the workspaces for changes made by other programs, so they "
           "reach timestamps and derived data within about a second.", _bool),
    Option("watch_debounce_ms", 150, "Quiet time that ends a burst of file changes before "
           "the watcher takes them in (bursts are coalesced).", int),
    Option("work_time_limit_seconds", 600, "Time limit of one compile (sync or /work) or one "
           "unit-test run; a job over it is stopped with a clear error.", int),
    Option("work_retention_seconds", 600, "A finished /work job nobody polled to the end is "
           "forgotten after this long.", int),
    Option("work_threads", 2, "Threads running /work jobs side by side.", int),
    Option("sql_time_limit_seconds", 10, "Time limit of one SQL statement (`action/query`), "
           "waiting for a free SQL thread included; a statement over it is stopped with "
           "SQLCODE -450.", int),
    Option("sql_threads", 2, "SQL statements running at once (each on a thread of its own, "
           "at a lower CPU priority than requests).", int),
    Option("sql_queue", 14, "SQL statements that may wait for a free SQL thread; one more is "
           "refused at once with SQLCODE -400.", int),
    Option("sql_max_rows", 250_000, "Rows one SQL statement may return (SQLCODE -500 "
           "above; `max=N` takes the first N instead).", int),
    Option("sql_max_result_bytes", 64 << 20, "Size of one SQL statement's result as JSON "
           "(`<STORE>` above).", int),
    Option("sql_memory_bytes", 256 << 20, "SQLite's memory ceiling for all SQL statements of "
           "the process; a statement is stopped (`<STORE>`) when three quarters of it are in "
           "use. It can be lowered while the server runs, never raised.", int),
    Option("max_run_sessions", 8, "Execution sessions (Lite Terminals, unit-test runs, debug "
           "targets) open at once, each a process of its own and a request thread while its "
           "WebSocket is open; one more is answered 503.", int),
    Option("run_cpu_seconds", 600, "CPU time one session's process may use in all; then it "
           "is ended (the terminal says so).", int),
    Option("run_memory_bytes", 1 << 30, "Address space of one session's process; code that "
           "needs more gets `<STORE>`.", int),
    Option("run_line_seconds", 300, "Wall-clock time of one command line or call, and of one "
           "unit-test method; then it is interrupted (`<INTERRUPT>`), and its process ended if "
           "it does not stop.", int),
    Option("run_output_bytes", 16 << 20, "Output one line or call (or one unit-test run) may "
           "write; the rest is dropped and the terminal says so.", int),
    Option("projects_max_bytes", 32 << 20, "Largest size of one namespace's projects "
           "database (`%Studio.Project`); writes beyond it fail with `<FILEFULL>`.", int),
)
OPTION_BY_KEY = {o.key: o for o in OPTIONS}


def markdown_table(options: Iterable[Option] = OPTIONS) -> str:
    """The README's configuration table, generated from ``OPTIONS`` (or another table)."""
    rows = ["| setting | environment | default | meaning |", "| --- | --- | --- | --- |"]
    for o in options:
        default = f"`{o.default}`" if o.default != "" else "(empty)"
        rows.append(f"| `{o.key}` | `{o.env}` | {default} | {o.help} |")
    return "\n".join(rows)
