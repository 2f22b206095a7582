"""The search's child processes: forking them so that none outlives its search or the server,
and reaping them.

* Every child is forked by one long-lived thread of the server process (``_Forker``), sets
  ``PR_SET_PDEATHSIG`` to SIGKILL (Linux: the kernel kills it when that thread, so the server
  process, ends, ``kill -9`` included), checks that its parent is still there, names itself
  ``atelier-search`` and leads its own process group (killed as a group).
* Each is registered, with the store it searches, until it is reaped: its search kills and
  reaps it when the search ends or stops early (cancel, time limit, the client gone, an
  error); ``stop_owned`` kills and reaps those of a store when its corpus is dropped (server
  shutdown: ``Services.close`` drops every store's corpus), ``stop_all`` every one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import threading
from collections.abc import Callable
from typing import Any

#: The name a search process shows (``ps``, ``/proc/PID/comm``).
PROCESS_NAME = b"atelier-search"
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15

_LOCK = threading.Lock()
_CHILDREN: dict[int, int] = {}  # pid -> id() of its owner; forked and not reaped yet
_FORKER: list[_Forker] = []


class _Forker:
    """The thread that forks every search process of this server process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the process:
    request and job threads come and go, this one lives as long as the process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.requests: queue.SimpleQueue[tuple[Callable[[], None], int,
                                               queue.SimpleQueue[Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="atelier-search-forker", daemon=True).start()

    def _run(self) -> None:
        while True:
            main, owner, done = self.requests.get()
            try:
                pid = os.fork()
            except OSError as exc:
                done.put(exc)
                continue
            if pid == 0:  # pragma: no cover - the child
                _child(main, self.pid)
            with _LOCK:
                _CHILDREN[pid] = owner
            done.put(pid)


def fork(main: Callable[[], None], owner: object) -> int:
    """Fork a search process for ``owner`` (the store searched) that runs ``main`` and exits;
    its pid (OSError when no process can be had). The caller reaps it with ``reap``."""
    with _LOCK:
        if not _FORKER or _FORKER[0].pid != os.getpid():
            _FORKER[:] = [_Forker()]
        forker = _FORKER[0]
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    forker.requests.put((main, id(owner), done))
    result = done.get()
    if isinstance(result, OSError):
        raise result
    return int(result)


def _child(main: Callable[[], None], parent: int) -> None:  # pragma: no cover - a child
    """In a new child: tie it to the server, run ``main``, leave with ``os._exit``."""
    code = 0
    try:
        _tie_to(parent)
        main()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _tie_to(parent: int) -> None:  # pragma: no cover - in a child
    """Die with the server: own process group, SIGKILL when the parent ends, default
    handlers for the signals the server catches."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the server ended before the line above took effect
        os._exit(1)
    _prctl(_PR_SET_NAME, PROCESS_NAME)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, signal.SIG_DFL)


def _prctl(option: int, value: int | bytes) -> None:  # pragma: no cover - in a child
    """Linux's prctl(2); nothing on other systems (the registry and shutdown still reap)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        arg = ctypes.c_char_p(value) if isinstance(value, bytes) else ctypes.c_ulong(value)
        libc.prctl(option, arg, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    except (OSError, AttributeError):
        pass


def reap(pid: int, *conns: Any) -> None:
    """Close ``conns``, then kill and reap a child (its whole process group); nothing when it
    was reaped already (its pid may belong to another process by now)."""
    for conn in conns:
        conn.close()
    with _LOCK:
        if _CHILDREN.pop(pid, None) is None:
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def children(owner: object | None = None) -> list[int]:
    """The pids of this process's search processes not reaped yet (of ``owner`` only)."""
    with _LOCK:
        return sorted(pid for pid, of in _CHILDREN.items() if owner is None or of == id(owner))


def stop_owned(owner: object) -> None:
    """Kill and reap the search processes of ``owner`` (its corpus is dropped)."""
    for pid in children(owner):
        reap(pid)


def stop_all() -> None:
    """Kill and reap every search process of this server process."""
    for pid in children():
        reap(pid)
