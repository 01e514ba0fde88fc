"""Knative Eventing objects: the Broker and one Trigger per accepted type (the Broker's
ConfigMap is in configmaps.py, the listener's NetworkPolicy in network.py).

Field names follow knative.dev/eventing v0.48 (pkg/apis/eventing/v1,
pkg/apis/duck/v1 DeliverySpec); the conformance harness decodes every object
into those types strictly.
"""

from __future__ import annotations

from generator.compile.meta import WARNING_ANNOTATION, Manifest, manifest, metadata
from generator.config.names import Names, knative_trigger_name

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import AcceptedEventSpec, Benchmark, DeliverySpec

EVENTING = "eventing.knative.dev/v1"
BROKER_CLASS_ANNOTATION = "eventing.knative.dev/broker.class"
IN_MEMORY_CHANNEL = "InMemoryChannel"


def broker_warnings(bench: Benchmark, names: Names) -> list[str]:
    cloud = bench.spec.triggers.cloud_events
    if cloud is None or not cloud.broker.create:
        return []
    template = cloud.broker.channel_template
    if template is not None and template.kind == IN_MEMORY_CHANNEL:
        return [
            f"Broker {names.broker} uses an InMemoryChannel: events are kept in memory only"
            " (lost on a restart, no persistence, no ordering); use it for tests, not production"
        ]
    return []


def _delivery(spec: DeliverySpec) -> Manifest:
    out: Manifest = {}
    if spec.dead_letter_sink is not None:
        sink = spec.dead_letter_sink
        if sink.uri is not None:
            out["deadLetterSink"] = {"uri": sink.uri}
        else:
            assert sink.ref is not None
            ref: Manifest = {
                "apiVersion": sink.ref.api_version,
                "kind": sink.ref.kind,
                "name": sink.ref.name,
            }
            if sink.ref.namespace:
                ref["namespace"] = sink.ref.namespace
            out["deadLetterSink"] = {"ref": ref}
    if spec.retry is not None:
        out["retry"] = spec.retry
    if spec.backoff_policy is not None:
        out["backoffPolicy"] = spec.backoff_policy
    if spec.backoff_delay is not None:
        out["backoffDelay"] = spec.backoff_delay
    return out


def build_broker(bench: Benchmark, names: Names) -> list[Manifest]:
    """The Broker, only when benchgen creates it."""
    cloud = bench.spec.triggers.cloud_events
    if cloud is None or not cloud.broker.create:
        return []
    broker = cloud.broker
    annotations = {BROKER_CLASS_ANNOTATION: broker.broker_class}
    warnings = broker_warnings(bench, names)
    if warnings:
        annotations[WARNING_ANNOTATION] = warnings[0]
    spec: Manifest = {}
    if broker.channel_template is not None:  # configmaps.py renders it
        spec["config"] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": names.broker_config,
            "namespace": names.namespace,
        }
    if broker.delivery is not None:
        spec["delivery"] = _delivery(broker.delivery)
    meta = metadata(names, names.broker, annotations=annotations)
    return [manifest(EVENTING, "Broker", meta, spec=spec)]


def _filters(accepted: AcceptedEventSpec) -> list[Manifest]:
    """Knative's spec.filters: every entry must match (one dialect per entry)."""
    filters: list[Manifest] = []
    if accepted.type is not None:
        filters.append({"exact": {"type": accepted.type}})
    else:
        filters.append({"prefix": {"type": accepted.type_prefix}})
    if accepted.source is not None:
        filters.append({"exact": {"source": accepted.source}})
    if accepted.cesql is not None:
        filters.append({"cesql": accepted.cesql})
    return filters


def build_triggers(bench: Benchmark, names: Names) -> list[Manifest]:
    """One Trigger per accepted type, each delivering to the CloudEvents listener."""
    cloud = bench.spec.triggers.cloud_events
    if cloud is None:
        return []
    # Binary mode: the listener reads the attributes from Ce-* headers and the
    # params from the body, which is then exactly the event's data.
    delivery: Manifest = {**(_delivery(cloud.delivery) if cloud.delivery else {})}
    delivery["format"] = "binary"
    out = []
    for accepted in cloud.accept:
        spec: Manifest = {
            "broker": names.broker,
            "filters": _filters(accepted),
            # A uri, not a Service ref: Knative resolves a Service ref to port
            # 80, and Triggers' listener Service serves on 8080.
            "subscriber": {"uri": names.events_listener_url},
            "delivery": delivery,
        }
        name = knative_trigger_name(names.base, accepted)
        out.append(manifest(EVENTING, "Trigger", metadata(names, name), spec=spec))
    return out
