"""Timestamps: the wire format, strict increase per document, touches and persistence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from atelier_api.documents.tsindex import TsIndex, format_ts, parse_ts

MS = 1714571112345  # 2024-05-01 13:45:12.345 UTC


def test_format_ts() -> None:
    """UTC, millisecond precision, always three fraction digits."""
    assert format_ts(MS) == "2024-05-01 13:45:12.345"
    assert format_ts(0) == "1970-01-01 00:00:00.000"
    assert format_ts(1714571112005) == "2024-05-01 13:45:12.005"


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2024-05-01 13:45:12.345", MS),
        ('"2024-05-01 13:45:12.345"', MS),
        ('W/"2024-05-01 13:45:12.345"', MS),
        ("2024-05-01T13:45:12.345Z", MS),
        ("  2024-05-01 13:45:12.345  ", MS),
        ("2024-05-01 13:45:12", MS - 345),
        ("2024-05-01 13:45:12.3", MS - 45),
        ("2024-05-01 13:45:12.345678", MS),
    ],
)
def test_parse_ts(text: str, ms: int) -> None:
    """Quoted, weak, ISO and millisecond-less forms all parse to the same instant."""
    assert parse_ts(text) == ms


@pytest.mark.parametrize("text", ["", "yesterday", "2024-05-01", "2024-13-01 00:00:00",
                                  "2024-05-01 13:45:12.x", "-1"])
def test_parse_ts_rejects_garbage(text: str) -> None:
    """Anything that is not a timestamp parses to None (never equal to a real ts)."""
    assert parse_ts(text) is None


def test_format_parse_round_trip() -> None:
    """format_ts and parse_ts are inverse."""
    for ms in (0, MS, MS + 999, 4102444799999):
        assert parse_ts(format_ts(ms)) == ms


def _write(path: Path, data: bytes) -> os.stat_result:
    path.write_bytes(data)
    return os.stat(path)


def _ts(index: TsIndex, path: Path) -> int:
    return index.ts_of(path.name, os.stat(path), path.read_bytes)


def test_rapid_writes_strictly_increase(tmp_path: Path) -> None:
    """Writes within the same millisecond still get strictly increasing ts values."""
    index = TsIndex(None)
    target = tmp_path / "R.mac"
    seen = []
    for number in range(50):
        data = f"ROUTINE R\n w {number}\n".encode()
        seen.append(index.record_write("R.mac", _write(target, data), data, None))
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False))
    assert _ts(index, target) == seen[-1]


def test_first_ts_is_the_mtime(tmp_path: Path) -> None:
    """An unknown file's ts is its modification time in UTC milliseconds."""
    target = tmp_path / "R.mac"
    target.write_bytes(b"x")
    os.utime(target, ns=(MS * 1_000_000, MS * 1_000_000))
    assert _ts(TsIndex(None), target) == MS


def test_touch_keeps_ts_when_content_was_seen(tmp_path: Path) -> None:
    """A new mtime with identical bytes is not a change once the content was read."""
    index = TsIndex(None)
    target = tmp_path / "R.mac"
    st = _write(target, b"same")
    before = index.record_read("R.mac", st, b"same")
    later = st.st_mtime_ns + 5_000_000_000
    os.utime(target, ns=(later, later))
    assert _ts(index, target) == before


def test_change_on_disk_gets_a_larger_ts_even_with_an_older_mtime(tmp_path: Path) -> None:
    """Another program's write is a new version, even when it sets an older mtime."""
    index = TsIndex(None)
    target = tmp_path / "R.mac"
    first = index.record_write("R.mac", _write(target, b"one"), b"one", None)
    target.write_bytes(b"two")
    os.utime(target, ns=(MS * 1_000_000, MS * 1_000_000))
    assert _ts(index, target) > first


def test_same_signature_rewrite_is_seen(tmp_path: Path) -> None:
    """Same size, same inode, same mtime (a coarse clock tick): the content still decides."""
    index = TsIndex(None)
    target = tmp_path / "R.mac"
    st = _write(target, b"one")
    first = index.record_write("R.mac", st, b"one", None)
    with open(target, "r+b") as handle:
        handle.write(b"two")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(target).st_mtime_ns == st.st_mtime_ns
    assert _ts(index, target) > first


def test_tombstone_keeps_the_next_ts_larger(tmp_path: Path) -> None:
    """A document deleted and re-created with an old mtime still gets a larger ts."""
    index = TsIndex(None)
    target = tmp_path / "R.mac"
    first = index.record_write("R.mac", _write(target, b"one"), b"one", None)
    target.unlink()
    index.record_delete("R.mac")
    target.write_bytes(b"one")
    os.utime(target, ns=(MS * 1_000_000, MS * 1_000_000))
    assert _ts(index, target) > first


def test_persists_across_a_new_index(tmp_path: Path) -> None:
    """A new TsIndex on the same SQLite file keeps ts values and touch detection."""
    db = str(tmp_path / "state" / "ts.sqlite")
    target = tmp_path / "R.mac"
    index = TsIndex(db)
    ts = index.record_write("R.mac", _write(target, b"one"), b"one", None)
    index.close()
    later = os.stat(target).st_mtime_ns + 7_000_000_000
    os.utime(target, ns=(later, later))
    reopened = TsIndex(db)
    assert _ts(reopened, target) == ts
    target.write_bytes(b"two")
    assert _ts(reopened, target) > ts
    reopened.close()


def test_tombstone_persists(tmp_path: Path) -> None:
    """A tombstone survives a restart."""
    db = str(tmp_path / "ts.sqlite")
    target = tmp_path / "R.mac"
    index = TsIndex(db)
    ts = index.record_write("R.mac", _write(target, b"one"), b"one", None)
    target.unlink()
    index.record_delete("R.mac")
    index.close()
    target.write_bytes(b"one")
    os.utime(target, ns=(MS * 1_000_000, MS * 1_000_000))
    reopened = TsIndex(db)
    assert _ts(reopened, target) > ts
    reopened.close()


def test_record_write_never_goes_below_prev_ts(tmp_path: Path) -> None:
    """The caller's previous ts is a floor, even for a path the index does not know."""
    index = TsIndex(None)
    st = _write(tmp_path / "R.mac", b"x")
    assert index.record_write("R.mac", st, b"x", MS * 10) == MS * 10 + 1


def test_same_signature_rewrite_while_stopped_is_seen(tmp_path: Path) -> None:
    """A rewrite in the same clock tick while the server was down is seen after a restart."""
    db = str(tmp_path / "ts.sqlite")
    target = tmp_path / "R.mac"
    index = TsIndex(db)
    st = _write(target, b"one")
    ts = index.record_write("R.mac", st, b"one", None)
    index.close()
    with open(target, "r+b") as handle:
        handle.write(b"two")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    reopened = TsIndex(db)
    assert _ts(reopened, target) > ts
    reopened.close()
