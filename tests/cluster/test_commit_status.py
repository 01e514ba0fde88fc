"""Commit statuses from the rendered observer on the real cluster (issue 20).

The example with two more params (the repository and the pushed commit) and
``spec.observe.commitStatus`` to a loopback stand-in of GitHub's commit status
API on the node's address (tests/runtime/fake_commit_status.py), its token in a
Secret the render mounts. A signed push starts a run that the real Tekton runs
to Succeeded; the observer pod, reading the run's annotations, reports it to
the pushed commit: pending, then success, with the context, the link to the
status API and the token from the Secret. The CloudEvents sink gets the run's
events as well.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for
from tests.runtime.fake_commit_status import FakeStatuses
from tests.runtime.fake_orchestrator import finishes
from tests.runtime.observe_sink import CloudEventSink

pytestmark = pytest.mark.cluster

NAME = "benchmark-mlop"
OBSERVER = f"{NAME}-observer"
TOKEN_SECRET = "bench-github-status"
TOKEN = "ghs_cluster_token_1"
REPO = "octo-org/bench-repo"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}


def _config(tmp: Path, sink: str, api: str) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["params"] += [
        {
            "name": "repository",
            "from": "body.repository.full_name",
            "required": True,
            "pattern": "[A-Za-z0-9-]+/[A-Za-z0-9._-]+",
        },
        {"name": "commit", "from": "body.after", "required": True, "pattern": "[0-9a-f]{40}"},
    ]
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    spec["observe"] = {
        "observer": {"sink": sink},
        "commitStatus": {
            "provider": "github",
            "apiUrl": api,
            "repository": {"param": "repository"},
            "sha": {"param": "commit"},
            "tokenSecretRef": {"name": TOKEN_SECRET, "key": "token"},
            "statusUrl": "https://ci.example.com/bench",
        },
    }
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def github(real_cluster: Stack) -> Iterator[FakeStatuses]:
    with FakeStatuses({TOKEN}, host=real_cluster.node_ip) as fake:
        yield fake


def test_the_observer_reports_a_run_to_its_commit(
    real_cluster: Stack,
    namespace: str,
    orchestrator: Orchestrator,
    github: FakeStatuses,
    tmp_path: Path,
) -> None:
    orchestrator.fake.plan = lambda: finishes("COMPLETED", after=2, total=2)
    real_cluster.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": TOKEN_SECRET, "namespace": namespace},
            "data": {"token": base64.b64encode(TOKEN.encode() + b"\n").decode()},
        }
    )
    with CloudEventSink(host=real_cluster.node_ip) as sink:
        app = deploy(real_cluster, namespace, _config(tmp_path, sink.url, github.url))
        from tests.cluster.addons import wait_available

        wait_available(real_cluster.cluster, namespace, OBSERVER, timeout=120)
        status, answer = app.send({**FIELDS, "repository": {"full_name": REPO}, "after": SHA})
        assert status == 202, answer
        run = app.wait_for_run()
        name = run["metadata"]["name"]
        notes = run["metadata"].get("annotations") or {}
        assert notes.get("benchgen.dev/commit-sha") == SHA
        assert notes.get("benchgen.dev/commit-repository") == REPO
        finished = app.wait_finished(name)
        cond = next(c for c in finished["status"]["conditions"] if c["type"] == "Succeeded")
        assert cond["status"] == "True", app.describe(name)

        wait_for(
            lambda: github.states()[-1:] == ["success"],
            timeout=90,
            interval=0.5,
            what="the success status at the GitHub stand-in",
        )
        wait_for(
            lambda: any(e.type == "dev.benchgen.run.succeeded.v1" for e in sink.acked),
            timeout=60,
            interval=0.5,
            what="the run's end at the CloudEvents sink",
        )
    posts = github.accepted()
    # The observer may first see the run created or already started: "queued" is
    # reported only when it saw it before Tekton started it.
    descriptions = [p.body["description"] for p in posts]
    assert descriptions[-2:] == ["benchgen: running", "benchgen: succeeded"], descriptions
    assert descriptions in (
        ["benchgen: running", "benchgen: succeeded"],
        ["benchgen: queued", "benchgen: running", "benchgen: succeeded"],
    )
    for post in posts:
        assert (post.project, post.sha, post.token) == (REPO, SHA, TOKEN)
        assert post.body["context"] == f"benchgen/{NAME}"
        assert post.body["target_url"] == f"https://ci.example.com/bench/status/{name}"
    # Each transition once: nothing refused, nothing repeated.
    assert len(github.posts) == len(posts)
