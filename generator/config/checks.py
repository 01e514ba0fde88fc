"""Checks that need more than one field, each pointing at the field it is about."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from generator.config import notify_checks
from generator.config.facts import (
    BUILTIN_TASKS,
    DELIVERY_PARAM,
    DEPLOY_TASK,
    FINALLY_TASKS,
    IMAGE_VALUE_PATTERN,
    ORCHESTRATOR_FIELDS,
    TASK_OVERHEAD_SECONDS,
    batch_api,
    builtin_tasks,
    commit_status_params,
    delivery_provider,
    event_id_max,
    is_required_field,
    label_safe_params,
    listener_value_problem,
    param_named,
    run_params,
    speaks_sast_ai,
)
from generator.config.names import (
    MAX_CRONJOB_NAME,
    MIN_EVENT_ID_ROOM,
    PING_EVENT_TYPE,
    RESERVED_LABELS,
    Names,
    knative_trigger_name,
    schedule_name,
)
from generator.config.paths import dotted, parse
from generator.config.rules import CE_SUBJECT_SOURCE, RESERVED_EVENT_PREFIXES, quantity_value
from generator.config.variants import DEFAULT, variant_bench, variant_names
from generator.contract import commit_status, orchestrator_api
from generator.contract import names as kube
from generator.contract import refusals as refusals_contract
from generator.contract.commands import APPLY, SUBMIT, WAIT
from generator.contract.durations import format_duration, parse_duration
from generator.contract.orchestrator import SUBMITTED_BY_MAX, SUBMITTED_BY_ROOM, TOKEN_FIELD
from generator.contract.orchestrator_api import OrchestratorApi

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import (
        AcceptedEventSpec,
        Benchmark,
        ParamSpec,
        PipelineVariantSpec,
        TaskRefSpec,
        UserTaskSpec,
    )

# submittedBy carries the run's key: the runtime appends " (run <TaskRun uid>)"
# and the orchestrator stores SUBMITTED_BY_MAX characters (contract.orchestrator).
RUN_MARKER_LENGTH = SUBMITTED_BY_MAX - SUBMITTED_BY_ROOM
Finding = tuple[str, str]  # (dotted field path, message)


def check(bench: Benchmark, names: Names) -> list[Finding]:
    return [finding for run in every_check(bench, names) for finding in run()]


def every_check(bench: Benchmark, names: Names) -> list[Callable[[], Iterable[Finding]]]:
    """Each check, not yet run: partial.py runs them one at a time, on a config with
    broken fields, and keeps the findings of those that read none of them.
    ``names`` (with the namespace the objects go to) is computed once, by the loader."""
    return [
        lambda: _params(bench),
        lambda: _request(bench),
        lambda: _batch_api(bench),
        lambda: _without_orchestrator(bench),
        lambda: _timeouts(bench),
        lambda: _names(bench, names),
        lambda: _labels(bench),
        lambda: _events(bench, names),
        lambda: _observe(bench),
        lambda: _commit_status(bench),
        lambda: _schedules(bench, names),
        lambda: _releases(bench, names),
        lambda: _concurrency(bench, names.namespace),
        lambda: _deploy(bench),
        lambda: _finally(bench),
        lambda: notify_checks.check(bench),
        lambda: _resources(bench),
        lambda: _user_tasks(bench),
        lambda: _user_finally(bench),
        lambda: _workspaces(bench),
        lambda: _variants(bench, names),
        lambda: _select(bench),
        lambda: _probes(bench),
        lambda: _webhook_probe(bench),
        lambda: _record_refusals(bench),
    ]


def _index(bench: Benchmark, name: str) -> int:
    return next(i for i, p in enumerate(bench.spec.params) if p.name == name)


def _params(bench: Benchmark) -> Iterator[Finding]:
    requested = run_params(bench)
    for variant in bench.spec.pipeline.variants:  # their own Tasks' params
        requested |= run_params(variant_bench(bench, variant))
    concurrency = bench.spec.pipeline.concurrency
    if concurrency is not None and concurrency.key:
        requested.add(concurrency.key)
    requested |= set(commit_status_params(bench))
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
                f"param {param.name!r} is not used: map it in spec.orchestrator.request,"
                " give it a label or annotation, or use it in spec.pipeline",
            )


def _request(bench: Benchmark) -> Iterator[Finding]:
    params: dict[str, ParamSpec] = {}
    for p in bench.spec.params:
        params.setdefault(p.name, p)  # a duplicate is reported by _params
    fields: dict[str, int] = {}
    if bench.spec.orchestrator is None:
        return  # no built-in submit: nothing is sent (_without_orchestrator)
    # sast-ai's body has known fields; another API's are the config's to name.
    sast = speaks_sast_ai(bench)
    api, _ = batch_api(bench)
    for i, spec in enumerate(bench.spec.orchestrator.request):
        where = f"spec.orchestrator.request[{i}]"
        if spec.field in fields:
            yield (
                f"{where}.field",
                f"{spec.field!r} is mapped twice (first at request[{fields[spec.field]}])",
            )
        fields.setdefault(spec.field, i)
        known = ORCHESTRATOR_FIELDS.get(spec.field) if sast else None
        if not sast:
            yield from _api_field(api, f"{where}.field", spec.field)
        elif known is None:
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
        elif sast and spec.field == TOKEN_FIELD:
            yield from _submitted_by_room(bench, param)
        if spec.image_repository is not None:
            if param.type != "string":
                yield (
                    f"{where}.imageRepository",
                    f"param {param.name!r} must be a string to carry an image tag",
                )
            elif param.default_text and not re.fullmatch(IMAGE_VALUE_PATTERN, param.default_text):
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
    for name, (_, required) in ORCHESTRATOR_FIELDS.items() if sast else ():
        if required and name not in fields:
            yield (
                "spec.orchestrator.request",
                f"the orchestrator requires {name!r}; map it from a param",
            )


def _api_field(api: OrchestratorApi, where: str, name: str) -> Iterator[Finding]:
    """A request field of an API other than sast-ai's plain body."""
    if api.request_style == "variables" and not _VARIABLE_KEY.fullmatch(name):
        yield where, f"{name!r} is not a variable name: use letters, digits and '_'"
    elif api.request_style == "variables" and name == api.key_field:
        yield where, f"{name!r} carries the run's key (the {api.profile} API's keyField)"


_VARIABLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _batch_api(bench: Benchmark) -> Iterator[Finding]:
    """The profile's settings, and the overrides of spec.orchestrator.api."""
    orch = bench.spec.orchestrator
    if orch is None:
        return
    api, found = batch_api(bench)
    derived = {"constants": "spec.orchestrator.ref", "lookback": "spec.pipeline.timeout"}
    for key, message in found:
        yield derived.get(key, f"spec.orchestrator.api.{key}"), message
    where = "spec.orchestrator"
    if orch.profile == orchestrator_api.GITLAB.profile:
        if orch.ref is None:
            yield f"{where}.ref", "the gitlab profile runs a pipeline for a branch or tag: set ref"
        if orch.url == orchestrator_api.SAST_AI_URL:
            yield (
                f"{where}.url",
                "the gitlab profile talks to a GitLab: set url (https://gitlab.com)",
            )
        if orch.batch_endpoint == orchestrator_api.SAST_AI_ENDPOINT:
            yield (
                f"{where}.batchEndpoint",
                "the gitlab profile's endpoint is the project: /api/v4/projects/<project id>",
            )
    elif orch.ref is not None:
        yield f"{where}.ref", f"the {orch.profile} profile takes no ref (gitlab's does)"
    if api.auth_header is not None and orch.token_secret_ref is None:
        yield (
            f"{where}.tokenSecretRef",
            f"the {api.profile} API needs a token in {api.auth_header}: name the Secret key"
            " holding it ({name: ..., key: ...})",
        )
    elif api.auth_header is None and orch.token_secret_ref is not None:
        yield (
            f"{where}.tokenSecretRef",
            "the API sends no token (no authHeader): set api.authHeader or drop tokenSecretRef",
        )


def _submitted_by_room(bench: Benchmark, param: ParamSpec) -> Iterator[Finding]:
    """The value of the param filling submittedBy, plus the run marker, must fit 255."""
    room = SUBMITTED_BY_ROOM
    if param.max_length is not None and param.max_length <= room:
        return
    if param.enum is not None and all(len(v) <= room for v in param.enum):
        return
    at = f"spec.params[{_index(bench, param.name)}]"
    why = (
        f"param {param.name!r} fills submittedBy, which also carries ' (run <uid>)'"
        f" ({RUN_MARKER_LENGTH} characters) and which the orchestrator stores in"
        f" {SUBMITTED_BY_MAX} characters, so it may hold at most {room}"
    )
    if param.max_length is not None:
        yield f"{at}.maxLength", f"{why}: lower maxLength {param.max_length} to {room} or less"
    elif param.enum is not None:
        i, value = next((i, v) for i, v in enumerate(param.enum) if len(v) > room)
        yield f"{at}.enum[{i}]", f"{why}; this value has {len(value)}"
    else:
        yield at, f"{why}: set 'maxLength: {room}' (or less) so the listener refuses longer values"


def _without_orchestrator(bench: Benchmark) -> Iterator[Finding]:
    """With no spec.orchestrator the Pipeline is the user's Tasks alone: it needs some,
    and the settings of the built-in submit and wait have nothing to apply to."""
    if bench.spec.orchestrator is not None:
        return
    if not bench.spec.pipeline.tasks:
        yield (
            "spec",
            "the Pipeline would run nothing: give spec.orchestrator (the built-in submit and"
            " wait) or your own Tasks in spec.pipeline.tasks",
        )
    if bench.spec.poll.mode == "controller":
        yield (
            "spec.poll.mode",
            "'controller' reconciles the built-in submit and wait, which need"
            " spec.orchestrator: add it or leave poll.mode out",
        )


def _timeouts(bench: Benchmark) -> Iterator[Finding]:
    if bench.spec.orchestrator is None:
        return  # the user's Tasks carry their own timeouts
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


def _names(bench: Benchmark, names: Names) -> Iterator[Finding]:
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


def _events(bench: Benchmark, names: Names) -> Iterator[Finding]:
    """CloudEvents and deterministic run names."""
    webhook = bench.spec.triggers.webhook
    cloud = bench.spec.triggers.cloud_events
    if webhook.event_id_param is not None:
        where = "spec.triggers.webhook.eventIdParam"
        param = param_named(bench, webhook.event_id_param)
        if param is None:
            yield where, _no_param(bench, webhook.event_id_param)
        elif param.type != "string" or not param.required:
            yield (
                where,
                f"param {param.name!r} names the run, so it must be a required string param:"
                " set 'required: true' on it",
            )
    provider = delivery_provider(bench)
    if (webhook.event_id_param is not None or cloud is not None or provider is not None) and (
        names.event_id_room < MIN_EVENT_ID_ROOM
    ):
        field = "spec.names.runPrefix" if bench.spec.names.run_prefix else "metadata.name"
        yield (
            field,
            f"run names {names.run_prefix}<event id> leave {names.event_id_room} characters for"
            f" the id (63 in all); at least {MIN_EVENT_ID_ROOM} are needed for a UUID: set a"
            " shorter spec.names.runPrefix",
        )
    if provider is not None:
        # The webhook TriggerTemplate's own param: the run's name from the delivery key.
        for i, param in enumerate(bench.spec.params):
            if param.name == DELIVERY_PARAM:
                yield (
                    f"spec.params[{i}].name",
                    f"{param.name!r} is reserved: with {provider} auth it carries the key of"
                    " the delivery id that names the run; rename the param",
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
    controller = bench.spec.poll.mode == "controller"
    if observe.metrics is not None and (observer is not None or controller):
        # The metrics Services of the observer and the custom-task controller take
        # their names (<name>-observer, <name>-custom-tasks), and Services need
        # DNS-1035: a leading letter (their lengths are checked with the names).
        problem = kube.dns1035_label_problem(f"{bench.metadata.name}-observer")
        if problem:
            yield (
                "metadata.name",
                f"derived name (a metrics Service) {problem}; start metadata.name with a"
                " letter or drop spec.observe.metrics",
            )


# Values a commit's param must refuse (its pattern admits only a SHA), and one it must accept.
_NOT_SHAS = ("", "main", "v1.0.0", "0" * 39, "0" * 41, "g" * 40, "../" + "0" * 37, "0" * 40 + "\n")
_A_SHA = "0123456789abcdef0123456789abcdef01234567"


def _commit_status(bench: Benchmark) -> Iterator[Finding]:
    spec = bench.spec.observe.commit_status if bench.spec.observe else None
    if spec is None:
        return
    where = "spec.observe.commitStatus"
    if bench.spec.observe is not None and bench.spec.observe.observer is None:
        yield (
            where,
            "the observer sends the commit statuses: configure spec.observe.observer too",
        )
    for key, value in (("repository", spec.repository), ("sha", spec.sha)):
        at = f"{where}.{key}"
        if (value.param is None) == (value.value is None):
            yield at, "set exactly one of 'param' and 'value'"
            continue
        if value.value is not None:
            if key == "sha":
                yield f"{at}.value", "a fixed commit would report every run to it: use 'param'"
            else:
                problem = commit_status.repository_problem(spec.provider, value.value)
                if problem:
                    yield f"{at}.value", f"{value.value!r} {problem}"
            continue
        assert value.param is not None
        param = param_named(bench, value.param)
        if param is None:
            yield f"{at}.param", _no_param(bench, value.param)
        elif param.type != "string":
            yield f"{at}.param", f"param {param.name!r} must be a string param"
        elif key == "sha":
            yield from _sha_pattern(bench, param, f"{at}.param")


def _sha_pattern(bench: Benchmark, param: ParamSpec, at: str) -> Iterator[Finding]:
    """The listener checks the pattern, so the URL the observer builds holds a SHA."""
    i = _index(bench, param.name)
    fix = "e.g. pattern: '[0-9a-f]{40}'"
    if param.pattern is None:
        yield (
            f"spec.params[{i}].pattern",
            f"param {param.name!r} is the commit of spec.observe.commitStatus: give it a"
            f" pattern that admits only a commit SHA ({fix})",
        )
        return
    try:
        pattern = re.compile(param.pattern)
    except re.error:
        return  # the pattern's own rule reports it
    admitted = [v for v in _NOT_SHAS if pattern.fullmatch(v)]
    if admitted or not pattern.fullmatch(_A_SHA):
        what = f"admits {admitted[0]!r}" if admitted else f"refuses {_A_SHA!r}"
        yield (
            f"spec.params[{i}].pattern",
            f"{param.pattern!r} {what}; the commit of spec.observe.commitStatus must be a"
            f" 40 (or 64) hex digit SHA ({fix})",
        )


def _no_param(bench: Benchmark, name: str) -> str:
    return f"no param named {name!r}; params are: " + ", ".join(p.name for p in bench.spec.params)


def _values(
    bench: Benchmark,
    values: dict[str, str | bool],
    where: str,
    supplied: set[str],
    *,
    headers: bool = True,
) -> Iterator[Finding]:
    """Fixed param values of a generated event, checked as the listener checks them."""
    for name, value in values.items():
        at = dotted((*parse(where), "values", name))
        param = param_named(bench, name)
        if param is None:
            yield at, _no_param(bench, name)
            continue
        if name in supplied:
            yield at, f"param {name!r} is filled in when the event is sent; drop it here"
            continue
        if not headers and param.from_.startswith("header."):
            yield (
                at,
                f"param {name!r} comes from {param.from_}, and a PingSource sends no headers;"
                " use via: webhook",
            )
            continue
        if isinstance(value, bool) and param.type != "boolean":
            yield at, f"param {name!r} is a string: quote the value ({str(value).lower()!r})"
            continue
        text = str(value).lower() if isinstance(value, bool) else value
        problem = listener_value_problem(bench, param, text)
        if problem:
            yield at, f"{text!r} {problem}"
    for param in bench.spec.params:
        if param.required and param.name not in values and param.name not in supplied:
            yield (
                dotted((*parse(where), "values")) if values else where,
                f"the listener requires param {param.name!r} ({param.from_}): set it in values",
            )


# A Job name of a CronJob: <name>-<minutes since the epoch>, 8 digits until 2160.
_JOB_SUFFIX = "-29999999"


def _schedules(bench: Benchmark, names: Names) -> Iterator[Finding]:
    schedules = bench.spec.triggers.schedule or []
    base = bench.metadata.name
    cloud = bench.spec.triggers.cloud_events
    id_param = bench.spec.triggers.webhook.event_id_param
    seen: dict[str, int] = {}
    for i, entry in enumerate(schedules):
        where = f"spec.triggers.schedule[{i}]"
        name = schedule_name(base, entry)
        if len(schedules) > 1 and entry.name is None:
            yield where, "name each schedule ('name') when there are several"
        elif name in seen:
            yield f"{where}.name", f"schedule name {name!r} is used twice (first at [{seen[name]}])"
        seen.setdefault(name, i)
        field = f"{where}.name" if entry.name else "metadata.name"
        supplied: set[str] = set()
        if entry.via == "webhook":
            if len(name) > MAX_CRONJOB_NAME:
                yield (
                    field,
                    f"CronJob name {name!r} is {len(name)} characters long; Kubernetes allows"
                    f" at most {MAX_CRONJOB_NAME} (it appends the Job's time): shorten it",
                )
            if id_param is not None:
                # The CronJob sends its Job's name as the event id.
                supplied.add(id_param)
                sample = name + _JOB_SUFFIX
                param = param_named(bench, id_param)
                room = event_id_max(bench, names)
                if len(sample) > room:
                    yield (
                        field,
                        f"event ids {name}-<8 digits> (the Job names) are {len(sample)} characters"
                        f" long; run names leave room for {room}: shorten the schedule name or"
                        " spec.names.runPrefix",
                    )
                elif param is not None and param.type == "string":
                    problem = listener_value_problem(bench, param, sample)
                    if problem:
                        yield (
                            field,
                            f"the event id {sample!r} (the Job name) {problem}, so param"
                            f" {id_param!r} would refuse it",
                        )
        else:
            if cloud is None:
                yield (
                    f"{where}.via",
                    "pingSource sends to the Broker of spec.triggers.cloudEvents, which is not"
                    " configured: configure it or use via: webhook",
                )
            elif not _accepts_ping(cloud.accept, names.namespace, name):
                source = names.ping_source(name)
                yield (
                    f"{where}.via",
                    f"no entry of spec.triggers.cloudEvents.accept takes the PingSource's"
                    f" events (type {PING_EVENT_TYPE}, source {source}), so the Broker would"
                    f" drop them: add {{type: {PING_EVENT_TYPE}, source: {source}}}",
                )
            if entry.suspend:
                yield f"{where}.suspend", "a PingSource cannot be suspended; use via: webhook"
        yield from _values(bench, entry.values, where, supplied, headers=entry.via == "webhook")


def _accepts_ping(accept: list[AcceptedEventSpec], namespace: str, name: str) -> bool:
    source = f"/apis/v1/namespaces/{namespace}/pingsources/{name}"
    for entry in accept:
        if entry.type is not None and entry.type != PING_EVENT_TYPE:
            continue
        if entry.type_prefix is not None and not PING_EVENT_TYPE.startswith(entry.type_prefix):
            continue
        if entry.source is not None and entry.source != source:
            continue
        return True
    return False


# An id watch-releases makes: <project>-<tag>-<configuration>-<8 hex digits>.
_SAMPLE_RELEASE_ID = "falco-0-39-0-modern-ebpf-1a2b3c4d"


def _releases(bench: Benchmark, names: Names) -> Iterator[Finding]:
    releases = bench.spec.triggers.releases
    if releases is None:
        return
    where = "spec.triggers.releases"
    if len(names.releases) > MAX_CRONJOB_NAME:
        yield (
            "metadata.name",
            f"CronJob name {names.releases!r} is {len(names.releases)} characters long;"
            f" Kubernetes allows at most {MAX_CRONJOB_NAME}: shorten metadata.name",
        )
    id_param = bench.spec.triggers.webhook.event_id_param
    if id_param is None:
        yield (
            where,
            "watching releases needs spec.triggers.webhook.eventIdParam: the event id names the"
            " run, so a release fired again (its state not saved) cannot start a second run",
        )
    else:
        param = param_named(bench, id_param)
        if param is not None and param.type == "string":
            problem = listener_value_problem(bench, param, _SAMPLE_RELEASE_ID)
            if problem:
                yield (
                    "spec.triggers.webhook.eventIdParam",
                    f"watch-releases sends ids like {_SAMPLE_RELEASE_ID!r}, which {problem}:"
                    f" relax param {id_param!r}",
                )
    mapped: dict[str, str] = {}
    roles = releases.params
    for role, name in (
        ("project", roles.project),
        ("version", roles.version),
        ("configuration", roles.configuration),
    ):
        if name is None:
            continue
        at = f"{where}.params.{role}"
        param = param_named(bench, name)
        if param is None:
            yield at, _no_param(bench, name)
            continue
        if param.type != "string":
            yield at, f"param {name!r} must be a string param to carry the {role}"
        if name == id_param:
            yield at, f"param {name!r} is the event id param; use another"
        if name in mapped.values():
            yield at, f"param {name!r} already carries the {_role_of(mapped, name)}"
        mapped[role] = name
    has_configurations = any(p.configurations for p in releases.projects)
    if has_configurations and roles.configuration is None:
        yield (
            f"{where}.params",
            "a project has configurations: set params.configuration to the param that gets them",
        )
    repos: dict[str, int] = {}
    project_param = param_named(bench, roles.project)
    config_param = param_named(bench, roles.configuration) if roles.configuration else None
    for i, project in enumerate(releases.projects):
        at = f"{where}.projects[{i}]"
        key = project.repo.lower()
        if key in repos:
            yield f"{at}.repo", f"{project.repo} is listed twice (first at projects[{repos[key]}])"
        repos.setdefault(key, i)
        if project_param is not None and project_param.type == "string":
            problem = listener_value_problem(bench, project_param, project.project)
            if problem:
                field = f"{at}.name" if project.name is not None else f"{at}.repo"
                yield (
                    field,
                    f"project {project.project!r} {problem}, so param {project_param.name!r}"
                    " would refuse it",
                )
        seen: set[str] = set()
        for j, configuration in enumerate(project.configurations):
            if configuration in seen:
                yield f"{at}.configurations[{j}]", f"{configuration!r} is listed twice"
            seen.add(configuration)
            if config_param is not None and config_param.type == "string":
                problem = listener_value_problem(bench, config_param, configuration)
                if problem:
                    yield (
                        f"{at}.configurations[{j}]",
                        f"{configuration!r} {problem}, so param {config_param.name!r} would"
                        " refuse it",
                    )
    supplied = set(mapped.values()) | ({id_param} if id_param else set())
    yield from _values(bench, releases.values, where, supplied)


def _role_of(mapped: dict[str, str], name: str) -> str:
    return next(role for role, value in mapped.items() if value == name)


def _concurrency(bench: Benchmark, namespace: str) -> Iterator[Finding]:
    concurrency = bench.spec.pipeline.concurrency
    if concurrency is None:
        return
    where = "spec.pipeline.concurrency"
    observe = bench.spec.observe
    observer = observe.observer if observe else None
    if observer is None:
        yield (
            where,
            "runs are created pending and the observer starts them: configure"
            " spec.observe.observer (without it every run would wait forever)",
        )
    elif observer.namespaces and namespace not in observer.namespaces:
        yield (
            "spec.observe.observer.namespaces",
            f"the runs are created in {namespace!r}, which the observer does not watch: add it"
            " (spec.pipeline.concurrency needs the observer to start them)",
        )
    if concurrency.key is None:
        return
    param = param_named(bench, concurrency.key)
    if param is None:
        yield f"{where}.key", _no_param(bench, concurrency.key)
    elif param.type != "string":
        yield f"{where}.key", f"param {param.name!r} must be a string param to be the key"
    elif param.default_text and kube.label_value_problem(param.default_text):
        yield (
            f"spec.params[{_index(bench, param.name)}].default",
            f"{param.default_text!r} is not a valid label value, and {param.name!r} is the"
            " concurrency key",
        )


def _finally(bench: Benchmark) -> Iterator[Finding]:
    fin = bench.spec.pipeline.finally_
    if fin is None:
        return
    where = "spec.pipeline.finally"
    if fin.cleanup is None and fin.notify is None and not fin.tasks:
        yield where, "set 'cleanup', 'notify', 'tasks' or several (or drop spec.pipeline.finally)"
    budget = parse_duration(bench.spec.pipeline.finally_timeout)
    for name, spec in (("cleanup", fin.cleanup), ("notify", fin.notify)):
        if spec is None:
            continue
        needed = parse_duration(spec.timeout) + TASK_OVERHEAD_SECONDS
        if needed > budget:
            yield (
                f"{where}.{name}.timeout",
                f"{spec.timeout} plus {format_duration(TASK_OVERHEAD_SECONDS)} for pod start-up"
                f" does not fit spec.pipeline.finallyTimeout {bench.spec.pipeline.finally_timeout}:"
                f" raise finallyTimeout to at least {format_duration(needed)}",
            )
    if fin.cleanup is None:
        return
    label_safe = label_safe_params(bench)
    for i, target in enumerate(fin.cleanup.delete):
        at = f"{where}.cleanup.delete[{i}]"
        if target.namespace_from_param is not None:
            field = f"{at}.namespaceFromParam"
            param = param_named(bench, target.namespace_from_param)
            if param is None:
                yield field, f"no param named {target.namespace_from_param!r}"
            elif param.type != "string" or param.enum is None:
                yield (
                    field,
                    f"param {param.name!r} needs an enum of namespaces: the clean-up gets a Role"
                    " in each of them, and no other namespace can be named",
                )
            else:
                for value in param.enum:
                    problem = kube.dns1123_label_problem(value)
                    if problem:
                        yield field, f"enum value of param {param.name!r}: {problem}"
                if not param.required and not param.default_text:
                    yield field, _blank(param.name)
        for key, name in target.labels_from_params.items():
            field = dotted((*parse(at), "labelsFromParams", key))
            param = param_named(bench, name)
            if param is None:
                yield field, f"no param named {name!r}"
                continue
            if param.type != "string":
                yield field, f"param {name!r} must be a string param"
                continue
            checked = param.label is not None or param.name in label_safe
            if param.enum is not None:
                bad = [v for v in param.enum if kube.label_value_problem(v)]
                if bad:
                    yield field, f"enum value {bad[0]!r} of param {name!r} is not a label value"
                checked = True
            if not checked:
                yield (
                    field,
                    f"param {name!r} may hold values that are not label values, and the"
                    " clean-up would then fail after the run: give it a 'label' (the listener"
                    " then refuses such values) or an enum",
                )
            if not param.required and not param.default_text:
                yield field, _blank(name)


def _deploy(bench: Benchmark) -> Iterator[Finding]:
    """The deploy step: its key names params that keep it a ConfigMap key, 'set' names
    params and target kinds, and its timeout fits the Pipeline's."""
    deploy = bench.spec.pipeline.deploy
    if deploy is None:
        return
    from generator.contract.apply import Param, key_template

    where = "spec.pipeline.deploy"
    at = f"{where}.manifest.configMap.key"
    label_safe = label_safe_params(bench)
    names = [p.name for p in bench.spec.params]
    for part in key_template(deploy.manifest.config_map.key):
        if not isinstance(part, Param):
            continue
        param = param_named(bench, part.name)
        if param is None:
            yield at, f"{{{part.name}}}: " + _no_param(bench, part.name)
            continue
        if param.type == "string" and not _key_safe(param, label_safe):
            yield (
                at,
                f"{{{param.name}}}: param {param.name!r} may hold characters a ConfigMap key"
                " cannot ('/', ' ', ...), and the deploy step would then fail: give it an"
                " enum, a 'label' (the listener then refuses such values), or a pattern of"
                " letters, digits, '-', '_' and '.' only",
            )
        if not param.required and not param.default_text:
            yield (
                at,
                f"{{{param.name}}}: param {param.name!r} is optional with no default, so the"
                " key may miss a part: make it required or give it a default",
            )
    kinds = [t.kind for t in deploy.targets]
    for i, entry in enumerate(deploy.set_):
        if entry.param not in names:
            yield f"{where}.set[{i}].param", _no_param(bench, entry.param)
        if entry.kind not in kinds:
            yield (
                f"{where}.set[{i}].kind",
                f"{entry.kind!r} is not a target kind, so no such document is ever applied;"
                " targets are: " + ", ".join(dict.fromkeys(kinds)),
            )
    seen: dict[tuple[str, str, str | None], int] = {}
    for i, target in enumerate(deploy.targets):
        key = (target.api_version, target.kind, target.namespace)
        if key in seen:
            yield f"{where}.targets[{i}]", f"the same target as targets[{seen[key]}]"
        seen.setdefault(key, i)
    timeout = parse_duration(deploy.wait.timeout) + TASK_OVERHEAD_SECONDS
    total = parse_duration(bench.spec.pipeline.timeout)
    fin = parse_duration(bench.spec.pipeline.finally_timeout)
    rest = fin
    if bench.spec.orchestrator is not None:
        rest += (
            parse_duration(bench.spec.poll.timeout)
            + parse_duration(bench.spec.orchestrator.submit_timeout)
            + 2 * TASK_OVERHEAD_SECONDS
        )
        if rest > total:
            return  # _timeouts says so already
    if timeout + rest > total:
        yield (
            f"{where}.wait.timeout",
            f"{deploy.wait.timeout} plus {format_duration(TASK_OVERHEAD_SECONDS)} for pod"
            f" start-up does not fit spec.pipeline.timeout {bench.spec.pipeline.timeout}"
            + (" next to submit, wait and" if bench.spec.orchestrator is not None else " next to")
            + f" finally ({format_duration(rest)}): shorten it or raise the Pipeline's"
            f" timeout to at least {format_duration(timeout + rest)}",
        )


# A pattern keeps to ConfigMap key characters when, but for the regular expression's own
# syntax, it holds only such characters (a conservative reading: no '.', no negation).
_CLASS = re.compile(r"\[(\^?)((?:\\.|[^\]\\])*)\]")
_CLASS_OK = re.compile(r"(?:[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9]|\\[.\-_dw]|[-._A-Za-z0-9])*")
_OUTSIDE_OK = re.compile(r"(?:\{\d+(?:,\d*)?\}|\\[.\-_dw]|[-_A-Za-z0-9^$()|?*+])*")


def _key_safe(param: ParamSpec, label_safe: set[str]) -> bool:
    """Whether every value the listener accepts for ``param`` is a run of ConfigMap key
    characters (the listener refuses the others)."""
    if param.enum is not None:
        return all(not kube.config_map_key_problem(v) for v in param.enum)
    if param.label is not None or param.name in label_safe:
        return True  # a label value: letters, digits, '-', '_', '.'
    if param.pattern is None:
        return False
    outside = ""
    at = 0
    for match in _CLASS.finditer(param.pattern):
        if match.group(1) or not _CLASS_OK.fullmatch(match.group(2)):
            return False
        outside += param.pattern[at : match.start()]
        at = match.end()
    outside += param.pattern[at:]
    return bool(_OUTSIDE_OK.fullmatch(outside.replace("(?:", "(")))


def _blank(name: str) -> str:
    return (
        f"param {name!r} is optional with no default, so its value may be empty, which the"
        " clean-up refuses (an empty selector value would match too much) after the run:"
        " make it required or give it a default"
    )


def _resources(bench: Benchmark) -> Iterator[Finding]:
    """Kubernetes refuses a pod whose memory request is above its limit."""
    observe = bench.spec.observe
    for where, res in (
        ("spec.pipeline.resources", bench.spec.pipeline.resources),
        ("spec.observe.resources", observe.resources if observe else None),
    ):
        if res is not None and quantity_value(res.memory_request) > quantity_value(
            res.memory_limit
        ):
            yield (
                f"{where}.memoryRequest",
                f"{res.memory_request} is more than memoryLimit {res.memory_limit}, which"
                " Kubernetes refuses: lower the request or raise the limit",
            )


# Tekton's param and result names (ParamNameFormat, ResultNameFormat).
_TEKTON_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.-]*")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256, as Tekton's git resolver
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")
_HUB_VERSION = re.compile(r"\d+(\.\d+)*")
# Each resolver's params (Tekton Pipelines docs/<resolver>-resolver.md, v1.15) and the ones
# a pinned reference needs.
RESOLVER_PARAMS = {
    "cluster": ("kind", "name", "namespace", "cache"),
    "git": (
        "url",
        "repo",
        "org",
        "token",
        "tokenKey",
        "gitToken",
        "gitTokenKey",
        "revision",
        "pathInRepo",
        "serverURL",
        "scmType",
        "cache",
    ),
    "bundles": ("secret", "bundle", "name", "kind", "cache"),
    "hub": ("catalog", "type", "kind", "name", "version", "url"),
}
_RESOLVER_NEEDS = {
    "cluster": ("kind", "name", "namespace"),
    "git": ("revision", "pathInRepo"),
    "bundles": ("bundle", "name"),
    "hub": ("name", "version"),
}


# The results of benchgen's own tasks a user's task may reference.
_BUILTIN_RESULTS = {
    "submit": [r.name for r in SUBMIT.results],
    "wait": [r.name for r in WAIT.results],
    DEPLOY_TASK: [r.name for r in APPLY.results],
}


def _task_name(
    listing: str, i: int, name: str, seen: dict[str, int], kind: str
) -> Iterator[Finding]:
    """Task ``i`` of ``listing`` is named apart from benchgen's tasks and from the
    earlier ones (``seen``: name -> first index, updated here)."""
    at = f"{listing}[{i}].name"
    if name in BUILTIN_TASKS:
        yield at, f"{name!r} is benchgen's own task: choose another name"
    elif name in FINALLY_TASKS:
        yield at, f"{name!r} is one of benchgen's finally tasks: choose another name"
    elif name in seen:
        yield at, f"duplicate {kind} name {name!r} (first at {listing}[{seen[name]}])"
    seen.setdefault(name, i)


def _user_tasks(bench: Benchmark) -> Iterator[Finding]:
    """The user's own Tasks: names, references, params, ordering."""
    tasks = bench.spec.pipeline.tasks
    params = [p.name for p in bench.spec.params]
    builtin = builtin_tasks(bench)
    own = [t.name for t in tasks]
    finally_names = (*FINALLY_TASKS, *_finally_names(bench))
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        at = f"spec.pipeline.tasks[{i}]"
        yield from _task_name("spec.pipeline.tasks", i, task.name, seen, "task")
        yield from _task_ref(f"{at}.taskRef", task.task_ref)
        others = list(dict.fromkeys([*builtin, *(n for n in own if n != task.name)]))
        for key, value in task.params.items():
            field = dotted((*parse(at), "params", key))
            if not _TEKTON_NAME.fullmatch(key):
                yield (
                    field,
                    f"{key!r} is not a Tekton param name: start with a letter or '_', then"
                    " letters, digits, '_', '-' or '.'",
                )
            if value.param is not None and value.param not in params:
                yield field, f"no param named {value.param!r}; params are: " + ", ".join(params)
            if value.status is not None or value.aggregate_status:
                yield (
                    field,
                    "only a finally task can read a status (Tekton knows it when every task"
                    " is done): read a param or a result here, or move the task to"
                    " spec.pipeline.finally.tasks",
                )
            if value.task is None or value.result is None or value.task == task.name:
                continue  # its own result: a cycle, reported below
            if value.task in finally_names:
                yield (
                    field,
                    f"{value.task!r} is a finally task, which runs after every task: its"
                    " results cannot be read here",
                )
            elif value.task not in others:
                yield (
                    field,
                    f"no task named {value.task!r} to read result {value.result!r} from; tasks"
                    " are: " + ", ".join(others),
                )
            elif (
                value.task in _BUILTIN_RESULTS and value.result not in _BUILTIN_RESULTS[value.task]
            ):
                yield (
                    field,
                    f"task {value.task!r} has no result {value.result!r}; its results are: "
                    + ", ".join(_BUILTIN_RESULTS[value.task]),
                )
            elif not _TEKTON_NAME.fullmatch(value.result):
                yield field, f"{value.result!r} is not a Tekton result name"
        for j, after in enumerate(task.run_after):
            if after != task.name and after not in others:
                yield (
                    f"{at}.runAfter[{j}]",
                    f"no task named {after!r}; tasks are: " + ", ".join(others),
                )
        yield from _when(bench, at, task)
        if task.timeout is not None and parse_duration(task.timeout) > parse_duration(
            bench.spec.pipeline.timeout
        ):
            yield (
                f"{at}.timeout",
                f"{task.timeout} is longer than spec.pipeline.timeout"
                f" {bench.spec.pipeline.timeout}: shorten it or raise the Pipeline's",
            )
        yield from _task_workspaces(bench, at, task)
    yield from _cycles(tasks)


def _finally_names(bench: Benchmark) -> list[str]:
    fin = bench.spec.pipeline.finally_
    return [t.name for t in fin.tasks] if fin is not None else []


def _task_workspaces(bench: Benchmark, at: str, task: UserTaskSpec) -> Iterator[Finding]:
    """Each workspace of the user's Task names a workspace of spec.pipeline.workspaces."""
    declared = [w.name for w in bench.spec.pipeline.workspaces]
    for key, use in task.workspaces.items():
        field = dotted((*parse(at), "workspaces", key))
        if kube.dns1123_label_problem(key) is not None:
            yield (
                field,
                f"{key!r} is not a workspace name: lower-case letters, digits and '-' (as the"
                " Task declares it)",
            )
        if use.workspace not in declared:
            yield (
                f"{field}.workspace",
                f"no workspace named {use.workspace!r} in spec.pipeline.workspaces"
                + (
                    ": declared are " + ", ".join(dict.fromkeys(declared))
                    if declared
                    else ": declare it there"
                ),
            )


def _workspaces(bench: Benchmark) -> Iterator[Finding]:
    """spec.pipeline.workspaces: unique, and each used by some task (an unused one is
    refused, not just warned about: it is a typo or a leftover, and a volumeClaimTemplate
    would still cost a volume per run if Tekton bound it)."""
    fin = bench.spec.pipeline.finally_
    tasks = [
        *bench.spec.pipeline.tasks,
        *(fin.tasks if fin is not None else []),
        *(t for v in bench.spec.pipeline.variants for t in v.tasks),
    ]
    used = {use.workspace for t in tasks for use in t.workspaces.values()}
    seen: dict[str, int] = {}
    for i, workspace in enumerate(bench.spec.pipeline.workspaces):
        at = f"spec.pipeline.workspaces[{i}]"
        if workspace.name in seen:
            yield (
                f"{at}.name",
                f"duplicate workspace {workspace.name!r} (first at"
                f" spec.pipeline.workspaces[{seen[workspace.name]}])",
            )
            continue
        seen[workspace.name] = i
        if workspace.name not in used:
            yield (
                f"{at}.name",
                f"no task uses workspace {workspace.name!r}: map it in a task's 'workspaces'"
                " ({<the Task's workspace>: {workspace: " + workspace.name + "}}) or remove it",
            )


def _user_finally(bench: Benchmark) -> Iterator[Finding]:
    """spec.pipeline.finally.tasks, against the default Pipeline and every variant's."""
    found = list(_finally_tasks(bench, ""))
    yield from found
    located = {field for field, _ in found}
    for variant in bench.spec.pipeline.variants:
        # Each variant's Pipeline has the same finally, its own tasks: a reference to a
        # task only the default Pipeline has would break the variant's. A reference that
        # is wrong for the default Pipeline too is reported once, above.
        for field, message in _finally_tasks(variant_bench(bench, variant), variant.name):
            if field not in located:
                located.add(field)
                yield field, message


def _finally_tasks(bench: Benchmark, variant: str) -> Iterator[Finding]:
    """The user's finally Tasks: names apart from every task, no runAfter, references only
    to the Pipeline's tasks (never to a finally task). ``variant``: the Pipeline checked,
    named in messages about its tasks ('' for the default one, whose own problems these
    are: the variants' add only the references their tasks break)."""
    fin = bench.spec.pipeline.finally_
    if fin is None:
        return
    params = [p.name for p in bench.spec.params]
    pipeline_tasks = list(
        dict.fromkeys([*builtin_tasks(bench), *(t.name for t in bench.spec.pipeline.tasks)])
    )
    own_finally = [t.name for t in fin.tasks]
    in_variant = f" in the Pipeline of variant {variant!r}" if variant else ""
    budget = parse_duration(bench.spec.pipeline.finally_timeout)
    seen: dict[str, int] = {}
    for i, task in enumerate(fin.tasks):
        at = f"spec.pipeline.finally.tasks[{i}]"
        if not variant:
            yield from _task_name("spec.pipeline.finally.tasks", i, task.name, seen, "finally task")
            if task.run_after:
                yield (
                    f"{at}.runAfter",
                    "finally tasks all start when the Pipeline's tasks are done, in parallel;"
                    " Tekton refuses runAfter here: remove it",
                )
            yield from _task_ref(f"{at}.taskRef", task.task_ref)
            if task.timeout is not None and parse_duration(task.timeout) > budget:
                yield (
                    f"{at}.timeout",
                    f"{task.timeout} is longer than spec.pipeline.finallyTimeout"
                    f" {bench.spec.pipeline.finally_timeout}: shorten it or raise finallyTimeout",
                )
            yield from _task_workspaces(bench, at, task)
            yield from _when(bench, at, task)
        if task.name in pipeline_tasks and task.name not in BUILTIN_TASKS:
            yield (
                f"{at}.name",
                f"{task.name!r} is also a task of the Pipeline{in_variant}: choose another name",
            )
        for key, value in task.params.items():
            field = dotted((*parse(at), "params", key))
            if not variant:
                if not _TEKTON_NAME.fullmatch(key):
                    yield (
                        field,
                        f"{key!r} is not a Tekton param name: start with a letter or '_', then"
                        " letters, digits, '_', '-' or '.'",
                    )
                if value.param is not None and value.param not in params:
                    yield (
                        field,
                        f"no param named {value.param!r}; params are: " + ", ".join(params),
                    )
            read = value.task if value.result is not None else value.status
            if read is None:
                continue
            what = f"result {value.result!r}" if value.result is not None else "the status"
            if read in FINALLY_TASKS or (read in own_finally and read not in pipeline_tasks):
                if not variant:
                    yield (
                        field,
                        f"{read!r} is a finally task: finally tasks run at once, so one cannot"
                        f" read {what} of another; read the Pipeline's tasks",
                    )
            elif read not in pipeline_tasks:
                yield (
                    field,
                    f"no task named {read!r}{in_variant} to read {what} of; tasks are: "
                    + ", ".join(pipeline_tasks),
                )
            elif (
                value.result is not None
                and read in _BUILTIN_RESULTS
                and value.result not in _BUILTIN_RESULTS[read]
            ):
                yield (
                    field,
                    f"task {read!r} has no result {value.result!r}; its results are: "
                    + ", ".join(_BUILTIN_RESULTS[read]),
                )
            elif value.result is not None and not _TEKTON_NAME.fullmatch(value.result):
                yield field, f"{value.result!r} is not a Tekton result name"


def _when(bench: Benchmark, at: str, task: UserTaskSpec) -> Iterator[Finding]:
    """A task's when expressions: a param, and values it can have."""
    params = [p.name for p in bench.spec.params]
    for j, when in enumerate(task.when):
        param = param_named(bench, when.param)
        if param is None:
            yield (
                f"{at}.when[{j}].param",
                f"no param named {when.param!r}; params are: " + ", ".join(params),
            )
            continue
        allowed = ["true", "false"] if param.type == "boolean" else param.enum
        never = [v for v in when.values if allowed is not None and v not in allowed]
        if never:
            yield (
                f"{at}.when[{j}].values",
                f"param {param.name!r} never has the value {never[0]!r}; its values are: "
                + ", ".join(allowed or []),
            )
        for k, text in enumerate(when.values):
            if "$(" in text:
                yield f"{at}.when[{j}].values[{k}]", "a fixed value, not a $(...) substitution"


def _task_ref(at: str, ref: TaskRefSpec) -> Iterator[Finding]:
    """A resolver reference must be pinned: the same run resolves the same Task."""
    if ref.resolver is None:
        return
    known = RESOLVER_PARAMS[ref.resolver]
    for key, value in ref.params.items():
        field = dotted((*parse(at), "params", key))
        if key not in known:
            yield (
                field,
                f"the {ref.resolver} resolver has no param {key!r}; its params: "
                + (", ".join(known)),
            )
        elif "$(" in value:
            yield field, "a fixed value, not a $(...) substitution"
    missing = [k for k in _RESOLVER_NEEDS[ref.resolver] if k not in ref.params]
    if missing:
        yield (
            f"{at}.params",
            f"a pinned {ref.resolver} reference needs " + ", ".join(repr(k) for k in missing),
        )
    got = ref.params
    kind = got.get("kind")
    if kind is not None and kind != "task":
        yield dotted((*parse(at), "params", "kind")), f"{kind!r}: only 'task' can be a task here"
    if ref.resolver == "git":
        if "url" not in got and "repo" not in got:
            yield f"{at}.params", "set 'url' (anonymous clone) or 'repo' (with 'org')"
        revision = got.get("revision")
        if revision is not None and not _COMMIT.fullmatch(revision):
            yield (
                f"{at}.params.revision",
                f"{revision!r} is not pinned: give the full commit SHA (40 hex digits, or 64"
                " for SHA-256), not a branch or tag, which can move",
            )
    elif ref.resolver == "bundles":
        bundle = got.get("bundle")
        if bundle is not None and not _DIGEST.search(bundle):
            yield (
                f"{at}.params.bundle",
                f"{bundle!r} is not pinned: reference the bundle by digest,"
                " <image>@sha256:<64 hex digits>",
            )
    elif ref.resolver == "hub":
        version = got.get("version")
        if version is not None and not _HUB_VERSION.fullmatch(version):
            yield (
                f"{at}.params.version",
                f"{version!r} is not pinned: give one exact version (e.g. 0.9), not a constraint",
            )
    elif ref.resolver == "cluster":
        namespace = got.get("namespace")
        problem = namespace is not None and kube.dns1123_label_problem(namespace)
        if problem:
            yield f"{at}.params.namespace", problem


def _cycles(tasks: list[UserTaskSpec]) -> Iterator[Finding]:
    """Each cycle of runAfter and result references once, at its first task in config order."""
    index = {t.name: i for i, t in reversed(list(enumerate(tasks)))}
    edges: dict[str, list[str]] = {}
    for t in tasks:  # a duplicate name (reported) adds its edges to the first's
        edges.setdefault(t.name, []).extend(
            [*t.run_after, *(v.task for v in t.params.values() if v.task and v.result)]
        )
    reported: set[frozenset[str]] = set()
    for start in index:
        for cycle in _cycles_from(start, edges):
            key = frozenset(cycle)
            if key in reported or min(index[n] for n in cycle) != index[start]:
                continue
            reported.add(key)
            path = " -> ".join([*cycle, cycle[0]])
            yield (
                f"spec.pipeline.tasks[{index[start]}]",
                f"cycle of runAfter and result references: {path}; Tekton would never start"
                " these tasks: remove one of the references",
            )


def _cycles_from(start: str, edges: dict[str, list[str]]) -> Iterator[list[str]]:
    """Cycles through ``start``: paths start -> ... -> start along edges between user tasks."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                yield path
            elif nxt in edges and nxt not in visited and nxt not in path:
                visited.add(nxt)
                stack.append((nxt, [*path, nxt]))


def _variants(bench: Benchmark, names: Names) -> Iterator[Finding]:
    """spec.pipeline.variants: names, the names derived from them, their own Tasks."""
    select = bench.spec.triggers.select
    selected = set(select.cases.values()) if select is not None else set()
    seen: dict[str, int] = {}
    for i, variant in enumerate(bench.spec.pipeline.variants):
        at = f"spec.pipeline.variants[{i}]"
        if variant.name == DEFAULT:
            yield (
                f"{at}.name",
                f"{DEFAULT!r} names the Pipeline of spec.pipeline.tasks: choose another name",
            )
            continue
        if variant.name in seen:
            yield (
                f"{at}.name",
                f"duplicate variant {variant.name!r} (first at spec.pipeline.variants"
                f"[{seen[variant.name]}])",
            )
            continue
        seen[variant.name] = i
        derived = variant_names(names, variant.name)
        derived_names = [derived.pipeline, derived.template]
        if bench.spec.triggers.cloud_events is not None:
            derived_names.append(derived.events_template)
        for name in derived_names:
            problem = kube.dns1123_label_problem(name)
            if problem:
                yield f"{at}.name", f"derived name {problem}; shorten the variant's name"
                break
        if variant.name not in selected:
            yield (
                f"{at}.name",
                f"no event selects variant {variant.name!r}: name it in"
                " spec.triggers.select.cases, or remove it",
            )
        if bench.spec.orchestrator is None and not variant.tasks:
            yield (
                f"{at}.tasks",
                "the Pipeline would run nothing: without spec.orchestrator a variant needs"
                " its own Tasks",
            )
        # The checks of spec.pipeline.tasks, on the variant's config, located at its Tasks.
        origin, here = "spec.pipeline.tasks", f"{at}.tasks"
        for field, message in _user_tasks(variant_bench(bench, variant)):
            yield field.replace(origin, here, 1), message.replace(origin, here)
        yield from _fixed_params(bench, variant, at)


def _fixed_params(bench: Benchmark, variant: PipelineVariantSpec, at: str) -> Iterator[Finding]:
    """A variant's fixed values: a param its Pipeline uses, a value the param allows."""
    used = run_params(variant_bench(bench, variant))
    id_param = bench.spec.triggers.webhook.event_id_param
    for name, value in variant.params.items():
        field = dotted((*parse(at), "params", name))
        param = param_named(bench, name)
        if param is None:
            yield field, _no_param(bench, name)
            continue
        if name == id_param:
            yield (
                field,
                f"{name!r} is spec.triggers.webhook.eventIdParam, which names each run: a"
                " fixed value would give every run the same name",
            )
            continue
        if name not in used and not param.label and not param.annotation:
            yield (
                field,
                f"the Pipeline of variant {variant.name!r} does not use param {name!r}:"
                " fixing it changes nothing; remove it",
            )
        if isinstance(value, bool) != (param.type == "boolean"):
            yield (
                field,
                f"param {name!r} is a {param.type} param: give "
                + ("true or false" if param.type == "boolean" else "a string (quote it)"),
            )
            continue
        text = str(value).lower() if isinstance(value, bool) else value
        problem = (
            "is empty: a fixed value is passed as it is (no default applies)"
            if text == ""
            else listener_value_problem(bench, param, text)
        )
        if problem:
            yield field, f"{text!r} {problem}, so param {name!r} would never have it"


def _select(bench: Benchmark) -> Iterator[Finding]:
    """spec.triggers.select: each case names a Pipeline; every event source can carry it."""
    select = bench.spec.triggers.select
    if select is None:
        return
    at = "spec.triggers.select"
    known = list(dict.fromkeys([DEFAULT, *(v.name for v in bench.spec.pipeline.variants)]))
    for value, target in select.cases.items():
        where = dotted((*parse(at), "cases", value))
        if not value.strip():
            yield where, "an empty or blank value selects nothing: give the event's value"
        elif select.from_ == CE_SUBJECT_SOURCE and len(value) > _MAX_SUBJECT:
            yield where, f"longer than {_MAX_SUBJECT} characters, which the listener refuses"
        if target not in known:
            yield (
                where,
                f"no Pipeline named {target!r}: use {DEFAULT!r} or a name in"
                " spec.pipeline.variants (" + ", ".join(known) + ")",
            )
    triggers = bench.spec.triggers
    senders = [
        field
        for field, present in (
            ("spec.triggers.schedule", triggers.schedule),
            ("spec.triggers.releases", triggers.releases),
        )
        if present
    ]
    if senders:
        yield (
            f"{at}.from",
            f"the events of {' and '.join(senders)} carry no {select.from_} value, so they"
            " would start nothing: leave out select or those triggers",
        )


_MAX_SUBJECT = 1024  # the events listener bounds Ce-Subject (cel.MAX_ATTRIBUTE_LENGTH)


def _probes(bench: Benchmark) -> Iterator[Finding]:
    """A health probe type must not be a type that starts runs, and something must."""
    cloud = bench.spec.triggers.cloud_events
    if cloud is None:
        return
    runs = [(i, a) for i, a in enumerate(cloud.accept) if not a.probe]
    if not runs:
        yield (
            "spec.triggers.cloudEvents.accept",
            "every entry is a probe, so no CloudEvent would start a run: accept a type"
            " without 'probe: true'",
        )
    for i, probe in enumerate(cloud.accept):
        if not probe.probe:
            continue
        for j, run in runs:
            if _types_overlap(probe, run):
                yield (
                    f"spec.triggers.cloudEvents.accept[{i}].probe",
                    f"{probe.type_text!r} is also a type that starts runs (accept[{j}]:"
                    f" {run.type_text!r}): give the probe a type of its own",
                )
                break


def _webhook_probe(bench: Benchmark) -> Iterator[Finding]:
    """The probe header must reach the probe check and mark nothing that starts runs."""
    webhook = bench.spec.triggers.webhook
    probe = webhook.probe
    if probe is None:
        return
    at = "spec.triggers.webhook.probe"
    header = probe.header.lower()
    auth = webhook.auth
    if auth.type == "token" and auth.header.lower() == header:
        yield (
            f"{at}.header",
            f"{probe.header!r} carries the webhook token (auth.header): choose the header"
            " that marks a probe",
        )
    if auth.type in ("github", "gitlab") and auth.event_types is not None:
        event_header = "x-github-event" if auth.type == "github" else "x-gitlab-event"
        if header == event_header and not set(probe.values) & set(auth.event_types):
            yield (
                f"{at}.values",
                f"the {auth.type} interceptor refuses event types not in auth.eventTypes before"
                " the probe is answered: add " + repr(probe.values[0]) + " to"
                " spec.triggers.webhook.auth.eventTypes",
            )
    select = bench.spec.triggers.select
    if select is not None and select.from_.lower() == f"header.{header}":
        for value in select.cases:
            if value in probe.values:
                yield (
                    dotted(("spec", "triggers", "select", "cases", value)),
                    f"{value!r} marks a probe ({at}), which starts no run: remove the case",
                )


def _types_overlap(a: AcceptedEventSpec, b: AcceptedEventSpec) -> bool:
    """Some event type matches both entries (exact type or prefix), sources aside."""
    if a.type is not None and b.type is not None:
        return a.type == b.type
    if a.type is not None:
        return a.type.startswith(str(b.type_prefix))
    if b.type is not None:
        return b.type.startswith(str(a.type_prefix))
    first, second = str(a.type_prefix), str(b.type_prefix)
    return first.startswith(second) or second.startswith(first)


def _record_refusals(bench: Benchmark) -> Iterator[Finding]:
    """The recorder's Service is <metadata.name>-refusals: a DNS-1035 label."""
    if not bench.spec.triggers.webhook.record_refusals.enabled:
        return
    problem = kube.dns1035_label_problem(bench.metadata.name + refusals_contract.SUFFIX)
    if problem:
        yield (
            "spec.triggers.webhook.recordRefusals.enabled",
            f"derived name {problem}; shorten metadata.name or turn recordRefusals off",
        )
