"""The observer's concurrency gate against the real API server.

The observer runs as a subprocess with a ServiceAccount token bound to exactly
the contract's Role (the observer's; releasing needs only its ``patch``). The
test plays Tekton v1.15.1: a pending PipelineRun (``spec.status:
PipelineRunPending``) gets the ``Succeeded: Unknown / PipelineRunPending``
condition and no ``startTime``; once ``spec.status`` is gone the test starts
it (``startTime``, ``Running``) and later ends it. A recorder thread reads the
runs every 0.1 s and keeps the release order and the most runs ever active
at once, so "one after another" is checked continuously, not only at the
points the test looks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, KubeAPIError, wait_for
from tests.e2e.runtime_support import (
    KEY,
    TEKTON,
    Env,
    ObserverProcess,
    Recorder,
    Tekton,
    observer_env,
    stays_pending,
)
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(cluster: Cluster, upstream: Upstream, namespace: str, tmp_path: Path) -> Iterator[Env]:
    with observer_env(cluster, namespace, tmp_path) as env:
        yield env


@pytest.fixture
def recorder(env: Env) -> Iterator[Recorder]:
    rec = Recorder(env.cluster, env.ns)
    yield rec
    rec.stop()


@pytest.fixture
def gated(env: Env) -> Iterator[Callable[..., ObserverProcess]]:
    """Starts an observer gating at ``limit`` runs (per ``key``); killed after the test."""
    procs: list[ObserverProcess] = []

    def start(limit: int, key: str | None = None) -> ObserverProcess:
        extra = {"BENCHGEN_CONCURRENCY_LIMIT": str(limit), "BENCHGEN_LOG_TAIL_BYTES": "0"}
        procs.append(env.observer(**extra, **({"BENCHGEN_CONCURRENCY_KEY": key} if key else {})))
        return procs[-1].start()

    yield start
    for p in procs:
        if p.proc and p.proc.poll() is None:
            p.kill()


def test_limit_1_runs_one_after_another_in_arrival_order_across_a_kill(
    env: Env, recorder: Recorder, gated: Callable[..., ObserverProcess]
) -> None:
    t = Tekton(env.cluster, env.ns)
    obs = gated(1)
    # Three events within the same second; names sort against arrival, so only
    # the order the observer saw them arrive can get this right.
    for name in ("run-c", "run-b", "run-a"):
        t.create(name)
    wait_for(lambda: t.released("run-c"), timeout=20, what="run-c released")
    stays_pending(t, "run-b", "run-a")
    t.start("run-c")
    t.finish("run-c")
    wait_for(lambda: t.released("run-b"), timeout=20, what="run-b released")
    stays_pending(t, "run-a", seconds=0.5)
    t.start("run-b")
    obs.kill()  # kill -9 while run-b holds the slot
    time.sleep(1.1)  # a later second: order by creationTimestamp survives the restart
    t.create("run-0")  # arrives while no observer runs; its name sorts first
    stays_pending(t, "run-a", "run-0", seconds=0.5)
    obs.start()
    stays_pending(t, "run-a", "run-0")  # the restarted observer sees run-b active
    t.finish("run-b", ok=False)  # a failed run frees its slot too
    wait_for(lambda: t.released("run-a"), timeout=20, what="run-a released after the restart")
    stays_pending(t, "run-0", seconds=0.5)
    t.start("run-a")
    t.finish("run-a")
    wait_for(lambda: t.released("run-0"), timeout=20, what="run-0 released")
    t.start("run-0")
    t.finish("run-0")
    time.sleep(0.5)
    assert recorder.order == ["run-c", "run-b", "run-a", "run-0"]
    assert recorder.max_active == {"": 1}
    assert "--- start 2" in obs.output()
    # None lost, none cancelled: every run ran to the end it was given.
    for name in ("run-a", "run-b", "run-c", "run-0"):
        pr = t.get(name)
        assert pr is not None and pr["status"]["conditions"][0]["reason"] in ("Succeeded", "Failed")


def test_keyed_limits_count_each_key_apart(
    env: Env, recorder: Recorder, gated: Callable[..., ObserverProcess]
) -> None:
    t = Tekton(env.cluster, env.ns)
    obs = gated(1, KEY)
    t.create("falco-1", "falco")
    t.create("falco-2", "falco")
    t.create("kepler-1", "kepler")
    wait_for(
        lambda: t.released("falco-1") and t.released("kepler-1"), timeout=20, what="one per key"
    )
    stays_pending(t, "falco-2")
    t.start("falco-1")
    t.start("kepler-1")
    t.finish("kepler-1")  # frees kepler's slot, not falco's
    stays_pending(t, "falco-2")
    t.finish("falco-1")
    wait_for(lambda: t.released("falco-2"), timeout=20, what="falco-2 released")
    assert recorder.max_active == {"falco": 1, "kepler": 1}
    assert "queued" in obs.output() and f"({KEY}=falco)" in obs.output()


def test_a_deleted_active_run_frees_its_slot_and_a_cancelled_pending_run_never_runs(
    env: Env, recorder: Recorder, gated: Callable[..., ObserverProcess]
) -> None:
    t = Tekton(env.cluster, env.ns)
    gated(1)
    t.create("first")
    wait_for(lambda: t.released("first"), timeout=20, what="first released")
    t.start("first")
    time.sleep(1.1)
    t.create("second")
    time.sleep(1.1)
    t.create("third")
    stays_pending(t, "second", "third", seconds=1.0)
    t.cancel("second")  # cancelled while pending
    env.cluster.delete(TEKTON, "PipelineRun", "first", env.ns)  # deleted while holding the slot
    wait_for(lambda: t.released("third"), timeout=20, what="third released")
    time.sleep(1.0)
    second = t.get("second")
    assert second is not None and second["spec"]["status"] == "Cancelled"
    assert "startTime" not in (second.get("status") or {})
    assert recorder.order == ["first", "third"]


def test_the_release_patch_is_refused_for_a_run_no_longer_pending(env: Env) -> None:
    """The race the gate cannot see from its cache: the run was cancelled after
    the gate read it. The API server itself refuses the release."""
    from kubernetes import config as kube_config

    from generator.runtime import kube

    t = Tekton(env.cluster, env.ns)
    pr = t.create("racing")
    t.cancel("racing")
    api = kube_config.new_client_from_config(config_file=str(env.kubeconfig))  # type: ignore[no-untyped-call]
    with pytest.raises(kube.KubeError) as info:
        kube.release_pending_run(api, env.ns, "racing", pr["metadata"]["uid"])
    assert info.value.status == 422, info.value
    racing = t.get("racing")
    assert racing is not None and racing["spec"]["status"] == "Cancelled"
    # A new object under an old name is not released on the old one's behalf.
    env.cluster.delete(TEKTON, "PipelineRun", "racing", env.ns)
    t.create("racing")
    with pytest.raises(kube.KubeError) as info:
        kube.release_pending_run(api, env.ns, "racing", pr["metadata"]["uid"])
    assert info.value.status == 422
    with pytest.raises(KubeAPIError):
        env.cluster.with_token(env.cluster.token_for(env.ns, "observer")).delete(
            TEKTON, "PipelineRun", "racing", env.ns, missing_ok=False
        )  # the observer's Role cannot delete: the gate never cancels or deletes
