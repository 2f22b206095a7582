"""The block storage under the globals (compiler_stub/runtime/blocks.py).

A model check (every operation against a sorted dict, with block limits small enough that
every path splits, empties and removes blocks), the structure's invariants after each step,
the cache across connections (a block another connection removed, a write merged into a
block another connection changed), and the migration from the one-row-per-node layout.
"""

from __future__ import annotations

import marshal
import random
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime import blocks as B
from compiler_stub.runtime.globals import GlobalStore, encode_subs


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(B, "MAX_ROWS", 8)
    monkeypatch.setattr(B, "SPLIT_ROWS", 4)
    monkeypatch.setattr(B, "MAX_BYTES", 300)


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(B.SCHEMA)
    return db


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = _db(tmp_path / "b.sqlite")
    yield conn
    conn.close()


def _check(db: sqlite3.Connection, model: dict[str, dict[bytes, Any]]) -> None:
    """What is stored is the model, in blocks that keep the layout's rules."""
    rows = db.execute("SELECT g, k0, data FROM blocks ORDER BY g, k0").fetchall()
    by_g: dict[str, list[tuple[bytes, list[bytes], list[Any]]]] = {}
    for g, k0, data in rows:
        keys, vals = marshal.loads(data)
        by_g.setdefault(g, []).append((k0, keys, vals))
    assert set(by_g) == {g for g, m in model.items() if m}
    for g, blks in by_g.items():
        assert blks[0][0] == b""
        seen: list[tuple[bytes, Any]] = []
        for i, (k0, keys, vals) in enumerate(blks):
            assert keys == sorted(keys) and len(set(keys)) == len(keys)
            assert len(keys) == len(vals)
            assert len(keys) <= B.MAX_ROWS
            if i:
                assert keys, "only the first block may be empty"
            nxt = blks[i + 1][0] if i + 1 < len(blks) else None
            assert all(k >= k0 and (nxt is None or k < nxt) for k in keys)
            seen += zip(keys, vals, strict=True)
        assert seen == sorted(model[g].items())


def _key(r: random.Random) -> bytes:
    return bytes(r.choice(b"\x10\x20\x30\x40abc") for _ in range(r.randint(1, 4)))


def _model_scan(m: dict[bytes, Any], lo: bytes, hi: bytes, limit: int | None,
                include_lo: bool, desc: bool) -> list[bytes]:
    ks = sorted(m)
    if desc:
        out = [k for k in reversed(ks) if lo < k < hi]
    else:
        out = [k for k in ks if (lo <= k if include_lo else lo < k) and k < hi]
    return out if limit is None else out[:limit]


@pytest.mark.parametrize("seed", range(12))
def test_model(small: None, db: sqlite3.Connection, seed: int) -> None:
    r = random.Random(seed)
    blocks = B.Blocks(db)
    model: dict[str, dict[bytes, Any]] = {"A": {}, "B": {}}
    db.execute("BEGIN")
    for step in range(400):
        g = r.choice("AB")
        m = model[g]
        op = r.random()
        if op < 0.35:
            batch = {_key(r): r.choice([step, str(step), b"D1.5", "x" * r.randint(0, 120)])
                     for _ in range(r.randint(1, 40))}
            blocks.put_many(g, batch)
            m.update(batch)
        elif op < 0.5:
            k = _key(r) if r.random() < 0.5 or not m else r.choice(sorted(m))
            assert blocks.delete(g, k) == m.pop(k, None)
        elif op < 0.6:
            lo, hi = sorted((_key(r), _key(r)))
            if r.random() < 0.2:
                lo, hi = b"", b"\xff"
            gone = blocks.delete_range(g, lo, hi, collect=True)
            expected = [(k, m[k]) for k in sorted(m) if lo <= k < hi]
            assert gone == expected
            for k, _ in expected:
                del m[k]
        elif op < 0.75:
            k = _key(r)
            assert blocks.get(g, k) == m.get(k)
        else:
            lo, hi = sorted((_key(r), _key(r) + b"\xff"))
            limit = r.choice([None, 1, 2, 5, 50])
            inc = r.random() < 0.5
            desc = r.random() < 0.4
            assert blocks.scan(g, lo, hi, limit, include_lo=inc and not desc, desc=desc) == \
                _model_scan(m, lo, hi, limit, inc and not desc, desc)
        if step % 20 == 0:
            _check(db, model)
            if r.random() < 0.5:
                blocks.forget()  # the same answers from the rows alone
    db.execute("COMMIT")
    _check(db, model)
    fresh = B.Blocks(db)
    for g, m in model.items():
        assert fresh.items(g, b"", b"\xff") == sorted(m.items())
    assert fresh.names() == sorted(g for g, m in model.items() if m)


def test_bulk_load_splits_into_full_blocks(db: sqlite3.Connection) -> None:
    blocks = B.Blocks(db)
    keys = {encode_subs((str(i),)): i for i in range(1, 100_001)}
    db.execute("BEGIN")
    blocks.put_many("G", keys)
    db.execute("COMMIT")
    n = db.execute("SELECT count(*) FROM blocks WHERE g = 'G'").fetchone()[0]
    assert 100_000 / B.MAX_ROWS < n <= 100_000 / (B.SPLIT_ROWS / 2)
    assert B.Blocks(db).scan("G", b"", b"\xff") == sorted(keys)


def test_big_values_get_blocks_of_their_own(small: None, db: sqlite3.Connection) -> None:
    blocks = B.Blocks(db)
    big = {bytes([0x40, c]): chr(c) * 5000 for c in range(97, 107)}
    db.execute("BEGIN")
    blocks.put_many("G", big)
    db.execute("COMMIT")
    assert db.execute("SELECT count(*) FROM blocks").fetchone()[0] == len(big)
    _check(db, {"G": big})
    assert B.Blocks(db).get("G", b"\x40e") == "e" * 5000


@pytest.mark.parametrize("limit", ["CACHE_BLOCKS", "CACHE_BYTES"])
def test_cache_restarts_past_its_size(small: None, db: sqlite3.Connection,
                                      monkeypatch: pytest.MonkeyPatch, limit: str) -> None:
    monkeypatch.setattr(B, limit, 3 if limit == "CACHE_BLOCKS" else 150)
    blocks = B.Blocks(db)
    data = {bytes([0x30, i]): i for i in range(1, 200)}
    db.execute("BEGIN")
    blocks.put_many("G", data)
    db.execute("COMMIT")
    reader = B.Blocks(db)
    assert reader.scan("G", b"", b"\xff") == sorted(data)
    assert reader._cached <= 3
    assert limit == "CACHE_BLOCKS" or reader._bytes <= 150
    assert [reader.get("G", k) for k in sorted(data)] == [data[k] for k in sorted(data)]


def test_block_removed_by_another_connection(small: None, tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    a_db, b_db = _db(path), _db(path)
    a, b = B.Blocks(a_db), B.Blocks(b_db)
    data = {bytes([0x30, i]): i for i in range(1, 60)}
    a_db.execute("BEGIN")
    a.put_many("G", data)
    a_db.execute("COMMIT")
    a.forget()
    assert a.get("G", bytes([0x30, 1])) == 1  # a knows the directory and the first block
    b_db.execute("BEGIN")
    b.delete_range("G", bytes([0x30, 10]), bytes([0x30, 50]))
    b_db.execute("COMMIT")
    # a's directory names blocks that are gone: the read starts again from the rows
    assert a.get("G", bytes([0x30, 30])) is None
    assert a.scan("G", b"", b"\xff") == [k for k in sorted(data) if not 10 <= k[1] < 50]
    a_db.close()
    b_db.close()


def test_write_merges_into_what_another_process_committed(tmp_path: Path) -> None:
    """Two stores share a block: the second writer must not write back the block it read
    before the first one's commit (a lost update)."""
    path = tmp_path / "g.sqlite"
    one, two = GlobalStore(path), GlobalStore(path)
    try:
        one.glob("G").set(("1",), "a")
        one.flush()
        assert two.glob("G").get(("1",)) == "a"  # two has the block cached
        one.glob("G").set(("2",), "b")
        one.flush()
        two.glob("G").set(("3",), "c")
        two.flush()
        g = GlobalStore(path)
        assert [g.glob("G").get_or((s,)) for s in "123"] == ["a", "b", "c"]
        g.close()
    finally:
        one.close()
        two.close()


def test_migrates_the_row_per_node_layout(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("CREATE TABLE globals (g TEXT NOT NULL, k BLOB NOT NULL, v,"
                " PRIMARY KEY (g, k)) WITHOUT ROWID")
    rows = [("A", encode_subs((str(i),)), i) for i in range(1, 1001)]
    rows += [("B", b"", "top"), ("B", encode_subs(("x", "y")), b"D2.5")]
    with old:
        old.execute("BEGIN")
        old.executemany("INSERT INTO globals VALUES (?, ?, ?)", rows)
    old.close()
    store = GlobalStore(path)
    try:
        assert store.names() == ["A", "B"]
        assert store.glob("A").get(("500",)) == 500
        assert store.glob("B").get() == "top"
        assert str(store.glob("B").get(("x", "y"))) == "2.5"
        assert store.glob("A").order(("1000",)) == ""
        tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}
        assert "globals" not in tables
    finally:
        store.close()


def test_scan_bounds_inside_blocks(small: None, db: sqlite3.Connection) -> None:
    blocks = B.Blocks(db)
    data = {bytes([0x30, i]): i for i in range(1, 40)}
    db.execute("BEGIN")
    blocks.put_many("G", data)
    db.execute("COMMIT")
    ks = sorted(data)
    for lo in range(0, 41, 3):
        for hi in range(lo, 42, 5):
            klo, khi = bytes([0x30, lo]), bytes([0x30, hi])
            assert blocks.scan("G", klo, khi, include_lo=True) == \
                ks[bisect_left(ks, klo):bisect_left(ks, khi)]
            assert blocks.scan("G", klo, khi, desc=True) == \
                ks[bisect_right(ks, klo):bisect_left(ks, khi)][::-1]
