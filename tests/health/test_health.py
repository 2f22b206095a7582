"""Liveness and readiness probes through the Flask test client: no auth, 503 until warmed up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from atelier_api.app import create_app
from atelier_api.config import load_settings

CLASS = "Class Demo.A Extends %RegisteredObject\n{\n}\n"


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    workspace = tmp_path / "ws"
    (workspace / "Demo").mkdir(parents=True)
    (workspace / "Demo" / "A.cls").write_text(CLASS)
    settings = load_settings(env={}, cli={"state_dir": str(tmp_path / "state")},
                             cli_namespaces=[f"USER={workspace}"])
    return create_app(settings)


def test_healthz_answers_ok_without_credentials(app: Flask) -> None:
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_api_still_requires_credentials_while_probes_do_not(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/atelier/").status_code == 401
    assert client.get("/readyz").status_code in (200, 503)


def test_readyz_is_503_before_warm_up_and_names_what_is_pending(app: Flask) -> None:
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "starting"
    assert body["pending"] == ["%SYS", "USER"]
    assert "USER" in body["message"]


def test_create_app_starts_no_warm_up_by_itself(app: Flask) -> None:
    assert not app.extensions["atelier"].ready


def test_readyz_is_200_after_warm_up(app: Flask) -> None:
    svc = app.extensions["atelier"]
    svc.warm_up()
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "namespaces": ["%SYS", "USER"]}
    assert svc.pending() == []


def test_warm_up_builds_the_timestamp_index(app: Flask) -> None:
    svc = app.extensions["atelier"]
    svc.warm_up()
    assert "Demo/A.cls" in svc.stores["USER"].index._entries


def test_warm_up_after_close_does_not_mark_ready(app: Flask) -> None:
    svc = app.extensions["atelier"]
    svc.close()
    svc.warm_up()
    assert not svc.ready


def test_head_probes_have_no_body(app: Flask) -> None:
    resp = app.test_client().head("/healthz")
    assert resp.status_code == 200
    assert resp.data == b""


def test_wrong_method_on_a_probe_is_an_envelope_405(app: Flask) -> None:
    resp = app.test_client().post("/healthz")
    assert resp.status_code == 405
    assert json.loads(resp.data)["status"]["errors"]


def test_readyz_is_503_stopping_once_the_server_drains(app: Flask) -> None:
    svc = app.extensions["atelier"]
    svc.warm_up()
    svc.lifecycle.drain("test")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "stopping"
    assert "test" in resp.get_json()["message"]
    assert app.test_client().get("/healthz").status_code == 200


def test_warm_up_while_draining_never_marks_ready(app: Flask) -> None:
    svc = app.extensions["atelier"]
    svc.lifecycle.drain("test")
    svc.warm_up()
    assert not svc.ready
