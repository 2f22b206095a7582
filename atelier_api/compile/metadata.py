"""``METADATA.zip`` of a database: the index of its classes, as GetMetaData hands it out.

IRIS's ``GET /api/atelier/v1/%25SYS/metadata/{database}`` returns the bytes of the
``METADATA.zip`` kept for a database: index information the (Eclipse) Atelier client loaded so
that code completion did not have to index the database again. The content of IRIS's file is
Atelier's own and undocumented; this server builds the equivalent from what it knows, the
``action/index`` entries of the database's classes (the same JSON objects ``action/index``
answers, ``desc`` as lines), so the archive is a snapshot of that endpoint:

- ``METADATA.json``: ``{"database", "server", "api", "classes": [class names]}``;
- ``index/<Pkg.Name.cls>.json``: one ``action/index`` entry per class.

A database's classes are the classes of every namespace whose database it is, and the
compiler adapter's system classes stored in it (``IRISLIB``, ``ENSLIB``...). The archive is
built from the documents' current versions and kept (a few per process): the same versions give
the same bytes, so a database nobody changed is indexed once.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from atelier_api.compile.lookups import Lookups
from atelier_api.version import API_VERSION, version_string

#: names one action/index call takes at most while building an archive
BATCH = 1000
#: archives kept in memory (the last ones built)
KEPT = 8
MANIFEST = "METADATA.json"
#: the time stamp of every member (zip has none before 1980; a fixed one keeps bytes stable)
_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Source:
    """Classes of a database that one namespace's look-ups index: (name, ts) pairs."""

    lookups: Lookups
    classes: tuple[tuple[str, str], ...]


class MetadataArchives:
    """Builds and keeps ``METADATA.zip`` archives (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    def archive(self, database: str, sources: Sequence[Source]) -> bytes:
        """The archive of ``database`` built from ``sources`` (the first source that has a
        class wins; index entries stored in another database are left out)."""
        key = _key(database, sources)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        data = build(database, sources)
        with self._lock:
            self._kept[key] = data
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return data


def _key(database: str, sources: Sequence[Source]) -> str:
    digest = hashlib.blake2b(database.upper().encode(), digest_size=20)
    for source in sources:
        digest.update(b"\x00" + source.lookups.store.namespace.encode())
        for name, ts in source.classes:
            digest.update(f"\x01{name}\x02{ts}".encode())
    return digest.hexdigest()


def build(database: str, sources: Sequence[Source]) -> bytes:
    """The zip archive of ``database``'s class index (see the module's docstring)."""
    entries: dict[str, dict[str, Any]] = {}
    for source in sources:
        names = [name for name, _ts in source.classes if name not in entries]
        for start in range(0, len(names), BATCH):
            answer = source.lookups.index(names[start:start + BATCH], positions=False)
            for entry in answer.content:
                if str(entry.get("db", "")).upper() == database.upper():
                    entries.setdefault(str(entry["name"]), entry)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = {"database": database, "server": version_string(), "api": API_VERSION,
                    "classes": sorted(entries)}
        _add(archive, MANIFEST, manifest)
        for name in sorted(entries):
            _add(archive, f"index/{name}.json", entries[name])
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    info = zipfile.ZipInfo(name, _MEMBER_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))
