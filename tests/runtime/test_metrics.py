"""``GET /metrics`` (generator/runtime/metrics.py): scraped over HTTP from the probes'
port of a running ``serve`` and of an observer, and parsed with
``prometheus_client.parser`` (what a Prometheus server would accept)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from generator.contract import customtask as ct
from generator.contract.observe import decode as load_config
from generator.runtime.bounded_http import ProbeServer
from generator.runtime.metrics import CustomTaskMetrics, Exposition, GateMetrics, outcome
from generator.runtime.observe.controller import Observer
from generator.runtime.observe.events import PIPELINE_RUN, TASK_RUN, run_started
from tests.runtime.fake_orchestrator import FakeClock, FakeOrchestrator, Fault, finishes
from tests.runtime.hostile_clients import TOKEN, free_port, get, serve
from tests.runtime.observe_sink import CloudEventSink
from tests.runtime.test_custom_tasks import PARAMS, Store, drive, reconciler

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
T0 = 1_764_756_000.0  # 2025-12-03T10:00:00Z
CREATED = "2025-12-03T10:00:00Z"


def scrape(port: int) -> tuple[str, Samples]:
    """GET /metrics; its Content-Type and every sample, keyed by name and labels."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        assert resp.status == 200
        body = resp.read().decode()
        content_type = resp.getheader("Content-Type") or ""
    finally:
        conn.close()
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        assert family.documentation, f"{family.name} has no help text"
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return content_type, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def pipeline_run(name: str, done: str | None = None, reason: str = "", **status: Any) -> Any:
    conditions = []
    if done is not None:
        conditions = [{"type": "Succeeded", "status": done, "reason": reason}]
    return {
        "metadata": {"name": name, "namespace": "ci", "uid": f"uid-{name}",
                     "creationTimestamp": CREATED, "labels": {"benchgen.dev/benchmark": "sast"}},
        "spec": {},
        "status": {"conditions": conditions, **status},
    }  # fmt: skip


def test_outcome_follows_tektons_reasons() -> None:
    assert outcome(pipeline_run("a")) is None
    assert outcome(pipeline_run("a", "Unknown", "Running")) is None
    assert outcome(pipeline_run("a", "True", "Succeeded")) == "succeeded"
    assert outcome(pipeline_run("a", "False", "Failed")) == "failed"
    assert outcome(pipeline_run("a", "False", "Cancelled")) == "cancelled"
    assert outcome(pipeline_run("a", "False", "StoppedRunFinally")) == "cancelled"
    assert outcome(pipeline_run("a", "False", "PipelineRunTimeout")) == "timeout"


# -- the observer -------------------------------------------------------------------


@pytest.fixture
def sink() -> Iterator[CloudEventSink]:
    with CloudEventSink() as s:
        yield s


@pytest.fixture
def observer(sink: CloudEventSink) -> Iterator[tuple[Observer, int]]:
    """An observer (no API server: the test feeds its cache as the watches would)
    and its probes' server on a free port, serving its /metrics."""
    cfg = load_config(
        {
            "BENCHGEN_NAMESPACES": "ci",
            "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=sast",
            "BENCHGEN_SINK": sink.url,
            "BENCHGEN_EVENT_SOURCE": "/benchgen/ci/sast",
            "BENCHGEN_DELIVERY_TIMEOUT": "2s",
        }
    )
    obs = Observer(cfg, None, threading.Event())  # type: ignore[arg-type]
    port = free_port()
    probes = ProbeServer(port, {"/healthz": lambda: True}, obs.exposition.render).start()
    try:
        yield obs, port
    finally:
        probes.stop()


def test_the_observer_counts_runs_as_they_finish_and_deliveries(
    observer: tuple[Observer, int], sink: CloudEventSink
) -> None:
    obs, port = observer
    content_type, before = scrape(port)
    assert content_type.startswith("text/plain; version=0.0.4")
    for name in ("succeeded", "failed", "cancelled", "timeout"):
        assert value(before, "benchgen_runs_finished_total", outcome=name) == 0

    # Done before the observer looked (its first list): not a finish it saw.
    obs._apply(PIPELINE_RUN, "ADDED", pipeline_run("old", "True", "Succeeded"))
    running = pipeline_run("a", "Unknown", "Running", startTime=CREATED)
    obs._apply(PIPELINE_RUN, "ADDED", running)
    failing = pipeline_run("b", "Unknown", "Running", startTime=CREATED)
    obs._apply(PIPELINE_RUN, "ADDED", failing)
    _, mid = scrape(port)
    assert value(mid, "benchgen_runs_finished_total", outcome="succeeded") == 0

    done = pipeline_run("a", "True", "Succeeded", completionTime="2025-12-03T10:00:05Z")
    obs._apply(PIPELINE_RUN, "MODIFIED", done)
    obs._apply(PIPELINE_RUN, "MODIFIED", done)  # the same end again (a resync): once
    obs._apply(PIPELINE_RUN, "MODIFIED", pipeline_run("b", "False", "PipelineRunTimeout"))
    _, after = scrape(port)
    assert value(after, "benchgen_runs_finished_total", outcome="succeeded") == 1
    assert value(after, "benchgen_runs_finished_total", outcome="timeout") == 1
    assert value(after, "benchgen_runs_finished_total", outcome="failed") == 0
    # One detection delay: b has no completionTime to measure from.
    assert value(after, "benchgen_run_detection_delay_seconds_count") == 1

    # A TaskRun retried by Tekton: counted by its Pipeline task, from its second state on.
    tr = {
        "metadata": {"name": "a-submit", "namespace": "ci", "uid": "uid-tr",
                     "labels": {"tekton.dev/pipelineRun": "a", "tekton.dev/pipelineTask": "submit"}},
        "status": {"retriesStatus": []},
    }  # fmt: skip
    obs._apply(TASK_RUN, "ADDED", tr)
    obs._apply(TASK_RUN, "MODIFIED", {**tr, "status": {"retriesStatus": [{}, {}]}})
    _, retried = scrape(port)
    assert value(retried, "benchgen_task_retries_total", pipeline_task="submit") == 2

    # Deliveries: one acknowledged after a retry, one refused. (Of a run not in the
    # cache: there is no API server here to record the annotation on.)
    due = run_started(pipeline_run("c", "Unknown", "Running", startTime=CREATED), set())
    assert due is not None
    sink.fail_next(1, 503)
    assert obs._deliver(due)
    sink.fail_next(1, 400)
    assert not obs._deliver(due)
    _, sent = scrape(port)
    kind = {"type": due.type}
    assert value(sent, "benchgen_cloudevent_deliveries_total", **kind) == 1
    assert value(sent, "benchgen_cloudevent_delivery_failures_total", **kind) == 1
    assert value(sent, "benchgen_cloudevent_delivery_retries_total") == 1
    # Nothing names a run: labels come from small fixed sets only.
    assert not any("a-submit" in str(key) or "uid-" in str(key) for key in sent)


def test_an_observer_without_a_gate_has_no_queue_metrics(observer: tuple[Observer, int]) -> None:
    _, samples = scrape(observer[1])
    assert not any(name.startswith("benchgen_queue") for name, _ in samples)


# -- the gate ------------------------------------------------------------------------


def test_the_gate_reports_its_queue_and_the_wait() -> None:
    exposition = Exposition()
    now = [T0 + 90]
    gate = GateMetrics(exposition, wall=lambda: now[0])
    gate.queue(
        [
            ("pending", "2025-12-03T10:00:30Z"),
            ("pending", CREATED),  # the oldest: 90 s
            ("active", CREATED),
            ("done", CREATED),
        ]
    )
    gate.released(CREATED)
    port = free_port()
    probes = ProbeServer(port, {}, exposition.render).start()
    try:
        _, samples = scrape(port)
        assert value(samples, "benchgen_queue_pending_runs") == 2
        assert value(samples, "benchgen_queue_active_runs") == 1
        assert value(samples, "benchgen_queue_oldest_pending_age_seconds") == 90
        assert value(samples, "benchgen_queue_wait_seconds_count") == 1
        assert value(samples, "benchgen_queue_wait_seconds_bucket", le="60.0") == 0
        assert value(samples, "benchgen_queue_wait_seconds_bucket", le="120.0") == 1
        now[0] += 30  # the age grows between two pictures of the gate
        _, later = scrape(port)
        assert value(later, "benchgen_queue_oldest_pending_age_seconds") == 120
        gate.queue([("active", CREATED)])
        _, empty = scrape(port)
        assert value(empty, "benchgen_queue_oldest_pending_age_seconds") == 0
        assert value(empty, "benchgen_queue_pending_runs") == 0
    finally:
        probes.stop()


def test_probes_without_metrics_answer_404() -> None:
    port = free_port()
    probes = ProbeServer(port, {"/healthz": lambda: True}).start()
    try:
        assert get(port, "/metrics") == 404
        assert get(port, "/healthz") == 200
    finally:
        probes.stop()


# -- serve ---------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_counts_its_requests_by_route_and_code(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        _, before = scrape(server.health_port)  # the fixture's own /health calls are in
        assert get(server.port, "/health") == 200
        assert get(server.port, "/status/run-1") == 401
        assert get(server.port, "/status/run-1", token="wrong") == 401
        # The kubeconfig's API server does not exist: 503, and counted as such.
        assert get(server.port, "/status/run-1", token=TOKEN) == 503
        assert get(server.port, "/anything") == 404
        # Not on the API port: that one needs no credentials to say nothing.
        assert get(server.port, "/metrics") == 404
        _, samples = scrape(server.health_port)
        health = ("benchgen_http_requests_total", (("code", "200"), ("route", "health")))
        assert samples[health] == before[health] + 1
        assert value(samples, "benchgen_http_requests_total", route="status", code="401") == 2
        assert value(samples, "benchgen_http_requests_total", route="status", code="503") == 1
        assert value(samples, "benchgen_http_requests_total", route="other", code="404") == 2
        assert value(samples, "benchgen_http_request_duration_seconds_count", route="status") == 3
        assert value(samples, "benchgen_log_streams") == 0


# -- the custom-task controller (poll.mode controller) --------------------------------


def test_the_custom_task_controller_counts_attempts_adoptions_and_polls(clock: FakeClock) -> None:
    store = Store()
    with FakeOrchestrator(clock=clock, plan=lambda: finishes("COMPLETED", after=2)) as fake:
        # A batch with the key of CustomRun "again" exists (sent before a restart).
        fake.add_batch(submittedBy="ci (run uid-again)")
        fake.add_fault("POST", Fault.http(503))  # the other run's first POST
        fake.add_fault("GET", Fault.http(503))  # the wait's first poll
        rec = reconciler(store, fake, clock)
        exposition = Exposition()
        rec.metrics = CustomTaskMetrics(exposition)
        rec.observe(store.create("fresh", ct.SUBMIT_KIND, PARAMS))
        rec.observe(store.create("again", ct.SUBMIT_KIND, PARAMS))
        drive(rec, store, clock)
        assert fake.created == 2  # the added batch and fresh's: again's was adopted
        batch = store.results("fresh")["batch-id"]
        rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": batch}))
        drive(rec, store, clock)
        polls = len(fake.gets(int(batch)))
    assert store.condition("w")["reason"] == ct.REASON_SUCCEEDED
    port = free_port()
    probes = ProbeServer(port, {}, exposition.render).start()
    try:
        _, samples = scrape(port)
    finally:
        probes.stop()
    assert value(samples, "benchgen_submits_total", result="created") == 1
    assert value(samples, "benchgen_submits_total", result="adopted") == 1  # a duplicate avoided
    assert value(samples, "benchgen_submit_retries_total") == 1
    assert value(samples, "benchgen_orchestrator_poll_failures_total") == 1
    assert value(samples, "benchgen_orchestrator_poll_seconds_count") == polls >= 2
