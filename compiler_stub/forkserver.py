"""The one forkserver of a process, shared by everything of this adapter that forks.

Python runs one forkserver per process, whatever context asked for it, and it imports its
preload list once, when it starts: whoever starts it first decides what every later child
has imported already. So every user of the forkserver asks for it here, and it always
preloads everything any of them needs: the class reader (the compile's worker pool) and the
runtime (execution sessions, which then start in milliseconds instead of half a second)
and its debugger.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

#: what the forkserver imports before it forks anything
PRELOAD = ["__main__", "compiler_stub.reading.outline", "compiler_stub.runtime.worker",
           "compiler_stub.runtime.debugdriver"]

_lock = threading.Lock()


def context() -> Any:
    """The forkserver context, its preload list set (before the server starts, if not yet)."""
    with _lock:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
