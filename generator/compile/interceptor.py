"""The listeners' own interceptor: the key that names each event's run.

A run is named ``<runPrefix><key>``, the key derived from the event's source and
id (``generator.contract.event_key``): the CloudEvents identity; or, on the webhook
listener (GitHub or GitLab auth, no eventIdParam), from the provider's delivery
id (``delivery_key``). Triggers' CEL has no hash, so ``benchgen-poller event-key``
computes it, served as a Tekton Triggers namespaced ``Interceptor``
(triggers.tekton.dev/v1alpha1) that the listeners call after their CEL checks.
It also keeps the dedup record, ConfigMap ``<name>-deliveries`` (configmaps.py),
so a redelivery starts nothing after its run was pruned. Rendered with
spec.triggers.cloudEvents or webhook deduplication: a Deployment, its Service
and the Interceptor (its ServiceAccount and Role are in rbac.py; its
NetworkPolicy, admitting the calling listeners' pods only, in network.py).

The Interceptor has no caBundle, so Triggers (v0.37.0, Interceptor.ResolveAddress)
calls it over plain http at ``http://<service>.<namespace>.svc:80``.
"""

from __future__ import annotations

from generator.compile.controller import HEALTH_PORT, deployment, probe, service
from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.pods import TMP_MOUNT, TMP_VOLUME, container_resources, container_security
from generator.config.facts import delivery_provider
from generator.config.names import Names
from generator.contract import env as var
from generator.contract.commands import EVENT_KEY, POLLER
from generator.contract.event_key import DELIVERY_EXTENSION, EXTENSION, PROVIDER_PARAM

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark

INTERCEPTOR_API = "triggers.tekton.dev/v1alpha1"
NAMESPACED_INTERCEPTOR = "NamespacedInterceptor"  # the kind an EventListener's ref names
ROLE = "event-key"
KEY_PORT = int(EVENT_KEY.default(var.PORT))
SERVICE_PORT = 80  # Triggers' default for an Interceptor without caBundle; spelled out
REPLICAS = 2  # on the path of every event: the listener has answered 202 already
# What the extensions annotation says: every top-level key the interceptor sets.
EXTENSIONS_ANNOTATION = "benchgen.dev/extensions"
# spec.observe.resources' default (models.ObserveSpec): used when there is no observe block.
DEFAULT_RESOURCES = {
    "requests": {"cpu": "20m", "memory": "96Mi"},
    "limits": {"memory": "256Mi"},
}


def build_event_key(bench: Benchmark, names: Names) -> list[Manifest]:
    if not names.uses_event_key:
        return []
    observe = bench.spec.observe
    resources = container_resources(observe.resources) if observe else DEFAULT_RESOURCES
    container = {
        "name": "event-key",
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": [EVENT_KEY.name],
        "env": [
            {"name": var.PORT, "value": str(KEY_PORT)},
            {"name": var.HEALTH_PORT, "value": str(HEALTH_PORT)},
            {"name": var.DEDUP_CONFIGMAP, "value": names.deliveries},
            {"name": var.NAMESPACE, "value": names.namespace},
            {"name": var.RUN_PREFIX, "value": names.run_prefix},
        ],
        "ports": [
            {"name": "http", "containerPort": KEY_PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        "livenessProbe": probe("/health", "health", 20),
        "readinessProbe": probe("/health", "health", 10),
        "resources": resources,
        "securityContext": container_security(),
        "volumeMounts": [TMP_MOUNT],
    }
    keys = [EXTENSION] if bench.spec.triggers.cloud_events is not None else []
    if delivery_provider(bench) is not None:
        keys.append(DELIVERY_EXTENSION)
    extensions = ",".join(keys)
    interceptor = manifest(
        INTERCEPTOR_API,
        "Interceptor",
        metadata(names, names.event_key, annotations={EXTENSIONS_ANNOTATION: extensions}),
        spec={
            "clientConfig": {
                "service": {
                    "name": names.event_key,
                    "namespace": names.namespace,
                    "path": "/",
                    "port": SERVICE_PORT,
                }
            }
        },
    )
    return [
        deployment(
            names,
            names.event_key,
            ROLE,
            container,
            replicas=REPLICAS,
            strategy="RollingUpdate",
            volumes=[TMP_VOLUME],
        ),
        service(names, names.event_key, ROLE, SERVICE_PORT),
        interceptor,
    ]


def event_key_interceptor(names: Names) -> Manifest:
    """The events listener's interceptor entry (after its CEL checks)."""
    return {
        "name": "cloudevent-key",
        "ref": {"name": names.event_key, "kind": NAMESPACED_INTERCEPTOR},
    }


def delivery_key_interceptor(names: Names, provider: str) -> Manifest:
    """The webhook listener's interceptor entry (after authentication and its CEL checks):
    the key of the provider's delivery id names the run."""
    return {
        "name": "delivery-key",
        "ref": {"name": names.event_key, "kind": NAMESPACED_INTERCEPTOR},
        "params": [{"name": PROVIDER_PARAM, "value": provider}],
    }


def namespaced_interceptor(names: Names, name: str) -> Manifest:
    """An Interceptor at Service ``name``'s port 80, path / (compile/refusals.py's)."""
    service_ref = {"name": name, "namespace": names.namespace, "path": "/", "port": SERVICE_PORT}
    return manifest(
        INTERCEPTOR_API,
        "Interceptor",
        metadata(names, name),
        spec={"clientConfig": {"service": service_ref}},
    )
