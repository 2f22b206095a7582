"""What the sandbox refuses and what processes share (issue 13): devices other than the
terminal, ``$ZF`` and other host access are ``<PROTECT>``; LOCK goes through the
namespace's lock table, so two processes on one namespace see each other's locks;
transactions roll globals back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Halt, Process


class Proc:
    def __init__(self, path: Path) -> None:
        self.store = GlobalStore(str(path))
        self.device = BufferDevice()
        self.process = Process("USER", self.store, lambda _name: None, self.device)

    def run(self, line: str) -> str:
        try:
            self.process.execute(line)
        except ObjectScriptError as exc:
            self.device.write(exc.zerror())
        return self.device.take()


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Proc, Proc]]:
    a, b = Proc(tmp_path / "g.sqlite"), Proc(tmp_path / "g.sqlite")
    yield a, b
    a.store.close()
    b.store.close()


@pytest.mark.parametrize(("line", "expected"), [
    # a file, a TCP connection, a pipe to a program: the host's devices
    ('open "/etc/passwd":("R")', "<PROTECT> *OPEN /etc/passwd"),
    ('use "/tmp/x.txt"', "<PROTECT> *USE /tmp/x.txt"),
    ('open "|TCP|80":("127.0.0.1":80)', "<PROTECT> *OPEN |TCP|80"),
    ('open "ls":"QR"', "<PROTECT> *OPEN ls"),
    ('close "/etc/passwd"', "<PROTECT> *CLOSE /etc/passwd"),
    # callouts, directory listings, raw memory
    ('write $zf(-1,"rm -rf /")', "<PROTECT> *the sandbox gives no access to the host"),
    ('write $zsearch("/etc/*")', "<PROTECT> *the sandbox gives no access to the host"),
    ("write $view(0,-1,4)", "<PROTECT> *the sandbox gives no access to the host"),
])
def test_host_access_is_protect(two: tuple[Proc, Proc], line: str, expected: str) -> None:
    assert two[0].run(line) == expected


def test_the_terminal_device_itself_is_allowed(two: tuple[Proc, Proc]) -> None:
    assert two[0].run('open 0 use 0 write "ok",$test close 0') == "ok1"
    assert two[0].run('use $principal write "p"') == "p"


def test_a_protect_error_is_catchable(two: tuple[Proc, Proc]) -> None:
    assert two[0].run('try { open "/etc/hosts" } catch e { write e.Name }') == "<PROTECT>"


def test_locks_are_shared_by_the_processes_of_a_namespace(two: tuple[Proc, Proc]) -> None:
    a, b = two
    assert a.run("lock +^Acct(1):1 write $test") == "1"
    assert b.run("lock +^Acct(1):0 write $test") == "0"  # held by the other process
    assert b.run("lock +^Acct(2):0 write $test") == "1"  # another node is free
    assert b.run("lock +^Acct:0 write $test") == "0"  # a parent of a held node is not
    assert a.run("lock -^Acct(1)") == ""
    assert b.run("lock +^Acct(1):0 write $test") == "1"
    assert b.run("lock") == ""  # argumentless: releases all
    assert a.run("lock ^Acct:0 write $test") == "1"


def test_locks_on_local_names(two: tuple[Proc, Proc]) -> None:
    a, b = two
    assert a.run("lock +job:0 write $test") == "1"
    assert b.run("lock +job:0 write $test") == "0"


def test_transactions_roll_globals_back(two: tuple[Proc, Proc]) -> None:
    a, _ = two
    assert a.run("kill ^T tstart  set ^T=1 write $tlevel trollback  write $data(^T),$tlevel") \
        == "100"
    assert a.run("tstart  set ^T=2 tcommit  write ^T,$tlevel") == "20"


def test_halt_ends_the_process(two: tuple[Proc, Proc]) -> None:
    with pytest.raises(Halt):
        two[0].process.execute("halt")


LOCKED_CHILD = r"""
import os, socket, sqlite3, subprocess, sys
from compiler_stub.runtime.worker import lock_down
work = sys.argv[1]
lock_down(work)
results = []
def attempt(name, fn):
    try:
        fn()
        results.append(f"{name}:allowed")
    except (PermissionError, OSError) as exc:
        results.append(f"{name}:refused")
attempt("write-inside", lambda: open(os.path.join(work, "ok.txt"), "w").close())
attempt("sqlite-inside", lambda: sqlite3.connect(os.path.join(work, "g.sqlite")).close())
attempt("read-module", lambda: open(os.__file__).close())
attempt("write-outside", lambda: open("/tmp/atelier-sandbox-probe.txt", "w").close())
attempt("read-etc", lambda: open("/etc/hostname").read())
attempt("sqlite-outside", lambda: sqlite3.connect("/tmp/atelier-sandbox-probe.sqlite"))
attempt("program", lambda: subprocess.run(["true"]))
attempt("system", lambda: os.system("true"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", 9)))
attempt("fork", lambda: os.fork())
print(" ".join(results))
"""


def test_a_locked_down_worker_reaches_only_its_folder(tmp_path: Path) -> None:
    """Under the translator, the worker's audit hook: the data folder and Python's own
    modules are usable; other files, programs, processes and the network are not."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LOCKED_CHILD, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "write-inside:allowed", "sqlite-inside:allowed", "read-module:allowed",
        "write-outside:refused", "read-etc:refused", "sqlite-outside:refused",
        "program:refused", "system:refused", "network:refused", "fork:refused"]
    assert not Path("/tmp/atelier-sandbox-probe.txt").exists()
