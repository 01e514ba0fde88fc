"""Issue 9's rendered objects, run as they declare themselves.

test_releases.py, test_concurrency.py and test_cleanup.py check the runtime
against docs/runtime-interface.md with hand-written env and RBAC; this test
checks the generator's side of the same contract, like
test_rendered_controller.py does for issue 8: a golden config is rendered and
server-side applied to the real API server, then the REAL runtime commands run
with the command, args and env of the rendered containers and Task steps.
The only overrides, each commented where it happens: loopback URLs (listener,
GitHub, sink, Slack), temp files holding the bytes of mounted Secret keys (read
back from the API server), free ports, Task result paths, and KUBECONFIG with a
TokenRequest token of the RENDERED ServiceAccount, so that only the rendered
Roles authorize what the command does. Downward-API and ConfigMap env is
resolved from the objects the API server holds (the Job the CronJob would
create, the rendered ConfigMap); ``$(params.*)``/``$(tasks.*)``/``$(context.*)``
are substituted as Tekton would from the played run.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cluster import Cluster, KubeAPIError, _free_port, wait_for
from tests.e2e.render import GOLDEN, Obj, render
from tests.e2e.runtime_support import (
    FLUX_FINALIZER,
    HELMRELEASE_CRD,
    KEY,
    KUSTOMIZATION_CRD,
    PENDING,
    TEKTON,
    Recorder,
    Rendered,
    Resolver,
    Tekton,
    apply_rendered,
    argv_and_env,
    declared_env,
    mounted_secret,
    process,
    run_from_template,
    run_to_end,
    secret_file,
    stays_pending,
    stop,
    token_kubeconfig,
    wait_healthy,
)
from tests.e2e.upstream import Upstream
from tests.runtime.fake_github import FakeGitHub
from tests.runtime.observe_sink import CloudEventSink
from tests.runtime.slack_hook import TOKEN_PATH, SlackHook
from tests.runtime.webhook_listener import Interceptor, WebhookListener

pytestmark = pytest.mark.e2e

SCHEDULES = GOLDEN / "schedules-webhook-ids" / "config.yaml"  # webhook schedule, Job-name ids
SEED = GOLDEN / "seed-003-green-reviews" / "config.yaml"  # releases, limit 1, cleanup, notify
PINGSOURCE = GOLDEN / "schedules-pingsource" / "config.yaml"  # keyed concurrency
WEBHOOK_SECRET = b"rendered-webhook-secret-0123"
GITHUB_TOKEN = "ghp_renderedE2eToken000000000000000000"
FLUX_GROUPS = {"Kustomization": KUSTOMIZATION_CRD, "HelmRelease": HELMRELEASE_CRD}


def config_of(path: Path) -> Obj:
    doc: Obj = yaml.safe_load(path.read_text())
    return doc


def param_named(config: Obj, name: str) -> Obj:
    (param,) = [p for p in config["spec"]["params"] if p["name"] == name]
    return param


def event_of(config: Obj, values: Mapping[str, Any]) -> tuple[Obj, dict[str, str]]:
    """(body, headers) carrying ``values`` where benchmark.yaml's params read them."""
    body: Obj = {}
    headers: dict[str, str] = {}
    for name, value in values.items():
        param = param_named(config, name)
        if param.get("type") == "boolean":
            value = value if isinstance(value, bool) else str(value).lower() == "true"
        kind, _, path = param["from"].partition(".")
        if kind == "header":
            headers[path] = str(value).lower() if isinstance(value, bool) else str(value)
            continue
        node = body
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return body, headers


def listener_interceptor(rendered: Rendered, secret: bytes) -> tuple[Interceptor, Obj]:
    """The rendered webhook trigger's GitHub interceptor, as the loopback listener's
    check; and its params (secretRef, eventTypes)."""
    (trigger,) = [t for t in rendered.one("EventListener", "-listener")["spec"]["triggers"]]
    (github,) = [i for i in trigger["interceptors"] if i["ref"]["name"] == "github"]
    params = {p["name"]: p["value"] for p in github["params"]}
    return Interceptor("github", secret, event_types=list(params.get("eventTypes", []))), params


def field_ref(metadata: Obj) -> Resolver:
    """The downward API for a Pod with ``metadata``."""

    def resolve(value_from: Obj) -> str:
        path = value_from["fieldRef"]["fieldPath"]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        assert m, f"fieldPath {path} is not resolved here"
        return str(metadata[m[1]][m[2]])

    return resolve


def config_map_ref(cluster: Cluster, ns: str) -> Resolver:
    """``configMapKeyRef``, read from the API server as the kubelet would."""

    def resolve(value_from: Obj) -> str:
        ref = value_from["configMapKeyRef"]
        return str(cluster.get("v1", "ConfigMap", ref["name"], ns)["data"][ref["key"]])

    return resolve


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Tekton's ``$(...)`` substitution; every reference must be known."""

    def one(m: re.Match[str]) -> str:
        assert m[1] in values, f"$({m[1]}) is not known here: {sorted(values)}"
        return values[m[1]]

    return re.sub(r"\$\(([^)]+)\)", one, text)


def step_of(
    rendered: Rendered,
    pipeline_task: Obj,
    pipeline_values: Mapping[str, str],
    resolve: Resolver,
    tmp: Path,
) -> tuple[Obj, Obj, dict[str, str]]:
    """(Task spec, the step as its container with stepTemplate merged in, its resolved
    env) of a pipeline task, with params and result paths substituted as Tekton does."""
    task = rendered.one("Task", pipeline_task["taskRef"]["name"])["spec"]
    (step,) = task["steps"]
    given = {p["name"]: substitute(p["value"], pipeline_values) for p in pipeline_task["params"]}
    values = {f"params.{p['name']}": str(p.get("default", "")) for p in task["params"]}
    values.update({f"params.{k}": v for k, v in given.items()})
    for result in task.get("results") or []:
        values[f"results.{result['name']}.path"] = str(tmp / "results" / result["name"])
    (tmp / "results").mkdir(parents=True, exist_ok=True)
    template_env = {e["name"]: e for e in task.get("stepTemplate", {}).get("env") or []}
    merged = {**template_env, **{e["name"]: e for e in step.get("env") or []}}
    container = {
        **step,
        "args": [substitute(a, values) for a in step.get("args") or []],
        "env": list(merged.values()),
    }
    env = {k: substitute(v, values) for k, v in declared_env(container, resolve).items()}
    return task, container, env


@pytest.fixture
def seed(cluster: Cluster, upstream: Upstream, namespace: str) -> Rendered:
    return apply_rendered(cluster, SEED, namespace)


def sa_kubeconfig(cluster: Cluster, ns: str, sa: str, tmp: Path) -> Path:
    """A TokenRequest token of the RENDERED ServiceAccount ``sa``."""
    token = cluster.token_for(ns, sa, seconds=3600)
    return token_kubeconfig(cluster, tmp / f"{sa}.kubeconfig", token, namespace=ns)


# -- 1. the schedule CronJob ------------------------------------------------------------


def test_rendered_schedule_cronjob_sends_the_configured_signed_event_named_by_its_job(
    cluster: Cluster, upstream: Upstream, namespace: str, tmp_path: Path
) -> None:
    ns = namespace
    config = config_of(SCHEDULES)
    (schedule,) = config["spec"]["triggers"]["schedule"]
    rendered = apply_rendered(cluster, SCHEDULES, ns)
    cron = rendered.one("CronJob", f"-{schedule['name']}")
    assert (cron["spec"]["schedule"], cron["spec"]["timeZone"]) == (
        schedule["cron"],
        schedule["timeZone"],
    )
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["automountServiceAccountToken"] is False  # send needs no Kubernetes access

    # The Job the CronJob controller would create (<cronjob>-<scheduled minute>); the
    # API server adds batch.kubernetes.io/job-name to its pod template, which is
    # what the downward API reads in the Job's pods.
    job_name = f"{cron['metadata']['name']}-{int(time.time() // 60)}"
    template = cron["spec"]["jobTemplate"]
    job = cluster.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": job_name, "namespace": ns, **template["metadata"]},
            "spec": template["spec"],
        }
    )
    env = declared_env(container, field_ref(job["spec"]["template"]["metadata"]))
    assert env["BENCHGEN_EVENT_ID"] == job_name

    # The listener checks what the rendered EventListener's interceptor checks, with
    # the Secret it names; the CronJob mounts the same key.
    interceptor, gh = listener_interceptor(rendered, WEBHOOK_SECRET)
    ref = mounted_secret(pod, container, env["BENCHGEN_AUTH_FILE"])
    assert ref == (gh["secretRef"]["secretName"], gh["secretRef"]["secretKey"])
    auth_file = secret_file(cluster, ns, ref, WEBHOOK_SECRET, tmp_path)
    el = rendered.one("EventListener", "-listener")["metadata"]["name"]
    assert env["BENCHGEN_LISTENER_URL"] == f"http://el-{el}.{ns}.svc.cluster.local:8080"
    id_param = param_named(config, config["spec"]["triggers"]["webhook"]["eventIdParam"])
    assert env["BENCHGEN_EVENT_ID_FIELD"] == id_param["from"]
    id_path = id_param["from"].removeprefix("body.")

    body, headers = event_of(config, schedule["values"])
    tt = rendered.one("TriggerTemplate", "-template")
    with WebhookListener(interceptor, id_path=id_path) as listener:
        overrides = {
            # No EventListener Service here: the loopback listener stands in for it.
            "BENCHGEN_LISTENER_URL": listener.url,
            # The Secret volume is not mounted outside a Pod: the same bytes, a temp file.
            "BENCHGEN_AUTH_FILE": str(auth_file),
        }
        proc = run_to_end(container, overrides, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (got,) = listener.received
        assert (got.accepted, got.reason) == (True, "signature ok")
        expected = json.loads(json.dumps(body))
        node = expected
        *parents, leaf = id_path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = job_name  # the event id is the Job's name, as it is
        assert json.loads(got.body) == expected
        sent_headers = {k.lower(): v for k, v in got.headers.items()}
        for name, value in headers.items():
            assert sent_headers[name.lower()] == value
        assert sent_headers["x-github-event"] == interceptor.event_types[0]
        assert len(job_name) <= int(env["BENCHGEN_EVENT_ID_MAX"])

        # The run the listener creates for it is named after the Job.
        tt_values = {p: str(v) for p, v in schedule["values"].items()}
        tt_values[id_param["name"]] = job_name
        run = cluster.create(run_from_template(tt, ns, tt_values))
        assert run["metadata"]["name"].endswith(f"-{job_name}")

        # A retried pod of the same Job: the same id, so the same run name, refused.
        proc = run_to_end(container, overrides, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert listener.duplicates == [job_name]
        assert [json.loads(r.body) for r in listener.received] == [expected, expected]
        with pytest.raises(KubeAPIError) as refused:
            cluster.create(run_from_template(tt, ns, tt_values))
        assert refused.value.status == 409


# -- 2. the releases CronJob ------------------------------------------------------------


def test_rendered_releases_cronjob_fires_once_per_configuration_and_keeps_its_state(
    cluster: Cluster, namespace: str, seed: Rendered, tmp_path: Path
) -> None:
    ns = namespace
    config = config_of(SEED)
    releases = config["spec"]["triggers"]["releases"]
    (project,) = releases["projects"]
    cron = seed.one("CronJob", "-releases")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = declared_env(container)
    assert pod["automountServiceAccountToken"] is True
    assert env["BENCHGEN_GITHUB_API"] == "https://api.github.com"
    assert (env["BENCHGEN_NAMESPACE"], env["BENCHGEN_STATE_CONFIGMAP"]) == (
        ns,
        seed.one("ConfigMap", "-releases-state")["metadata"]["name"],
    )

    interceptor, gh_params = listener_interceptor(seed, WEBHOOK_SECRET)
    ref = mounted_secret(pod, container, env["BENCHGEN_AUTH_FILE"])
    assert ref == (gh_params["secretRef"]["secretName"], gh_params["secretRef"]["secretKey"])
    auth_file = secret_file(cluster, ns, ref, WEBHOOK_SECRET, tmp_path)
    token_ref = mounted_secret(pod, container, env["BENCHGEN_GITHUB_TOKEN_FILE"])
    assert token_ref[0] == releases["tokenSecretRef"]["name"]
    token_file = secret_file(cluster, ns, token_ref, GITHUB_TOKEN + "\n", tmp_path)
    kubeconfig = sa_kubeconfig(cluster, ns, pod["serviceAccountName"], tmp_path)
    id_param = param_named(config, config["spec"]["triggers"]["webhook"]["eventIdParam"])
    roles = {role: param_named(config, name) for role, name in releases["params"].items()}

    def state() -> dict[str, Any]:
        cm = cluster.get("v1", "ConfigMap", env["BENCHGEN_STATE_CONFIGMAP"], ns)
        return {k: json.loads(v) for k, v in (cm.get("data") or {}).items()}

    with (
        FakeGitHub(token=GITHUB_TOKEN) as gh,
        WebhookListener(interceptor, id_path=id_param["from"].removeprefix("body.")) as listener,
    ):
        overrides = {
            # Loopback stand-ins for api.github.com and the EventListener's Service.
            "BENCHGEN_GITHUB_API": gh.url,
            "BENCHGEN_LISTENER_URL": listener.url,
            # Mounted Secret keys: the same bytes, in temp files.
            "BENCHGEN_AUTH_FILE": str(auth_file),
            "BENCHGEN_GITHUB_TOKEN_FILE": str(token_file),
        }

        def watch() -> subprocess.CompletedProcess[str]:
            proc = run_to_end(container, overrides, kubeconfig=kubeconfig)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert GITHUB_TOKEN not in proc.stdout + proc.stderr
            return proc

        gh.publish(project["repo"], "0.39.0")
        gh.publish(project["repo"], "charts-4.2.0")  # newest, but not the tagPattern
        watch()
        assert all(r.accepted for r in listener.received), listener.rejected()
        bodies = listener.accepted()
        project_name = project["repo"].split("/")[1]
        want = {
            (project_name, "0.39.0", configuration) for configuration in project["configurations"]
        }
        got = set()
        for body in bodies:
            values = {role: body[p["from"].removeprefix("body.")] for role, p in roles.items()}
            got.add((values["project"], values["version"], values["configuration"]))
            # What the listener's CEL filter requires of the version param.
            assert re.fullmatch(roles["version"]["pattern"], values["version"])
        assert got == want and len(bodies) == len(want)
        ids = [b[id_param["from"].removeprefix("body.")] for b in bodies]
        assert len(set(ids)) == 3 and max(map(len, ids)) <= int(env["BENCHGEN_EVENT_ID_MAX"])
        key = project["repo"].replace("/", ".")
        fired = {c: ["0.39.0"] for c in project["configurations"]}
        assert state()[key]["fired"] == fired

        # The same release: nothing fired.
        watch()
        assert len(listener.received) == 3

        # Applying the rendered manifests again (a deploy) keeps the state...
        seed.apply(cluster)
        assert state()[key]["fired"] == fired
        watch()
        assert len(listener.received) == 3
        # ...and a new release fires once per configuration again.
        gh.publish(project["repo"], "0.40.0")
        watch()
        assert sorted(b[roles["configuration"]["from"][5:]] for b in listener.accepted()[3:]) == (
            sorted(project["configurations"])
        )
        assert listener.duplicates == []


# -- 3. concurrency -----------------------------------------------------------------------


def test_rendered_pending_runs_and_observer_start_one_after_another_in_arrival_order(
    cluster: Cluster, namespace: str, seed: Rendered, tmp_path: Path
) -> None:
    ns = namespace
    limit = config_of(SEED)["spec"]["pipeline"]["concurrency"]["limit"]
    obs_pod, observer = seed.container("-observer")
    env = declared_env(observer)
    assert env["BENCHGEN_CONCURRENCY_LIMIT"] == str(limit) == "1"
    tt = seed.one("TriggerTemplate", "-template")
    (resource,) = tt["spec"]["resourcetemplates"]
    assert resource["spec"]["status"] == PENDING
    # No key configured: neither the runs nor the observer name one.
    assert KEY not in resource["metadata"]["labels"] and "BENCHGEN_CONCURRENCY_KEY" not in env

    kubeconfig = sa_kubeconfig(cluster, ns, obs_pod["serviceAccountName"], tmp_path)
    t = Tekton(cluster, ns)
    recorder = Recorder(cluster, ns)
    health = _free_port()
    log = tmp_path / "observer.log"
    with CloudEventSink() as sink:
        obs = process(
            observer,
            {
                # A loopback CloudEvents receiver stands in for the rendered sink.
                "BENCHGEN_SINK": sink.url,
                # A free loopback port: the rendered 8081 may be taken on this host.
                "BENCHGEN_HEALTH_PORT": str(health),
            },
            kubeconfig,
            log,
        )
        try:
            ready = observer["readinessProbe"]["httpGet"]["path"]
            wait_healthy(obs, f"http://127.0.0.1:{health}{ready}", log)
            # Three events within the same second; run names sort against arrival.
            names = []
            for run_id, configuration in (("r3", "ebpf"), ("r2", "modern-ebpf"), ("r1", "kmod")):
                values = {"cncf-project": "falco", "config": configuration,
                          "version": "0.39.0", "run-id": run_id}  # fmt: skip
                names.append(t.create_run(run_from_template(tt, ns, values))["metadata"]["name"])
            for i, name in enumerate(names):
                wait_for(lambda n=name: t.released(n), timeout=20, what=f"{name} released")
                stays_pending(t, *names[i + 1 :], seconds=1.0)
                t.start(name)
                stays_pending(t, *names[i + 1 :], seconds=0.5)
                t.finish(name, ok=i != 1)  # a failed run frees its slot too
            time.sleep(0.5)
        finally:
            code = stop(obs)
            recorder.stop()
    assert code == 0, log.read_text()
    assert recorder.order == names
    assert recorder.max_active == {"": 1}
    assert "queued" in log.read_text()

    # Keyed limits: the key the TriggerTemplate labels runs with is the one the
    # observer counts by (schedules-pingsource: per project).
    keyed = Rendered(render(PINGSOURCE, namespace=ns))
    key_env = declared_env(keyed.container("-observer")[1])
    for template in [o for o in keyed.objs if o["kind"] == "TriggerTemplate"]:
        (res,) = template["spec"]["resourcetemplates"]
        assert res["spec"]["status"] == PENDING
        assert res["metadata"]["labels"][key_env["BENCHGEN_CONCURRENCY_KEY"]]


# -- 4. clean-up and notification after a failing run --------------------------------------


def test_rendered_finally_cleans_up_and_notifies_after_a_failing_run(
    cluster: Cluster, namespace: str, seed: Rendered, tmp_path: Path
) -> None:
    ns = namespace
    config = config_of(SEED)
    pipeline = seed.one("Pipeline", "-pipeline")["spec"]
    finally_tasks = {t["name"]: t for t in pipeline["finally"]}
    by_task = {name: t["taskRef"]["name"] for name, t in finally_tasks.items()}

    # The clean-up runs whatever the outcome: a finally task without `when`.
    (cleanup_pt,) = [t for t in pipeline["finally"] if t["taskRef"]["name"].endswith("-cleanup")]
    assert "when" not in cleanup_pt
    # Exactly one notify task runs in either case: complementary `when`s.
    notifies = [t for t in pipeline["finally"] if t["taskRef"]["name"].endswith("-notify")]
    whens = sorted((w["input"], w["operator"], tuple(w["values"])) for t in notifies
                   for w in t["when"])  # fmt: skip
    assert [op for _, op, _ in whens] == ["in", "notin"] and len({(i, v) for i, _, v in whens}) == 1

    # The failing run, as the listener creates it and Tekton plays it.
    tt = seed.one("TriggerTemplate", "-template")
    project = f"falco-{uuid.uuid4().hex[:6]}"  # flux-system is shared by the session
    values = {"cncf-project": project, "config": "modern-ebpf", "version": "0.39.0",
              "run-id": "fails-1"}  # fmt: skip
    t = Tekton(cluster, ns)
    run = t.create_run(run_from_template(tt, ns, values))
    name = run["metadata"]["name"]
    cluster.patch(TEKTON, "PipelineRun", name, {"spec": {"status": None}}, ns)  # released
    t.start(name)
    specs = {s["pipelineTaskName"]: s for s in run["spec"]["taskRunSpecs"]}
    cleanup_sa = specs[cleanup_pt["name"]]["serviceAccountName"]
    assert cleanup_sa == f"{config['metadata']['name']}-cleanup"

    run_params = {p["name"]: p["value"] for p in run["spec"]["params"]}
    defaults = {p["name"]: p.get("default", "") for p in pipeline["params"]}
    outcome = {  # submit succeeded (batch 42), the batch failed, so wait failed
        "context.pipelineRun.name": name,
        "tasks.status": "Failed",
        "tasks.submit.status": "Succeeded",
        "tasks.wait.status": "Failed",
        "tasks.submit.results.batch-id": "42",
        "tasks.wait.results.final-status": "FAILED",
        "tasks.wait.results.total-jobs": "10",
        "tasks.wait.results.completed-jobs": "7",
        "tasks.wait.results.failed-jobs": "3",
    }
    pipeline_values = {
        **{f"params.{k}": str(v) for k, v in {**defaults, **run_params}.items()},
        **outcome,
    }
    resolve = config_map_ref(cluster, ns)

    # What the run deployed through Flux, and what it did not.
    cluster.install([KUSTOMIZATION_CRD, HELMRELEASE_CRD])
    target = "flux-system"
    objs = {
        ("Kustomization", project): {"green-reviews.io/project": project},
        ("HelmRelease", f"{project}-modern-ebpf"): {
            "green-reviews.io/project": project, "green-reviews.io/config": "modern-ebpf"},
        ("HelmRelease", f"{project}-kmod"): {
            "green-reviews.io/project": project, "green-reviews.io/config": "kmod"},
        ("Kustomization", f"other-{project}"): {"green-reviews.io/project": f"other-{project}"},
    }  # fmt: skip
    matching = [("Kustomization", project), ("HelmRelease", f"{project}-modern-ebpf")]
    api = {k: f"{c['spec']['group']}/{c['spec']['versions'][0]['name']}"
           for k, c in FLUX_GROUPS.items()}  # fmt: skip
    for (kind, obj_name), labels in objs.items():
        cluster.create({"apiVersion": api[kind], "kind": kind,
                        "metadata": {"name": obj_name, "namespace": target, "labels": labels,
                                     "finalizers": [FLUX_FINALIZER]},
                        "spec": {"interval": "10m"}})  # fmt: skip

    def get(kind: str, obj_name: str) -> Obj | None:
        return cluster.get_or_none(api[kind], kind, obj_name, target)

    _, step, env = step_of(seed, cleanup_pt, pipeline_values, resolve, tmp_path)
    kubeconfig = sa_kubeconfig(cluster, ns, cleanup_sa, tmp_path)
    argv, full = argv_and_env(step, {}, env=env, kubeconfig=kubeconfig)
    proc = subprocess.Popen(
        argv, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for kind, obj_name in matching:
            wait_for(lambda k=kind, n=obj_name: (get(k, n) or {}).get("metadata", {}).get(
                "deletionTimestamp"), timeout=30, what=f"{obj_name} deleting")  # fmt: skip
        time.sleep(1.5)
        assert proc.poll() is None, "cleanup returned while finalizers held the objects"
        for kind, obj_name in matching:  # Flux uninstalls; the GC ends the Foreground delete
            cluster.patch(api[kind], kind, obj_name, {"metadata": {"finalizers": None}}, target)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "all gone (2 deleted here)" in out
    for kind, obj_name in objs:
        obj = get(kind, obj_name)
        if (kind, obj_name) in matching:
            assert obj is None, obj_name
        else:
            assert obj is not None and "deletionTimestamp" not in obj["metadata"], obj_name
            cluster.patch(api[kind], kind, obj_name, {"metadata": {"finalizers": None}}, target)
            cluster.delete(api[kind], kind, obj_name, target)

    # The notification: the notify task that runs when submit succeeded.
    (notify_pt,) = [t for t in notifies if t["when"][0]["operator"] == "in"]
    task, step, env = step_of(seed, notify_pt, pipeline_values, resolve, tmp_path)
    ref = mounted_secret(task, step, env["BENCHGEN_NOTIFY_URL_FILE"])
    notify_ref = config["spec"]["pipeline"]["finally"]["notify"]["urlSecretRef"]
    assert ref == (notify_ref["name"], notify_ref["key"])
    # The summary the run printed: the rendered summary task for the same outcome.
    (summary_pt,) = [t for n, t in finally_tasks.items()
                     if by_task[n].endswith("-summary") and t["when"][0]["operator"] == "in"]  # fmt: skip
    _, summary_step, summary_env = step_of(seed, summary_pt, pipeline_values, resolve, tmp_path)
    summary = run_to_end(summary_step, {}, env=summary_env)
    assert summary.returncode == 0, summary.stderr
    first, *rest = summary.stdout.rstrip("\n").splitlines()

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    hook = SlackHook()
    try:
        url_file = secret_file(cluster, ns, ref, hook.url + "\n", tmp_path)
        proc2 = run_to_end(
            step,
            # The Secret key, in a temp file, names the loopback Slack-compatible hook.
            {"BENCHGEN_NOTIFY_URL_FILE": str(url_file)},
            env=env,
        )
    finally:
        hook.server.shutdown()
    assert proc2.returncode == 0, proc2.stdout + proc2.stderr
    assert TOKEN_PATH.split("/")[-1] not in proc2.stdout + proc2.stderr
    (posted,) = hook.received
    assert posted["path"] == TOKEN_PATH
    assert posted["body"] == {"text": f"*{esc(first)}*\n```\n{esc(chr(10).join(rest))}\n```"}
    assert name in first and "FAILED" in summary.stdout
    assert (tmp_path / "results" / "notify-status").read_text().strip() == "sent"
    t.finish(name, ok=False)
