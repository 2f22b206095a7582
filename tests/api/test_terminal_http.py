"""The terminal endpoint's answers before a WebSocket opens (issue 13): what is not a
handshake, the wrong version or namespace, no credentials, an adapter that cannot run code,
and every session slot taken. (The WebSocket itself: tests/e2e/test_terminal.py.)"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from envelopes import basic

from atelier_api.adapters.contract import Adapter, AdapterInfo, Capability

from .conftest import Api, Box, body, build_api, error_text, url

HANDSHAKE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}


def _open(api: Api, ns: str = "%SYS", v: int = 8, **headers: str) -> object:
    return api.call("GET", url(ns, "terminal", v=v), headers={**HANDSHAKE, **headers})


def test_not_a_handshake_is_400(api: Api) -> None:
    resp = api.call("GET", url("%SYS", "terminal"))
    assert resp.status_code == 400
    assert "This endpoint is a WebSocket" in error_text(resp)


@pytest.mark.parametrize(("ns", "v"), [("%SYS", 6), ("%SYS", 1), ("USER", 8)])
def test_below_v7_or_outside_percent_sys_is_404(api: Api, ns: str, v: int) -> None:
    resp = _open(api, ns, v)
    assert resp.status_code == 404, resp.data


def test_no_credentials_is_401(make_api: Callable[..., Api]) -> None:
    api = make_api(login=False)
    assert _open(api).status_code == 401


def test_a_bad_key_is_400(api: Api) -> None:
    resp = _open(api, **{"Sec-WebSocket-Key": "short"})
    assert resp.status_code == 400
    assert "Sec-WebSocket-Key" in error_text(resp)


def test_no_slot_left_is_503_with_retry_after(make_api: Callable[..., Api]) -> None:
    api = make_api(max_run_sessions=0)
    resp = _open(api)
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert "max_run_sessions" in error_text(resp)


class CompileOnly(Adapter):
    def __init__(self) -> None:
        self.info = AdapterInfo("compile-only", "1.0", frozenset({Capability.COMPILE}))


def test_an_adapter_that_cannot_run_code_is_501(box: Box) -> None:
    api = build_api(box, compiler=CompileOnly())
    resp = _open(api, Authorization=basic())
    assert resp.status_code == 501
    assert body(resp)["status"]["summary"].startswith(
        "ERROR #5001: The compiler adapter 'compile-only' cannot run code")
