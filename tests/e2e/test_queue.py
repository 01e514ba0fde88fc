"""The gate's queue against the real API server: bounded (maxPending), replaced
(supersede), and visible (``serve``'s ``/status``).

The observer and ``serve`` run as subprocesses with the observer's
ServiceAccount token (bound to exactly the contract's observer Role, which
includes ``serve``'s ``list``); the test plays Tekton v1.15.1
(runtime_support.Tekton), including what it does with a pending run cancelled
by the gate: ``startTime`` set, then ``Succeeded: False / Cancelled``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tests.e2e.cluster import Cluster, wait_for
from tests.e2e.runtime_support import (
    KEY,
    SELECTOR,
    TEKTON,
    Env,
    ObserverProcess,
    Tekton,
    now,
    observer_env,
)
from tests.e2e.test_serve import _serve_env, _start_serve, _stop
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

REFUSED = "benchgen.dev/refused"
SUPERSEDED = "benchgen.dev/superseded-by"
TOKEN = "queue-ci-token-0123456789"


@pytest.fixture
def env(cluster: Cluster, upstream: Upstream, namespace: str, tmp_path: Path) -> Iterator[Env]:
    with observer_env(cluster, namespace, tmp_path) as env:
        yield env


@pytest.fixture
def gated(env: Env) -> Iterator[Callable[..., ObserverProcess]]:
    """Starts an observer gating at ``limit`` with the given queue settings."""
    procs: list[ObserverProcess] = []

    def start(limit: int, **settings: str) -> ObserverProcess:
        extra = {"BENCHGEN_CONCURRENCY_LIMIT": str(limit), "BENCHGEN_LOG_TAIL_BYTES": "0"}
        procs.append(env.observer(**extra, **settings))
        return procs[-1].start()

    yield start
    for p in procs:
        if p.proc and p.proc.poll() is None:
            p.kill()


@pytest.fixture
def status(env: Env, tmp_path: Path) -> Iterator[Callable[[str], tuple[int, dict[str, Any]]]]:
    """``GET /status/<run>`` of a ``serve`` reading the queues of KEY."""
    (tmp_path / "token").write_text(TOKEN + "\n")
    serve_env = _serve_env(env.kubeconfig, env.ns, tmp_path / "token", BENCHGEN_CONCURRENCY_KEY=KEY)
    serve_env["BENCHGEN_SELECTOR"] = SELECTOR  # the observer's, runtime_support.LABELS
    proc, url = _start_serve(serve_env, tmp_path)
    pool = urllib3.PoolManager(retries=False, timeout=10)

    def get(run: str) -> tuple[int, dict[str, Any]]:
        resp = pool.request(
            "GET", f"{url}/status/{run}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        return resp.status, json.loads(resp.data)

    try:
        yield get
    finally:
        assert _stop(proc) == 0


def tekton_ends_cancelled(t: Tekton, name: str) -> None:
    """Tekton v1.15.1 on a pending run whose spec.status became Cancelled:
    InitializeConditions (startTime), then cancelPipelineRun (Succeeded False)."""
    t._status(
        name,
        {"startTime": now(), "completionTime": now(),
         "conditions": [t._cond("False", "Cancelled", f'PipelineRun "{name}" was cancelled')]},
    )  # fmt: skip


def annotations(t: Tekton, name: str) -> dict[str, str]:
    pr = t.get(name)
    assert pr is not None
    return dict(pr["metadata"].get("annotations") or {})


def test_max_pending_1_one_runs_one_waits_one_is_refused_and_status_says_so(
    env: Env, gated: Callable[..., ObserverProcess], status: Callable[..., Any]
) -> None:
    t = Tekton(env.cluster, env.ns)
    t.create("first", "falco")
    obs = gated(1, BENCHGEN_CONCURRENCY_KEY=KEY, BENCHGEN_CONCURRENCY_MAX_PENDING="1")
    wait_for(lambda: t.released("first"), timeout=20, what="first released")
    t.start("first")
    time.sleep(1.1)  # later seconds: the queue's order is the creation order
    t.create("second", "falco")
    time.sleep(1.1)
    t.create("third", "falco")
    t.create("other", "kepler")  # another key: its own queue, its own slot
    wait_for(lambda: t.released("other"), timeout=20, what="other released")
    wait_for(lambda: REFUSED in annotations(t, "third"), timeout=20, what="third refused")

    third = t.get("third")
    assert third is not None and third["spec"]["status"] == "Cancelled"
    assert annotations(t, "third")[REFUSED] == "queue full (maxPending 1)"
    assert "startTime" not in (third.get("status") or {})  # never started by the gate
    second = t.get("second")
    assert second is not None and second["spec"]["status"] == "PipelineRunPending"
    assert not annotations(t, "second")

    code, body = status("second")
    assert (code, body["state"], body["queue"]) == (
        202,
        "pending",
        {"position": 1, "length": 1, "key": "falco"},
    )
    code, body = status("third")
    assert (code, body["state"], body["reason"]) == (409, "failed", "QueueFull")
    assert body["message"] == "refused: queue full (maxPending 1)"
    tekton_ends_cancelled(t, "third")
    assert status("third")[1]["message"] == "refused: queue full (maxPending 1)"
    code, body = status("first")
    assert (code, body["state"], body["queue"]) == (202, "running", None)

    # The slot frees: the waiting run starts; the refused one stays ended.
    t.finish("first")
    wait_for(lambda: t.released("second"), timeout=20, what="second released")
    t.start("second")
    assert status("second")[1]["queue"] is None
    third = t.get("third")
    assert third is not None and third["spec"]["status"] == "Cancelled"
    assert f"refused {env.ns}/third ({KEY}=falco): queue full (maxPending 1)" in obs.output()


def test_supersede_replaces_the_waiting_run_never_the_running_one(
    env: Env, gated: Callable[..., ObserverProcess], status: Callable[..., Any]
) -> None:
    t = Tekton(env.cluster, env.ns)
    obs = gated(1, BENCHGEN_CONCURRENCY_SUPERSEDE="true")
    t.create("v1")
    wait_for(lambda: t.released("v1"), timeout=20, what="v1 released")
    t.start("v1")
    time.sleep(1.1)
    t.create("v2")
    wait_for(lambda: f"queued {env.ns}/v2" in obs.output(), timeout=20, what="v2 queued")
    code, body = status("v2")
    assert (code, body["queue"]) == (202, {"position": 1, "length": 1, "key": ""})
    time.sleep(1.1)
    t.create("v3")
    wait_for(lambda: SUPERSEDED in annotations(t, "v2"), timeout=20, what="v2 superseded")
    assert annotations(t, "v2")[SUPERSEDED] == "v3"
    v2 = t.get("v2")
    assert v2 is not None and v2["spec"]["status"] == "Cancelled"
    v1 = t.get("v1")
    assert v1 is not None and "status" not in v1["spec"]  # running: never superseded
    assert not {SUPERSEDED, REFUSED} & set(annotations(t, "v1"))
    code, body = status("v2")
    assert (code, body["state"], body["reason"], body["message"]) == (
        409,
        "failed",
        "Superseded",
        "superseded by v3",
    )
    assert status("v3")[1]["queue"] == {"position": 1, "length": 1, "key": ""}
    tekton_ends_cancelled(t, "v2")
    t.finish("v1")
    wait_for(lambda: t.released("v3"), timeout=20, what="v3 released")
    assert f"superseded {env.ns}/v2: by v3" in obs.output()


def test_the_dequeue_patch_is_refused_for_a_run_changed_since_it_was_read(env: Env) -> None:
    """The race the gate cannot see from its cache: the run was released (or
    changed) after the gate read it. The API server itself refuses the cancel."""
    from kubernetes import config as kube_config

    from generator.runtime import kube

    t = Tekton(env.cluster, env.ns)
    t.create("racing")
    read = t.get("racing")
    assert read is not None
    api = kube_config.new_client_from_config(config_file=str(env.kubeconfig))  # type: ignore[no-untyped-call]
    kube.release_pending_run(api, env.ns, "racing", read["metadata"]["uid"])  # released meanwhile
    with pytest.raises(kube.KubeError) as info:
        kube.dequeue_pending_run(
            api, env.ns, "racing", read["metadata"]["resourceVersion"], REFUSED, "queue full"
        )
    assert info.value.status == 409, info.value
    racing = t.get("racing")
    assert racing is not None and "status" not in racing["spec"]
    assert REFUSED not in annotations(t, "racing")
    # As read, still pending: the cancel and the reason land together, and
    # annotations already there are kept.
    t.create("waiting")
    env.cluster.patch(
        TEKTON, "PipelineRun", "waiting", {"metadata": {"annotations": {"a": "b"}}}, env.ns
    )
    fresh = t.get("waiting")
    assert fresh is not None
    kube.dequeue_pending_run(
        api, env.ns, "waiting", fresh["metadata"]["resourceVersion"], SUPERSEDED, "racing"
    )
    assert annotations(t, "waiting") == {"a": "b", SUPERSEDED: "racing"}
    waiting = t.get("waiting")
    assert waiting is not None and waiting["spec"]["status"] == "Cancelled"
