"""`benchgen-poller serve` as a real process against the real API server, with a
ServiceAccount token bound to exactly the contract's read-only RBAC, and pod logs
served by the fake kubelet through the API server's ``pods/log``.

The test plays Tekton's controller: it creates PipelineRuns, TaskRuns and their
Pods and writes their status subresource the way Tekton does (TaskRun
``status.podName`` / ``status.steps[]``, PipelineRun ``Succeeded`` condition)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tests.e2e.cluster import Cluster, _free_port, wait_for
from tests.e2e.kubelet import FakeKubelet, wait_for_streams
from tests.e2e.runtime_support import (
    create_task_run,
    open_logs,
    set_run_condition,
    set_steps,
    token_kubeconfig,
)
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SELECTOR = "benchgen.dev/benchmark=demo"
LABELS = {"benchgen.dev/benchmark": "demo"}
TOKEN = "ci-token-0123456789abcdef"
T0 = "2025-06-01T10:00:00Z"

# The contract's RBAC (docs/runtime-interface.md, serve), and nothing more.
SERVE_RULES = [
    {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns", "taskruns"], "verbs": ["list"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[str]
    namespace: str
    stderr: list[str] = field(default_factory=list)
    pool: urllib3.PoolManager = field(
        default_factory=lambda: urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(connect=5, read=20)
        )
    )

    def get(self, path: str, token: str | None = TOKEN, **headers: str) -> urllib3.BaseHTTPResponse:
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        return self.pool.request("GET", self.url + path, headers=headers)

    def status(self, run: str) -> tuple[int, dict[str, Any]]:
        resp = self.get(f"/status/{run}")
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, json.loads(resp.data)


def _start_serve(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    port, health_port = _free_port(), _free_port()
    log = (tmp_path / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.runtime", "serve"],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "BENCHGEN_PORT": str(port),
            # A free loopback port: the default 8081 may be taken on this host.
            "BENCHGEN_HEALTH_PORT": str(health_port),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    pool = urllib3.PoolManager(retries=False, timeout=2)

    def healthy() -> bool:
        assert proc.poll() is None, (tmp_path / f"serve-{port}.log").read_text()
        try:
            return pool.request("GET", url + "/health").status == 200
        except urllib3.exceptions.HTTPError:
            return False

    wait_for(healthy, timeout=30, what="serve /health")
    return proc, url


def _serve_env(kubeconfig: Path, namespace: str, token_file: Path, **extra: str) -> dict[str, str]:
    return {
        "KUBECONFIG": str(kubeconfig),
        "BENCHGEN_NAMESPACE": namespace,
        "BENCHGEN_SELECTOR": SELECTOR,
        "BENCHGEN_AUTH_TYPE": "bearer",
        "BENCHGEN_AUTH_FILE": str(token_file),
        **extra,
    }


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


@pytest.fixture
def served(
    cluster: Cluster, upstream: Upstream, kubelet: FakeKubelet, namespace: str, tmp_path: Path
) -> Iterator[Served]:
    ns, rbac = namespace, "rbac.authorization.k8s.io"
    meta = {"name": "status", "namespace": ns}
    for obj in (
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {"apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": meta, "rules": SERVE_RULES},
        {
            "apiVersion": f"{rbac}/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": rbac, "kind": "Role", "name": "status"},
            "subjects": [{"kind": "ServiceAccount", "name": "status", "namespace": ns}],
        },
    ):
        cluster.create(obj)
    kubeconfig = token_kubeconfig(cluster, tmp_path / "kubeconfig", cluster.token_for(ns, "status"))
    (tmp_path / "token").write_text(TOKEN + "\n")
    env = _serve_env(kubeconfig, ns, tmp_path / "token", BENCHGEN_POLL_INTERVAL="200ms")
    proc, url = _start_serve(env, tmp_path)
    try:
        yield Served(url, proc, ns)
    finally:
        code = _stop(proc)
        assert code == 0, f"serve exited {code} on SIGTERM"


# -- Tekton, played by the test ---------------------------------------------


def _pipeline_run(cluster: Cluster, ns: str, name: str, labels: dict[str, str] = LABELS) -> None:
    cluster.create(
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"pipelineRef": {"name": "bench"}},
        }
    )


def _task_run(cluster: Cluster, ns: str, run: str, task: str, steps: list[str]) -> str:
    return create_task_run(cluster, ns, run, task, steps, labels=LABELS)


# -- /status ------------------------------------------------------------------


def test_status_follows_the_succeeded_condition(cluster: Cluster, served: Served) -> None:
    ns = served.namespace
    _pipeline_run(cluster, ns, "run-a")
    code, body = served.status("run-a")  # no status yet: Tekton has not picked it up
    assert (code, body["state"]) == (202, "pending")
    assert body == {
        "run": "run-a",
        "state": "pending",
        "reason": "",
        "message": "",
        "startTime": None,
        "completionTime": None,
        "queue": None,
    }

    set_run_condition(cluster, ns, "run-a", "Unknown", "Running", "Tasks Completed: 0 (Failed: 0)")
    code, body = served.status("run-a")
    assert (code, body["state"], body["reason"]) == (202, "running", "Running")
    assert body["startTime"] == T0

    set_run_condition(cluster, ns, "run-a", "True", "Succeeded", "Tasks Completed: 2, Skipped: 0")
    code, body = served.status("run-a")
    assert code == 200
    assert body == {
        "run": "run-a",
        "state": "succeeded",
        "reason": "Succeeded",
        "message": "Tasks Completed: 2, Skipped: 0",
        "startTime": T0,
        "completionTime": "2025-06-01T10:30:00Z",
        "queue": None,
    }

    _pipeline_run(cluster, ns, "run-b")
    set_run_condition(cluster, ns, "run-b", "False", "Failed", "Tasks Completed: 2 (Failed: 1)")
    code, body = served.status("run-b")
    assert (code, body["state"], body["reason"]) == (409, "failed", "Failed")
    assert body["message"] == "Tasks Completed: 2 (Failed: 1)"


def test_unknown_runs_and_other_benchmarks_runs_are_404(cluster: Cluster, served: Served) -> None:
    ns = served.namespace
    _pipeline_run(cluster, ns, "theirs", labels={"benchgen.dev/benchmark": "other"})
    set_run_condition(cluster, ns, "theirs", "True", "Succeeded")
    _pipeline_run(cluster, ns, "unlabelled", labels={})
    for run in ("nope", "theirs", "unlabelled", "a,metadata.name%3Dtheirs", "UPPER"):
        code, body = served.status(run)
        assert code == 404, (run, body)
        assert body["error"] == "no such run"
        assert served.get(f"/logs/{run}").status == 404


def test_credentials(cluster: Cluster, served: Served) -> None:
    _pipeline_run(cluster, served.namespace, "run-c")
    for resp in (
        served.get("/status/run-c", token=None),
        served.get("/status/run-c", token=TOKEN + "x"),
        served.get("/status/run-c", token=None, Authorization=f"Basic {TOKEN}"),
        served.get("/logs/run-c", token="wrong-token-0123456789"),
        served.get("/status/nope", token=None),  # no hint whether the run exists
    ):
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="benchgen"'
        assert json.loads(resp.data) == {"error": "missing or wrong credentials"}
    health = served.get("/health", token=None)
    assert (health.status, json.loads(health.data)) == (200, {"status": "ok"})
    # Read-only: no other method does anything.
    post = served.pool.request(
        "POST", served.url + "/status/run-c", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert (post.status, post.headers["Allow"]) == (405, "GET")


def test_the_service_account_has_only_the_contracts_rbac(cluster: Cluster, served: Served) -> None:
    sa = cluster.impersonate_service_account(served.namespace, "status")
    ns = served.namespace
    assert sa.can_i("list", "pipelineruns", group="tekton.dev", namespace=ns)
    assert sa.can_i("list", "taskruns", group="tekton.dev", namespace=ns)
    assert sa.can_i("get", "pods", subresource="log", namespace=ns)
    for verb, resource, group in [
        ("create", "pipelineruns", "tekton.dev"),
        ("patch", "pipelineruns", "tekton.dev"),
        ("delete", "taskruns", "tekton.dev"),
        ("get", "secrets", ""),
        ("list", "pods", ""),
        ("create", "pods", ""),
    ]:
        assert not sa.can_i(verb, resource, group=group, namespace=ns), (verb, resource)
    assert not sa.can_i("list", "pipelineruns", group="tekton.dev", namespace="default")


def test_api_server_unreachable_is_503(cluster: Cluster, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    dead = f"https://127.0.0.1:{_free_port()}"  # nothing listens there
    kubeconfig = token_kubeconfig(cluster, tmp_path / "kc", "t", server=dead)
    proc, url = _start_serve(_serve_env(kubeconfig, "x", token_file), tmp_path)
    try:
        pool = urllib3.PoolManager(retries=False, timeout=30)
        resp = pool.request(
            "GET", url + "/status/run-x", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "5"
        assert json.loads(resp.data)["error"] == "the Kubernetes API server is unavailable"
    finally:
        assert _stop(proc) == 0


# -- /logs ----------------------------------------------------------------


def test_logs_stream_every_step_in_order_until_the_run_ends(
    cluster: Cluster, kubelet: FakeKubelet, served: Served
) -> None:
    ns = served.namespace
    run = "run-logs"
    _pipeline_run(cluster, ns, run)
    set_run_condition(cluster, ns, run, "Unknown", "Running")
    submit = _task_run(cluster, ns, run, "submit", ["prepare", "send"])
    set_steps(cluster, ns, submit, T0, {"prepare": "running", "send": "waiting"})
    kubelet.write(ns, f"{submit}-pod", "step-prepare", "preparing\n")

    reader = open_logs(served.pool, served.url, run, TOKEN)
    reader.wait_for("==> submit/prepare <==\npreparing\n")
    # Following: a line written now arrives while the step runs.
    streams = kubelet.open_streams()
    wait_for_streams(kubelet, streams)
    kubelet.write(ns, f"{submit}-pod", "step-prepare", "body built, no newline at the end")
    reader.wait_for("body built, no newline at the end")
    kubelet.finish(ns, f"{submit}-pod", "step-prepare")

    # The next step has not started: the stream waits for it (in order).
    time.sleep(0.6)
    assert "send" not in reader.text()
    set_steps(cluster, ns, submit, T0, {"prepare": "succeeded", "send": "running"})
    kubelet.write(ns, f"{submit}-pod", "step-send", "POST /api/v1/mlops-batch -> 201\n")
    reader.wait_for("==> submit/send <==\nPOST /api/v1/mlops-batch -> 201\n")
    kubelet.finish(ns, f"{submit}-pod", "step-send")
    set_steps(cluster, ns, submit, T0, {"prepare": "succeeded", "send": "succeeded"})

    wait = _task_run(cluster, ns, run, "wait", ["poll"])
    set_steps(cluster, ns, wait, "2025-06-01T10:05:00Z", {"poll": "running"})
    kubelet.write(ns, f"{wait}-pod", "step-poll", "[0s] PROCESSING 0/3\n")
    reader.wait_for("==> wait/poll <==\n[0s] PROCESSING 0/3\n")
    kubelet.write(ns, f"{wait}-pod", "step-poll", "[30s] COMPLETED 3/3\n")
    kubelet.finish(ns, f"{wait}-pod", "step-poll")
    set_steps(cluster, ns, wait, "2025-06-01T10:05:00Z", {"poll": "succeeded"})
    assert not reader.ended.wait(0.6), "the stream ended before the run did"

    set_run_condition(cluster, ns, run, "True", "Succeeded", "Tasks Completed: 2 (Failed: 0)")
    assert reader.ended.wait(15), "the stream did not end with the run"
    assert reader.error is None, reader.error
    assert reader.text() == (
        "==> submit/prepare <==\n"
        "preparing\n"
        "body built, no newline at the end\n"
        "==> submit/send <==\n"
        "POST /api/v1/mlops-batch -> 201\n"
        "==> wait/poll <==\n"
        "[0s] PROCESSING 0/3\n"
        "[30s] COMPLETED 3/3\n"
        f"==> {run} succeeded (Succeeded: Tasks Completed: 2 (Failed: 0)) <==\n"
    )
    # Every log was read through the API server, following.
    asked = [r for r in kubelet.requests if r.namespace == ns]
    assert {r.container for r in asked} == {"step-prepare", "step-send", "step-poll"}
    assert all(r.query.get("follow") == "true" for r in asked)
    # /status answered while the stream was open (threaded server), and now:
    assert served.status(run)[0] == 200


def test_logs_of_a_finished_failed_run_and_a_step_that_never_ran(
    cluster: Cluster, kubelet: FakeKubelet, served: Served
) -> None:
    ns = served.namespace
    run = "run-failed"
    _pipeline_run(cluster, ns, run)
    submit = _task_run(cluster, ns, run, "submit", ["send", "report"])
    kubelet.write(ns, f"{submit}-pod", "step-send", "HTTP 400: bad request\n")
    kubelet.finish(ns, f"{submit}-pod", "step-send")
    set_steps(cluster, ns, submit, T0, {"send": "failed", "report": "waiting"})
    set_run_condition(cluster, ns, run, "False", "Failed", "Tasks Completed: 1 (Failed: 1)")
    reader = open_logs(served.pool, served.url, run, TOKEN)
    assert reader.ended.wait(15)
    assert reader.error is None
    assert reader.text() == (
        "==> submit/send <==\n"
        "HTTP 400: bad request\n"
        "==> submit/report <==\n"
        "(no log: the step did not run)\n"
        f"==> {run} failed (Failed: Tasks Completed: 1 (Failed: 1)) <==\n"
    )
    assert served.status(run)[0] == 409


def test_status_answers_while_log_streams_are_open_and_sigterm_cuts_them(
    cluster: Cluster, kubelet: FakeKubelet, served: Served
) -> None:
    ns = served.namespace
    run = "run-long"
    _pipeline_run(cluster, ns, run)
    set_run_condition(cluster, ns, run, "Unknown", "Running")
    task = _task_run(cluster, ns, run, "wait", ["poll"])
    set_steps(cluster, ns, task, T0, {"poll": "running"})
    kubelet.write(ns, f"{task}-pod", "step-poll", "[0s] PROCESSING\n")
    streams_before = kubelet.open_streams()
    # A client that will leave mid-stream: a raw socket, closed after the first line.
    leaver = socket.create_connection(("127.0.0.1", int(served.url.rsplit(":", 1)[1])))
    leaver.sendall(
        f"GET /logs/{run} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    received = b""
    while b"[0s] PROCESSING" not in received:
        received += leaver.recv(4096)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    readers = [open_logs(served.pool, served.url, run, TOKEN) for _ in range(2)]
    for reader in readers:
        reader.wait_for("[0s] PROCESSING\n")
    wait_for_streams(kubelet, streams_before + 3)
    started = time.monotonic()
    assert served.status(run)[0] == 202  # not blocked by three open streams
    assert time.monotonic() - started < 2

    # The client leaves: the server notices at its next write and lets go of its
    # API server stream; the other clients go on.
    leaver.close()
    kubelet.write(ns, f"{task}-pod", "step-poll", "[30s] PROCESSING\n")
    for reader in readers:
        reader.wait_for("[30s] PROCESSING\n")
    wait_for(
        lambda: kubelet.open_streams() == streams_before + 2,
        timeout=10,
        what="the departed client's upstream log stream to close",
    )

    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=20) == 0
    for reader in readers:
        assert reader.ended.wait(10)
        # No terminating chunk: the client sees a cut transfer, not a finished log.
        assert reader.error is not None
    kubelet.finish(ns, f"{task}-pod", "step-poll")
