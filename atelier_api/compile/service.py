"""Compiling through the API: the compile service of one namespace (domain code, no Flask).

A compile is planned in the request (flags checked, names and masks expanded: bad input is a
400 or 404 before any work starts), then run — inline for ``action/compile``, on the work
queue for ``/work`` — through ``atelier_api.adapters.contract.call`` with a cancel token and a time
limit, and finally applied: Storage the compiler generated is written back into the class
text through the store's compare-and-swap save (a text a client changed meanwhile is never
overwritten: the compile reports it instead), and the compile state (``upd``, generated
documents) is recorded in SQLite. A failing compile is an HTTP 200 with ``status.errors``; an
adapter that raises or breaks the contract is reported the same way, with nothing applied.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier_api.adapters.contract import (
    Adapter,
    CancelToken,
    Capability,
    CompileRequest,
    CompileResult,
    ContractError,
    DocOutcome,
    Outcome,
    SourceDoc,
    call,
)
from atelier_api.compile.console import ConsoleRelay
from atelier_api.compile.state import Changes, CompiledCatalog
from atelier_api.compile.workspace_view import Stamp, StoreWorkspace
from atelier_api.documents.docsets import DocSet, expand, is_mask, item_names
from atelier_api.documents.model import Document
from atelier_api.documents.names import DocName, parse_name
from atelier_api.documents.store import DocumentStore
from atelier_api.documents.texts import text_digest
from atelier_api.documents.tsindex import format_ts, parse_ts
from atelier_api.errors import AtelierError, BadRequest, Conflict, DocumentNotFound, InvalidName
from atelier_api.work.queue import JobContext, Work
from atelier_api.work.queue import Outcome as JobOutcome

log = logging.getLogger(__name__)
DEFAULT_FLAGS = "cuk"
#: Seconds a compile may run (sync and /work) before it stops with a clear status.
TIME_LIMIT = 600.0
MAX_FLAGS = 512
_FLAGS_RE = re.compile(r"[A-Za-z0-9\- ]*(?:/ *[A-Za-z]+(?:=[^/\x00-\x1f\x7f]*)? *)*")
_CODE_RE = re.compile(r"ERROR #(\d+)")
_ERROR_IDS = {5030: "ClassCompileError", 5373: "ClassDoesNotExist", 5475: "RoutineCompileError",
              5559: "ClassDefParseError", 5478: "KeywordSignatureError", 16005: "DocumentNotFound"}


def check_flags(flags: Any) -> str:
    """The qspec to use ('' means the default ``cuk``); a 400 for anything malformed."""
    if flags is None:
        return DEFAULT_FLAGS
    if not isinstance(flags, str):
        raise BadRequest("'flags' must be a string of compiler flags such as 'cuk'")
    if len(flags) > MAX_FLAGS or not _FLAGS_RE.fullmatch(flags):
        shown = flags[:80].encode("unicode_escape").decode()
        raise BadRequest(f"Invalid compiler flags '{shown}': expected flag letters (e.g. cuk, "
                         "-d) followed by /qualifiers (e.g. /keepsource, /display=none)")
    return flags or DEFAULT_FLAGS


def status_error(text: str, params: list[str], *, code: int | None = None) -> dict[str, Any]:
    """A ``status.errors`` entry for an error text (its first ``ERROR #n`` gives the code)."""
    found = _CODE_RE.search(text)
    number = code if code is not None else int(found.group(1)) if found else 5001
    return {"error": text, "code": number, "domain": "%ObjectErrors",
            "id": _ERROR_IDS.get(number, "CompileError"), "params": params}


@dataclass(frozen=True)
class CompilePlan:
    """A checked compile: the expanded set, the qspec and whether to return source."""

    docset: DocSet
    flags: str = DEFAULT_FLAGS
    source: bool = True


@dataclass
class CompileReport:
    """What a compile answers: changed documents, errors and the console lines."""

    content: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    console: list[str] = field(default_factory=list)
    stopped: str = ""

    @property
    def summary(self) -> str:
        """The first error's text, '' when the compile succeeded."""
        return str(self.errors[0]["error"]) if self.errors else ""


@dataclass
class _Applied:
    """What applying a compile result produced."""

    content: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


class CompileService:
    """Compiles documents of one namespace with the configured adapter."""

    def __init__(self, store: DocumentStore, catalog: CompiledCatalog, adapter: Adapter, *,
                 time_limit: float = TIME_LIMIT) -> None:
        self.store = store
        self.catalog = catalog
        self.adapter = adapter
        self.time_limit = time_limit

    # -- plan ---------------------------------------------------------------------------------
    def plan(self, items: Any, flags: Any = None, source: bool = True) -> CompilePlan:
        """Check a compile request and expand its document list (400/404 before any work)."""
        qspec = check_flags(flags)
        names = item_names(items)
        docset = expand(self.store, names)
        if docset.missing and not docset.docs and docset.named == len(names):
            first = docset.missing[0]
            raise DocumentNotFound(first.name, first.cat)
        return CompilePlan(docset, qspec, source)

    def job(self, plan: CompilePlan) -> Work:
        """The plan as a /work job: console lines streamed, result ``{"content": [...]}``."""
        def work(ctx: JobContext) -> JobOutcome:
            report = self.run(plan, sink=ctx.console, cancel=ctx.cancel,
                              time_limit=ctx.time_left(), why=lambda: ctx.stop_reason)
            return JobOutcome({"content": report.content}, report.errors, report.summary)
        return work

    # -- run ----------------------------------------------------------------------------------
    def run(self, plan: CompilePlan, *, sink: Callable[[str], None] | None = None,
            cancel: CancelToken | None = None, time_limit: float | None = None,
            why: Callable[[], str] | None = None) -> CompileReport:
        """Compile the plan's documents and apply the result; never raises for adapter faults.

        ``why`` tells why the cancel token fired when someone else fired it (the work queue's
        time limit), so a stopped compile reports the real reason.
        """
        lines: list[str] = []
        view = StoreWorkspace(self.store, self.catalog)
        docs, gone = self._sources(plan.docset, view)
        missing = [*plan.docset.missing, *gone]
        relay = ConsoleRelay(sink or lines.append, _opening_notes(plan.docset, missing, docs))
        request = CompileRequest(tuple(docs), plan.flags, view, cancel or CancelToken(),
                                 self.time_limit if time_limit is None else time_limit,
                                 on_console=relay.line)
        started = time.monotonic()
        try:
            result: CompileResult = call(self.adapter, Capability.COMPILE, request)
        except Exception as exc:  # an adapter fault is a failed compile, not a crash
            return self._failed(exc, relay, missing, started, lines)
        applied = self._apply(result, view, plan.source)
        stop = _stop_error(result, why() if why is not None else "")
        notes = applied.warnings + ([str(stop["error"])] if stop else [])
        relay.finish(result.console, extra_errors=len(missing) + bool(stop), notes=notes,
                     elapsed=time.monotonic() - started)
        errors = [_missing_error(d) for d in missing]
        errors += [_outcome_error(o) for o in result.outcomes if o.state is Outcome.FAILED]
        errors += [stop] if stop else []
        return CompileReport(applied.content, errors, lines, result.stopped)

    def _sources(self, docset: DocSet, view: StoreWorkspace
                 ) -> tuple[list[SourceDoc], list[DocName]]:
        """The compilable documents of the set as read now, and those gone since the plan."""
        docs, gone = [], []
        for doc in docset.docs:
            if doc.cat not in ("CLS", "RTN"):
                continue  # web files and other documents have nothing to compile
            found = view.document(doc.name)
            if found is None:
                gone.append(doc)
            else:
                docs.append(found)
        return docs, gone

    def _failed(self, exc: Exception, relay: ConsoleRelay, missing: list[DocName],
                started: float, lines: list[str]) -> CompileReport:
        """The report of a compile whose adapter raised or broke the contract."""
        name = self.adapter.info.name
        if isinstance(exc, ContractError):
            text = f"The compiler adapter '{name}' returned a malformed result: {exc}"
        else:
            log.exception("compiler adapter %s failed", name)
            text = f"The compiler adapter '{name}' failed: {type(exc).__name__}: {exc}"
        error = status_error(f"ERROR #5002: {text}", [text], code=5002)
        relay.finish((), extra_errors=len(missing) + 1, notes=[str(error["error"])],
                     elapsed=time.monotonic() - started, force=True)
        return CompileReport([], [*(_missing_error(d) for d in missing), error], lines)

    # -- apply --------------------------------------------------------------------------------
    def _apply(self, result: CompileResult, view: StoreWorkspace, source: bool) -> _Applied:
        """Write back changed text and record the compile state of every outcome."""
        applied = _Applied()
        for out in result.outcomes:
            stamp = view.stamps.get(out.name)
            if stamp is None:
                continue  # not a document this compile read: nothing to record
            try:
                self._apply_one(out, stamp, source, applied)
            except Exception:  # one document's bookkeeping must not sink the others
                log.exception("could not apply the compile result of %s", out.name)
                applied.warnings.append(f"WARNING: The result of {out.name} could not be "
                                        "recorded; compile it again")
        self.catalog.apply(applied.changes)
        return applied

    def _apply_one(self, out: DocOutcome, stamp: Stamp, source: bool, applied: _Applied) -> None:
        if out.state is Outcome.FAILED:
            applied.changes.forgotten.append(out.name)
            return
        if out.state is not Outcome.COMPILED:
            return
        applied.changes.generated[out.name] = _generated(out)
        if out.source is None or tuple(out.source) == stamp.lines:
            applied.changes.compiled.append((out.name, stamp.ts, stamp.sha))
            return
        written = self._write_back(out, stamp)
        if written is None:
            applied.warnings.append(
                f"WARNING: {out.name} was changed while it compiled; its generated Storage was "
                "not written back (compile it again)")
            return
        applied.changes.compiled.append((out.name, parse_ts(written.ts) or 0,
                                         text_digest(out.source)))
        if written.ts != format_ts(stamp.ts):
            applied.content.append(_changed_doc(out, written, source))

    def _write_back(self, out: DocOutcome, stamp: Stamp) -> Document | None:
        """Save the compiler's new text under compare-and-swap against the version compiled."""
        assert out.source is not None
        try:
            saved = self.store.put(out.name, list(out.source), if_match=format_ts(stamp.ts))
        except Conflict:
            return None
        except (AtelierError, OSError) as exc:
            log.warning("could not write back %s: %s", out.name, exc)
            return None
        return None if saved.doc.status else saved.doc


def _generated(out: DocOutcome) -> list[tuple[str, tuple[str, ...]]]:
    """The generated documents of an outcome under their canonical names (bad names dropped)."""
    docs = []
    for gen in out.generated:
        try:
            docs.append((parse_name(gen.name).name, gen.lines))
        except InvalidName:
            log.warning("adapter generated %r from %s: not a document name", gen.name, out.name)
    return docs


def _changed_doc(out: DocOutcome, saved: Document, source: bool) -> dict[str, Any]:
    """A ``result.content`` entry: the new Storage (flags 1) when source is on."""
    if not source:
        flags, content = 0, []
    elif out.storage:
        flags, content = 1, list(out.storage)
    else:
        flags, content = 0, list(out.source or ())
    doc = Document(saved.name, saved.cat, saved.db, saved.ts, True, "", False, flags, content)
    return doc.to_dict()


def _opening_notes(docset: DocSet, missing: list[DocName], docs: list[SourceDoc]) -> list[str]:
    """Lines printed after the header: missing documents, masks that matched nothing."""
    notes = [str(_missing_error(d)["error"]) for d in missing]
    for mask in docset.empty_masks:
        whole_type = re.fullmatch(r"\*\.\w+", mask) is not None
        if not (whole_type and (docs or docset.docs)):
            notes.append(f"WARNING: No document matches '{mask}'")
    return notes


def _missing_error(doc: DocName) -> dict[str, Any]:
    text = f"ERROR #16005: Document '{doc.name}' does NOT exist"
    return status_error(text, [doc.name], code=16005)


def _outcome_error(out: DocOutcome) -> dict[str, Any]:
    return status_error(out.status, [out.name])


def _stop_error(result: CompileResult, reason: str) -> dict[str, Any] | None:
    """The error of a compile that stopped early (cancelled, at its time limit, shutdown)."""
    if not result.stopped:
        return None
    left = sum(1 for o in result.outcomes if o.state is Outcome.CANCELLED)
    why = {"time limit": "Compilation stopped at its time limit",
           "shutdown": "Compilation cancelled: the server is shutting down"}.get(
        reason or result.stopped, "Compilation cancelled")
    text = f"{why}: {left} of {len(result.outcomes)} documents were not compiled"
    return status_error(f"ERROR #5002: {text}", [text], code=5002)


def attach(stores: dict[str, DocumentStore], adapter: Adapter, catalog_path: Callable[[str], str],
           time_limit: float = TIME_LIMIT) -> dict[str, CompileService]:
    """Give every store its compile state (opened from ``catalog_path(namespace)``) and
    return a compile service per namespace."""
    services = {}
    for name, store in stores.items():
        catalog = CompiledCatalog(catalog_path(name))
        catalog.bind(lambda doc, s=store: _source_exists(s, doc))  # type: ignore[misc]
        store.compiled = catalog
        services[name] = CompileService(store, catalog, adapter, time_limit=time_limit)
    return services


def _source_exists(store: DocumentStore, name: str) -> bool:
    """True while the source of generated documents exists on disk."""
    try:
        return os.path.isfile(store.locate(name).path)
    except InvalidName:
        return False


__all__ = ["CompilePlan", "CompileReport", "CompileService", "attach", "check_flags", "is_mask"]
