"""Scenario 4 of the real-cluster suite: a batch that ends FAILED or CANCELLED,
and one that outlives ``poll.timeout``. Each PipelineRun fails, and the summary
Task (``finally``) reports the status and the counts the orchestrator gave."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, Deployed, deploy, results
from tests.cluster.stack import Stack
from tests.runtime.fake_orchestrator import finishes, never_finishes

pytestmark = pytest.mark.cluster

FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}


def _finish(app: Deployed, fields: dict[str, str]) -> tuple[dict, dict[str, str], str]:
    before = {r["metadata"]["name"] for r in app.runs()}
    status, answer = app.send(fields)
    assert status == 202, answer
    from tests.e2e.cluster import wait_for

    name = wait_for(
        lambda: next(
            (r["metadata"]["name"] for r in app.runs() if r["metadata"]["name"] not in before), None
        ),
        timeout=60,
        what="the new PipelineRun",
    )
    run = app.wait_finished(name)
    summary = app.step_log(app.task_runs(name)["summary"], "summary")
    return run, results(run), summary


def _failed(run: dict) -> bool:
    cond = next(c for c in run["status"]["conditions"] if c["type"] == "Succeeded")
    return cond["status"] == "False"


@pytest.mark.parametrize("final", ["FAILED", "CANCELLED"])
def test_failed_or_cancelled_batch_fails_the_run(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, final: str
) -> None:
    app = deploy(real_cluster, namespace)
    orchestrator.fake.plan = lambda: finishes(final, after=1, total=4)
    run, _, summary = _finish(app, {**FIELDS, "submitted_by": final.lower()})
    assert _failed(run), app.describe(run["metadata"]["name"])
    wait_tr = app.task_runs(run["metadata"]["name"])["wait"]
    got = {r["name"]: r["value"] for r in wait_tr["status"].get("results", [])}
    assert got["final-status"] == final
    assert (got["total-jobs"], got["completed-jobs"], got["failed-jobs"]) == ("4", "1", "0")
    assert f"final status {final}" in summary, summary
    assert "1 of 4 completed" in summary, summary
    assert {"FAILED": "the batch failed", "CANCELLED": "the batch was cancelled"}[final] in summary
    assert len(orchestrator.fake.posts()) == 1


def test_poll_timeout_fails_the_run(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["spec"]["poll"].update({"timeout": "25s", "interval": "5s", "maxInterval": "5s"})
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    app = deploy(real_cluster, namespace, path)
    orchestrator.fake.plan = never_finishes
    run, _, summary = _finish(app, FIELDS)
    assert _failed(run), app.describe(run["metadata"]["name"])
    wait_tr = app.task_runs(run["metadata"]["name"])["wait"]
    got = {r["name"]: r["value"] for r in wait_tr["status"].get("results", [])}
    assert got["final-status"] == "TIMEOUT", got
    assert "final status TIMEOUT" in summary and "3 of 10 completed" in summary, summary
    assert len(orchestrator.fake.posts()) == 1
