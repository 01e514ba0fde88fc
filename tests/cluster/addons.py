"""What a Tekton user's cluster has, installed the way its release manifests do:
cluster DNS (CoreDNS), Tekton Pipelines, Tekton Triggers and Knative Eventing
(core, the in-memory channel and the multi-tenant channel-based Broker), each
as pods.

The Tekton and Knative objects come from the pinned modules' own ``config/``
folders (the source of the release YAML). Their ``ko://<import path>`` image references are
rewritten to the local images ``ko_image()`` names, which tests/cluster/images.py
packs from the binaries tests/cluster/build.sh builds; nothing else changes.
CoreDNS ships no manifests, so its Deployment is written here, after the
upstream ``coredns/deployment`` one (Corefile with the ``kubernetes`` plugin).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.cluster import Cluster, KubeAPIError, wait_for

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Obj = dict[str, Any]

TEKTON_NS = "tekton-pipelines"
KNATIVE_NS = "knative-eventing"
# Pipelines' controller wants a shell image (sh, cat) for `script:` steps; the
# release pins a busybox digest. The local Debian base image has both.
UPSTREAM_SHELL_IMAGE = "cgr.dev/chainguard/busybox"
COREDNS_IMAGE_NAME = "coredns"
COREDNS_PORT = 1053  # unprivileged: the Service maps 53 to it, no capability needed


def ko_image(import_path: str, version: str) -> str:
    """The local image name for a ``ko://`` import path, e.g.
    ``github.com/tektoncd/pipeline/cmd/controller`` -> ``ko.local/tektoncd/pipeline/cmd/controller:v1.15.1``."""
    return f"ko.local/{import_path.removeprefix('github.com/')}:{version}"


@dataclass(frozen=True)
class ImageRefs:
    """Where the upstream manifests' images come from here."""

    versions: dict[str, str]  # module path -> version, e.g. github.com/tektoncd/pipeline
    shell: str  # an image with sh and cat
    coredns: str

    def rewrite(self, value: str) -> str:
        if value.startswith("ko://"):
            path = value.removeprefix("ko://")
            module = next(m for m in self.versions if path.startswith(m + "/"))
            return ko_image(path, self.versions[module])
        if value.startswith(UPSTREAM_SHELL_IMAGE):
            return self.shell
        return value


def _rewrite(obj: Any, refs: ImageRefs) -> Any:
    if isinstance(obj, dict):
        return {k: _rewrite(v, refs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rewrite(v, refs) for v in obj]
    if isinstance(obj, str):
        return refs.rewrite(obj)
    return obj


def load_dir(directory: Path, *, skip: Iterable[str] = (), recursive: bool = False) -> list[Obj]:
    files = sorted(directory.rglob("*.yaml") if recursive else directory.glob("*.yaml"))
    skipped = set(skip)
    out: list[Obj] = []
    for path in files:
        if path.name in skipped:
            continue
        out.extend(
            d for d in yaml.load_all(path.read_text(), Loader=_LOADER) if isinstance(d, dict)
        )
    return out


_WEBHOOK_KINDS = {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}


def _install(cluster: Cluster, objs: list[Obj]) -> None:
    """Apply in dependency order: namespaces and CRDs, then the rest, and the
    admission webhook configurations last, once their Deployments serve."""
    first = [o for o in objs if o["kind"] in ("Namespace", "CustomResourceDefinition")]
    rest = [o for o in objs if o not in first and o["kind"] not in _WEBHOOK_KINDS]
    hooks = [o for o in objs if o["kind"] in _WEBHOOK_KINDS]
    cluster.install(first, timeout=120)
    for obj in rest:
        cluster.apply(obj)
    for obj in rest:
        # replicas 0 (Knative's PingSource adapter): its controller scales it on demand
        if obj["kind"] == "Deployment" and obj["spec"].get("replicas", 1):
            wait_available(cluster, obj["metadata"]["namespace"], obj["metadata"]["name"])
    for obj in hooks:
        cluster.apply(obj)


def wait_available(cluster: Cluster, namespace: str, name: str, timeout: float = 180.0) -> Obj:
    def available() -> Obj | None:
        dep = cluster.get("apps/v1", "Deployment", name, namespace)
        conds = {c["type"]: c["status"] for c in dep.get("status", {}).get("conditions", [])}
        return (
            dep if conds.get("Available") == "True" and dep["status"].get("readyReplicas") else None
        )

    return wait_for(available, timeout=timeout, interval=1.0, what=f"Deployment {namespace}/{name}")


def pipelines_objects(config: Path, refs: ImageRefs) -> list[Obj]:
    """Tekton Pipelines' release objects, less the events controller and the HPA
    (no CloudEvents from Tekton itself and no metrics server here) and the
    remote resolvers (the generated Pipelines reference Tasks by name)."""
    objs = [
        *load_dir(config / "100-namespace"),
        *load_dir(config / "300-crds"),
        *load_dir(
            config, skip=("events.yaml", "webhook-hpa.yaml", "config-leader-election-events.yaml")
        ),
    ]
    return [_rewrite(o, refs) for o in objs]


def triggers_objects(config: Path, refs: ImageRefs) -> list[Obj]:
    """Tekton Triggers' release objects: controller, webhook, the core interceptors
    (with their ClusterInterceptors) and the EventListener sink image."""
    objs = [*load_dir(config), *load_dir(config / "interceptors")]
    return [_rewrite(o, refs) for o in objs]


def eventing_objects(config: Path, refs: ImageRefs) -> list[Obj]:
    """Knative Eventing's release objects: the core (controller, webhook, the
    PingSource adapter, CRDs, roles), the in-memory channel and the multi-tenant
    channel-based Broker. Left out: the HPAs (no metrics server), the job sink
    and request-reply (not used), and the TLS variants."""
    core = config / "core"
    imc = config / "channels" / "in-memory-channel"
    broker = config / "brokers" / "mt-channel-broker"
    objs = [
        *load_dir(core),
        *load_dir(core / "configmaps"),
        *load_dir(config / "integrations"),  # image ConfigMaps the controller reads
        *load_dir(core / "resources"),
        *load_dir(core / "roles"),
        *load_dir(core / "webhooks"),
        *load_dir(
            core / "deployments", skip=("job-sink.yaml", "request-reply.yaml", "webhook-hpa.yaml")
        ),
        *load_dir(imc),
        *load_dir(imc / "configmaps"),
        *load_dir(imc / "resources"),
        *load_dir(imc / "roles"),
        *load_dir(imc / "webhooks"),
        *load_dir(imc / "deployments"),
        *load_dir(broker / "roles"),
        *load_dir(broker / "deployments", skip=("hpa.yaml",)),
    ]
    return [_rewrite(o, refs) for o in objs]


def install_eventing(cluster: Cluster, config: Path, refs: ImageRefs) -> None:
    _install(cluster, eventing_objects(config, refs))
    probe: Obj = {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": {"name": "admission-probe", "namespace": "default"},
        "spec": {
            "broker": "default",
            "subscriber": {"uri": "http://probe.default.svc.cluster.local"},
        },
    }
    _wait_admission(cluster, probe, "eventing-webhook")


def install_pipelines(cluster: Cluster, config: Path, refs: ImageRefs) -> None:
    _install(cluster, pipelines_objects(config, refs))
    _wait_admission(cluster, _probe("tekton.dev/v1", "Task"), "tekton-pipelines-webhook")


def install_triggers(cluster: Cluster, config: Path, refs: ImageRefs) -> None:
    _install(cluster, triggers_objects(config, refs))
    _wait_admission(
        cluster, _probe("triggers.tekton.dev/v1beta1", "TriggerBinding"), "tekton-triggers-webhook"
    )

    def interceptors_ready() -> bool:
        items = cluster.list_objects("triggers.tekton.dev/v1alpha1", "ClusterInterceptor")
        return bool(items) and all(
            i.get("spec", {}).get("clientConfig", {}).get("caBundle") for i in items
        )

    wait_for(interceptors_ready, timeout=120, interval=1.0, what="ClusterInterceptors' caBundle")


def _probe(api_version: str, kind: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "admission-probe", "namespace": "default"},
        "spec": {"steps": [{"name": "s", "image": "x", "command": ["true"]}]}
        if kind == "Task"
        else {"params": [{"name": "p", "value": "v"}]},
    }


def _wait_admission(cluster: Cluster, probe: Obj, webhook: str) -> None:
    """Wait until the webhook answers admission: a dry-run create goes through it."""
    api_version, kind = probe["apiVersion"], probe["kind"]
    r = cluster.resource(api_version, kind)
    path = f"/apis/{api_version}/namespaces/default/{r.plural}"

    def admitted() -> bool | None:
        try:
            cluster.request("POST", path, body=probe, query={"dryRun": "All"})
        except KubeAPIError as exc:
            # "failed calling webhook": not serving yet. Anything else is an answer.
            if exc.status >= 500 or "failed calling webhook" in str(exc.body):
                return None
            raise
        return True

    wait_for(admitted, timeout=180, interval=1.0, what=f"{webhook} to admit {kind}")


def coredns_objects(image: str, cluster_ip: str, domain: str) -> list[Obj]:
    labels = {"k8s-app": "kube-dns"}
    corefile = f""".:{COREDNS_PORT} {{
    errors
    health :8080
    ready :8181
    kubernetes {domain} in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 5
}}
"""
    ns = "kube-system"
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "coredns", "namespace": ns},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:coredns"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:coredns"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:coredns",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": ns}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": ns},
            "data": {"Corefile": corefile},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "coredns",
                        "dnsPolicy": "Default",
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": "coredns",
                                "image": image,
                                "imagePullPolicy": "Never",
                                "command": ["/ko-app/coredns", "-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    {
                                        "containerPort": COREDNS_PORT,
                                        "protocol": "UDP",
                                        "name": "dns",
                                    },
                                    {
                                        "containerPort": COREDNS_PORT,
                                        "protocol": "TCP",
                                        "name": "dns-tcp",
                                    },
                                ],
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
                                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}},
                                "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                                "securityContext": {
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": ns, "labels": labels},
            "spec": {
                "clusterIP": cluster_ip,
                "selector": labels,
                "ports": [
                    {"name": "dns", "port": 53, "targetPort": COREDNS_PORT, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "targetPort": COREDNS_PORT, "protocol": "TCP"},
                ],
            },
        },
    ]


def install_coredns(cluster: Cluster, image: str, cluster_ip: str, domain: str) -> None:
    objs = coredns_objects(image, cluster_ip, domain)
    for obj in objs:
        cluster.apply(copy.deepcopy(obj))
    wait_available(cluster, "kube-system", "coredns")
