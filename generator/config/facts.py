"""Facts derived from a config, read by the checks and the builders alike: what is
checked is what is rendered. No findings here (that is checks.py)."""

from __future__ import annotations

import re

from generator.config import patterns
from generator.contract import names as kube
from generator.contract import orchestrator_api
from generator.contract.durations import parse_duration
from generator.contract.orchestrator import REQUIRED_FIELDS

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ParamSpec, RequestFieldSpec
    from generator.config.names import Names

# The orchestrator's MLOps batch body (contracts/orchestrator-mlops-batch.md):
# field -> (JSON type, required by the orchestrator: contract.orchestrator's REQUIRED_FIELDS).
_FIELD_TYPES = {
    **dict.fromkeys(REQUIRED_FIELDS, "string"),
    "submittedBy": "string",
    "jobSettings.llmUrl": "string",
    "jobSettings.llmModelName": "string",
    "jobSettings.llmApiType": "string",
    "jobSettings.embeddingLlmUrl": "string",
    "jobSettings.embeddingLlmModelName": "string",
    "jobSettings.secretName": "string",
    "jobSettings.useKnownFalsePositiveFile": "boolean",
    "jobSettings.evaluateSpecificNode": "string",
}
ORCHESTRATOR_FIELDS: dict[str, tuple[str, bool]] = {
    field: (kind, field in REQUIRED_FIELDS) for field, kind in _FIELD_TYPES.items()
}


def user_workspaces(bench: Benchmark) -> list[str]:
    """The spec.pipeline.workspaces this Pipeline's own Tasks (and finally Tasks) use, in
    declaration order: the Pipeline declares them and its runs bind them."""
    fin = bench.spec.pipeline.finally_
    used = {
        use.workspace
        for task in [*bench.spec.pipeline.tasks, *(fin.tasks if fin is not None else [])]
        for use in task.workspaces.values()
    }
    return [w.name for w in bench.spec.pipeline.workspaces if w.name in used]


# Pipeline task names benchgen itself uses: deploy, submit and wait, and the finally tasks.
DEPLOY_TASK = "deploy"
BUILTIN_TASKS = (DEPLOY_TASK, "submit", "wait")
FINALLY_TASKS = (
    "summary",
    "summary-submit-failed",
    "cleanup",
    "notify",
    "notify-submit-failed",
)
IMAGE_VALUE_PATTERN = r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[0-9a-f]{64})$"
# Room the Pipeline needs besides the wait: pod start-up of each Task and
# writing results before Tekton's own timeout would kill the step.
TASK_OVERHEAD_SECONDS = 180


def param_named(bench: Benchmark, name: str) -> ParamSpec | None:
    return next((p for p in bench.spec.params if p.name == name), None)


def request_fields(bench: Benchmark) -> list[RequestFieldSpec]:
    """The orchestrator's body: none when the Pipeline has no built-in submit and wait."""
    return bench.spec.orchestrator.request if bench.spec.orchestrator is not None else []


def builtin_tasks(bench: Benchmark) -> tuple[str, ...]:
    """benchgen's own pipeline tasks in this Pipeline, which the user's Tasks may follow."""
    deploy = (DEPLOY_TASK,) if bench.spec.pipeline.deploy is not None else ()
    return (*deploy, *(BUILTIN_TASKS[1:] if bench.spec.orchestrator is not None else ()))


def deploy_params(bench: Benchmark) -> list[str]:
    """The params the deploy step reads (its key and 'set'), in params order."""
    deploy = bench.spec.pipeline.deploy
    if deploy is None:
        return []
    from generator.contract.apply import Param, key_template

    used = {p.name for p in key_template(deploy.manifest.config_map.key) if isinstance(p, Param)}
    used.update(s.param for s in deploy.set_)
    return [p.name for p in bench.spec.params if p.name in used]


def is_required_field(bench: Benchmark, index: int) -> bool:
    spec = request_fields(bench)[index]
    if spec.required is not None:
        return spec.required
    if not speaks_sast_ai(bench):
        return False
    return ORCHESTRATOR_FIELDS.get(spec.field, ("string", False))[1]


def speaks_sast_ai(bench: Benchmark) -> bool:
    """The body is sast-ai's MLOps batch (its known fields, required ones, submittedBy):
    the sast-ai profile with no api overrides."""
    orch = bench.spec.orchestrator
    return (
        orch is not None and orch.profile == orchestrator_api.SAST_AI.profile and orch.api is None
    )


# How long a GitLab pipeline's look-up reaches back beyond the Pipeline's timeout:
# clock skew between the cluster and the API, and the pod's own start-up.
LOOKBACK_MARGIN_SECONDS = 3600


def batch_api(bench: Benchmark) -> tuple[orchestrator_api.OrchestratorApi, list[tuple[str, str]]]:
    """The batch API the config describes (profile, api overrides, ref, the look-up's
    reach), and its problems keyed by the contract's camelCase names."""
    orch = bench.spec.orchestrator
    if orch is None:
        return orchestrator_api.SAST_AI, []
    overrides: dict[str, object] = {}
    if orch.api is not None:
        for key, attr in orchestrator_api.KEY_ATTRIBUTES.items():
            value = getattr(orch.api, attr, None)
            if value is not None:
                overrides[key] = value
    base = orchestrator_api.PROFILES[orch.profile]
    if orch.ref is not None and "ref" in base.constants:
        overrides["constants"] = {**base.constants, "ref": orch.ref}
    timeout = parse_duration(bench.spec.pipeline.timeout)
    if base.lookback is not None and timeout > 0:
        # A batch made for a run is younger than the run's Pipeline.
        overrides["lookback"] = float(timeout + LOOKBACK_MARGIN_SECONDS)
    return orchestrator_api.build(orch.profile, overrides)


def run_params(bench: Benchmark) -> set[str]:
    """Params the run itself uses: the orchestrator's body, the deploy step's key and
    values, the clean-up's selectors, the params and when expressions of the user's own
    Tasks and finally Tasks."""
    used = {f.param for f in request_fields(bench)}
    used.update(deploy_params(bench))
    fin = bench.spec.pipeline.finally_
    for task in [*bench.spec.pipeline.tasks, *(fin.tasks if fin is not None else [])]:
        used.update(v.param for v in task.params.values() if v.param is not None)
        used.update(w.param for w in task.when)
    for target in fin.cleanup.delete if fin and fin.cleanup else []:
        used.update(target.labels_from_params.values())
        if target.namespace_from_param:
            used.add(target.namespace_from_param)
    if fin is not None and fin.notify is not None:
        # The params the notify templates read (jinja2 is imported only when there are some).
        from generator.config.notify_checks import template_params

        used.update(template_params(fin.notify, [p.name for p in bench.spec.params]))
    return used


def commit_status_params(bench: Benchmark) -> dict[str, str]:
    """The params spec.observe.commitStatus names -> the PipelineRun annotation each
    fills (contract.commit_status), for the observer to read the run's commit."""
    from generator.contract import commit_status as cs

    spec = bench.spec.observe.commit_status if bench.spec.observe else None
    if spec is None:
        return {}
    out: dict[str, str] = {}
    if spec.repository.param is not None:
        out[spec.repository.param] = cs.REPOSITORY_ANNOTATION
    if spec.sha.param is not None:
        out[spec.sha.param] = cs.SHA_ANNOTATION
    return out


def image_params(bench: Benchmark) -> set[str]:
    """Params that fill an imageRepository field: the listener checks them as image tags."""
    return {f.param for f in request_fields(bench) if f.image_repository}


def label_safe_params(bench: Benchmark) -> set[str]:
    """Params the listener must also check as label values (beyond ``param.label``)."""
    concurrency = bench.spec.pipeline.concurrency
    return {concurrency.key} if concurrency is not None and concurrency.key else set()


def event_id_max(bench: Benchmark, names: Names) -> int:
    """Longest event id the runtime may send: the run name's room, the id param's maxLength."""
    room = names.event_id_room
    id_param = bench.spec.triggers.webhook.event_id_param
    param = param_named(bench, id_param) if id_param else None
    if param is not None and param.max_length is not None:
        room = min(room, param.max_length)
    return room


def listener_value_problem(bench: Benchmark, param: ParamSpec, value: str) -> str | None:
    """Why the listener's CEL filter would refuse this value of ``param``, or None.

    ParamSpec.value_problem plus what the filter adds from elsewhere in the config:
    the image tag check of imageRepository fields, label safety of the concurrency key,
    and the blank check of required params.
    """
    if param.type == "boolean":
        return None if value.lower() in ("true", "false") else "must be true or false"
    if param.required and patterns.blank(value):
        return "is blank, and the param is required"
    if not value and not param.required:
        return None  # the listener applies the default
    problem = param.value_problem(value)
    if problem:
        return problem
    if param.name in image_params(bench) and not re.fullmatch(IMAGE_VALUE_PATTERN, value):
        return "is not an image tag or sha256 digest"
    if param.name in label_safe_params(bench) and kube.label_value_problem(value):
        return "is not a valid label value (it is the concurrency key)"
    return None


# The webhook TriggerTemplate's param carrying the delivery key (compile.triggers).
DELIVERY_PARAM = "delivery-key"


def delivery_provider(bench: Benchmark) -> str | None:
    """The provider whose delivery id keys each webhook run ("github", "gitlab"), or None.

    Deduplication by default: a GitHub or GitLab webhook's run is named after the
    delivery (generator.contract.event_key.delivery_key), unless eventIdParam names it
    (the override) — token and no auth have no delivery id of a provider's."""
    webhook = bench.spec.triggers.webhook
    if webhook.event_id_param is not None:
        return None
    auth_type = webhook.auth.type
    return auth_type if auth_type in ("github", "gitlab") else None


def uses_event_key(bench: Benchmark) -> bool:
    """The event-key interceptor (and its dedup record) is rendered."""
    return bench.spec.triggers.cloud_events is not None or delivery_provider(bench) is not None
