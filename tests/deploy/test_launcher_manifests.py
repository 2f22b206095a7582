"""deploy/kubernetes/launcher: the launcher's own Deployment is schema-valid, offline, grants
exactly what its kubernetes backend calls, and wires a configuration the launcher accepts."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from atelier_api.launcher import kube
from atelier_api.launcher.serve import build
from atelier_api.launcher.settings import (
    OPTION_BY_KEY,
    LauncherConfigError,
    hash_password,
    load_launcher_settings,
)

from .kube import KUBE, ROOT, Resource, by_kind, pod_spec, render, validate

FOLDER = KUBE / "launcher"
RESOURCES = render(FOLDER)


def one(kind: str) -> Resource:
    (found,) = by_kind(RESOURCES, kind)
    return found


def container() -> Resource:
    (found,) = pod_spec(one("Deployment"))["containers"]
    return found


def mounts() -> dict[str, Resource]:
    return {m["name"]: m for m in container()["volumeMounts"]}


def test_every_object_is_schema_valid() -> None:
    kinds = sorted(r["kind"] for r in RESOURCES)
    assert kinds == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Role", "RoleBinding",
                     "Secret", "Service", "ServiceAccount"]
    for resource in RESOURCES:
        validate(resource)


def _backend_calls() -> set[tuple[str, str]]:
    """(resource, verb) of every namespaced API call in the kubernetes backend."""
    verbs = {"create": "create", "read": "get", "list": "list", "delete": "delete",
             "patch": "patch", "replace": "update"}
    plural = {"pod": "pods", "secret": "secrets", "service": "services",
              "network_policy": "networkpolicies",
              "persistent_volume_claim": "persistentvolumeclaims"}
    found = set()
    tree = ast.parse(Path(kube.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            match = re.fullmatch(r"(create|read|list|delete|patch|replace)_namespaced_(\w+)",
                                 node.attr)
            if match:
                found.add((plural[match[2]], verbs[match[1]]))
    return found


def test_the_role_grants_exactly_what_the_backend_calls() -> None:
    granted = {(resource, verb) for rule in one("Role")["rules"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    calls = _backend_calls()
    assert ("pods", "create") in calls and ("networkpolicies", "patch") in calls
    assert granted == calls
    groups = {r: rule["apiGroups"] for rule in one("Role")["rules"] for r in rule["resources"]}
    assert groups["networkpolicies"] == ["networking.k8s.io"]
    binding = one("RoleBinding")
    assert binding["roleRef"]["name"] == one("Role")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount",
                                    "name": one("ServiceAccount")["metadata"]["name"]}]
    spec = pod_spec(one("Deployment"))
    assert spec["serviceAccountName"] == one("ServiceAccount")["metadata"]["name"]
    assert spec["automountServiceAccountToken"] is True  # it talks to the API


def test_the_pods_carry_the_labels_the_sandboxes_admit() -> None:
    deployment = one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    admitted = dict(p.split("=", 1) for p in
                    str(OPTION_BY_KEY["kube_launcher_labels"].default).split(","))
    assert admitted.items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert one("Service")["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["replicas"] == 1  # one writer of the records
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def _settings(tmp_path: Path) -> tuple[dict[str, object], Path]:
    """The ConfigMap's launcher.toml with its users file replaced by one with a real hash."""
    table = tomllib.loads(one("ConfigMap")["data"]["launcher.toml"])
    users = tmp_path / "users.toml"
    users.write_text(f'[users.operator]\npassword_hash = "{hash_password("pw")}"\n'
                     "operator = true\n")
    text = one("ConfigMap")["data"]["launcher.toml"].replace(table["users_file"], str(users))
    config = tmp_path / "launcher.toml"
    config.write_text(text)
    return table, config


def test_the_configuration_is_one_the_launcher_accepts_and_the_mounts_match(
        tmp_path: Path) -> None:
    table, config = _settings(tmp_path)
    settings = load_launcher_settings(config_file=str(config), env={})
    assert settings.backend == "kubernetes" and settings.host == "0.0.0.0"
    assert settings.kube_namespace == ""  # the launcher's own namespace
    ports = {p["name"]: p["containerPort"] for p in container()["ports"]}
    assert ports == {"http": settings.port}
    command = container()["command"]
    assert command[:2] == ["atelier-api", "launcher"]
    config_path = command[command.index("--config") + 1]
    assert mounts()["config"]["mountPath"] == config_path
    assert mounts()["config"]["subPath"] == "launcher.toml"
    assert Path(str(table["users_file"])).parent.as_posix() == mounts()["users"]["mountPath"]
    assert mounts()["state"]["mountPath"] == settings.state_dir
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in pod_spec(one("Deployment"))["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {"state": one("PersistentVolumeClaim")["metadata"]["name"]}
    secret = one("Secret")
    volumes = {v["name"]: v for v in pod_spec(one("Deployment"))["volumes"]}
    assert volumes["users"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert Path(str(table["users_file"])).name in secret["stringData"]
    assert volumes["config"]["configMap"]["name"] == one("ConfigMap")["metadata"]["name"]


def test_the_probes_ask_the_launchers_health_endpoint(tmp_path: Path) -> None:
    for probe in ("readinessProbe", "livenessProbe"):
        assert container()[probe]["httpGet"] == {"path": "/launcher/healthz", "port": "http"}
    settings = load_launcher_settings(env={}, cli={"backend": "process",
                                                   "state_dir": str(tmp_path)})
    app, sandboxes = build(settings)
    assert app.test_client().get("/launcher/healthz").status_code == 200
    sandboxes.backend.close()


def test_the_placeholder_users_table_stops_the_launcher_with_a_reason(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(one("Secret")["stringData"]["users.toml"])
    with pytest.raises(LauncherConfigError, match="needs password_hash"):
        load_launcher_settings(env={}, cli={"users_file": str(users), "backend": "process",
                                            "state_dir": str(tmp_path)})


def test_the_pod_is_unprivileged_on_a_read_only_root() -> None:
    pod = pod_spec(one("Deployment"))["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (10001, 10001, 10001)
    ctx = container()["securityContext"]
    assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"]["drop"] == ["ALL"]
    assert mounts()["tmp"]["mountPath"] == "/tmp"  # its app's private socket folder
    assert {"cpu", "memory"} <= set(container()["resources"]["limits"])


def test_the_image_is_the_dockerfile_with_the_launchers_extras() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ARG EXTRAS=""' in dockerfile and "${EXTRAS:+[$EXTRAS]}" in dockerfile
    assert "EXTRAS=launcher,kubernetes" in (FOLDER / "deployment.yaml").read_text()
    assert container()["image"] == "atelier-api-launcher"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any(d.startswith("kubernetes") for d in extras["kubernetes"])
    assert any(d.startswith("uvloop") for d in extras["launcher"])


def test_own_namespace_is_the_service_accounts(tmp_path: Path) -> None:
    path = tmp_path / "namespace"
    assert kube.own_namespace(str(path)) == "default"  # not in a cluster
    path.write_text("atelier\n")
    assert kube.own_namespace(str(path)) == "atelier"
