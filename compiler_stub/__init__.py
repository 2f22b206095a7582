"""compiler_stub: the default adapter, a stand-in for the ObjectScript compiler.

It imports nothing of atelier_api except the adapter contract in ``atelier_api.compiler``.
Capabilities are declared as they are built; the parser-backed compile, index and macro
capabilities arrive with the compiler work (issue 3).
"""

from __future__ import annotations

from atelier_api.compiler import Adapter, AdapterInfo

__version__ = "0.1.0"


class StubCompiler(Adapter):
    """The default compiler adapter."""

    def __init__(self) -> None:
        self.info = AdapterInfo(
            name="stub",
            version=__version__,
            capabilities=frozenset(),
            description="tree-sitter based stand-in for the ObjectScript compiler",
        )
