"""Benchmark inputs and in-process floors: generated ObjectScript classes, the listing floor and
the two servers' own write recipes run directly on the disk."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable

_CATS = {"cls": "CLS", "mac": "RTN", "int": "RTN", "inc": "RTN", "bas": "RTN", "mvi": "RTN",
         "mvb": "RTN"}
_COMPILABLE = frozenset({"cls", "mac", "int", "bas", "mvb"})


def class_name(i: int) -> str:
    """The class stored in document number ``i``."""
    return f"Bench.P{i // 100:03d}.C{i:05d}"


def class_text(name: str, rng: random.Random, revision: int = 0) -> str:
    """A realistic ObjectScript class of about 100 lines (properties, methods, storage)."""
    lines = ["Include %occStatus", "", f"/// Generated benchmark class {name} (revision "
             f"{revision}).", f"Class {name} Extends %Persistent", "{", ""]
    for p in range(6):
        kind = rng.choice(["%String(MAXLEN = 200)", "%Integer", "%Date", "%Boolean"])
        lines += [f"/// Property number {p}.", f"Property Prop{p} As {kind};", ""]
    lines += ["Index Prop0Idx On Prop0;", ""]
    for m in range(6):
        lines += [f"/// Method {m}: adds, loops and logs.",
                  f"ClassMethod Compute{m}(input As %Integer = {m}) As %Status", "{",
                  "    set sc = $$$OK, total = 0",
                  f"    for i = 1:1:input + {rng.randint(1, 9)} {{",
                  "        set total = total + (i * 2)", "        quit:total>10000", "    }",
                  f"    set ^BenchLog($increment(^BenchLog)) = \"Compute{m} \"_total",
                  "    if total < 0 { set sc = $$$ERROR($$$GeneralError, \"negative\") }",
                  "    quit sc", "}", ""]
    lines += ["Storage Default", "{", "<Data name=\"Default\">", "<Value name=\"1\">",
              "<Value>%%CLASSNAME</Value>", "</Value>", "</Data>",
              f"<DataLocation>^Bench.C{name[-5:]}D</DataLocation>",
              "<Type>%Storage.Persistent</Type>", "}", "", "}", ""]
    return "\n".join(lines)


def generate(root: str, count: int) -> list[str]:
    """``count`` classes as flat files (``Pkg.Sub.Name.cls``) in ``root``; returns file names.

    Modification times are set to yesterday (about 1 ms apart): a checkout, not files being
    written right now, so no server treats them as possibly still changing.
    """
    rng = random.Random(20261125)
    files = []
    base_ns = time.time_ns() - 86_400 * 10**9
    for i in range(count):
        name = class_name(i)
        files.append(f"{name}.cls")
        path = os.path.join(root, files[-1])
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(class_text(name, rng))
        stamp = base_ns + i * 1_000_003
        os.utime(path, ns=(stamp, stamp))
    return files


def floor_listing(root: str, db: str) -> bytes:
    """The least work that yields the same docnames body: scandir, stat, dicts, sort, dumps.

    Each ts is formatted afresh (no cache across calls): the floor does one listing's work.
    """
    out: list[dict[str, str | bool]] = []
    for entry in os.scandir(root):
        if not entry.is_file(follow_symlinks=False) or entry.name.startswith("."):
            continue
        ext = entry.name.rpartition(".")[2]
        ms = entry.stat(follow_symlinks=False).st_mtime_ns // 1_000_000
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}"
        out.append({"name": entry.name, "cat": _CATS.get(ext, "OTH"), "ts": ts,
                    "upd": ext not in _COMPILABLE, "db": db, "gen": False})
    out.sort(key=lambda e: str(e["name"]))
    env = {"status": {"errors": [], "summary": ""}, "console": [], "result": {"content": out}}
    return json.dumps(env, ensure_ascii=False, separators=(",", ":")).encode()


def disk_recipes(root: str, ours_file: str, jup_file: str) -> dict[str, Callable[[], None]]:
    """Each server's own write function, called in-process on a file of its own.

    Ours: ``atelier_api.documents.fsutil.atomic_write`` (temp file, fsync, rename, fsync of
    the folder). Jupyter: ``jupyter_server.services.contents.fileio.atomic_writing``, what its
    default contents manager saves through (backup copy, write in place, fsync, no folder
    fsync). Every call writes new bytes.
    """
    from jupyter_server.services.contents.fileio import atomic_writing

    from atelier_api.documents.fsutil import atomic_write

    rng = random.Random(11)
    counter = iter(range(1, 10**9))

    def text(file: str) -> str:
        return class_text(file.removesuffix(".cls"), rng, 10**6 + next(counter))

    def ours() -> None:
        atomic_write(os.path.join(root, ours_file), text(ours_file).encode())

    def jupyter() -> None:
        with atomic_writing(os.path.join(root, jup_file), text=True, encoding="utf-8") as handle:
            handle.write(text(jup_file))

    return {"ours": ours, "jupyter": jupyter}
