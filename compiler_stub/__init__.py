"""compiler_stub: the default adapter, a stand-in for the ObjectScript compiler.

It parses with tree-sitter-objectscript, reports errors in the real message formats, generates
Storage and INT routines, answers index and macro look-ups, and lists its bundled system library
(class signatures and include files) as read-only system documents. It imports nothing of
atelier_api except the adapter contract in ``atelier_api.adapters.contract``.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
from pathlib import Path

from atelier_api.adapters.contract import (
    Adapter,
    AdapterInfo,
    Capability,
    CompileRequest,
    CompileResult,
    IndexRequest,
    IndexResult,
    MacroRequest,
    MacroResult,
    SystemDoc,
    SystemDocsRequest,
    SystemDocsResult,
)
from atelier_api.adapters.execution import ExecutionRequest, ExecutionSession
from compiler_stub.compile import run_compile
from compiler_stub.index import run_index
from compiler_stub.library.bundle import CLASS_DIR, INCLUDE_DIR, LibraryHolder
from compiler_stub.macro_lookups import run_macros
from compiler_stub.reading.pool import ReadPool
from compiler_stub.reading.sources import SourceCache

__version__ = "0.2.0"


class StubCompiler(Adapter):
    """The default compiler adapter."""

    def __init__(self, processes: int | None = None) -> None:
        """``processes``: worker processes reading the classes of large compiles (None: as
        configured by ``COMPILER_STUB_PROCESSES``, by default the usable CPUs; 0: none)."""
        self.info = AdapterInfo(
            name="stub",
            version=__version__,
            capabilities=frozenset({Capability.COMPILE, Capability.INDEX, Capability.MACROS,
                                    Capability.SYSTEM_DOCUMENTS, Capability.EXECUTE}),
            description="tree-sitter based stand-in for the ObjectScript compiler",
        )
        self._library = LibraryHolder()
        self._system = SystemFiles()
        self._sources = SourceCache()
        self._pool = ReadPool(processes)

    @property
    def read_workers(self) -> int:
        """Worker processes that read the classes of large compiles (0: read in-process)."""
        return self._pool.workers

    def compile(self, request: CompileRequest) -> CompileResult:
        """Compile documents (see compiler_stub.compile)."""
        return run_compile(self._library.get(), request, self._sources, self._pool)

    def index(self, request: IndexRequest) -> IndexResult:
        """Summarise documents for action/index."""
        return run_index(self._library.get(), request)

    def macros(self, request: MacroRequest) -> MacroResult:
        """Macro definition, location and list."""
        return run_macros(self._library.get(), request)

    def open_session(self, request: ExecutionRequest) -> ExecutionSession:
        """An ObjectScript process in a worker process of its own (``runtime.session``)."""
        from compiler_stub.runtime.session import StubSession

        return StubSession(request)

    def prepare_sessions(self) -> None:
        """Start the forkserver sessions are forked from (it imports the runtime once)."""
        from compiler_stub.runtime.session import prepare

        prepare()

    def system_documents(self, request: SystemDocsRequest) -> SystemDocsResult:
        """The bundled system library as read-only documents (listing or read)."""
        return self._system.answer(request)


#: The base of the bundled documents' ``ts``: each text's digest picks a moment in the year
#: after it, so a ts is the same on every start and install and changes with the text.
_TS_BASE = datetime.datetime(2024, 1, 1)
_YEAR_MS = 365 * 24 * 3600 * 1000
_EOL = re.compile(r"\r\n|\n|\r")


def _stamp(text: bytes) -> tuple[str, str]:
    """(ts, digest) of a bundled file's bytes."""
    digest = hashlib.sha256(text).hexdigest()
    moment = _TS_BASE + datetime.timedelta(milliseconds=int(digest[:12], 16) % _YEAR_MS)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}", digest


def _database(name: str) -> str:
    """The IRIS database of a system document: %SYS.* and %Z*/%z* in IRISSYS, the
    interoperability library (Ens*) in ENSLIB, every other % document in IRISLIB."""
    if name.startswith(("%SYS.", "%Z", "%z")):
        return "IRISSYS"
    if name.startswith("Ens"):
        return "ENSLIB"
    return "IRISLIB"


class SystemFiles:
    """The bundled files as system documents, read once per adapter instance (thread-safe).

    Names are the file names (``%Library.String.cls``, ``%occStatus.inc``); the lines are the
    file's text split at any line end, as the server splits workspace files.
    """

    def __init__(self, class_dir: Path = CLASS_DIR, include_dir: Path = INCLUDE_DIR) -> None:
        self._dirs = (class_dir, include_dir)
        self._lock = threading.Lock()
        self._docs: dict[str, SystemDoc] | None = None

    def _load(self) -> dict[str, SystemDoc]:
        with self._lock:
            if self._docs is None:
                docs: dict[str, SystemDoc] = {}
                for folder, ext in zip(self._dirs, ("cls", "inc"), strict=True):
                    for path in folder.glob(f"*.{ext}"):
                        data = path.read_bytes()
                        ts, digest = _stamp(data)
                        lines = tuple(_EOL.split(data.decode("utf-8", "replace")))
                        docs[path.name] = SystemDoc(path.name, ts, digest,
                                                    _database(path.name), lines)
                self._docs = dict(sorted(docs.items()))
            return self._docs

    def answer(self, request: SystemDocsRequest) -> SystemDocsResult:
        """Every document, or the named ones (names match case-insensitively on the
        extension); with their lines only when asked."""
        docs = self._load()
        if request.names:
            wanted = {_canonical(n) for n in request.names}
            picked = [d for n, d in docs.items() if n in wanted]
        else:
            picked = list(docs.values())
        if not request.text:
            picked = [SystemDoc(d.name, d.ts, d.digest, d.db) for d in picked]
        return SystemDocsResult(tuple(picked))


def _canonical(name: str) -> str:
    base, dot, ext = name.rpartition(".")
    return f"{base}.{ext.lower()}" if dot else name
