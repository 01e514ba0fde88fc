"""Tekton Pipelines objects: the submit, wait and summary Tasks, the Pipeline, the PipelineRun.

Steps have no ``script``: they run the runtime image's ``benchgen-poller``
with ``args``, and every value that comes from a param or a result reaches
the process through ``env`` (docs/runtime-interface.md). Nothing a webhook
sends is ever read by a shell.
"""

from __future__ import annotations

import json
from typing import Any

from generator.compile.core import ENDPOINT_KEY, URL_KEY
from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.pods import (
    TMP_MOUNT,
    TMP_VOLUME,
    container_resources,
    container_security,
    pod_security,
)
from generator.config.checks import TASK_OVERHEAD_SECONDS, is_required_field, run_params
from generator.config.durations import format_duration, parse_duration
from generator.config.names import CONCURRENCY_KEY_LABEL, TRIGGER_LABEL, Names

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ParamSpec

TEKTON = "tekton.dev/v1"
POLLER = "benchgen-poller"

SUBMIT_RESULTS = {
    "batch-id": "Id of the batch the orchestrator created (or the one adopted after a retry).",
    "submit-status": "Batch status returned when the batch was created.",
}
WAIT_RESULTS = {
    "final-status": "Terminal BatchStatus, TIMEOUT, or UNKNOWN.",
    "total-jobs": "Jobs in the batch (0 when the orchestrator never said).",
    "completed-jobs": "Jobs completed.",
    "failed-jobs": "Jobs failed.",
}


def env_name(param: str) -> str:
    """BENCHGEN_PARAM_<NAME>: how a param's value reaches the runtime."""
    return "BENCHGEN_PARAM_" + param.upper().replace("-", "_")


def pipeline_params(bench: Benchmark) -> list[ParamSpec]:
    """The params the Pipeline takes: the orchestrator's body, the clean-up's selectors."""
    used = run_params(bench)
    return [p for p in bench.spec.params if p.name in used]


def _submit_params(bench: Benchmark) -> list[ParamSpec]:
    used = {field.param for field in bench.spec.orchestrator.request}
    return [p for p in bench.spec.params if p.name in used]


def request_spec(bench: Benchmark) -> str:
    """BENCHGEN_REQUEST_SPEC: the body mapping as compact JSON with sorted keys."""
    params = {p.name: p for p in bench.spec.params}
    fields: list[dict[str, Any]] = []
    for index, spec in enumerate(bench.spec.orchestrator.request):
        entry: dict[str, Any] = {
            "param": spec.param,
            "path": spec.field,
            "required": is_required_field(bench, index),
            "type": "image" if spec.image_repository else params[spec.param].type,
        }
        if spec.image_repository:
            entry["repository"] = spec.image_repository
        fields.append(entry)
    return json.dumps({"fields": fields}, sort_keys=True, separators=(",", ":"))


def _step_template(bench: Benchmark, names: Names) -> Manifest:
    return {
        "image": bench.spec.pipeline.image,
        "env": [
            {
                "name": "BENCHGEN_ORCHESTRATOR_URL",
                "valueFrom": {"configMapKeyRef": {"name": names.config_map, "key": URL_KEY}},
            },
            {
                "name": "BENCHGEN_BATCH_ENDPOINT",
                "valueFrom": {"configMapKeyRef": {"name": names.config_map, "key": ENDPOINT_KEY}},
            },
        ],
        "computeResources": container_resources(bench.spec.pipeline.resources),
        "securityContext": container_security(),
    }


def _results(results: dict[str, str]) -> list[Manifest]:
    return [{"name": n, "type": "string", "description": d} for n, d in results.items()]


def _result_args(results: dict[str, str], flags: dict[str, str]) -> list[str]:
    args: list[str] = []
    for name in results:
        args += [flags[name], f"$(results.{name}.path)"]
    return args


def build_submit_task(bench: Benchmark, names: Names) -> Manifest:
    params = _submit_params(bench)
    env = [
        {"name": "BENCHGEN_REQUEST_SPEC", "value": request_spec(bench)},
        # Same for every retry of this TaskRun, unique per run: a retried
        # submit finds the batch it already created instead of making another.
        {"name": "BENCHGEN_IDEMPOTENCY_KEY", "value": "$(context.taskRun.uid)"},
        *({"name": env_name(p.name), "value": f"$(params.{p.name})"} for p in params),
    ]
    args = [
        "submit",
        "--timeout",
        bench.spec.orchestrator.submit_timeout,
        *_result_args(
            SUBMIT_RESULTS,
            {"batch-id": "--batch-id-path", "submit-status": "--status-path"},
        ),
    ]
    return manifest(
        TEKTON,
        "Task",
        metadata(names, names.task_submit),
        spec={
            "description": "Submit one batch to the orchestrator's batch API.",
            "params": [_task_param(p) for p in params],
            "results": _results(SUBMIT_RESULTS),
            "stepTemplate": _step_template(bench, names),
            "steps": [{"name": "submit", "command": [POLLER], "args": args, "env": env}],
        },
    )


def build_wait_task(bench: Benchmark, names: Names) -> Manifest:
    poll = bench.spec.poll
    args = [
        "wait",
        "--interval",
        poll.interval,
        "--max-interval",
        poll.max_interval,
        "--timeout",
        poll.timeout,
        "--fail-on",
        ",".join(poll.fail_on),
        "--on-unknown-status",
        poll.on_unknown_status,
        *_result_args(WAIT_RESULTS, {n: f"--{n}-path" for n in WAIT_RESULTS}),
    ]
    return manifest(
        TEKTON,
        "Task",
        metadata(names, names.task_wait),
        spec={
            "description": "Poll the batch to a terminal status; always writes every result.",
            "params": [
                {"name": "batch-id", "type": "string", "description": "The batch to wait for."}
            ],
            "results": _results(WAIT_RESULTS),
            "stepTemplate": _step_template(bench, names),
            "steps": [
                {
                    "name": "wait",
                    "command": [POLLER],
                    "args": args,
                    "env": [{"name": "BENCHGEN_BATCH_ID", "value": "$(params.batch-id)"}],
                }
            ],
        },
    )


SUMMARY_PARAMS = {
    "pipeline-run": ("BENCHGEN_PIPELINE_RUN", "Name of the PipelineRun."),
    "aggregate-status": ("BENCHGEN_AGGREGATE_STATUS", "$(tasks.status) of the run."),
    "submit-status": ("BENCHGEN_SUBMIT_STATUS", "Execution status of the submit task."),
    "wait-status": ("BENCHGEN_WAIT_STATUS", "Execution status of the wait task."),
    "batch-id": ("BENCHGEN_BATCH_ID", "Batch id; empty when submit failed."),
    "final-status": ("BENCHGEN_FINAL_STATUS", "Final batch status; empty when never known."),
    "total-jobs": ("BENCHGEN_TOTAL_JOBS", "Jobs in the batch."),
    "completed-jobs": ("BENCHGEN_COMPLETED_JOBS", "Jobs completed."),
    "failed-jobs": ("BENCHGEN_FAILED_JOBS", "Jobs failed."),
}
# Params filled from results; they default to "" so the same Task also runs
# when submit failed and no result exists.
_RESULT_PARAMS = ("batch-id", "final-status", "total-jobs", "completed-jobs", "failed-jobs")


def build_summary_task(bench: Benchmark, names: Names) -> Manifest:
    params = []
    for name, (_, description) in SUMMARY_PARAMS.items():
        param: Manifest = {"name": name, "type": "string", "description": description}
        if name in _RESULT_PARAMS:
            param["default"] = ""
        params.append(param)
    env = [{"name": var, "value": f"$(params.{name})"} for name, (var, _) in SUMMARY_PARAMS.items()]
    return manifest(
        TEKTON,
        "Task",
        metadata(names, names.task_summary),
        spec={
            "description": "Report how the run went; runs whether submit or wait failed or not.",
            "params": params,
            "stepTemplate": _step_template(bench, names),
            "steps": [{"name": "summary", "command": [POLLER], "args": ["summary"], "env": env}],
        },
    )


CLEANUP_TASK = "cleanup"
NOTIFY_TASK = "notify"
NOTIFY_DIR = "/var/run/benchgen/notify"
NOTIFY_RESULTS = {"notify-status": "'sent', or 'failed: <reason>' (not delivered)."}


def cleanup_params(bench: Benchmark) -> list[str]:
    """The params the clean-up selectors read, in params order."""
    fin = bench.spec.pipeline.finally_
    used: set[str] = set()
    for target in fin.cleanup.delete if fin and fin.cleanup else []:
        used.update(target.labels_from_params.values())
        if target.namespace_from_param:
            used.add(target.namespace_from_param)
    return [p.name for p in bench.spec.params if p.name in used]


def cleanup_namespaces(bench: Benchmark, names: Names) -> list[str]:
    """Every namespace the clean-up may delete in (a param's enum names them all)."""
    fin = bench.spec.pipeline.finally_
    params = {p.name: p for p in bench.spec.params}
    out: set[str] = set()
    for target in fin.cleanup.delete if fin and fin.cleanup else []:
        if target.namespace_from_param:
            out.update(params[target.namespace_from_param].enum or [])
        else:
            out.add(target.namespace or names.namespace)
    return sorted(out)


def cleanup_spec(bench: Benchmark, names: Names) -> str:
    """BENCHGEN_CLEANUP_SPEC: param values are {"param": name}, resolved from env in code."""
    fin = bench.spec.pipeline.finally_
    assert fin is not None and fin.cleanup is not None
    entries = []
    for target in fin.cleanup.delete:
        labels: dict[str, Any] = dict(target.labels)
        labels.update({k: {"param": v} for k, v in target.labels_from_params.items()})
        namespace: Any = (
            {"param": target.namespace_from_param}
            if target.namespace_from_param
            else target.namespace or names.namespace
        )
        entries.append(
            {
                "apiVersion": target.api_version,
                "kind": target.kind,
                "labels": labels,
                "namespace": namespace,
                "plural": target.resource,
            }
        )
    return json.dumps(entries, sort_keys=True, separators=(",", ":"))


def build_cleanup_task(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.cleanup is None:
        return []
    params = cleanup_params(bench)
    env = [
        {"name": "BENCHGEN_CLEANUP_SPEC", "value": cleanup_spec(bench, names)},
        *({"name": env_name(p), "value": f"$(params.{p})"} for p in params),
    ]
    by_name = {p.name: p for p in bench.spec.params}
    return [
        manifest(
            TEKTON,
            "Task",
            metadata(names, names.task_cleanup),
            spec={
                "description": (
                    "Delete what the run deployed (Foreground) and wait until it is gone;"
                    " runs whether the run passed or failed."
                ),
                "params": [_task_param(by_name[p]) for p in params],
                "stepTemplate": _step_template(bench, names),
                "steps": [
                    {
                        "name": "cleanup",
                        "command": [POLLER],
                        "args": ["cleanup", "--timeout", fin.cleanup.timeout],
                        "env": env,
                        # Its discovery cache: the root filesystem is read-only.
                        "volumeMounts": [TMP_MOUNT],
                    }
                ],
                "volumes": [TMP_VOLUME],
            },
        )
    ]


def build_notify_task(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.notify is None:
        return []
    notify = fin.notify
    ref = notify.url_secret_ref
    summary = build_summary_task(bench, names)["spec"]
    env = [
        *summary["steps"][0]["env"],
        {"name": "BENCHGEN_NOTIFY_URL_FILE", "value": f"{NOTIFY_DIR}/{ref.key}"},
    ]
    args = [
        "notify",
        "--timeout",
        notify.timeout,
        "--on-failure",
        notify.on_failure,
        *_result_args(NOTIFY_RESULTS, {"notify-status": "--status-path"}),
    ]
    step = {
        "name": "notify",
        "command": [POLLER],
        "args": args,
        "env": env,
        "volumeMounts": [{"name": "notify-url", "mountPath": NOTIFY_DIR, "readOnly": True}],
    }
    return [
        manifest(
            TEKTON,
            "Task",
            metadata(names, names.task_notify),
            spec={
                "description": (
                    "Post the run's summary to a Slack-compatible webhook; runs whether the run"
                    " passed or failed."
                ),
                "params": summary["params"],
                "results": _results(NOTIFY_RESULTS),
                "stepTemplate": _step_template(bench, names),
                "steps": [step],
                # The URL is a credential (Slack's carries the token): referenced, never
                # rendered; readable by the pod's fsGroup only (taskRunSpecs).
                "volumes": [
                    {
                        "name": "notify-url",
                        "secret": {
                            "secretName": ref.name,
                            "items": [{"key": ref.key, "path": ref.key}],
                            "defaultMode": 0o440,
                        },
                    }
                ],
            },
        )
    ]


def _task_param(param: ParamSpec) -> Manifest:
    return {"name": param.name, "type": "string", "description": param.description or param.name}


def _pipeline_param(param: ParamSpec) -> Manifest:
    out = _task_param(param)
    if not param.required:
        out["default"] = param.default_text
    return out


def build_pipeline(bench: Benchmark, names: Names) -> Manifest:
    params = pipeline_params(bench)
    submit_timeout = parse_duration(bench.spec.orchestrator.submit_timeout) + TASK_OVERHEAD_SECONDS
    wait_timeout = parse_duration(bench.spec.poll.timeout) + TASK_OVERHEAD_SECONDS
    statuses = [
        {"name": "pipeline-run", "value": "$(context.pipelineRun.name)"},
        {"name": "aggregate-status", "value": "$(tasks.status)"},
        {"name": "submit-status", "value": "$(tasks.submit.status)"},
        {"name": "wait-status", "value": "$(tasks.wait.status)"},
    ]
    results = [
        {"name": "batch-id", "value": "$(tasks.submit.results.batch-id)"},
        *({"name": n, "value": f"$(tasks.wait.results.{n})"} for n in WAIT_RESULTS),
    ]
    submit_ok = {"input": "$(tasks.submit.status)", "operator": "in", "values": ["Succeeded"]}
    return manifest(
        TEKTON,
        "Pipeline",
        metadata(names, names.pipeline),
        spec={
            "description": f"Submit a batch to the orchestrator and wait for it ({names.base}).",
            "params": [_pipeline_param(p) for p in params],
            "results": [
                {"name": r["name"], "type": "string", "value": r["value"], "description": d}
                for r, d in zip(
                    results,
                    [SUBMIT_RESULTS["batch-id"], *WAIT_RESULTS.values()],
                    strict=True,
                )
            ],
            "tasks": [
                {
                    "name": "submit",
                    "taskRef": {"name": names.task_submit, "kind": "Task"},
                    "params": [
                        {"name": p.name, "value": f"$(params.{p.name})"}
                        for p in _submit_params(bench)
                    ],
                    "timeout": format_duration(submit_timeout),
                },
                {
                    "name": "wait",
                    "runAfter": ["submit"],
                    "taskRef": {"name": names.task_wait, "kind": "Task"},
                    "params": [{"name": "batch-id", "value": "$(tasks.submit.results.batch-id)"}],
                    "timeout": format_duration(wait_timeout),
                },
            ],
            # Two guarded copies of one summary Task (and of notify): Tekton
            # skips a finally task whose result params were never written, so
            # the copy that reads results runs only when submit succeeded and
            # the other reports the failed submit. Exactly one of them runs.
            "finally": [
                *_guarded("summary", names.task_summary, statuses, results, submit_ok),
                *_extra_finally(bench, names, statuses, results, submit_ok),
            ],
        },
    )


def _guarded(
    name: str, task: str, statuses: list[Manifest], results: list[Manifest], submit_ok: Manifest
) -> list[Manifest]:
    """Two guarded copies of a Task reading the run's results: exactly one of them runs."""
    return [
        {
            "name": name,
            "taskRef": {"name": task, "kind": "Task"},
            "params": [*statuses, *results],
            "when": [submit_ok],
        },
        {
            "name": f"{name}-submit-failed",
            "taskRef": {"name": task, "kind": "Task"},
            "params": statuses,
            "when": [{**submit_ok, "operator": "notin"}],
        },
    ]


def _extra_finally(
    bench: Benchmark,
    names: Names,
    statuses: list[Manifest],
    results: list[Manifest],
    submit_ok: Manifest,
) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    out: list[Manifest] = []
    if fin is not None and fin.cleanup is not None:
        # Unguarded: it reads no result, so it runs whatever happened before.
        params = cleanup_params(bench)
        out.append(
            {
                "name": CLEANUP_TASK,
                "taskRef": {"name": names.task_cleanup, "kind": "Task"},
                "params": [{"name": p, "value": f"$(params.{p})"} for p in params],
            }
        )
    if fin is not None and fin.notify is not None:
        out += _guarded(NOTIFY_TASK, names.task_notify, statuses, results, submit_ok)
    return out


def build_pipeline_run(
    bench: Benchmark,
    names: Names,
    trigger: str,
    id_param: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Manifest:
    """The PipelineRun a TriggerTemplate creates; values come from $(tt.params.*).

    With ``id_param`` the run is named ``<runPrefix><id>`` instead of a random
    name: a redelivered event then collides with the run it already started
    and the API server refuses the duplicate (the listener checked the id).
    """
    labels = {**names.labels, TRIGGER_LABEL: trigger}
    concurrency = bench.spec.pipeline.concurrency
    if concurrency is not None and concurrency.key:
        # The listener checked the value is a label value (checks.label_safe_params).
        labels[CONCURRENCY_KEY_LABEL] = f"$(tt.params.{concurrency.key})"
    annotations = dict(annotations or {})
    for param in bench.spec.params:
        if param.label:
            labels[param.label] = f"$(tt.params.{param.name})"
        if param.annotation:
            annotations[param.annotation] = f"$(tt.params.{param.name})"
    meta: Manifest = (
        {"name": f"{names.run_prefix}$(tt.params.{id_param})"}
        if id_param
        else {"generateName": names.run_generate_name}
    )
    meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    spec = bench.spec.pipeline
    run_spec: Manifest = {
        "pipelineRef": {"name": names.pipeline},
        "params": [
            {"name": p.name, "value": f"$(tt.params.{p.name})"} for p in pipeline_params(bench)
        ],
    }
    if spec.concurrency is not None:
        # Created pending: Tekton runs nothing (and starts no timeout) until the
        # observer removes spec.status, oldest first, while fewer than limit are active.
        run_spec["status"] = PENDING
    run_spec["timeouts"] = {"pipeline": spec.timeout, "finally": spec.finally_timeout}
    run_spec["taskRunTemplate"] = {
        "serviceAccountName": names.runner_service_account,
        "podTemplate": {"securityContext": pod_security()},
    }
    task_specs = _task_run_specs(bench, names)
    if task_specs:
        run_spec["taskRunSpecs"] = task_specs
    return {"apiVersion": TEKTON, "kind": "PipelineRun", "metadata": meta, "spec": run_spec}


PENDING = "PipelineRunPending"


def _task_run_specs(bench: Benchmark, names: Names) -> list[Manifest]:
    """Per-task identities: the clean-up's own ServiceAccount, notify's fsGroup."""
    fin = bench.spec.pipeline.finally_
    out: list[Manifest] = []
    if fin is not None and fin.cleanup is not None:
        out.append({"pipelineTaskName": CLEANUP_TASK, "serviceAccountName": names.cleanup})
    if fin is not None and fin.notify is not None:
        for task in (NOTIFY_TASK, f"{NOTIFY_TASK}-submit-failed"):
            out.append(
                {
                    "pipelineTaskName": task,
                    "podTemplate": {"securityContext": pod_security(fs_group=True)},
                }
            )
    return out
