"""Builders: pure functions from a validated Benchmark to plain manifest dicts.

One module per family of kinds: ``KINDS`` names the module that builds each
kind (tests/test_kinds.py holds it to that), and its order is the apply order.
Shared pieces: ``meta`` (metadata, labels), ``pods`` (security contexts,
resources), ``cel`` (the listeners' expressions).
"""

from __future__ import annotations

from typing import NamedTuple

from generator.compile import (
    configmaps,
    controller,
    interceptor,
    knative,
    metrics,
    network,
    rbac,
    refusals,
    schedule,
    tekton,
    triggers,
)
from generator.compile.meta import Manifest
from generator.config.names import Names
from generator.config.variants import variants

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark

# Kind -> its builder module, in apply order: what others refer to comes first
# (one rank table, lightkube-style).
KINDS = {
    "ServiceAccount": "rbac",
    "ClusterRole": "rbac",
    "ClusterRoleBinding": "rbac",
    "Role": "rbac",
    "RoleBinding": "rbac",
    "ConfigMap": "configmaps",
    "Task": "tekton",
    "Pipeline": "tekton",
    "TriggerBinding": "triggers",
    "TriggerTemplate": "triggers",
    "Interceptor": "interceptor",  # before the EventListener whose chain names it
    "EventListener": "triggers",
    "NetworkPolicy": "network",
    "Broker": "knative",
    "Trigger": "knative",  # Knative's: after the Broker it names
    "PingSource": "schedule",  # after the Broker and the Trigger taking its events
    "Deployment": "controller",  # the event-key interceptor's too (controller.deployment)
    "Service": "controller",  # likewise (controller.service)
    "ServiceMonitor": "metrics",  # after the Services it selects
    "CronJob": "schedule",  # last: its first run finds the listener and its RBAC in place
}
_RANK = {kind: i for i, kind in enumerate(KINDS)}


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Build(NamedTuple):
    """Everything one config compiles to."""

    manifests: list[Manifest]
    warnings: list[str]


def build(bench: Benchmark, names: Names) -> Build:
    """``names`` are the loader's (config.load.Loaded): derived once per config."""
    variant_list = variants(bench, names)
    manifests = [
        *rbac.build(bench, names),
        *configmaps.build(bench, names),
        *network.build(bench, names),
        *tekton.build_submit_and_wait_tasks(bench, names),
        tekton.build_summary_task(bench, names),
        *tekton.build_deploy_task(bench, names),
        *tekton.build_cleanup_task(bench, names),
        *tekton.build_notify_task(bench, names),
        tekton.build_pipeline(bench, names),
        # spec.pipeline.variants: each one more Pipeline and its TriggerTemplates, made by
        # the same builders from the variant's config (config/variants.py).
        *(tekton.build_pipeline(v.bench, v.names) for v in variant_list),
        triggers.build_trigger_binding(bench, names),
        triggers.build_trigger_template(bench, names),
        *(triggers.build_trigger_template(v.bench, v.names) for v in variant_list),
        triggers.build_event_listener(bench, names),
    ]
    if bench.spec.triggers.cloud_events is not None:
        manifests += [
            triggers.build_events_binding(names),
            triggers.build_events_template(bench, names),
            *(triggers.build_events_template(v.bench, v.names) for v in variant_list),
            triggers.build_events_listener(bench, names),
            *knative.build_broker(bench, names),
            *knative.build_triggers(bench, names),
        ]
    manifests += [
        *interceptor.build_event_key(bench, names),  # CloudEvents, or webhook deduplication
        *refusals.build(bench, names),  # spec.triggers.webhook.recordRefusals
        *controller.build_observer(bench, names),
        *controller.build_status_api(bench, names),
        *metrics.build(bench, names),
        *controller.build_custom_tasks(bench, names),
        *schedule.build_schedules(bench, names),
        *schedule.build_releases(bench, names),
    ]
    manifests.sort(key=lambda m: _RANK[m["kind"]])  # stable: keeps builder order within a kind
    warnings = [
        *triggers.webhook_warnings(bench, names),
        *triggers.events_warnings(bench, names),
        *knative.broker_warnings(bench, names),
        *schedule.releases_warnings(bench, names),
    ]
    return Build(manifests, warnings)
