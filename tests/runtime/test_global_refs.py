"""Naked references ``^(sub)``, extended references ``^|"NS"|G`` / ``^["NS"]G`` and
process-private globals ``^||G``, run through the translator (terminal lines and routines).

Each case is (terminal lines, exact output or error text, where the expectation comes from),
in a process whose namespace USER has globals of its own and whose namespace OTHER is a
second store (reached by ZNSPACE and by extended references). Errors show as ``[<NAME>
detail]`` after the output before them; ``!`` is ``\\n``. Doc keys are InterSystems
documentation pages (docs.intersystems.com ``KEY=``), found with the search tool:

- GGBL_using_mru "Naked Global Reference": a subscripted reference sets the naked indicator
  to the global and its subscript level; ``^(...)`` continues from there, a deeper naked
  reference moves it down; ``<NAKED>`` while it is not set; changing namespaces and
  ``SET $ZREFERENCE=""`` reinitialize it; its value is ``$ZREFERENCE``. The "Produce"
  example is case ``produce``.
- RCOS_vzreference: ``$ZREFERENCE`` is the last global reference (a naked one expanded:
  the ^MyData example), the rightmost one of a command, updated even when the reference
  fails; after ZWRITE, the last node listed; extended when that reference was to another
  namespace; a process-private global with the prefix it was first used with.
- GCOS_syntax_namespaces_extendedrefs / GGBL "Extended Global References": ``^|"ns"|g`` and
  ``^["ns"]g``, the namespace a literal, a variable or ``""`` (the current one); names are
  case-insensitive and shown in upper case.
- RCPF_RefInKind (default 0): ``$NAME`` and ``$QUERY`` of an extended reference answer an
  extended reference.
- GCOS_ppg: ``^||g`` = ``^|"^"|g`` = ``^["^"]g`` = ``^["^",""]g``; the process's only, gone
  with it, the same in every namespace, untouched by argumentless KILL/NEW/ZWRITE, not rolled
  back by TROLLBACK.
- "ANSI M": rules of the M standard IRIS follows (GT.M's "Naked References" and SET pages
  state them): an unsubscripted reference leaves the naked indicator undefined; the right
  side of SET is evaluated before its target is referred to; a naked reference's subscripts
  are evaluated before it is expanded. MDC $REFERENCE (the proposed standard variable
  IRIS calls $ZREFERENCE): setting it re-points the naked indicator without referring to
  the global; an unsubscripted last reference still shows.
- "this runtime": a choice the documentation does not settle (the sandbox's wording of an
  error, the extended form ZWRITE prints); see docs/runtime.md.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, GlobalStore]]:
    found = {"USER": GlobalStore(str(tmp_path / "user.db")),
             "OTHER": GlobalStore(str(tmp_path / "other.db"))}
    yield found
    for s in found.values():
        s.close()


def process(stores: dict[str, GlobalStore], dev: BufferDevice,
            routines: dict[str, str] | None = None) -> Process:
    rts = routines or {}
    return Process("USER", stores["USER"], lambda n: rts[n].split("\n") if n in rts else None,
                   dev, switch_namespace=stores.get, open_namespace=stores.get)


def run(stores: dict[str, GlobalStore], lines: list[str] | str,
        routines: dict[str, str] | None = None) -> str:
    """Run terminal lines in a fresh process; the output, each error as [..]."""
    dev = BufferDevice()
    p = process(stores, dev, routines)
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")


PRODUCE = ('kill ^P set ^P("fruit",1)="Apples",^(2)="Oranges",^(3)="Pears",'
           '^(3,1)="Bartlett pears",^(2)="Anjou pears" zwrite ^P')

# (terminal lines, expected, where the expectation comes from)
CASES: list[tuple[Any, str, str]] = [
    # ---------------------------------------------------------------- naked references
    (' kill ^P set ^P("fruit",1)="Apples",^(2)="Oranges" write ^P("fruit",2)', "Oranges",
     "GGBL_using_mru: a naked reference continues at the indicator's level"),
    (PRODUCE, '^P("fruit",1)="Apples"\n^P("fruit",2)="Oranges"\n^P("fruit",3)="Pears"\n'
              '^P("fruit",3,1)="Bartlett pears"\n^P("fruit",3,2)="Anjou pears"\n',
     "GGBL_using_mru: the Produce example, ^(3,1) moves the indicator down a level"),
    (' kill ^MyData set ^MyData(1)="fruit",^MyData(1,1)="apples",^(2)="oranges" '
     'write $zreference', "^MyData(1,2)", "RCOS_vzreference: the ^MyData example"),
    (' write ^(1)', "[<NAKED>]", "GGBL_using_mru: no reference yet"),
    (' kill ^X set ^X=1 write ^(1)', "[<NAKED>]",
     "ANSI M: an unsubscripted reference leaves the indicator undefined"),
    (' kill ^X set ^X=1 write $zreference', "^X",
     "MDC $REFERENCE: an unsubscripted last reference still shows"),
    (' set ^X(1,2)=5 write $zreference', "^X(1,2)", "RCOS_vzreference"),
    (' set ^X(1,2)=5 set $zreference="" write "[",$zreference,"]" write ^(2)', "[][<NAKED>]",
     'GGBL_using_mru: SET $ZREFERENCE="" reinitializes the naked indicator'),
    (' kill ^A set ^A(1)=1,^A(2)=2 write $data(^(2)),$data(^(3))', "10",
     "GGBL_using_mru: naked references in $DATA"),
    (' kill ^A set ^A(1,1)="x" write $get(^(2),"none"),$get(^(1))', "nonex",
     "RCOS_vzreference: a reference to an undefined node still sets the indicator"),
    (' kill ^A set ^A(1,5)=5,^A(1,7)=7 write $order(^A(1,"")),",",$order(^(5))', "5,7",
     "GGBL_using_mru: $ORDER's argument sets the indicator"),
    (' kill ^A set ^A(1,2)=3,^A(1,4)=4 kill ^(2) write $data(^A(1,2)),$data(^A(1,4))', "01",
     "GGBL_using_mru: KILL of a naked reference"),
    (' kill ^A set ^A(1)=1 write $increment(^(1)),$increment(^(1))', "23",
     "GGBL_using_mru: $INCREMENT of a naked reference"),
    (' kill ^A set ^A(1,2,3)=3,^A(1,2)=1 zkill ^(2) write $data(^A(1,2))', "10",
     "RCOS_czkill: ZKILL removes the node's value only, here through a naked reference"),
    (' kill ^A set (^A(1),^(2))=5 zwrite ^A', "^A(1)=5\n^A(2)=5\n",
     "ANSI M: SET's targets are referred to left to right"),
    (' kill ^A set ^A(1)="a,b" set $piece(^(1),",",2)="x" write ^A(1)', "a,x",
     "RCOS_fpiece: SET $PIECE of a naked reference"),
    (' kill ^A,^B set ^B(5,2)="b",^B(5,9)=0 set ^A(1)=^(2) write $zreference,"=",^A(1)',
     "^A(1)=b", "ANSI M: SET evaluates its right side (^(2) = ^B(5,2)) before the target"),
    (' kill ^A,^B set ^B(7,8)="v",^A(1,1)=0 set ^(2)=^B(7,8) '
     'write $data(^B(7,2)),$data(^A(1,2))', "10",
     "ANSI M: a naked target expands with the indicator the right side left"),
    (' kill ^A,^B set ^B(1,1)=2,^B(1,2)="b",^A(9,2)="a",^A(9,0)=0 write ^(^B(1,1))', "b",
     "ANSI M: a naked reference's subscripts are evaluated before it is expanded"),
    (' kill ^A set ^A(1,2,3)=1 write $zreference set ^(4)=2 write ",",$zreference',
     "^A(1,2,3),^A(1,2,4)", "GGBL_using_mru: all subscripts but the last are kept"),
    (' kill ^A set ^A(1)=1,^A(2)=2 write $data(^A(1)) zwrite ^A write $zreference',
     "1^A(1)=1\n^A(2)=2\n^A(2)", "RCOS_vzreference: after ZWRITE, the last node listed"),
    (' kill ^A set ^A(3,4)=1 write $name(^(5))', "^A(3,5)",
     "GGBL_using_mru: $NAME expands a naked reference"),
    (' kill ^A,^B set ^A(3,4)=1,^B(1)=2 write $name(^(5)),",",$zreference', "^B(5),^B(1)",
     "ANSI M: $NAME refers to no global, the indicator stays"),
    (' set ^X(1,2)=1 znspace "OTHER" write "[",$zreference,"]" write ^(1)', "[][<NAKED>]",
     "GGBL_using_mru: changing namespaces reinitializes the naked indicator"),
    (' kill ^A set ^A(2,2)=7,x="^A(2,1)" write $data(@x),^(2)', "07",
     "GGBL_using_mru: a reference made through name indirection sets the indicator"),
    (' set $zreference="^A(7,1)" write $name(^(2))', "^A(7,2)",
     "MDC $REFERENCE: setting it re-points the indicator (no global referred to)"),
    (' set $zreference="x"', "[<SYNTAX>]",
     "intersystems/ipm %IPM.DataType.GlobalReference: SET $ZREFERENCE of a non-global "
     "reference is <SYNTAX>"),
    (' kill ^A,^B set ^A(1)=1,^B(1)=2 write ^A(1)+^B(1),$zreference', "3^B(1)",
     "RCOS_vzreference: the rightmost reference of a command"),
    (' kill ^G for i=1:1:3 { set ^G(i)=i*10 } write $zreference,",",^(2)', "^G(3),20",
     "GGBL_using_mru: the one-subscript SET (the translator's fast path) sets it too"),
    (' kill ^G set ^G(1)=1,^G(2)=2 set k="" for { set k=$order(^G(k)) quit:k=""  } '
     'write $zreference,",",$data(^(2))', '^G(2),1',
     "GGBL_using_mru: the $ORDER loop (the translator's fast path) sets it at each step"),
    (' kill ^G set ^G(5)="five" write $order(^G("")),$zreference,^(5)', '5^G("")five',
     "GGBL_using_mru: the one-subscript $ORDER (fast path)"),
    # ---------------------------------------------------------------- extended references
    (' set ^|"OTHER"|X(1)="o",^X(1)="u" write ^X(1),^|"OTHER"|X(1)', "uo",
     "GCOS_syntax_namespaces_extendedrefs: another namespace's global"),
    (' set ^["OTHER"]X(2)="b" write ^|"OTHER"|X(2)', "b",
     "GCOS_syntax_namespaces_extendedrefs: the bracket syntax is the same reference"),
    (' set ^|"other"|X(3)=3 write ^["OTHER"]X(3)', "3",
     "GCOS_syntax_namespaces_extendedrefs: namespace names are case-insensitive"),
    (' kill ^Y set ^|"USER"|Y(1)=1 write ^Y(1)', "1",
     "GCOS_syntax_namespaces_extendedrefs: the current namespace by name"),
    (' kill ^Y set ^|""|Y(2)=2 write ^Y(2)', "2",
     'GCOS_syntax_namespaces_extendedrefs: "" is the current namespace'),
    (' set ns="OTHER",^|ns|Z(1)=9 write ^[ns]Z(1),$namespace', "9USER",
     "GCOS_syntax_namespaces_extendedrefs: the namespace from a variable; no switch"),
    (' write ^|"NOPE"|X(1)', "[<NAMESPACE> *NOPE]",
     "GCOS_syntax_namespaces_extendedrefs: no such namespace (detail as ZNSPACE's)"),
    (' write ^|"^^/tmp"|X', "[<PROTECT> *the sandbox gives no access to the host's "
     "directories]", "GGBL: an implied namespace is a directory; this runtime: <PROTECT>"),
    (' set ^["/tmp","SYS"]X=1', "[<PROTECT> *the sandbox gives no access to the host's "
     "directories]", "GGBL: [directory,system] implied namespace; this runtime: <PROTECT>"),
    (' set ^|"OTHER"|X(1)=1 write $name(^|"OTHER"|X(1)),",",$name(^["other"]X)',
     '^|"OTHER"|X(1),^|"OTHER"|X', "RCPF_RefInKind: $NAME answers an extended reference"),
    (' kill ^|"OTHER"|Q set ^|"OTHER"|Q(1,2)=1 write $query(^|"OTHER"|Q(""))',
     '^|"OTHER"|Q(1,2)', "RCPF_RefInKind: $QUERY answers an extended reference"),
    (' kill ^|"OTHER"|Q set ^|"OTHER"|Q(1)=1,^|"OTHER"|Q(2)="b" zwrite ^|"OTHER"|Q',
     '^|"OTHER"|Q(1)=1\n^|"OTHER"|Q(2)="b"\n', "this runtime: ZWRITE names the node as $NAME"),
    (' set ^|"OTHER"|X(5)=1 write $zreference', '^|"OTHER"|X(5)',
     "RCOS_vzreference: extended when the namespace differs from the current one"),
    (' set ^|"USER"|X(5)=1 write $zreference', "^X(5)",
     "RCOS_vzreference: not extended in the current namespace"),
    (' kill ^X,^|"OTHER"|X set ^|"OTHER"|X(1,1)=1 set ^(2)=2 '
     'write ^|"OTHER"|X(1,2),$data(^X(1,2))', "20",
     "ANSI M: the naked indicator keeps the namespace of the reference"),
    (' kill ^|"OTHER"|M,^M2 set ^|"OTHER"|M(1)=1,^|"OTHER"|M(3)=3 merge ^M2=^|"OTHER"|M '
     'write $order(^|"OTHER"|M(1)),$data(^M2(3)) kill ^|"OTHER"|M(3) '
     'write $data(^|"OTHER"|M(3)),$data(^|"OTHER"|M)', "31010",
     "GGBL: $ORDER, MERGE, KILL and $DATA of an extended reference"),
    (' kill ^|"OTHER"|U write ^|"OTHER"|U(1)', '[<UNDEFINED> ^|"OTHER"|U(1)]',
     "GCOS_errors: <UNDEFINED> names the global as written (this runtime: extended form)"),
    # ---------------------------------------------------------------- process-private
    (' kill ^T set ^||T(1)="a" write ^||T(1),$data(^||T),$data(^T)', "a100",
     "GCOS_ppg: a process-private global is not the global of the same name"),
    (' set ^||T(1)=1 write ^|"^"|T(1),^["^"]T(1),^["^",""]T(1)', "111",
     "GCOS_ppg: the four prefixes name the same process-private global"),
    (' set ^||T(1)=1,^||T(2)="b" zwrite ^||T', '^||T(1)=1\n^||T(2)="b"\n',
     "GCOS_ppg: ZWRITE of a process-private global"),
    (' set ^||T(1,2)=1 write $name(^||T(1,2)),",",$query(^||T(""))', "^||T(1,2),^||T(1,2)",
     "GCOS_ppg: $NAME and $QUERY keep the ^|| prefix"),
    (' set ^|"^"|F(1)=1 write $zreference,",",$name(^||F(2))', '^|"^"|F(1),^|"^"|F(2)',
     "RCOS_vzreference: shown with the prefix it was first used with"),
    (' set ^||T(1)=1 znspace "OTHER" write ^||T(1),$namespace', "1OTHER",
     "GCOS_ppg: the same in every namespace"),
    (' set ^||T(1)=1,x=1 kill  write $data(^||T(1)),$data(x)', "10",
     "GCOS_ppg: untouched by argumentless KILL"),
    (' set ^||T(1)=1,x=1 zwrite', "x=1\n", "GCOS_ppg: untouched by argumentless ZWRITE"),
    (' set ^||T(1)=1 new  write ^||T(1)', "1", "GCOS_ppg: untouched by argumentless NEW"),
    (' tstart  set ^||T(1)=1,^R(1)=1 trollback  write $data(^||T(1)),$data(^R(1))', "10",
     "GCOS_ppg: TROLLBACK does not undo a process-private global"),
    (' set ^||T(1)=1,^||T(2)=2 kill ^||T(1) write $data(^||T(1)),$data(^||T)', "010",
     "GCOS_ppg: KILL and $DATA"),
    (' set ^||T(1)=1,^||T(2)=2 merge ^||U=^||T write $order(^||U("")),$order(^||U(1))',
     "12", "GCOS_ppg: MERGE and $ORDER"),
    (' set ^||T(3,1)=1,^(2)=2 write ^||T(3,2),$zreference', "2^||T(3,2)",
     "RCOS_vzreference: the last reference may be process-private; naked references too"),
    (' write $increment(^||C),$increment(^||C,5)', "16", "GCOS_ppg: $INCREMENT"),
]


def _id(case: tuple[Any, str, str]) -> str:
    src = case[0] if isinstance(case[0], str) else " / ".join(case[0])
    return src.strip()[:60]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES, ids=[_id(c) for c in CASES])
def test_conformance(stores: dict[str, GlobalStore], src: Any, expected: str,
                     origin: str) -> None:
    assert origin
    assert run(stores, src) == expected


def test_case_count() -> None:
    assert len(CASES) >= 40


def test_extended_references_write_the_other_namespaces_store(
        stores: dict[str, GlobalStore]) -> None:
    """A two-namespace case: what ^|"OTHER"|G sets is OTHER's global (read back from its
    store and after ZNSPACE), USER's ^G is untouched, and no switch happened."""
    out = run(stores, [' kill ^G,^|"OTHER"|G set ^|"OTHER"|G(1)="there",^G(1)="here"',
                       ' write $namespace,":",^G(1)',
                       ' znspace "OTHER" write $namespace,":",^G(1),",",^|"USER"|G(1)'])
    assert out == "USER:hereOTHER:there,here"
    assert stores["OTHER"].glob("G").get(("1",)) == "there"
    assert stores["USER"].glob("G").get(("1",)) == "here"


def test_naked_indicator_crosses_code_units(stores: dict[str, GlobalStore]) -> None:
    """The indicator is the process's: a routine's references (one-subscript fast paths
    included) set it for the terminal's next line, and the terminal's for the routine."""
    rtn = ("ROUTINE Nk [Type=INT]\nNk ;\n quit\nfill(n) kill ^N for i=1:1:n { set ^N(i)=i*2 }\n"
           " quit\nwalk() new k set k=\"\" for { set k=$order(^N(k)) quit:k=\"\"  }\n"
           " quit $zreference\nnaked() quit ^(1)\n")
    out = run(stores, [" do fill^Nk(4) write $zreference,\" \",^(3)",
                       " write \" \",$$walk^Nk(),\" \"",
                       " set ^N(9,1)=\"deep\" write $$naked^Nk()"],
              routines={"Nk": rtn})
    assert out == "^N(4) 6 ^N(4) deep"


def test_process_private_globals_are_not_persisted(stores: dict[str, GlobalStore]) -> None:
    """GCOS_ppg: only the process sees them, and they end with it."""
    assert run(stores, ' set ^||Mine(1)="x" write ^||Mine(1),$data(^Mine)') == "x0"
    stores["USER"].flush()
    assert "Mine" not in stores["USER"].names()
    assert run(stores, ' write $data(^||Mine)') == "0"


def test_fast_paths_are_not_used_for_the_other_forms() -> None:
    """^||g(s), ^|"ns"|g(s) and ^(s) never take the current namespace's one-subscript
    fast path (it would read ^g of the current namespace)."""
    from compiler_stub.runtime.translate import translate_line

    for src in (' set ^||G(1)=1', ' set ^|"X"|G(1)=1', ' set ^["X"]G(1)=1', ' set ^(1)=1',
                ' write $order(^||G(1))', ' write $order(^|"X"|G(1))'):
        code = translate_line(src).generated  # type: ignore[attr-defined]
        assert "P.gstore.nodes[" not in code, src
    code = translate_line(' set ^G(1)=1').generated  # type: ignore[attr-defined]
    assert "P.gstore.nodes['G'].set1(" in code


# ------------------------------------------------------------------ a real session

def _wait_done(session: Any) -> tuple[str, Any]:
    from atelier_api.adapters.execution import EventKind

    out: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        select.select([session], [], [], 0.2)
        for event in session.events():
            if event.kind in (EventKind.DONE, EventKind.ERROR):
                return "".join(out), event
            out.append(event.text)
    raise AssertionError("the line did not end")


def test_extended_reference_in_a_session_reaches_the_other_namespace(tmp_path: Path) -> None:
    """The session's worker asks the server where OTHER's globals live (``where``) without
    switching: the line ends in USER, and a second session opened in OTHER reads the value."""
    from atelier_api.adapters.execution import EventKind, ExecutionLimits, ExecutionRequest
    from compiler_stub.runtime.session import StubSession

    dirs = {ns: str(tmp_path / "derived" / ns / "data") for ns in ("USER", "OTHER")}
    for d in dirs.values():
        os.makedirs(d)

    def switch(ns: str) -> tuple[Any, str] | None:
        d = dirs.get(ns.upper())
        return None if d is None else ({}.get, d)

    def request(ns: str) -> ExecutionRequest:
        return ExecutionRequest(ns, {}.get, dirs[ns], ExecutionLimits(line_seconds=30),
                                switch=switch)

    first = StubSession(request("USER"))
    try:
        first.execute('set ^|"OTHER"|Ext(1)="from USER" write $namespace,":",$zreference')
        out, done = _wait_done(first)
        assert done.kind is EventKind.DONE, done.text
        assert (out, done.namespace) == ('USER:^|"OTHER"|Ext(1)', "USER")
        first.execute('write ^|"NOPE"|Ext(1)')
        _, failed = _wait_done(first)
        assert failed.kind is EventKind.ERROR and failed.text == "<NAMESPACE> *NOPE"
    finally:
        first.close()
    second = StubSession(request("OTHER"))
    try:
        second.execute("write ^Ext(1)")
        out, done = _wait_done(second)
        assert (out, done.kind) == ("from USER", EventKind.DONE)
    finally:
        second.close()
