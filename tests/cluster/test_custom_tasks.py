"""``poll.mode: controller`` on the real cluster: the real Tekton creates the
CustomRuns of the Pipeline's Submit and Wait custom tasks, and the rendered
``benchgen-custom-tasks`` Deployment (the runtime image) reconciles them.

Checked from outside, as in pod mode (test_outcomes.py): the PipelineRun's
outcome, the summary Task's report, what the orchestrator received; and here
also that no pod ran for submit or wait, that killing the controller at the
worst moments neither loses nor repeats a batch, and that a cancelled run is
no longer polled.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, Deployed, deploy, results
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for
from tests.runtime.fake_orchestrator import Fault, finishes, never_finishes

pytestmark = pytest.mark.cluster

FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
CONTROLLER = "benchmark-mlop-custom-tasks"
Obj = dict[str, Any]


def _config(tmp_path: Path, **poll: str) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["spec"]["poll"].update({"mode": "controller", "interval": "2s", "maxInterval": "4s"})
    config["spec"]["poll"].update(poll)
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _deploy(stack: Stack, namespace: str, tmp_path: Path, **poll: str) -> Deployed:
    app = deploy(stack, namespace, _config(tmp_path, **poll))
    wait_for(
        lambda: _controller_pod(app, ready=True),
        timeout=120,
        interval=1.0,
        what=f"{CONTROLLER} ready",
    )
    return app


def _controller_pod(app: Deployed, *, ready: bool = False) -> Obj | None:
    pods = app.stack.cluster.list_objects(
        "v1", "Pod", app.namespace, label_selector="benchgen.dev/role=custom-tasks"
    )
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", []) or []}
        if not ready or conds.get("Ready") == "True":
            return pod
    return None


def _kill_controller(app: Deployed) -> str:
    """Delete the controller's pod at once (no grace: nothing in flight finishes)."""
    pod = _controller_pod(app)
    assert pod is not None
    name = pod["metadata"]["name"]
    app.stack.run_kubectl(
        "delete", "pod", name, "--grace-period=0", "--force", namespace=app.namespace
    )
    return name


def _custom_runs(app: Deployed, run: str) -> dict[str, Obj]:
    items = app.stack.cluster.list_objects(
        "tekton.dev/v1beta1",
        "CustomRun",
        app.namespace,
        label_selector=f"tekton.dev/pipelineRun={run}",
    )
    return {cr["metadata"]["labels"]["tekton.dev/pipelineTask"]: cr for cr in items}


def _start(app: Deployed, fields: dict[str, str] = FIELDS) -> str:
    before = {r["metadata"]["name"] for r in app.runs()}
    status, answer = app.send(fields)
    assert status == 202, answer
    return str(
        wait_for(
            lambda: next(
                (r["metadata"]["name"] for r in app.runs() if r["metadata"]["name"] not in before),
                None,
            ),
            timeout=60,
            what="the new PipelineRun",
        )
    )


def _cond(obj: Obj) -> Obj:
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Succeeded")


def _results(obj: Obj) -> dict[str, str]:
    return {r["name"]: r["value"] for r in obj.get("status", {}).get("results", []) or []}


def test_event_to_succeeded_without_a_pod_for_submit_or_wait(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app = _deploy(real_cluster, namespace, tmp_path)
    orchestrator.fake.plan = lambda: finishes("COMPLETED", after=3, total=4)
    name = _start(app)
    run = app.wait_finished(name)
    assert _cond(run)["status"] == "True", app.describe(name)
    custom = _custom_runs(app, name)
    assert set(custom) == {"submit", "wait"}
    assert _results(custom["wait"]) == {
        "final-status": "COMPLETED",
        "total-jobs": "4",
        "completed-jobs": "4",
        "failed-jobs": "0",
    }
    assert _results(custom["submit"])["batch-id"] == "12"
    # The same Pipeline results as the pod mode, from the CustomRuns.
    assert results(run)["final-status"] == "COMPLETED" and results(run)["batch-id"] == "12"
    # No TaskRun and no pod for submit or wait; the summary (finally) still runs.
    task_runs = app.task_runs(name)
    assert "submit" not in task_runs and "wait" not in task_runs
    pods = app.stack.cluster.list_objects("v1", "Pod", namespace)
    assert not [
        p
        for p in pods
        if p["metadata"].get("labels", {}).get("tekton.dev/pipelineTask") in ("submit", "wait")
    ]
    summary = app.step_log(task_runs["summary"], "summary")
    assert "final status COMPLETED" in summary and "4 of 4 completed" in summary, summary
    [post] = orchestrator.fake.posts()
    # The idempotency key is the CustomRun's uid.
    assert post.json()["submittedBy"].endswith(f"(run {custom['submit']['metadata']['uid']})")


@pytest.mark.parametrize("final", ["FAILED", "CANCELLED"])
def test_failed_or_cancelled_batch_fails_the_run_as_in_pod_mode(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path, final: str
) -> None:
    app = _deploy(real_cluster, namespace, tmp_path)
    orchestrator.fake.plan = lambda: finishes(final, after=1, total=4)
    name = _start(app, {**FIELDS, "submitted_by": final.lower()})
    run = app.wait_finished(name)
    assert _cond(run)["status"] == "False", app.describe(name)
    wait_run = _custom_runs(app, name)["wait"]
    assert _cond(wait_run)["reason"] == "BatchFailed"
    got = _results(wait_run)
    assert got["final-status"] == final
    assert (got["total-jobs"], got["completed-jobs"], got["failed-jobs"]) == ("4", "1", "0")
    summary = app.step_log(app.task_runs(name)["summary"], "summary")
    assert f"final status {final}" in summary and "1 of 4 completed" in summary, summary
    assert len(orchestrator.fake.posts()) == 1


def test_timeout_fails_the_run_with_final_status_timeout(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app = _deploy(real_cluster, namespace, tmp_path, timeout="20s")
    orchestrator.fake.plan = never_finishes
    name = _start(app)
    run = app.wait_finished(name)
    assert _cond(run)["status"] == "False", app.describe(name)
    wait_run = _custom_runs(app, name)["wait"]
    assert _cond(wait_run)["reason"] == "CustomRunTimedOut"
    assert _results(wait_run)["final-status"] == "TIMEOUT"
    summary = app.step_log(app.task_runs(name)["summary"], "summary")
    assert "final status TIMEOUT" in summary and "3 of 10 completed" in summary, summary
    assert len(orchestrator.fake.posts()) == 1


def test_killing_the_controller_during_submit_and_during_wait_gives_one_batch(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app = _deploy(real_cluster, namespace, tmp_path)
    fake = orchestrator.fake
    fake.plan = lambda: finishes("COMPLETED", after=12, total=4)
    # The batch is created, then its 201 is held back: the controller dies
    # between the POST and the status write.
    fake.add_fault("POST", Fault.slow(90))
    name = _start(app)
    wait_for(lambda: fake.created == 1, timeout=90, interval=0.5, what="the POST")
    first = _kill_controller(app)
    wait_for(
        lambda: (p := _controller_pod(app, ready=True)) and p["metadata"]["name"] != first,
        timeout=120,
        interval=1.0,
        what="a new controller pod",
    )
    # During the wait: once it has polled, kill it again.
    wait_for(lambda: fake.gets(12), timeout=120, interval=0.5, what="the first poll")
    second = _kill_controller(app)
    run = app.wait_finished(name)
    assert _cond(run)["status"] == "True", app.describe(name)
    assert fake.created == 1 and len(fake.posts()) == 1
    custom = _custom_runs(app, name)
    # The second controller found the first one's batch by the CustomRun's uid.
    assert _cond(custom["submit"])["message"] == "batch 12 adopted (PROCESSING)"
    assert _results(custom["wait"])["final-status"] == "COMPLETED"
    assert second != first


def test_cancelling_the_run_stops_the_polling(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app = _deploy(real_cluster, namespace, tmp_path)
    fake = orchestrator.fake
    fake.plan = never_finishes
    name = _start(app)
    wait_for(lambda: len(fake.gets(12)) >= 2, timeout=120, interval=0.5, what="two polls")
    app.stack.cluster.patch(
        "tekton.dev/v1", "PipelineRun", name, {"spec": {"status": "Cancelled"}}, namespace
    )
    run = app.wait_finished(name)
    assert _cond(run)["status"] == "False"

    def wait_ended() -> Obj | None:
        cr = _custom_runs(app, name)["wait"]
        done = "conditions" in cr.get("status", {}) and _cond(cr)["status"] == "False"
        return cr if done else None

    wait_run = wait_for(wait_ended, timeout=60, what="the wait CustomRun to end")
    assert _cond(wait_run)["reason"] == "CustomRunCancelled"
    polls = len(fake.gets(12))
    time.sleep(12)  # three poll intervals of 4 s
    assert len(fake.gets(12)) == polls
