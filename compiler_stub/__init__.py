"""compiler_stub: the default adapter, a stand-in for the ObjectScript compiler.

It parses with tree-sitter-objectscript, reports errors in the real message formats, generates
Storage and INT routines, and answers index and macro look-ups. It imports nothing of atelier_api
except the adapter contract in ``atelier_api.compiler``.
"""

from __future__ import annotations

from atelier_api.compiler import (
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

from .compile import run_compile
from .index import run_index
from .library import LibraryHolder
from .macro_api import run_macros
from .sources import SourceCache

__version__ = "0.2.0"


class StubCompiler(Adapter):
    """The default compiler adapter."""

    def __init__(self) -> None:
        self.info = AdapterInfo(
            name="stub",
            version=__version__,
            capabilities=frozenset({Capability.COMPILE, Capability.INDEX, Capability.MACROS}),
            description="tree-sitter based stand-in for the ObjectScript compiler",
        )
        self._library = LibraryHolder()
        self._sources = SourceCache()

    def compile(self, request: CompileRequest) -> CompileResult:
        """Compile documents (see compiler_stub.compile)."""
        return run_compile(self._library.get(), request, self._sources)

    def index(self, request: IndexRequest) -> IndexResult:
        """Summarise documents for action/index."""
        return run_index(self._library.get(), request)

    def macros(self, request: MacroRequest) -> MacroResult:
        """Macro definition, location and list."""
        return run_macros(self._library.get(), request)
