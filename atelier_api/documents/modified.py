"""GetModifiedDocNames: database hashes as snapshots, so a client learns what changed since."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from typing import Any

from atelier_api.documents.model import DocInfo

MAX_SNAPSHOTS = 32
UNKNOWN_HASH = "000"


def crhash(root: str) -> str:
    """A stable per-database creation hash (10 hex digits), derived from the workspace root."""
    return hashlib.blake2b(root.encode(), digest_size=5).hexdigest().upper()


class Snapshots:
    """Remembers the listings behind recently issued ``dbhash`` values (bounded)."""

    def __init__(self) -> None:
        self._by_hash: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, entries: list[DocInfo]) -> str:
        """Record a listing and return its hash."""
        state = {e.name: e.ts for e in entries}
        digest = hashlib.blake2b(digest_size=20)
        for name in sorted(state):
            digest.update(f"{name}\0{state[name]}\n".encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
        with self._lock:
            self._by_hash[key] = state
            self._by_hash.move_to_end(key)
            while len(self._by_hash) > MAX_SNAPSHOTS:
                self._by_hash.popitem(last=False)
        return key

    def changes(self, since: str, entries: list[DocInfo]) -> list[dict[str, Any]]:
        """Docs added or changed since the snapshot (all when unknown); deleted ones with ts ''."""
        with self._lock:
            before = self._by_hash.get(since)
        if before is None:
            return [_doc(e) for e in entries]
        out = [_doc(e) for e in entries if before.get(e.name) != e.ts]
        now = {e.name for e in entries}
        out.extend({"name": name, "ts": "", "gen": False, "depl": False}
                   for name in sorted(set(before) - now))
        return out


def _doc(entry: DocInfo) -> dict[str, Any]:
    return {"name": entry.name, "ts": entry.ts, "gen": entry.gen, "depl": False}
