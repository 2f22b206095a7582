"""LOCK beyond the plain exclusive lock: lock types, per-type counts, lists, indirection, local
lock names, transactions, escalation; owners in one process (two ``GlobalStore`` objects on
one file) and real processes (``multiprocessing``).

Sources of the expected values (InterSystems documentation, found with the search tool):

- [LOCKTYPE] "LOCK" (RCOS_clock_locktype): ``S`` shared: any number of processes may hold
  shared locks on a resource, an exclusive lock of one process keeps the others' shared
  locks out and a shared lock keeps the others' exclusive locks out; a process holding a
  shared lock may take the exclusive one too (upgrade); shared and exclusive lock counts
  are independent, so both must be released; letter codes in any order, not case-sensitive.
- [LOCK] "LOCK" (RCOS_clock): ``lockname#locktype``, ``+(lockname#locktype,...)``; ``S`` and
  ``E`` are for locking and unlocking, ``I`` and ``D`` for unlocking only; the default is an
  exclusive, non-escalating lock whose release inside a transaction waits for the
  transaction's end; no ``+``/``-``: every prior lock is released first.
- [ARGLESS] "LOCK without Arguments" (RCOS_clock_argumentless): releases every lock, shared
  and exclusive; inside a transaction the locks are in a Delock state until it ends; the
  ModeCount ``Exclusive/1+1e`` shows an escalating and a non-escalating lock on one name
  as two locks.
- [UNLOCK] Caché ObjectScript Reference, LOCK, "Unlocking": ``LOCK -^a`` affects only the
  exclusive lock, ``LOCK -^a#"S"`` only the shared one; the worked example
  ``LOCK ^a LOCK +(^b) LOCK +(^b,^e,^e#"S") LOCK +(^c#"S",^d#"S") LOCK -(^a,^b,^c#"S",^d,^e)``
  leaves ^b with count 1, ^d's shared lock untouched, ^e with its shared lock only; a name
  with no lock: no operation. "Incremental locks can be released during a transaction
  using the Immediate Unlock lock type"; a simple lock in a transaction defers the release
  of the locks held before until the transaction completes; a parenthesised list with a
  timeout: all the locks or none.
- [NAMES] same page, "lockname": a lock name is not the variable ("a" the lock and "a" the
  variable do not conflict); a name without a caret is a local lock name.
- [ESC] "Locking and Concurrency Control" (ALOCK), escalating locks: when a process holds
  more than the threshold (default 1000) of escalating locks at one subscript level of an
  array, they are replaced by one lock on the parent node (the whole branch is locked);
  releasing child locks decrements its count, and it goes when enough are released.
- [IND] "Indirection" (GCOS_indirection): argument indirection (the value is a whole
  argument list), name indirection (``@x`` as a name) and subscript indirection
  (``@x@(subs)``).
- [TEST] "$TEST" (RCOS_vtest): a timed LOCK sets $TEST (1 got it, 0 timed out); without a
  timeout it is left as it was.
- [STORE] the store's contract (globals.py): the lock table is transient; a file whose
  ``locks`` table has the old layout gets the new one when a store opens.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process


class Proc:
    """An ObjectScript process on a namespace file."""

    def __init__(self, path: Path | str, routines: dict[str, str] | None = None) -> None:
        self.store = GlobalStore(str(path))
        self.device = BufferDevice()
        rts = routines or {}
        self.process = Process(
            "USER", self.store, lambda n: rts[n].split("\n") if n in rts else None, self.device
        )

    def run(self, line: str) -> str:
        try:
            self.process.execute(line)
        except ObjectScriptError as exc:
            self.device.write(exc.zerror())
        return self.device.take()

    def mine(self) -> list[tuple[str, tuple[str, ...], str, int]]:
        """This process's locks: (name, subscripts, mode, count)."""
        return [(g, s, m, n) for g, s, o, m, n in self.store.locks() if o == self.store.owner]


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Proc, Proc]]:
    a, b = Proc(tmp_path / "g.sqlite"), Proc(tmp_path / "g.sqlite")
    yield a, b
    a.store.close()
    b.store.close()


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[GlobalStore, GlobalStore]]:
    a, b = GlobalStore(tmp_path / "db"), GlobalStore(tmp_path / "db")
    yield a, b
    a.close()
    b.close()


# ----------------------------------------------------------------------------- shared locks


def test_shared_locks_are_held_together(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] two processes hold shared locks on one resource at once
    a, b = two
    assert a.run('lock +^Acct(1)#"S":0 write $test') == "1"
    assert b.run('lock +^Acct(1)#"S":0 write $test') == "1"
    assert a.mine() == [("^Acct", ("1",), "S", 1)]
    assert b.mine() == [("^Acct", ("1",), "S", 1)]


def test_shared_keeps_out_exclusive_on_node_ancestor_descendant(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] a shared lock keeps the other processes' exclusive locks out; the tree rule
    # (node, ancestor, descendant) is the one of exclusive locks; a sibling is free
    a, b = two
    assert a.run('lock +^Acct(1)#"S"') == ""
    assert b.run("lock +^Acct(1):0 write $test") == "0"
    assert b.run("lock +^Acct:0 write $test") == "0"
    assert b.run("lock +^Acct(1,2):0 write $test") == "0"
    assert b.run("lock +^Acct(2):0 write $test") == "1"
    assert b.run('lock +^Acct#"S":0 write $test') == "1"  # shared on the ancestor: fine


def test_exclusive_keeps_out_shared(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] an exclusive lock keeps the other processes' shared locks out
    a, b = two
    assert a.run("lock +^Acct(1)") == ""
    assert b.run('lock +^Acct(1)#"S":0 write $test') == "0"
    assert b.run('lock +^Acct(1,"x")#"S":0 write $test') == "0"
    assert a.run("lock -^Acct(1)") == ""
    assert b.run('lock +^Acct(1)#"S":0 write $test') == "1"


def test_upgrade_from_shared_to_exclusive(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] a process may add the exclusive lock to its shared one; the two counts are
    # independent, so the resource is free only once both are released
    a, b = two
    assert a.run('lock +^R#"S" lock +^R:0 write $test') == "1"
    assert sorted(a.mine()) == [("^R", (), "S", 1), ("^R", (), "X", 1)]
    assert b.run('lock +^R#"S":0 write $test') == "0"  # the exclusive one keeps it out
    assert a.run("lock -^R") == ""
    assert a.mine() == [("^R", (), "S", 1)]
    assert b.run('lock +^R#"S":0 write $test') == "1"
    assert b.run("lock +^R:0 write $test") == "0"  # a's shared lock is still there
    assert a.run('lock -^R#"S"') == ""
    assert a.mine() == []


def test_upgrade_waits_for_other_shared_holders(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] the exclusive lock needs the other processes' shared locks gone
    a, b = two
    assert a.run('lock +^R#"S"') == ""
    assert b.run('lock +^R#"S"') == ""
    assert a.run("lock +^R:0 write $test") == "0"
    assert b.run('lock -^R#"S"') == ""
    assert a.run("lock +^R:0 write $test") == "1"


def test_counts_per_type(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] [UNLOCK] counts are kept per type: two shared levels need two releases
    a, b = two
    assert a.run('lock +^C#"S",+^C#"S",+^C') == ""
    assert sorted(a.mine()) == [("^C", (), "S", 2), ("^C", (), "X", 1)]
    assert a.run('lock -^C#"S"') == ""
    assert sorted(a.mine()) == [("^C", (), "S", 1), ("^C", (), "X", 1)]
    assert a.run("lock -^C,-^C") == ""  # the second finds no exclusive lock: nothing
    assert a.mine() == [("^C", (), "S", 1)]


def test_the_unlocking_example(two: tuple[Proc, Proc]) -> None:
    # [UNLOCK] the reference's example, line by line
    a, b = two
    for line in ("lock ^a", "lock +(^b)", 'lock +(^b,^e,^e#"S")', 'lock +(^c#"S",^d#"S")'):
        assert a.run(line) == ""
    assert a.run('lock -(^a,^b,^c#"S",^d,^e)') == ""
    assert sorted(a.mine()) == [("^b", (), "X", 1), ("^d", (), "S", 1), ("^e", (), "S", 1)]
    assert b.run("lock +^a:0 write $test") == "1"
    assert b.run('lock +^c:0 write $test lock +^d#"S":0 write $test') == "11"
    assert b.run("lock +^e:0 write $test") == "0"


def test_letters_any_order_and_case(two: tuple[Proc, Proc]) -> None:
    # [LOCKTYPE] letter codes in any order, not case-sensitive; a type in a variable
    a, _ = two
    assert a.run('lock +^L#"es"') == ""
    assert a.mine() == [("^L", (), "SE", 1)]
    assert a.run('set t="Se" lock -^L#t') == ""
    assert a.mine() == []


def test_an_unknown_lock_type_letter(two: tuple[Proc, Proc]) -> None:
    # [LOCK] the letters are S, E, I and D
    a, _ = two
    assert a.run('lock +^L#"X"') == "<SYNTAX>"
    assert a.run('set t="SQ" lock +^L#t') == "<SYNTAX>"
    assert a.mine() == []


def test_escalating_and_plain_are_separate_locks(two: tuple[Proc, Proc]) -> None:
    # [ARGLESS] "Exclusive/1+1e": an escalating and a non-escalating lock on one name, each
    # with its own count; [LOCK] releasing needs the same type
    a, b = two
    assert a.run('lock +^a(1),+^a(1)#"E"') == ""
    assert sorted(a.mine()) == [("^a", ("1",), "X", 1), ("^a", ("1",), "XE", 1)]
    assert a.run("lock -^a(1)") == ""
    assert a.mine() == [("^a", ("1",), "XE", 1)]
    assert b.run("lock +^a(1):0 write $test") == "0"
    assert a.run('lock -^a(1)#"E"') == ""
    assert b.run("lock +^a(1):0 write $test") == "1"


def test_unlock_of_a_lock_not_held(two: tuple[Proc, Proc]) -> None:
    # [UNLOCK] a name with no lock on it: no operation, no error
    a, b = two
    assert b.run("lock +^N") == ""
    assert a.run('lock -^N,-^N#"S",-^Other(1)#"E"') == ""
    assert b.mine() == [("^N", (), "X", 1)]


# ----------------------------------------------------------------------------- lists, $TEST


def test_a_list_is_all_or_nothing(two: tuple[Proc, Proc]) -> None:
    # [UNLOCK] [LOCK] +(a,b#"S"):timeout takes every lock or none
    a, b = two
    assert b.run("lock +^B") == ""
    assert a.run('lock +(^A,^B#"S"):0 write $test') == "0"
    assert a.mine() == []
    assert b.run("lock -^B") == ""
    assert a.run('lock +(^A,^B#"S"):1 write $test') == "1"
    assert sorted(a.mine()) == [("^A", (), "X", 1), ("^B", (), "S", 1)]


def test_a_plain_list_releases_the_locks_held_before(two: tuple[Proc, Proc]) -> None:
    # [LOCK] no + or -: the prior locks go, then the list is taken
    a, b = two
    assert a.run("lock +^Old,+^Old2") == ""
    assert a.run('lock (^A,^B#"S")') == ""
    assert sorted(a.mine()) == [("^A", (), "X", 1), ("^B", (), "S", 1)]
    assert b.run("lock +^Old:0 write $test") == "1"


def test_test_after_timed_and_untimed_locks(two: tuple[Proc, Proc]) -> None:
    # [TEST] a timeout sets $TEST, a LOCK without one leaves it
    a, b = two
    assert a.run("lock +^T") == ""
    assert b.run("lock +^T(1):0 write $test") == "0"
    assert b.run("if 1 lock +^U write $test") == "1"
    assert b.run('set $test=0 lock +^V#"S" write $test') == "0"
    assert b.run('lock +^V#"S":0 write $test') == "1"


# ----------------------------------------------------------------------------- indirection


def test_name_indirection(two: tuple[Proc, Proc]) -> None:
    # [IND] @x as a lock name, with +, a lock type, a timeout, in a list, with subscripts
    a, b = two
    assert a.run('set x="^Ind(1,""k"")" lock +@x#"S":0 write $test') == "1"
    assert a.mine() == [("^Ind", ("1", "k"), "S", 1)]
    assert b.run('set y="^Ind(1)" lock +@y:0 write $test') == "0"
    assert a.run('set r="^Ind" lock +(@r@(2),^Other):0 write $test') == "1"
    assert sorted(a.mine())[:2] == [("^Ind", ("1", "k"), "S", 1), ("^Ind", ("2",), "X", 1)]
    assert a.run('lock -@x#"S",-@r@(2)') == ""
    assert a.mine() == [("^Other", (), "X", 1)]


def test_argument_indirection(two: tuple[Proc, Proc]) -> None:
    # [IND] LOCK @x: the value is the whole argument list, timeouts and $TEST included
    a, b = two
    assert a.run('set x="^Arg(1)" lock @x') == ""
    assert a.mine() == [("^Arg", ("1",), "X", 1)]
    assert a.run('lock @"^Arg(2)"') == ""  # no +: the lock on ^Arg(1) went
    assert a.mine() == [("^Arg", ("2",), "X", 1)]
    assert b.run('set l="+(^Arg(3),^Arg(2)#""S""):0" lock @l write $test') == "0"
    assert b.run('set l="+(^Arg(3),^Arg(4)#""S""):0" lock @l write $test') == "1"
    assert b.run('set u="-^Arg(3),-^Arg(4)#""S""" lock @u') == ""
    assert b.mine() == []


def test_argument_indirection_to_nothing(two: tuple[Proc, Proc]) -> None:
    # [IND] an empty argument is not an argumentless LOCK: the locks stay
    a, _ = two
    assert a.run("lock +^Keep") == ""
    assert a.run('set e="" lock @e') == "<SYNTAX>"
    assert a.mine() == [("^Keep", (), "X", 1)]


def test_local_lock_names(two: tuple[Proc, Proc]) -> None:
    # [NAMES] a name without a caret is a lock name of its own, shared through the lock
    # table, not the variable: ^job and job are different names, the variable is untouched
    a, b = two
    assert a.run('lock +job(1)#"S":0 write $test') == "1"
    assert b.run("lock +job(1):0 write $test") == "0"
    assert b.run('lock +job(1)#"S":0 write $test') == "1"
    assert b.run("lock +^job(1):0 write $test") == "1"
    assert a.run("write $data(job)") == "0"
    assert a.run('set n="job(2)" lock +@n:0 write $test') == "1"
    assert ("job", ("2",), "X", 1) in a.mine()


# ----------------------------------------------------------------------------- transactions


def test_release_in_a_transaction_waits_for_its_end(two: tuple[Proc, Proc]) -> None:
    # [LOCK] [ARGLESS] the default release inside a transaction holds the lock until it ends
    a, b = two
    assert a.run('tstart  lock +^X#"S",+^Y lock -^X#"S",-^Y') == ""
    assert b.run("lock +^X:0 write $test lock +^Y:0 write $test") == "00"
    assert a.run("tcommit") == ""
    assert b.run("lock +^X:0 write $test lock +^Y:0 write $test") == "11"


def test_immediate_release_in_a_transaction(two: tuple[Proc, Proc]) -> None:
    # [UNLOCK] #"I" releases inside the transaction at once, shared locks too
    a, b = two
    assert a.run('tstart  lock +^X,+^Y#"S" lock -^X#"I",-^Y#"SI"') == ""
    assert b.run("lock +^X:0 write $test lock +^Y:0 write $test") == "11"
    assert a.run("tcommit") == ""


def test_deferred_release_follows_the_previous_one(two: tuple[Proc, Proc]) -> None:
    # [LOCK] the default defers every release; #"D" releases the way the previous release
    # of the lock in the transaction went: after an immediate one, at once
    a, b = two
    assert a.run('tstart  lock +^D,+^D,+^E lock -^D#"I",-^E#"D"') == ""
    assert a.mine() == [("^D", (), "X", 1), ("^E", (), "X", 1)]
    assert b.run("lock +^E:0 write $test") == "0"  # no earlier release: deferred
    assert a.run('lock -^D#"D"') == ""
    assert b.run("lock +^D:0 write $test") == "1"
    assert a.run("tcommit") == ""
    assert b.run("lock +^E:0 write $test") == "1"


def test_argumentless_lock_in_a_transaction(two: tuple[Proc, Proc]) -> None:
    # [ARGLESS] every lock, shared and escalating included, held until the end (TROLLBACK
    # ends it too)
    a, b = two
    assert a.run('tstart  lock +^a(1),+^a(1)#"E",+^a(1)#"S" lock') == ""
    assert len(a.mine()) == 3
    assert b.run('lock +^a(1)#"S":0 write $test') == "0"
    assert a.run("trollback") == ""
    assert a.mine() == []
    assert b.run('lock +^a(1)#"S":0 write $test') == "1"


def test_simple_lock_in_a_transaction(two: tuple[Proc, Proc]) -> None:
    # [UNLOCK] a simple lock inside a transaction: the locks held before are released only
    # when it completes; the new one stays; a released lock taken again stays too
    a, b = two
    assert a.run("lock +^Old tstart  lock ^New lock -^New lock +^New") == ""
    assert b.run("lock +^Old:0 write $test") == "0"
    assert a.run("tcommit") == ""
    assert b.run("lock +^Old:0 write $test lock +^New:0 write $test") == "10"
    assert a.mine() == [("^New", (), "X", 1)]


# ----------------------------------------------------------------------------- escalation


def test_escalation_at_the_default_threshold(stores: tuple[GlobalStore, GlobalStore]) -> None:
    # [ESC] 1000 escalating locks on ^MyGlobal(i); the 1001st locks ^MyGlobal instead, the
    # whole branch; releasing children counts down the parent's lock until it goes
    a, b = stores
    assert a.lock_threshold == 1000
    for i in range(1, 1001):
        assert a.lock(("^MyGlobal", (str(i),), "E"), incremental=True)
    assert len(a.locks()) == 1000
    assert a.lock(("^MyGlobal", ("1001",), "E"), incremental=True)
    assert [(g, s, m, n) for g, s, _, m, n in a.locks()] == [("^MyGlobal", (), "XE", 1001)]
    assert not b.lock(("^MyGlobal", ("5000",)), incremental=True, timeout=0)
    a.unlock(("^MyGlobal", ("7",), "E"))
    assert [row[4] for row in a.locks()] == [1000]
    for i in range(1, 1001):
        if i != 7:
            a.unlock(("^MyGlobal", (str(i),), "E"))
    a.unlock(("^MyGlobal", ("1001",), "E"))
    assert a.locks() == []
    assert b.lock(("^MyGlobal", ("5000",)), incremental=True, timeout=0)


def test_escalation_counts_one_subscript_level(stores: tuple[GlobalStore, GlobalStore]) -> None:
    # [ESC] only escalating locks at the same level under the same parent count; after the
    # escalation a new child lock counts on the parent
    a, _ = stores
    a.lock_threshold = 3
    a.lock([("^G", ("1", "a"), "E"), ("^G", ("1", "b"), "E"), ("^G", ("2", "a"), "E")], True)
    a.lock([("^G", ("1", "c", "x"), "E"), ("^G", ("1", "d")), ("^G", ("1",), "S")], True)
    assert a.lock(("^G", ("1", "e"), "E"), incremental=True)
    assert len(a.locks()) == 7  # no level under ^G(1) held 3 escalating locks yet
    assert a.lock(("^G", ("1", "f"), "E"), incremental=True)  # ^G(1,a) ^G(1,b) ^G(1,e): 3
    rows = {(s, m): n for _, s, _, m, n in a.locks()}
    assert len(rows) == 5
    assert rows[(("1",), "XE")] == 4
    assert (("1", "a"), "XE") not in rows and (("1", "e"), "XE") not in rows
    assert rows[(("1", "c", "x"), "XE")] == 1  # another level: kept
    assert rows[(("1", "d"), "X")] == 1 and rows[(("1",), "S")] == 1  # not escalating
    assert rows[(("2", "a"), "XE")] == 1  # another parent
    assert a.lock(("^G", ("1", "z"), "E"), incremental=True)
    assert {(s, m): n for _, s, _, m, n in a.locks()}[(("1",), "XE")] == 5


def test_shared_escalating_locks(stores: tuple[GlobalStore, GlobalStore]) -> None:
    # [ESC] [LOCKTYPE] "SE" locks escalate to a shared lock on the parent: others may still
    # share the branch, not lock any of it exclusively
    a, b = stores
    a.lock_threshold = 2
    for i in range(3):
        assert a.lock(("^S", (str(i),), "SE"), incremental=True)
    assert [(g, s, m, n) for g, s, _, m, n in a.locks()] == [("^S", (), "SE", 3)]
    assert b.lock(("^S", ("9",), "S"), incremental=True, timeout=0)
    assert not b.lock(("^S", ("8",)), incremental=True, timeout=0)


def test_no_escalation_onto_a_parent_another_process_holds(
    stores: tuple[GlobalStore, GlobalStore],
) -> None:
    # [ESC] the parent cannot be locked while another owner holds a child: the child lock
    # is taken by itself
    a, b = stores
    a.lock_threshold = 2
    assert b.lock(("^P", ("99",)), incremental=True)
    for i in range(3):
        assert a.lock(("^P", (str(i),), "E"), incremental=True, timeout=0)
    assert sorted(s for _, s, o, _, _ in a.locks() if o == a.owner) == [("0",), ("1",), ("2",)]


# ----------------------------------------------------------------------------- routines, schema


RTN = """ROUTINE LockRtn [Type=INT]
LockRtn ;
take(name,type) public {
 lock +@name#type:0
 quit $test
}
give(name,type) public {
 lock -@name#type
 quit ""
}
"""


def test_lock_forms_in_a_routine(tmp_path: Path) -> None:
    # [IND] [LOCKTYPE] the routine grammar: name indirection and a lock type in variables
    a = Proc(tmp_path / "g.sqlite", {"LockRtn": RTN})
    b = Proc(tmp_path / "g.sqlite", {"LockRtn": RTN})
    try:
        assert a.run('write $$take^LockRtn("^Q(1)","S")') == "1"
        assert b.run('write $$take^LockRtn("^Q(1)","S")') == "1"
        assert b.run('write $$take^LockRtn("^Q","")') == "0"
        assert a.run('write $$give^LockRtn("^Q(1)","S")') == ""
        assert b.run('write $$give^LockRtn("^Q(1)","s")') == ""
        assert b.run('write $$take^LockRtn("^Q","")') == "1"
    finally:
        a.store.close()
        b.store.close()


def test_a_lock_table_of_the_old_layout_is_replaced(tmp_path: Path) -> None:
    # [STORE] locks are transient: the old table (no mode column) goes, with its rows
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE locks (g TEXT NOT NULL, k BLOB NOT NULL, owner TEXT NOT NULL,"
        " pid INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (g, k, owner)) WITHOUT ROWID"
    )
    db.execute("INSERT INTO locks VALUES ('^L', x'', 'gone:1', 1, 1)")
    db.commit()
    db.close()
    st = GlobalStore(path)
    try:
        cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(locks)")]
        assert "mode" in cols
        assert st.locks() == []
        assert st.lock(("^L", (), "S"), timeout=0)
        assert [row[3] for row in st.locks()] == ["S"]
    finally:
        st.close()


# ----------------------------------------------------------------------------- processes


def _shared_reader(path: str, ready: Event, go: Event) -> None:
    p = Proc(path)
    assert p.run('lock +^Doc#"S":10 write $test') == "1"
    ready.set()
    go.wait(60)
    assert p.run('lock -^Doc#"S"') == ""
    p.store.close()


def _transaction_holder(path: str, ready: Event, go: Event) -> None:
    p = Proc(path)
    assert p.run("tstart  lock +^Tx(1) set ^Tx(1)=1 lock -^Tx(1)") == ""
    ready.set()
    go.wait(60)
    time.sleep(0.3)
    assert p.run("tcommit") == ""
    time.sleep(0.5)
    p.store.close()


def _spawn(target: Callable[[str, Event, Event], None], path: str) -> tuple[BaseProcess, Event]:
    """A child running ``target``, started and ready; its ``go`` event."""
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Event(), ctx.Event()
    child = ctx.Process(target=target, args=(path, ready, go))
    child.start()
    assert ready.wait(60)
    return child, go


def test_two_processes_share_and_a_writer_waits(tmp_path: Path) -> None:
    # [LOCKTYPE] across processes: readers share ^Doc, a writer waits for both to leave
    path = str(tmp_path / "g.sqlite")
    GlobalStore(path).close()
    readers = [_spawn(_shared_reader, path) for _ in range(2)]
    me = Proc(path)
    try:
        assert me.run('lock +^Doc#"S":0 write $test') == "1"  # a third reader
        assert me.run('lock -^Doc#"S"') == ""
        assert me.run("lock +^Doc:0 write $test") == "0"
        readers[0][1].set()
        readers[0][0].join(60)
        assert me.run("lock +^Doc:0 write $test") == "0"  # the other one still reads
        readers[1][1].set()
        assert me.run("lock +^Doc:30 write $test") == "1"
        readers[1][0].join(60)
        for child, _ in readers:
            assert child.exitcode == 0
    finally:
        me.store.close()


def test_another_process_waits_for_the_transaction(tmp_path: Path) -> None:
    # [LOCK] across processes: a lock released inside the other process's transaction is
    # held until its TCOMMIT; a timed LOCK waiting for it then succeeds
    path = str(tmp_path / "g.sqlite")
    GlobalStore(path).close()
    child, go = _spawn(_transaction_holder, path)
    me = Proc(path)
    try:
        assert me.run("lock +^Tx(1,2):0 write $test") == "0"
        go.set()
        t = time.monotonic()
        assert me.run("lock +^Tx(1,2):30 write $test") == "1"
        assert time.monotonic() - t >= 0.2
        assert me.run("write ^Tx(1)") == "1"
        child.join(60)
        assert child.exitcode == 0
    finally:
        me.store.close()
