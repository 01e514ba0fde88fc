"""Scenarios 5 and 6 of the real-cluster suite: the rendered status API streams
a real step's log through the real ``pods/log``; and ``make eventlistener`` /
``make eventlistener-clean`` leave a namespace that deletes completely."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
import urllib3
import yaml

from tests.cluster.addons import wait_available
from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, ROOT, deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
TOKEN = "status-token-0123456789"


def test_status_api_streams_a_real_step_log(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["spec"]["observe"] = {
        "statusApi": {
            "auth": {"type": "bearer", "secretRef": {"name": "bench-status", "key": "token"}}
        }
    }
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    real_cluster.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "bench-status", "namespace": namespace},
            "data": {"token": base64.b64encode(TOKEN.encode()).decode()},
        }
    )
    app = deploy(real_cluster, namespace, path)
    wait_available(real_cluster.cluster, namespace, "benchmark-mlop-status")
    service = real_cluster.cluster.get("v1", "Service", "benchmark-mlop-status", namespace)
    base = f"http://{service['spec']['clusterIP']}:80"

    assert app.send(FIELDS)[0] == 202
    run = app.wait_for_run()["metadata"]["name"]
    app.wait_finished(run)
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status = pool.request("GET", f"{base}/status/{run}", headers=auth)
    assert status.status == 200, status.data
    logs = pool.request("GET", f"{base}/logs/{run}", headers=auth)
    assert logs.status == 200, logs.data
    text = logs.data.decode()
    # What the kubelet holds for the summary step, read directly, is in the stream.
    summary = app.step_log(app.task_runs(run)["summary"], "summary")
    assert summary.strip() and summary.strip().splitlines()[0] in text, text
    submit = app.step_log(app.task_runs(run)["submit"], "submit")
    assert all(line in text for line in submit.strip().splitlines()[:3]), (submit, text)
    assert pool.request("GET", f"{base}/logs/{run}").status == 401


def _make(target: str, stack: Stack, namespace: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in stack.cluster.env(namespace).items()
        if k not in ("NAMESPACE", "MAKEFLAGS", "MAKELEVEL", "CONFIG")
    }
    proc = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"make {target}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_make_eventlistener_then_clean_leaves_nothing(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator
) -> None:
    cluster = real_cluster.cluster
    _make("eventlistener", real_cluster, namespace)
    app = deploy(real_cluster, namespace, apply=False)  # the webhook Secret, the waits
    assert app.send(FIELDS)[0] == 202
    run = app.wait_for_run()["metadata"]["name"]
    app.wait_finished(run)
    assert cluster.list_objects("v1", "Pod", namespace)  # the run's pods, the listener's

    _make("eventlistener-clean", real_cluster, namespace)
    cluster.delete("v1", "Secret", "benchmark-mlop-webhook", namespace)

    def nothing_left() -> bool:
        kinds = [
            ("tekton.dev/v1", "PipelineRun"),
            ("tekton.dev/v1", "TaskRun"),
            ("v1", "Pod"),
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("v1", "ConfigMap"),
            ("triggers.tekton.dev/v1beta1", "EventListener"),
            ("tekton.dev/v1", "Pipeline"),
        ]
        left = [
            o
            for av, k in kinds
            for o in cluster.list_objects(av, k, namespace)
            if k in ("PipelineRun", "TaskRun", "Pod", "Deployment", "EventListener", "Pipeline")
            or o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "benchgen"
        ]
        return not left

    wait_for(nothing_left, timeout=120, interval=1.0, what=f"nothing of ours left in {namespace}")
    for kind in ("ClusterRole", "ClusterRoleBinding"):  # cluster-scoped: named per namespace
        name = f"benchgen-{namespace}-benchmark-mlop-listener"
        assert cluster.get_or_none("rbac.authorization.k8s.io/v1", kind, name) is None, name
    real_cluster.delete_namespace(namespace)  # completes: GC and the namespace controller run
