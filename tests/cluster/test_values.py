"""Scenario 3 of the real-cluster suite: values the listener allows, holding
``$``, ``$(``, ``$$``, quotes, backticks and newlines, reach the orchestrator's
JSON body byte for byte, after Triggers (``$(tt.params.*)``), Tekton
(``$(params.*)``, ``$(context.*)``) and the kubelet (``$(VAR)``, ``$$``) have
each substituted."""

from __future__ import annotations

import pytest

from generator.contract.params import unescape
from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
VALUES = [
    # Tekton and Triggers variables, and a kubelet env reference to a real variable
    "a$b $(context.pipelineRun.name) $(context.taskRun.uid) $(params.prompts-version)"
    " $(tt.params.prompts-version) $(BENCHGEN_PARAM_PROMPTS_VERSION) $(HOSTNAME)",
    # the escapes each layer knows
    "$$ $$$ $$(x) $ $( %24 %25 %",
    # quotes, backticks, shell and JSON specials, newlines and tabs
    "q\"dq\" 'sq' `id` $(echo hi) \\ \\n\nline2\r\n\tend",
]


def test_values_arrive_byte_for_byte(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator
) -> None:
    app = deploy(real_cluster, namespace)
    for value in VALUES:
        status, answer = app.send({**FIELDS, "submitted_by": value})
        assert status == 202, answer
    wait_for(lambda: len(app.runs()) == len(VALUES), timeout=60, what="one run per event")
    for run in app.runs():
        app.wait_finished(run["metadata"]["name"])
    posts = orchestrator.fake.posts()
    assert len(posts) == len(VALUES)
    got = sorted(p.json()["submittedBy"].rsplit(" (run ", 1)[0] for p in posts)
    assert got == sorted(VALUES)
    # The run's annotation and params carry the escaped form (docs/runtime-interface.md).
    annotations = [r["metadata"]["annotations"]["benchgen.dev/trigger-source"] for r in app.runs()]
    assert all("$" not in a for a in annotations)
    assert sorted(unescape(a) for a in annotations) == sorted(VALUES)
