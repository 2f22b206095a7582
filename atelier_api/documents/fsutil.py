"""Filesystem primitives: atomic durable writes and safe resolution under a root."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

TEMP_PREFIX = ".~atelier-"


def fsync_dir(path: str) -> None:
    """fsync a directory so a rename or unlink in it is durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes) -> os.stat_result:
    """Write ``data`` to ``path`` atomically and durably; return the new file's stat.

    Temp file in the same folder, write, fsync, keep the old file's mode, ``os.replace``,
    fsync the folder. Readers see the old bytes or the new bytes, never a mix.
    """
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
    return os.stat(path)


def _mode_for(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_durably(path: str, stop_at: str) -> None:
    """Unlink a file, fsync its folder, and prune folders left empty up to ``stop_at``."""
    os.unlink(path)
    folder = os.path.dirname(path)
    fsync_dir(folder)
    stop = os.path.abspath(stop_at)
    while os.path.abspath(folder) != stop and folder.startswith(stop):
        try:
            os.rmdir(folder)
        except OSError:
            break
        folder = os.path.dirname(folder)


def is_inside(root_real: str, path: str) -> bool:
    """True when ``path`` resolves (symlinks followed) to a place inside ``root_real``."""
    try:
        real = os.path.realpath(path, strict=True)
    except (FileNotFoundError, NotADirectoryError):  # not there yet: resolve what exists
        real = os.path.realpath(path)
    except OSError:  # a symbolic link loop resolves nowhere, so never inside the root
        return False
    return real == root_real or real.startswith(root_real + os.sep)


def case_twin(path: str) -> str | None:
    """An existing entry in the same folder whose name differs from ``path``'s only by case."""
    folder, leaf = os.path.split(path)
    low = leaf.lower()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name != leaf and entry.name.lower() == low:
                    return entry.name
    except (FileNotFoundError, NotADirectoryError):
        return None
    return None


def case_twin_along(root: str, relpath: str) -> str | None:
    """The first existing path that differs from ``root/relpath`` only by letter case, if any.

    Checked for the first component that does not exist yet, so creating ``pkg/A.cls`` next
    to ``Pkg/`` (or ``a.cls`` next to ``A.cls``) is caught on case-sensitive and
    case-insensitive filesystems alike.
    """
    current = root
    for part in relpath.split("/"):
        candidate = os.path.join(current, part)
        if not os.path.lexists(candidate):
            twin = case_twin(candidate)
            return os.path.join(current, twin) if twin else None
        current = candidate
    return None
