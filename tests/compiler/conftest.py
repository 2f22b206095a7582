"""Shared fixtures for the compiler adapter tests: one adapter per session."""

from __future__ import annotations

import pytest

from atelier_api.adapters.contract import (
    Capability,
    CompileRequest,
    CompileResult,
    MappingWorkspace,
    SourceDoc,
    call,
)
from compiler_stub import StubCompiler


@pytest.fixture(scope="session")
def adapter() -> StubCompiler:
    """One stub adapter (its system library loads once)."""
    return StubCompiler()


@pytest.fixture
def compile_docs(adapter: StubCompiler):  # type: ignore[no-untyped-def]
    """Compile named documents against a workspace made of them plus ``extra``."""
    def run(docs: list[SourceDoc], flags: str = "ck", extra: tuple[SourceDoc, ...] = (),
            **kw: object) -> CompileResult:
        ws = MappingWorkspace.of([*docs, *extra])
        request = CompileRequest(tuple(docs), flags, ws, **kw)  # type: ignore[arg-type]
        return call(adapter, Capability.COMPILE, request)  # type: ignore[no-any-return]
    return run


