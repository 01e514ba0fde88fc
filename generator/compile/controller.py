"""The observer controller and the status API: Deployments, identities, RBAC, Service.

Both run the runtime image (`benchgen-poller observe` / `serve`); their env,
ports and RBAC are exactly those of docs/runtime-interface.md. Every Role rule
carries its reason in the `benchgen.dev/rule-reasons` annotation (one line per
rule), because the emitted YAML has no comments.
"""

from __future__ import annotations

from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.pods import (
    TMP_MOUNT,
    TMP_VOLUME,
    container_resources,
    container_security,
    pod_security,
)
from generator.compile.tekton import POLLER
from generator.config.names import BENCHMARK_LABEL, CONCURRENCY_KEY_LABEL, Names

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ObserveSpec

RBAC = "rbac.authorization.k8s.io/v1"
REASONS_ANNOTATION = "benchgen.dev/rule-reasons"
# The probes' port of both Deployments: a listener of its own, for the kubelet
# only (no Service, and no NetworkPolicy rule admits anyone to it).
HEALTH_PORT = 8081
STATUS_PORT = 8080
AUTH_DIR = "/var/run/benchgen/auth"
TEKTON_EVENTS_CONFIG = "config-events"

Rule = tuple[list[str], list[str], list[str], str]  # groups, resources, verbs, why


def selector(names: Names) -> str:
    """BENCHGEN_SELECTOR: this benchmark's runs (TaskRuns inherit the PipelineRun's labels)."""
    return f"{BENCHMARK_LABEL}={names.base}"


def role_manifest(
    names: Names, name: str, namespace: str, rules: list[Rule], names_only: list[str] | None = None
) -> Manifest:
    body = []
    for groups, resources, verbs, _ in rules:
        rule: Manifest = {"apiGroups": groups, "resources": resources}
        if names_only:
            rule["resourceNames"] = names_only
        rule["verbs"] = verbs
        body.append(rule)
    reasons = "".join(f"rules[{i}]: {why}\n" for i, (*_, why) in enumerate(rules))
    meta = metadata(names, name, annotations={REASONS_ANNOTATION: reasons})
    meta["namespace"] = namespace
    return manifest(RBAC, "Role", meta, rules=body)


def binding_manifest(names: Names, name: str, namespace: str, account: str) -> Manifest:
    meta = metadata(names, name)
    meta["namespace"] = namespace
    return manifest(
        RBAC,
        "RoleBinding",
        meta,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        subjects=[{"kind": "ServiceAccount", "name": account, "namespace": names.namespace}],
    )


def probe(path: str, port: str, period: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }


def network_policy(names: Names, name: str, role: str, ingress: list[Manifest]) -> Manifest:
    """Ingress to one Deployment's pods: ``ingress`` only, none when it is empty. The
    kubelet's probes come from the node, which NetworkPolicy does not filter in the
    common CNIs (Calico, Cilium, Antrea allow host-local traffic), so the probes'
    port needs no rule."""
    spec: Manifest = {
        "podSelector": {"matchLabels": names.role_labels(role)},
        "policyTypes": ["Ingress"],
    }
    if ingress:  # `ingress: []` would be dropped by the API server (omitempty): leave it out
        spec["ingress"] = ingress
    return manifest("networking.k8s.io/v1", "NetworkPolicy", metadata(names, name), spec=spec)


def deployment(
    names: Names,
    name: str,
    role: str,
    container: Manifest,
    *,
    replicas: int,
    strategy: str,
    volumes: list[Manifest],
) -> Manifest:
    pod_labels = dict(sorted({**names.labels, **names.role_labels(role)}.items()))
    pod_spec: Manifest = {
        "serviceAccountName": name,
        "securityContext": pod_security(fs_group=True),
        "containers": [container],
        "volumes": volumes,
    }
    return manifest(
        "apps/v1",
        "Deployment",
        metadata(names, name),
        spec={
            "replicas": replicas,
            "strategy": {"type": strategy},
            "selector": {"matchLabels": names.role_labels(role)},
            "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
        },
    )


def _observer_rules(observe: ObserveSpec, gate: bool) -> list[Rule]:
    assert observe.observer is not None
    rules: list[Rule] = [
        (
            ["tekton.dev"],
            ["pipelineruns", "taskruns"],
            ["get", "list", "watch"],
            "list and watch this benchmark's runs (label-selected), resuming from the last"
            " resourceVersion; get re-reads a run whose annotation patch met a 409 conflict",
        ),
        (
            ["tekton.dev"],
            ["pipelineruns", "taskruns"],
            ["patch"],
            "record each event as sent in the annotation benchgen.dev/cloudevents-sent, only"
            " after the sink answered 2xx (no loss, no repeat)"
            + (
                "; start pending runs (spec.pipeline.concurrency): remove spec.status with a"
                " JSON patch that tests the uid and PipelineRunPending"
                if gate
                else ""
            ),
        ),
    ]
    if observer_logs(observe):
        rules.append(
            (
                [""],
                ["pods/log"],
                ["get"],
                "the bounded tail of each step's log carried by step events (logTailBytes > 0)",
            )
        )
    return rules


def observer_logs(observe: ObserveSpec) -> bool:
    return observe.observer is not None and observe.observer.log_tail_bytes > 0


def build_observer(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.observer is None:
        return []
    observer = observe.observer
    watched = observer.namespaces or [names.namespace]
    # 'tekton' and a URL go as they are: the runtime resolves both.
    sink = names.broker_url if observer.sink == "broker" else observer.sink
    env = [
        {"name": "BENCHGEN_NAMESPACES", "value": ",".join(watched)},
        {"name": "BENCHGEN_SELECTOR", "value": selector(names)},
        {"name": "BENCHGEN_SINK", "value": sink},
        {"name": "BENCHGEN_EVENT_SOURCE", "value": f"/benchgen/{names.namespace}/{names.base}"},
        {"name": "BENCHGEN_LOG_TAIL_BYTES", "value": str(observer.log_tail_bytes)},
        {"name": "BENCHGEN_HEALTH_PORT", "value": str(HEALTH_PORT)},
    ]
    if observer.sink == "tekton":
        env.append({"name": "BENCHGEN_TEKTON_NAMESPACE", "value": observer.tekton_namespace})
    concurrency = bench.spec.pipeline.concurrency
    if concurrency is not None:
        # The gate: runs are created pending; the observer starts them oldest first.
        env.append({"name": "BENCHGEN_CONCURRENCY_LIMIT", "value": str(concurrency.limit)})
        if concurrency.key:
            env.append({"name": "BENCHGEN_CONCURRENCY_KEY", "value": CONCURRENCY_KEY_LABEL})
    container = {
        "name": "observer",
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": ["observe"],
        "env": env,
        "ports": [{"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
        # Liveness: the watch loops are alive; readiness: the initial lists are done.
        "livenessProbe": probe("/healthz", "health", 20),
        "readinessProbe": probe("/readyz", "health", 10),
        "resources": container_resources(observe.resources),
        "securityContext": container_security(),
        "volumeMounts": [TMP_MOUNT],
    }
    out = [manifest("v1", "ServiceAccount", metadata(names, names.observer))]
    rules = _observer_rules(observe, concurrency is not None)
    for namespace in watched:
        role = names.observer_role(namespace)
        out.append(role_manifest(names, role, namespace, rules))
        out.append(binding_manifest(names, role, namespace, names.observer))
    if observer.sink == "tekton":
        config_rule: Rule = (
            [""],
            ["configmaps"],
            ["get"],
            f"read the sink URL from Tekton's {TEKTON_EVENTS_CONFIG} (sink 'tekton'), at start"
            " and on every resync; no other ConfigMap",
        )
        role = names.observer_config_role
        namespace = observer.tekton_namespace
        out.append(role_manifest(names, role, namespace, [config_rule], [TEKTON_EVENTS_CONFIG]))
        out.append(binding_manifest(names, role, namespace, names.observer))
    out.append(
        deployment(
            names,
            names.observer,
            "observer",
            container,
            replicas=1,
            # Recreate: two observers never run at once, so events are not sent twice.
            strategy="Recreate",
            volumes=[TMP_VOLUME],
        )
    )
    # Nothing connects to the observer: it only sends. Its one listener is the probes'.
    out.append(network_policy(names, names.observer, "observer", []))
    return out


STATUS_RULES: list[Rule] = [
    (
        ["tekton.dev"],
        ["pipelineruns", "taskruns"],
        ["list"],
        "/status/<run>: one list by field selector metadata.name and the label selector, so"
        " the API server applies the selector; /logs/<run>: the run's TaskRuns by"
        " tekton.dev/pipelineRun=<run> and the selector (no get or watch is used)",
    ),
    (
        [""],
        ["pods/log"],
        ["get"],
        "stream each step's container log for /logs/<run> (the pod and container names"
        " come from the TaskRun's status: no pods access)",
    ),
]


def build_status_api(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.status_api is None:
        return []
    api = observe.status_api
    ref = api.auth.secret_ref
    env = [
        {"name": "BENCHGEN_NAMESPACE", "value": names.namespace},
        {"name": "BENCHGEN_SELECTOR", "value": selector(names)},
        {"name": "BENCHGEN_PORT", "value": str(STATUS_PORT)},
        {"name": "BENCHGEN_HEALTH_PORT", "value": str(HEALTH_PORT)},
        {"name": "BENCHGEN_AUTH_TYPE", "value": api.auth.type},
        {"name": "BENCHGEN_AUTH_FILE", "value": f"{AUTH_DIR}/{ref.key}"},
    ]
    container = {
        "name": "status",
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": ["serve"],
        "env": env,
        "ports": [
            {"name": "http", "containerPort": STATUS_PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        # The probes' own listener: however many clients the API port is refusing,
        # they are answered (and a pod under attack is not restarted for it).
        "livenessProbe": probe("/health", "health", 20),
        "readinessProbe": probe("/health", "health", 10),
        "resources": container_resources(observe.resources),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "auth", "mountPath": AUTH_DIR, "readOnly": True},
            TMP_MOUNT,
        ],
    }
    # The Secret is referenced, never rendered: there are no default credentials.
    auth_volume = {
        "name": "auth",
        "secret": {
            "secretName": ref.name,
            "items": [{"key": ref.key, "path": ref.key}],
            "defaultMode": 0o440,
        },
    }
    service = manifest(
        "v1",
        "Service",
        metadata(names, names.status),
        spec={
            "selector": names.role_labels("status"),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    )
    out = [
        manifest("v1", "ServiceAccount", metadata(names, names.status)),
        role_manifest(names, names.status, names.namespace, STATUS_RULES),
        binding_manifest(names, names.status, names.namespace, names.status),
        deployment(
            names,
            names.status,
            "status",
            container,
            replicas=api.replicas,
            strategy="RollingUpdate",
            volumes=[auth_volume, TMP_VOLUME],
        ),
        service,
    ]
    if api.network_policy is not None:
        peers: list[Manifest] = [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
            for ns in api.network_policy.from_namespaces
        ]
    else:
        # Left out: pods of any namespace (an Ingress controller, CI runners in the
        # cluster); nothing from outside the pod network. The API authenticates
        # every request; the policy keeps every other port, the probes' one
        # included, closed to clients.
        peers = [{"namespaceSelector": {}}]
    api_port = [{"protocol": "TCP", "port": STATUS_PORT}]
    out.append(network_policy(names, names.status, "status", [{"from": peers, "ports": api_port}]))
    return out
