"""The rendered observer and status API, run as their Deployments declare them.

test_observe.py and test_serve.py check the runtime against the contract with
hand-written env and RBAC; this test checks the generator's side of the same
contract: ``benchgen render`` of the golden ``cloudevents-observe`` config is
server-side applied to the real API server, then ``benchgen-poller observe`` and
``serve`` are started with the command, args and env of the rendered
containers, authenticated as the rendered ServiceAccounts (TokenRequest), so
only the rendered Roles/RoleBindings authorize what they do. The test plays
Tekton for one PipelineRun shaped like the one the rendered TriggerTemplate
creates, with TaskRuns of the rendered Tasks, and pod logs served by the fake
kubelet through the API server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tests.e2e.cluster import Cluster, _free_port
from tests.e2e.kubelet import FakeKubelet
from tests.e2e.render import GOLDEN, Obj
from tests.e2e.runtime_support import (
    TEKTON,
    Rendered,
    apply_rendered,
    create_task_run,
    declared_env,
    http_status,
    mounted_secret,
    open_logs,
    process,
    run_from_template,
    secret_file,
    seen,
    set_run_condition,
    set_steps,
    stop,
    token_kubeconfig,
    wait_healthy,
)
from tests.e2e.upstream import Upstream
from tests.runtime.observe_sink import CloudEventSink

pytestmark = pytest.mark.e2e

CONFIG = GOLDEN / "cloudevents-observe" / "config.yaml"  # sink broker, log tail, bearer auth
TOKEN = "ci-token-rendered-0123456789"
EVENT_ID = "3f0e7c52-9d1a"  # the CloudEvent id that names the run


def port_of(container: Obj, name: str) -> int:
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == name]
    return int(port)


def sample_run(template: Obj, namespace: str) -> Obj:
    """The PipelineRun the rendered CloudEvents TriggerTemplate creates, with its
    ``$(tt.params.*)`` filled in as Triggers would."""
    values = {"cloudevent-id": EVENT_ID, "request-id": "req-1"}
    return run_from_template(template, namespace, values, fallback=lambda p: f"sample-{p}")


@pytest.fixture
def rendered(cluster: Cluster, upstream: Upstream, namespace: str) -> Rendered:
    return apply_rendered(cluster, CONFIG, namespace)


def test_rendered_observer_and_status_api_follow_one_run(
    cluster: Cluster,
    kubelet: FakeKubelet,
    namespace: str,
    rendered: Rendered,
    tmp_path: Path,
) -> None:
    ns = namespace
    obs_pod, observer = rendered.container("-observer")
    st_pod, status = rendered.container("-status")
    obs_env, st_env = declared_env(observer), declared_env(status)

    # The generator's side of the contract that overrides below would otherwise hide.
    broker = rendered.one("Broker", "")["metadata"]["name"]
    assert obs_env["BENCHGEN_SINK"] == (
        f"http://broker-ingress.knative-eventing.svc.cluster.local/{ns}/{broker}"
    )
    # Both probe a port of their own (issue 14), never the one clients use.
    for container in (observer, status):
        for probe in ("livenessProbe", "readinessProbe"):
            named = container[probe]["httpGet"]["port"]
            health = int(declared_env(container)["BENCHGEN_HEALTH_PORT"])
            assert port_of(container, named) == health, probe
    service_port = rendered.one("Service", "-status")["spec"]["ports"][0]["targetPort"]
    assert port_of(status, service_port) == int(st_env["BENCHGEN_PORT"])
    # BENCHGEN_AUTH_FILE is the file the Secret volume puts the secretRef's key at.
    ref = mounted_secret(st_pod, status, st_env["BENCHGEN_AUTH_FILE"])
    assert ref == ("ce-bench-status", "token")

    # The Secret a user would create (never rendered); the file holds what the
    # kubelet would mount from it, read back from the API server.
    auth_file = secret_file(cluster, ns, ref, TOKEN + "\n", tmp_path)

    # Tokens of the RENDERED ServiceAccounts: only the rendered RBAC authorizes them.
    def kubeconfig(pod: Obj, name: str) -> Path:
        token = cluster.token_for(ns, pod["serviceAccountName"], seconds=3600)
        return token_kubeconfig(cluster, tmp_path / f"{name}.kubeconfig", token)

    health_port, status_port, status_health = _free_port(), _free_port(), _free_port()
    obs_log, st_log = tmp_path / "observer.log", tmp_path / "status.log"
    with CloudEventSink() as sink:
        procs: list[subprocess.Popen[bytes]] = []
        try:
            obs = process(
                observer,
                {
                    # No Knative broker-ingress here: a loopback CloudEvents
                    # receiver stands in for the Broker's ingress.
                    "BENCHGEN_SINK": sink.url,
                    # Loopback ports: the rendered 8081 may be taken on this host.
                    "BENCHGEN_HEALTH_PORT": str(health_port),
                },
                kubeconfig(obs_pod, "observer"),
                obs_log,
            )
            procs.append(obs)
            srv = process(
                status,
                {
                    # The Secret volume is not mounted outside a Pod: the same
                    # bytes, in a temp file.
                    "BENCHGEN_AUTH_FILE": str(auth_file),
                    "BENCHGEN_PORT": str(status_port),
                    "BENCHGEN_HEALTH_PORT": str(status_health),
                },
                kubeconfig(st_pod, "status"),
                st_log,
            )
            procs.append(srv)
            ready = observer["readinessProbe"]["httpGet"]["path"]
            wait_healthy(obs, f"http://127.0.0.1:{health_port}{ready}", obs_log)
            live = observer["livenessProbe"]["httpGet"]["path"]
            assert http_status(f"http://127.0.0.1:{health_port}{live}") == 200
            url = f"http://127.0.0.1:{status_port}"
            probes = f"http://127.0.0.1:{status_health}"
            wait_healthy(srv, probes + status["readinessProbe"]["httpGet"]["path"], st_log)
            assert http_status(probes + status["livenessProbe"]["httpGet"]["path"]) == 200
            _play_one_failed_run(cluster, kubelet, ns, rendered, sink, url, obs_env)
        finally:
            codes = [stop(p) for p in procs]
        assert codes == [0, 0], obs_log.read_text() + st_log.read_text()


def _play_one_failed_run(
    cluster: Cluster,
    kubelet: FakeKubelet,
    ns: str,
    rendered: Rendered,
    sink: CloudEventSink,
    url: str,
    obs_env: dict[str, str],
) -> None:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=20))

    def run_status(name: str) -> tuple[int, dict[str, Any]]:
        resp = pool.request(
            "GET", f"{url}/status/{name}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        return resp.status, json.loads(resp.data)

    run = cluster.create(sample_run(rendered.one("TriggerTemplate", "-cloudevents-template"), ns))
    name, pr_uid = run["metadata"]["name"], run["metadata"]["uid"]
    labels = run["metadata"]["labels"]
    assert name == f"ce-bench-run-{EVENT_ID}"
    assert run_status(name)[0] == 202  # pending: Tekton has not picked it up yet

    set_run_condition(cluster, ns, name, "Unknown", "Running")
    sink.wait_for(1)
    code, body = run_status(name)
    assert (code, body["state"]) == (202, "running")
    reader = open_logs(pool, url, name, TOKEN)

    # The rendered Pipeline's tasks (submit, wait) and its first finally task, each
    # a TaskRun of the rendered Task; the batch fails, so "wait" fails.
    pipeline = rendered.one("Pipeline", "-pipeline")["spec"]
    tasks = [*pipeline["tasks"], pipeline["finally"][0]]
    logs = {"submit": "batch 42 created\n", "wait": "batch 42 FAILED\n", "summary": "failed\n"}
    exit_codes = {"submit": 0, "wait": 1, "summary": 0}
    task_runs: dict[str, tuple[str, str, str]] = {}  # pipelineTask -> (TaskRun, uid, step)
    for i, task in enumerate(tasks):
        pt = task["name"]
        spec = rendered.one("Task", task["taskRef"]["name"])["spec"]
        (step,) = [s["name"] for s in spec["steps"]]
        tr = create_task_run(
            cluster, ns, name, pt, [step], labels=labels, spec={"taskRef": task["taskRef"]}
        )
        uid = cluster.get(TEKTON, "TaskRun", tr, ns)["metadata"]["uid"]
        task_runs[pt] = (tr, uid, step)
        start = f"2025-06-01T10:0{i}:00Z"  # distinct: both sides order TaskRuns by start
        set_steps(cluster, ns, tr, start, {step: "running"}, task_spec=spec)
        sink.wait_for(2 + 2 * i)
        kubelet.write(ns, f"{tr}-pod", f"step-{step}", logs[pt])
        kubelet.finish(ns, f"{tr}-pod", f"step-{step}")
        ok = exit_codes[pt] == 0
        state = "succeeded" if ok else "failed"
        set_steps(
            cluster, ns, tr, start, {step: state}, done="True" if ok else "False", task_spec=spec
        )
        sink.wait_for(3 + 2 * i)
    message = "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 1"
    set_run_condition(cluster, ns, name, "False", "Failed", message)
    events = sink.wait_for(8)
    time.sleep(1.0)  # nothing more may come

    expected = [("run.started", name, f"{pr_uid}.started")]
    for pt, (tr, uid, step) in task_runs.items():
        last = "succeeded" if exit_codes[pt] == 0 else "failed"
        expected += [
            ("step.started", f"{tr}/{step}", f"{uid}.{step}.started"),
            (f"step.{last}", f"{tr}/{step}", f"{uid}.{step}.{last}"),
        ]
    expected.append(("run.failed", name, f"{pr_uid}.failed"))
    assert seen(sink.acked) == expected
    assert {e.attributes["source"] for e in events} == {obs_env["BENCHGEN_EVENT_SOURCE"]}
    _, wait_uid, wait_step = task_runs["wait"]
    failed = next(e for e in events if e.id == f"{wait_uid}.{wait_step}.failed")
    assert failed.data["log"] == logs["wait"] and failed.data["pipelineTask"] == "wait"

    code, body = run_status(name)
    assert (code, body["state"], body["reason"], body["message"]) == (
        409,
        "failed",
        "Failed",
        message,
    )
    assert reader.ended.wait(30), reader.text()
    assert reader.error is None, reader.error
    assert reader.text() == "".join(
        f"==> {pt}/{step} <==\n{logs[pt]}" for pt, (_, _, step) in task_runs.items()
    ) + (f"==> {name} failed (Failed: {message}) <==\n")
    # Both read the logs through the API server as the rendered identities.
    assert {r.container for r in kubelet.requests if r.namespace == ns} == {
        f"step-{step}" for _, _, step in task_runs.values()
    }
