"""The storage under the globals: a global's nodes in key order, packed into blocks.

``GlobalStore`` (globals.py) keeps every node of every global of a namespace as a (key,
value) pair, the key a byte string whose byte order is ObjectScript collation. This module
stores those pairs. A global's pairs are kept sorted in *blocks* of at most ``MAX_ROWS``
pairs and about ``MAX_BYTES`` bytes, one SQLite row per block in
``blocks(g, k0, data)``:

- ``g`` is the global's name, ``k0`` the block's lower bound: the first block of a global
  has ``k0 = b""``, every other one the first key it held when it was made. A block holds
  the keys from its bound up to the next block's bound.
- ``data`` is the block's keys and values as two lists (``marshal``, format 4). Values are
  the stored forms ``GlobalStore`` gives (``str``, ``int``, tagged ``bytes``).

This is how IRIS itself keeps a global (sorted nodes in the blocks of a B-tree), and for the
same reason: writing many neighbouring nodes rewrites few rows, and a walk reads one row
per few hundred nodes, so SQLite's cost per row is paid per block. A block that grows past
its limits is split in place; an emptied block's row is removed (the first one stays while
the global has other blocks, so every key has a block).

Each process keeps, per global, the directory of block bounds and the blocks it has read,
decoded. Writes update both and the row at once (inside the caller's write transaction);
``forget()`` drops both, which the caller does whenever another process may have committed
(``PRAGMA data_version`` changed) and when it opens a write transaction. A block that
disappeared between reading the directory and reading the block (another process's commit)
drops the cache and the read is retried.
"""

from __future__ import annotations

import marshal
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["MAX_BYTES", "MAX_ROWS", "SCHEMA", "Blocks"]

#: the most pairs one block holds before it is split
MAX_ROWS = 512
#: the size of the pieces an overfull block is split into
SPLIT_ROWS = 256
#: the most bytes a block of more than one pair holds
MAX_BYTES = 1 << 16
#: decoded blocks kept per process, and the encoded bytes read or written into the cache
#: since it last started; past either the cache starts again (a walk of a huge global)
CACHE_BLOCKS = 2048
CACHE_BYTES = 16 << 20

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blocks ("
    " g TEXT NOT NULL, k0 BLOB NOT NULL, data BLOB NOT NULL, PRIMARY KEY (g, k0))"
    " WITHOUT ROWID"
)
_PUT = "INSERT OR REPLACE INTO blocks (g, k0, data) VALUES (?, ?, ?)"
_Block = tuple[list[bytes], list[Any]]
_T = TypeVar("_T")


class _Stale(Exception):
    """A block named by the directory is gone: another process changed the global."""


def _pack(keys: list[bytes], vals: list[Any]) -> list[tuple[list[bytes], list[Any], bytes]]:
    """``keys``/``vals`` cut into blocks within the limits, each with its encoded form."""
    n = len(keys)
    if n > MAX_ROWS:
        parts = -(-n // SPLIT_ROWS)
        size = -(-n // parts)
        out: list[tuple[list[bytes], list[Any], bytes]] = []
        for s in range(0, n, size):
            out += _pack(keys[s : s + size], vals[s : s + size])
        return out
    blob = marshal.dumps((keys, vals), 4)
    if len(blob) > MAX_BYTES and n > 1:
        h = n // 2
        return _pack(keys[:h], vals[:h]) + _pack(keys[h:], vals[h:])
    return [(keys, vals, blob)]


class Blocks:
    """The blocks of every global in the SQLite connection ``db`` (its ``blocks`` table)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._dirs: dict[str, list[bytes]] = {}
        self._cache: dict[str, dict[bytes, _Block]] = {}
        self._cached = 0
        self._bytes = 0

    # ------------------------------------------------------------------ plumbing

    def forget(self) -> None:
        """Drop every directory and decoded block (another process may have written)."""
        self._dirs.clear()
        self._cache.clear()
        self._cached = 0
        self._bytes = 0

    def _dir(self, g: str) -> list[bytes]:
        d = self._dirs.get(g)
        if d is None:
            rows = self._db.execute("SELECT k0 FROM blocks WHERE g = ? ORDER BY k0", (g,))
            d = self._dirs[g] = [r[0] for r in rows]
        return d

    def _block(self, g: str, k0: bytes) -> _Block:
        c = self._cache.get(g)
        if c is not None:
            b = c.get(k0)
            if b is not None:
                return b
        row = self._db.execute("SELECT data FROM blocks WHERE g = ? AND k0 = ?", (g, k0)).fetchone()
        if row is None:
            raise _Stale
        keys, vals = marshal.loads(row[0])
        b = (keys, vals)
        self._remember(g, k0, b, len(row[0]))
        return b

    def _remember(self, g: str, k0: bytes, b: _Block, size: int) -> None:
        c = self._cache.get(g)
        if c is None:
            c = self._cache[g] = {}
        self._bytes += size
        if k0 not in c:
            self._cached += 1
        if self._cached > CACHE_BLOCKS or self._bytes > CACHE_BYTES:
            self._cache.clear()
            c = self._cache[g] = {}
            self._cached = 1
            self._bytes = size
        c[k0] = b

    def _drop(self, g: str, k0: bytes) -> None:
        c = self._cache.get(g)
        if c is not None and c.pop(k0, None) is not None:
            self._cached -= 1

    def _retry(self, op: Callable[[], _T]) -> _T:
        """Run a read; once more on a fresh cache if another process changed the global."""
        try:
            return op()
        except _Stale:
            self.forget()
        try:
            return op()
        except _Stale:
            self.forget()
            raise sqlite3.OperationalError("a global changed while it was read") from None

    # ------------------------------------------------------------------ reads

    def get(self, g: str, k: bytes) -> Any:
        """The value at ``k``, None if there is none."""
        return self._retry(lambda: self._get(g, k))

    def _get(self, g: str, k: bytes) -> Any:
        d = self._dir(g)
        j = bisect_right(d, k) - 1
        if j < 0:
            return None
        keys, vals = self._block(g, d[j])
        p = bisect_left(keys, k)
        if p < len(keys) and keys[p] == k:
            return vals[p]
        return None

    def scan(
        self,
        g: str,
        lo: bytes,
        hi: bytes,
        limit: int | None = None,
        *,
        include_lo: bool = False,
        desc: bool = False,
    ) -> list[bytes]:
        """The keys between ``lo`` and ``hi`` (``lo < k < hi``, or ``lo <= k`` with
        ``include_lo``), ascending or (``desc``) descending, at most ``limit``."""
        if desc:
            return self._retry(lambda: self._scan_desc(g, lo, hi, limit))
        return self._retry(lambda: self._scan(g, lo, hi, limit, include_lo, False)[0])

    def items(self, g: str, lo: bytes, hi: bytes) -> list[tuple[bytes, Any]]:
        """Every (key, value) with ``lo <= key < hi``, in key order."""
        keys, vals = self._retry(lambda: self._scan(g, lo, hi, None, True, True))
        return list(zip(keys, vals, strict=True))

    def _scan(
        self, g: str, lo: bytes, hi: bytes, limit: int | None, include_lo: bool, values: bool
    ) -> tuple[list[bytes], list[Any]]:
        d = self._dir(g)
        out: list[bytes] = []
        outv: list[Any] = []
        j = max(bisect_right(d, lo) - 1, 0)
        first = True
        while j < len(d) and d[j] < hi:
            keys, vals = self._block(g, d[j])
            if first:
                p = bisect_left(keys, lo) if include_lo else bisect_right(keys, lo)
                first = False
            else:
                p = 0
            q = bisect_left(keys, hi, p)
            if limit is not None and q - p > limit - len(out):
                q = p + limit - len(out)
            out += keys[p:q]
            if values:
                outv += vals[p:q]
            if q < len(keys) or (limit is not None and len(out) >= limit):
                break
            j += 1
        return out, outv

    def _scan_desc(self, g: str, lo: bytes, hi: bytes, limit: int | None) -> list[bytes]:
        d = self._dir(g)
        out: list[bytes] = []
        j = bisect_left(d, hi) - 1
        first = True
        while j >= 0:
            keys, _ = self._block(g, d[j])
            q = bisect_left(keys, hi) if first else len(keys)
            first = False
            p = bisect_right(keys, lo, 0, q)
            if limit is not None and q - p > limit - len(out):
                p = q - (limit - len(out))
            out += reversed(keys[p:q])
            if p > 0 or d[j] <= lo or (limit is not None and len(out) >= limit):
                break
            j -= 1
        return out

    def names(self) -> list[str]:
        """The globals that have nodes, in name order."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT g FROM blocks ORDER BY g")]

    # ------------------------------------------------------------------ writes (inside the
    # caller's write transaction)

    def put_many(self, g: str, items: dict[bytes, Any]) -> None:
        """Set every key of ``items`` to its value."""
        if not items:
            return
        ks = sorted(items)
        get = items.__getitem__
        d = self._dir(g)
        if not d:
            d.append(b"")
            self._remember(g, b"", ([], []), 0)
        i, n = 0, len(ks)
        while i < n:
            j = bisect_right(d, ks[i]) - 1
            m = n if j + 1 == len(d) else bisect_left(ks, d[j + 1], i)
            keys, vals = self._block(g, d[j])
            if not keys or ks[i] > keys[-1]:  # appended: the common case of a loop's SETs
                keys += ks[i:m]
                vals += map(get, ks[i:m])
            elif m - i <= 16:
                for t in range(i, m):
                    k = ks[t]
                    p = bisect_left(keys, k)
                    if p < len(keys) and keys[p] == k:
                        vals[p] = get(k)
                    else:
                        keys.insert(p, k)
                        vals.insert(p, get(k))
            else:
                merged = dict(zip(keys, vals, strict=True))
                for k in ks[i:m]:
                    merged[k] = get(k)
                keys[:] = sorted(merged)
                vals[:] = map(merged.__getitem__, keys)
            self._store(g, d, j, keys, vals)
            i = m

    def delete(self, g: str, k: bytes) -> Any:
        """Remove the node at ``k``; its old value, None if there was none."""
        d = self._dir(g)
        j = bisect_right(d, k) - 1
        if j < 0:
            return None
        keys, vals = self._block(g, d[j])
        p = bisect_left(keys, k)
        if p == len(keys) or keys[p] != k:
            return None
        old = vals[p]
        del keys[p]
        del vals[p]
        self._store(g, d, j, keys, vals)
        self._tidy(g, d)
        return old

    def delete_range(self, g: str, lo: bytes, hi: bytes, collect: bool = False) -> list[Any]:
        """Remove every node with ``lo <= key < hi``; with ``collect`` return them as
        (key, value) pairs in key order."""
        d = self._dir(g)
        if not d:
            return []
        removed: list[Any] = self.items(g, lo, hi) if collect else []
        if lo == b"" and hi == b"\xff":  # the whole global
            self._db.execute("DELETE FROM blocks WHERE g = ?", (g,))
            d.clear()
            dropped = self._cache.pop(g, None)
            if dropped:
                self._cached -= len(dropped)
            return removed
        j0 = bisect_right(d, lo) - 1
        j1 = bisect_left(d, hi) - 1  # the last block that can hold a key below hi
        if j1 > j0 + 1:  # the blocks between: wholly inside the range
            self._db.execute(
                "DELETE FROM blocks WHERE g = ? AND k0 > ? AND k0 < ?", (g, d[j0], d[j1])
            )
            for k0 in d[j0 + 1 : j1]:
                self._drop(g, k0)
            del d[j0 + 1 : j1]
            j1 = j0 + 1
        if j1 > j0:  # the last block: its keys are all above lo
            keys, vals = self._block(g, d[j1])
            q = bisect_left(keys, hi)
            if q:
                del keys[:q]
                del vals[:q]
                self._store(g, d, j1, keys, vals)
        keys, vals = self._block(g, d[j0])
        p = bisect_left(keys, lo)
        q = bisect_left(keys, hi, p)
        if q > p:
            del keys[p:q]
            del vals[p:q]
            self._store(g, d, j0, keys, vals)
        self._tidy(g, d)
        return removed

    def clear(self) -> None:
        """Remove every global."""
        self._db.execute("DELETE FROM blocks")
        self.forget()

    def _store(self, g: str, d: list[bytes], j: int, keys: list[bytes], vals: list[Any]) -> None:
        """Write block ``j`` of ``g`` (``d`` its directory) after a change: removed when
        empty (but for the first), split when past the limits."""
        k0 = d[j]
        if not keys:
            if k0:
                self._db.execute("DELETE FROM blocks WHERE g = ? AND k0 = ?", (g, k0))
                self._drop(g, k0)
                del d[j]
            else:
                self._db.execute(_PUT, (g, k0, marshal.dumps((keys, vals), 4)))
            return
        packed = _pack(keys, vals)
        if len(packed) == 1:
            self._db.execute(_PUT, (g, k0, packed[0][2]))
            self._remember(g, k0, (keys, vals), len(packed[0][2]))
            return
        rows = []
        bounds = []
        for i, (ck, cv, blob) in enumerate(packed):
            b0 = k0 if i == 0 else ck[0]
            rows.append((g, b0, blob))
            self._remember(g, b0, (ck, cv), len(blob))
            if i:
                bounds.append(b0)
        self._db.executemany(_PUT, rows)
        d[j + 1 : j + 1] = bounds

    def _tidy(self, g: str, d: list[bytes]) -> None:
        """A global left with only an empty first block is gone."""
        if len(d) == 1 and not self._block(g, d[0])[0]:
            self._db.execute("DELETE FROM blocks WHERE g = ?", (g,))
            self._drop(g, d[0])
            d.clear()


def migrate_rows(blocks: Blocks, rows: Iterable[tuple[str, bytes, Any]]) -> None:
    """Load (global, key, value) rows (grouped by global) into ``blocks``."""
    current: str | None = None
    batch: dict[bytes, Any] = {}
    for g, k, v in rows:
        if g != current:
            if current is not None:
                blocks.put_many(current, batch)
            current, batch = g, {}
        batch[k] = v
    if current is not None:
        blocks.put_many(current, batch)
