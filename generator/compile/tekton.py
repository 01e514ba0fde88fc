"""Tekton Pipelines objects: the submit, wait and summary Tasks, the Pipeline, the PipelineRun.

Steps have no ``script``: they run the runtime image's ``benchgen-poller``
with ``args``, and every value that comes from a param or a result reaches
the process through ``env`` (docs/runtime-interface.md). Nothing a webhook
sends is ever read by a shell.
"""

from __future__ import annotations

from generator.compile import pods
from generator.compile.configmaps import ENDPOINT_KEY, URL_KEY
from generator.compile.meta import Manifest, manifest, metadata
from generator.config.facts import (
    DEPLOY_TASK,
    TASK_OVERHEAD_SECONDS,
    batch_api,
    commit_status_params,
    deploy_params,
    is_required_field,
    request_fields,
    run_params,
    user_workspaces,
)
from generator.config.names import CONCURRENCY_KEY_LABEL, TRIGGER_LABEL, Names
from generator.config.paths import parse
from generator.config.variants import fixed_params
from generator.contract import apply, cleanup, customtask, orchestrator_api, request
from generator.contract import env as var
from generator.contract import notify as notify_contract
from generator.contract.commands import (
    APPLY,
    CLEANUP,
    NOTIFY,
    POLLER,
    SUBMIT,
    SUMMARY,
    WAIT,
    WAIT_COUNTS,
    Command,
)
from generator.contract.durations import format_duration, parse_duration
from generator.contract.names import run_name
from generator.contract.params import escape

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ParamSpec, TaskParamValueSpec, UserTaskSpec

TEKTON = "tekton.dev/v1"

# The results' descriptions; which results a command writes, and to which flag's
# path, is the contract's (Command.results).
RESULT_DESCRIPTIONS = {
    "batch-id": "Id of the batch the orchestrator created (or the one adopted after a retry).",
    "submit-status": "Batch status returned when the batch was created.",
    "final-status": "Terminal BatchStatus, TIMEOUT, or UNKNOWN.",
    "total-jobs": "Jobs in the batch (0 when the orchestrator never said).",
    "completed-jobs": "Jobs completed.",
    "failed-jobs": "Jobs failed.",
    "notify-status": "'sent', or 'failed: <reason>' (not delivered).",
    "deployed": "The objects applied and ready, one 'Kind namespace/name' a line.",
}
BATCH_ID = SUBMIT.results[0].name


def pipeline_params(bench: Benchmark) -> list[ParamSpec]:
    """The params the Pipeline takes: the orchestrator's body, the clean-up's selectors."""
    used = run_params(bench)
    return [p for p in bench.spec.params if p.name in used]


def _submit_params(bench: Benchmark) -> list[ParamSpec]:
    used = {field.param for field in request_fields(bench)}
    return [p for p in bench.spec.params if p.name in used]


def request_spec(bench: Benchmark) -> str:
    """BENCHGEN_REQUEST_SPEC: which param fills which field of the body."""
    params = {p.name: p for p in bench.spec.params}
    return request.encode(
        [
            request.Field(
                spec.param,
                tuple(spec.field.split(".")),
                "image" if spec.image_repository else params[spec.param].type,
                is_required_field(bench, index),
                spec.image_repository or None,
            )
            for index, spec in enumerate(request_fields(bench))
        ]
    )


def orchestrator_env(names: Names) -> list[Manifest]:
    """Where the orchestrator is: from the ConfigMap, so an edit needs no new render."""
    return [
        {
            "name": var.ORCHESTRATOR_URL,
            "valueFrom": {"configMapKeyRef": {"name": names.config_map, "key": URL_KEY}},
        },
        {
            "name": var.BATCH_ENDPOINT,
            "valueFrom": {"configMapKeyRef": {"name": names.config_map, "key": ENDPOINT_KEY}},
        },
    ]


# Where the batch API's token (spec.orchestrator.tokenSecretRef) is mounted.
TOKEN_DIR = "/var/run/benchgen/orchestrator"  # noqa: S105 - a directory
TOKEN_VOLUME = "orchestrator-token"  # noqa: S105 - a volume's name


def api_env(bench: Benchmark) -> list[Manifest]:
    """BENCHGEN_ORCHESTRATOR_API, only for an API other than sast-ai's (whose Tasks
    render as they always did)."""
    api, _ = batch_api(bench)
    if api == orchestrator_api.SAST_AI:
        return []
    return [{"name": var.ORCHESTRATOR_API, "value": orchestrator_api.encode(api)}]


def token_wiring(bench: Benchmark) -> tuple[list[Manifest], list[Manifest], list[Manifest]]:
    """The token's (env, volumeMounts, volumes): the Secret key mounted read-only and its
    path in env; the token itself never in env, args or a script."""
    orch = bench.spec.orchestrator
    ref = orch.token_secret_ref if orch is not None else None
    if ref is None:
        return [], [], []
    env = [{"name": var.ORCHESTRATOR_TOKEN_FILE, "value": f"{TOKEN_DIR}/{ref.key}"}]
    mount = {"name": TOKEN_VOLUME, "mountPath": TOKEN_DIR, "readOnly": True}
    return env, [mount], [pods.secret_volume(TOKEN_VOLUME, ref.name, ref.key)]


def _orchestrator_step(step: Manifest, bench: Benchmark) -> list[Manifest]:
    """Give a submit or wait step the token; the volumes its Task needs for it."""
    env, mounts, volumes = token_wiring(bench)
    step["env"] += env
    if mounts:
        step["volumeMounts"] = mounts
    return volumes


def _step_template(bench: Benchmark, names: Names) -> Manifest:
    env = (
        {"env": orchestrator_env(names) + api_env(bench)}
        if bench.spec.orchestrator is not None
        else {}
    )
    return {
        "image": bench.spec.pipeline.image,
        **env,
        "computeResources": pods.container_resources(bench.spec.pipeline.resources),
        "securityContext": pods.container_security(),
    }


def _result(name: str, **value: str) -> Manifest:
    return {"name": name, "type": "string", **value, "description": RESULT_DESCRIPTIONS[name]}


def _result_args(command: Command) -> list[str]:
    """``--<result>-path $(results.<result>.path)`` for every result ``command`` writes."""
    args: list[str] = []
    for result in command.results:
        args += [result.flag, f"$(results.{result.name}.path)"]
    return args


def _task(
    bench: Benchmark,
    names: Names,
    name: str,
    description: str,
    params: list[Manifest],
    step: Manifest,
    command: Command,
    volumes: list[Manifest] | None = None,
) -> Manifest:
    """A Task of one step of the runtime image: ``command``, declaring its results."""
    spec: Manifest = {"description": description, "params": params}
    if command.results:
        spec["results"] = [_result(r.name) for r in command.results]
    spec["stepTemplate"] = _step_template(bench, names)
    spec["steps"] = [step]
    if volumes:
        spec["volumes"] = volumes
    return manifest(TEKTON, "Task", metadata(names, name), spec=spec)


def build_submit_task(bench: Benchmark, names: Names) -> Manifest:
    params = _submit_params(bench)
    env = [
        {"name": var.REQUEST_SPEC, "value": request_spec(bench)},
        # Same for every retry of this TaskRun, unique per run: a retried
        # submit finds the batch it already created instead of making another.
        {"name": var.IDEMPOTENCY_KEY, "value": "$(context.taskRun.uid)"},
        *({"name": var.param_env(p.name), "value": f"$(params.{p.name})"} for p in params),
    ]
    assert bench.spec.orchestrator is not None  # build_submit_and_wait_tasks asks
    timeout = SUBMIT.flag("--timeout").name
    args = [SUBMIT.name, timeout, bench.spec.orchestrator.submit_timeout, *_result_args(SUBMIT)]
    step = {"name": SUBMIT.name, "command": [POLLER], "args": args, "env": env}
    volumes = _orchestrator_step(step, bench)
    description = "Submit one batch to the orchestrator's batch API."
    params_ = [_task_param(p) for p in params]
    return _task(bench, names, names.task_submit, description, params_, step, SUBMIT, volumes)


def build_wait_task(bench: Benchmark, names: Names) -> Manifest:
    poll = bench.spec.poll
    args: list[str] = [WAIT.name]
    for flag, value in (
        ("--interval", poll.interval),
        ("--max-interval", poll.max_interval),
        ("--timeout", poll.timeout),
        ("--fail-on", ",".join(poll.fail_on)),
        ("--on-unknown-status", poll.on_unknown_status),
    ):
        args += [WAIT.flag(flag).name, value]
    args += _result_args(WAIT)
    env = [{"name": var.BATCH_ID, "value": "$(params.batch-id)"}]
    step = {"name": WAIT.name, "command": [POLLER], "args": args, "env": env}
    volumes = _orchestrator_step(step, bench)
    description = "Poll the batch to a terminal status; always writes every result."
    params = [{"name": "batch-id", "type": "string", "description": "The batch to wait for."}]
    return _task(bench, names, names.task_wait, description, params, step, WAIT, volumes)


def build_submit_and_wait_tasks(bench: Benchmark, names: Names) -> list[Manifest]:
    """The submit and wait Tasks of poll.mode pod; controller mode has none (custom tasks),
    nor has a Pipeline of the user's Tasks alone."""
    if bench.spec.orchestrator is None or bench.spec.poll.mode == "controller":
        return []
    return [build_submit_task(bench, names), build_wait_task(bench, names)]


SUMMARY_PARAMS = {
    "pipeline-run": (var.PIPELINE_RUN, "Name of the PipelineRun."),
    "aggregate-status": (var.AGGREGATE_STATUS, "$(tasks.status) of the run."),
    "submit-status": (var.SUBMIT_STATUS, "Execution status of the submit task."),
    "wait-status": (var.WAIT_STATUS, "Execution status of the wait task."),
    "batch-id": (var.BATCH_ID, "Batch id; empty when submit failed."),
    "final-status": (var.FINAL_STATUS, "Final batch status; empty when never known."),
    "total-jobs": (var.TOTAL_JOBS, "Jobs in the batch."),
    "completed-jobs": (var.COMPLETED_JOBS, "Jobs completed."),
    "failed-jobs": (var.FAILED_JOBS, "Jobs failed."),
}
# Params filled from results; they default to "" so the same Task also runs
# when submit failed and no result exists.
_RESULT_PARAMS = ("batch-id", "final-status", *WAIT_COUNTS)


def _summary_params(bench: Benchmark) -> dict[str, tuple[str, str]]:
    """What the summary reads: the run, and the batch's story when there is a batch."""
    if bench.spec.orchestrator is not None:
        return SUMMARY_PARAMS
    return {k: SUMMARY_PARAMS[k] for k in ("pipeline-run", "aggregate-status")}


def build_summary_task(bench: Benchmark, names: Names) -> Manifest:
    params = []
    summary_params = _summary_params(bench)
    for name, (_, description) in summary_params.items():
        param: Manifest = {"name": name, "type": "string", "description": description}
        if name in _RESULT_PARAMS:
            param["default"] = ""
        params.append(param)
    env = [{"name": var, "value": f"$(params.{name})"} for name, (var, _) in summary_params.items()]
    step = {"name": SUMMARY.name, "command": [POLLER], "args": [SUMMARY.name], "env": env}
    description = "Report how the run went; runs whether " + (
        "submit or wait failed or not."
        if bench.spec.orchestrator is not None
        else "the run passed or failed."
    )
    return _task(bench, names, names.task_summary, description, params, step, SUMMARY)


CLEANUP_TASK = "cleanup"
NOTIFY_TASK = "notify"
NOTIFY_DIR = "/var/run/benchgen/notify"


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
    """BENCHGEN_CLEANUP_SPEC: a param's value is read by the runtime, never written here."""
    fin = bench.spec.pipeline.finally_
    assert fin is not None and fin.cleanup is not None
    entries = []
    for target in fin.cleanup.delete:
        labels: dict[str, cleanup.Value] = dict(target.labels)
        labels.update({k: cleanup.Param(v) for k, v in target.labels_from_params.items()})
        namespace: cleanup.Value = (
            cleanup.Param(target.namespace_from_param)
            if target.namespace_from_param
            else target.namespace or names.namespace
        )
        entries.append(
            cleanup.Entry(
                target.api_version, target.kind, target.resource, namespace, tuple(labels.items())
            )
        )
    return cleanup.encode(entries)


def build_cleanup_task(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.cleanup is None:
        return []
    params = cleanup_params(bench)
    env = [
        {"name": var.CLEANUP_SPEC, "value": cleanup_spec(bench, names)},
        *({"name": var.param_env(p), "value": f"$(params.{p})"} for p in params),
    ]
    by_name = {p.name: p for p in bench.spec.params}
    step = {
        "name": CLEANUP.name,
        "command": [POLLER],
        "args": [CLEANUP.name, CLEANUP.flag("--timeout").name, fin.cleanup.timeout],
        "env": env,
        # Its discovery cache: the root filesystem is read-only.
        "volumeMounts": [pods.TMP_MOUNT],
    }
    description = (
        "Delete what the run deployed (Foreground) and wait until it is gone;"
        " runs whether the run passed or failed."
    )
    task_params = [_task_param(by_name[p]) for p in params]
    volumes = [pods.TMP_VOLUME]
    return [
        _task(bench, names, names.task_cleanup, description, task_params, step, CLEANUP, volumes)
    ]


def deploy_spec(bench: Benchmark, names: Names) -> str:
    """BENCHGEN_APPLY_SPEC: the key's params and the values of 'set' are read by the
    runtime, never written here."""
    deploy = bench.spec.pipeline.deploy
    assert deploy is not None
    types = {p.name: p.type for p in bench.spec.params}
    return apply.encode(
        apply.Spec(
            namespace=names.namespace,
            config_map=deploy.manifest.config_map.name,
            key=tuple(apply.key_template(deploy.manifest.config_map.key)),
            sets=tuple(
                apply.Set(s.kind, parse(s.path), s.param, types.get(s.param, "string"))
                for s in deploy.set_
            ),
            targets=tuple(
                apply.Target(t.api_version, t.kind, t.resource, t.namespace or names.namespace)
                for t in deploy.targets
            ),
            condition=deploy.wait.condition,
        )
    )


def build_deploy_task(bench: Benchmark, names: Names) -> list[Manifest]:
    deploy = bench.spec.pipeline.deploy
    if deploy is None:
        return []
    params = deploy_params(bench)
    env = [
        {"name": var.APPLY_SPEC, "value": deploy_spec(bench, names)},
        *({"name": var.param_env(p), "value": f"$(params.{p})"} for p in params),
    ]
    by_name = {p.name: p for p in bench.spec.params}
    step = {
        "name": APPLY.name,
        "command": [POLLER],
        "args": [
            APPLY.name,
            APPLY.flag("--timeout").name,
            deploy.wait.timeout,
            *_result_args(APPLY),
        ],
        "env": env,
        # Its discovery cache: the root filesystem is read-only.
        "volumeMounts": [pods.TMP_MOUNT],
    }
    description = (
        "Apply the run's manifest (server-side, only the declared kinds) and wait until every"
        f" object is {deploy.wait.condition}; first in the run."
    )
    task_params = [_task_param(by_name[p]) for p in params]
    volumes = [pods.TMP_VOLUME]
    return [_task(bench, names, names.task_deploy, description, task_params, step, APPLY, volumes)]


def _with_deploy(bench: Benchmark, names: Names, tasks: list[Manifest]) -> list[Manifest]:
    """The deploy task first: every task that would start at once (no runAfter, no
    result read) runs after it instead; the others follow one of those."""
    deploy = bench.spec.pipeline.deploy
    if deploy is None:
        return tasks
    out: list[Manifest] = [
        {
            "name": DEPLOY_TASK,
            "taskRef": {"name": names.task_deploy, "kind": "Task"},
            "params": [{"name": p, "value": f"$(params.{p})"} for p in deploy_params(bench)],
            "timeout": format_duration(parse_duration(deploy.wait.timeout) + TASK_OVERHEAD_SECONDS),
        }
    ]
    for task in tasks:
        reads = any("$(tasks." in str(p.get("value")) for p in task.get("params", []))
        if task.get("runAfter") or reads:
            out.append(task)
        else:
            out.append({"name": task["name"], "runAfter": [DEPLOY_TASK], **task})
    return out


def notify_params(bench: Benchmark) -> list[ParamSpec]:
    """The params the notify templates read (config.notify_checks.template_params)."""
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.notify is None:
        return []
    from generator.config.notify_checks import template_params

    used = template_params(fin.notify, [p.name for p in bench.spec.params])
    return [p for p in bench.spec.params if p.name in used]


def build_notify_task(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.notify is None:
        return []
    notify = fin.notify
    ref = notify.url_secret_ref
    summary = build_summary_task(bench, names)["spec"]
    env = [*summary["steps"][0]["env"]]
    mounts: list[Manifest] = []
    volumes: list[Manifest] = []
    if ref is not None:
        env.append({"name": var.NOTIFY_URL_FILE, "value": f"{NOTIFY_DIR}/{ref.key}"})
        mounts.append({"name": "notify-url", "mountPath": NOTIFY_DIR, "readOnly": True})
        # The URL is a credential (Slack's carries the token): referenced, never
        # rendered; readable by the pod's fsGroup only (taskRunSpecs).
        volumes.append(pods.secret_volume("notify-url", ref.name, ref.key))
    params = list(summary["params"])
    out: list[Manifest] = []
    if notify.template is not None or notify.email is not None:
        out += _notify_extras(bench, names, env, mounts, volumes, params)
    args = [
        NOTIFY.name,
        NOTIFY.flag("--timeout").name,
        notify.timeout,
        NOTIFY.flag("--on-failure").name,
        notify.on_failure,
        *_result_args(NOTIFY),
    ]
    step: Manifest = {"name": NOTIFY.name, "command": [POLLER], "args": args, "env": env}
    if mounts:
        step["volumeMounts"] = mounts
    channels = " and ".join(
        c for c, on in (("a Slack-compatible webhook", ref), ("e-mail", notify.email)) if on
    )
    description = f"Post the run's summary to {channels}; runs whether the run passed or failed."
    task = _task(bench, names, names.task_notify, description, params, step, NOTIFY, volumes)
    return [*out, task]


def _notify_extras(
    bench: Benchmark,
    names: Names,
    env: list[Manifest],
    mounts: list[Manifest],
    volumes: list[Manifest],
    params: list[Manifest],
) -> list[Manifest]:
    """Templates and e-mail: the ConfigMap of templates (returned), the params they
    read, the spec, the SMTP login. The texts reach the step as files of a
    ConfigMap, never as part of a script or an arg."""
    from generator.config.notify_checks import templates

    fin = bench.spec.pipeline.finally_
    assert fin is not None and fin.notify is not None
    notify = fin.notify
    read = notify_params(bench)
    params += [_task_param(p) for p in read]
    env += [{"name": var.param_env(p.name), "value": f"$(params.{p.name})"} for p in read]
    email = None
    if notify.email is not None:
        smtp = notify.email.smtp
        email = notify_contract.Email(
            host=smtp.host,
            port=smtp.port or notify_contract.DEFAULT_PORTS[smtp.security],
            security=smtp.security,
            sender=notify.email.from_,
            to=tuple(notify.email.to),
        )
    status_url = f"http://{names.status}.{names.namespace}.svc/status/" if names.uses_status else ""
    spec = notify_contract.Spec(tuple(p.name for p in read), status_url, email)
    env += [
        {"name": var.NOTIFY_SPEC, "value": notify_contract.encode(spec)},
        # The pod's namespace is the run's: the downward API, no Tekton variable.
        {"name": var.NAMESPACE, "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]
    out: list[Manifest] = []
    if templates(notify):  # the ConfigMap itself: configmaps.py
        env.append({"name": var.NOTIFY_TEMPLATES, "value": notify_contract.TEMPLATES_DIR})
        mounts.append(
            {
                "name": "notify-templates",
                "mountPath": notify_contract.TEMPLATES_DIR,
                "readOnly": True,
            }
        )
        volumes.append({"name": "notify-templates", "configMap": {"name": names.task_notify}})
    login = notify.email.credentials_secret_ref if notify.email is not None else None
    if login is not None:
        directory = notify_contract.CREDENTIALS_DIR
        env.append({"name": var.NOTIFY_SMTP_CREDENTIALS, "value": directory})
        mounts.append({"name": "notify-smtp", "mountPath": directory, "readOnly": True})
        volumes.append(
            {
                "name": "notify-smtp",
                "secret": {
                    "secretName": login.name,
                    "items": [
                        {"key": login.username_key, "path": notify_contract.USERNAME_KEY},
                        {"key": login.password_key, "path": notify_contract.PASSWORD_KEY},
                    ],
                    "defaultMode": 0o440,  # the pod's fsGroup only (taskRunSpecs)
                },
            }
        )
    return out


def _task_param(param: ParamSpec) -> Manifest:
    return {"name": param.name, "type": "string", "description": param.description or param.name}


def _pipeline_param(param: ParamSpec) -> Manifest:
    out = _task_param(param)
    if not param.required:
        # Escaped like every value a run gets from the listener (a run started by
        # hand without the param then reads the default right).
        out["default"] = escape(param.default_text)
    return out


def build_pipeline(bench: Benchmark, names: Names) -> Manifest:
    params = pipeline_params(bench)
    statuses = [
        {"name": "pipeline-run", "value": "$(context.pipelineRun.name)"},
        {"name": "aggregate-status", "value": "$(tasks.status)"},
    ]
    if bench.spec.orchestrator is None:
        # The user's Tasks alone: no batch, no results to guard against.
        spec: Manifest = {
            "description": f"Run the benchmark's own Tasks ({names.base}).",
            "params": [_pipeline_param(p) for p in params],
            **_workspaces(bench),
            "tasks": _with_deploy(bench, names, _user_tasks(bench.spec.pipeline.tasks)),
            "finally": [
                _finally_task("summary", names.task_summary, statuses),
                *_extra_finally(bench, names, statuses, [], None),
            ],
        }
        return manifest(TEKTON, "Pipeline", metadata(names, names.pipeline), spec=spec)
    statuses += [
        {"name": "submit-status", "value": "$(tasks.submit.status)"},
        {"name": "wait-status", "value": "$(tasks.wait.status)"},
    ]
    results = [
        {"name": BATCH_ID, "value": f"$(tasks.submit.results.{BATCH_ID})"},
        *({"name": r.name, "value": f"$(tasks.wait.results.{r.name})"} for r in WAIT.results),
    ]
    submit_ok = {"input": "$(tasks.submit.status)", "operator": "in", "values": ["Succeeded"]}
    return manifest(
        TEKTON,
        "Pipeline",
        metadata(names, names.pipeline),
        spec={
            "description": f"Submit a batch to the orchestrator and wait for it ({names.base}).",
            "params": [_pipeline_param(p) for p in params],
            **_workspaces(bench),
            "results": [_result(r["name"], value=r["value"]) for r in results],
            "tasks": _with_deploy(
                bench,
                names,
                [*_submit_and_wait(bench, names), *_user_tasks(bench.spec.pipeline.tasks)],
            ),
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


def _submit_and_wait(bench: Benchmark, names: Names) -> list[Manifest]:
    """The two tasks: the Tasks above (poll.mode pod), or benchgen's custom tasks, whose
    CustomRuns the custom-tasks controller reconciles (poll.mode controller)."""
    poll = bench.spec.poll
    submit_params = [
        {"name": p.name, "value": f"$(params.{p.name})"} for p in _submit_params(bench)
    ]
    wait_params = [{"name": "batch-id", "value": "$(tasks.submit.results.batch-id)"}]
    assert bench.spec.orchestrator is not None  # build_pipeline asks
    submit_timeout = parse_duration(bench.spec.orchestrator.submit_timeout)
    wait_timeout = parse_duration(poll.timeout)
    if poll.mode == "controller":
        # The CustomRun's timeout is the wait's own (-> final-status TIMEOUT): no pod
        # has to start first, so no overhead is added.
        ref = {"apiVersion": customtask.API_VERSION}
        submit_ref = {**ref, "kind": customtask.SUBMIT_KIND}
        wait_ref = {**ref, "kind": customtask.WAIT_KIND}
        policy = {
            "interval": poll.interval,
            "max-interval": poll.max_interval,
            "fail-on": ",".join(poll.fail_on),
            "on-unknown-status": poll.on_unknown_status,
        }
        wait_params += [{"name": k, "value": policy[k]} for k in customtask.WAIT_POLICY]
    else:
        submit_ref = {"name": names.task_submit, "kind": "Task"}
        wait_ref = {"name": names.task_wait, "kind": "Task"}
        submit_timeout += TASK_OVERHEAD_SECONDS
        wait_timeout += TASK_OVERHEAD_SECONDS
    return [
        {
            "name": "submit",
            "taskRef": submit_ref,
            "params": submit_params,
            "timeout": format_duration(submit_timeout),
        },
        {
            "name": "wait",
            "runAfter": ["submit"],
            "taskRef": wait_ref,
            "params": wait_params,
            "timeout": format_duration(wait_timeout),
        },
    ]


def _workspaces(bench: Benchmark) -> Manifest:
    """spec.workspaces of the Pipeline: those its own Tasks use (none: no key at all)."""
    used = user_workspaces(bench)
    if not used:
        return {}
    out = []
    for workspace in bench.spec.pipeline.workspaces:
        if workspace.name in used:
            entry: Manifest = {"name": workspace.name}
            if workspace.description:
                entry["description"] = workspace.description
            out.append(entry)
    return {"workspaces": out}


def _param_value(value: TaskParamValueSpec) -> str:
    """A Tekton reference, never free text: a param, a result, a status (finally)."""
    if value.param is not None:
        return f"$(params.{value.param})"
    if value.status is not None:
        return f"$(tasks.{value.status}.status)"
    if value.aggregate_status:
        return "$(tasks.status)"
    return f"$(tasks.{value.task}.results.{value.result})"


def _user_tasks(tasks: list[UserTaskSpec]) -> list[Manifest]:
    """The user's own Tasks (or finally Tasks): every value is a Tekton param, result or
    status reference, the names were checked (checks._user_tasks), nothing is free text."""
    out: list[Manifest] = []
    for task in tasks:
        ref = task.task_ref
        task_ref: Manifest = (
            {"name": ref.name, "kind": "Task"}
            if ref.name is not None
            else {
                "resolver": ref.resolver,
                "params": [{"name": k, "value": v} for k, v in ref.params.items()],
            }
        )
        entry: Manifest = {"name": task.name}
        if task.run_after:
            entry["runAfter"] = list(task.run_after)
        entry["taskRef"] = task_ref
        if task.params:
            entry["params"] = [
                {"name": key, "value": _param_value(value)} for key, value in task.params.items()
            ]
        if task.workspaces:
            entry["workspaces"] = [
                {"name": key, "workspace": use.workspace, **_sub_path(use.sub_path)}
                for key, use in task.workspaces.items()
            ]
        if task.when:
            # The input is the run's param, which holds the value as the listener
            # escaped it; compare it with the values escaped the same way.
            entry["when"] = [
                {
                    "input": f"$(params.{w.param})",
                    "operator": w.operator,
                    "values": [escape(v) for v in w.values],
                }
                for w in task.when
            ]
        if task.timeout is not None:
            entry["timeout"] = task.timeout
        if task.retries is not None:
            entry["retries"] = task.retries
        out.append(entry)
    return out


def _sub_path(sub_path: str | None) -> Manifest:
    return {"subPath": sub_path} if sub_path else {}


def _finally_task(name: str, task: str, params: list[Manifest]) -> Manifest:
    return {"name": name, "taskRef": {"name": task, "kind": "Task"}, "params": params}


def _guarded(
    name: str,
    task: str,
    statuses: list[Manifest],
    results: list[Manifest],
    submit_ok: Manifest | None,
) -> list[Manifest]:
    """Two guarded copies of a Task reading the run's results: exactly one of them runs.
    One unguarded copy when there is no submit (``submit_ok`` None)."""
    if submit_ok is None:
        return [_finally_task(name, task, statuses)]
    return [
        {**_finally_task(name, task, [*statuses, *results]), "when": [submit_ok]},
        {
            **_finally_task(f"{name}-submit-failed", task, statuses),
            "when": [{**submit_ok, "operator": "notin"}],
        },
    ]


def _extra_finally(
    bench: Benchmark,
    names: Names,
    statuses: list[Manifest],
    results: list[Manifest],
    submit_ok: Manifest | None,
) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    out: list[Manifest] = []
    if fin is not None and fin.cleanup is not None:
        # Unguarded: it reads no result, so it runs whatever happened before.
        params = cleanup_params(bench)
        out.append(
            _finally_task(
                CLEANUP_TASK,
                names.task_cleanup,
                [{"name": p, "value": f"$(params.{p})"} for p in params],
            )
        )
    if fin is not None and fin.notify is not None:
        # The params its templates read go with the run's statuses (both copies).
        read = [{"name": p.name, "value": f"$(params.{p.name})"} for p in notify_params(bench)]
        out += _guarded(NOTIFY_TASK, names.task_notify, [*statuses, *read], results, submit_ok)
    if fin is not None:
        # The user's own, after benchgen's: a result a task never wrote makes Tekton
        # skip the finally task that reads it, as it does for summary.
        out += _user_tasks(fin.tasks)
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
    # A variant's fixed values (checked against the param, so label-safe where they
    # become labels) in place of the event's, escaped as the listener escapes values.
    fixed = {name: escape(value) for name, value in fixed_params(bench).items()}

    def value(param: str) -> str:
        return fixed.get(param, f"$(tt.params.{param})")

    concurrency = bench.spec.pipeline.concurrency
    if concurrency is not None and concurrency.key:
        # The listener checked the value is a label value (facts.label_safe_params).
        labels[CONCURRENCY_KEY_LABEL] = value(concurrency.key)
    annotations = dict(annotations or {})
    for param in bench.spec.params:
        if param.label:
            labels[param.label] = value(param.name)
        if param.annotation:
            annotations[param.annotation] = value(param.name)
    for name, annotation in commit_status_params(bench).items():
        # The observer reports the run to this repository and commit
        # (spec.observe.commitStatus); the listener checked the values.
        annotations[annotation] = value(name)
    meta: Manifest = (
        {"name": run_name(names.run_prefix, f"$(tt.params.{id_param})")}
        if id_param
        else {"generateName": names.run_generate_name}
    )
    meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    spec = bench.spec.pipeline
    run_spec: Manifest = {
        "pipelineRef": {"name": names.pipeline},
        "params": [{"name": p.name, "value": value(p.name)} for p in pipeline_params(bench)],
    }
    bindings = _workspace_bindings(bench)
    if bindings:
        run_spec["workspaces"] = bindings
    if spec.concurrency is not None:
        # Created pending: Tekton runs nothing (and starts no timeout) until the
        # observer removes spec.status, oldest first, while fewer than limit are active.
        run_spec["status"] = PENDING
    run_spec["timeouts"] = {"pipeline": spec.timeout, "finally": spec.finally_timeout}
    run_spec["taskRunTemplate"] = {
        "serviceAccountName": names.runner_service_account,
        "podTemplate": {"securityContext": pods.pod_security()},
    }
    task_specs = _task_run_specs(bench, names)
    if task_specs:
        run_spec["taskRunSpecs"] = task_specs
    return {"apiVersion": TEKTON, "kind": "PipelineRun", "metadata": meta, "spec": run_spec}


PENDING = "PipelineRunPending"


def _workspace_bindings(bench: Benchmark) -> list[Manifest]:
    """What each run binds to the Pipeline's workspaces (Tekton's WorkspaceBinding)."""
    used = user_workspaces(bench)
    out: list[Manifest] = []
    for workspace in bench.spec.pipeline.workspaces:
        if workspace.name not in used:
            continue
        entry: Manifest = {"name": workspace.name}
        claim = workspace.volume_claim_template
        if claim is not None:
            claim_spec: Manifest = {
                "accessModes": list(claim.access_modes),
                "resources": {"requests": {"storage": claim.storage}},
            }
            if claim.storage_class_name is not None:
                claim_spec["storageClassName"] = claim.storage_class_name
            entry["volumeClaimTemplate"] = {"spec": claim_spec}
        elif workspace.empty_dir is not None:
            size = workspace.empty_dir.size_limit
            entry["emptyDir"] = {"sizeLimit": size} if size else {}
        elif workspace.config_map is not None:
            entry["configMap"] = {"name": workspace.config_map}
        elif workspace.secret is not None:
            entry["secret"] = {"secretName": workspace.secret}
        else:
            entry["persistentVolumeClaim"] = {"claimName": workspace.persistent_volume_claim}
        out.append(entry)
    return out


def _task_run_specs(bench: Benchmark, names: Names) -> list[Manifest]:
    """Per-task identities: the deploy step's and the clean-up's own ServiceAccounts,
    notify's fsGroup."""
    fin = bench.spec.pipeline.finally_
    out: list[Manifest] = []
    if bench.spec.pipeline.deploy is not None:
        out.append({"pipelineTaskName": DEPLOY_TASK, "serviceAccountName": names.deploy})
    if fin is not None and fin.cleanup is not None:
        out.append({"pipelineTaskName": CLEANUP_TASK, "serviceAccountName": names.cleanup})
    if fin is not None and fin.notify is not None:
        copies = [NOTIFY_TASK]
        if bench.spec.orchestrator is not None:
            copies.append(f"{NOTIFY_TASK}-submit-failed")
        for task in copies:
            out.append(
                {
                    "pipelineTaskName": task,
                    "podTemplate": {"securityContext": pods.pod_security(fs_group=True)},
                }
            )
    return out
