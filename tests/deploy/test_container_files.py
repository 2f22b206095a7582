"""The Dockerfile, its .dockerignore and the container entry point, checked without a container
engine (.ci/container-check builds and runs the image itself)."""

from __future__ import annotations

import os
import re
import subprocess

from .kube import ROOT

ENTRYPOINT = ROOT / "deploy" / "container" / "entrypoint.sh"
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _final_stage() -> str:
    return DOCKERFILE[DOCKERFILE.rindex("\nFROM "):]


def _run_entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    return subprocess.run(["sh", str(ENTRYPOINT), "sh", "-c", 'printf %s "$ATELIER_PASSWORD"'],
                          env={**clean, **env}, capture_output=True, text=True, check=True,
                          timeout=30)


def test_entrypoint_generates_a_password_when_none_is_given() -> None:
    first, second = _run_entrypoint({}), _run_entrypoint({})
    assert re.fullmatch(r"[A-Za-z0-9]{24}", first.stdout)
    assert first.stdout != second.stdout
    assert f"generated password for user _SYSTEM: {first.stdout}" in first.stderr


def test_entrypoint_keeps_a_given_password_and_says_nothing() -> None:
    done = _run_entrypoint({"ATELIER_PASSWORD": "chosen", "ATELIER_USERNAME": "dev"})
    assert (done.stdout, done.stderr) == ("chosen", "")


def test_entrypoint_is_executable_for_the_copy_into_the_image() -> None:
    assert os.access(ENTRYPOINT, os.X_OK)


def test_dockerfile_base_is_a_build_argument_used_by_both_stages() -> None:
    assert "ARG BASE=python:3.12-slim" in DOCKERFILE.splitlines()
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == ["${BASE}", "${BASE}"]


def test_final_stage_runs_unprivileged_and_declares_the_contract() -> None:
    final = _final_stage()
    for line in ("USER 10001:10001", "EXPOSE 52773", 'VOLUME ["/workspace"]',
                 'ENTRYPOINT ["atelier-entrypoint"]', 'CMD ["atelier-api", "serve"]'):
        assert line in final.splitlines(), line
    assert "HEALTHCHECK" in final and "/healthz" in final and "curl" not in final
    assert "ATELIER_HOST=0.0.0.0" in final and "ATELIER_NAMESPACES=USER=/workspace" in final


def test_final_stage_installs_no_build_tools_and_no_credentials() -> None:
    final = _final_stage()
    for tool in ("gcc", "build-essential", "make", "pip install"):
        assert tool not in final, tool
    assert "ATELIER_PASSWORD" not in final and "ATELIER_USERNAME" not in final


def test_dockerignore_lets_in_only_what_the_build_needs() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "LICENSE", "atelier_api", "compiler_stub",
                       "deploy/container/entrypoint.sh"}
    assert {"**/__pycache__", "**/.venv", "**/*.egg-info"} <= set(lines)
