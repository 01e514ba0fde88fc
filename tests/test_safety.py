"""Properties every render must have: injection-safe, restricted, labelled, consistent.

Checked on the example and every golden case, and on a config full of
hostile values.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from generator.compile import build, cel, refusals
from generator.config.facts import (
    delivery_provider,
    label_safe_params,
    request_fields,
    run_params,
)
from generator.config.fullload import load_text
from generator.config.load import load_file
from generator.config.models import Benchmark
from generator.config.names import COMPONENT_LABEL, VARIANT_LABEL, build_names, resolve_namespace
from generator.contract import customtask
from generator.contract.env import RUN_PREFIX
from generator.contract.params import escape, unescape
from tests.conftest import EXAMPLE, GOLDEN

CONFIGS = [
    EXAMPLE,
    *sorted(
        p / "config.yaml"
        for p in GOLDEN.iterdir()
        if (p / "expected.yaml").exists() and (p / "config.yaml").exists()
    ),
]
HOSTILE = "$(touch /tmp/pwned) `id` \"; rm -rf / #' \\ ${HOME} \n x"


def rendered(config: Any) -> tuple[Benchmark, list[dict[str, Any]]]:
    bench = load_file(config, fast=False).bench if not isinstance(config, Benchmark) else config
    return bench, build(bench, build_names(bench, resolve_namespace(bench))).manifests


def webhook_objects(bench: Benchmark, objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The webhook listener, binding and template (a config may render CloudEvents ones too)."""
    names = build_names(bench, resolve_namespace(bench))
    wanted = {
        "EventListener": names.listener,
        "TriggerBinding": names.binding,
        "TriggerTemplate": names.template,
    }
    return {o["kind"]: o for o in objects if wanted.get(o["kind"]) == o["metadata"]["name"]}


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def steps(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for task in by_kind(objects, "Task"):
        for step in task["spec"]["steps"]:
            yield task, step


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.parent.name if p != EXAMPLE else "example"
)
def test_no_script_and_values_only_through_env(config: Any) -> None:
    _, objects = rendered(config)
    for obj in objects:
        for path, _ in walk(obj):
            assert not path.endswith(".script"), (
                f"{obj['metadata']['name']}{path}: scripts are forbidden"
            )
    for task, step in steps(objects):
        assert step["command"] == ["benchgen-poller"]
        for arg in step["args"]:
            # args carry static config and Tekton's own result paths, never a value.
            assert "$(" not in arg or re.fullmatch(r"\$\(results\.[a-z-]+\.path\)", arg), arg
        for var in step.get("env", []):
            refs = re.findall(
                r"\$\((params\.[a-z0-9-]+|context\.taskRun\.uid)\)", var.get("value", "")
            )
            if "$(" in var.get("value", ""):
                # A reference is the whole value: nothing is concatenated around it.
                assert len(refs) == 1 and var["value"] == f"$({refs[0]})", var
        declared = {p["name"] for p in task["spec"].get("params", [])}
        for path, node in walk(step):
            if isinstance(node, str):
                for ref in re.findall(r"\$\(params\.([a-z0-9-]+)\)", node):
                    assert ref in declared, (
                        f"{task['metadata']['name']}{path}: undeclared param {ref}"
                    )


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.parent.name if p != EXAMPLE else "example"
)
def test_restricted_pod_security_and_labels(config: Any) -> None:
    bench, objects = rendered(config)
    for task, _ in steps(objects):
        ctx = task["spec"]["stepTemplate"]["securityContext"]
        assert ctx["runAsNonRoot"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    runs = [t["spec"]["resourcetemplates"][0] for t in by_kind(objects, "TriggerTemplate")]
    for run in runs:
        pod = run["spec"]["taskRunTemplate"]["podTemplate"]["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    for deployment in by_kind(objects, "Deployment"):
        pod_spec = deployment["spec"]["template"]["spec"]
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod_spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"] == {"drop": ["ALL"]}
            assert ctx["runAsNonRoot"] is True and ctx["readOnlyRootFilesystem"] is True
            assert container["command"] == ["benchgen-poller"]
            assert container["image"] == bench.spec.pipeline.image
            assert container["livenessProbe"] and container["readinessProbe"]
            assert container["resources"]["limits"]["memory"]
    for job in by_kind(objects, "CronJob"):
        spec = job["spec"]
        assert spec["concurrencyPolicy"] == "Forbid" and spec["timeZone"]
        pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod_spec["restartPolicy"] == "Never"
        # Only watch-releases and a sender with an event id (it looks for the run it
        # started) talk to the API server, each as its own ServiceAccount; a sender
        # without an id has no token and runs as the runner.
        job_names = build_names(bench, resolve_namespace(bench))
        env = {e["name"] for c in pod_spec["containers"] for e in c["env"]}
        if job["metadata"]["name"] == job_names.releases:
            account = job_names.releases
        elif RUN_PREFIX in env:
            account = job_names.schedule
        else:
            account = job_names.runner_service_account
        assert pod_spec["serviceAccountName"] == account
        assert pod_spec["automountServiceAccountToken"] is (
            account != job_names.runner_service_account
        )
        for container in pod_spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"]
            assert ctx["readOnlyRootFilesystem"] is True
            assert container["command"] == ["benchgen-poller"] and container["resources"]
            assert all(m["readOnly"] for m in container["volumeMounts"] if m["name"] != "tmp")
    for obj in [*objects, *runs]:
        assert obj["metadata"]["labels"][COMPONENT_LABEL] == bench.metadata.name
    kinds = {o["kind"] for o in objects}
    assert "Secret" not in kinds
    # Triggers creates el-<listener> itself; benchgen renders the status API's Service
    # and, with CloudEvents or webhook deduplication, the event-key interceptor's.
    names = build_names(bench, resolve_namespace(bench))
    expected = {names.event_key} if names.uses_event_key else set()
    if bench.spec.observe and bench.spec.observe.status_api:
        expected.add(names.status)
    if bench.spec.observe and bench.spec.observe.metrics:  # their metrics Services
        expected |= {names.observer} if bench.spec.observe.observer else set()
        expected |= {names.custom_tasks} if names.uses_custom_tasks else set()
    if refusals.enabled(bench):  # the webhook listener's checkpoints (recordRefusals)
        expected.add(refusals.name(names))
    assert {o["metadata"]["name"] for o in by_kind(objects, "Service")} == expected
    # Every Deployment has a NetworkPolicy of its own name; the interceptor's admits
    # the CloudEvents listener's pods only.
    policies = {o["metadata"]["name"]: o for o in by_kind(objects, "NetworkPolicy")}
    for deployment in by_kind(objects, "Deployment"):
        assert deployment["metadata"]["name"] in policies
    if names.uses_event_key:
        # The interceptor admits the listeners that call it: the CloudEvents listener,
        # the webhook listener when it deduplicates by delivery.
        callers = [names.events_listener] if bench.spec.triggers.cloud_events else []
        if delivery_provider(bench):
            callers.append(names.listener)
        (rule,) = policies[names.event_key]["spec"]["ingress"]
        assert rule["from"] == [
            {"podSelector": {"matchLabels": {"eventlistener": name}}} for name in callers
        ]
        (account,) = [
            o
            for o in by_kind(objects, "ServiceAccount")
            if o["metadata"]["name"] == names.event_key
        ]
        # It reads and writes the dedup record (one ConfigMap) and gets runs.
        assert account["automountServiceAccountToken"] is True


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.parent.name if p != EXAMPLE else "example"
)
def test_run_labels_are_label_safe(config: Any) -> None:
    bench, objects = rendered(config)
    labelled = {p.name for p in bench.spec.params if p.label} | label_safe_params(bench)
    for template in by_kind(objects, "TriggerTemplate"):
        labels = template["spec"]["resourcetemplates"][0]["metadata"]["labels"]
        for key, value in labels.items():
            refs = re.findall(r"\$\(tt\.params\.([a-z0-9-]+)\)", value)
            if refs:
                # Only params whose label-safety the listener enforces may become labels.
                assert value == f"$(tt.params.{refs[0]})" and refs[0] in labelled, key
            else:
                assert re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", value), key


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.parent.name if p != EXAMPLE else "example"
)
def test_one_param_list_drives_everything(config: Any) -> None:
    bench, objects = rendered(config)
    names = [p.name for p in bench.spec.params]
    requested = [
        p.name for p in bench.spec.params if p.name in {f.param for f in request_fields(bench)}
    ]
    webhook = webhook_objects(bench, objects)
    binding, template = webhook["TriggerBinding"], webhook["TriggerTemplate"]
    listener = webhook["EventListener"]
    # The default Pipeline: each of spec.pipeline.variants is one more, labelled.
    (pipeline,) = [
        p for p in by_kind(objects, "Pipeline") if VARIANT_LABEL not in p["metadata"]["labels"]
    ]
    custom = bench.spec.poll.mode == "controller"
    submit_task = [t for t in by_kind(objects, "Task") if t["metadata"]["name"].endswith("-submit")]
    run = template["spec"]["resourcetemplates"][0]
    assert [p["name"] for p in binding["spec"]["params"]] == names
    # Deduplication by delivery adds the key that names the run.
    keyed = ["delivery-key"] if delivery_provider(bench) else []
    assert [p["name"] for p in template["spec"]["params"]] == [*names, *keyed]
    # The run also passes the params the clean-up's selectors read.
    used = [p.name for p in bench.spec.params if p.name in run_params(bench)]
    assert [p["name"] for p in pipeline["spec"]["params"]] == used
    assert [p["name"] for p in run["spec"]["params"]] == used
    # Controller mode: no submit Task; the custom task takes the pipeline task's params.
    assert [[p["name"] for p in t["spec"]["params"]] for t in submit_task] == (
        [] if custom or bench.spec.orchestrator is None else [requested]
    )
    # The submit pipeline task (none without an orchestrator; deploy may come first).
    submit = [t for t in pipeline["spec"]["tasks"] if t["name"] == "submit"]
    assert [[p["name"] for p in t["params"]] for t in submit] == (
        [requested] if bench.spec.orchestrator is not None else []
    )
    validate = next(
        i
        for i in listener["spec"]["triggers"][0]["interceptors"]
        if i["name"] == "validate-payload"
    )
    overlays = validate["params"][1]["value"]
    keys = [o["key"] for o in overlays]
    assert [f"$(extensions.{k})" for k in keys] == [p["value"] for p in binding["spec"]["params"]]
    assert run["spec"]["pipelineRef"]["name"] == pipeline["metadata"]["name"]
    # The user's own Tasks (spec.pipeline.tasks, spec.pipeline.finally.tasks) exist in the
    # cluster, not in the output.
    fin = bench.spec.pipeline.finally_
    own = {t.name for t in [*bench.spec.pipeline.tasks, *(fin.tasks if fin is not None else [])]}
    for task in pipeline["spec"]["tasks"] + pipeline["spec"]["finally"]:
        if custom and task["name"] in ("submit", "wait"):
            assert task["taskRef"]["apiVersion"] == customtask.API_VERSION
            continue
        if task["name"] in own:
            continue
        assert task["taskRef"]["name"] in {t["metadata"]["name"] for t in by_kind(objects, "Task")}


def test_no_yaml_anchors_in_any_golden() -> None:
    # Shared dicts in the builders must not surface as &id001 / *id001.
    for expected in GOLDEN.glob("*/expected.yaml"):
        text = expected.read_text()
        assert not re.search(r"(^|[\s\[,])[&*]id\d+", text), expected


def test_hostile_values_stay_data() -> None:
    text = EXAMPLE.read_text().replace(
        "      default: eventlistener-webhook\n",
        "      default: " + json.dumps(HOSTILE) + "\n",
    )
    bench = load_text(text, "hostile.yaml").bench
    assert bench.spec.params[0].default_text == HOSTILE
    _, objects = rendered(bench)
    (listener,) = by_kind(objects, "EventListener")
    validate = next(
        i
        for i in listener["spec"]["triggers"][0]["interceptors"]
        if i["name"] == "validate-payload"
    )
    overlays = validate["params"][1]["value"]
    expression = overlays[0]["expression"]
    # The default sits in the CEL expression as one string literal that means exactly HOSTILE.
    # The overlay ends by escaping % and $ (compile/cel.py, PARAM_ESCAPES).
    body, escapes = expression.split(").replace(", 1)
    assert escapes == "'%', '%25').replace('$', '%24')"
    literal = body.rsplit(" : ", 1)[1]
    assert ast.literal_eval(literal) == HOSTILE
    (pipeline,) = by_kind(objects, "Pipeline")
    # Data, never code: escaped as the listener escapes values (no '$' left for
    # Tekton or the kubelet to expand), and read back as exactly HOSTILE.
    default = pipeline["spec"]["params"][0]["default"]
    assert default == escape(HOSTILE) and "$" not in default
    assert unescape(default) == HOSTILE


@pytest.mark.parametrize(
    "text", ["plain", "it's", "back\\slash", "new\nline", "tab\tx", "'; 1 == 1 || '"]
)
def test_cel_literal_round_trips(text: str) -> None:
    assert ast.literal_eval(cel.literal(text)) == text
