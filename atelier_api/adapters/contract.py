"""The compiler adapter contract (standard library only).

Adapters are found through the entry point group ``atelier_api.compilers`` and chosen by
configuration. An adapter declares what it can do; the core asks only for declared capabilities,
one frozen request object per call, and checks results at the boundary (``check_*_result``).
Requests may gain fields with defaults without breaking adapters.
"""

from __future__ import annotations

import enum
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from atelier_api.adapters.execution import ContractError as ContractError  # re-exported
from atelier_api.adapters.execution import ExecutionRequest, ExecutionSession

ENTRY_POINT_GROUP = "atelier_api.compilers"


class Capability(enum.Enum):
    """What an adapter can be asked to do."""

    COMPILE = "compile"
    INDEX = "index"
    MACROS = "macros"
    EXECUTE = "execute"
    UNITTEST = "unittest"
    SYSTEM_DOCUMENTS = "system_documents"


@dataclass(frozen=True)
class AdapterInfo:
    """An adapter's name, version and declared capabilities."""

    name: str
    version: str
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    description: str = ""


class CancelToken:
    """Cooperative cancellation shared between a job and the adapter working for it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancellation was asked for."""
        return self._event.is_set()


@dataclass(frozen=True)
class SourceDoc:
    """One document as the core holds it: canonical name, text lines, timestamp, up-to-date flag.

    ``upd`` is the core's knowledge that the last successful compile used exactly this text.
    """

    name: str
    lines: tuple[str, ...]
    ts: str = ""
    upd: bool = False

    @property
    def text(self) -> str:
        """The lines joined with newlines."""
        return "\n".join(self.lines)


class Workspace(Protocol):
    """Read access to the other documents of the namespace, for resolving references."""

    def document(self, name: str) -> SourceDoc | None:
        """The document called ``name`` (e.g. ``Pkg.Cls.cls``, ``Macros.inc``), or None."""

    def class_names(self) -> Iterable[str]:
        """Every class of the workspace, without the ``.cls`` extension."""


@dataclass(frozen=True)
class MappingWorkspace:
    """A workspace over an in-memory mapping of name -> SourceDoc (tests, small callers)."""

    docs: Mapping[str, SourceDoc] = field(default_factory=dict)

    @classmethod
    def of(cls, docs: Iterable[SourceDoc]) -> MappingWorkspace:
        """Build from documents, keyed by name."""
        return cls({d.name: d for d in docs})

    def document(self, name: str) -> SourceDoc | None:
        """The document, matched case-insensitively on the extension."""
        found = self.docs.get(name)
        if found is None and "." in name:
            base, _, ext = name.rpartition(".")
            found = self.docs.get(f"{base}.{ext.lower()}")
        return found

    def class_names(self) -> Iterable[str]:
        """Names of the ``.cls`` documents without extension."""
        return [n[:-4] for n in self.docs if n.endswith(".cls")]


EMPTY_WORKSPACE = MappingWorkspace()


@dataclass(frozen=True)
class CompileRequest:
    """Compile ``documents`` with a qspec (flags and /qualifiers), against ``workspace``.

    ``time_limit`` is in seconds (None: unlimited). The adapter checks ``cancel`` and the
    time limit between documents and stops with CANCELLED outcomes for what it did not reach.
    ``on_console``, when given, receives each console line as soon as it is printed (the
    ``/work`` queue streams them to polling clients); ``CompileResult.console`` still holds
    every line. Adapters that ignore it are fine: the core then sends the lines at the end.
    """

    documents: tuple[SourceDoc, ...]
    flags: str = "cuk"
    workspace: Workspace = EMPTY_WORKSPACE
    cancel: CancelToken = field(default_factory=CancelToken)
    time_limit: float | None = None
    on_console: Callable[[str], None] | None = None


@dataclass(frozen=True)
class IndexRequest:
    """Summarise ``documents`` (action/index); ``positions`` maps name -> ``label+offset``."""

    documents: tuple[SourceDoc, ...]
    workspace: Workspace = EMPTY_WORKSPACE
    positions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MacroRequest:
    """Macro look-ups for ``docname`` (getmacrodefinition / getmacrolocation / getmacrolist).

    ``document`` is the current text of ``docname`` when the caller has it; ``includes`` are
    extra include files named by the client; ``macroname`` is without ``$$$`` ('' = list only).
    """

    docname: str
    macroname: str = ""
    includes: tuple[str, ...] = ()
    document: SourceDoc | None = None
    workspace: Workspace = EMPTY_WORKSPACE


@dataclass(frozen=True)
class SystemDocsRequest:
    """Ask for the adapter's system documents (Capability.SYSTEM_DOCUMENTS).

    ``names`` empty: every system document (the listing); else only these (a read; names the
    adapter does not have are left out of the result, never an error). ``text``: include each
    document's lines (a listing needs only names and stamps).
    """

    names: tuple[str, ...] = ()
    text: bool = False


@dataclass(frozen=True)
class SystemDoc:
    """One system document: the adapter's own library, read-only to clients.

    ``name`` is canonical (``%Library.String.cls``, ``%occStatus.inc``: lower-case extension,
    full package). ``ts`` (``YYYY-MM-DD HH:MM:SS[.fff]``, UTC) and ``digest`` (any non-empty
    text, e.g. a hex hash of the text) must stay the same while the text does, across restarts,
    and change when it changes: clients cache by ``ts``. ``db`` is the database IRIS keeps the
    document in (``IRISLIB`` for ``%`` classes, ``ENSLIB`` for interoperability classes).
    ``lines`` is the text without line terminators (a final newline is a final empty line),
    ``None`` unless the request asked for text.
    """

    name: str
    ts: str
    digest: str
    db: str = "IRISLIB"
    lines: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SystemDocsResult:
    """The system documents asked for, sorted by name."""

    documents: tuple[SystemDoc, ...] = ()


class Outcome(enum.Enum):
    """What happened to one document of a compile."""

    COMPILED = "compiled"
    FAILED = "failed"
    SKIPPED = "skipped"      # up to date (flag u / checkuptodate), nothing regenerated
    CANCELLED = "cancelled"  # not reached: cancelled or time limit


@dataclass(frozen=True)
class CompileError:
    """One compiler error: code ('5373', '1003', 'MPP5610'), message text and location.

    ``line``/``column`` are 1-based in ``document`` (0 = unknown); ``display`` is the error
    line exactly as printed on the console.
    """

    code: str
    text: str
    document: str
    member: str = ""
    line: int = 0
    column: int = 0
    params: tuple[str, ...] = ()
    display: str = ""


@dataclass(frozen=True)
class GeneratedDoc:
    """A document produced by a compile (``Pkg.Cls.1.int``, ``R.int`` from ``R.mac``): gen."""

    name: str
    lines: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class DocOutcome:
    """The result for one document.

    ``status`` is '' when it compiled, else the text of the returned %Status (nested causes on
    lines prefixed ``  > ``). ``source`` is the whole new text when the compile changed it
    (generated Storage), ``storage`` the storage-only lines (``flags:1`` content).
    ``generated`` is, for COMPILED documents, the complete set of documents generated from
    this source: the core replaces the previous set (empty = remove them). ``expanded`` is
    true for documents the compile added (subclasses with b, predecessors with r).
    """

    name: str
    state: Outcome
    status: str = ""
    errors: tuple[CompileError, ...] = ()
    source: tuple[str, ...] | None = None
    storage: tuple[str, ...] = ()
    generated: tuple[GeneratedDoc, ...] = ()
    expanded: bool = False


@dataclass(frozen=True)
class CompileResult:
    """Console lines, one outcome per document, and why the compile stopped early ('' = not)."""

    console: tuple[str, ...]
    outcomes: tuple[DocOutcome, ...]
    stopped: str = ""
    elapsed: float = 0.0

    @property
    def errors(self) -> tuple[CompileError, ...]:
        """Every error of every outcome, in order."""
        return tuple(e for o in self.outcomes for e in o.errors)

    @property
    def failed(self) -> bool:
        """True when any document failed."""
        return any(o.state is Outcome.FAILED for o in self.outcomes)


@dataclass(frozen=True)
class ArgSummary:
    """A method argument: name and full type name ('' when untyped)."""

    name: str
    type: str = ""


@dataclass(frozen=True)
class MemberSummary:
    """Fields every member summary has (``desc`` is an array of lines)."""

    name: str
    desc: tuple[str, ...] = ()
    depr: bool = False
    final: bool = False
    internal: bool = False


@dataclass(frozen=True)
class MethodSummary(MemberSummary):
    """A method of a class summary; ``scope`` is 'class' or 'instance'."""

    private: bool = False
    scope: str = "instance"
    returntype: str = ""
    args: tuple[ArgSummary, ...] = ()


@dataclass(frozen=True)
class PropertySummary(MemberSummary):
    """A property (or relationship) of a class summary."""

    private: bool = False
    type: str = ""


@dataclass(frozen=True)
class ParameterSummary(MemberSummary):
    """A class parameter of a class summary."""

    type: str = ""
    default: str = ""


@dataclass(frozen=True)
class ClassSummary:
    """The ``content`` of an action/index entry for a class; ``desc`` is an array of lines."""

    desc: tuple[str, ...] = ()
    depl: bool = False
    depr: bool = False
    final: bool = False
    hidden: bool = False
    super: tuple[str, ...] = ()
    methods: tuple[MethodSummary, ...] = ()
    properties: tuple[PropertySummary, ...] = ()
    parameters: tuple[ParameterSummary, ...] = ()


@dataclass(frozen=True)
class IndexEntry:
    """One action/index entry; ``content`` is None for documents that are not classes."""

    name: str
    status: str = ""
    gen: bool = False
    others: tuple[str, ...] = ()
    content: ClassSummary | None = None


@dataclass(frozen=True)
class IndexResult:
    """One entry per requested document, in request order."""

    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class MacroLocation:
    """Where a macro is defined: document name and 1-based line."""

    document: str
    line: int


@dataclass(frozen=True)
class MacroResult:
    """Definition lines and location of ``macroname`` (empty/None if unknown) and all names."""

    definition: tuple[str, ...] = ()
    location: MacroLocation | None = None
    macros: tuple[str, ...] = ()


class Adapter:
    """Base class for adapters: holds the info and answers capability questions."""

    info: AdapterInfo

    def supports(self, capability: Capability) -> bool:
        """True when the adapter declared this capability."""
        return capability in self.info.capabilities

    def compile(self, request: CompileRequest) -> CompileResult:
        """Compile documents (Capability.COMPILE)."""
        raise ContractError(f"adapter {self.info.name} does not compile")

    def index(self, request: IndexRequest) -> IndexResult:
        """Summarise documents (Capability.INDEX)."""
        raise ContractError(f"adapter {self.info.name} does not index")

    def macros(self, request: MacroRequest) -> MacroResult:
        """Answer macro look-ups (Capability.MACROS)."""
        raise ContractError(f"adapter {self.info.name} does not resolve macros")

    def system_documents(self, request: SystemDocsRequest) -> SystemDocsResult:
        """List or read the adapter's system documents (Capability.SYSTEM_DOCUMENTS)."""
        raise ContractError(f"adapter {self.info.name} has no system documents")

    def open_session(self, request: ExecutionRequest) -> ExecutionSession:
        """Open an execution session (Capability.EXECUTE; ``adapters.execution``)."""
        raise ContractError(f"adapter {self.info.name} does not run code")

    def prepare_sessions(self) -> None:
        """Get ready to open sessions quickly (called once, off the request path, when the
        server is ready); the default does nothing."""


def check_adapter(adapter: object) -> Adapter:
    """Validate an adapter object at the boundary; raise ``ContractError`` when it is unusable."""
    info = getattr(adapter, "info", None)
    if not isinstance(info, AdapterInfo):
        raise ContractError(f"{adapter!r} has no AdapterInfo 'info'")
    if not info.name or not isinstance(info.version, str):
        raise ContractError(f"adapter info {info!r} needs a name and a version")
    bad = [c for c in info.capabilities if not isinstance(c, Capability)]
    if bad:
        raise ContractError(f"adapter {info.name} declares unknown capabilities {bad!r}")
    if not isinstance(adapter, Adapter):
        raise ContractError(
            f"adapter {info.name} must derive from atelier_api.adapters.contract.Adapter")
    return adapter


def _typed(value: Any, kind: type, what: str) -> None:
    """Raise ContractError unless ``value`` is an instance of ``kind``."""
    if not isinstance(value, kind):
        raise ContractError(f"{what} must be {kind.__name__}, got {type(value).__name__}")


def _strings(value: Any, what: str) -> None:
    """Raise ContractError unless ``value`` is a tuple of str."""
    _typed(value, tuple, what)
    if not all(map(isinstance, value, itertools.repeat(str))):  # no Python frame per item
        raise ContractError(f"{what} must hold only str")


def _check_fields(obj: Any, what: str) -> None:
    """Check every str/bool/int/tuple-of-str field of a summary-like dataclass by annotation."""
    for f in fields(obj):
        value, name = getattr(obj, f.name), f"{what}.{f.name}"
        kinds = {"str": str, "bool": bool, "int": int, "tuple[str, ...]": tuple}
        if f.type in kinds:
            _typed(value, kinds[str(f.type)], name)
        if f.type == "tuple[str, ...]":
            _strings(value, name)


def _check_error(err: Any, what: str) -> None:
    """Validate one CompileError."""
    _typed(err, CompileError, what)
    _check_fields(err, what)
    if not err.code or not err.text or not err.document:
        raise ContractError(f"{what} needs a code, a text and a document")
    if err.line < 0 or err.column < 0:
        raise ContractError(f"{what} has a negative line or column")


def _check_outcome(out: Any, what: str) -> None:
    """Validate one DocOutcome and the consistency of its state, status and errors."""
    _typed(out, DocOutcome, what)
    _typed(out.state, Outcome, f"{what}.state")
    _typed(out.status, str, f"{what}.status")
    _typed(out.errors, tuple, f"{what}.errors")
    for i, err in enumerate(out.errors):
        _check_error(err, f"{what}.errors[{i}]")
    failed = out.state is Outcome.FAILED
    if failed != bool(out.errors) or (failed and not out.status):
        raise ContractError(f"{what}: FAILED needs errors and a status, and only FAILED has them")
    if out.state is Outcome.COMPILED and out.status:
        raise ContractError(f"{what}: a COMPILED document has an empty status")
    if out.source is not None:
        _strings(out.source, f"{what}.source")
    _strings(out.storage, f"{what}.storage")
    for gen in out.generated:
        _typed(gen, GeneratedDoc, f"{what}.generated")
        _strings(gen.lines, f"{what}.generated.lines")
        if not gen.name or gen.source != out.name:
            raise ContractError(f"{what}: generated {gen.name!r} must name {out.name} as source")


def check_compile_result(result: Any, request: CompileRequest | None = None) -> CompileResult:
    """Validate a compile result (and, given the request, that every document has an outcome)."""
    _typed(result, CompileResult, "compile result")
    _strings(result.console, "console")
    _typed(result.outcomes, tuple, "outcomes")
    for i, out in enumerate(result.outcomes):
        _check_outcome(out, f"outcomes[{i}]")
    names = [o.name for o in result.outcomes]
    if len(set(names)) != len(names):
        raise ContractError("a document has more than one outcome")
    if request is not None:
        missing = {d.name for d in request.documents} - set(names)
        if missing:
            raise ContractError(f"no outcome for {sorted(missing)}")
    if result.stopped not in ("", "cancelled", "time limit"):
        raise ContractError(f"stopped must be '', 'cancelled' or 'time limit': {result.stopped!r}")
    checked: CompileResult = result
    return checked


def _check_summary(summary: Any) -> None:
    """Validate a ClassSummary and its members."""
    _typed(summary, ClassSummary, "content")
    _check_fields(summary, "content")
    groups = (("methods", MethodSummary), ("properties", PropertySummary),
              ("parameters", ParameterSummary))
    for name, kind in groups:
        for member in getattr(summary, name):
            _typed(member, kind, f"content.{name}")
            _check_fields(member, f"content.{name}")
    for method in summary.methods:
        if method.scope not in ("class", "instance"):
            raise ContractError(f"method {method.name} scope must be 'class' or 'instance'")
        for arg in method.args:
            _typed(arg, ArgSummary, f"method {method.name} args")
            _check_fields(arg, f"method {method.name} arg")


def check_index_result(result: Any, request: IndexRequest | None = None) -> IndexResult:
    """Validate an index result: typed entries, in request order when a request is given."""
    _typed(result, IndexResult, "index result")
    _typed(result.entries, tuple, "entries")
    for entry in result.entries:
        _typed(entry, IndexEntry, "entry")
        _check_fields(entry, "entry")
        if entry.content is not None:
            _check_summary(entry.content)
    if request is not None and [e.name for e in result.entries] != [
            d.name for d in request.documents]:
        raise ContractError("index entries must follow the request order")
    checked: IndexResult = result
    return checked


def check_macro_result(result: Any) -> MacroResult:
    """Validate a macro result."""
    _typed(result, MacroResult, "macro result")
    _strings(result.definition, "definition")
    _strings(result.macros, "macros")
    if result.location is not None:
        _typed(result.location, MacroLocation, "location")
        if not result.location.document or result.location.line < 1:
            raise ContractError("a macro location needs a document and a line >= 1")
    checked: MacroResult = result
    return checked


_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})?")
_SYSTEM_NAME_RE = re.compile(r"[^\s/\\]+\.[a-z]+")


def check_system_docs_result(result: Any, request: SystemDocsRequest | None = None
                             ) -> SystemDocsResult:
    """Validate system documents: canonical names (once each, sorted), stamps, text as asked.

    Given the request, a read may only answer names it asked for (case-insensitively), and
    asked-for text must be there.
    """
    _typed(result, SystemDocsResult, "system documents result")
    _typed(result.documents, tuple, "documents")
    names = []
    for i, doc in enumerate(result.documents):
        what = f"documents[{i}]"
        _typed(doc, SystemDoc, what)
        _check_fields(doc, what)
        if not _SYSTEM_NAME_RE.fullmatch(doc.name):
            raise ContractError(f"{what}: {doc.name!r} is not a document name with a lower-case "
                                "extension")
        if not _TS_RE.fullmatch(doc.ts):
            raise ContractError(f"{what}: ts {doc.ts!r} is not 'YYYY-MM-DD HH:MM:SS[.fff]'")
        if not doc.digest or not doc.db:
            raise ContractError(f"{what} needs a digest and a db")
        if doc.lines is not None:
            _strings(doc.lines, f"{what}.lines")
        names.append(doc.name)
    if names != sorted(names) or len({n.lower() for n in names}) != len(names):
        raise ContractError("system documents must be sorted by name, each name once")
    if request is not None:
        if request.names:
            asked = {n.lower() for n in request.names}
            extra = [n for n in names if n.lower() not in asked]
            if extra:
                raise ContractError(f"system documents not asked for: {extra[:5]}")
        if request.text and any(d.lines is None for d in result.documents):
            raise ContractError("the text of the system documents was asked for")
    checked: SystemDocsResult = result
    return checked


_CALLS: dict[Capability, tuple[str, Callable[..., Any]]] = {
    Capability.COMPILE: ("compile", check_compile_result),
    Capability.INDEX: ("index", check_index_result),
    Capability.MACROS: ("macros", lambda r, _req: check_macro_result(r)),
    Capability.SYSTEM_DOCUMENTS: ("system_documents", check_system_docs_result),
}


def call(adapter: Adapter, capability: Capability, request: Any) -> Any:
    """Call ``adapter`` for a declared capability and check the result at the boundary."""
    if capability not in _CALLS or not adapter.supports(capability):
        raise ContractError(f"adapter {adapter.info.name} did not declare {capability.value}")
    method, check = _CALLS[capability]
    return check(getattr(adapter, method)(request), request)
