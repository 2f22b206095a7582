"""The Kubernetes backend: one bare Pod per sandbox, with its Secret, Service and network
policy, in one namespace, through the official ``kubernetes`` client.

The objects follow deploy/kubernetes/base (unprivileged, read-only root, no service-account
token, probes, resources) with three differences. The sandbox is a Pod, not a Job: the launcher
decides when a sandbox ends and starts a new one, so a restart inside Kubernetes would only
hide an exit (and its exit code, or an out-of-memory kill) from it; ``restartPolicy: Never``
makes every exit final and visible. Its configuration (``SandboxSpec.env``, the password
included) is one Secret read with ``envFrom``. Its network policy admits only the launcher's
pods, not every client of the namespace.

The Pod owns its Secret, Service and network policy (owner references), so deleting the Pod
lets the garbage collector remove them, whoever deletes it. The preserved-state claim is
never owned: it outlives every sandbox of its user until ``drop_state``.

The ``kubernetes`` package is imported only when a ``KubernetesBackend`` is built, so the
launcher runs without it when another backend is chosen; ``objects_for`` needs nothing of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from atelier_api.launcher.backend import (
    LABEL_MANAGED,
    LABEL_SANDBOX,
    LABEL_USER,
    SANDBOX_PORT,
    BackendError,
    BackendUnavailable,
    Observed,
    SandboxSpec,
)

Resource = dict[str, Any]

#: label key of ``Observed.labels`` that says why a sandbox is not (or no longer) running,
#: e.g. ``ErrImagePull``, ``OOMKilled``, ``DeadlineExceeded``; absent when there is nothing
#: to say. The launcher may show it; it is not put on any Kubernetes object.
LABEL_REASON = "atelier-api.reason"

#: the container's name in the Pod
CONTAINER = "atelier-api"
#: seconds between SIGTERM and SIGKILL: the server drains its jobs and requests (as base does)
GRACE_SECONDS = 45
#: seconds the Pod may outlive the server's own ``max_lifetime_seconds`` before Kubernetes
#: stops it anyway (``activeDeadlineSeconds``)
DEADLINE_GRACE_SECONDS = 120
#: container waiting reasons that mean the image cannot be had: the sandbox will never start
IMAGE_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                            "ErrImageNeverPull", "RegistryUnavailable"})

_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


#: what a sandbox that clones a git repository may reach (as the git-clone overlay): DNS,
#: HTTPS and SSH; any other sandbox reaches nothing
GIT_EGRESS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"},
              {"port": 443, "protocol": "TCP"}, {"port": 22, "protocol": "TCP"}]


def clones_git(env: dict[str, str]) -> bool:
    """Whether the sandbox's settings make it clone a remote git repository at start-up
    (``ATELIER_GIT_URL``, or a ``git+`` namespace of ``ATELIER_NAMESPACES``)."""
    url = env.get("ATELIER_GIT_URL", "").strip()
    return bool(url and not url.startswith("/")) or "=git+" in env.get("ATELIER_NAMESPACES", "")


def sandbox_name(sandbox_id: str) -> str:
    """The name of a sandbox's Pod, and of its Secret, Service and network policy."""
    return f"atelier-{sandbox_id}"


def service_host(sandbox_id: str, namespace: str) -> str:
    """The DNS name under which the launcher reaches a sandbox (its Service)."""
    return f"{sandbox_name(sandbox_id)}.{namespace}.svc"


def owner_reference(pod_name: str, pod_uid: str) -> Resource:
    """An owner reference to the sandbox's Pod (deleting the Pod deletes the owned object)."""
    return {"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod_uid,
            "controller": True}


def objects_for(spec: SandboxSpec, *, namespace: str, launcher_selector: dict[str, str],
                service_account: str | None = None, pull_policy: str = "IfNotPresent",
                pod_uid: str | None = None, state_size: str = "2Gi") -> list[Resource]:
    """The Kubernetes objects of one sandbox, in an order they can be created in: the
    preserved-state claim (when ``spec.state_volume`` is set), the Secret, the network policy,
    the Pod, the Service.

    Every object carries ``spec.labels``. With ``pod_uid`` (the uid the API gave the Pod) the
    Secret, network policy and Service name the Pod as their owner; the claim never does.
    ``launcher_selector`` labels the launcher's pods in ``namespace``: the only clients the
    network policy admits. The sandbox reaches nothing, except DNS, HTTPS and SSH when it
    clones a git repository. ``state_size`` is the size a new claim requests. Raises
    ``BackendError`` for what Kubernetes cannot do or would refuse (host folders, names and
    labels it does not accept).
    """
    if spec.mounts:
        raise BackendError("host folders cannot be mounted into a Kubernetes sandbox: "
                           "use a preserved-state volume or a git workspace instead")
    name = sandbox_name(spec.sandbox_id)
    _check_names(spec, name, namespace, launcher_selector)
    labels = dict(spec.labels)
    labels.setdefault(LABEL_SANDBOX, spec.sandbox_id)
    labels.setdefault(LABEL_USER, spec.user)
    owned: Resource = {"ownerReferences": [owner_reference(name, pod_uid)]} if pod_uid else {}

    def meta(object_name: str, owner: bool) -> Resource:
        out: Resource = {"name": object_name, "namespace": namespace, "labels": dict(labels)}
        if owner:
            out.update(owned)
        return out

    selector = {LABEL_SANDBOX: spec.sandbox_id}
    out: list[Resource] = []
    if spec.state_volume:
        out.append({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta(spec.state_volume, owner=False),
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": state_size}}},
        })
    out.append({
        "apiVersion": "v1", "kind": "Secret", "metadata": meta(name, owner=True),
        "type": "Opaque", "stringData": _environment(spec, namespace),
    })
    out.append({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta(name, owner=True),
        "spec": {
            "podSelector": {"matchLabels": dict(selector)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": dict(launcher_selector)}}],
                         "ports": [{"port": SANDBOX_PORT, "protocol": "TCP"}]}],
            "egress": [{"ports": GIT_EGRESS}] if clones_git(spec.env) else [],
        },
    })
    out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, owner=False),
                "spec": _pod_spec(spec, name, service_account, pull_policy)})
    out.append({
        "apiVersion": "v1", "kind": "Service", "metadata": meta(name, owner=True),
        "spec": {"type": "ClusterIP", "selector": dict(selector),
                 "ports": [{"name": "http", "port": SANDBOX_PORT, "targetPort": "http",
                            "protocol": "TCP"}]},
    })
    return out


def _check_names(spec: SandboxSpec, name: str, namespace: str,
                 launcher_selector: dict[str, str]) -> None:
    """Refuse, before any API call, what the API server would refuse half-way through."""
    if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
        raise BackendError(f"sandbox id {spec.sandbox_id!r} does not make a Kubernetes name "
                           "(lowercase letters, digits and '-', at most 55 characters)")
    if len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace):
        raise BackendError(f"{namespace!r} is not a Kubernetes namespace name")
    if spec.state_volume is not None and (len(spec.state_volume) > 253
                                          or not _DNS_SUBDOMAIN.fullmatch(spec.state_volume)):
        raise BackendError(f"state volume {spec.state_volume!r} is not a Kubernetes name")
    if not launcher_selector:
        raise BackendError("the launcher selector is empty: the network policy would admit "
                           "every pod of the namespace")
    pairs = {**spec.labels, LABEL_USER: spec.user, **launcher_selector}
    for key, value in pairs.items():
        prefix, _, label = key.rpartition("/")
        good_key = (len(label) <= 63 and bool(_LABEL_NAME.fullmatch(label))
                    and (not prefix or (len(prefix) <= 253
                                        and bool(_DNS_SUBDOMAIN.fullmatch(prefix)))))
        if not good_key or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
            raise BackendError(f"label {key}={value!r} is not a Kubernetes label (values: at "
                               "most 63 letters, digits, '-', '_' or '.')")
    for key in spec.env:
        if not _ENV_NAME.fullmatch(key):
            raise BackendError(f"environment variable name {key!r} cannot be a Secret key")


def _environment(spec: SandboxSpec, namespace: str) -> dict[str, str]:
    """The sandbox's settings, with its Service's names added to ``allowed_hosts`` (the
    server refuses requests whose ``Host`` is a name it does not know)."""
    env = dict(spec.env)
    name = sandbox_name(spec.sandbox_id)
    hosts = [h.strip() for h in env.get("ATELIER_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if "*" not in hosts:
        for host in (name, f"{name}.{namespace}", service_host(spec.sandbox_id, namespace)):
            if host not in hosts:
                hosts.append(host)
    env["ATELIER_ALLOWED_HOSTS"] = ",".join(hosts)
    return env


def _resources(spec: SandboxSpec) -> Resource:
    """Requests equal to limits (the Guaranteed class when both are set); none when 0."""
    amounts: dict[str, str] = {}
    if spec.cpus > 0:
        amounts["cpu"] = f"{max(1, round(spec.cpus * 1000))}m"
    if spec.memory_bytes > 0:
        amounts["memory"] = str(spec.memory_bytes)
    return {"requests": dict(amounts), "limits": dict(amounts)} if amounts else {}


def _pod_spec(spec: SandboxSpec, name: str, service_account: str | None,
              pull_policy: str) -> Resource:
    mounts = [{"name": "tmp", "mountPath": "/tmp"}]
    volumes: list[Resource] = [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}]
    if spec.state_volume is None or spec.state_mount != "/workspace":
        # the image's default workspace; a throw-away folder as in base
        mounts.append({"name": "workspace", "mountPath": "/workspace"})
        volumes.append({"name": "workspace", "emptyDir": {"sizeLimit": "2Gi"}})
    if spec.state_volume is not None:
        if spec.state_mount in ("/tmp", "/"):
            raise BackendError(f"the state volume cannot be mounted at {spec.state_mount}")
        mounts.append({"name": "state", "mountPath": spec.state_mount})
        volumes.append({"name": "state",
                        "persistentVolumeClaim": {"claimName": spec.state_volume}})
    container: Resource = {
        "name": CONTAINER,
        "image": spec.image,
        "imagePullPolicy": pull_policy,
        "ports": [{"name": "http", "containerPort": SANDBOX_PORT, "protocol": "TCP"}],
        "envFrom": [{"secretRef": {"name": name}}],
        # up to 60 s to bind, 10 minutes when a clone comes first (as the git-clone overlay)
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1,
                         "failureThreshold": 600 if clones_git(spec.env) else 60},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                          "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"},
                           "periodSeconds": 2, "timeoutSeconds": 3, "failureThreshold": 3},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": mounts,
    }
    resources = _resources(spec)
    if resources:
        container["resources"] = resources
    pod: Resource = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": GRACE_SECONDS,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                            "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }
    lifetime = spec.env.get("ATELIER_MAX_LIFETIME_SECONDS", "0")
    if lifetime.isdigit() and int(lifetime) > 0:
        pod["activeDeadlineSeconds"] = int(lifetime) + DEADLINE_GRACE_SECONDS
    if service_account:
        pod["serviceAccountName"] = service_account
    return pod


def observed_from(pod: Resource, namespace: str) -> Observed:
    """What a Pod (as the API returns it, JSON) says of its sandbox.

    ``Pending`` is ``starting``, unless the image cannot be pulled: that sandbox will never
    start and is ``exited`` (no exit code) with the reason under ``LABEL_REASON``.
    ``Running`` is ``running``, reached at the Service's name. ``Succeeded`` and ``Failed``
    are ``exited`` with the container's exit code and whether it was killed for memory. A
    Pod being deleted is ``exited``; ``Unknown`` (its node is out of touch) is ``missing``.
    """
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    labels = dict(meta.get("labels") or {})
    name = str(meta.get("name", ""))
    sandbox_id = labels.get(LABEL_SANDBOX) or name.removeprefix("atelier-")
    user = labels.get(LABEL_USER, "")
    phase = status.get("phase", "Pending")
    container: Resource = next((c for c in status.get("containerStatuses") or []
                                if c.get("name") == CONTAINER), {})
    state = container.get("state") or {}
    waiting = state.get("waiting") or {}
    terminated = state.get("terminated") or (container.get("lastState") or {}).get("terminated")

    def seen(status_: Any, reason: str | None = None, **more: Any) -> Observed:
        if reason:
            labels[LABEL_REASON] = reason
        return Observed(sandbox_id=sandbox_id, user=user, status=status_, labels=labels, **more)

    if meta.get("deletionTimestamp"):
        return seen("exited", "Terminating", **_exit(terminated))
    if phase in ("Succeeded", "Failed"):
        reason = (terminated or {}).get("reason") or status.get("reason") or phase
        return seen("exited", reason, **_exit(terminated))
    if phase == "Running":
        return seen("running", endpoint=(service_host(sandbox_id, namespace), SANDBOX_PORT))
    if phase == "Unknown":
        return seen("missing", status.get("reason") or "Unknown")
    if waiting.get("reason") in IMAGE_FAILURES:
        message = str(waiting.get("message", ""))[:200]
        return seen("exited", f"{waiting['reason']}: {message}" if message
                    else waiting["reason"])
    unscheduled = next((c for c in status.get("conditions") or []
                        if c.get("type") == "PodScheduled" and c.get("status") == "False"), None)
    return seen("starting", waiting.get("reason") or (unscheduled or {}).get("reason"))


def _exit(terminated: Resource | None) -> dict[str, Any]:
    if not terminated:
        return {}
    code = terminated.get("exitCode")
    return {"exit_code": int(code) if code is not None else None,
            "oom_killed": terminated.get("reason") == "OOMKilled"}


class KubernetesBackend:
    """Sandboxes as Pods in one namespace (see the module's docstring).

    ``launcher_id`` is this launcher instance's ``LABEL_MANAGED`` value: it labels everything
    created and finds it again. ``launcher_selector`` labels the launcher's own pods (the
    network policy admits only them). Without ``api_client`` the in-cluster configuration is
    used, else the kubeconfig file. ``service_account`` names the sandboxes' service account
    (its token is never mounted); ``pull_policy`` is their image pull policy; ``state_size``
    the size of a new preserved-state claim. Every API call is bounded by
    ``request_timeout`` seconds.

    Needs, in the namespace: pods (create, get, list, delete), secrets and networkpolicies
    (create, patch, delete), services (create, delete), persistentvolumeclaims (create, list,
    delete): the Role of ``deploy/kubernetes/launcher/rbac.yaml``.
    """

    name = "kubernetes"

    def __init__(self, namespace: str, launcher_id: str, launcher_selector: dict[str, str],
                 api_client: Any = None, *, service_account: str | None = None,
                 pull_policy: str = "IfNotPresent", state_size: str = "2Gi",
                 request_timeout: float = 30.0) -> None:
        try:
            import kubernetes  # the optional dependency: only this backend needs it
        except ImportError as exc:
            raise BackendUnavailable("the Kubernetes backend needs the 'kubernetes' Python "
                                     "package, which is not installed") from exc

        self.namespace = namespace
        self.launcher_id = launcher_id
        self.launcher_selector = dict(launcher_selector)
        self.service_account = service_account
        self.pull_policy = pull_policy
        self.state_size = state_size
        self.timeout = request_timeout
        self._errors = kubernetes.client.ApiException
        if api_client is None:
            api_client = kubernetes.client.ApiClient(_configuration(kubernetes))
        self._client = api_client
        self._core = kubernetes.client.CoreV1Api(api_client)
        self._net = kubernetes.client.NetworkingV1Api(api_client)

    # -- the Backend protocol ------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``BackendUnavailable`` when the API cannot be reached or refuses this
        launcher's account (listing its pods is the least it needs)."""
        try:
            self._call("Pod", self._core.list_namespaced_pod, self.namespace, limit=1,
                       label_selector=self._selector())
        except BackendUnavailable:
            raise
        except BackendError as exc:
            raise BackendUnavailable(str(exc)) from exc

    def create(self, spec: SandboxSpec) -> Observed:
        """Create the sandbox's objects (claim, Secret, network policy, Pod, Service), then
        make the Pod the owner of the Secret and the policy. The Secret and the policy exist
        before the Pod, so its container never waits for its settings and is never reachable
        from outside the policy. On a failure every object this call created is deleted (a
        claim that existed before stays) and the error is raised."""
        spec = replace(spec, labels={**spec.labels, LABEL_MANAGED: self.launcher_id})
        claim, secret, policy, pod, service = self._objects(spec)
        name = pod["metadata"]["name"]
        made: list[tuple[str, str]] = []  # (kind, name) of what this call created
        try:
            if claim is not None and self._create_claim(claim):
                made.append(("PersistentVolumeClaim", claim["metadata"]["name"]))
            self._call("Secret", self._core.create_namespaced_secret, self.namespace, secret)
            made.append(("Secret", name))
            self._call("NetworkPolicy", self._net.create_namespaced_network_policy,
                       self.namespace, policy)
            made.append(("NetworkPolicy", name))
            created = self._call("Pod", self._core.create_namespaced_pod, self.namespace, pod)
            made.append(("Pod", name))
            uid = (created.get("metadata") or {}).get("uid")
            if not uid:
                raise BackendError("the Kubernetes API created the Pod but gave it no uid")
            adopt = [{"op": "add", "path": "/metadata/ownerReferences",
                      "value": [owner_reference(name, uid)]}]
            self._call("Secret", self._core.patch_namespaced_secret, name, self.namespace, adopt)
            self._call("NetworkPolicy", self._net.patch_namespaced_network_policy, name,
                       self.namespace, adopt)
            service["metadata"]["ownerReferences"] = [owner_reference(name, uid)]
            self._call("Service", self._core.create_namespaced_service, self.namespace, service)
        except BaseException:
            for kind, made_name in reversed(made):
                with contextlib.suppress(BackendError):
                    self._delete(kind, made_name, grace_period_seconds=0)
            raise
        return observed_from(created, self.namespace)

    def observe(self, sandbox_id: str) -> Observed | None:
        """The sandbox's Pod as the API reports it now; None once it is gone."""
        try:
            pod = self._call("Pod", self._core.read_namespaced_pod, sandbox_name(sandbox_id),
                             self.namespace)
        except _NotFound:
            return None
        return observed_from(pod, self.namespace)

    def list_owned(self) -> list[Observed]:
        """Every Pod labelled with this launcher's id."""
        pods = self._call("Pod", self._core.list_namespaced_pod, self.namespace,
                          label_selector=self._selector())
        return [observed_from(pod, self.namespace) for pod in pods.get("items") or []]

    def remove(self, sandbox_id: str) -> None:
        """Delete the Pod (SIGTERM, then SIGKILL after its grace period) and, without waiting
        for the garbage collector, its Secret, Service and network policy; the claim stays.
        What is already gone is no error."""
        name = sandbox_name(sandbox_id)
        self._delete("Pod", name, grace_period_seconds=GRACE_SECONDS)
        # owned by the Pod, so the garbage collector removes them anyway; deleting them here
        # also removes those of a create() that stopped before the Pod owned them
        self._delete("Secret", name)
        self._delete("Service", name)
        self._delete("NetworkPolicy", name)

    def drop_state(self, user: str) -> None:
        """Delete the user's preserved-state claims (labelled with the user and this
        launcher's id)."""
        if not _LABEL_VALUE.fullmatch(user) or len(user) > 63:
            return  # no claim can carry that label value: there is nothing to drop
        claims = self._call("PersistentVolumeClaim",
                            self._core.list_namespaced_persistent_volume_claim, self.namespace,
                            label_selector=f"{self._selector()},{LABEL_USER}={user}")
        for claim in claims.get("items") or []:
            self._delete("PersistentVolumeClaim", claim["metadata"]["name"])

    def close(self) -> None:
        """Close the API client's connections."""
        self._client.close()

    # -- API calls -----------------------------------------------------------------------

    def _objects(self, spec: SandboxSpec) -> tuple[Resource | None, Resource, Resource,
                                                    Resource, Resource]:
        objects = objects_for(spec, namespace=self.namespace,
                              launcher_selector=self.launcher_selector,
                              service_account=self.service_account,
                              pull_policy=self.pull_policy, state_size=self.state_size)
        claim = objects.pop(0) if spec.state_volume else None
        secret, policy, pod, service = objects
        return claim, secret, policy, pod, service

    def _selector(self) -> str:
        return f"{LABEL_MANAGED}={self.launcher_id}"

    def _create_claim(self, claim: Resource) -> bool:
        """Create the user's claim; False when it exists already (a preserved state)."""
        try:
            self._call("PersistentVolumeClaim",
                       self._core.create_namespaced_persistent_volume_claim,
                       self.namespace, claim)
        except _Conflict:
            return False
        return True

    def _call(self, kind: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One API call; its JSON answer (the client's models are not used: the answer is
        read as the API's own JSON, the same for every client version)."""
        with self._translated(kind):
            return self._json(method(*args, _preload_content=False,
                                     _request_timeout=self.timeout, **kwargs))

    def _delete(self, kind: str, name: str, **kwargs: Any) -> None:
        """Delete one object; already gone is fine. Dependents are collected in the
        background."""
        method = {"Pod": self._core.delete_namespaced_pod,
                  "Secret": self._core.delete_namespaced_secret,
                  "Service": self._core.delete_namespaced_service,
                  "NetworkPolicy": self._net.delete_namespaced_network_policy,
                  "PersistentVolumeClaim": self._core.delete_namespaced_persistent_volume_claim,
                  }[kind]
        with contextlib.suppress(_NotFound), self._translated(kind):
            method(name, self.namespace, propagation_policy="Background",
                   _preload_content=False, _request_timeout=self.timeout, **kwargs)

    @staticmethod
    def _json(response: Any) -> Any:
        data = response.data if hasattr(response, "data") else response
        return json.loads(data) if data else {}

    @contextlib.contextmanager
    def _translated(self, kind: str) -> Iterator[None]:
        """The client's errors as the launcher's: unreachable, unauthenticated or overloaded
        → ``BackendUnavailable``; 404 → ``_NotFound``; 409 → ``_Conflict``; any other
        refusal → ``BackendError`` with the API's message, except for Secrets (it could
        quote their values)."""
        import urllib3

        try:
            yield
        except self._errors as exc:
            code = int(exc.status or 0)
            if code == 404:
                raise _NotFound(f"the {kind} does not exist") from exc
            if code == 409:
                raise _Conflict(f"the {kind} exists already") from exc
            if code in (0, 401, 502, 503, 504):
                raise BackendUnavailable(f"the Kubernetes API is unavailable "
                                         f"({code} {exc.reason})") from exc
            message = "" if kind == "Secret" else _status_message(exc.body)
            detail = f": {message}" if message else ""
            raise BackendError(f"the Kubernetes API refused the {kind} "
                               f"({code} {exc.reason}){detail}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise BackendUnavailable(f"the Kubernetes API cannot be reached "
                                     f"({type(exc).__name__})") from exc
        except BackendError:
            raise
        except Exception as exc:  # the client's own checks (its model validation, ...)
            failure = BackendError(f"the Kubernetes client failed on the {kind} "
                                   f"({type(exc).__name__})")
            if kind == "Secret":
                raise failure from None  # its text could quote the Secret's values
            raise failure from exc


class _NotFound(BackendError):
    """The API answered 404 (the object does not exist)."""


class _Conflict(BackendError):
    """The API answered 409 (the object exists already)."""


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes ``Status`` answer, shortened."""
    try:
        message = json.loads(body).get("message", "")
    except (TypeError, ValueError, AttributeError):
        return ""
    return str(message)[:300]


#: where a pod finds its service account's namespace
SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def own_namespace(path: str = SERVICE_ACCOUNT_NAMESPACE) -> str:
    """The launcher's own namespace when it runs in a cluster, else ``default``."""
    try:
        found = Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return "default"
    return found or "default"


def _configuration(kubernetes: Any) -> Any:
    """The client configuration inside a cluster (the pod's service account), else from the
    kubeconfig file (``KUBECONFIG``, else ``~/.kube/config``); ``BackendUnavailable`` when
    there is neither."""
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)
    except kubernetes.config.ConfigException:
        try:
            # KUBECONFIG read now: the client reads it once, when it is imported
            kubernetes.config.load_kube_config(config_file=os.environ.get("KUBECONFIG") or None,
                                               client_configuration=configuration)
        except (kubernetes.config.ConfigException, OSError) as exc:
            raise BackendUnavailable("no Kubernetes configuration: not in a cluster and no "
                                     "usable kubeconfig") from exc
    return configuration
