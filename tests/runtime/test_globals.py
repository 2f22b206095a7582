"""Globals on SQLite: ``GlobalStore`` / ``GlobalNode``.

Sources of the expected values, noted per test:
- [COLL] Using Globals, "Collation": canonical numbers first, numerically, then strings in
  code point order; the byte encoding must sort exactly like ``values.collation_key``.
- [ORDER] / [QUERY] / [DATA] / [KILL] / [ZKILL] / [MERGE] / [INCR]: the ObjectScript reference
  pages as in test_variables.py; a global behaves like a local array.
- [TX] TSTART/TCOMMIT/TROLLBACK (RCOS_ctstart, RCOS_ctcommit, RCOS_ctrollback): nesting
  counts in $TLEVEL; TROLLBACK rolls every level back, TROLLBACK 1 one level; "Calling
  TROLLBACK when $TLEVEL is 0 has no effect"; TCOMMIT with no transaction is <COMMAND>;
  SET and KILL of globals are rolled back, $INCREMENT is not.
- [LOCK] LOCK (RCOS_clock): a lock on a node conflicts with locks of other processes on the
  node, its ancestors and descendants; LOCK without + releases this process's other locks;
  +/- are incremental (a count); a timeout returns with $TEST 0; locks released inside a
  transaction are held until it ends.
- [ZW] ZWRITE of a global prints ^name(subs)=value like a local.
- [STORE] this module's own contract (docs in globals.py): types survive storage, data
  survives a restart, other processes see committed data.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import (
    GlobalNode,
    GlobalStore,
    decode_subs,
    encode_sub,
    encode_subs,
)
from compiler_stub.runtime.values import collation_key
from compiler_stub.runtime.variables import MISSING, Node


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GlobalStore]:
    st = GlobalStore(tmp_path / "USER.db")
    yield st
    st.close()


def walk_order(g: GlobalNode, parent: tuple[str, ...] = (), d: int = 1) -> list[str]:
    out: list[str] = []
    s = ""
    while True:
        s = g.order(parent + (s,), d)
        if s == "":
            return out
        out.append(s)


def fill(g: GlobalNode) -> None:
    """^G=0, ^G(1)="one", ^G(1,"x")=2, ^G(2,3)=4, ^G("b")="bee"."""
    g.set((), 0)
    g.set(("1",), "one")
    g.set(("1", "x"), 2)
    g.set(("2", "3"), 4)
    g.set(("b",), "bee")


# ----------------------------------------------------------------------------- encoding

SUBSCRIPTS = [
    "0", "1", "2", "9", "10", "11", "19", "20", "100", "101", "1000", "120", "12",
    "-1", "-2", "-10", "-100", "-1.5", "-1.25", "-.5", "-.05", "-.0001", ".5", ".05", ".0001",
    "1.5", "1.25", "10.5", "100.5", "12345678901234567890", "1000000000000000000000",
    "-12345678901234567890", "99999999999999999", "123456789.123456789",
    "01", "1.0", "+1", "1E3", "-0", "-", ".", "a", "A", "ab", "a b", "", "b", "é", "z\x00",
    "z", "z\x01", "z\x00\x01", "z\x01\x00", "zz", "\x00", "\x01", "\ud800", "\uffff", "😀",
]


def test_encoding_sorts_like_collation_key() -> None:
    # [COLL] byte order of encoded subscripts == values.collation_key order
    subs = [s for s in SUBSCRIPTS if s != ""]
    rnd = random.Random(3)
    subs += [str(rnd.randint(-10**6, 10**6)) for _ in range(300)]
    subs += [f"{rnd.randint(-999, 999)}.{rnd.randint(1, 999)}".rstrip("0") for _ in range(200)]
    subs = list(dict.fromkeys(subs))
    assert sorted(subs, key=encode_sub) == sorted(subs, key=collation_key)


def test_encoding_round_trips() -> None:
    # [STORE] decode(encode(s)) == s for every subscript, alone and in keys
    subs = [s for s in SUBSCRIPTS if s != ""]
    for s in subs:
        assert decode_subs(encode_sub(s)) == (s,)
    assert decode_subs(encode_subs(tuple(subs))) == tuple(subs)


def test_encoding_children_sort_right_after_parent() -> None:
    # a(1,"zzz") sorts before a(10) and after a(1); "a" child before "ab" [COLL]
    k1 = encode_subs(("1",))
    assert k1 < encode_subs(("1", "zzz")) < encode_subs(("2",))
    assert encode_subs(("a",)) < encode_subs(("a", "x")) < encode_subs(("ab",))
    assert encode_subs(("a", "x")) < encode_subs(("a\x00",))


def test_empty_subscript_rejected() -> None:
    with pytest.raises(ObjectScriptError) as e:
        encode_sub("")
    assert e.value.code == "SUBSCRIPT"


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "value",
    ["", "abc", "01", "a\x00b", "é€😀", "\ud800x", 0, -5, 2**63 - 1, 2**70, -(2**70),
     Decimal("1.5"), Decimal("-.000000000000000001"), Decimal("1234567890.123456789"),
     0.1, -0.0, float("inf"), float("-inf")],
)
def test_value_types_round_trip(store: GlobalStore, value: object) -> None:
    # [STORE] str/int/Decimal/float come back with their type, also after a flush
    g = store.glob("V")
    g.set(("1",), value)
    got = g.get(("1",))
    assert got == value and type(got) is type(value)
    store.flush()
    got = g.get(("1",))
    assert got == value and type(got) is type(value)


def test_nan_round_trips(store: GlobalStore) -> None:
    g = store.glob("V")
    g.set((), float("nan"))
    store.flush()
    v = g.get(())
    assert isinstance(v, float) and v != v


def test_oref_stored_as_its_string(store: GlobalStore) -> None:
    # IRIS stores an OREF in a global as its string form ("n@Class")
    class Obj:
        def __os_str__(self) -> str:
            return "1@Sample.Person"

    g = store.glob("V")
    g.set((), Obj())
    assert g.get(()) == "1@Sample.Person"


# ----------------------------------------------------------------------------- get/set/data


def test_get_undefined_reference(store: GlobalStore) -> None:
    # IRIS: <UNDEFINED> ... ^G(2,"x")
    g = store.glob("^G")
    fill(g)
    with pytest.raises(ObjectScriptError) as e:
        g.get(("2", "x"))
    assert e.value.code == "UNDEFINED" and e.value.detail == '^G(2,"x")'
    assert g.get_or(("2", "x"), "d") == "d"


def test_set_empty_subscript(store: GlobalStore) -> None:
    with pytest.raises(ObjectScriptError) as e:
        store.glob("G").set(("1", ""), 1)
    assert e.value.code == "SUBSCRIPT" and e.value.detail == '^G(1,"")'


@pytest.mark.parametrize(
    ("subs", "expected"),
    [((), 11), (("1",), 11), (("1", "x"), 1), (("2",), 10), (("2", "3"), 1), (("9",), 0),
     (("b",), 1), (("b", "c"), 0)],
)
def test_data(store: GlobalStore, subs: tuple[str, ...], expected: int) -> None:
    # [DATA]
    g = store.glob("G")
    fill(g)
    assert g.data(subs) == expected
    assert g.has(subs) == bool(expected % 10)


def test_globals_are_separate(store: GlobalStore) -> None:
    store.glob("A").set(("1",), 1)
    store.glob("AB").set(("1",), 2)
    assert walk_order(store.glob("A")) == ["1"] and store.glob("A").data() == 10
    assert store.names() == ["A", "AB"]


# ----------------------------------------------------------------------------- $ORDER


def test_order_collation(store: GlobalStore) -> None:
    # [COLL] same order as a local array
    g = store.glob("G")
    subs = ["b", "10", "2", "-1", "-1.5", ".5", "0", "01", "1E3", "A", "+1", "1.0", "-.5"]
    local = Node("a")
    for s in subs:
        g.set((s,), 1)
        local.set((s,), 1)
    expected = [
        "-1.5", "-1", "-.5", "0", ".5", "2", "10", "+1", "01", "1.0", "1E3", "A", "b",
    ]
    assert walk_order(g) == expected
    assert walk_order(g, d=-1) == expected[::-1]


def test_order_skips_descendant_rows(store: GlobalStore) -> None:
    # [ORDER] siblings only, even when a sibling has many descendants / no value
    g = store.glob("G")
    for i in range(300):
        g.set(("5", str(i)), i)
    g.set(("5",), "own value")  # backwards its row comes after its children's rows
    g.set(("4",), 1)
    g.set(("6", "x", "y"), 1)
    g.set(("7",), 1)
    assert walk_order(g) == ["4", "5", "6", "7"]
    assert walk_order(g, d=-1) == ["7", "6", "5", "4"]
    assert walk_order(g, ("6",)) == ["x"]


def test_order_from_missing_and_levels(store: GlobalStore) -> None:
    g = store.glob("G")
    fill(g)
    assert g.order(("1.5",)) == "2"
    assert g.order(("1.5",), -1) == "1"
    assert g.order(("1", "")) == "x"
    assert g.order(("1", "x")) == ""
    assert g.order(("9", "")) == ""
    assert g.order(("c",)) == ""
    with pytest.raises(ObjectScriptError):
        g.order(("", "x"))


@pytest.mark.parametrize("d", [Decimal("-1"), -1.0, "-1"])
def test_order_direction_other_number_types(store: GlobalStore, d: object) -> None:
    g = store.glob("G")
    fill(g)
    assert g.order(("b",), d) == "2" and g.query(("b",), d) == ("2", "3")


def test_order_value(store: GlobalStore) -> None:
    # [ORDER] 3-argument form
    g = store.glob("G")
    fill(g)
    assert g.order_value(("",)) == ("1", "one")
    assert g.order_value(("1",)) == ("2", MISSING)
    assert g.order_value(("b",)) == ("", MISSING)


def test_order_long_walk_crosses_batches(store: GlobalStore) -> None:
    # 10000 siblings: more than one read-ahead batch, both ways
    g = store.glob("G")
    n = 10_000
    for i in range(1, n + 1):
        g.set((str(i),), i)
    assert walk_order(g) == [str(i) for i in range(1, n + 1)]
    assert walk_order(g, d=-1) == [str(i) for i in range(n, 0, -1)]


def test_order_walk_with_writes(store: GlobalStore) -> None:
    # a walk sees what the walk itself adds after the current key and not what it kills
    g = store.glob("G")
    for i in range(1, 101):
        g.set((str(i),), i)
    seen = []
    s = ""
    while True:
        s = g.order((s,))
        if s == "":
            break
        seen.append(s)
        g.set((s, "child"), 1)  # existing sibling: no change to the sibling list
        if s == "50":
            g.set(("50.5",), 1)
            g.kill(("51",))
    assert seen == [str(i) for i in range(1, 51)] + ["50.5"] + [str(i) for i in range(52, 101)]


def test_order_sees_other_process_commit(tmp_path: Path) -> None:
    # [STORE] a batch read ahead does not hide what another connection committed
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        for i in range(1, 11):
            a.glob("G").set((str(i * 10),), i)
        a.flush()
        gb = b.glob("G")
        assert gb.order(("",)) == "10"
        a.glob("G").set(("15",), 1)
        a.flush()
        time.sleep(0.02)
        seen = [gb.order(("10",)) for _ in range(70)]  # the 64-call check runs meanwhile
        assert seen[-1] == "15"
        b.flush()  # a flush also checks
        assert gb.order(("10",)) == "15"
    finally:
        a.close()
        b.close()


# ----------------------------------------------------------------------------- $QUERY


def test_query_forward_and_backward(store: GlobalStore) -> None:
    # [QUERY]
    g = store.glob("G")
    fill(g)
    out = []
    subs: tuple[str, ...] | None = ()
    while (subs := g.query(subs)) is not None:
        out.append(subs)
    assert out == [("1",), ("1", "x"), ("2", "3"), ("b",)]
    back = []
    subs = ("",)
    while (subs := g.query(subs, -1)) is not None:
        back.append(subs)
    assert back == out[::-1]


def test_query_from_inside(store: GlobalStore) -> None:
    g = store.glob("G")
    fill(g)
    assert g.query(("1", "a")) == ("1", "x")
    assert g.query(("2",)) == ("2", "3")
    assert g.query(("2",), -1) == ("1", "x")
    assert g.query(("1",), -1) is None
    assert g.query(("1", ""), -1) == ("1", "x")


def test_query_matches_local_on_random_tree(store: GlobalStore) -> None:
    # a global and a local holding the same nodes give the same $QUERY scan
    rnd = random.Random(11)
    g = store.glob("G")
    a = Node("a")
    for _ in range(400):
        depth = rnd.randint(1, 3)
        subs = tuple(rnd.choice(["1", "2", "10", "x", "-3", ".5"]) for _ in range(depth))
        g.set(subs, 1)
        a.set(subs, 1)
    for d, start in ((1, ()), (-1, ("",))):
        gl, lo = [], []
        s: tuple[str, ...] | None = start
        while (s := g.query(s, d)) is not None:
            gl.append(s)
        s = start
        while (s := a.query(s, d)) is not None:
            lo.append(s)
        assert gl == lo and len(gl) > 50


# ----------------------------------------------------------------------------- KILL


def test_kill_subtree(store: GlobalStore) -> None:
    # [KILL]
    g = store.glob("G")
    fill(g)
    g.kill(("1",))
    assert g.data(("1",)) == 0 and g.data(("1", "x")) == 0
    assert walk_order(g) == ["2", "b"]


def test_kill_root_and_zkill(store: GlobalStore) -> None:
    # [ZKILL] value only; [KILL] whole global
    g = store.glob("G")
    fill(g)
    g.zkill(("1",))
    assert g.data(("1",)) == 10
    g.zkill(())
    assert g.data(()) == 10
    g.kill()
    assert g.data(()) == 0 and store.names() == []


def test_kill_everything(store: GlobalStore) -> None:
    fill(store.glob("G"))
    store.glob("H").set((), 1)
    store.kill_everything()
    assert store.names() == [] and store.glob("G").order(("",)) == ""


# ----------------------------------------------------------------------------- $INCREMENT


def test_increment(store: GlobalStore) -> None:
    # [INCR]
    g = store.glob("C")
    assert g.increment() == 1
    assert g.increment((), 5) == 6
    g.set(("s",), "7 days")
    assert g.increment(("s",), Decimal("0.5")) == Decimal("7.5")
    assert g.get(()) == 6


# ----------------------------------------------------------------------------- MERGE


def test_merge_global_to_global(store: GlobalStore) -> None:
    # [MERGE]
    g = store.glob("G")
    fill(g)
    h = store.glob("H")
    h.set(("keep",), 1)
    h.merge_from(("p",), g, ("1",))
    assert list(h.walk()) == [(("keep",), 1), (("p",), "one"), (("p", "x"), 2)]


def test_merge_local_global_both_ways(store: GlobalStore) -> None:
    # [MERGE] a local and a global can be source or destination
    g = store.glob("G")
    fill(g)
    a = Node("a")
    a.merge_from((), g, ())
    assert list(a.walk()) == list(g.walk())
    h = store.glob("H")
    h.merge_from(("1",), a, ("2",))
    assert list(h.walk()) == [(("1", "3"), 4)]


@pytest.mark.parametrize(("dst", "src"), [(("1",), ()), ((), ("1",))])
def test_merge_overlap_is_command_error(
    store: GlobalStore, dst: tuple[str, ...], src: tuple[str, ...]
) -> None:
    # [MERGE] parent-child relationship -> <COMMAND>
    g = store.glob("G")
    fill(g)
    with pytest.raises(ObjectScriptError) as e:
        g.merge_from(dst, store.glob("^G"), src)
    assert e.value.code == "COMMAND"


def test_merge_same_node_noop(store: GlobalStore) -> None:
    g = store.glob("G")
    fill(g)
    before = list(g.walk())
    g.merge_from(("1",), g, ("1",))
    assert list(g.walk()) == before


# ----------------------------------------------------------------------------- ZWRITE


def test_zwrite_global(store: GlobalStore) -> None:
    # [ZW]
    g = store.glob("G")
    fill(g)
    g.set(("c",), "a\nb")
    assert store.zwrite("^G") == [
        "^G=0",
        '^G(1)="one"',
        '^G(1,"x")=2',
        "^G(2,3)=4",
        '^G("b")="bee"',
        '^G("c")="a"_$c(10)_"b"',
    ]
    assert store.zwrite("G", ("2",)) == ["^G(2,3)=4"]


# ----------------------------------------------------------------------------- transactions


def test_trollback_restores_sets_and_kills(store: GlobalStore) -> None:
    # [TX]
    g = store.glob("G")
    fill(g)
    store.flush()
    before = list(g.walk())
    store.tstart()
    assert store.tlevel == 1
    g.set(("1",), "changed")
    g.set(("new",), 1)
    g.kill(("2",))
    g.set(("2", "9"), 9)
    g.zkill(())
    store.trollback()
    assert store.tlevel == 0
    assert list(g.walk()) == before


def test_tcommit_keeps_changes(store: GlobalStore) -> None:
    g = store.glob("G")
    store.tstart()
    g.set(("1",), 1)
    store.tcommit()
    assert store.tlevel == 0 and g.get(("1",)) == 1
    store.trollback()  # [TX] no effect at level 0
    assert g.get(("1",)) == 1


def test_tcommit_without_transaction_is_command_error(store: GlobalStore) -> None:
    with pytest.raises(ObjectScriptError) as e:
        store.tcommit()
    assert e.value.code == "COMMAND"


def test_nested_trollback_one_level(store: GlobalStore) -> None:
    # [TX] TROLLBACK 1 undoes the innermost level only
    g = store.glob("G")
    store.tstart()
    g.set(("a",), 1)
    store.tstart()
    g.set(("a",), 2)
    g.set(("b",), 2)
    assert store.tlevel == 2
    store.trollback(1)
    assert store.tlevel == 1
    assert g.get(("a",)) == 1 and g.data(("b",)) == 0
    store.trollback()
    assert g.data(("a",)) == 0


def test_inner_commit_outer_rollback(store: GlobalStore) -> None:
    # [TX] a committed inner level is still rolled back with the outer one
    g = store.glob("G")
    g.set(("a",), 0)
    store.tstart()
    store.tstart()
    g.set(("a",), 1)
    store.tcommit()
    store.trollback()
    assert g.get(("a",)) == 0


def test_increment_not_rolled_back(store: GlobalStore) -> None:
    # [TX] $INCREMENT is not undone by TROLLBACK
    g = store.glob("C")
    store.tstart()
    g.increment()
    g.increment()
    store.trollback()
    assert g.get(()) == 2


# ----------------------------------------------------------------------------- LOCK


def test_lock_conflicts_between_owners(tmp_path: Path) -> None:
    # [LOCK] node, ancestor and descendant conflict; a sibling does not
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        assert a.lock(("^L", ("1",)), timeout=0)
        assert not b.lock(("^L", ("1",)), incremental=True, timeout=0)
        assert not b.lock(("^L", ()), incremental=True, timeout=0)
        assert not b.lock(("^L", ("1", "2")), incremental=True, timeout=0)
        assert b.lock(("^L", ("2",)), incremental=True, timeout=0)
        assert b.lock(("x", ("1",)), incremental=True, timeout=0)  # a local name: other lock
        a.unlock(("^L", ("1",)))
        assert b.lock(("^L", ("1", "2")), incremental=True, timeout=0)
    finally:
        a.close()
        b.close()


def test_lock_counts_and_non_incremental_release(tmp_path: Path) -> None:
    # [LOCK] LOCK +^L twice needs two LOCK -^L; plain LOCK releases the others first
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        assert a.lock(("^L", ()), incremental=True)
        assert a.lock(("^L", ()), incremental=True)
        a.unlock(("^L", ()))
        assert not b.lock(("^L", ()), incremental=True, timeout=0)
        a.unlock(("^L", ()))
        assert b.lock(("^L", ()), incremental=True, timeout=0)
        b.unlock(("^L", ()))
        assert a.lock([("^A", ()), ("^B", ())], incremental=True)
        assert a.lock(("^C", ()))  # not incremental: ^A and ^B go
        assert b.lock([("^A", ()), ("^B", ())], incremental=True, timeout=0)
        assert not b.lock(("^C", ()), incremental=True, timeout=0)
        assert [row[0] for row in a.locks()] == ["^A", "^B", "^C"]
    finally:
        a.close()
        b.close()


def test_lock_timeout_waits(tmp_path: Path) -> None:
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        assert a.lock(("^L", ()))
        t = time.monotonic()
        assert not b.lock(("^L", ()), timeout=0.2)
        assert time.monotonic() - t >= 0.19
    finally:
        a.close()
        b.close()


def test_unlock_deferred_in_transaction(tmp_path: Path) -> None:
    # [LOCK] a lock released inside a transaction is held until TCOMMIT
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        a.tstart()
        assert a.lock(("^L", ()), incremental=True)
        a.unlock(("^L", ()))
        assert not b.lock(("^L", ()), timeout=0)
        a.tcommit()
        assert b.lock(("^L", ()), timeout=0)
    finally:
        a.close()
        b.close()


def test_close_releases_locks(tmp_path: Path) -> None:
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        assert a.lock(("^L", ()))
        a.close()
        assert b.lock(("^L", ()), timeout=0)
    finally:
        b.close()


# ----------------------------------------------------------------------------- processes


def _increment_worker(path: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    st = GlobalStore(path)
    g = st.glob("Counter")
    got = [g.increment() for _ in range(n)]
    st.close()
    queue.put(got)


def _lock_holder(path: str, ready: multiprocessing.Event, hold: float) -> None:  # type: ignore[type-arg]
    st = GlobalStore(path)
    assert st.lock(("^Res", ("1",)))
    st.glob("Res").set((), "child")
    st.flush()
    ready.set()
    time.sleep(hold)
    st.close()


def _lock_and_die(path: str) -> None:
    st = GlobalStore(path)
    st.lock(("^Res", ()))
    os._exit(0)  # no close: the lock row stays behind


def test_increment_atomic_across_processes(tmp_path: Path) -> None:
    # [INCR] $INCREMENT is atomic: two processes get disjoint values, the total is exact
    path = str(tmp_path / "db")
    GlobalStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_increment_worker, args=(path, 200, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    values = results[0] + results[1]
    assert sorted(values) == list(range(1, 401))
    st = GlobalStore(path)
    try:
        assert st.glob("Counter").get(()) == 400
    finally:
        st.close()


def test_lock_across_processes(tmp_path: Path) -> None:
    # [LOCK] a lock held by another process blocks, and is free once that process ends
    path = str(tmp_path / "db")
    GlobalStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_lock_holder, args=(path, ready, 1.0))
    child.start()
    assert ready.wait(60)
    st = GlobalStore(path)
    try:
        assert st.glob("Res").get(()) == "child"
        assert not st.lock(("^Res", ("1", "2")), timeout=0)
        assert st.lock(("^Res", ("2",)), timeout=0)
        assert st.lock(("^Res", ("1",)), timeout=30)  # waits for the child to let go
        child.join(60)
        assert child.exitcode == 0
    finally:
        st.close()


def test_dead_process_lock_is_reaped(tmp_path: Path) -> None:
    # [LOCK] the lock of a process that died without unlocking does not block for ever
    path = str(tmp_path / "db")
    GlobalStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_lock_and_die, args=(path,))
    child.start()
    child.join(60)
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM locks").fetchone()
    assert rows[0] == 1
    st = GlobalStore(path)  # opening reaps dead owners too; lock() would as well
    try:
        assert st.lock(("^Res", ()), timeout=0)
    finally:
        st.close()


def test_restart_persistence(tmp_path: Path) -> None:
    # [STORE] everything set survives close and reopen, types included
    path = tmp_path / "USER.db"
    st = GlobalStore(path)
    g = st.glob("P")
    g.set((), "root")
    g.set(("1",), 1)
    g.set(("1", "x"), Decimal("2.5"))
    g.set(("-1.5",), 1.25)
    g.set(("s",), "é\x00")
    g.increment(("n",))
    st.close()
    st2 = GlobalStore(path)
    try:
        g2 = st2.glob("^P")
        assert list(g2.walk()) == [
            ((), "root"), (("-1.5",), 1.25), (("1",), 1), (("1", "x"), Decimal("2.5")),
            (("n",), 1), (("s",), "é\x00"),
        ]
        assert type(g2.get(("1", "x"))) is Decimal
    finally:
        st2.close()


def test_other_connection_sees_flushed_writes(tmp_path: Path) -> None:
    # [STORE] flush() commits: a second store (another terminal) sees the data
    a = GlobalStore(tmp_path / "db")
    b = GlobalStore(tmp_path / "db")
    try:
        a.glob("G").set(("1",), "x")
        a.flush()
        assert b.glob("G").get(("1",)) == "x"
        assert b.glob("G").data() == 10
    finally:
        a.close()
        b.close()


def test_buffer_commits_on_its_own(tmp_path: Path) -> None:
    # [STORE] uncommitted work older than commit_interval is committed by later SETs
    a = GlobalStore(tmp_path / "db", commit_interval=0.01)
    b = GlobalStore(tmp_path / "db")
    try:
        g = a.glob("G")
        g.set(("0",), 0)
        time.sleep(0.05)
        for i in range(1, 200):
            g.set((str(i),), i)
        assert b.glob("G").get(("0",)) == 0
    finally:
        a.close()
        b.close()
