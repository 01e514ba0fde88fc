"""Schedules and release watching: CronJobs, Knative PingSources, the releases state.

A schedule with ``via: webhook`` is a CronJob running ``benchgen-poller send``:
an event to the webhook listener, authenticated exactly like any caller (the
webhook Secret mounted read-only), so it goes through the same CEL checks.
With an event id the run's name is known (``runPrefix`` + the Job's name), and
``send`` waits for that PipelineRun to exist, sending the same event again while
it does not (Triggers answers 202 before it creates the run, and never
retries): it runs as its own ServiceAccount, which may only get PipelineRuns.
``via: pingSource`` is a Knative PingSource sending a CloudEvent to the
Broker. ``spec.triggers.releases`` is a CronJob running
``benchgen-poller watch-releases``, with its state in a ConfigMap rendered
without ``data`` (so applying the manifests again never resets it). Env and
args are those of docs/runtime-interface.md; every body was checked against the
params contract at render time (checks.py).
"""

from __future__ import annotations

import json
from typing import Any

from generator.compile import pods
from generator.compile.meta import Manifest, manifest, metadata
from generator.config.facts import event_id_max
from generator.config.names import ROLE_LABEL, Names, schedule_name
from generator.contract import env as var
from generator.contract import releases as release_spec
from generator.contract.commands import POLLER, SEND, WATCH_RELEASES
from generator.contract.durations import whole_seconds

TYPE_CHECKING = False
if TYPE_CHECKING:
    from generator.config.models import Benchmark

SOURCES = "sources.knative.dev/v1"
EVENTING = "eventing.knative.dev/v1"
WEBHOOK_DIR = "/var/run/benchgen/webhook"
GITHUB_DIR = "/var/run/benchgen/github"
# The Job controller labels each pod with its Job's name: the same on every retry.
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
HISTORY = 3  # finished Jobs kept, each way: enough to read why the last ones failed
# One Job: each pod sends at most --sends (3) times, each send retried for at most
# --timeout (2m) and followed by at most --run-wait (75s) for the run: 585 s.
SEND_DEADLINE = 600
WATCH_DEADLINE = 1800  # every project, with rate limits and retries


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def event_of(
    bench: Benchmark, values: dict[str, str | bool]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(JSON body, headers) carrying ``values`` where the params read them (their ``from``)."""
    params = {p.name: p for p in bench.spec.params}
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name in sorted(values):
        param = params[name]
        value = values[name]
        if param.type == "boolean":
            typed: Any = value if isinstance(value, bool) else str(value).lower() == "true"
        else:
            typed = value
        kind, _, rest = param.from_.partition(".")
        if kind == "header":
            headers[rest] = str(typed).lower() if isinstance(typed, bool) else typed
            continue
        node = body
        *parents, leaf = rest.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = typed
    return body, headers


def _auth_env(bench: Benchmark) -> tuple[list[Manifest], list[Manifest], list[Manifest]]:
    """(env, volumes, mounts) authenticating like the webhook's callers."""
    auth = bench.spec.triggers.webhook.auth
    env: list[Manifest] = [{"name": var.AUTH_TYPE, "value": auth.type}]
    # By tag, not isinstance: the plugin's fast path passes lite.py's twins.
    if auth.type == "none":
        return env, [], []
    ref = auth.secret_ref
    env.append({"name": var.AUTH_FILE, "value": f"{WEBHOOK_DIR}/{ref.key}"})
    if auth.type == "token":
        env.append({"name": var.AUTH_HEADER, "value": auth.header})
    if (auth.type == "github" or auth.type == "gitlab") and auth.event_types:
        env.append({"name": var.EVENT_TYPE, "value": auth.event_types[0]})
    volume = pods.secret_volume("webhook-secret", ref.name, ref.key)
    mount = {"name": "webhook-secret", "mountPath": WEBHOOK_DIR, "readOnly": True}
    return env, [volume], [mount]


def _event_env(bench: Benchmark, values: dict[str, str | bool]) -> list[Manifest]:
    body, headers = event_of(bench, values)
    env: list[Manifest] = []
    if body:
        env.append({"name": var.EVENT_BODY, "value": _compact(body)})
    if headers:
        env.append({"name": var.EVENT_HEADERS, "value": _compact(headers)})
    return env


def _id_env(bench: Benchmark, names: Names) -> list[Manifest]:
    id_param = bench.spec.triggers.webhook.event_id_param
    if id_param is None:
        return []
    param = next(p for p in bench.spec.params if p.name == id_param)
    return [
        {"name": var.EVENT_ID_FIELD, "value": param.from_},
        {"name": var.EVENT_ID_MAX, "value": str(event_id_max(bench, names))},
    ]


def _run_env(names: Names) -> list[Manifest]:
    """Where the run of an event with an id appears (the TriggerTemplate names it)."""
    return [
        {"name": var.RUN_PREFIX, "value": names.run_prefix},
        {"name": var.NAMESPACE, "value": names.namespace},
    ]


def uses_schedule_account(bench: Benchmark) -> bool:
    """A CronJob sends events with an id, so it looks for their runs as ``names.schedule``."""
    schedules = bench.spec.triggers.schedule or []
    return bench.spec.triggers.webhook.event_id_param is not None and any(
        entry.via != "pingSource" for entry in schedules
    )


def _cron_job(
    bench: Benchmark,
    names: Names,
    name: str,
    role: str,
    *,
    cron: str,
    time_zone: str,
    starting_deadline: str,
    suspend: bool,
    container: Manifest,
    volumes: list[Manifest],
    account: str,
    token: bool,
    backoff_limit: int,
    deadline: int,
) -> Manifest:
    pod_labels = dict(sorted({**names.labels, ROLE_LABEL: role}.items()))
    pod_spec: Manifest = {
        "serviceAccountName": account,
        "automountServiceAccountToken": token,
        "restartPolicy": "Never",
        "securityContext": pods.pod_security(fs_group=True),
        "containers": [container],
        "volumes": [*volumes, pods.TMP_VOLUME],
    }
    job_spec: Manifest = {
        "backoffLimit": backoff_limit,
        "activeDeadlineSeconds": deadline,
        # Refused (1) or bad input (2): another pod would get the same answer.
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": container["name"],
                        "operator": "In",
                        "values": [1, 2] if role == "schedule" else [2],
                    },
                }
            ]
        },
        "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
    }
    spec: Manifest = {
        "schedule": cron,
        "timeZone": time_zone,
        # Never two at once: a slow send or check is not overtaken by the next one.
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": whole_seconds(starting_deadline),
        "successfulJobsHistoryLimit": HISTORY,
        "failedJobsHistoryLimit": HISTORY,
    }
    if suspend:
        spec["suspend"] = True
    spec["jobTemplate"] = {"metadata": {"labels": dict(names.labels)}, "spec": job_spec}
    return manifest("batch/v1", "CronJob", metadata(names, name), spec=spec)


def _container(
    bench: Benchmark, name: str, args: list[str], env: list[Manifest], mounts: list[Manifest]
) -> Manifest:
    return {
        "name": name,
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": args,
        "env": env,
        "resources": pods.container_resources(bench.spec.pipeline.resources),
        "securityContext": pods.container_security(),
        "volumeMounts": [*mounts, pods.TMP_MOUNT],
    }


def build_schedules(bench: Benchmark, names: Names) -> list[Manifest]:
    out: list[Manifest] = []
    for entry in bench.spec.triggers.schedule or []:
        name = schedule_name(names.base, entry)
        if entry.via == "pingSource":
            out.append(_ping_source(bench, names, name, entry.cron, entry.time_zone, entry.values))
            continue
        auth_env, volumes, mounts = _auth_env(bench)
        env = [
            {"name": var.LISTENER_URL, "value": names.listener_url},
            *_event_env(bench, entry.values),
            *auth_env,
        ]
        id_env = _id_env(bench, names)
        if id_env:
            # The Job's name is the event id: a retried pod sends the same id, so the
            # listener names the same run and the API server refuses a second one.
            id_source = {"fieldRef": {"fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}}
            env += [
                *id_env,
                {"name": var.EVENT_ID, "valueFrom": id_source},
                # The run's name and namespace: send waits for it to exist.
                *_run_env(names),
            ]
        container = _container(bench, SEND.name, [SEND.name], env, mounts)
        out.append(
            _cron_job(
                bench,
                names,
                name,
                "schedule",
                cron=entry.cron,
                time_zone=entry.time_zone,
                starting_deadline=entry.starting_deadline,
                suspend=entry.suspend,
                container=container,
                volumes=volumes,
                # With an id it looks for the run (get pipelineruns); without, it reads nothing.
                account=names.schedule if id_env else names.runner_service_account,
                token=bool(id_env),
                # Retrying is only safe when the id makes a repeated event harmless.
                backoff_limit=2 if id_env else 0,
                deadline=SEND_DEADLINE,
            )
        )
    return out


def _ping_source(
    bench: Benchmark,
    names: Names,
    name: str,
    cron: str,
    time_zone: str,
    values: dict[str, str | bool],
) -> Manifest:
    body, _ = event_of(bench, values)
    spec = {
        "schedule": cron,
        "timezone": time_zone,
        "contentType": "application/json",
        "data": _compact(body),
        "sink": {"ref": {"apiVersion": EVENTING, "kind": "Broker", "name": names.broker}},
    }
    return manifest(SOURCES, "PingSource", metadata(names, name), spec=spec)


def build_releases(bench: Benchmark, names: Names) -> list[Manifest]:
    releases = bench.spec.triggers.releases
    if releases is None:
        return []
    params = {p.name: p for p in bench.spec.params}
    projects = [
        release_spec.Project(p.repo, p.name, tuple(p.configurations), p.tag_pattern)
        for p in releases.projects
    ]
    where = releases.params
    fields = release_spec.Fields(
        params[where.project].from_,
        params[where.version].from_,
        params[where.configuration].from_ if where.configuration else None,
    )
    auth_env, volumes, mounts = _auth_env(bench)
    env: list[Manifest] = [
        {"name": var.GITHUB_API, "value": releases.api_url},
        {"name": var.RELEASES, "value": release_spec.encode_projects(projects)},
        {"name": var.RELEASE_FIELDS, "value": release_spec.encode_fields(fields)},
        {"name": var.STATE_CONFIGMAP, "value": names.releases_state},
        {"name": var.NAMESPACE, "value": names.namespace},
        {"name": var.LISTENER_URL, "value": names.listener_url},
        *_event_env(bench, releases.values),
        *auth_env,
        *_id_env(bench, names),
        # An event counts as fired once its run exists (BENCHGEN_NAMESPACE is above).
        {"name": var.RUN_PREFIX, "value": names.run_prefix},
    ]
    if releases.token_secret_ref is not None:
        ref = releases.token_secret_ref
        env.append({"name": var.GITHUB_TOKEN_FILE, "value": f"{GITHUB_DIR}/{ref.key}"})
        volumes.append(pods.secret_volume("github-token", ref.name, ref.key))
        mounts.append({"name": "github-token", "mountPath": GITHUB_DIR, "readOnly": True})
    name = WATCH_RELEASES.name
    container = _container(bench, name, [name], env, mounts)
    job = _cron_job(
        bench,
        names,
        names.releases,
        "releases",
        cron=releases.cron,
        time_zone=releases.time_zone,
        starting_deadline=releases.starting_deadline,
        suspend=False,
        container=container,
        volumes=volumes,
        account=names.releases,
        token=True,
        # The next scheduled check retries whatever failed (it is not recorded as fired).
        backoff_limit=0,
        deadline=WATCH_DEADLINE,
    )
    return [job]  # its state ConfigMap is in configmaps.py


def releases_warnings(bench: Benchmark, names: Names) -> list[str]:
    releases = bench.spec.triggers.releases
    if releases is None:
        return []
    version = next((p for p in bench.spec.params if p.name == releases.params.version), None)
    constrained = version is not None and (
        version.pattern is not None or version.enum is not None or version.max_length is not None
    )
    loose = [p.repo for p in releases.projects if p.tag_pattern is None]
    if constrained and loose and version is not None:
        return [
            f"param {version.name!r} constrains the version, but {', '.join(loose)} has no"
            " tagPattern: a release tag the listener refuses fails every check until a newer"
            " release; set tagPattern to match the param"
        ]
    return []
