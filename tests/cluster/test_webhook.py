"""Scenarios 1 and 2 of the real-cluster suite: a signed GitHub webhook through
the real EventListener, interceptors, Tekton controller and kubelet to a
finished PipelineRun; the events that must start nothing; and those events
recorded with their reason and replayed (recordRefusals)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.contract import refusals
from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import BENCHGEN, EXAMPLE, POLLER_IMAGE, deploy, results
from tests.cluster.node import NODE_BRIDGE, POD_BRIDGE
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

FIELDS = {
    "dvc_data_version": "v1.2.3",
    "prompts_version": "p-7",
    "known_non_issues_version": "kni.4",
    "image_version": "v2.1.0",
    "submitted_by": "ci-bot",
}


def test_signed_webhook_runs_the_example_to_success(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator
) -> None:
    app = deploy(real_cluster, namespace)
    status, answer = app.send(FIELDS)
    assert status == 202, answer

    run = app.wait_for_run()
    name = run["metadata"]["name"]
    done = app.wait_finished(name)
    cond = next(c for c in done["status"]["conditions"] if c["type"] == "Succeeded")
    assert cond["status"] == "True", app.describe(name)

    # Exactly one batch, with exactly the fields the config maps.
    posts = [r for r in orchestrator.fake.requests if r.method == "POST"]
    assert len(posts) == 1, [(r.method, r.path) for r in orchestrator.fake.requests]
    body = posts[0].json()
    assert body == {
        "testingDataNvrsVersion": "v1.2.3",
        "promptsVersion": "p-7",
        "knownNonIssuesVersion": "kni.4",
        "sastAiImage": "quay.io/ecosystem-appeng/sast-ai-workflow:v2.1.0",
        "submittedBy": body["submittedBy"],
        "jobSettings": {"useKnownFalsePositiveFile": True},
    }
    assert body["submittedBy"].startswith("ci-bot")
    batch_id = str(next(iter(orchestrator.fake.batches)))

    got = results(done)
    assert got["batch-id"] == batch_id
    assert got["final-status"] == "COMPLETED"
    assert (got["total-jobs"], got["completed-jobs"], got["failed-jobs"]) == ("4", "4", "0")

    # The submit and wait steps ran in pods from the image this repo builds,
    # as the non-root user it declares; the summary ran in `finally`.
    task_runs = app.task_runs(name)
    assert {"submit", "wait", "summary"} <= task_runs.keys()
    for task in ("submit", "wait", "summary"):
        tr = task_runs[task]
        assert (
            next(c for c in tr["status"]["conditions"] if c["type"] == "Succeeded")["status"]
            == "True"
        )
        pod = app.pod(tr)
        steps = [c for c in pod["spec"]["containers"] if c["name"].startswith("step-")]
        assert [c["image"] for c in steps] == [POLLER_IMAGE], steps
        ran = [s for s in pod["status"]["containerStatuses"] if s["name"].startswith("step-")]
        assert all(s["state"]["terminated"]["exitCode"] == 0 for s in ran), ran
    summary = app.step_log(task_runs["summary"], "summary")
    assert "COMPLETED" in summary and batch_id in summary, summary


def _interceptor_answers(stack: Stack) -> list[str]:
    """The core interceptors' log lines that record an answer (their pod serves
    every listener; the log is read through the real ``pods/log``)."""
    pods = stack.cluster.list_objects(
        "v1", "Pod", "tekton-pipelines", label_selector="app.kubernetes.io/name=core-interceptors"
    )
    text = "\n".join(
        stack.pod_logs(
            "tekton-pipelines", p["metadata"]["name"], p["spec"]["containers"][0]["name"]
        )
        for p in pods
    )
    return [line for line in text.splitlines() if "Interceptor response is" in line]


# What stops each event, as the interceptor that stops it says.
REFUSED = {
    "unsigned": "no X-Hub-Signature-256 header set",
    "wrong signature": "payload signature check failed",
    "missing required field": "did not return true",  # the CEL filter
    "value breaking its pattern": "did not return true",
}


def test_refused_events_start_nothing(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator
) -> None:
    app = deploy(real_cluster, namespace)
    body = json.dumps(FIELDS).encode()
    cases = {
        "unsigned": (body, {}),
        "wrong signature": (body, {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        "missing required field": (
            json.dumps({k: v for k, v in FIELDS.items() if k != "prompts_version"}).encode(),
            None,
        ),
        "value breaking its pattern": (
            json.dumps({**FIELDS, "dvc_data_version": "-starts-with-dash"}).encode(),
            None,
        ),
    }
    received: dict[str, tuple[int, str]] = {}
    refusals: dict[str, str] = {}
    for case, (payload, headers) in cases.items():
        seen = len(_interceptor_answers(real_cluster))
        hdrs = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
        hdrs.update(headers if headers is not None else {"X-Hub-Signature-256": app.sign(payload)})
        received[case] = app.post(payload, hdrs)

        # One event at a time: the interceptor that stops it logs a refusal.
        def refused(seen: int = seen) -> str | None:
            new = _interceptor_answers(real_cluster)[seen:]
            return next((line for line in new if "Continue:false" in line), None)

        refusals[case] = wait_for(refused, timeout=60, interval=0.5, what=f"{case} to be refused")
        assert REFUSED[case] in refusals[case], refusals[case]
    time.sleep(3)  # a run, if one were created, would be there by now
    assert app.runs() == []
    assert orchestrator.fake.requests == []
    # Triggers answers before the interceptors run: every caller gets 202 and an
    # event id, whatever happens next (the refusal is visible only in the logs).
    for case, (status, text) in received.items():
        assert status == 202 and json.loads(text)["eventID"], (case, received[case])
    print("what each refused caller received:", json.dumps(received, indent=1))
    print("what stopped each:", json.dumps(refusals, indent=1))


def test_cluster_traffic_stays_on_this_machine(real_cluster: Stack) -> None:
    """Service addresses route to the port-less node bridge (a Service kube-proxy
    has not programmed yet is dropped there, not sent out of the default route),
    and what pods send anywhere but to pods, Services and this machine is dropped.
    Asked of the kernel's routing (``ip route get``), which sends nothing."""

    def route(*args: str) -> str:
        proc = subprocess.run(["ip", "route", "get", *args], capture_output=True, text=True)
        return proc.stdout + proc.stderr

    assert f"dev {NODE_BRIDGE}" in route("10.96.255.254"), route("10.96.255.254")
    pod = ("from", "10.244.0.200", "iif", POD_BRIDGE)
    outside = route("192.0.2.1", *pod)  # TEST-NET-1: a blackhole answers EINVAL
    assert "via" not in outside and ("blackhole" in outside or "Invalid argument" in outside)
    assert f"dev {NODE_BRIDGE}" in route("10.96.255.254", *pod)
    assert "local" in route(real_cluster.node_ip, *pod)


def _records(stack: Stack, namespace: str, count: int) -> list[dict[str, Any]]:
    """The refusal record once it holds ``count`` events (the recorder settles an
    event 30 s after its first checkpoint)."""

    def enough() -> list[dict[str, Any]] | None:
        cm = stack.cluster.get("v1", "ConfigMap", RECORD, namespace)
        records = refusals.parse((cm.get("data") or {}).get(refusals.RECORD_KEY))
        return records if len(records) >= count else None

    return wait_for(enough, timeout=120, interval=1.0, what=f"{count} records in {RECORD}")


RECORD = "benchmark-mlop-refusals"


def test_refused_events_are_recorded_with_their_reason_and_replayed(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    """spec.triggers.webhook.recordRefusals: the real listener calls the recorder's
    checkpoints around each check; a badly signed and a schema-invalid event are
    recorded with the check that refused them and no secret; `benchgen replay`
    sends the first again, signed with the right secret, and it starts a run;
    the second is refused again, and recorded again under its new event id."""
    config = yaml.safe_load(EXAMPLE.read_text())
    config["spec"]["triggers"]["webhook"]["recordRefusals"] = {"enabled": True}
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config))
    # deploy() also waits until the recorder's Service takes connections: a checkpoint
    # call that fails stops the event unrecorded (b33b706's CI, on a loaded node).
    app = deploy(real_cluster, namespace, path)
    body = json.dumps(FIELDS).encode()
    hdrs = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
    wrong = "sha256=" + "0" * 64
    status, text = app.post(body, {**hdrs, "X-Hub-Signature-256": wrong})
    assert status == 202, text
    unsigned_id = json.loads(text)["eventID"]
    invalid = json.dumps({**FIELDS, "dvc_data_version": "-starts-with-dash"}).encode()
    status, text = app.post(invalid, {**hdrs, "X-Hub-Signature-256": app.sign(invalid)})
    assert status == 202, text
    invalid_id = json.loads(text)["eventID"]

    records = {r["id"]: r for r in _records(real_cluster, namespace, 2)}
    assert set(records) == {unsigned_id, invalid_id}, records
    assert records[unsigned_id]["check"] == "verify-github"
    assert records[invalid_id]["check"] == "validate-payload"
    for record in records.values():
        assert record["eventType"] == "push"
        assert record["headers"]["X-GitHub-Event"] == "push"
        assert "X-Hub-Signature-256" not in record["headers"]
    assert records[unsigned_id]["body"] == body.decode()
    stored = real_cluster.cluster.get("v1", "ConfigMap", RECORD, namespace)["data"]
    assert wrong not in json.dumps(stored) and app.secret.decode() not in json.dumps(stored)
    assert app.runs() == []

    secret = tmp_path / "secret"
    secret.write_bytes(app.secret)
    env = real_cluster.cluster.env(namespace)

    def replay(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BENCHGEN, "replay", str(path), "-n", namespace, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )

    listed = replay("--list")
    assert listed.returncode == 0, listed.stderr
    assert "verify-github" in listed.stdout and "validate-payload" in listed.stdout
    sent = replay(unsigned_id, "--url", app.listener_url, "--secret-file", str(secret))
    assert sent.returncode == 0 and sent.stdout.startswith("HTTP 202"), sent
    name = app.wait_for_run()["metadata"]["name"]
    done = app.wait_finished(name)
    cond = next(c for c in done["status"]["conditions"] if c["type"] == "Succeeded")
    assert cond["status"] == "True", app.describe(name)

    again = replay(invalid_id, "--url", app.listener_url, "--secret-file", str(secret))
    assert again.returncode == 0, again
    new_id = next(
        line.split()[2] for line in again.stderr.splitlines() if line.startswith("event id:")
    )
    records = {r["id"]: r for r in _records(real_cluster, namespace, 3)}
    assert records[new_id]["check"] == "validate-payload", records
    # The replay that started its run was settled by now and is not recorded.
    assert len(records) == 3, records
    assert len(app.runs()) == 1
    print("records:", json.dumps(list(records.values()), indent=1))
