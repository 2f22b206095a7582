"""The Kubernetes backend: the objects it derives from a SandboxSpec (schema-valid, labelled,
owned by the Pod, hardened, secrets only in the Secret) and its calls to the API, against a
small fake API server (no cluster runs here)."""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes
import pytest
import yaml
from deploy.kube import validate

from atelier_api.launcher.backend import (
    LABEL_MANAGED,
    LABEL_RULES,
    LABEL_SANDBOX,
    LABEL_START,
    LABEL_USER,
    BackendError,
    BackendUnavailable,
    Mount,
    SandboxSpec,
)
from atelier_api.launcher.kube import (
    LABEL_REASON,
    KubernetesBackend,
    objects_for,
    observed_from,
)

NS = "sandboxes"
LAUNCHER = {"app.kubernetes.io/name": "atelier-launcher"}
PASSWORD = "pw-" + "9f3c1e7a5b"
POD_UID = "7d4a2f0e-1111-4c2b-9a55-0123456789ab"


def spec(preserved: bool = False, **more: Any) -> SandboxSpec:
    """A sandbox as the launcher would ask for one."""
    labels = {LABEL_MANAGED: "launcher-1", LABEL_USER: "alice", LABEL_SANDBOX: "a1b2c3",
              LABEL_RULES: "default", LABEL_START: "preserved" if preserved else "original"}
    values: dict[str, Any] = {
        "sandbox_id": "a1b2c3", "user": "alice", "image": "registry.example/atelier-api:1",
        "env": {"ATELIER_USERNAME": "alice", "ATELIER_PASSWORD": PASSWORD,
                "ATELIER_MAX_LIFETIME_SECONDS": "3600"},
        "labels": labels, "cpus": 1.5, "memory_bytes": 768 * 1024 * 1024,
        "state_volume": "atelier-state-alice" if preserved else None,
    }
    values.update(more)
    return SandboxSpec(**values)


def kinds(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {o["kind"]: o for o in objects}
    assert len(out) == len(objects), "one object of each kind"
    return out


# -- the objects ---------------------------------------------------------------------------


@pytest.mark.parametrize("preserved", [False, True], ids=["original", "preserved"])
def test_every_object_is_schema_valid(preserved: bool) -> None:
    objects = objects_for(spec(preserved), namespace=NS, launcher_selector=LAUNCHER,
                          service_account="sandbox", pod_uid=POD_UID)
    expected = {"Secret", "NetworkPolicy", "Pod", "Service"}
    assert set(kinds(objects)) == expected | ({"PersistentVolumeClaim"} if preserved else set())
    for resource in objects:
        validate(resource)


@pytest.mark.parametrize("preserved", [False, True], ids=["original", "preserved"])
def test_every_object_carries_the_labels(preserved: bool) -> None:
    labels = spec(preserved).labels
    for resource in objects_for(spec(preserved), namespace=NS, launcher_selector=LAUNCHER):
        assert resource["metadata"]["labels"] == labels, resource["kind"]
        assert resource["metadata"]["namespace"] == NS


def test_the_pod_owns_all_but_the_claim() -> None:
    objects = kinds(objects_for(spec(True), namespace=NS, launcher_selector=LAUNCHER,
                                pod_uid=POD_UID))
    for kind in ("Secret", "NetworkPolicy", "Service"):
        assert objects[kind]["metadata"]["ownerReferences"] == [
            {"apiVersion": "v1", "kind": "Pod", "name": "atelier-a1b2c3", "uid": POD_UID,
             "controller": True}], kind
    assert "ownerReferences" not in objects["PersistentVolumeClaim"]["metadata"]
    assert "ownerReferences" not in objects["Pod"]["metadata"]
    # before the Pod exists (no uid) nothing is owned
    for resource in objects_for(spec(True), namespace=NS, launcher_selector=LAUNCHER):
        assert "ownerReferences" not in resource["metadata"]


def test_the_pod_is_hardened_like_base() -> None:
    pod = kinds(objects_for(spec(), namespace=NS, launcher_selector=LAUNCHER))["Pod"]
    assert pod["metadata"]["name"] == "atelier-a1b2c3"
    podspec = pod["spec"]
    assert podspec["restartPolicy"] == "Never"
    assert podspec["automountServiceAccountToken"] is False
    assert podspec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001,
                                          "runAsGroup": 10001, "fsGroup": 10001,
                                          "seccompProfile": {"type": "RuntimeDefault"}}
    assert podspec["activeDeadlineSeconds"] == 3600 + 120
    (container,) = podspec["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                            "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    amounts = {"cpu": "1500m", "memory": str(768 * 1024 * 1024)}
    assert container["resources"] == {"requests": amounts, "limits": amounts}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in podspec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert "emptyDir" in volumes[mounts["/workspace"]]
    assert container["envFrom"] == [{"secretRef": {"name": "atelier-a1b2c3"}}]


def test_no_limits_no_deadline_when_the_spec_sets_none() -> None:
    bare = spec(cpus=0.0, memory_bytes=0, env={"ATELIER_PASSWORD": PASSWORD})
    pod = kinds(objects_for(bare, namespace=NS, launcher_selector=LAUNCHER))["Pod"]
    assert "resources" not in pod["spec"]["containers"][0]
    assert "activeDeadlineSeconds" not in pod["spec"]


def test_the_preserved_state_is_a_claim_of_its_own() -> None:
    objects = kinds(objects_for(spec(True), namespace=NS, launcher_selector=LAUNCHER,
                                state_size="5Gi"))
    claim = objects["PersistentVolumeClaim"]
    assert claim["metadata"]["name"] == "atelier-state-alice"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    podspec = objects["Pod"]["spec"]
    state = next(v for v in podspec["volumes"] if "persistentVolumeClaim" in v)
    assert state["persistentVolumeClaim"] == {"claimName": "atelier-state-alice"}
    mount = next(m for m in podspec["containers"][0]["volumeMounts"]
                 if m["name"] == state["name"])
    assert mount["mountPath"] == "/var/lib/atelier"


def test_the_network_policy_admits_only_the_launcher() -> None:
    objects = kinds(objects_for(spec(), namespace=NS, launcher_selector=LAUNCHER))
    policy, pod, service = objects["NetworkPolicy"], objects["Pod"], objects["Service"]
    selected = policy["spec"]["podSelector"]["matchLabels"]
    assert selected.items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": LAUNCHER}}],
                                          "ports": [{"port": 52773, "protocol": "TCP"}]}]
    assert policy["spec"]["egress"] == []
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert service["spec"]["type"] == "ClusterIP"
    assert [p["port"] for p in service["spec"]["ports"]] == [52773]


def test_the_secret_holds_the_settings_and_nothing_else_does() -> None:
    objects = kinds(objects_for(spec(True), namespace=NS, launcher_selector=LAUNCHER))
    env = objects["Secret"]["stringData"]
    assert env["ATELIER_PASSWORD"] == PASSWORD
    assert env["ATELIER_USERNAME"] == "alice"
    # the names the launcher reaches the sandbox by pass the server's Host check
    assert "atelier-a1b2c3.sandboxes.svc" in env["ATELIER_ALLOWED_HOSTS"].split(",")
    for kind, resource in objects.items():
        text = json.dumps(resource)
        if kind != "Secret":
            assert PASSWORD not in text, kind
        assert PASSWORD not in json.dumps(resource["metadata"]), kind
    assert "env" not in objects["Pod"]["spec"]["containers"][0]


def test_allowed_hosts_already_set_are_kept() -> None:
    env = {"ATELIER_PASSWORD": PASSWORD, "ATELIER_ALLOWED_HOSTS": "ide.example.com"}
    secret = kinds(objects_for(spec(env=env), namespace=NS, launcher_selector=LAUNCHER))["Secret"]
    hosts = secret["stringData"]["ATELIER_ALLOWED_HOSTS"].split(",")
    assert hosts[0] == "ide.example.com" and "atelier-a1b2c3.sandboxes.svc" in hosts
    env["ATELIER_ALLOWED_HOSTS"] = "*"
    secret = kinds(objects_for(spec(env=env), namespace=NS, launcher_selector=LAUNCHER))["Secret"]
    assert secret["stringData"]["ATELIER_ALLOWED_HOSTS"] == "*"


def test_host_folders_are_refused() -> None:
    with pytest.raises(BackendError, match="host folders cannot be mounted"):
        objects_for(spec(mounts=(Mount("/srv/code", "/workspace"),)), namespace=NS,
                    launcher_selector=LAUNCHER)


@pytest.mark.parametrize(("changes", "words"), [
    ({"sandbox_id": "Not_A_Name"}, "sandbox id"),
    ({"sandbox_id": "x" * 60}, "sandbox id"),
    ({"user": "alice@example.com"}, "label"),
    ({"state_volume": "State Of Alice"}, "state volume"),
    ({"env": {"ATELIER PASSWORD": "x"}}, "environment variable"),
])
def test_what_kubernetes_would_refuse_is_refused_first(changes: dict[str, Any],
                                                        words: str) -> None:
    with pytest.raises(BackendError, match=words):
        objects_for(spec(**changes), namespace=NS, launcher_selector=LAUNCHER)


def test_an_empty_launcher_selector_is_refused() -> None:
    with pytest.raises(BackendError, match="selector is empty"):
        objects_for(spec(), namespace=NS, launcher_selector={})


# -- the Pod's status as Observed ----------------------------------------------------------


def pod_json(phase: str, *, state: dict[str, Any] | None = None, ready: bool = False,
             deleting: bool = False, conditions: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    """A Pod as the API returns it (the fields the backend reads, and a few more)."""
    labels = dict(spec().labels)
    meta: dict[str, Any] = {"name": "atelier-a1b2c3", "namespace": NS, "uid": POD_UID,
                            "labels": labels, "resourceVersion": "4711",
                            "creationTimestamp": "2024-05-01T10:00:00Z"}
    if deleting:
        meta["deletionTimestamp"] = "2024-05-01T11:00:00Z"
    status: dict[str, Any] = {"phase": phase, "conditions": conditions or [],
                              "qosClass": "Guaranteed"}
    if state is not None:
        status["containerStatuses"] = [{"name": "atelier-api", "ready": ready,
                                        "restartCount": 0, "image": "atelier-api:1",
                                        "imageID": "", "state": state}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {}, "status": status}


def test_pending_is_starting() -> None:
    seen = observed_from(pod_json("Pending", state={"waiting": {"reason": "ContainerCreating"}}),
                         NS)
    assert (seen.status, seen.endpoint, seen.user, seen.sandbox_id) == (
        "starting", None, "alice", "a1b2c3")
    assert seen.labels[LABEL_REASON] == "ContainerCreating"
    assert seen.labels[LABEL_MANAGED] == "launcher-1"


def test_unschedulable_is_starting_with_its_reason() -> None:
    condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
    seen = observed_from(pod_json("Pending", conditions=[condition]), NS)
    assert seen.status == "starting" and seen.labels[LABEL_REASON] == "Unschedulable"


@pytest.mark.parametrize("reason", ["ErrImagePull", "ImagePullBackOff", "InvalidImageName"])
def test_an_image_that_cannot_be_pulled_is_an_exit_with_its_reason(reason: str) -> None:
    state = {"waiting": {"reason": reason, "message": "manifest unknown"}}
    seen = observed_from(pod_json("Pending", state=state), NS)
    assert seen.status == "exited" and seen.exit_code is None
    assert seen.labels[LABEL_REASON] == f"{reason}: manifest unknown"


def test_running_is_reached_at_the_service() -> None:
    state = {"running": {"startedAt": "2024-05-01T10:00:03Z"}}
    seen = observed_from(pod_json("Running", state=state, ready=True), NS)
    assert seen.status == "running"
    assert seen.endpoint == ("atelier-a1b2c3.sandboxes.svc", 52773)
    assert LABEL_REASON not in seen.labels


@pytest.mark.parametrize(("phase", "terminated", "code", "oom"), [
    ("Succeeded", {"exitCode": 0, "reason": "Completed"}, 0, False),
    ("Failed", {"exitCode": 137, "reason": "OOMKilled"}, 137, True),
    ("Failed", {"exitCode": 3, "reason": "Error"}, 3, False),
])
def test_an_exit_has_its_code_and_oom(phase: str, terminated: dict[str, Any], code: int,
                                      oom: bool) -> None:
    seen = observed_from(pod_json(phase, state={"terminated": terminated}), NS)
    assert (seen.status, seen.exit_code, seen.oom_killed) == ("exited", code, oom)
    assert seen.labels[LABEL_REASON] == terminated["reason"]
    assert seen.endpoint is None


def test_a_deadline_without_a_container_exit_is_an_exit() -> None:
    pod = pod_json("Failed")
    pod["status"]["reason"] = "DeadlineExceeded"
    seen = observed_from(pod, NS)
    assert (seen.status, seen.exit_code, seen.labels[LABEL_REASON]) == (
        "exited", None, "DeadlineExceeded")


def test_a_pod_being_deleted_is_an_exit() -> None:
    seen = observed_from(pod_json("Running", state={"running": {}}, deleting=True), NS)
    assert seen.status == "exited" and seen.labels[LABEL_REASON] == "Terminating"


# -- the API calls, against a fake API server ----------------------------------------------

_PATH = re.compile(r"/(?:api/v1|apis/networking\.k8s\.io/v1)/namespaces/(?P<ns>[^/]+)/"
                   r"(?P<resource>pods|secrets|services|persistentvolumeclaims|networkpolicies)"
                   r"(?:/(?P<name>[^/]+))?")
_KINDS = {"pods": "Pod", "secrets": "Secret", "services": "Service",
          "persistentvolumeclaims": "PersistentVolumeClaim", "networkpolicies": "NetworkPolicy"}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    resource: str
    name: str | None
    query: dict[str, list[str]]
    body: Any
    content_type: str


@dataclass
class FakeApi:
    """A stand-in for the Kubernetes API server, because no cluster runs on this machine.

    It speaks only the few namespaced endpoints the backend uses (create, read, list with an
    equality label selector, JSON-patch ``add``, delete, for pods, secrets, services,
    claims and network policies), keeps the objects in a dict, gives created objects a uid
    and created Pods a ``Pending`` status, and answers errors as ``Status`` objects. It
    records every request. ``fail`` makes a (method, resource) answer an error instead. It
    does no validation, admission, scheduling or garbage collection.
    """

    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[BaseException] = field(default_factory=list)  # the fake's own failures

    def handle(self, method: str, path: str, content_type: str, raw: bytes
               ) -> tuple[int, dict[str, Any]]:
        url = urlsplit(path)
        match = _PATH.fullmatch(url.path)
        if match is None or match["ns"] != NS:
            return 404, status(404, "NotFound", f"no route {url.path}")
        resource, name = match["resource"], match["name"]
        body = json.loads(raw) if raw else None
        with self.lock:
            self.calls.append(Call(method, resource, name, parse_qs(url.query),
                                   copy.deepcopy(body), content_type))
            if (method, resource) in self.fail:
                code = self.fail[(method, resource)]
                return code, status(code, "Invalid", f"{resource} refused by the test")
            return self._answer(method, resource, name, body, parse_qs(url.query),
                                content_type)

    def _answer(self, method: str, resource: str, name: str | None, body: Any,
                query: dict[str, list[str]], content_type: str) -> tuple[int, dict[str, Any]]:
        key = (resource, name or "")
        if method == "POST":
            name = body["metadata"]["name"]
            if (resource, name) in self.objects:
                return 409, status(409, "AlreadyExists", f'{resource} "{name}" already exists')
            body["metadata"]["uid"] = str(uuid.uuid4())
            if resource == "pods":
                body["status"] = {"phase": "Pending", "qosClass": "Guaranteed"}
            if resource == "secrets" and "stringData" in body:
                body["data"] = {k: base64.b64encode(v.encode()).decode()
                                for k, v in body.pop("stringData").items()}
            self.objects[(resource, name)] = body
            return 201, body
        if method == "GET" and name is None:
            wanted = dict(pair.split("=", 1) for sel in query.get("labelSelector", [])
                          for pair in sel.split(","))
            items = [o for (r, _), o in self.objects.items() if r == resource
                     and wanted.items() <= o["metadata"].get("labels", {}).items()]
            limit = int(query.get("limit", ["0"])[0])
            return 200, {"kind": _KINDS[resource] + "List", "apiVersion": "v1",
                         "metadata": {"resourceVersion": "1"},
                         "items": items[:limit] if limit else items}
        if key not in self.objects:
            return 404, status(404, "NotFound", f'{resource} "{name}" not found')
        if method == "GET":
            return 200, self.objects[key]
        if method == "PATCH":
            assert content_type == "application/json-patch+json", content_type
            for op in body:
                assert op["op"] == "add" and op["path"] == "/metadata/ownerReferences"
                self.objects[key]["metadata"]["ownerReferences"] = op["value"]
            return 200, self.objects[key]
        if method == "DELETE":
            gone = self.objects.pop(key)
            return 200, gone
        return 405, status(405, "MethodNotAllowed", method)

    def names(self, resource: str) -> set[str]:
        return {name for r, name in self.objects if r == resource}

    def made(self) -> list[tuple[str, str, str | None]]:
        return [(c.method, c.resource, c.name) for c in self.calls]


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, str]]:
    """The fake API server on a free loopback port; yields it and its URL."""
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                code, answer = fake.handle(self.command, self.path,
                                           self.headers.get("Content-Type", ""), raw)
            except Exception as exc:  # an unexpected request: the test fails at teardown
                fake.errors.append(exc)
                code, answer = 500, status(500, "InternalError", repr(exc))
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _any  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
    assert fake.errors == []


def backend_at(url: str) -> KubernetesBackend:
    configuration = kubernetes.client.Configuration()
    configuration.host = url
    client = kubernetes.client.ApiClient(configuration)
    return KubernetesBackend(NS, "launcher-1", LAUNCHER, client, request_timeout=5)


@pytest.fixture
def backend(api: tuple[FakeApi, str]) -> Iterator[KubernetesBackend]:
    made = backend_at(api[1])
    yield made
    made.close()


def test_create_makes_the_objects_and_the_pod_owns_them(
        api: tuple[FakeApi, str], backend: KubernetesBackend) -> None:
    fake = api[0]
    seen = backend.create(spec(True))
    assert (seen.status, seen.sandbox_id, seen.user) == ("starting", "a1b2c3", "alice")
    assert fake.made() == [
        ("POST", "persistentvolumeclaims", None), ("POST", "secrets", None),
        ("POST", "networkpolicies", None), ("POST", "pods", None),
        ("PATCH", "secrets", "atelier-a1b2c3"), ("PATCH", "networkpolicies", "atelier-a1b2c3"),
        ("POST", "services", None)]
    uid = fake.objects[("pods", "atelier-a1b2c3")]["metadata"]["uid"]
    for resource in ("secrets", "networkpolicies", "services"):
        refs = fake.objects[(resource, "atelier-a1b2c3")]["metadata"]["ownerReferences"]
        assert [(r["kind"], r["name"], r["uid"]) for r in refs] == [
            ("Pod", "atelier-a1b2c3", uid)], resource
    claim = fake.objects[("persistentvolumeclaims", "atelier-state-alice")]
    assert "ownerReferences" not in claim["metadata"]
    # what reached the API: the labels (with this launcher's id), the password only in the
    # Secret
    for call in fake.calls:
        if call.method == "POST":
            assert call.body["metadata"]["labels"][LABEL_MANAGED] == "launcher-1"
            assert (PASSWORD in json.dumps(call.body)) == (call.resource == "secrets")


def test_create_keeps_an_existing_claim(api: tuple[FakeApi, str],
                                        backend: KubernetesBackend) -> None:
    fake = api[0]
    fake.objects[("persistentvolumeclaims", "atelier-state-alice")] = {
        "metadata": {"name": "atelier-state-alice", "labels": {"kept": "yes"}}}
    backend.create(spec(True))
    assert fake.objects[("persistentvolumeclaims", "atelier-state-alice")]["metadata"][
        "labels"] == {"kept": "yes"}
    assert fake.names("pods") == {"atelier-a1b2c3"}


@pytest.mark.parametrize("step", [("POST", "secrets"), ("POST", "networkpolicies"),
                                  ("POST", "pods"), ("PATCH", "secrets"),
                                  ("PATCH", "networkpolicies"), ("POST", "services")])
def test_a_failed_create_removes_what_it_made(api: tuple[FakeApi, str],
                                              backend: KubernetesBackend,
                                              step: tuple[str, str]) -> None:
    fake = api[0]
    fake.fail[step] = 422
    with pytest.raises(BackendError, match="refused") as caught:
        backend.create(spec(True))
    assert not isinstance(caught.value, BackendUnavailable)
    assert PASSWORD not in str(caught.value)
    assert fake.objects == {}, "everything made by the call is deleted, the new claim too"
    assert ("POST", "persistentvolumeclaims", None) in fake.made()
    assert ("DELETE", "persistentvolumeclaims", "atelier-state-alice") in fake.made()


def test_a_failed_create_keeps_a_claim_that_existed(api: tuple[FakeApi, str],
                                                    backend: KubernetesBackend) -> None:
    fake = api[0]
    fake.objects[("persistentvolumeclaims", "atelier-state-alice")] = {
        "metadata": {"name": "atelier-state-alice"}}
    fake.fail[("POST", "services")] = 403
    with pytest.raises(BackendError, match=r"Service \(403"):
        backend.create(spec(True))
    assert set(fake.objects) == {("persistentvolumeclaims", "atelier-state-alice")}
    deleted = {(c.resource, c.name) for c in fake.calls if c.method == "DELETE"}
    assert deleted == {("pods", "atelier-a1b2c3"), ("secrets", "atelier-a1b2c3"),
                       ("networkpolicies", "atelier-a1b2c3")}


def test_a_refused_secret_does_not_quote_the_api(api: tuple[FakeApi, str],
                                                 backend: KubernetesBackend) -> None:
    api[0].fail[("POST", "secrets")] = 422
    with pytest.raises(BackendError) as caught:
        backend.create(spec())
    assert "refused by the test" not in str(caught.value)
    api[0].fail = {("POST", "pods"): 422}
    with pytest.raises(BackendError, match="pods refused by the test"):
        backend.create(spec())


def test_a_second_create_of_the_same_sandbox_is_refused_and_leaves_the_first(
        api: tuple[FakeApi, str], backend: KubernetesBackend) -> None:
    fake = api[0]
    backend.create(spec())
    before = json.dumps(sorted(fake.objects.items()))
    with pytest.raises(BackendError, match="exists already"):
        backend.create(spec())
    assert json.dumps(sorted(fake.objects.items())) == before


def test_mounts_are_refused_before_any_call(api: tuple[FakeApi, str],
                                            backend: KubernetesBackend) -> None:
    with pytest.raises(BackendError, match="host folders"):
        backend.create(spec(mounts=(Mount("/srv", "/workspace"),)))
    assert api[0].calls == []


def test_observe_and_list_owned(api: tuple[FakeApi, str], backend: KubernetesBackend) -> None:
    fake = api[0]
    assert backend.observe("a1b2c3") is None  # 404
    backend.create(spec())
    fake.objects[("pods", "atelier-a1b2c3")]["status"] = pod_json(
        "Running", state={"running": {}}, ready=True)["status"]
    seen = backend.observe("a1b2c3")
    assert seen is not None and seen.status == "running"
    assert seen.endpoint == ("atelier-a1b2c3.sandboxes.svc", 52773)
    # another launcher's pod is not listed
    fake.objects[("pods", "atelier-other")] = pod_json("Running")
    fake.objects[("pods", "atelier-other")]["metadata"]["labels"][LABEL_MANAGED] = "launcher-2"
    owned = backend.list_owned()
    assert [o.sandbox_id for o in owned] == ["a1b2c3"]
    listing = [c for c in fake.calls if c.method == "GET" and c.name is None][-1]
    assert listing.query["labelSelector"] == ["atelier-api.launcher=launcher-1"]


def test_remove_deletes_the_pod_gracefully_and_is_idempotent(
        api: tuple[FakeApi, str], backend: KubernetesBackend) -> None:
    fake = api[0]
    backend.create(spec(True))
    fake.calls.clear()
    backend.remove("a1b2c3")
    first = fake.calls[0]
    assert (first.method, first.resource, first.name) == ("DELETE", "pods", "atelier-a1b2c3")
    assert first.query["gracePeriodSeconds"] == ["45"]
    assert first.query["propagationPolicy"] == ["Background"]
    assert fake.names("pods") == fake.names("secrets") == fake.names("services") == set()
    assert fake.names("networkpolicies") == set()
    assert fake.names("persistentvolumeclaims") == {"atelier-state-alice"}
    backend.remove("a1b2c3")  # all 404: fine


def test_drop_state_deletes_only_that_users_claims(api: tuple[FakeApi, str],
                                                    backend: KubernetesBackend) -> None:
    fake = api[0]
    backend.create(spec(True))
    backend.create(spec(True, sandbox_id="b2", user="bob", state_volume="atelier-state-bob",
                        labels={**spec().labels, LABEL_USER: "bob", LABEL_SANDBOX: "b2"}))
    fake.objects[("persistentvolumeclaims", "foreign-alice")] = {"metadata": {
        "name": "foreign-alice", "labels": {LABEL_USER: "alice", LABEL_MANAGED: "launcher-2"}}}
    backend.drop_state("alice")
    assert fake.names("persistentvolumeclaims") == {"atelier-state-bob", "foreign-alice"}
    backend.drop_state("alice")  # nothing left: fine


def test_an_api_that_fails_is_an_error_that_names_it(api: tuple[FakeApi, str],
                                                     backend: KubernetesBackend) -> None:
    api[0].fail[("GET", "pods")] = 503
    with pytest.raises(BackendUnavailable):
        backend.observe("a1b2c3")
    with pytest.raises(BackendUnavailable):
        backend.ping()
    api[0].fail = {}
    backend.ping()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_api_that_does_not_answer_is_unavailable() -> None:
    backend = backend_at(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            backend.ping()
        with pytest.raises(BackendUnavailable):
            backend.create(spec())
        with pytest.raises(BackendUnavailable):
            backend.observe("a1b2c3")
    finally:
        backend.close()


def test_without_a_client_the_kubeconfig_is_used(api: tuple[FakeApi, str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "fake", "cluster": {"server": api[1]}}],
        "users": [{"name": "launcher", "user": {"token": "not-a-secret"}}],
        "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "launcher"}}],
    }), encoding="utf-8")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    backend = KubernetesBackend(NS, "launcher-1", LAUNCHER)
    try:
        backend.ping()
    finally:
        backend.close()
    assert api[0].made() == [("GET", "pods", None)]


def test_without_any_configuration_the_backend_is_unavailable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(BackendUnavailable, match="no Kubernetes configuration"):
        KubernetesBackend(NS, "launcher-1", LAUNCHER)


def test_a_git_workspace_may_reach_dns_https_and_ssh() -> None:
    env = {"ATELIER_PASSWORD": PASSWORD, "ATELIER_GIT_URL": "https://git.example/team/r.git"}
    objects = kinds(objects_for(spec(env=env), namespace=NS, launcher_selector=LAUNCHER))
    validate(objects["NetworkPolicy"])
    ports = {(p["port"], p["protocol"]) for rule in objects["NetworkPolicy"]["spec"]["egress"]
             for p in rule["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (443, "TCP"), (22, "TCP")}
    probe = objects["Pod"]["spec"]["containers"][0]["startupProbe"]
    assert probe["failureThreshold"] == 600
