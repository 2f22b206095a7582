"""Contract suite: runs against every adapter installed in the entry point group."""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import entry_points

import pytest
from stub_helpers import FOOTER_ERR_RE, FOOTER_OK_RE, HEADER_RE, cls, doc

from atelier_api.adapters.contract import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterInfo,
    CancelToken,
    Capability,
    ClassSummary,
    CompileError,
    CompileRequest,
    CompileResult,
    ContractError,
    DocOutcome,
    IndexEntry,
    IndexRequest,
    IndexResult,
    MacroLocation,
    MacroRequest,
    MacroResult,
    MappingWorkspace,
    MethodSummary,
    Outcome,
    SystemDoc,
    SystemDocsRequest,
    SystemDocsResult,
    call,
    check_adapter,
    check_compile_result,
    check_index_result,
    check_macro_result,
    check_system_docs_result,
)
from compiler_stub import StubCompiler
from compiler_stub.library.bundle import CLASS_DIR, INCLUDE_DIR

ADAPTERS = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
GOOD = cls("Contract.Good", "Method Hello() As %Status\n{\n\tquit $$$OK\n}")
BAD = cls("Contract.Bad", "Method Hello()\n{\n\tfrobnicate\n}")
INC = doc("Contract.Inc.inc", "ROUTINE Contract.Inc [Type=INC]\n#define Answer 42")


@pytest.fixture(params=ADAPTERS, ids=[ep.name for ep in ADAPTERS], scope="module")
def any_adapter(request: pytest.FixtureRequest) -> Adapter:
    """Each discovered adapter, loaded and validated."""
    return check_adapter(request.param.load()())


def _needs(adapter: Adapter, capability: Capability) -> None:
    """Skip unless the adapter declared the capability."""
    if not adapter.supports(capability):
        pytest.skip(f"{adapter.info.name} does not declare {capability.value}")


def test_the_stub_is_discovered() -> None:
    assert "stub" in [ep.name for ep in ADAPTERS]


def test_info_is_valid(any_adapter: Adapter) -> None:
    assert any_adapter.info.name and isinstance(any_adapter.info.version, str)


def test_compile_success_shape(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.COMPILE)
    req = CompileRequest((GOOD,), "ck", MappingWorkspace.of([GOOD]))
    result = call(any_adapter, Capability.COMPILE, req)
    lines = [x for x in result.console if x]
    assert HEADER_RE.match(lines[0]).group(1) == "ck"
    assert FOOTER_OK_RE.match(lines[-1])
    assert [o.state for o in result.outcomes] == [Outcome.COMPILED]


def test_compile_failure_shape(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.COMPILE)
    req = CompileRequest((GOOD, BAD), "ck", MappingWorkspace.of([GOOD, BAD]))
    result = call(any_adapter, Capability.COMPILE, req)
    assert FOOTER_ERR_RE.match(result.console[-1])
    states = {o.name: o.state for o in result.outcomes}
    assert states == {"Contract.Good.cls": Outcome.COMPILED, "Contract.Bad.cls": Outcome.FAILED}
    assert result.failed and result.errors[0].document == "Contract.Bad.cls"


def test_compile_cancelled_before_start(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.COMPILE)
    token = CancelToken()
    token.cancel()
    req = CompileRequest((GOOD,), "ck", MappingWorkspace.of([GOOD]), token)
    result = call(any_adapter, Capability.COMPILE, req)
    assert result.stopped == "cancelled"
    assert [o.state for o in result.outcomes] == [Outcome.CANCELLED]


def test_index_shape(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.INDEX)
    req = IndexRequest((GOOD, INC), MappingWorkspace.of([GOOD, INC]))
    result = call(any_adapter, Capability.INDEX, req)
    assert [e.name for e in result.entries] == ["Contract.Good.cls", "Contract.Inc.inc"]
    assert result.entries[0].content is not None


def test_macros_shape(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.MACROS)
    src = doc("Contract.R.mac", "ROUTINE Contract.R\n#include Contract.Inc\n\twrite $$$Answer")
    req = MacroRequest("Contract.R.mac", "Answer", document=src,
                       workspace=MappingWorkspace.of([INC, src]))
    result = call(any_adapter, Capability.MACROS, req)
    assert "Answer" in result.macros and result.location is not None


def test_undeclared_capability_is_refused() -> None:
    class Bare(Adapter):
        info = AdapterInfo("bare", "1")

    with pytest.raises(ContractError):
        call(Bare(), Capability.COMPILE, CompileRequest(()))
    with pytest.raises(ContractError):
        Bare().compile(CompileRequest(()))


def _ok_result() -> CompileResult:
    return CompileResult(("x",), (DocOutcome("A.cls", Outcome.COMPILED),))


@pytest.mark.parametrize("bad", [
    "not a result",
    CompileResult(("x", 1), ()),  # type: ignore[arg-type]
    CompileResult((), (DocOutcome("A.cls", Outcome.FAILED),)),
    CompileResult((), (DocOutcome("A.cls", Outcome.COMPILED, "oops"),)),
    CompileResult((), (DocOutcome("A.cls", Outcome.COMPILED),) * 2),
    CompileResult((), (DocOutcome("A.cls", Outcome.FAILED, "s", (
        CompileError("1", "t", "A.cls", line=-1),)),)),
    CompileResult((), (), stopped="maybe"),
])
def test_malformed_compile_results_are_rejected(bad: object) -> None:
    with pytest.raises(ContractError):
        check_compile_result(bad)


def test_compile_result_must_cover_the_request() -> None:
    req = CompileRequest((GOOD, BAD))
    with pytest.raises(ContractError, match="no outcome"):
        check_compile_result(_ok_result(), req)
    assert check_compile_result(_ok_result()) is not None


def test_malformed_index_and_macro_results_are_rejected() -> None:
    bad_scope = ClassSummary(methods=(MethodSummary("m", scope="static"),))
    with pytest.raises(ContractError):
        check_index_result(IndexResult((IndexEntry("A.cls", content=bad_scope),)))
    with pytest.raises(ContractError):
        check_index_result(IndexResult((IndexEntry("A.cls", others=["x"]),)))  # type: ignore[arg-type]
    with pytest.raises(ContractError):
        check_macro_result(MacroResult(location=MacroLocation("X.inc", 0)))
    with pytest.raises(ContractError):
        check_index_result(IndexResult((IndexEntry("B.cls"),)), IndexRequest((GOOD,)))
    ok = MacroResult(("#define A 1",), MacroLocation("X.inc", 2), ("A",))
    assert check_macro_result(replace(ok)) == ok


# -- system documents (Capability.SYSTEM_DOCUMENTS) ------------------------------------------

def test_system_documents_listing_and_read(any_adapter: Adapter) -> None:
    _needs(any_adapter, Capability.SYSTEM_DOCUMENTS)
    listing = call(any_adapter, Capability.SYSTEM_DOCUMENTS, SystemDocsRequest())
    assert listing.documents and all(d.lines is None for d in listing.documents)
    first = listing.documents[-1]
    asked = SystemDocsRequest((first.name, "No.Such.Thing.cls"), text=True)
    read = call(any_adapter, Capability.SYSTEM_DOCUMENTS, asked)
    assert [d.name for d in read.documents] == [first.name]  # unknown names left out
    got = read.documents[0]
    assert got.lines is not None and (got.ts, got.digest, got.db) == (
        first.ts, first.digest, first.db)


def test_an_adapter_without_system_documents_is_refused() -> None:
    class Bare(Adapter):
        info = AdapterInfo("bare", "1", frozenset({Capability.INDEX}))

    with pytest.raises(ContractError):
        call(Bare(), Capability.SYSTEM_DOCUMENTS, SystemDocsRequest())
    with pytest.raises(ContractError):
        Bare().system_documents(SystemDocsRequest())


def _sys(name: str = "%A.B.cls", ts: str = "2024-01-02 03:04:05.678", digest: str = "d",
         db: str = "IRISLIB", lines: tuple[str, ...] | None = None) -> SystemDoc:
    return SystemDoc(name, ts, digest, db, lines)


@pytest.mark.parametrize("bad,request_", [
    ("not a result", None),
    (SystemDocsResult([_sys()]), None),  # type: ignore[arg-type]
    (SystemDocsResult(("x",)), None),  # type: ignore[arg-type]
    (SystemDocsResult((_sys(ts="2024-01-02T03:04:05Z"),)), None),
    (SystemDocsResult((_sys(ts=""),)), None),
    (SystemDocsResult((_sys(digest=""),)), None),
    (SystemDocsResult((_sys(db=""),)), None),
    (SystemDocsResult((_sys(name="%A.B.CLS"),)), None),
    (SystemDocsResult((_sys(name="no extension"),)), None),
    (SystemDocsResult((_sys(lines=("a", 1)),)), None),  # type: ignore[arg-type]
    (SystemDocsResult((_sys("%B.cls"), _sys("%A.cls"))), None),  # not sorted
    (SystemDocsResult((_sys("%A.cls"), _sys("%A.cls"))), None),  # twice
    (SystemDocsResult((_sys("%A.cls"),)), SystemDocsRequest(("%B.cls",))),  # not asked for
    (SystemDocsResult((_sys("%A.cls"),)), SystemDocsRequest(("%A.cls",), text=True)),
])
def test_malformed_system_documents_are_rejected(bad: object,
                                                 request_: SystemDocsRequest | None) -> None:
    with pytest.raises(ContractError):
        check_system_docs_result(bad, request_)


def test_wellformed_system_documents_pass() -> None:
    ok = SystemDocsResult((_sys("%A.cls", lines=("Class %A {}",)), _sys("%occX.inc")))
    assert check_system_docs_result(ok) is ok
    assert check_system_docs_result(ok, SystemDocsRequest(("%a.CLS", "%OCCX.INC"))) is ok
    assert check_system_docs_result(SystemDocsResult(), SystemDocsRequest(("%Z.cls",))) is not None


def test_stub_lists_every_bundled_file_with_its_text(adapter: StubCompiler) -> None:
    fresh = StubCompiler(0)  # read now, so files others add meanwhile are in both
    listing = call(fresh, Capability.SYSTEM_DOCUMENTS, SystemDocsRequest(text=True))
    files = {p.name: p for folder, ext in ((CLASS_DIR, "cls"), (INCLUDE_DIR, "inc"))
             for p in folder.glob(f"*.{ext}")}
    assert [d.name for d in listing.documents] == sorted(files)
    for item in listing.documents:
        assert item.lines is not None
        assert "\n".join(item.lines).encode() == files[item.name].read_bytes().replace(
            b"\r\n", b"\n"), item.name
    string = next(d for d in listing.documents if d.name == "%Library.String.cls")
    again = call(adapter, Capability.SYSTEM_DOCUMENTS,
                 SystemDocsRequest(("%Library.String.CLS",))).documents
    assert [(d.name, d.ts, d.digest) for d in again] == [  # another instance, the same stamp
        (string.name, string.ts, string.digest)]


@pytest.mark.parametrize("name,db", [("%Library.String.cls", "IRISLIB"),
                                     ("%occStatus.inc", "IRISLIB"),
                                     ("%SYS.Python.cls", "IRISSYS"),
                                     ("Ens.Host.cls", "ENSLIB")])
def test_stub_system_databases(adapter: StubCompiler, name: str, db: str) -> None:
    found = call(adapter, Capability.SYSTEM_DOCUMENTS, SystemDocsRequest((name,))).documents
    if not found:
        pytest.skip(f"{name} is not bundled (any more)")
    assert found[0].db == db
