"""Every ConfigMap: the orchestrator address the Tasks read, the Broker's channel
template, and the state `watch-releases` keeps."""

from __future__ import annotations

import json

from generator.compile.knative import broker_warnings
from generator.compile.meta import WARNING_ANNOTATION, Manifest, manifest, metadata
from generator.config.names import Names, orchestrator_url

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark

URL_KEY = "orchestrator-api-url"
ENDPOINT_KEY = "api-batch-endpoint"
CHANNEL_TEMPLATE_KEY = "channel-template-spec"
STATE_ANNOTATION = "benchgen.dev/state"


def build(bench: Benchmark, names: Names) -> list[Manifest]:
    return [
        *_orchestrator(bench, names),
        *_broker_config(bench, names),
        *_releases_state(bench, names),
        *_deliveries(names),
        *_notify_templates(bench, names),
    ]


def _config_map(
    names: Names, name: str, data: dict[str, str] | None, annotations: dict[str, str] | None
) -> Manifest:
    meta = metadata(names, name)
    if annotations:
        meta["annotations"] = annotations
    return manifest("v1", "ConfigMap", meta, **({} if data is None else {"data": data}))


def _orchestrator(bench: Benchmark, names: Names) -> list[Manifest]:
    """Where the orchestrator is; none when the Pipeline has no built-in submit and wait."""
    if bench.spec.orchestrator is None:
        return []
    data = {
        URL_KEY: orchestrator_url(bench, names.namespace),
        ENDPOINT_KEY: bench.spec.orchestrator.batch_endpoint,
    }
    return [_config_map(names, names.config_map, data, None)]


def _broker_config(bench: Benchmark, names: Names) -> list[Manifest]:
    """The channel template of a Broker benchgen creates (knative.py refers to it)."""
    cloud = bench.spec.triggers.cloud_events
    if cloud is None or not cloud.broker.create or cloud.broker.channel_template is None:
        return []
    # Knative parses this value as YAML; JSON is YAML and keeps it one exact line each.
    template = cloud.broker.channel_template
    text = f"apiVersion: {json.dumps(template.api_version)}\nkind: {json.dumps(template.kind)}\n"
    warnings = broker_warnings(bench, names)
    annotations = {WARNING_ANNOTATION: warnings[0]} if warnings else None
    return [_config_map(names, names.broker_config, {CHANNEL_TEMPLATE_KEY: text}, annotations)]


def _deliveries(names: Names) -> list[Manifest]:
    """The event-key interceptor's dedup record (generator.contract.deliveries)."""
    if not names.uses_event_key:
        return []
    why = (
        "written by the event-key interceptor (event keys whose run was created, kept 7 days,"
        " 10000 at most); rendered without data so that applying the manifests never resets it"
    )
    return [_config_map(names, names.deliveries, None, {STATE_ANNOTATION: why})]


def _releases_state(bench: Benchmark, names: Names) -> list[Manifest]:
    if bench.spec.triggers.releases is None:
        return []
    why = (
        "written by watch-releases; rendered without data so that applying the manifests"
        " never resets what was already fired"
    )
    return [_config_map(names, names.releases_state, None, {STATE_ANNOTATION: why})]


def _notify_templates(bench: Benchmark, names: Names) -> list[Manifest]:
    """notify's Jinja2 templates (contract.notify: one key per configured text), mounted
    into the notify step as files: the text never becomes part of a script or an arg."""
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.notify is None:
        return []
    from generator.config.notify_checks import templates
    from generator.contract.notify import TEMPLATE_FIELDS

    texts = templates(fin.notify)
    if not texts:
        return []
    data = {TEMPLATE_FIELDS[field]: text for field, text in texts.items()}
    return [_config_map(names, names.task_notify, data, None)]
