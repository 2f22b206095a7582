"""The service container: builds the namespaces' stores, sessions and the adapter from settings."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from importlib import resources

from atelier_api.adapters.contract import Adapter
from atelier_api.adapters.execution import ExecutionLimits
from atelier_api.adapters.system_library import bind, system_library
from atelier_api.auth import LoginThrottle, Sessions
from atelier_api.compile.service import CompileService
from atelier_api.compile.service import attach as attach_compiling
from atelier_api.config import ConfigError, NamespaceConfig, Settings, state_dir
from atelier_api.documents.fsutil import remove_leftovers
from atelier_api.documents.layout import SKIPPED_DIRS, Layout, default_webapps
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.textcodec import EOLS
from atelier_api.documents.tsindex import TsIndex
from atelier_api.run.sessions import Runs
from atelier_api.sandbox.lifecycle import Lifecycle
from atelier_api.sandbox.workspaces import Workspace, derived_dir, prepare_workspaces
from atelier_api.search.corpus import close_corpus
from atelier_api.sql.budget import Gate, SqlLimits
from atelier_api.sql.service import SqlService, open_sql
from atelier_api.sql.service import preload as preload_sql
from atelier_api.work.jobs import JobRegistry
from atelier_api.work.queue import WorkQueue
from atelier_api.xmlexport.service import XmlFormat

log = logging.getLogger(__name__)
DEMO_NAMESPACE = "USER"


@dataclass
class Services:
    """Everything the API layer talks to; lives on ``app.extensions['atelier']``."""

    settings: Settings
    stores: dict[str, DocumentStore]
    sessions: Sessions
    compiler: Adapter
    jobs: JobRegistry
    server_id: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    #: per namespace: compiling (atelier_api.compile.service);
    #: the /work queue (threads start lazily)
    compiling: dict[str, CompileService] = field(default_factory=dict)
    work: WorkQueue = field(default_factory=WorkQueue)
    #: per namespace: action/query (class dictionary, projects, class queries)
    sql: dict[str, SqlService] = field(default_factory=dict)
    #: the statement threads the namespaces' SQL services share
    sql_gate: Gate | None = None
    #: execution sessions (terminals; atelier_api.run)
    runs: Runs | None = None
    started: float = field(default_factory=time.time)
    _closed: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)
    _warmed: set[str] = field(default_factory=set)
    _warm_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ready(self) -> bool:
        """True once every namespace store is loaded and its listing index was built once."""
        return self._ready.is_set()

    def pending(self) -> list[str]:
        """The namespaces whose store has not been warmed up yet."""
        with self._warm_lock:
            return sorted(set(self.stores) - self._warmed)

    def warm_up(self) -> None:
        """List every store once (builds the timestamp index), then mark the server ready.

        Runs in a background thread started by the process entry point, never in create_app.
        """
        started = time.monotonic()
        for name, store in self.stores.items():
            if self._closed.is_set() or self.lifecycle.draining.is_set():
                return
            count = len(store.list())
            with self._warm_lock:
                self._warmed.add(name)
            log.info("namespace %s indexed: %d documents", name, count)
            for doc, rels in sorted(store.duplicates().items()):
                log.warning("namespace %s: %d files declare %s; serving %s, ignoring %s", name,
                            len(rels), doc, rels[0], ", ".join(rels[1:]))
        self._ready.set()
        log.info("ready: %d namespaces in %.2f s", len(self.stores), time.monotonic() - started)
        preload_sql()
        if self.runs is not None and self.runs.available():
            self.compiler.prepare_sessions()  # the first terminal opens without waiting

    def store(self, namespace: str) -> DocumentStore | None:
        """The store of a namespace (case-insensitive), or None."""
        return self.stores.get(namespace.upper())

    def close(self) -> None:
        """Flush derived state; safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.work.shutdown(cancel=True, timeout=10.0)  # running jobs end as cancelled
        if self.runs is not None:
            self.runs.close_all()
        for store in self.stores.values():
            close_corpus(store)
            store.index.close()
            if store.compiled is not None:
                store.compiled.close()
        for service in self.sql.values():
            service.close()
        if self.sql_gate is not None:
            self.sql_gate.shutdown()


def build_services(settings: Settings, compiler: Adapter) -> Services:
    """Resolve namespaces (demo copy included), open the indexes and the session table."""
    settings, workspaces = prepare_workspaces(with_default_namespaces(settings))
    state = state_dir(settings)
    stores = {ns.name: _open_store(settings, ns, state) for ns in settings.namespaces}
    library = system_library(compiler)  # the adapter's own documents, read-only, in every store
    for store in stores.values():
        bind(store, library)
    sessions = Sessions(settings.username, settings.password, settings.port,
                        settings.session_idle_seconds, settings.auth == "basic",
                        max_per_user=settings.max_sessions_per_user,
                        throttle=LoginThrottle(settings.login_max_failures,
                                               settings.login_window_seconds))
    jobs = JobRegistry()
    compiling = attach_compiling(stores, compiler, lambda ns: os.path.join(
        derived_dir(state, ns), "compiled.sqlite"), settings.work_time_limit_seconds)
    work = WorkQueue(jobs, workers=settings.work_threads,
                     retention_seconds=settings.work_retention_seconds)
    limits = sql_limits(settings)
    gate = Gate(limits.running, limits.waiting)  # one set of statement threads per server
    sql = {ns: open_sql(store, derived_dir(state, ns), state,
                        getattr(settings, "system_mode", "") or "", limits, gate)
           for ns, store in stores.items()}
    runs = Runs(compiler, stores, lambda ns: derived_dir(state, ns), jobs, ExecutionLimits(
        settings.run_cpu_seconds, settings.run_memory_bytes, float(settings.run_line_seconds),
        settings.run_output_bytes), settings.max_run_sessions)
    return Services(settings, stores, sessions, compiler, jobs, workspaces=workspaces,
                    compiling=compiling, work=work, sql=sql, sql_gate=gate, runs=runs)


def sql_limits(settings: Settings) -> SqlLimits:
    """The SQL budgets the settings name (the others keep their IRIS-given values)."""
    return SqlLimits(time_limit=float(settings.sql_time_limit_seconds),
                     max_result_rows=settings.sql_max_rows,
                     max_result_bytes=settings.sql_max_result_bytes,
                     projects_max_bytes=settings.projects_max_bytes,
                     memory_bytes=settings.sql_memory_bytes,
                     running=settings.sql_threads, waiting=settings.sql_queue)


def with_default_namespaces(settings: Settings) -> Settings:
    """No namespace configured: the bundled demo as USER; %SYS is always present."""
    state = state_dir(settings)
    namespaces = list(settings.namespaces)
    demo = not namespaces
    if demo:
        root = copy_demo(os.path.join(state, "demo", DEMO_NAMESPACE))
        namespaces.append(NamespaceConfig(DEMO_NAMESPACE, root, settings.layout, DEMO_NAMESPACE,
                                          default_webapps(DEMO_NAMESPACE)))
    if not any(ns.name == "%SYS" for ns in namespaces):
        root = os.path.join(state, "namespaces", "SYS")
        os.makedirs(root, exist_ok=True)
        namespaces.append(NamespaceConfig("%SYS", root, settings.layout, "IRISSYS",
                                          default_webapps("%SYS")))
    return replace(settings, namespaces=tuple(namespaces), demo=demo)


def copy_demo(target: str) -> str:
    """Copy the bundled demo workspace to a writable place once; the package is never written."""
    if not os.path.isdir(target):
        source = resources.files("atelier_api") / "demo" / DEMO_NAMESPACE
        with resources.as_file(source) as folder:
            tmp = target + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(folder, tmp)
            os.replace(tmp, target)
    return target


def _open_store(settings: Settings, ns: NamespaceConfig, state: str) -> DocumentStore:
    if not os.path.isdir(ns.root):
        raise ConfigError(f"namespace {ns.name}: workspace folder {ns.root} does not exist")
    if not os.access(ns.root, os.R_OK | os.X_OK):
        raise ConfigError(f"namespace {ns.name}: workspace folder {ns.root} is not readable")
    removed = remove_leftovers(ns.root, SKIPPED_DIRS)
    if removed:
        log.warning("namespace %s: removed %d temp files an interrupted write left behind: %s",
                    ns.name, len(removed), ", ".join(removed[:10]))
    safe = ns.name.replace("%", "_")
    index = TsIndex(os.path.join(state, "index", f"{safe}.sqlite"))
    store = DocumentStore(ns.name, ns.root, Layout(ns.layout, ns.webapps), ns.db, index,
                          EOLS[settings.new_file_eol])
    store.export_format = XmlFormat()
    return store
