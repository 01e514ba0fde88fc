"""Every derived name and label set, computed in one place.

Builders never spell a name themselves: they read it from ``Names`` so the
listener, its Service, the bindings, the Pipeline and the Tasks always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.config.models import Benchmark

DEFAULT_NAMESPACE = "default"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
BENCHMARK_LABEL = "benchgen.dev/benchmark"
TRIGGER_LABEL = "benchgen.dev/trigger"
RESERVED_LABELS = (COMPONENT_LABEL, MANAGED_BY_LABEL, BENCHMARK_LABEL, TRIGGER_LABEL)


@dataclass(frozen=True)
class Names:
    """Names of every generated object of one benchmark, and its labels."""

    base: str
    namespace: str
    listener: str
    listener_service: str  # created by Triggers, never by us
    listener_service_account: str
    listener_role_binding: str
    listener_cluster_role_binding: str
    runner_service_account: str
    runner_service_account_generated: bool
    config_map: str
    pipeline: str
    binding: str
    template: str
    task_submit: str
    task_wait: str
    task_summary: str
    run_generate_name: str
    labels: dict[str, str] = field(default_factory=dict)

    def checked(self) -> list[tuple[str, str, str]]:
        """(name, config field it derives from, rule) for each name Kubernetes will check."""
        return [
            (self.listener, "spec.names.listener", "dns1035"),
            (self.listener_service, "spec.names.listener", "dns1035"),
            (self.config_map, "spec.names.configMap", "dns1123"),
            (self.pipeline, "spec.names.pipeline", "dns1123"),
            (self.binding, "spec.names.binding", "dns1123"),
            (self.template, "spec.names.template", "dns1123"),
            (self.task_submit, "metadata.name", "dns1123"),
            (self.task_wait, "metadata.name", "dns1123"),
            (self.task_summary, "metadata.name", "dns1123"),
            (self.listener_service_account, "spec.names.listener", "dns1123"),
            (self.runner_service_account, "spec.pipeline.serviceAccountName", "subdomain"),
        ]


def resolve_namespace(bench: Benchmark, override: str | None = None) -> str:
    """--namespace, else metadata.namespace, else 'default' (render never reads the cluster)."""
    return override or bench.metadata.namespace or DEFAULT_NAMESPACE


def build_names(bench: Benchmark, namespace: str) -> Names:
    base = bench.metadata.name
    overrides = bench.spec.names
    listener = overrides.listener or f"{base}-listener"
    runner_sa = bench.spec.pipeline.service_account_name
    labels = {
        COMPONENT_LABEL: base,
        MANAGED_BY_LABEL: "benchgen",
        BENCHMARK_LABEL: base,
        **bench.spec.labels,
    }
    pipeline = overrides.pipeline or f"{base}-pipeline"
    return Names(
        base=base,
        namespace=namespace,
        listener=listener,
        listener_service=f"el-{listener}",
        listener_service_account=listener,
        listener_role_binding=listener,
        listener_cluster_role_binding=f"benchgen-{namespace}-{listener}",
        runner_service_account=runner_sa or f"{base}-runner",
        runner_service_account_generated=runner_sa is None,
        config_map=overrides.config_map or f"{base}-config",
        pipeline=pipeline,
        binding=overrides.binding or f"{base}-binding",
        template=overrides.template or f"{base}-template",
        task_submit=f"{base}-submit",
        task_wait=f"{base}-wait",
        task_summary=f"{base}-summary",
        run_generate_name=f"{pipeline}-run-",
        labels=dict(sorted(labels.items())),
    )


def orchestrator_url(bench: Benchmark, namespace: str) -> str:
    return bench.spec.orchestrator.url.replace("{namespace}", namespace)
