"""Checks that need more than one field, each pointing at the field it is about."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.config import kube
from generator.config.durations import format_duration, parse_duration
from generator.config.names import (
    MIN_EVENT_ID_ROOM,
    RESERVED_LABELS,
    build_names,
    knative_trigger_name,
)
from generator.config.paths import dotted
from generator.config.rules import RESERVED_EVENT_PREFIXES

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ParamSpec

# The orchestrator's MLOps batch body (contracts/orchestrator-mlops-batch.md):
# field -> (JSON type, required by the orchestrator).
ORCHESTRATOR_FIELDS: dict[str, tuple[str, bool]] = {
    "testingDataNvrsVersion": ("string", True),
    "promptsVersion": ("string", True),
    "knownNonIssuesVersion": ("string", True),
    "sastAiImage": ("string", True),
    "submittedBy": ("string", False),
    "jobSettings.llmUrl": ("string", False),
    "jobSettings.llmModelName": ("string", False),
    "jobSettings.llmApiType": ("string", False),
    "jobSettings.embeddingLlmUrl": ("string", False),
    "jobSettings.embeddingLlmModelName": ("string", False),
    "jobSettings.secretName": ("string", False),
    "jobSettings.useKnownFalsePositiveFile": ("boolean", False),
    "jobSettings.evaluateSpecificNode": ("string", False),
}
IMAGE_VALUE_PATTERN = r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[0-9a-f]{64})$"
# Room the Pipeline needs besides the wait: pod start-up of each Task and
# writing results before Tekton's own timeout would kill the step.
TASK_OVERHEAD_SECONDS = 180

Finding = tuple[str, str]  # (dotted field path, message)


def is_required_field(bench: Benchmark, index: int) -> bool:
    spec = bench.spec.orchestrator.request[index]
    if spec.required is not None:
        return spec.required
    return ORCHESTRATOR_FIELDS.get(spec.field, ("string", False))[1]


def check(bench: Benchmark, namespace: str) -> list[Finding]:
    return [
        *_params(bench),
        *_request(bench),
        *_timeouts(bench),
        *_names(bench, namespace),
        *_labels(bench),
        *_events(bench, namespace),
        *_observe(bench),
    ]


def _index(bench: Benchmark, name: str) -> int:
    return next(i for i, p in enumerate(bench.spec.params) if p.name == name)


def _params(bench: Benchmark) -> Iterator[Finding]:
    requested = {f.param for f in bench.spec.orchestrator.request}
    seen: dict[str, int] = {}
    for i, param in enumerate(bench.spec.params):
        if param.name in seen:
            yield (
                f"spec.params[{i}].name",
                f"duplicate param {param.name!r} (first at spec.params[{seen[param.name]}])",
            )
        seen.setdefault(param.name, i)
        if param.label in RESERVED_LABELS:
            yield f"spec.params[{i}].label", f"{param.label!r} is set by benchgen itself"
        if param.name not in requested and not param.label and not param.annotation:
            yield (
                f"spec.params[{i}].name",
                f"param {param.name!r} is not used: map it in spec.orchestrator.request or"
                " give it a label or annotation",
            )


def _request(bench: Benchmark) -> Iterator[Finding]:
    params: dict[str, ParamSpec] = {}
    for p in bench.spec.params:
        params.setdefault(p.name, p)  # a duplicate is reported by _params
    fields: dict[str, int] = {}
    for i, spec in enumerate(bench.spec.orchestrator.request):
        where = f"spec.orchestrator.request[{i}]"
        if spec.field in fields:
            yield (
                f"{where}.field",
                f"{spec.field!r} is mapped twice (first at request[{fields[spec.field]}])",
            )
        fields.setdefault(spec.field, i)
        known = ORCHESTRATOR_FIELDS.get(spec.field)
        if known is None:
            yield (
                f"{where}.field",
                f"the orchestrator's batch API has no field {spec.field!r}; known fields: "
                + ", ".join(ORCHESTRATOR_FIELDS),
            )
        param = params.get(spec.param)
        if param is None:
            yield (
                f"{where}.param",
                f"no param named {spec.param!r}; params are: " + ", ".join(params),
            )
            continue
        if known and known[0] != param.type:
            yield (
                f"{where}.param",
                f"{spec.field} is a JSON {known[0]} but param {param.name!r} has type {param.type}",
            )
        if spec.image_repository is not None:
            if param.type != "string":
                yield (
                    f"{where}.imageRepository",
                    f"param {param.name!r} must be a string to carry an image tag",
                )
            elif param.default_text and not re.match(IMAGE_VALUE_PATTERN, param.default_text):
                yield (
                    f"spec.params[{_index(bench, param.name)}].default",
                    f"{param.default_text!r} is not an image tag or sha256 digest, and"
                    f" {param.name!r} fills {spec.field} (imageRepository {spec.image_repository})",
                )
        if is_required_field(bench, i) and not param.required and not param.default_text:
            yield (
                f"{where}.param",
                f"the orchestrator requires a non-empty {spec.field} but param {param.name!r} is"
                " optional with no default: make it 'required: true' or give it a default",
            )
    for name, (_, required) in ORCHESTRATOR_FIELDS.items():
        if required and name not in fields:
            yield (
                "spec.orchestrator.request",
                f"the orchestrator requires {name!r}; map it from a param",
            )


def _timeouts(bench: Benchmark) -> Iterator[Finding]:
    poll = parse_duration(bench.spec.poll.timeout)
    submit = parse_duration(bench.spec.orchestrator.submit_timeout)
    fin = parse_duration(bench.spec.pipeline.finally_timeout)
    total = parse_duration(bench.spec.pipeline.timeout)
    needed = poll + submit + fin + 2 * TASK_OVERHEAD_SECONDS
    if needed > total:
        yield (
            "spec.pipeline.timeout",
            f"{bench.spec.pipeline.timeout} is too short: the wait may take poll.timeout"
            f" {bench.spec.poll.timeout}, submit {bench.spec.orchestrator.submit_timeout},"
            f" finally {bench.spec.pipeline.finally_timeout}, plus"
            f" {format_duration(2 * TASK_OVERHEAD_SECONDS)} for pod start-up; set it to at"
            f" least {format_duration(needed)} or shorten poll.timeout",
        )


def _names(bench: Benchmark, namespace: str) -> Iterator[Finding]:
    names = build_names(bench, namespace)
    reported: set[str] = set()
    for name, source, rule in names.checked():
        if rule == "dns1035":
            problem = kube.dns1035_label_problem(name)
        elif rule == "dns1123":
            problem = kube.dns1123_label_problem(name)
        else:
            problem = kube.dns1123_subdomain_problem(name)
        if not problem:
            continue
        # A derived name is reported on metadata.name unless the user set it.
        explicit = source.startswith("spec.names.") and getattr(
            bench.spec.names, _attr(source.rsplit(".", 1)[1])
        )
        if source == "spec.pipeline.serviceAccountName":
            explicit = not names.runner_service_account_generated
        field = source if explicit else "metadata.name"
        if field in reported:
            continue
        reported.add(field)
        if explicit:
            yield field, problem
        else:
            yield field, f"derived name {problem}; shorten metadata.name or set it in spec.names"
    problem = kube.dns1123_subdomain_problem(names.listener_cluster_role_binding)
    if problem:
        yield "metadata.namespace", f"derived ClusterRoleBinding name {problem}"


def _attr(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)


def _labels(bench: Benchmark) -> Iterator[Finding]:
    for key, value in bench.spec.labels.items():
        where = dotted(("spec", "labels", key))
        if key in RESERVED_LABELS:
            yield where, f"{key!r} is set by benchgen itself"
            continue
        problem = kube.label_key_problem(key) or kube.label_value_problem(value)
        if problem:
            yield where, problem


# TriggerTemplate params the CloudEvents trigger adds to spec.params.
CLOUDEVENT_PARAMS = ("cloudevent-id", "cloudevent-type", "cloudevent-source", "cloudevent-subject")


def _events(bench: Benchmark, namespace: str) -> Iterator[Finding]:
    """CloudEvents and deterministic run names."""
    webhook = bench.spec.triggers.webhook
    cloud = bench.spec.triggers.cloud_events
    names = build_names(bench, namespace)
    if webhook.event_id_param is not None:
        where = "spec.triggers.webhook.eventIdParam"
        param = next((p for p in bench.spec.params if p.name == webhook.event_id_param), None)
        if param is None:
            yield (
                where,
                f"no param named {webhook.event_id_param!r}; params are: "
                + ", ".join(p.name for p in bench.spec.params),
            )
        elif param.type != "string" or not param.required:
            yield (
                where,
                f"param {param.name!r} names the run, so it must be a required string param:"
                " set 'required: true' on it",
            )
    if (webhook.event_id_param is not None or cloud is not None) and (
        names.event_id_room < MIN_EVENT_ID_ROOM
    ):
        field = "spec.names.runPrefix" if bench.spec.names.run_prefix else "metadata.name"
        yield (
            field,
            f"run names {names.run_prefix}<event id> leave {names.event_id_room} characters for"
            f" the id (63 in all); at least {MIN_EVENT_ID_ROOM} are needed for a UUID: set a"
            " shorter spec.names.runPrefix",
        )
    if cloud is None:
        return
    for i, param in enumerate(bench.spec.params):
        if param.name in CLOUDEVENT_PARAMS:
            yield (
                f"spec.params[{i}].name",
                f"{param.name!r} is reserved for the CloudEvent attribute it names;"
                " rename the param",
            )
    seen: dict[str, int] = {}
    for i, accepted in enumerate(cloud.accept):
        where = f"spec.triggers.cloudEvents.accept[{i}]"
        for reserved, origin in RESERVED_EVENT_PREFIXES.items():
            if accepted.type is not None and accepted.type.startswith(reserved):
                yield (
                    f"{where}.type",
                    f"{accepted.type!r} is reserved: {reserved}* events come from {origin}"
                    " and must never start runs",
                )
            prefix = accepted.type_prefix
            if prefix is not None and (prefix.startswith(reserved) or reserved.startswith(prefix)):
                yield (
                    f"{where}.typePrefix",
                    f"{prefix!r} would accept {reserved}* events ({origin}), so runs would"
                    " start runs: use a longer, specific prefix",
                )
        trigger = knative_trigger_name(bench.metadata.name, accepted)
        problem = kube.dns1123_label_problem(trigger)
        if problem and accepted.name is None:
            yield (
                f"{where}.{'type' if accepted.type is not None else 'typePrefix'}",
                f"derived Trigger name {problem}; set 'name' on this entry",
            )
        if trigger in seen:
            yield (
                f"{where}.name" if accepted.name else where,
                f"Trigger name {trigger!r} is used twice (first at accept[{seen[trigger]}]):"
                " set a distinct 'name'",
            )
        seen.setdefault(trigger, i)


def _observe(bench: Benchmark) -> Iterator[Finding]:
    observe = bench.spec.observe
    if observe is None:
        return
    if observe.observer is None and observe.status_api is None:
        yield "spec.observe", "set 'observer', 'statusApi' or both (or drop spec.observe)"
    observer = observe.observer
    if observer and observer.sink == "broker" and bench.spec.triggers.cloud_events is None:
        yield (
            "spec.observe.observer.sink",
            "'broker' means the Broker of spec.triggers.cloudEvents, which is not configured:"
            " configure it, or use 'tekton' or an http(s):// URL",
        )
