"""The committed OpenAPI document matches the app, and the app serves it with a local docs page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Flask

from atelier_api.cli import write_openapi
from atelier_api.openapi import OPENAPI_PATH, generate

REGENERATE = "regenerate it with: atelier-api openapi -o openapi/openapi.json"


def _operations(spec: dict[str, Any]) -> set[str]:
    methods = {"get", "put", "post", "delete", "head", "patch", "options"}
    return {f"{m.upper()} {path}" for path, item in spec.get("paths", {}).items()
            for m in item if m in methods}


def test_openapi_path_is_the_committed_file(repo: Path) -> None:
    assert Path(OPENAPI_PATH) == repo / "openapi" / "openapi.json"


def test_committed_openapi_matches_generated(repo: Path) -> None:
    committed = json.loads((repo / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    generated = generate()
    added = sorted(_operations(generated) - _operations(committed))
    removed = sorted(_operations(committed) - _operations(generated))
    assert not added and not removed, (
        f"openapi/openapi.json is out of date (new: {added}, gone: {removed}); {REGENERATE}")
    assert committed == generated, f"openapi/openapi.json is out of date; {REGENERATE}"


def test_committed_openapi_bytes_match_the_cli_output(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    write_openapi(str(out))
    committed = (repo / "openapi" / "openapi.json").read_bytes()
    assert committed == out.read_bytes(), f"formatting or content drifted; {REGENERATE}"


def test_generated_document_describes_the_api() -> None:
    spec = generate()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "atelier-api"
    paths = spec["paths"]
    assert "/api/atelier/" in paths
    assert {"get", "head", "put", "delete"} <= set(paths["/api/atelier/v{version}/{ns}/doc/{name}"])


def test_openapi_json_is_served_without_login(app: Flask, repo: Path) -> None:
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    served = resp.get_json()
    committed = json.loads((repo / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    assert served["info"] == committed["info"]
    # the launcher's operations are another service's (their path items name its server)
    own = {path: item for path, item in committed["paths"].items() if "servers" not in item}
    assert _operations(served) == _operations({"paths": own})
    assert all(p.startswith("/launcher/") for p in set(committed["paths"]) - set(own))


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


def test_docs_page_is_served_with_local_assets_only(app: Flask) -> None:
    client = app.test_client()
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "/openapi.json" in html, "the page must load the spec from this server"
    urls = _asset_urls(html)
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls)
    for url in urls:
        assert url.startswith("/docs/static/"), f"asset {url} is not served locally"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.get_data()) > 1000, url
    assert not re.search(r"https?://", html.replace("http://www.w3.org", "")), \
        "the docs page must not reference a remote host (no CDN)"


def test_docs_asset_outside_the_bundle_is_not_served(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/docs/static/../../config.py").status_code == 404
    assert client.get("/docs/static/no-such-file.js").status_code == 404
