"""The observer's ``GET /metrics`` against the real API server.

The observer (with its concurrency gate, limit 1) runs as a subprocess with the
contract's RBAC, as in test_concurrency.py; the test plays Tekton v1.15.1
(pending runs, then started, then ended) and scrapes the observer's probes' port
between the steps, parsing the text with ``prometheus_client.parser``: the queue
gauges follow the runs, the wait is observed once per release, and the outcome
counters move only when a run the observer watched ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.cluster import Cluster, wait_for
from tests.e2e.runtime_support import TEKTON, Env, ObserverProcess, Tekton, observer_env
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def env(cluster: Cluster, upstream: Upstream, namespace: str, tmp_path: Path) -> Iterator[Env]:
    with observer_env(cluster, namespace, tmp_path) as env:
        yield env


@pytest.fixture
def observer(env: Env) -> Iterator[ObserverProcess]:
    proc = env.observer(BENCHGEN_CONCURRENCY_LIMIT="1", BENCHGEN_LOG_TAIL_BYTES="0")
    try:
        yield proc
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.kill()


def scrape(obs: ObserverProcess) -> Samples:
    resp = urllib3.request("GET", f"http://127.0.0.1:{obs.port}/metrics", timeout=5.0)
    assert resp.status == 200, resp.data[:200]
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out: Samples = {}
    for family in text_string_to_metric_families(resp.data.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_the_observers_metrics_follow_the_queue_and_the_outcomes(
    env: Env, observer: ObserverProcess
) -> None:
    t = Tekton(env.cluster, env.ns)
    t.create("done-before")
    # Released by someone else (a merge patch's null removes spec.status)...
    t.c.patch(TEKTON, "PipelineRun", "done-before", {"spec": {"status": None}}, env.ns)
    t.start("done-before")
    t.finish("done-before")  # ...and over before the observer starts: never counted
    observer.start()
    for name in ("run-a", "run-b"):
        t.create(name)
    wait_for(lambda: t.released("run-a"), timeout=20, what="run-a released")

    def queue_is(pending: int, active: int) -> bool:
        s = scrape(observer)
        return (
            value(s, "benchgen_queue_pending_runs") == pending
            and value(s, "benchgen_queue_active_runs") == active
        )

    wait_for(lambda: queue_is(1, 1), timeout=20, what="1 pending, 1 active")
    s = scrape(observer)
    assert value(s, "benchgen_queue_wait_seconds_count") == 1
    assert value(s, "benchgen_queue_oldest_pending_age_seconds") >= 0
    assert value(s, "benchgen_runs_finished_total", outcome="succeeded") == 0

    t.start("run-a")
    t.finish("run-a", ok=False)
    wait_for(lambda: t.released("run-b"), timeout=20, what="run-b released")
    wait_for(lambda: queue_is(0, 1), timeout=20, what="0 pending, 1 active")
    t.start("run-b")
    t.finish("run-b")
    wait_for(
        lambda: value(scrape(observer), "benchgen_runs_finished_total", outcome="succeeded") == 1,
        timeout=20,
        what="run-b counted",
    )
    s = scrape(observer)
    assert value(s, "benchgen_runs_finished_total", outcome="failed") == 1
    assert value(s, "benchgen_queue_wait_seconds_count") == 2
    assert value(s, "benchgen_run_detection_delay_seconds_count") == 2

    # Every event acknowledged by the sink is counted, by type; none failed.
    def sent() -> float:
        names = "benchgen_cloudevent_deliveries_total"
        return sum(v for k, v in scrape(observer).items() if k[0] == names)

    wait_for(lambda: sent() == len(env.sink.acked) > 0, timeout=20, what="deliveries counted")
    assert not any(k[0] == "benchgen_cloudevent_delivery_failures_total" for k in s)
    # No run's name in any label.
    assert not any("run-" in str(labels) for _, labels in s)
