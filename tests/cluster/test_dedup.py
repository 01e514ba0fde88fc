"""Deduplication by delivery id on the real cluster (issue 20): a GitHub-signed event
with ``X-GitHub-Delivery`` starts one run named after its delivery key; the rendered
event-key interceptor records the key once the run exists; after the run is deleted
(pruned) the same delivery again starts nothing, while another delivery starts its
run. Nothing here writes what a controller would write: the runs are Triggers'."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from generator.contract import deliveries
from generator.contract.event_key import delivery_key
from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

FIELDS = {
    "dvc_data_version": "v1.2.3",
    "prompts_version": "p-7",
    "known_non_issues_version": "kni.4",
    "image_version": "v2.1.0",
}
PREFIX = "benchmark-mlop-run-"  # the example's runPrefix: <name>-run-
RECORD = "benchmark-mlop-deliveries"
PR = "tekton.dev/v1"


def test_a_redelivery_after_the_run_was_pruned_starts_nothing(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator
) -> None:
    app = deploy(real_cluster, namespace)
    cluster = real_cluster.cluster
    body = json.dumps(FIELDS).encode()

    def deliver(delivery: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": app.sign(body),
        }
        status, text = app.post(body, headers)
        assert status == 202, text

    first = str(uuid.uuid4())
    run = PREFIX + delivery_key("github", first)
    deliver(first)
    wait_for(
        lambda: cluster.get_or_none(PR, "PipelineRun", run, namespace),
        timeout=60,
        interval=0.5,
        what=f"PipelineRun {run}",
    )

    def recorded() -> dict[str, int]:
        cm = cluster.get("v1", "ConfigMap", RECORD, namespace)
        return deliveries.parse((cm.get("data") or {}).get(deliveries.RECORD_KEY))

    key = delivery_key("github", first)
    wait_for(lambda: key in recorded(), timeout=60, interval=1.0, what=f"{key} in {RECORD}")

    # Pruned, as a pruner or `kubectl delete` would.
    cluster.delete(PR, "PipelineRun", run, namespace)
    wait_for(
        lambda: cluster.get_or_none(PR, "PipelineRun", run, namespace) is None,
        timeout=60,
        interval=0.5,
        what=f"PipelineRun {run} gone",
    )

    deliver(first)  # GitHub's "Redeliver": the same GUID
    sentinel = str(uuid.uuid4())
    deliver(sentinel)  # another event: must start its run
    other = PREFIX + delivery_key("github", sentinel)
    wait_for(
        lambda: cluster.get_or_none(PR, "PipelineRun", other, namespace),
        timeout=60,
        interval=0.5,
        what=f"PipelineRun {other}",
    )
    time.sleep(5)  # events are handled concurrently: give the redelivery time to show up
    names = sorted(r["metadata"]["name"] for r in app.runs())
    assert names == [other], names

    # The interceptor said why (its log, through the real pods/log).
    pods = cluster.list_objects(
        "v1", "Pod", namespace, label_selector="benchgen.dev/role=event-key"
    )
    logs = "".join(
        real_cluster.pod_logs(namespace, p["metadata"]["name"], "event-key") for p in pods
    )
    assert f"already started run {run}" in logs, logs[-2000:]
