"""The observer controller, the status API and the custom-task controller: their
Deployments and the status Service.

They run the runtime image (`benchgen-poller observe` / `serve` / `custom-tasks`); their env
and ports are exactly those of docs/runtime-interface.md. Their identities are
in rbac.py, their NetworkPolicies in network.py.
"""

from __future__ import annotations

from generator.compile import pods
from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.tekton import api_env, orchestrator_env, request_spec, token_wiring
from generator.config.names import BENCHMARK_LABEL, CONCURRENCY_KEY_LABEL, Names
from generator.contract import commit_status
from generator.contract import env as var
from generator.contract import observe as observe_env
from generator.contract.commands import CUSTOM_TASKS, OBSERVE, POLLER, SERVE

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ResourcesSpec

# The probes' port of every Deployment: a listener of its own, for the kubelet, and
# for the metrics scrape when spec.observe.metrics asks (compile/metrics.py: a
# Service port and a NetworkPolicy rule); otherwise no Service or rule reaches it.
HEALTH_PORT = int(OBSERVE.default(var.HEALTH_PORT))
STATUS_PORT = int(SERVE.default(var.PORT))
AUTH_DIR = "/var/run/benchgen/auth"
COMMIT_STATUS_DIR = "/var/run/benchgen/commit-status"  # the commit status token's Secret


def selector(names: Names) -> str:
    """BENCHGEN_SELECTOR: this benchmark's runs (TaskRuns inherit the PipelineRun's labels)."""
    return f"{BENCHMARK_LABEL}={names.base}"


def probe(path: str, port: str, period: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }


def service(names: Names, name: str, role: str, port: int) -> Manifest:
    """Port ``port`` to the ``http`` port of one Deployment's pods."""
    ports = [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
    spec = {"selector": names.role_labels(role), "ports": ports}
    return manifest("v1", "Service", metadata(names, name), spec=spec)


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
        "securityContext": pods.pod_security(fs_group=True),
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


def build_observer(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.observer is None:
        return []
    observer = observe.observer
    watched = observer.namespaces or [names.namespace]
    # 'tekton' and a URL go as they are: the runtime resolves both.
    sink = names.broker_url if observer.sink == "broker" else observer.sink
    concurrency = bench.spec.pipeline.concurrency
    status_spec, token_file = _commit_status(bench, names)
    config = observe_env.ObserveConfig(
        namespaces=tuple(watched),
        selector=selector(names),
        sink=sink,
        source=f"/benchgen/{names.namespace}/{names.base}",
        log_tail_bytes=observer.log_tail_bytes,
        health_port=HEALTH_PORT,
        tekton_namespace=observer.tekton_namespace,
        # The gate: runs are created pending; the observer starts them oldest first.
        concurrency_limit=concurrency.limit if concurrency is not None else None,
        concurrency_key=CONCURRENCY_KEY_LABEL if concurrency and concurrency.key else None,
        concurrency_max_pending=concurrency.max_pending if concurrency is not None else None,
        concurrency_supersede=concurrency.supersede if concurrency is not None else False,
        commit_status=status_spec,
        commit_status_token_file=token_file,
    )
    env = [{"name": name, "value": value} for name, value in observe_env.encode(config)]
    mounts: list[Manifest] = []
    volumes: list[Manifest] = []
    if observe.commit_status is not None:
        # The token is a file (referenced, never rendered), read again for every
        # report: a rotated Secret reaches the pod without a restart.
        ref = observe.commit_status.token_secret_ref
        mounts.append({"name": "commit-status", "mountPath": COMMIT_STATUS_DIR, "readOnly": True})
        volumes.append(pods.secret_volume("commit-status", ref.name, ref.key))
    # Recreate: two observers never run at once, so events are not sent twice.
    # Liveness: the watch loops are alive; readiness: the initial lists are done.
    return [
        _watcher(
            bench,
            names,
            names.observer,
            "observer",
            OBSERVE.name,
            env,
            observe.resources,
            mounts,
            volumes,
        )
    ]


def _commit_status(
    bench: Benchmark, names: Names
) -> tuple[commit_status.CommitStatusSpec | None, str | None]:
    """The observer's commit status spec and token file (None without spec.observe.commitStatus)."""
    spec = bench.spec.observe.commit_status if bench.spec.observe else None
    if spec is None:
        return None, None
    encoded = commit_status.CommitStatusSpec(
        provider=spec.provider,
        api_url=(spec.api_url or commit_status.DEFAULT_API_URL[spec.provider]).rstrip("/"),
        context=spec.context or f"benchgen/{names.base}",
        repository=spec.repository.value,
        status_url=spec.status_url,
    )
    return encoded, f"{COMMIT_STATUS_DIR}/{spec.token_secret_ref.key}"


def _watcher(
    bench: Benchmark,
    names: Names,
    name: str,
    role: str,
    command: str,
    env: list[Manifest],
    resources: ResourcesSpec,
    mounts: list[Manifest] | None = None,
    volumes: list[Manifest] | None = None,
) -> Manifest:
    """A single-replica controller (``Recreate``) of the runtime image: its only port
    the probes', ``/healthz`` (its threads alive) and ``/readyz`` (its first lists done)."""
    container = {
        "name": role,
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": [command],
        "env": env,
        "ports": [{"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
        "livenessProbe": probe("/healthz", "health", 20),
        "readinessProbe": probe("/readyz", "health", 10),
        "resources": pods.container_resources(resources),
        "securityContext": pods.container_security(),
        "volumeMounts": [pods.TMP_MOUNT, *(mounts or [])],
    }
    return deployment(
        names,
        name,
        role,
        container,
        replicas=1,
        strategy="Recreate",
        volumes=[pods.TMP_VOLUME, *(volumes or [])],
    )


def build_status_api(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.status_api is None:
        return []
    api = observe.status_api
    ref = api.auth.secret_ref
    env = [
        {"name": var.NAMESPACE, "value": names.namespace},
        {"name": var.SELECTOR, "value": selector(names)},
        {"name": var.PORT, "value": str(STATUS_PORT)},
        {"name": var.HEALTH_PORT, "value": str(HEALTH_PORT)},
        {"name": var.AUTH_TYPE, "value": api.auth.type},
        {"name": var.AUTH_FILE, "value": f"{AUTH_DIR}/{ref.key}"},
    ]
    concurrency = bench.spec.pipeline.concurrency
    if concurrency is not None and concurrency.key:
        # /status tells a pending run's place in the queue of its key.
        env.append({"name": var.CONCURRENCY_KEY, "value": CONCURRENCY_KEY_LABEL})
    container = {
        "name": "status",
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": [SERVE.name],
        "env": env,
        "ports": [
            {"name": "http", "containerPort": STATUS_PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        # The probes' own listener: however many clients the API port is refusing,
        # they are answered (and a pod under attack is not restarted for it).
        "livenessProbe": probe("/health", "health", 20),
        "readinessProbe": probe("/health", "health", 10),
        "resources": pods.container_resources(observe.resources),
        "securityContext": pods.container_security(),
        "volumeMounts": [
            {"name": "auth", "mountPath": AUTH_DIR, "readOnly": True},
            pods.TMP_MOUNT,
        ],
    }
    # The Secret is referenced, never rendered: there are no default credentials.
    auth_volume = pods.secret_volume("auth", ref.name, ref.key)
    from generator.compile import metrics  # it builds on this module's service()

    return [
        deployment(
            names,
            names.status,
            "status",
            container,
            replicas=api.replicas,
            strategy="RollingUpdate",
            volumes=[auth_volume, pods.TMP_VOLUME],
        ),
        metrics.with_metrics_port(bench, service(names, names.status, "status", 80)),
    ]


def build_custom_tasks(bench: Benchmark, names: Names) -> list[Manifest]:
    """poll.mode controller: one process reconciles every run's Submit and Wait."""
    if not names.uses_custom_tasks:
        return []
    env = [
        {"name": var.NAMESPACE, "value": names.namespace},
        {"name": var.SELECTOR, "value": selector(names)},
        *orchestrator_env(names),
        *api_env(bench),
        {"name": var.REQUEST_SPEC, "value": request_spec(bench)},
        {"name": var.HEALTH_PORT, "value": str(HEALTH_PORT)},
        {"name": var.MAX_REQUESTS, "value": CUSTOM_TASKS.default(var.MAX_REQUESTS)},
    ]
    token_env, mounts, volumes = token_wiring(bench)
    env += token_env
    # Recreate: one controller at a time (its writes are conditional anyway).
    return [
        _watcher(
            bench,
            names,
            names.custom_tasks,
            "custom-tasks",
            CUSTOM_TASKS.name,
            env,
            bench.spec.pipeline.resources,
            mounts,
            volumes,
        )
    ]
