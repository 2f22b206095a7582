"""compiler_stub: the default adapter, a stand-in for the ObjectScript compiler.

It parses with tree-sitter-objectscript, reports errors in the real message formats, generates
Storage and INT routines, and answers index and macro look-ups. It imports nothing of atelier_api
except the adapter contract in ``atelier_api.adapters.contract``.
"""

from __future__ import annotations

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
)
from compiler_stub.compile import run_compile
from compiler_stub.index import run_index
from compiler_stub.library.bundle import LibraryHolder
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
            capabilities=frozenset({Capability.COMPILE, Capability.INDEX, Capability.MACROS}),
            description="tree-sitter based stand-in for the ObjectScript compiler",
        )
        self._library = LibraryHolder()
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
