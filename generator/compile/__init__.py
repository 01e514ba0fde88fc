"""Builders: pure functions from a validated Benchmark to plain manifest dicts."""

from __future__ import annotations

from typing import NamedTuple

from generator.compile import (
    controller,
    core,
    interceptor,
    knative,
    rbac,
    schedule,
    tekton,
    triggers,
)
from generator.compile.meta import Manifest
from generator.config.names import Names, build_names

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark

# Apply order: what others refer to comes first (one rank table, lightkube-style).
APPLY_ORDER = (
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Task",
    "Pipeline",
    "TriggerBinding",
    "TriggerTemplate",
    "Interceptor",  # before the EventListener whose chain names it
    "EventListener",
    "NetworkPolicy",
    "Broker",
    "Trigger",  # Knative's: after the Broker it names
    "PingSource",  # after the Broker and the Trigger taking its events
    "Deployment",
    "Service",
    "CronJob",  # last: its first run finds the listener and its RBAC in place
)


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Build(NamedTuple):
    """Everything one config compiles to."""

    names: Names
    manifests: list[Manifest]
    warnings: list[str]


def build(bench: Benchmark, namespace: str) -> Build:
    names = build_names(bench, namespace)
    manifests = [
        *core.build_service_accounts(names),
        *core.build_listener_rbac(names),
        core.build_config_map(bench, names),
        tekton.build_submit_task(bench, names),
        tekton.build_wait_task(bench, names),
        tekton.build_summary_task(bench, names),
        *tekton.build_cleanup_task(bench, names),
        *tekton.build_notify_task(bench, names),
        tekton.build_pipeline(bench, names),
        triggers.build_trigger_binding(bench, names),
        triggers.build_trigger_template(bench, names),
        triggers.build_event_listener(bench, names),
    ]
    if bench.spec.triggers.cloud_events is not None:
        manifests += [
            triggers.build_events_binding(names),
            triggers.build_events_template(bench, names),
            triggers.build_events_listener(bench, names),
            *knative.build_listener_network_policy(bench, names),
            *knative.build_broker(bench, names),
            *knative.build_triggers(bench, names),
            *interceptor.build_event_key(bench, names),
        ]
    manifests += [
        *controller.build_observer(bench, names),
        *controller.build_status_api(bench, names),
        *rbac.build_cleanup_identity(bench, names),
        *rbac.build_releases_identity(bench, names),
        *schedule.build_schedules(bench, names),
        *schedule.build_releases(bench, names),
    ]
    rank = {kind: i for i, kind in enumerate(APPLY_ORDER)}
    manifests.sort(key=lambda m: rank[m["kind"]])  # stable: keeps builder order within a kind
    warnings = [
        *triggers.webhook_warnings(bench, names),
        *triggers.events_warnings(bench, names),
        *knative.broker_warnings(bench, names),
        *schedule.releases_warnings(bench, names),
    ]
    return Build(names, manifests, warnings)
