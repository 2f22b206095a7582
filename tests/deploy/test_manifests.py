"""deploy/kubernetes: every manifest and every rendered overlay is schema-valid, offline, and
keeps the sandbox rules (lifetime, probes, unprivileged pod, resources, wiring)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from atelier_api.app import create_app
from atelier_api.config import OPTIONS, load_settings

from .kube import (
    KUBE,
    ROOT,
    ManifestError,
    Resource,
    by_kind,
    kustomization_dirs,
    pod_spec,
    render,
    resource_files,
    validate,
    validate_file,
)

#: the sandbox's kustomizations (deploy/kubernetes/launcher is the launcher's own:
#: tests/deploy/test_launcher_manifests.py)
OVERLAYS = {p.relative_to(KUBE).as_posix(): p for p in kustomization_dirs()
            if p.relative_to(KUBE).parts[0] != "launcher"}
RENDERED = {name: render(path) for name, path in OVERLAYS.items()}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Validation must work with no network at all: any connection attempt fails the test."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the manifest validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def _containers(resource: Resource) -> list[Resource]:
    spec = pod_spec(resource)
    return list(spec.get("containers", [])) + list(spec.get("initContainers", []))


def _server(resource: Resource) -> Resource:
    return next(c for c in pod_spec(resource)["containers"] if c["name"] == "atelier-api")


def _plain_env(job: Resource) -> dict[str, str]:
    """The literal environment values of the server container (secrets left out)."""
    return {e["name"]: e["value"] for e in _server(job)["env"] if "value" in e}


# what the image and the Secret add to the manifests' own environment
CREDENTIALS = {"ATELIER_HOST": "0.0.0.0", "ATELIER_USERNAME": "u", "ATELIER_PASSWORD": "p"}


def test_the_layout_has_a_base_and_the_overlays() -> None:
    assert set(OVERLAYS) == {"base", "overlays/persistent", "overlays/git-clone",
                             "overlays/per-user-example"}


def test_the_network_guard_is_active() -> None:
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("127.0.0.1", 9))


@pytest.mark.parametrize("path", resource_files(), ids=lambda p: p.relative_to(KUBE).as_posix())
def test_every_manifest_file_is_schema_valid(path: Path) -> None:
    assert validate_file(path) >= 1


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_every_rendered_kustomization_is_schema_valid(name: str) -> None:
    resources = RENDERED[name]
    assert by_kind(resources, "Job") and by_kind(resources, "Service")
    for resource in resources:
        validate(resource)


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_lifetime_is_enforced_by_the_server_and_by_the_orchestrator(name: str) -> None:
    (job,) = by_kind(RENDERED[name], "Job")
    settings = load_settings(env={**_plain_env(job), **CREDENTIALS})
    lifetime = settings.max_lifetime_seconds
    assert 0 < lifetime <= 24 * 3600
    assert 0 < settings.idle_timeout_seconds < lifetime
    # Kubernetes stops the pod soon after the server should have stopped itself
    assert lifetime < job["spec"]["activeDeadlineSeconds"] <= lifetime + 600
    assert 0 <= job["spec"]["ttlSecondsAfterFinished"] <= 3600
    assert pod_spec(job)["restartPolicy"] == "OnFailure"  # exit 0 on shutdown ends the Job
    assert pod_spec(job)["terminationGracePeriodSeconds"] >= 30


def test_probes_use_the_health_endpoints_of_the_app(tmp_path: Path) -> None:
    (job,) = by_kind(RENDERED["base"], "Job")
    server = _server(job)
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in server["ports"]}
    assert ports == {"http": 52773}
    probes = ("readinessProbe", "livenessProbe", "startupProbe")
    assert {server[p]["httpGet"]["port"] for p in probes} == {"http"}
    app = create_app(load_settings(env={}, cli={"state_dir": str(tmp_path)}))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503  # nothing warmed it up


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_pods_run_unprivileged_on_a_read_only_root(name: str) -> None:
    (job,) = by_kind(RENDERED[name], "Job")
    pod = pod_spec(job)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (10001, 10001, 10001)
    assert "USER 10001:10001" in (ROOT / "Dockerfile").read_text().splitlines()
    assert pod_spec(job)["automountServiceAccountToken"] is False
    for container in _containers(job):
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/workspace", "/tmp"} <= mounts


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_every_container_has_requests_and_limits(name: str) -> None:
    (job,) = by_kind(RENDERED[name], "Job")
    for container in _containers(job):
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_environment_is_a_configuration_the_server_accepts(name: str) -> None:
    declared = {o.env for o in OPTIONS}
    (job,) = by_kind(RENDERED[name], "Job")
    used = {e["name"] for e in _server(job)["env"]}
    assert used <= declared, used - declared
    assert {"ATELIER_USERNAME", "ATELIER_PASSWORD", "ATELIER_NAMESPACES"} <= used
    settings = load_settings(env={**_plain_env(job), **CREDENTIALS})
    assert settings.namespace("USER") is not None


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_service_secret_and_claim_point_at_what_exists(name: str) -> None:
    resources = RENDERED[name]
    (job,) = by_kind(resources, "Job")
    (service,) = by_kind(resources, "Service")
    (policy,) = by_kind(resources, "NetworkPolicy")
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {"http"}
    secrets = {s["metadata"]["name"]: s["stringData"] for s in by_kind(resources, "Secret")}
    for env in _server(job)["env"]:
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["key"] in secrets[ref["name"]]
    claims = {c["metadata"]["name"] for c in by_kind(resources, "PersistentVolumeClaim")}
    used = {v["persistentVolumeClaim"]["claimName"] for v in pod_spec(job)["volumes"]
            if "persistentVolumeClaim" in v}
    assert used == claims


def test_the_base_workspace_is_throw_away_and_the_persistent_one_a_claim() -> None:
    def workspace(name: str) -> Resource:
        (job,) = by_kind(RENDERED[name], "Job")
        return next(v for v in pod_spec(job)["volumes"] if v["name"] == "workspace")

    assert "emptyDir" in workspace("base")
    assert workspace("overlays/persistent")["persistentVolumeClaim"]["claimName"] == (
        "atelier-sandbox-workspace")


def test_per_user_overlay_names_and_selects_only_its_own_sandbox() -> None:
    resources = RENDERED["overlays/per-user-example"]
    assert all(r["metadata"]["name"].endswith("-alice") for r in resources)
    (service,) = by_kind(resources, "Service")
    assert service["spec"]["selector"]["atelier-api/owner"] == "alice"


def test_git_clone_overlay_makes_user_a_clone_and_may_reach_out() -> None:
    resources = RENDERED["overlays/git-clone"]
    (job,) = by_kind(resources, "Job")
    env = _plain_env(job)
    assert env["ATELIER_NAMESPACES"].startswith("USER=git+")
    settings = load_settings(env={**env, **CREDENTIALS})
    assert settings.namespace("USER").source == "git"  # type: ignore[union-attr]
    (policy,) = by_kind(resources, "NetworkPolicy")
    assert {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]} >= {53, 443}
    (base_policy,) = by_kind(RENDERED["base"], "NetworkPolicy")
    assert base_policy["spec"]["egress"] == []


# -- the validator must catch broken manifests ------------------------------------------------
def _break_type(job: Resource) -> None:
    job["spec"]["activeDeadlineSeconds"] = "eight hours"


def _break_misspelled_field(job: Resource) -> None:
    server = pod_spec(job)["containers"][0]
    server["readinesProbe"] = server.pop("readinessProbe")


def _break_missing_required(job: Resource) -> None:
    del pod_spec(job)["containers"][0]["name"]


def _break_api_version(job: Resource) -> None:
    job["apiVersion"] = "apps/v1"


BREAKAGES = [_break_type, _break_misspelled_field, _break_missing_required, _break_api_version]
REJECTED = (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError,
            ManifestError, yaml.YAMLError)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__[len("_break_"):])
def test_a_broken_copy_of_the_job_is_rejected(tmp_path: Path, breakage: Any) -> None:
    copy = tmp_path / "sandbox-job.yaml"
    shutil.copy(KUBE / "base" / "sandbox-job.yaml", copy)
    assert validate_file(copy) == 1  # the intact copy passes
    (job,) = yaml.safe_load_all(copy.read_text())
    breakage(job)
    copy.write_text(yaml.safe_dump(job))
    with pytest.raises(REJECTED):
        validate_file(copy)


@pytest.mark.parametrize("text", ["spec: [unclosed", "just a string", "apiVersion: v1\n"])
def test_text_that_is_no_resource_is_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(REJECTED):
        validate_file(path)
