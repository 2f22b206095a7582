"""Offline helpers for the manifest tests: load YAML, validate against bundled schemas, render.

``render`` understands the part of kustomize that deploy/kubernetes uses (resources, JSON 6902
patches with a target, nameSuffix, labels with includeSelectors); the tests check the result
with the same schemas as the plain files. No network: kubernetes-validate ships the schemas.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
VERSIONS = ("1.28.0", kubernetes_validate.latest_version())
Resource = dict[str, Any]


class ManifestError(ValueError):
    """A YAML document that is not a Kubernetes resource at all."""


def load_all(path: Path) -> list[Any]:
    """Every YAML document of a file, empty ones dropped."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def validate(resource: Resource) -> None:
    """Strict schema validation (unknown fields rejected) against the oldest and newest API."""
    for version in VERSIONS:
        kubernetes_validate.validate(resource, version, strict=True)


def validate_file(path: Path) -> int:
    """Validate every resource of a manifest file; returns how many there were."""
    docs = load_all(path)
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise ManifestError(f"{path.name}: not a Kubernetes resource: {doc!r:.80}")
        validate(doc)
    return len(docs)


def kustomization_dirs() -> list[Path]:
    """Every folder with a kustomization.yaml under deploy/kubernetes."""
    return sorted(p.parent for p in KUBE.rglob("kustomization.yaml"))


def patch_files() -> set[Path]:
    """Files used as patches by some kustomization (they are not resources)."""
    out: set[Path] = set()
    for folder in kustomization_dirs():
        kust = load_all(folder / "kustomization.yaml")[0]
        out |= {(folder / p["path"]).resolve() for p in kust.get("patches", [])}
    return out


def resource_files() -> list[Path]:
    """Every manifest file that holds resources (not kustomizations, not patches)."""
    patches = patch_files()
    return sorted(p for p in KUBE.rglob("*.yaml")
                  if p.name != "kustomization.yaml" and p.resolve() not in patches)


def render(folder: Path) -> list[Resource]:
    """The resources a kustomization folder produces."""
    kust = load_all(folder / "kustomization.yaml")[0]
    out: list[Resource] = []
    for ref in kust.get("resources", []):
        path = (folder / ref).resolve()
        out += render(path) if path.is_dir() else load_all(path)
    for patch in kust.get("patches", []):
        ops = load_all(folder / patch["path"])[0]
        hits = [i for i, r in enumerate(out) if _targets(r, patch["target"])]
        if len(hits) != 1:
            raise AssertionError(f"patch {patch['path']} matches {len(hits)} resources")
        out[hits[0]] = json_patch(out[hits[0]], ops)
    if "nameSuffix" in kust:
        out = [_suffixed(r, kust["nameSuffix"]) for r in out]
    for spec in kust.get("labels", []):
        out = [_labelled(r, spec["pairs"], spec.get("includeSelectors", False)) for r in out]
    return out


def _targets(resource: Resource, target: dict[str, str]) -> bool:
    group, _, version = str(resource["apiVersion"]).rpartition("/")
    same = resource["kind"] == target["kind"] and resource["metadata"]["name"] == target["name"]
    return bool(same and group == target.get("group", "")
                and version == target.get("version", version))


def json_patch(doc: Resource, ops: list[dict[str, Any]]) -> Resource:
    """Apply RFC 6902 add/replace/remove/test operations to a copy of ``doc``."""
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~")
                          for p in op["path"].lstrip("/").split("/")]
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) and last != "-" else last
        kind = op["op"]
        if kind == "test" and node[key] != op["value"]:
            raise AssertionError(f"patch test failed at {op['path']}: {node[key]!r}")
        if kind == "remove":
            del node[key]
        elif kind == "replace":
            node[key]  # noqa: B018 - replace needs an existing target
            node[key] = copy.deepcopy(op["value"])
        elif kind == "add" and isinstance(node, list):
            node.insert(len(node) if key == "-" else key, copy.deepcopy(op["value"]))
        elif kind == "add":
            node[key] = copy.deepcopy(op["value"])
    return doc


def pod_spec(resource: Resource) -> Resource:
    """The pod spec of a Job (or Deployment)."""
    return resource["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def _suffixed(resource: Resource, suffix: str) -> Resource:
    res = copy.deepcopy(resource)
    res["metadata"]["name"] += suffix
    if res["kind"] == "Job":
        spec = pod_spec(res)
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    ref["name"] += suffix
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                volume["persistentVolumeClaim"]["claimName"] += suffix
    return res


def _labelled(resource: Resource, pairs: dict[str, str], selectors: bool) -> Resource:
    res = copy.deepcopy(resource)
    res["metadata"].setdefault("labels", {}).update(pairs)
    if "template" in res.get("spec", {}):
        res["spec"]["template"]["metadata"].setdefault("labels", {}).update(pairs)
    if selectors and res["kind"] == "Service":
        res["spec"]["selector"].update(pairs)
    if selectors and res["kind"] == "NetworkPolicy":
        res["spec"]["podSelector"].setdefault("matchLabels", {}).update(pairs)
    return res


def by_kind(resources: list[Resource], kind: str) -> list[Resource]:
    """The resources of one kind."""
    return [r for r in resources if r["kind"] == kind]
