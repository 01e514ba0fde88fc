"""What a user does with benchgen on a real cluster, as test steps: render and
apply, create the webhook Secret, wait for the listener Triggers creates, send
an event, and watch the PipelineRun that the real Tekton runs.

Everything is observed from outside: objects through the API server, step logs
through ``pods/log`` (the real kubelet), and what the orchestrator received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

from generator.compile import interceptor, refusals
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "benchmark.yaml.example"
BENCHGEN = str(Path(sys.executable).parent / "benchgen")
LISTENER = "benchmark-mlop-listener"
SECRET = "benchmark-mlop-webhook"
POLLER_IMAGE = "quay.io/benchgen/poller:0.1.0"
RUN_TIMEOUT = 240.0
# benchgen's interceptors a listener calls, by their benchgen.dev/role label.
LISTENER_INTERCEPTORS = (interceptor.ROLE, refusals.ROLE)
Obj = dict[str, Any]


def render(config: Path, namespace: str) -> str:
    proc = subprocess.run(
        [BENCHGEN, "render", str(config), "--namespace", namespace],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@dataclass
class Deployed:
    """A rendered config applied to a namespace, with its listener serving."""

    stack: Stack
    namespace: str
    secret: bytes
    listener_url: str

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST to the listener's Service; the status and body the caller gets."""
        resp = urllib3.request(
            "POST",
            self.listener_url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=5, read=30),
            retries=False,
        )
        text = resp.data.decode(errors="replace")
        if resp.status >= 300:  # say who answered: the sink, or something else
            text += f" {dict(resp.headers)}"
        return resp.status, text

    def send(
        self, fields: dict[str, Any], *, signed: bool = True, event: str = "push"
    ) -> tuple[int, str]:
        body = json.dumps(fields).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event}
        if signed:
            headers["X-Hub-Signature-256"] = self.sign(body)
        return self.post(body, headers)

    def runs(self) -> list[Obj]:
        return self.stack.cluster.list_objects("tekton.dev/v1", "PipelineRun", self.namespace)

    def wait_for_run(self, timeout: float = 60.0) -> Obj:
        return wait_for(
            lambda: (self.runs() or [None])[0],
            timeout=timeout,
            interval=0.5,
            what=f"a PipelineRun in {self.namespace}",
        )

    def wait_finished(self, name: str, timeout: float = RUN_TIMEOUT) -> Obj:
        def done() -> Obj | None:
            run = self.stack.cluster.get("tekton.dev/v1", "PipelineRun", name, self.namespace)
            cond = _succeeded(run)
            return run if cond and cond["status"] in ("True", "False") else None

        try:
            return wait_for(
                done, timeout=timeout, interval=1.0, what=f"PipelineRun {name} to finish"
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.describe(name)}") from None

    def task_runs(self, run: str) -> dict[str, Obj]:
        """The run's TaskRuns by pipeline task name."""
        items = self.stack.cluster.list_objects(
            "tekton.dev/v1",
            "TaskRun",
            self.namespace,
            label_selector=f"tekton.dev/pipelineRun={run}",
        )
        return {tr["metadata"]["labels"]["tekton.dev/pipelineTask"]: tr for tr in items}

    def step_log(self, task_run: Obj, step: str) -> str:
        pod = task_run["status"]["podName"]
        return self.stack.pod_logs(self.namespace, pod, f"step-{step}")

    def pod(self, task_run: Obj) -> Obj:
        return self.stack.cluster.get("v1", "Pod", task_run["status"]["podName"], self.namespace)

    def describe(self, run: str) -> str:
        """The run, its TaskRuns and pods, for a failure message."""
        lines = []
        pr = self.stack.cluster.get_or_none("tekton.dev/v1", "PipelineRun", run, self.namespace)
        lines.append(json.dumps((pr or {}).get("status", {}).get("conditions"), indent=1))
        for name, tr in self.task_runs(run).items():
            lines.append(f"{name}: {json.dumps(tr.get('status', {}).get('conditions'))}")
        for pod in self.stack.cluster.list_objects("v1", "Pod", self.namespace):
            lines.append(
                f"pod {pod['metadata']['name']}: {pod.get('status', {}).get('phase')} "
                f"{json.dumps(pod.get('status', {}).get('containerStatuses'))[:800]}"
            )
        return "\n".join(lines)


def _succeeded(obj: Obj) -> Obj | None:
    for cond in obj.get("status", {}).get("conditions", []) or []:
        if cond["type"] == "Succeeded":
            return dict(cond)
    return None


def results(run: Obj) -> dict[str, str]:
    return {r["name"]: r["value"] for r in run.get("status", {}).get("results", []) or []}


def deploy(stack: Stack, namespace: str, config: Path = EXAMPLE, *, apply: bool = True) -> Deployed:
    """``benchgen render | kubectl apply --server-side`` (unless ``apply`` is false:
    already applied, e.g. by ``make eventlistener``), the webhook Secret, then wait
    until Triggers has made the listener's Deployment and Service ready."""
    if apply:
        stack.run_kubectl(
            "apply",
            "--server-side",
            "-f",
            "-",
            input=render(config, namespace),
            namespace=namespace,
        )
    secret = secrets.token_hex(20).encode()
    stack.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": SECRET, "namespace": namespace},
            "data": {"token": base64.b64encode(secret).decode()},
        }
    )
    cluster = stack.cluster

    def listener_ready() -> Obj | None:
        el = cluster.get("triggers.tekton.dev/v1beta1", "EventListener", LISTENER, namespace)
        conds = {c["type"]: c["status"] for c in el.get("status", {}).get("conditions", []) or []}
        return el if conds.get("Ready") == "True" else None

    el = wait_for(listener_ready, timeout=180, interval=1.0, what=f"EventListener {LISTENER} Ready")
    # The listeners call benchgen's own interceptors: event-key last (CloudEvents;
    # webhook deduplication by delivery id), record-refusals around each check (when
    # recordRefusals is on). While one is not ready, or kube-proxy has not programmed
    # its Service yet, the listener's call fails and the event starts nothing and is
    # not recorded: under a loaded node that was seconds after "available".
    for dep in cluster.list_objects("apps/v1", "Deployment", namespace):
        role = dep["spec"]["selector"].get("matchLabels", {}).get("benchgen.dev/role")
        if role not in LISTENER_INTERCEPTORS:
            continue
        name = dep["metadata"]["name"]
        wait_for(
            lambda name=name: (
                cluster.get("apps/v1", "Deployment", name, namespace)
                .get("status", {})
                .get("availableReplicas")
            ),
            timeout=120,
            interval=1.0,
            what=f"Deployment {name} available",
        )
        # And its Service programmed by kube-proxy (the listener calls it through it).
        own = cluster.get("v1", "Service", name, namespace)
        wait_for(
            lambda ip=own["spec"]["clusterIP"], port=own["spec"]["ports"][0]["port"]: _accepts(
                ip, port
            ),
            timeout=60,
            interval=0.5,
            what=f"Service {name} to accept connections",
        )
    service = cluster.get("v1", "Service", f"el-{LISTENER}", namespace)
    port = next(p["port"] for p in service["spec"]["ports"] if p.get("name") == "http-listener")
    url = f"http://{service['spec']['clusterIP']}:{port}"
    assert el["status"].get("address", {}).get("url", "").startswith(f"http://el-{LISTENER}.")
    # Ready comes from the Deployment; kube-proxy programs the Service a moment later.
    wait_for(
        lambda: _accepts(service["spec"]["clusterIP"], port),
        timeout=60,
        interval=0.5,
        what=f"el-{LISTENER} to accept connections",
    )
    return Deployed(stack, namespace, secret, url)


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True
