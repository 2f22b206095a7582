"""Globals: the persistent variables of a namespace, kept in one SQLite file.

Storage. Every node is a (key, value) pair of its global: ``k`` the subscripts encoded as
bytes whose byte order is ObjectScript collation (the unsubscripted node is ``b""``), the
value a ``str``, an ``int`` within 64 bits, or ``bytes`` with a one-byte tag for everything
else, so ``str``/``int``/``Decimal``/``float`` come back as they went in. The pairs of a
global are kept sorted in blocks of a few hundred, one SQLite row per block (blocks.py), as
IRIS keeps a global in the blocks of a B-tree; a file of the first layout (one row per node
in a ``globals`` table) is converted when it is opened.

Key encoding (each subscript self-delimiting, so a key's children are exactly the keys that
extend it, and they sort right after it):

- ``0x10`` negative number: 2 bytes ``0x8000 - exponent``, the same digits complemented
  (``9 - d`` as ASCII), ``0xFF``;
- ``0x20`` zero;
- ``0x30`` positive number: 2 bytes ``0x8000 + exponent``, the digits as ASCII from the
  first non-zero one (an integer keeps its trailing zeros, so its digits are its text),
  ``0x00`` (the exponent is the number of digits before the point: 123 → 3, .05 → -1);
  at equal exponents an integer's digits end where a fraction's continue, and ``0x00``
  sorts below every digit, so byte order is numeric order;
- ``0x40`` string: UTF-8 (``surrogatepass``) with ``0x01``→``0x01 0x02`` and
  ``0x00``→``0x01 0x01``, then ``0x00``.

Every continuation starts with a tag byte below ``0xFF``, so ``key + b"\\xff"`` bounds a
subtree: ``$DATA``, ``$ORDER``, ``$QUERY`` and ``KILL`` are index range scans.

Writes (the batched mode the benchmark measures). ``SET`` goes to an in-memory write-behind
buffer; the buffer is pushed into an open SQLite write transaction (``executemany``) before
any range read, and that transaction is committed by ``flush()`` — which the executor calls at
the end of each command line and before ``HANG``/``READ``/``JOB`` — and automatically when
the uncommitted work is older than ``commit_interval`` seconds (checked every 128 SETs and
every 64 ``$ORDER``/``$QUERY`` calls), on ``LOCK``, ``$INCREMENT``, ``TCOMMIT``,
``TROLLBACK`` and ``close()``; more than ``buffer_limit`` buffered SETs are pushed early.
Point reads see the buffer, so a process always reads its own writes; other processes see
them once committed (at the end of the line, or ``commit_interval`` later in a long loop
that keeps writing). While a write transaction is open other writers wait (``busy_timeout``),
so the executor must flush before anything that blocks.

Reads. ``$ORDER`` fetches siblings ahead in batches (32 rows, doubling to 4096) and answers a
walk from that batch (a batch of top-level positive integers is decoded in bulk, with regular
expressions over the joined keys); ``$QUERY`` likewise. A batch is dropped when this process writes
something that may change it, and when another process has committed: ``PRAGMA
data_version`` is checked at every ``flush()`` and every 64 reads (at most every 10 ms).

Transactions (``tstart``/``tcommit``/``trollback``, ``tlevel``) keep an undo log like IRIS's
journal: changes are visible to other processes at once and TROLLBACK restores the old
values. ``$INCREMENT`` is not rolled back (IRIS: TROLLBACK does not undo ``$INCREMENT``).
Unlocks inside a transaction are deferred to its end (IRIS LOCK: locks released within a
transaction are held until it ends).

LOCK: a ``locks`` table shared by every process using the file; a lock conflicts with a lock
of another owner on the same node, an ancestor or a descendant, unless both are shared
(``#"S"``). Exclusive, shared and escalating (``#"E"``) locks on one name are separate locks
with their own counts; escalating locks on the children of one node are replaced by one lock
on the node past ``lock_threshold``. Inside a transaction a released level stays held until
the transaction ends (``#"I"`` releases at once). Owners are one per ``GlobalStore``
(``pid:token``); locks of processes that no longer exist are removed when they get in the way
and when a store opens; the table is transient, so a file whose ``locks`` table has another
layout gets a new one when a store opens.
"""

from __future__ import annotations

import os
import re
import sqlite3
import struct
import time
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from compiler_stub.runtime.blocks import SCHEMA as _BLOCKS_SCHEMA
from compiler_stub.runtime.blocks import Blocks, migrate_rows
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.values import add, is_canonic, to_str
from compiler_stub.runtime.variables import MISSING, direction, format_ref, zwrite_lines

__all__ = ["GlobalNode", "GlobalStore", "decode_subs", "encode_subs"]

_NEG = 0x10
_ZERO = 0x20
_POS = 0x30
_STR = 0x40
_END = b"\xff"
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1
_TOP = {1: ((), 1), -1: ((), -1)}
_TOP1 = _TOP[1]
_COMPLEMENT = bytes.maketrans(b"0123456789", b"9876543210")

# --------------------------------------------------------------------------- key encoding


def _number_parts(s: str) -> tuple[bool, int, str]:
    """(negative, exponent, significant digits) of a canonical number other than 0."""
    neg = s[0] == "-"
    body = s[1:] if neg else s
    ip, _, fp = body.partition(".")
    digits = ip + fp
    stripped = digits.lstrip("0")
    exp = len(ip) - (len(digits) - len(stripped))
    return neg, exp, stripped


_POS_HEAD = [b"\x30" + (0x8000 + n).to_bytes(2, "big") for n in range(20)]


def encode_sub(s: str) -> bytes:
    """The collating byte form of one subscript (``<SUBSCRIPT>`` for "")."""
    if len(s) < 19 and s.isdigit() and s.isascii() and s[0] != "0":
        return _POS_HEAD[len(s)] + s.encode() + b"\x00"
    return _encode_other(s)


@lru_cache(maxsize=1 << 16)
def _encode_other(s: str) -> bytes:
    if s == "":
        raise ObjectScriptError("SUBSCRIPT")
    if s == "0":
        return b"\x20"
    if len(s) <= 200 and is_canonic(s):
        neg, exp, digits = _number_parts(s)
        if neg:
            return (
                b"\x10"
                + (0x8000 - exp).to_bytes(2, "big")
                + digits.encode().translate(_COMPLEMENT)
                + _END
            )
        return b"\x30" + (0x8000 + exp).to_bytes(2, "big") + digits.encode() + b"\x00"
    raw = s.encode("utf-8", "surrogatepass")
    if b"\x01" in raw or b"\x00" in raw:
        raw = raw.replace(b"\x01", b"\x01\x02").replace(b"\x00", b"\x01\x01")
    return b"\x40" + raw + b"\x00"


# a run of top-level keys, each one positive integer below 10**18 (its digits are its text)
_INT_KEYS = re.compile(rb"(?:\x30\x80[\x01-\x12][0-9]+\x00)*")
_INT_LENGTHS = re.compile(rb"\x30\x80([\x01-\x12])")
_INT_DIGITS = re.compile(rb"\x30\x80[\x01-\x12]([0-9]+)\x00")


def _top_ints(rows: list[bytes]) -> list[str] | None:
    """The subscripts of ``rows`` (keys of one subscript each) when every key is a positive
    integer's, decoded in bulk; None otherwise (decode one by one)."""
    blob = b"".join(rows)
    n = len(rows)
    if blob.count(0) != n or _INT_KEYS.fullmatch(blob) is None:
        return None  # not n single positive integers (each holds exactly one 0x00)
    # an element's length byte equals its digit count for an integer and is smaller for a
    # fraction: equal sums mean integers only
    if sum(b"".join(_INT_LENGTHS.findall(blob))) != len(blob) - 4 * n:
        return None
    return b"\n".join(_INT_DIGITS.findall(blob)).decode("ascii").split("\n")


def encode_subs(subs: tuple[str, ...]) -> bytes:
    """The key of a node: its subscripts' encodings concatenated."""
    if len(subs) == 1:
        return encode_sub(subs[0])
    return b"".join([encode_sub(s) for s in subs])


def _elem_end(k: bytes, p: int) -> int:
    """Where the subscript encoded at ``k[p:]`` ends."""
    tag = k[p]
    if tag in (_POS, _STR):
        return k.index(0, p + (3 if tag == _POS else 1)) + 1
    if tag == _ZERO:
        return p + 1
    return k.index(0xFF, p + 3) + 1


def _number_text(neg: bool, exp: int, digits: str) -> str:
    n = len(digits)
    if exp >= n:
        text = digits + "0" * (exp - n)
    elif exp > 0:
        text = digits[:exp] + "." + digits[exp:]
    else:
        text = "." + "0" * -exp + digits
    return "-" + text if neg else text


def _decode_elem(k: bytes, p: int, end: int) -> str:
    tag = k[p]
    if tag == _POS:
        exp = ((k[p + 1] << 8) | k[p + 2]) - 0x8000
        digits = k[p + 3 : end - 1].decode("ascii")
        if exp >= len(digits) and exp < 19:
            return digits + "0" * (exp - len(digits))
        return _number_text(False, exp, digits)
    if tag == _STR:
        raw = k[p + 1 : end - 1]
        if b"\x01" in raw:
            raw = raw.replace(b"\x01\x01", b"\x00").replace(b"\x01\x02", b"\x01")
        return raw.decode("utf-8", "surrogatepass")
    if tag == _ZERO:
        return "0"
    exp = 0x8000 - ((k[p + 1] << 8) | k[p + 2])
    digits = k[p + 3 : end - 1].translate(_COMPLEMENT).decode("ascii")
    return _number_text(True, exp, digits)


def decode_subs(k: bytes, start: int = 0) -> tuple[str, ...]:
    """The subscripts of a key (from byte ``start``)."""
    out: list[str] = []
    p = start
    n = len(k)
    while p < n:
        end = _elem_end(k, p)
        out.append(_decode_elem(k, p, end))
        p = end
    return tuple(out)


# --------------------------------------------------------------------------- values


def _dbval(v: Any) -> Any:
    """A value as stored."""
    t = type(v)
    if t is str:
        if v.isascii():
            return v
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return b"S" + v.encode("utf-8", "surrogatepass")
        return v
    if t is int:
        if _INT_MIN <= v <= _INT_MAX:
            return v
        return b"I" + str(v).encode()
    if t is Decimal:
        return b"D" + str(v).encode()
    if t is float:
        return b"F" + struct.pack(">d", v)
    return to_str(v)


def _pyval(x: Any) -> Any:
    """A stored value back as the runtime's value."""
    if type(x) is not bytes:
        return x
    tag = x[:1]
    body = x[1:]
    if tag == b"D":
        return Decimal(body.decode())
    if tag == b"I":
        return int(body)
    if tag == b"F":
        return struct.unpack(">d", body)[0]
    return body.decode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- the store

_SCHEMA = (
    _BLOCKS_SCHEMA,
    "CREATE TABLE IF NOT EXISTS locks ("
    " g TEXT NOT NULL, k BLOB NOT NULL, owner TEXT NOT NULL, mode TEXT NOT NULL,"
    " pid INTEGER NOT NULL, n INTEGER NOT NULL, dn INTEGER NOT NULL DEFAULT 0,"
    " up INTEGER NOT NULL DEFAULT 0, imm INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (g, k, owner, mode)) WITHOUT ROWID",
)
#: the owners of locks in the way of a lock on ``:k`` (``:x`` 1 for an exclusive one): on
#: the node, an ancestor or a descendant, any lock of another owner for an exclusive lock,
#: its exclusive locks for a shared one
_CONFLICTS = (
    "SELECT DISTINCT owner, pid FROM locks WHERE g = :g AND owner <> :o"
    " AND (:x OR substr(mode, 1, 1) = 'X')"
    " AND (length(k) = 0 OR length(:k) = 0"
    "  OR k = substr(:k, 1, length(k)) OR substr(k, 1, length(:k)) = :k)"
)


class _NodeCache(dict[str, Any]):
    """Global nodes by name; a name not seen yet is looked up with ``glob``."""

    __slots__ = ("_glob",)

    def __init__(self, glob: Any) -> None:
        super().__init__()
        self._glob = glob

    def __missing__(self, name: str) -> Any:
        node = self[name] = self._glob(name)
        return node


class _Run:
    """A batch of consecutive answers read ahead: ``items[0]`` is where the batch started
    (a subscript, or the subscripts of a ``$QUERY``), each next item follows the one before.
    ``hint`` is the index answered last, so a walk needs no look-up; ``pos`` (built on
    demand) finds any other item."""

    __slots__ = ("items", "pos", "hint", "done", "limit", "last_key")

    def __init__(self, items: list[Any], done: bool, limit: int, last: bytes) -> None:
        self.items = items
        self.pos: dict[Any, int] | None = None
        self.hint = 0
        self.done = done
        self.limit = limit
        self.last_key = last

    def index(self, s: Any) -> int:
        """Where ``s`` is in the batch, -1 if it is not."""
        items = self.items
        if items[self.hint] == s:
            return self.hint
        pos = self.pos
        if pos is None:
            pos = self.pos = dict(zip(items, range(len(items)), strict=True))
        return pos.get(s, -1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class GlobalStore:
    """The globals of one namespace in the SQLite file at ``path``."""

    def __init__(
        self,
        path: str | Path,
        *,
        commit_interval: float = 0.1,
        busy_timeout: float = 60.0,
        buffer_limit: int = 50_000,
    ) -> None:
        self.path = str(path)
        self.commit_interval = commit_interval
        self.buffer_limit = buffer_limit
        db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
        )
        self._db = db
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        self._blocks = Blocks(db)
        db.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _SCHEMA:
                db.execute(stmt)
            self._migrate()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        # the write-behind buffer: per global, key -> stored value (shared with the nodes)
        self._pend: dict[str, dict[bytes, Any]] = {}
        self.buffered = False  # something is in the buffer
        self._in_txn = False
        self._dirty_at = 0.0
        self.nput = 0  # SETs: every 128th checks whether to commit
        # read-ahead batches per global (each dict is also its GlobalNode's ``runs``/``qruns``)
        self._ocache: dict[str, dict[tuple[tuple[str, ...], int], _Run]] = {}
        self._qcache: dict[str, dict[int, _Run]] = {}
        self.reads = 0  # $ORDER/$QUERY calls: every 64th checks for other processes' commits
        self._dv = self._data_version()
        self._dv_at = time.monotonic()
        self.tlevel = 0  # $TLEVEL
        self._undo: list[tuple[Any, ...]] = []
        self._marks: list[tuple[int, set[tuple[str, bytes]]]] = []
        self._seen: set[tuple[str, bytes]] = set()
        self._deferred: list[tuple[str, bytes] | None] = []
        self._pid = os.getpid()
        self.owner = f"{self._pid}:{uuid.uuid4().hex[:12]}"
        self._nodes: dict[str, GlobalNode] = {}
        #: ``nodes[name]``: the same as ``glob(name)`` without a call once a name was seen
        #: (the translator's one-subscript fast paths index it)
        self.nodes = _NodeCache(self.glob)
        self._closed = False
        self._reap_dead()

    # ------------------------------------------------------------------ plumbing

    def _migrate(self) -> None:
        """A file of the first layout (one row per node in ``globals``) into blocks."""
        db = self._db
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'globals'").fetchone() is None:
            return
        migrate_rows(self._blocks, db.execute("SELECT g, k, v FROM globals ORDER BY g, k"))
        db.execute("DROP TABLE globals")

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _begin(self) -> None:
        if not self._in_txn:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_txn = True
            if not self._dirty_at:
                self._dirty_at = time.monotonic()
            # the blocks read before may be another process's old ones: writes must merge
            # into what is committed now
            dv = self._data_version()
            if dv != self._dv:
                self._dv = dv
                self._forget_all()

    def _sync(self) -> None:
        """Push the write-behind buffer into the open write transaction."""
        if not self.buffered:
            return
        self._begin()
        try:
            for g, pend in self._pend.items():
                if pend:
                    self._blocks.put_many(g, pend)
                    pend.clear()
        except BaseException:
            self._blocks.forget()
            raise
        self.buffered = False

    def flush(self) -> None:
        """Write the buffer and commit: every change so far is visible to other processes."""
        self._sync()
        if self._in_txn:
            self._db.execute("COMMIT")
            self._in_txn = False
        self._dirty_at = 0.0
        self._check_foreign()

    def tick(self) -> None:
        """Commit uncommitted work that has waited ``commit_interval``; drop read-ahead
        batches if another process committed since they were read."""
        now = time.monotonic()
        if self._dirty_at and now - self._dirty_at > self.commit_interval:
            self.flush()
        elif now - self._dv_at > 0.01:
            self._check_foreign()

    def _check_foreign(self) -> None:
        """Drop the read-ahead batches if another process committed since."""
        self._dv_at = time.monotonic()
        dv = self._data_version()
        if dv != self._dv:
            self._dv = dv
            self._forget_all()

    def _forget_all(self) -> None:
        self._blocks.forget()
        for runs in self._ocache.values():
            runs.clear()
        for qruns in self._qcache.values():
            qruns.clear()

    def _forget(self, g: str) -> None:
        runs = self._ocache.get(g)
        if runs:
            runs.clear()
        qruns = self._qcache.get(g)
        if qruns:
            qruns.clear()

    def batches_of(
        self, g: str
    ) -> tuple[dict[tuple[tuple[str, ...], int], _Run], dict[int, _Run], dict[bytes, Any]]:
        """The read-ahead batch dicts and the write buffer of global ``g`` (shared with its
        ``GlobalNode``)."""
        runs = self._ocache.get(g)
        if runs is None:
            runs = self._ocache[g] = {}
        qruns = self._qcache.get(g)
        if qruns is None:
            qruns = self._qcache[g] = {}
        pend = self._pend.get(g)
        if pend is None:
            pend = self._pend[g] = {}
        return runs, qruns, pend

    def close(self) -> None:
        """Commit, release this owner's locks, close the file."""
        if self._closed:
            return
        try:
            self.flush()
            self._db.execute("DELETE FROM locks WHERE owner = ?", (self.owner,))
        finally:
            self._db.close()
            self._closed = True

    def __enter__(self) -> GlobalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ nodes

    def glob(self, name: str) -> GlobalNode:
        """The global ``^name`` (``name`` with or without the caret)."""
        node = self._nodes.get(name)  # by the name as asked (generated code: no caret)
        if node is None:
            g = name[1:] if name.startswith("^") else name
            node = self._nodes.get(g)
            if node is None:
                node = self._nodes[g] = GlobalNode(self, g)
            self._nodes[name] = node
        return node

    def names(self) -> list[str]:
        """The names of the globals that exist (without ``^``), in collation order."""
        self._sync()
        return self._blocks.names()

    def kill_everything(self) -> None:
        """Remove every global of the namespace (a namespace reset)."""
        self._sync()
        self._begin()
        self._blocks.clear()
        self._forget_all()
        self._undo.clear()
        self.flush()

    def zwrite(self, name: str, subs: tuple[str, ...] = ()) -> list[str]:
        """``ZWRITE ^name(subs)``."""
        node = self.glob(name)
        return zwrite_lines(node.name, node, subs)

    # ------------------------------------------------------------------ primitive operations

    def write(self, g: str, k: bytes, v: Any, subs: tuple[str, ...]) -> None:
        """``SET``: into the write-behind buffer."""
        t = type(v)
        if t is int:
            if not _INT_MIN <= v <= _INT_MAX:
                v = _dbval(v)
        elif t is not str or not v.isascii():
            v = _dbval(v)  # an oref is stored as its string form, as IRIS does
        if self.tlevel:
            self._record(g, k)
        if not self._dirty_at:
            self._dirty_at = time.monotonic()
        pend = self._pend.get(g)
        if pend is None:
            pend = self.batches_of(g)[2]
        pend[k] = v
        self.buffered = True
        runs = self._ocache.get(g)
        if runs:
            self._touch(runs, subs)
        qruns = self._qcache.get(g)
        if qruns:
            qruns.clear()
        self.nput += 1
        if not self.nput & 127:
            self.after_puts()

    def after_puts(self) -> None:
        """Every 128 SETs: bound the buffer, commit when due."""
        if sum(map(len, self._pend.values())) >= self.buffer_limit:
            self._sync()
        self.tick()

    @staticmethod
    def _touch(runs: dict[tuple[tuple[str, ...], int], _Run], subs: tuple[str, ...]) -> None:
        """Drop the ``$ORDER`` batches a new node at ``subs`` could change."""
        n = len(subs)
        for key in list(runs):
            parent = key[0]
            m = len(parent)
            if m < n and subs[:m] == parent and runs[key].index(subs[m]) < 0:
                del runs[key]

    def read(self, g: str, k: bytes) -> Any:
        pend = self._pend.get(g)
        if pend:
            v = pend.get(k, MISSING)
            if v is not MISSING:
                return _pyval(v)
        self.reads += 1
        if not self.reads & 63:  # a loop polling a node sees other processes' commits
            self.tick()
        v = self._blocks.get(g, k)
        if v is None:
            return MISSING
        return _pyval(v)

    def data_at(self, g: str, k: bytes) -> int:
        if self.buffered:
            self._sync()
        self.reads += 1
        if not self.reads & 63:
            self.tick()
        rows = self._blocks.scan(g, k, k + _END, 2, include_lo=True)
        if not rows:
            return 0
        has_value = rows[0] == k
        has_kids = len(rows) > 1 or not has_value
        return (1 if has_value else 0) + (10 if has_kids else 0)

    def kill_at(self, g: str, k: bytes, value_only: bool = False) -> None:
        self._sync()
        self._begin()
        try:
            if value_only:
                if self.tlevel:
                    self._record(g, k)
                self._blocks.delete(g, k)
            else:
                rows = self._blocks.delete_range(g, k, k + _END, collect=bool(self.tlevel))
                if rows:
                    self._undo.append(("rows", g, rows))
        except BaseException:
            self._blocks.forget()
            raise
        self._forget(g)
        self.tick()

    def increment_at(self, g: str, k: bytes, by: Any) -> Any:
        self._sync()
        self._begin()
        try:
            old = self._blocks.get(g, k)
            new = add(0 if old is None else _pyval(old), by)
            self._blocks.put_many(g, {k: _dbval(new)})
        except BaseException:
            self._blocks.forget()
            self.flush()
            raise
        self._forget(g)
        self.flush()
        return new

    def order_at(self, g: str, parent: tuple[str, ...], s: str, d: int) -> str:
        """``$ORDER`` of ``^g(parent..., s)``."""
        if self.buffered:
            self._sync()
        self.reads += 1
        if not self.reads & 63:
            self.tick()
        runs = self._ocache.get(g)
        if runs is not None:
            run = runs.get((parent, d) if parent else _TOP[d])
            if run is not None:
                i = run.index(s)
                if i >= 0:
                    i += 1
                    items = run.items
                    if i < len(items):
                        run.hint = i
                        return items[i]  # type: ignore[no-any-return]
                    if run.done:
                        return ""
                    return self._order_fetch(g, parent, d, s, run.last_key, run.limit * 2)
        prefix = encode_subs(parent) if parent else b""
        start = prefix + encode_sub(s) if s != "" else None
        return self._order_fetch(g, parent, d, s, start, 32)

    def _order_fetch(
        self,
        g: str,
        parent: tuple[str, ...],
        d: int,
        s: str,
        start: bytes | None,
        limit: int,
    ) -> str:
        limit = min(limit, 4096)
        prefix = encode_subs(parent) if parent else b""
        hi = prefix + _END
        if d == 1:
            lo = prefix if start is None else start + _END
            rows = self._blocks.scan(g, lo, hi, limit)
        else:
            rows = self._blocks.scan(g, prefix, hi if start is None else start, limit, desc=True)
        done = len(rows) < limit
        p = len(prefix)
        items: list[str] = [s]
        last = b""
        ints = _top_ints(rows) if not p and rows else None
        if ints is not None:  # children of the top, every one a positive integer
            items.extend(ints)
            last = rows[-1]
            rows = []
        append = items.append
        for k in rows:
            if k[p] == _POS:  # inline: the commonest subscripts are positive integers
                end = k.index(0, p + 3) + 1
                ek = k if end == len(k) else k[:end]
                if ek == last:
                    continue
                last = ek
                text = k[p + 3 : end - 1].decode("ascii")
                if len(text) != ((k[p + 1] << 8) | k[p + 2]) - 0x8000:
                    text = _decode_elem(k, p, end)
                append(text)
                continue
            end = _elem_end(k, p)
            ek = k if end == len(k) else k[:end]
            if ek == last:
                continue
            last = ek
            append(_decode_elem(k, p, end))
        runs = self._ocache.get(g)
        if runs is None:
            runs = self._ocache[g] = {}
        elif len(runs) > 64:
            runs.clear()
        run = _Run(items, done, limit, last)
        runs[(parent, d) if parent else _TOP[d]] = run
        if len(items) > 1:
            run.hint = 1
            return items[1]
        return ""

    def query_at(self, g: str, subs: tuple[str, ...], d: int) -> tuple[str, ...] | None:
        """``$QUERY`` of ``^g(subs)``."""
        if self.buffered:
            self._sync()
        self.reads += 1
        if not self.reads & 63:
            self.tick()
        runs = self._qcache.get(g)
        limit = 32
        if runs is not None:
            run = runs.get(d)
            if run is not None:
                i = run.index(subs)
                if i >= 0:
                    i += 1
                    if i < len(run.items):
                        run.hint = i
                        return run.items[i]  # type: ignore[no-any-return]
                    if run.done:
                        return None
                    limit = min(run.limit * 2, 4096)
        if subs and subs[-1] == "":
            k = encode_subs(subs[:-1]) if len(subs) > 1 else b""
            if d == -1:
                k += _END
        else:
            k = encode_subs(subs) if subs else b""
        if d == 1:
            rows = self._blocks.scan(g, k, _END, limit)
        else:
            rows = self._blocks.scan(g, b"", k, limit, desc=True)
        items: list[Any] = [subs]
        items.extend(map(decode_subs, rows))
        if runs is None:
            runs = self._qcache[g] = {}
        run = _Run(items, len(rows) < limit, limit, rows[-1] if rows else b"")
        runs[d] = run
        if len(items) > 1:
            run.hint = 1
            return items[1]  # type: ignore[no-any-return]
        return None

    def walk_at(self, g: str, k: bytes) -> Iterator[tuple[tuple[str, ...], Any]]:
        self._sync()
        rows = self._blocks.items(g, k, k + _END)
        p = len(k)
        for key, v in rows:
            yield decode_subs(key, p), _pyval(v)

    def copy_in(
        self, g: str, k: bytes, subs: tuple[str, ...], items: list[tuple[tuple[str, ...], Any]]
    ) -> None:
        """MERGE's writes: each (relative subscripts, value) of ``items`` under ``(g, k)``."""
        if self.tlevel:
            for rel, v in items:
                self.write(g, k + (encode_subs(rel) if rel else b""), v, subs + rel)
            return
        self._sync()
        self._begin()
        try:
            self._blocks.put_many(
                g, {k + (encode_subs(rel) if rel else b""): _dbval(v) for rel, v in items}
            )
        except BaseException:
            self._blocks.forget()
            raise
        self._forget(g)
        self.tick()

    # ------------------------------------------------------------------ transactions

    def _record(self, g: str, k: bytes) -> None:
        """Remember the value ``(g, k)`` had before this transaction level changed it."""
        key = (g, k)
        if key in self._seen:
            return
        self._seen.add(key)
        pend = self._pend.get(g)
        if pend:
            v = pend.get(k, MISSING)
            if v is not MISSING:
                self._undo.append(("val", g, k, v))
                return
        self._undo.append(("val", g, k, self._blocks.get(g, k)))

    def tstart(self) -> None:
        """``TSTART``."""
        self._marks.append((len(self._undo), self._seen))
        self._seen = set()
        self.tlevel += 1

    def tcommit(self) -> None:
        """``TCOMMIT``: ends the innermost level; at level 0 the changes are final."""
        if not self.tlevel:
            raise ObjectScriptError("COMMAND")
        _, seen = self._marks.pop()
        self._seen = seen | self._seen
        self.tlevel -= 1
        if not self.tlevel:
            self._undo.clear()
            self._seen = set()
            self.flush()
            self._release_deferred()

    def trollback(self, levels: int = 0) -> None:
        """``TROLLBACK`` (``levels=0``: every level) or ``TROLLBACK 1``."""
        if not self.tlevel:
            return
        if levels == 1:
            mark, seen = self._marks.pop()
            self.tlevel -= 1
        else:
            mark, seen = self._marks[0]
            self._marks.clear()
            self.tlevel = 0
        self._sync()
        self._begin()
        blocks = self._blocks
        try:
            while len(self._undo) > mark:
                entry = self._undo.pop()
                if entry[0] == "val":
                    _, g, k, old = entry
                    if old is None:
                        blocks.delete(g, k)
                    else:
                        blocks.put_many(g, {k: old})
                else:
                    _, g, rows = entry
                    blocks.put_many(g, dict(rows))
        except BaseException:
            blocks.forget()
            raise
        self._seen = seen
        self._forget_all()
        self.flush()
        if not self.tlevel:
            self._seen = set()
            self._release_deferred()

    # ------------------------------------------------------------------ LOCK

    #: escalating locks (``#"E"``) of one owner and mode on the children of one node: once
    #: it holds this many, the next one locks the node itself instead (IRIS's default
    #: lock threshold, 1000)
    lock_threshold = 1000

    #: the ``locks`` table: per lock name (``g`` with ``^`` for a global, ``k`` the encoded
    #: subscripts), owner and mode (``X`` exclusive or ``S`` shared, ``E`` appended for an
    #: escalating lock: the four are independent locks with their own counts) the count
    #: ``n``; ``dn`` of those levels are released inside a transaction and held until it ends
    #: (IRIS's "delock"); ``up`` 1 for a lock made by escalation (its children count on it);
    #: ``imm`` 1 when the last release of the lock in the transaction was immediate
    _LOCK_COLUMNS = ("g", "k", "owner", "mode", "pid", "n", "dn", "up", "imm")

    @staticmethod
    def _lock_keys(refs: Any) -> list[tuple[str, bytes, tuple[str, ...], str, str]]:
        """``(name, key, subscripts, mode, release)`` per reference, ``(name, subs)`` or
        ``(name, subs, locktype)``: the lock type's letters in any order and case, ``S``
        shared, ``E`` escalating (mode ``X``/``S`` with ``E`` appended), ``I`` immediate and
        ``D`` deferred release (``I`` wins); another letter is ``<SYNTAX>``."""
        if refs and isinstance(refs[0], str):
            refs = [refs]
        out = []
        for ref in refs:
            name, subs = ref[0], tuple(ref[1])
            letters = to_str(ref[2]).upper() if len(ref) > 2 else ""
            if not set(letters) <= set("SEID"):
                raise ObjectScriptError("SYNTAX")
            mode = ("S" if "S" in letters else "X") + ("E" if "E" in letters else "")
            release = "I" if "I" in letters else "D" if "D" in letters else ""
            out.append((name, encode_subs(subs) if subs else b"", subs, mode, release))
        return out

    def _reap(self, owners: Iterable[tuple[str, int]]) -> bool:
        """Remove the locks of owners whose process is gone; whether any were."""
        dead = [o for o, pid in owners if pid != self._pid and not _alive(pid)]
        for o in dead:
            self._db.execute("DELETE FROM locks WHERE owner = ?", (o,))
        return bool(dead)

    def _lock_table(self) -> None:
        """Locks are transient: a ``locks`` table of another layout (a file an older version
        wrote) is dropped and made anew."""
        db = self._db

        def columns() -> tuple[str, ...]:
            return tuple(row[1] for row in db.execute("PRAGMA table_info(locks)"))

        if columns() == self._LOCK_COLUMNS:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            if columns() != self._LOCK_COLUMNS:  # not done by another process meanwhile
                db.execute("DROP TABLE IF EXISTS locks")
                db.execute(next(s for s in _SCHEMA if "EXISTS locks (" in s))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _reap_dead(self) -> None:
        self._lock_table()
        owners = self._db.execute("SELECT DISTINCT owner, pid FROM locks").fetchall()
        if owners:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._reap(owners)
            finally:
                self._db.execute("COMMIT")

    def _lock_blockers(self, g: str, k: bytes, mode: str) -> list[tuple[str, int]]:
        """The other owners whose locks keep this one from being taken."""
        args = {"g": g, "o": self.owner, "k": k, "x": mode[0] == "X"}
        return self._db.execute(_CONFLICTS, args).fetchall()

    def _own_lock(self, g: str, k: bytes, mode: str) -> tuple[bytes, int, int, int] | None:
        """This owner's lock of the mode on ``k`` as ``(key, n, dn, imm)``, or else the
        escalated lock on its nearest ancestor that stands for it."""
        db = self._db
        row: tuple[bytes, int, int, int] | None = db.execute(
            "SELECT k, n, dn, imm FROM locks WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
            (g, k, self.owner, mode),
        ).fetchone()
        if row is None and "E" in mode and k:
            row = db.execute(
                "SELECT k, n, dn, imm FROM locks WHERE g = :g AND owner = :o AND mode = :m"
                " AND up = 1 AND length(k) < length(:k) AND k = substr(:k, 1, length(k))"
                " ORDER BY length(k) DESC LIMIT 1",
                {"g": g, "o": self.owner, "m": mode, "k": k},
            ).fetchone()
        return row

    def _lock_level(
        self, g: str, parent: bytes, depth: int, mode: str
    ) -> list[tuple[bytes, int, int]]:
        """This owner's locks of the mode on the children of ``parent`` (``depth``
        subscripts): ``(key, n, dn)``."""
        rows = self._db.execute(
            "SELECT k, n, dn FROM locks WHERE g = ? AND owner = ? AND mode = ?"
            " AND k > ? AND k < ?",
            (g, self.owner, mode, parent, parent + b"\xff"),
        ).fetchall()
        return [r for r in rows if len(decode_subs(r[0])) == depth]

    def _escalation(self, g: str, k: bytes, subs: tuple[str, ...], mode: str) -> bytes | None:
        """The key of the parent an escalating lock on ``k`` locks instead (IRIS: once a
        process holds the threshold's number of escalating locks on the children of a node,
        they are replaced by one lock on the node), or None."""
        if "E" not in mode or not subs or self._own_lock(g, k, mode) is not None:
            return None
        parent = encode_subs(subs[:-1]) if len(subs) > 1 else b""
        (count,) = self._db.execute(
            "SELECT count(*) FROM locks WHERE g = ? AND owner = ? AND mode = ?"
            " AND k > ? AND k < ?",
            (g, self.owner, mode, parent, parent + b"\xff"),
        ).fetchone()
        if count < self.lock_threshold:  # children and deeper: enough to look closer?
            return None
        if len(self._lock_level(g, parent, len(subs), mode)) < self.lock_threshold:
            return None
        return parent

    def _take(
        self, g: str, k: bytes, subs: tuple[str, ...], mode: str, parent: bytes | None
    ) -> None:
        """One level more of this owner's lock (inside the write transaction): on ``k``, on
        the escalated ancestor lock that stands for it, or (``parent``) on the parent the
        sibling locks escalate to, their counts moving onto it."""
        db = self._db
        o = self.owner
        if parent is not None:
            rows = self._lock_level(g, parent, len(subs), mode)
            db.executemany(
                "DELETE FROM locks WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
                [(g, rk, o, mode) for rk, _, _ in rows],
            )
            db.execute(
                "INSERT INTO locks (g, k, owner, mode, pid, n, dn, up)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (g, k, owner, mode)"
                " DO UPDATE SET n = n + excluded.n, dn = dn + excluded.dn, up = 1",
                (g, parent, o, mode, self._pid, 1 + sum(r[1] for r in rows),
                 sum(r[2] for r in rows)),
            )
            return
        own = self._own_lock(g, k, mode) if "E" in mode else None
        if own is not None and own[0] != k:  # escalated: the children count on the parent
            db.execute(
                "UPDATE locks SET n = n + 1 WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
                (g, own[0], o, mode),
            )
            return
        db.execute(
            "INSERT INTO locks (g, k, owner, mode, pid, n) VALUES (?, ?, ?, ?, ?, 1)"
            " ON CONFLICT (g, k, owner, mode) DO UPDATE SET n = n + 1",
            (g, k, o, mode, self._pid),
        )

    def lock(self, refs: Any, incremental: bool = False, timeout: float | None = None) -> bool:
        """``LOCK``: ``refs`` is one ``(name, subs)`` or ``(name, subs, locktype)`` (``name``
        with ``^`` for a global, ``locktype`` the letters after ``#``) or a list of them, all
        taken or none. An exclusive lock waits for every lock of another owner on the node,
        an ancestor or a descendant, a shared one (``S``) only for exclusive ones; this
        owner's own locks never block it (a shared lock can be upgraded). Without
        ``incremental`` this owner's other locks are released first. ``timeout`` None waits
        for ever; returns whether it got them (``$TEST``)."""
        keys = self._lock_keys(refs)
        self.flush()
        if not incremental:
            self.unlock_all()
        deadline = None if timeout is None else time.monotonic() + max(0.0, float(timeout))
        delay = 0.002
        db = self._db
        while True:
            db.execute("BEGIN IMMEDIATE")
            try:
                blockers: set[tuple[str, int]] = set()
                plan: list[bytes | None] = []
                for g, k, subs, mode, _ in keys:
                    parent = self._escalation(g, k, subs, mode)
                    if parent is not None and not self._lock_blockers(g, parent, mode):
                        plan.append(parent)
                        continue
                    plan.append(None)  # (a parent another process holds: no escalation)
                    blockers.update(self._lock_blockers(g, k, mode))
                if not blockers:
                    for (g, k, subs, mode, _), parent in zip(keys, plan, strict=True):
                        self._take(g, k, subs, mode, parent)
                    db.execute("COMMIT")
                    return True
                reaped = self._reap(blockers)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if reaped:
                continue
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            pause = delay if deadline is None else min(delay, deadline - now)
            time.sleep(max(pause, 0.0))
            delay = min(delay * 2, 0.05)

    def unlock(self, refs: Any, immediate: bool = False) -> None:
        """``LOCK -ref``: one level fewer of each lock of the mode the lock type names (a
        plain ``LOCK -^X`` releases the exclusive non-escalating lock only; a lock this owner
        does not hold: nothing). Inside a transaction the level is held until the transaction
        ends unless ``immediate`` or the type has ``I``; with ``D`` it goes the way the last
        release of that lock in the transaction went. An escalating lock folded into its
        parent's is released on the parent."""
        keys = self._lock_keys(refs)
        self.flush()
        db = self._db
        o = self.owner
        db.execute("BEGIN IMMEDIATE")
        try:
            for g, k, _, mode, release in keys:
                own = self._own_lock(g, k, mode)
                if own is None:
                    continue
                key, n, dn, imm = own
                where = (g, key, o, mode)
                if not self.tlevel or immediate or release == "I" or (release == "D" and imm):
                    if n <= 1:
                        db.execute(
                            "DELETE FROM locks WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
                            where,
                        )
                        continue
                    db.execute(
                        "UPDATE locks SET n = ?, dn = ?, imm = ?"
                        " WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
                        (n - 1, min(dn, n - 1), 1 if self.tlevel else 0, *where),
                    )
                elif n > dn:  # held until the transaction ends
                    db.execute(
                        "UPDATE locks SET dn = dn + 1, imm = 0"
                        " WHERE g = ? AND k = ? AND owner = ? AND mode = ?",
                        where,
                    )
                if self.tlevel:
                    self._deferred.append(None)  # something to settle when it ends
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def unlock_all(self) -> None:
        """Argumentless ``LOCK``: release every lock of this owner (inside a transaction
        every level is held until it ends)."""
        self.flush()
        if self.tlevel:
            self._db.execute("UPDATE locks SET dn = n, imm = 0 WHERE owner = ?", (self.owner,))
            self._deferred.append(None)
            return
        self._db.execute("DELETE FROM locks WHERE owner = ?", (self.owner,))

    def _release_deferred(self) -> None:
        """The outermost transaction ended: the lock levels released inside it go. (The
        entries of ``_deferred`` only say that there is something to do.)"""
        deferred, self._deferred = self._deferred, []
        if not deferred:
            return
        self.flush()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "UPDATE locks SET n = n - dn, dn = 0, imm = 0 WHERE owner = ?", (self.owner,)
            )
            db.execute("DELETE FROM locks WHERE owner = ? AND n <= 0", (self.owner,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def locks(self) -> list[tuple[str, tuple[str, ...], str, str, int]]:
        """The lock table: (name, subscripts, owner, mode, count) for every lock of the file;
        mode ``X`` exclusive or ``S`` shared, ``E`` appended for an escalating lock."""
        rows = self._db.execute(
            "SELECT g, k, owner, mode, n FROM locks ORDER BY g, k, owner, mode"
        ).fetchall()
        return [(g, decode_subs(k), o, m, n) for g, k, o, m, n in rows]


class GlobalNode:
    """``^name``: the same API as a local ``Node``, on the store."""

    __slots__ = ("store", "gname", "name", "runs", "qruns", "pend")

    def __init__(self, store: GlobalStore, g: str) -> None:
        self.store = store
        self.gname = g
        self.name = "^" + g
        self.runs, self.qruns, self.pend = store.batches_of(g)

    def __repr__(self) -> str:
        return f"GlobalNode({self.name!r})"

    def _key(self, subs: tuple[str, ...]) -> bytes:
        if not subs:
            return b""
        try:
            return encode_subs(subs)
        except ObjectScriptError as e:
            raise ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs)) from e

    def get(self, subs: tuple[str, ...] = ()) -> Any:
        v = self.store.read(self.gname, self._key(subs))
        if v is MISSING:
            raise ObjectScriptError("UNDEFINED", format_ref(self.name, subs))
        return v

    def get_or(self, subs: tuple[str, ...], default: Any = "") -> Any:
        v = self.store.read(self.gname, self._key(subs))
        return default if v is MISSING else v

    def set(self, subs: tuple[str, ...], v: Any) -> None:
        try:
            k = encode_sub(subs[0]) if len(subs) == 1 else encode_subs(subs)
        except ObjectScriptError as e:
            raise ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs)) from e
        store = self.store
        t = type(v)
        if (
            store.buffered  # the buffer is open (so is the commit clock)
            and ((t is int and _INT_MIN <= v <= _INT_MAX) or (t is str and v.isascii()))
            and not store.tlevel
            and not self.runs
            and not self.qruns
        ):  # the common case, inline: straight into the buffer
            self.pend[k] = v
            store.nput += 1
            if not store.nput & 127:
                store.after_puts()
            return
        store.write(self.gname, k, v, subs)

    def set1(self, s: str, v: Any) -> None:
        """``SET ^name(s)=v`` (one subscript: the translator's fast path)."""
        if len(s) < 19 and s.isdigit() and s.isascii() and s[0] != "0":
            k = _POS_HEAD[len(s)] + s.encode() + b"\x00"  # encode_sub's fast path, inline
        else:
            k = self._key((s,))
        store = self.store
        t = type(v)
        if (
            store.buffered
            and ((t is int and _INT_MIN <= v <= _INT_MAX) or (t is str and v.isascii()))
            and not store.tlevel
            and not self.runs
            and not self.qruns
        ):  # as in ``set``: straight into the buffer
            self.pend[k] = v
            store.nput += 1
            if not store.nput & 127:
                store.after_puts()
            return
        store.write(self.gname, k, v, (s,))

    def next1(self, s: str) -> str:
        """``$ORDER(^name(s))`` (one subscript, forward: the translator's fast path)."""
        run = self.runs.get(_TOP1)
        if run is not None:
            items = run.items
            i = run.hint
            if items[i] == s:  # the walk's next step, from the batch read ahead
                i += 1
                if i < len(items):
                    run.hint = i
                    if not i & 63:  # every 64 steps of a walk, as ``reads`` counts
                        self.store.tick()
                    return items[i]  # type: ignore[no-any-return]
        return self.order((s,), 1)

    def data(self, subs: tuple[str, ...] = ()) -> int:
        return self.store.data_at(self.gname, self._key(subs))

    def has(self, subs: tuple[str, ...] = ()) -> bool:
        return self.store.read(self.gname, self._key(subs)) is not MISSING

    def increment(self, subs: tuple[str, ...] = (), by: Any = 1) -> Any:
        """``$INCREMENT``: atomic across processes."""
        return self.store.increment_at(self.gname, self._key(subs), by)

    def kill(self, subs: tuple[str, ...] = ()) -> None:
        self.store.kill_at(self.gname, self._key(subs))

    def zkill(self, subs: tuple[str, ...] = ()) -> None:
        self.store.kill_at(self.gname, self._key(subs), value_only=True)

    def order(self, subs: tuple[str, ...], d: Any = 1) -> str:
        if type(d) is not int or (d != 1 and d != -1):
            d = direction(d)
        if len(subs) == 1:
            run = self.runs.get(_TOP[d])
            if run is not None:  # the walk's next step, from the batch read ahead
                items = run.items
                i = run.hint
                if items[i] != subs[0]:
                    i = run.index(subs[0])
                if i >= 0:
                    i += 1
                    if i < len(items):
                        run.hint = i
                        store = self.store
                        store.reads += 1
                        if not store.reads & 63:
                            store.tick()
                        return items[i]  # type: ignore[no-any-return]
            return self.store.order_at(self.gname, (), subs[0], d)
        if not subs:
            raise ObjectScriptError("FUNCTION")
        parent = subs[:-1]
        if "" in parent:
            raise ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs))
        return self.store.order_at(self.gname, parent, subs[-1], d)

    def order_value(self, subs: tuple[str, ...], d: Any = 1) -> tuple[str, Any]:
        s = self.order(subs, d)
        if s == "":
            return "", MISSING
        return s, self.get_or(subs[:-1] + (s,), MISSING)

    def query(self, subs: tuple[str, ...] = (), d: Any = 1) -> tuple[str, ...] | None:
        if type(d) is not int or (d != 1 and d != -1):
            d = direction(d)
        if "" in subs[:-1]:
            raise ObjectScriptError("SUBSCRIPT", format_ref(self.name, subs))
        return self.store.query_at(self.gname, subs, d)

    def walk(self, subs: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
        return self.store.walk_at(self.gname, self._key(subs))

    def same_variable(self, other: Any) -> bool:
        if not isinstance(other, GlobalNode):
            return False
        return other.store is self.store and other.gname == self.gname

    def merge_from(self, subs: tuple[str, ...], other: Any, other_subs: tuple[str, ...]) -> None:
        """``MERGE ^name(subs)=other(other_subs)``."""
        k = self._key(subs)
        if other.same_variable(self):
            if subs == other_subs:
                return
            m = min(len(subs), len(other_subs))
            if subs[:m] == other_subs[:m]:
                raise ObjectScriptError("COMMAND")
        self.store.copy_in(self.gname, k, subs, list(other.walk(other_subs)))

