"""The translation cache (compiler_stub/runtime/codecache.py and translate.py): translated
routines and class models kept across processes, keyed so that they are never used for other
text or another translator; the shared forkserver's preload list."""

from __future__ import annotations

import multiprocessing.forkserver
import sqlite3
from pathlib import Path

import pytest

from compiler_stub import forkserver
from compiler_stub.runtime import translate as T
from compiler_stub.runtime.codecache import CodeCache
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.host import READER_ID, read_class_text
from compiler_stub.runtime.process import BufferDevice, Process

TEXT = """ROUTINE Calc [Type=INT]
Calc ;
 write "top",!
 quit
Add(a,b) public {
 quit a+b
}
Boom() public {
 set x=1
 quit y
}
Tail ;
 write "tail1"
 write "tail2",!
 quit
"""
ROUTINE = TEXT.split("\n")


@pytest.fixture
def cache(tmp_path: Path) -> CodeCache:
    return CodeCache(str(tmp_path / "translations.sqlite"))


def _process(tmp_path: Path, cache: CodeCache, lines: list[str], name: str) -> Process:
    return Process("USER", GlobalStore(str(tmp_path / f"{name}.sqlite")),
                   lambda n: lines if n == "Calc" else None, BufferDevice(), code_cache=cache)


def test_a_kept_translation_runs_as_the_first_did(tmp_path: Path, cache: CodeCache) -> None:
    first = T.translate_routine("Calc", ROUTINE, 1, False, cache)
    assert len(cache) == 1 and first._lines is not None
    again = T.translate_routine("Calc", ROUTINE, 2, False, cache)
    assert again._lines is None  # from the cache: nothing was parsed
    assert again.version == 2 and again.label_rows == first.label_rows
    assert again.procs == first.procs
    for make in ("one", "two"):  # a second process, as a new session would be
        P = _process(tmp_path, cache, ROUTINE, make)
        P.execute("write $$Add^Calc(2,3) do ^Calc do Tail^Calc")
        assert P.device.take() == "5top\r\ntail1tail2\r\n"  # type: ignore[attr-defined]
        with pytest.raises(ObjectScriptError) as e:  # error places come from the table
            P.execute("do Boom^Calc()")
        assert e.value.zerror() == "<UNDEFINED>Boom+2^Calc *y"
        P.execute("do Tail+2^Calc")  # an entry at an offset: the line model, built later
        assert P.device.take() == "tail2\r\n"  # type: ignore[attr-defined]
        P.gstore.close()
    assert len(cache) == 1


def test_other_text_or_build_misses(cache: CodeCache) -> None:
    T.translate_routine("Calc", ROUTINE, 1, False, cache)
    changed = [line.replace("a+b", "a*b") for line in ROUTINE]
    assert T.translate_routine("Calc", changed, 1, False, cache)._lines is not None
    assert T.translate_routine("Calc", ROUTINE, 1, True, cache)._lines is not None  # debug
    assert T.translate_routine("Other", ROUTINE, 1, False, cache)._lines is not None
    assert len(cache) == 4


def test_an_unreadable_entry_is_translated_again(tmp_path: Path, cache: CodeCache) -> None:
    T.translate_routine("Calc", ROUTINE, 1, False, cache)
    db = sqlite3.connect(str(tmp_path / "translations.sqlite"))
    db.execute("UPDATE code SET data = x'00ff'")
    db.commit()
    db.close()
    rc = T.translate_routine("Calc", ROUTINE, 1, False, cache)
    assert rc._lines is not None and rc.labels["Add"].fn is not None


def test_a_cache_that_cannot_be_opened_is_a_miss(tmp_path: Path) -> None:
    broken = CodeCache(str(tmp_path / "no" / "such" / "folder" / "t.sqlite"))
    assert broken.get(b"k") is None
    broken.put(b"k", b"v")
    assert T.translate_routine("Calc", ROUTINE, 1, False, broken).labels


def test_class_models_are_kept(cache: CodeCache) -> None:
    text = "Class A.B Extends %RegisteredObject\n{\n\nProperty P As %String;\n\n}\n"
    made: list[str] = []

    def read(t: str) -> object:
        made.append(t)
        return read_class_text(t)

    one = cache.remember(READER_ID, text, read)
    two = cache.remember(READER_ID, text, read)
    assert made == [text] and one is not None and two is not None
    assert two.name == "A.B" and [m.name for m in two.members] == ["P"]


def test_the_cache_stays_bounded(tmp_path: Path) -> None:
    small = CodeCache(str(tmp_path / "t.sqlite"), max_entries=10)
    for i in range(200):
        small.put(i.to_bytes(4, "big"), b"x")
    assert len(small) <= 10 + 64  # pruned every 64 writes, to 9/10 of the bound


def test_the_forkserver_preloads_what_every_user_needs() -> None:
    ctx = forkserver.context()
    assert ctx is multiprocessing.get_context("forkserver")
    preload = multiprocessing.forkserver._forkserver._preload_modules  # noqa: SLF001
    assert {"compiler_stub.reading.outline", "compiler_stub.runtime.worker"} <= set(preload)
