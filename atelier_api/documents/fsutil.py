"""Filesystem primitives: atomic durable writes and safe resolution under a root."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat

TEMP_PREFIX = ".~atelier-"
#: The name of a temp file of ``atomic_write`` (what a crash mid-write can leave behind).
TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{12}\.tmp")


class NotRegularFile(OSError):
    """The path names a FIFO, socket, device, folder or symbolic link, not a regular file."""


_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0))


def open_regular(path: str) -> io.BufferedReader:
    """Open a regular file for reading without ever blocking on or following what is not one:
    a FIFO opens without waiting for a writer (and is refused), a final symbolic link is
    refused (``NotRegularFile``); a missing file raises ``FileNotFoundError`` as ``open``."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(exc.errno, "a symbolic link", path) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", path)
    except BaseException:
        os.close(fd)
        raise
    return io.open(fd, "rb")  # noqa: UP020 - a BufferedReader, typed as one


def fsync_dir(path: str) -> None:
    """fsync a directory so a rename or unlink in it is durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, mode: int | None = None) -> os.stat_result:
    """Write ``data`` to ``path`` atomically and durably; return the new file's stat.

    A complete, fsynced temp file in the same folder (created with it when missing) with the
    old file's mode (``mode`` when the caller knows it), ``os.replace``, fsync the folder.
    Readers see the old bytes or the new bytes, never a mix.
    """
    folder = os.path.dirname(path)
    mode = _mode_for(path) if mode is None else mode
    try:
        tmp = _durable_temp(folder, data, mode)
    except FileNotFoundError:  # a new document in a new folder
        os.makedirs(folder, exist_ok=True)
        tmp = _durable_temp(folder, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
    return os.stat(path)


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(
    os, "O_CLOEXEC", 0)


def _durable_temp(folder: str, data: bytes, mode: int) -> str:
    """The name of a new temp file in ``folder`` holding ``data`` with ``mode``, fsynced.

    The file is created with its final mode where the umask allows (checked, not assumed):
    a later chmod would cost a system call and show up as one more change to a watcher.
    """
    fd, tmp = _create_temp(folder, mode)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != mode:  # the umask took bits away
            os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _create_temp(folder: str, mode: int) -> tuple[int, str]:
    """A new, empty temp file in ``folder`` (a name nobody else uses) and its descriptor."""
    for _attempt in range(100):
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name in {folder}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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


_O_PATH = getattr(os, "O_PATH", 0)  # Linux: a handle on a name, without opening the file


def resolved(path: str) -> str | None:
    """Where an existing ``path`` resolves to (symlinks followed), as the kernel sees it: a
    path-only handle and its ``/proc/self/fd`` link, three system calls instead of a
    ``realpath`` walk in Python. None when that cannot say (other systems, no /proc, the path
    does not exist, a loop, no permission): the caller resolves it the portable way.

    A path-only handle never opens the file itself: no FIFO blocks, no device is touched.
    """
    if not _O_PATH:
        return None
    try:
        fd = os.open(path, _O_PATH | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    finally:
        os.close(fd)
    # the kernel marks unreachable results (deleted meanwhile, outside this root directory)
    return real if real.startswith("/") and not real.endswith(" (deleted)") else None


def resolved_or_missing(path: str) -> str | None:
    """``resolved``, also for a path whose last names do not exist (not even as a dangling
    link): the nearest existing folder resolved, the missing names appended, which is what
    ``os.path.realpath`` makes of it. None when that cannot say."""
    real = resolved(path)
    if real is not None:
        return real
    missing: list[str] = []
    current = path
    while True:
        try:
            os.lstat(current)
        except FileNotFoundError:
            parent, leaf = os.path.split(current)
            if not leaf or parent == current:
                return None
            missing.append(leaf)
            current = parent
            continue
        except OSError:  # not a folder on the way, no permission: the portable way decides
            return None
        break
    base = resolved(current) if missing else None  # a dangling link or a loop: portable way
    return None if base is None else os.path.join(base, *reversed(missing))


def is_inside(root_real: str, path: str) -> bool:
    """True when ``path`` resolves (symlinks followed) to a place inside ``root_real``."""
    real = resolved_or_missing(path)
    if real is None:  # the kernel could not say: the portable way
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


def remove_leftovers(root: str, skipped: frozenset[str]) -> list[str]:
    """Delete the temp files ``atomic_write`` left under ``root`` when a process died in the
    middle of a write (never anything else: the exact name pattern, regular files only, not
    below the ``skipped`` folders); the root-relative paths removed. Run before the root is
    served, when no write of this server can be in flight."""
    removed = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skipped]
        for leaf in files:
            path = os.path.join(folder, leaf)
            if TEMP_NAME.fullmatch(leaf) and stat.S_ISREG(os.lstat(path).st_mode):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                    removed.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return removed
