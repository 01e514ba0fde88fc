"""The gitlab profile on the real cluster: the example, rendered with
``spec.orchestrator.profile: gitlab``, triggers one pipeline of the fake GitLab
(tests/runtime/fake_gitlab.py, on the node's address behind a Service) per
event, with the token read from a mounted Secret, and the run ends as the
pipeline does."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cluster.flow import EXAMPLE, deploy
from tests.cluster.stack import Stack
from tests.runtime.fake_gitlab import ENDPOINT, FakeGitLab
from tests.runtime.fake_orchestrator import ScriptedPlan, View

pytestmark = pytest.mark.cluster

FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
VARIABLES = {
    "dvc-data-version": "DVC_DATA_VERSION",
    "prompts-version": "PROMPTS_VERSION",
    "known-non-issues-version": "KNOWN_NON_ISSUES_VERSION",
    "image-version": "SAST_AI_IMAGE",
    "submitted-by": "SUBMITTED_BY",
    "use-known-false-positive-file": "USE_KNOWN_FALSE_POSITIVE_FILE",
}


@pytest.fixture
def gitlab(real_cluster: Stack, namespace: str) -> Iterator[FakeGitLab]:
    """The fake GitLab as ``http://gitlab.<namespace>.svc.cluster.local``, and its
    token in the Secret ``gitlab-api``."""
    with FakeGitLab(host=real_cluster.node_ip) as fake:
        port = int(fake.url.rsplit(":", 1)[1])
        real_cluster.expose(namespace, "gitlab", 80, real_cluster.node_ip, port)
        real_cluster.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "gitlab-api", "namespace": namespace},
                "data": {"token": base64.b64encode(fake.token.encode()).decode()},
            }
        )
        yield fake


def _config(tmp_path: Path) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    orch = config["spec"]["orchestrator"]
    for field in orch["request"]:
        field["field"] = VARIABLES[field["param"]]
    orch.update(
        {
            "profile": "gitlab",
            "url": "http://gitlab.{namespace}.svc.cluster.local:80",
            "batchEndpoint": ENDPOINT,
            "ref": "main",
            "tokenSecretRef": {"name": "gitlab-api", "key": "token"},
        }
    )
    config["spec"]["poll"].update({"interval": "2s", "maxInterval": "5s"})
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize(("final", "outcome"), [("success", "COMPLETED"), ("failed", "FAILED")])
def test_a_pipeline_per_event_and_the_run_ends_as_it_does(
    real_cluster: Stack,
    namespace: str,
    gitlab: FakeGitLab,
    tmp_path: Path,
    final: str,
    outcome: str,
) -> None:
    app = deploy(real_cluster, namespace, _config(tmp_path))
    gitlab.plan = lambda: ScriptedPlan([View("PROCESSING"), View("PROCESSING"), View(final)])
    before = {r["metadata"]["name"] for r in app.runs()}
    status, answer = app.send(FIELDS)
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
    cond = next(c for c in run["status"]["conditions"] if c["type"] == "Succeeded")
    assert cond["status"] == ("True" if outcome == "COMPLETED" else "False"), app.describe(name)
    wait_tr = app.task_runs(name)["wait"]
    got = {r["name"]: r["value"] for r in wait_tr["status"].get("results", [])}
    assert got["final-status"] == outcome
    [post] = gitlab.posts()
    assert post.headers["private-token"] == gitlab.token
    variables = {v["key"]: v["value"] for v in post.json()["variables"]}
    assert variables["DVC_DATA_VERSION"] == "v1"
    assert variables["BENCHGEN_RUN_KEY"]  # the submit TaskRun's uid
