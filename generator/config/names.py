"""Every derived name and label set, computed in one place.

Builders never spell a name themselves: they read it from ``Names`` so the
listener, its Service, the bindings, the Pipeline and the Tasks always agree.
"""

from __future__ import annotations

import re
from typing import NamedTuple

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import AcceptedEventSpec, Benchmark, ScheduleSpec


DEFAULT_NAMESPACE = "default"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
BENCHMARK_LABEL = "benchgen.dev/benchmark"
TRIGGER_LABEL = "benchgen.dev/trigger"
ROLE_LABEL = "benchgen.dev/role"  # observer | status | event-key: the Deployments' pod selectors
# spec.pipeline.concurrency.key: the observer counts active runs per value of it.
CONCURRENCY_KEY_LABEL = "benchgen.dev/concurrency-key"
# spec.pipeline.variants: on a variant's Pipeline, TriggerTemplates and runs.
VARIANT_LABEL = "benchgen.dev/variant"
RESERVED_LABELS = (
    COMPONENT_LABEL,
    MANAGED_BY_LABEL,
    BENCHMARK_LABEL,
    TRIGGER_LABEL,
    ROLE_LABEL,
    CONCURRENCY_KEY_LABEL,
    VARIANT_LABEL,
)
# The CronJob controller names each Job <cronjob>-<minutes since the epoch>
# and refuses CronJob names longer than 52 characters.
MAX_CRONJOB_NAME = 52
# Knative's PingSource events: a fixed type, a source naming the PingSource.
PING_EVENT_TYPE = "dev.knative.sources.ping"
# Tekton puts the PipelineRun name into label values (tekton.dev/pipelineRun) and
# validates it as a DNS label: at most 63 characters.
MAX_RUN_NAME = 63
# Room a deterministic run name must leave for the event id: a UUID, the id
# most CloudEvent producers use.
MIN_EVENT_ID_ROOM = 36
BROKER_INGRESS = "http://broker-ingress.knative-eventing.svc.cluster.local"
LISTENER_PORT = 8080  # the port Tekton Triggers' EventListener pods serve on


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Names(NamedTuple):
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
    run_prefix: str  # deterministic names: <run_prefix><event id>
    events_listener: str  # the in-cluster CloudEvents EventListener
    events_listener_service: str
    events_binding: str
    events_template: str
    event_key: str  # the listeners' key interceptor: Deployment, Service, Interceptor
    deliveries: str  # ConfigMap: the dedup record of the event-key interceptor
    broker: str
    broker_config: str
    observer: str
    status: str
    custom_tasks: str  # poll.mode controller: its Deployment, ServiceAccount, Role, binding
    observer_tekton_role: str  # its Roles away from home: see observer_role
    task_cleanup: str
    task_notify: str
    cleanup: str  # ServiceAccount, Roles and RoleBindings of the clean-up Task
    releases: str  # CronJob, ServiceAccount, Role and RoleBinding of watch-releases
    releases_state: str  # ConfigMap: what watch-releases already fired
    schedule: str  # ServiceAccount, Role and RoleBinding of the send CronJobs (with an event id)
    labels: dict[str, str]
    uses_cloud_events: bool = False
    uses_observer: bool = False
    uses_status: bool = False
    uses_custom_tasks: bool = False
    uses_event_key: bool = False  # CloudEvents, or webhook deduplication by delivery

    @property
    def event_id_room(self) -> int:
        """Longest event id that still makes a valid run name."""
        return MAX_RUN_NAME - len(self.run_prefix)

    @property
    def events_listener_url(self) -> str:
        return (
            f"http://{self.events_listener_service}.{self.namespace}.svc.cluster.local"
            f":{LISTENER_PORT}"
        )

    @property
    def listener_url(self) -> str:
        """The webhook EventListener's Service, as in-cluster callers reach it."""
        return f"http://{self.listener_service}.{self.namespace}.svc.cluster.local:{LISTENER_PORT}"

    def ping_source(self, name: str) -> str:
        """The CloudEvent source of PingSource ``name`` (knative.dev/eventing PingSourceSource)."""
        return f"/apis/v1/namespaces/{self.namespace}/pingsources/{name}"

    @property
    def broker_url(self) -> str:
        """The Broker's ingress (MTChannelBasedBroker layout: /<namespace>/<broker>)."""
        return f"{BROKER_INGRESS}/{self.namespace}/{self.broker}"

    def observer_role(self, namespace: str) -> str:
        """The observer's Role in a watched namespace: at home the plain name; elsewhere
        the origin is in the name, so two benchmarks of the same name never collide."""
        return self.observer if namespace == self.namespace else self.observer_tekton_role

    @property
    def observer_config_role(self) -> str:
        """Its Role reading Tekton's config-events (sink 'tekton'), apart from any watch Role."""
        return f"{self.observer_tekton_role}-config"

    def cleanup_role(self, namespace: str) -> str:
        """The clean-up's Role in ``namespace``: at home the plain name; elsewhere the origin
        and the target are in the name, so no two benchmarks (nor two of this one's Roles)
        ever share one."""
        if namespace == self.namespace:
            return self.cleanup
        return f"benchgen-{self.namespace}-{self.cleanup}-{namespace}"

    @property
    def task_deploy(self) -> str:
        return f"{self.base}-deploy"

    @property
    def deploy(self) -> str:
        """ServiceAccount, Roles and RoleBindings of the deploy Task."""
        return f"{self.base}-deploy"

    def deploy_role(self, namespace: str) -> str:
        """The deploy step's Role in ``namespace``, named as the clean-up's are."""
        if namespace == self.namespace:
            return self.deploy
        return f"benchgen-{self.namespace}-{self.deploy}-{namespace}"

    def role_labels(self, role: str) -> dict[str, str]:
        """Pod selector of a Deployment: stable, whatever spec.labels says."""
        return {BENCHMARK_LABEL: self.base, ROLE_LABEL: role}

    def checked(self) -> list[tuple[str, str, str]]:
        """(name, config field it derives from, rule) for each name Kubernetes will check."""
        out = [
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
        if self.uses_cloud_events:
            out += [
                (self.events_listener, "metadata.name", "dns1035"),
                (self.events_listener_service, "metadata.name", "dns1035"),
                (self.events_binding, "metadata.name", "dns1123"),
                (self.events_template, "metadata.name", "dns1123"),
                (self.broker_config, "metadata.name", "dns1123"),
            ]
        if self.uses_event_key:
            out += [
                (self.event_key, "metadata.name", "dns1035"),
                (self.deliveries, "metadata.name", "subdomain"),
            ]
        if self.uses_observer:
            out.append((self.observer, "metadata.name", "dns1123"))
        if self.uses_status:
            out.append((self.status, "metadata.name", "dns1035"))
        if self.uses_custom_tasks:
            out.append((self.custom_tasks, "metadata.name", "dns1123"))
        return out


def resolve_namespace(bench: Benchmark, override: str | None = None) -> str:
    """--namespace, else metadata.namespace, else 'default' (render never reads the cluster)."""
    return override or bench.metadata.namespace or DEFAULT_NAMESPACE


def build_names(bench: Benchmark, namespace: str) -> Names:
    from generator.config.facts import uses_event_key

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
    cloud_events = bench.spec.triggers.cloud_events
    observe = bench.spec.observe
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
        run_prefix=overrides.run_prefix or f"{base}-run-",
        events_listener=f"{base}-events",
        events_listener_service=f"el-{base}-events",
        events_binding=f"{base}-cloudevents-binding",
        events_template=f"{base}-cloudevents-template",
        event_key=f"{base}-event-key",
        deliveries=f"{base}-deliveries",
        broker=cloud_events.broker.name if cloud_events else "default",
        broker_config=f"{base}-broker-config",
        observer=f"{base}-observer",
        status=f"{base}-status",
        custom_tasks=f"{base}-custom-tasks",
        observer_tekton_role=f"benchgen-{namespace}-{base}-observer",
        task_cleanup=f"{base}-cleanup",
        task_notify=f"{base}-notify",
        cleanup=f"{base}-cleanup",
        releases=f"{base}-releases",
        releases_state=f"{base}-releases-state",
        schedule=f"{base}-schedule",
        uses_cloud_events=cloud_events is not None,
        uses_observer=observe is not None and observe.observer is not None,
        uses_status=observe is not None and observe.status_api is not None,
        uses_custom_tasks=bench.spec.poll.mode == "controller",
        uses_event_key=uses_event_key(bench),
        labels=dict(sorted(labels.items())),
    )


def orchestrator_url(bench: Benchmark, namespace: str) -> str:
    assert bench.spec.orchestrator is not None
    return bench.spec.orchestrator.url.replace("{namespace}", namespace)


def schedule_name(base: str, schedule: ScheduleSpec) -> str:
    """The CronJob or PingSource of one schedule: <base>-<name>, default <base>-schedule."""
    return f"{base}-{schedule.name or 'schedule'}"


def knative_trigger_name(base: str, accepted: AcceptedEventSpec) -> str:
    """<base>-<type, dashed>, unless the config names the Trigger."""
    if accepted.name:
        return accepted.name
    slug = re.sub(r"[^a-z0-9]+", "-", accepted.type_text.lower()).strip("-")
    return f"{base}-{slug}"
