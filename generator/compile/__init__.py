"""Builders: pure functions from a validated Benchmark to plain manifest dicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.compile import core, tekton, triggers
from generator.compile.meta import Manifest
from generator.config.models import Benchmark
from generator.config.names import Names, build_names

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
    "EventListener",
)


@dataclass
class Build:
    """Everything one config compiles to."""

    names: Names
    manifests: list[Manifest]
    warnings: list[str] = field(default_factory=list)


def build(bench: Benchmark, namespace: str) -> Build:
    names = build_names(bench, namespace)
    manifests = [
        *core.build_service_accounts(names),
        *core.build_listener_rbac(names),
        core.build_config_map(bench, names),
        tekton.build_submit_task(bench, names),
        tekton.build_wait_task(bench, names),
        tekton.build_summary_task(bench, names),
        tekton.build_pipeline(bench, names),
        triggers.build_trigger_binding(bench, names),
        triggers.build_trigger_template(bench, names),
        triggers.build_event_listener(bench, names),
    ]
    rank = {kind: i for i, kind in enumerate(APPLY_ORDER)}
    manifests.sort(key=lambda m: rank[m["kind"]])  # stable: keeps builder order within a kind
    return Build(names, manifests, triggers.webhook_warnings(bench, names))
