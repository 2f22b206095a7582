"""Byte-faithful text round trips and base64 chunking."""

from __future__ import annotations

import base64

import pytest

from atelier_api.documents.textcodec import (
    B64_CHUNK,
    BOM,
    b64_chunks,
    b64_join,
    decode,
    encode,
)

SAMPLES = {
    "lf": b"ROUTINE R\nR ;\n w 1\n",
    "crlf": b"ROUTINE R\r\nR ;\r\n w 1\r\n",
    "cr": b"ROUTINE R\rR ;\r w 1\r",
    "mixed": b"a\r\nb\nc\rd\r\ne",
    "bom": BOM + b"Class A.B\r\n{\r\n}\r\n",
    "no-final-newline": b"line 1\nline 2",
    "latin-1": "caf\xe9\nna\xefve\n".encode("latin-1"),
    "utf8": "Überall ✓\n日本語\n".encode(),
    "empty": b"",
    "only-newline": b"\n",
    "blank-lines": b"\n\n\r\n\r\n",
}


@pytest.mark.parametrize("data", SAMPLES.values(), ids=SAMPLES.keys())
def test_unchanged_lines_give_the_same_bytes(data: bytes) -> None:
    """Decoding then encoding the same lines against the old bytes gives the old bytes."""
    lines, _ = decode(data)
    assert encode(lines, data) == data


@pytest.mark.parametrize(
    ("data", "eol"), [(SAMPLES["lf"], "\n"), (SAMPLES["crlf"], "\r\n"), (SAMPLES["cr"], "\r")]
)
def test_decode_reports_the_line_ending(data: bytes, eol: str) -> None:
    """Lines carry no terminators; the form names the file's line ending."""
    lines, form = decode(data)
    assert lines == ["ROUTINE R", "R ;", " w 1", ""]
    assert form.eol == eol and not form.mixed and not form.bom


@pytest.mark.parametrize("key", ["lf", "crlf", "cr"])
def test_edit_keeps_the_file_line_ending(key: str) -> None:
    """An edit in a uniform file is written with that file's terminator."""
    old = SAMPLES[key]
    lines, form = decode(old)
    lines[2] = " w 2"
    assert encode(lines, old) == old.replace(b" w 1", b" w 2")
    assert form.eol.encode() in encode(lines + ["x"], old)


def test_mixed_endings_edit_changes_only_the_edited_line() -> None:
    """In a mixed file every untouched line keeps its own terminator."""
    old = b"a\r\nb\nc\rd\r\ne"
    lines, form = decode(old)
    assert form.mixed and lines == ["a", "b", "c", "d", "e"]
    lines[2] = "C!"
    assert encode(lines, old) == b"a\r\nb\nC!\rd\r\ne"


def test_mixed_endings_edit_keeps_a_minority_terminator() -> None:
    """An edited line keeps its terminator even when it is not the file's majority one."""
    old = b"a\nb\r\nc\nd\n"
    lines, _ = decode(old)
    lines[1] = "B"
    assert encode(lines, old) == b"a\nB\r\nc\nd\n"


def test_mixed_endings_insert_and_delete() -> None:
    """Inserted lines get the majority terminator; the others keep theirs."""
    old = b"a\r\nb\nc\nd\r\n"
    lines, _ = decode(old)
    assert encode(["a", "new", "b", "c", "d", ""], old) == b"a\r\nnew\nb\nc\nd\r\n"
    assert encode(["a", "c", "d", ""], old) == b"a\r\nc\nd\r\n"


def test_bom_is_kept_and_not_shown() -> None:
    """The BOM is not part of the first line, and an edit keeps it."""
    old = SAMPLES["bom"]
    lines, form = decode(old)
    assert form.bom and lines[0] == "Class A.B"
    lines.insert(2, "Parameter X = 1;")
    assert encode(lines, old) == BOM + b"Class A.B\r\n{\r\nParameter X = 1;\r\n}\r\n"


def test_missing_final_newline_is_kept() -> None:
    """A file without a final newline stays without one; adding one is the client's choice."""
    old = SAMPLES["no-final-newline"]
    lines, _ = decode(old)
    assert lines == ["line 1", "line 2"]
    assert encode(["line 1", "line two"], old) == b"line 1\nline two"
    assert encode(["line 1", "line 2", ""], old) == b"line 1\nline 2\n"


def test_latin1_file_stays_latin1() -> None:
    """A file that is not UTF-8 is read as latin-1 and written back as latin-1."""
    old = SAMPLES["latin-1"]
    lines, form = decode(old)
    assert form.encoding == "latin-1" and lines[0] == "café"
    lines[1] = "crème"
    assert encode(lines, old) == "café\ncrème\n".encode("latin-1")


def test_latin1_file_gets_utf8_when_text_does_not_fit() -> None:
    """Text latin-1 cannot hold is written as UTF-8 rather than lost."""
    old = SAMPLES["latin-1"]
    assert encode(["✓", ""], old) == "✓\n".encode()


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_new_file_gets_the_configured_eol(eol: str) -> None:
    """A new file is UTF-8 with the configured terminator and no BOM."""
    assert encode(["ROUTINE R", "é", ""], None, eol) == f"ROUTINE R{eol}é{eol}".encode()


def test_single_line_file_gets_the_configured_eol() -> None:
    """A file with no terminator yet has no style to keep: new lines use the configured one."""
    assert encode(["a", "b"], b"a", "\r\n") == b"a\r\nb"


def test_b64_chunk_size_is_a_multiple_of_three() -> None:
    """Chunk size in bytes is a multiple of 3 and fits an IRIS long string when encoded."""
    assert B64_CHUNK % 3 == 0
    assert B64_CHUNK * 4 // 3 <= 32764


def test_b64_chunks_pad_only_the_last_chunk() -> None:
    """Only the last chunk may end with '='; the concatenation decodes to the bytes."""
    data = bytes(range(256)) * 300 + b"x"
    chunks = b64_chunks(data)
    assert len(chunks) == -(-len(data) // B64_CHUNK)
    assert all("=" not in c for c in chunks[:-1]) and chunks[-1].endswith("=")
    assert base64.b64decode("".join(chunks)) == data
    assert b64_join(chunks) == data


def test_b64_empty() -> None:
    """No bytes, no chunks."""
    assert b64_chunks(b"") == []
    assert b64_join([]) == b""


def test_b64_join_decodes_each_chunk_with_its_own_padding() -> None:
    """Chunks that each carry padding (as some clients send) decode chunk by chunk."""
    parts = [b"a", b"bc", b"def", b"\x00\xff"]
    chunks = [base64.b64encode(p).decode() for p in parts]
    assert sum(c.endswith("=") for c in chunks) == 3
    assert b64_join(chunks) == b"".join(parts)


@pytest.mark.parametrize("bad", [["not base64!"], ["YWJj", "Y"], ["YW=j"]])
def test_b64_join_rejects_garbage(bad: list[str]) -> None:
    """Invalid base64 raises instead of yielding random bytes."""
    with pytest.raises(ValueError):
        b64_join(bad)
