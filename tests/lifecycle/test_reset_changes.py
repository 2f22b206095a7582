"""Reset (operator endpoint and CLI) and the change list of a workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from atelier_api.app import create_app
from atelier_api.cli import main

from .conftest import (
    CLASS_A1,
    CLASS_A2,
    CLASS_B,
    ROUTINE,
    Origin,
    basic,
    ns_config,
    settings_with,
    write,
)

NEW = "Class Pkg.New\n{\n}\n"


@pytest.fixture
def git_app(origin: Origin, tmp_path: Path) -> Iterator[Flask]:
    """An app whose USER namespace is a clone of the origin at main."""
    settings = settings_with(tmp_path / "state", ns_config(source="git", url=origin.url,
                                                           ref="main"))
    app = create_app(settings)
    yield app
    app.extensions["atelier"].close()


def _call(app: Flask, method: str, path: str, **kw: Any) -> Any:
    resp = app.test_client().open(path, method=method, headers=basic(), **kw)
    return resp.status_code, resp.get_json()


def _put(app: Flask, name: str, text: str) -> str:
    code, env = _call(app, "PUT", f"/api/atelier/v1/USER/doc/{name}",
                      query_string={"ignoreConflict": "1"},
                      json={"enc": False, "content": text.split("\n")})
    assert code in (200, 201), env
    return str(env["result"]["ts"])


def _ts(app: Flask, name: str) -> str:
    code, env = _call(app, "GET", f"/api/atelier/v1/USER/doc/{name}")
    assert code == 200, env
    return str(env["result"]["ts"])


def _edit_through_the_api(app: Flask) -> str:
    ts = _put(app, "Pkg.A.cls", CLASS_A1 + "// edited\n")
    _put(app, "Pkg.New.cls", NEW)
    code, env = _call(app, "DELETE", "/api/atelier/v1/USER/doc/R.mac")
    assert code == 200, env
    return ts


def test_change_list_after_put_delete_and_new(git_app: Flask) -> None:
    code, env = _call(git_app, "GET", "/operator/changes/USER")
    assert code == 200 and env["result"]["added"] == env["result"]["modified"] == []
    _edit_through_the_api(git_app)
    code, env = _call(git_app, "GET", "/operator/changes/user")  # any letter case
    assert code == 200, env
    result = env["result"]
    assert (result["added"], result["modified"], result["deleted"]) == (
        ["Pkg.New.cls"], ["Pkg.A.cls"], ["R.mac"])
    assert result["source"] == "git" and len(result["original"]) == 40


def test_reset_endpoint_restores_the_cloned_commit(git_app: Flask, origin: Origin) -> None:
    edited_ts = _edit_through_the_api(git_app)
    root = Path(git_app.extensions["atelier"].workspaces["USER"].ns.root)
    code, env = _call(git_app, "POST", "/operator/reset/USER")
    assert code == 200, env
    assert env["result"]["original"] == origin.c2
    assert env["result"]["undone"] == {"added": ["Pkg.New.cls"], "modified": ["Pkg.A.cls"],
                                       "deleted": ["R.mac"]}
    assert (root / "Pkg/A.cls").read_text() == CLASS_A2
    assert (root / "R.mac").read_text() == ROUTINE and not (root / "Pkg/New.cls").exists()
    assert _ts(git_app, "Pkg.A.cls") > edited_ts  # a client holding the old ts gets a 409
    code, env = _call(git_app, "GET", "/api/atelier/v1/USER/doc/Pkg.New.cls")
    assert code == 404
    code, env = _call(git_app, "GET", "/operator/changes/USER")
    assert env["result"]["added"] == env["result"]["modified"] == env["result"]["deleted"] == []


def test_reset_tells_derived_data(git_app: Flask) -> None:
    store = git_app.extensions["atelier"].stores["USER"]
    seen: list[list[str]] = []
    store.listeners.append(seen.append)
    _edit_through_the_api(git_app)
    assert seen == []  # the API's own writes are no external change
    _call(git_app, "POST", "/operator/reset/USER")
    assert sorted(p for batch in seen for p in batch) == ["Pkg/A.cls", "Pkg/New.cls", "R.mac"]


def test_folder_reset_and_changes(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    write(ws_dir, "Pkg/A.cls", CLASS_A1)
    write(ws_dir, "Pkg/B.cls", CLASS_B)
    app = create_app(settings_with(tmp_path / "state", ns_config(root=str(ws_dir))))
    try:
        _put(app, "Pkg.A.cls", CLASS_A2)
        _put(app, "Pkg.New.cls", NEW)
        _call(app, "DELETE", "/api/atelier/v1/USER/doc/Pkg.B.cls")
        code, env = _call(app, "GET", "/operator/changes/USER")
        assert (env["result"]["added"], env["result"]["modified"], env["result"]["deleted"]) == (
            ["Pkg.New.cls"], ["Pkg.A.cls"], ["Pkg.B.cls"])
        assert env["result"]["original"].startswith("snapshot ")
        code, env = _call(app, "POST", "/operator/reset/USER")
        assert code == 200, env
        assert (ws_dir / "Pkg/A.cls").read_text() == CLASS_A1
        assert (ws_dir / "Pkg/B.cls").read_text() == CLASS_B
        assert not (ws_dir / "Pkg/New.cls").exists()
    finally:
        app.extensions["atelier"].close()


def test_percent_namespace(git_app: Flask) -> None:
    code, env = _call(git_app, "GET", "/operator/changes/%25SYS")
    assert code == 200 and env["result"]["namespace"] == "%SYS"


@pytest.mark.parametrize("headers", [{}, basic(password="wrong"), {"Authorization": "Bearer x"}])
def test_operator_needs_basic_auth(git_app: Flask, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/operator/status"), ("GET", "/operator/changes/USER"),
                         ("POST", "/operator/reset/USER")):
        resp = git_app.test_client().open(path, method=method, headers=headers)
        assert resp.status_code == 401, (path, resp.data)
        assert resp.get_json()["status"]["errors"][0]["code"] == 822
        assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_a_session_cookie_is_not_enough(git_app: Flask) -> None:
    login = git_app.test_client().head("/api/atelier/", headers=basic())
    cookie = login.headers["Set-Cookie"].split(";")[0]
    resp = git_app.test_client().get("/operator/status", headers={"Cookie": cookie})
    assert resp.status_code == 401


def test_unknown_namespace(git_app: Flask) -> None:
    code, env = _call(git_app, "POST", "/operator/reset/NOPE")
    assert code == 404 and "NOPE" in env["status"]["summary"]


def test_status_answers_the_operators_questions(tmp_path: Path) -> None:
    settings = settings_with(tmp_path / "state", ns_config(source="empty"),
                             max_lifetime_seconds=3600, idle_timeout_seconds=600,
                             start_mode="original")
    app = create_app(settings)
    try:
        code, env = _call(app, "GET", "/operator/status")
        result = env["result"]
        assert code == 200
        assert result["max_lifetime_seconds"] == 3600 and result["idle_timeout_seconds"] == 600
        assert 0 < result["lifetime_left_seconds"] <= 3600
        assert result["start_mode"] == "original" and result["draining"] is False
        assert result["namespaces"]["USER"]["source"] == "empty"
    finally:
        app.extensions["atelier"].close()


def test_cli_reset_works_offline(git_app: Flask, tmp_path: Path, origin: Origin,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _edit_through_the_api(git_app)
    root = Path(git_app.extensions["atelier"].workspaces["USER"].ns.root)
    git_app.extensions["atelier"].close()  # the server is gone; the state dir remains
    derived = tmp_path / "state" / "derived" / "USER"
    write(derived, "catalog.sqlite", "stale")
    code = main(["reset", "--namespace", "user", "--state-dir", str(tmp_path / "state")])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["original"] == origin.c2 and out["undone"]["added"] == ["Pkg.New.cls"]
    assert (root / "Pkg/A.cls").read_text() == CLASS_A2 and (root / "R.mac").is_file()
    assert not derived.exists()  # derived data of the namespace is dropped


def test_cli_reset_of_an_unknown_namespace(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["reset", "--namespace", "NOPE", "--state-dir", str(tmp_path / "state")])
    assert code == 2
    assert "namespace NOPE: no recorded original state" in capsys.readouterr().err
