"""The upstream CRDs and ClusterRoles the generated manifests need, read from the
Go modules pinned by the conformance harness (tests/conformance/go.mod), so the
e2e cluster and the conformance tests always agree on versions."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_GO_MOD = ROOT / "tests" / "conformance" / "go.mod"

PIPELINE = "github.com/tektoncd/pipeline"
TRIGGERS = "github.com/tektoncd/triggers"
EVENTING = "knative.dev/eventing"
# The harness imports only the ServiceMonitor types (pkg/apis/monitoring); its CRD is in
# the main module of the same release (example/prometheus-operator-crd).
MONITORING_APIS = "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring"
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator"

# The Triggers ClusterRoles that generated RoleBindings/ClusterRoleBindings reference.
TRIGGERS_CLUSTER_ROLES = (
    "tekton-triggers-eventlistener-roles",
    "tekton-triggers-eventlistener-clusterroles",
)


@dataclass(frozen=True)
class Upstream:
    versions: dict[str, str]
    objects: list[dict[str, Any]]

    def kinds(self) -> set[str]:
        return {
            o["spec"]["names"]["kind"]
            for o in self.objects
            if o["kind"] == "CustomResourceDefinition"
        }


def pinned_versions(go_mod: Path = CONFORMANCE_GO_MOD) -> dict[str, str]:
    """Versions of Tekton Pipelines, Triggers, Knative Eventing and prometheus-operator's
    monitoring API in go.mod."""
    wanted = {PIPELINE, TRIGGERS, EVENTING, MONITORING_APIS}
    found: dict[str, str] = {}
    for line in go_mod.read_text().splitlines():
        parts = line.strip().removeprefix("require ").split()
        if len(parts) >= 2 and parts[0] in wanted:
            found[parts[0]] = parts[1]
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"{go_mod} does not pin {', '.join(sorted(missing))}")
    return found


def module_dirs(modules: dict[str, str]) -> dict[str, Path]:
    """Each module's source in the Go module cache (downloaded through the proxy),
    in one `go mod download` call."""
    proc = subprocess.run(
        ["go", "mod", "download", "-json", *(f"{m}@{v}" for m, v in modules.items())],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT / "tests" / "e2e",  # outside any module: a plain download
    )
    decoder = json.JSONDecoder()
    text, pos, out = proc.stdout, 0, {}
    while text[pos:].strip():
        info, end = decoder.raw_decode(text, len(text) - len(text[pos:].lstrip()))
        pos = end
        if "Dir" not in info:
            raise RuntimeError(f"go mod download {info.get('Path')}: {info.get('Error')}")
        out[info["Path"]] = Path(info["Dir"])
    missing = modules.keys() - out.keys()
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"go mod download failed ({', '.join(missing)}): {proc.stderr}")
    return out


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(path.read_text(), Loader=_LOADER) if isinstance(d, dict)]


def _files(directory: Path, pattern: str) -> list[Path]:
    files = sorted(directory.glob(pattern))
    if not files:
        raise RuntimeError(f"no {pattern} under {directory}")
    return files


def load_upstream(go_mod: Path = CONFORMANCE_GO_MOD) -> Upstream:
    """CRDs of Tekton Pipelines (config/300-crds), Tekton Triggers (config/300-*.yaml)
    and Knative Eventing core (config/core/resources), prometheus-operator's ServiceMonitor
    (spec.observe.metrics.serviceMonitor), plus the Triggers EventListener
    ClusterRoles (config/200-clusterrole.yaml)."""
    versions = pinned_versions(go_mod)
    modules = {m: v for m, v in versions.items() if m != MONITORING_APIS}
    modules[PROMETHEUS_OPERATOR] = versions[MONITORING_APIS]
    dirs = module_dirs(modules)
    pipeline, triggers, eventing = dirs[PIPELINE], dirs[TRIGGERS], dirs[EVENTING]
    monitoring = dirs[PROMETHEUS_OPERATOR] / "example" / "prometheus-operator-crd"
    objects: list[dict[str, Any]] = []
    sources = [
        *_files(pipeline / "config" / "300-crds", "*.yaml"),
        *_files(triggers / "config", "300-*.yaml"),
        *_files(eventing / "config" / "core" / "resources", "*.yaml"),
        *_files(monitoring, "monitoring.coreos.com_servicemonitors.yaml"),
    ]
    for path in sources:
        objects.extend(d for d in _load(path) if d.get("kind") == "CustomResourceDefinition")
    roles = [
        d
        for d in _load(triggers / "config" / "200-clusterrole.yaml")
        if d.get("kind") == "ClusterRole" and d["metadata"]["name"] in TRIGGERS_CLUSTER_ROLES
    ]
    if {r["metadata"]["name"] for r in roles} != set(TRIGGERS_CLUSTER_ROLES):
        raise RuntimeError(f"{TRIGGERS}@{versions[TRIGGERS]} lacks {TRIGGERS_CLUSTER_ROLES}")
    objects.extend(roles)
    return Upstream(versions=versions, objects=objects)
