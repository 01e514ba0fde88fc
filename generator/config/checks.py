"""Checks that need more than one field, each pointing at the field it is about."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.config import kube
from generator.config.durations import format_duration, parse_duration
from generator.config.models import Benchmark, ParamSpec
from generator.config.names import RESERVED_LABELS, build_names
from generator.config.paths import dotted

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
