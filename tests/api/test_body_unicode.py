"""Lone surrogates reach no document however the body spells them: escapes, raw UTF-8 bytes
of a surrogate, or a UTF-16 body; ordinary non-ASCII text is saved as sent."""

from __future__ import annotations

import json

import pytest

from .conftest import Api, Box, snapshot, url

ROUTINE = ["ROUTINE Uni", "Uni ;", ' w "h\u00e9llo \u4e16\u754c \U0001f600"', " quit"]


@pytest.mark.parametrize("raw", [
    b'{"enc": false, "content": ["ROUTINE Uni", "\\ud800"]}',
    b'{"enc": false, "content": ["ROUTINE Uni", "\\uDFFF x"]}',
    b'{"enc": false, "content": ["ROUTINE Uni", "\xed\xa0\x80"]}',
    '{"enc": false, "content": ["ROUTINE Uni", "\ud800"]}'.encode("utf-16-le", "surrogatepass"),
], ids=["escape", "escape-upper", "utf8-bytes", "utf16-body"])
def test_lone_surrogates_are_a_400_and_nothing_is_written(api: Api, box: Box, raw: bytes) -> None:
    before = snapshot(box.root)
    resp = api.call("PUT", url("USER", "doc/Uni.mac"), data=raw,
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.data
    assert "surrogate" in resp.get_json()["status"]["summary"], resp.get_json()
    assert snapshot(box.root) == before


def test_non_ascii_text_and_escaped_backslashes_are_saved(api: Api, box: Box) -> None:
    lines = [*ROUTINE, ' w "\\\\ud800 is text here"']  # a backslash, then 'ud800'
    raw = json.dumps({"enc": False, "content": lines}, ensure_ascii=False).encode()
    resp = api.call("PUT", url("USER", "doc/Uni.mac"), data=raw,
                    headers={"Content-Type": "application/json"})
    assert resp.status_code in (200, 201), resp.data
    got = api.call("GET", url("USER", "doc/Uni.mac")).get_json()["result"]["content"]
    assert got == lines
