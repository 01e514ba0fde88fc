"""The custom-task controller's reconciler against the fake orchestrator on loopback,
on a simulated clock. The CustomRuns live in memory (fake_customruns.py), kept
as the API server keeps them for what the reconciler uses.
(On the real cluster, tests/cluster/test_custom_tasks.py runs the same
controller under the real Tekton.)"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from generator.contract import customtask as ct
from generator.contract import request
from generator.runtime import kube
from generator.runtime.customtasks.reconcile import Reconciler, is_done
from generator.runtime.orchestrator import from_env
from tests.runtime.conftest import BOTH_APIS, GITLAB_SPEC, SPEC
from tests.runtime.fake_customruns import CustomRunStore, results
from tests.runtime.fake_orchestrator import (
    FakeClock,
    FakeOrchestrator,
    Fault,
    ScriptedPlan,
    View,
    finishes,
)

PARAMS = {
    "dvc-data-version": "v1.0.0",
    "prompts-version": "v1.1.0",
    "known-non-issues-version": "v1.2.0",
    "image-version": "v2.1.0",
    "submitted-by": "ci",
}


class Store(CustomRunStore):
    def results(self, name: str) -> dict[str, str]:
        return results(self.objs[name])


@pytest.fixture
def store() -> Store:
    return Store()


def reconciler(store: Store, fake: FakeOrchestrator, clock: FakeClock) -> Reconciler:
    logs: list[str] = []
    rec = Reconciler(
        store=store,
        api=from_env(fake.env()),
        fields=request.decode(json.dumps(SPEC if fake.profile == "sast-ai" else GITLAB_SPEC)),
        clock=clock,
        wall=lambda: 1_790_000_000 + clock.monotonic(),
        log=logs.append,
    )
    rec.logs = logs  # type: ignore[attr-defined]
    return rec


def drive(rec: Reconciler, store: Store, clock: FakeClock, limit: float = 10 * 3600) -> None:
    """Run the schedule on the simulated clock until nothing is due, feeding the
    store's objects back as the informer would."""
    end = clock.monotonic() + limit
    while clock.monotonic() < end:
        for obj in list(store.objs.values()):
            rec.observe(copy.deepcopy(obj))
        wait = rec.dispatch_due()
        if rec.active() == 0:
            return
        clock.sleep(min(wait, end - clock.monotonic()) if wait > 0 else 0.0)
    raise AssertionError("still active at the limit")


@BOTH_APIS
def test_submit_then_wait_give_the_pod_modes_results(store, fake, clock):
    rec = reconciler(store, fake, clock)
    rec.observe(store.create("run-submit", ct.SUBMIT_KIND, PARAMS))
    drive(rec, store, clock)
    assert store.condition("run-submit")["status"] == "True"
    assert store.results("run-submit") == {"batch-id": "12", "submit-status": "PROCESSING"}
    [post] = fake.posts()
    if fake.profile == "sast-ai":
        assert post.json()["submittedBy"] == "ci (run uid-run-submit)"
    else:  # the run's key in a variable, the token in GitLab's header
        key = {"key": "BENCHGEN_RUN_KEY", "value": "uid-run-submit", "variable_type": "env_var"}
        assert key in post.json()["variables"]
        assert post.headers["private-token"] == fake.token

    rec.observe(store.create("run-wait", ct.WAIT_KIND, {"batch-id": "12"}))
    drive(rec, store, clock)
    cond = store.condition("run-wait")
    assert (cond["status"], cond["reason"]) == ("True", ct.REASON_SUCCEEDED)
    # Required by the CRD's schema (a missing one is written as null and refused).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cond["lastTransitionTime"])
    count = "4" if fake.has_counts else "0"
    assert store.results("run-wait") == {
        "final-status": "COMPLETED",
        "total-jobs": count,
        "completed-jobs": count,
        "failed-jobs": "0",
    }
    # startTime first, then the end: two writes per run.
    assert [name for name, _ in store.patches] == ["run-submit"] * 2 + ["run-wait"] * 2


@BOTH_APIS
def test_a_restart_after_the_post_adopts_the_batch(store, fake, clock):
    """The controller dies between the POST and the status write: the next one finds
    the batch by the CustomRun's uid and writes it, without a second POST."""
    rec = reconciler(store, fake, clock)
    rec.observe(store.create("run-submit", ct.SUBMIT_KIND, PARAMS))
    # The first write (startTime) lands; the write of the batch id does not.
    store.fail_next = []
    original = store.patch_status
    calls = {"n": 0}

    def crash_on_second(name: str, rv: str, status: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("controller killed")
        return original(name, rv, status)

    store.patch_status = crash_on_second  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        rec.dispatch_due()
    assert fake.created == 1 and "results" not in store.objs["run-submit"]["status"]

    store.patch_status = original  # type: ignore[method-assign]
    fresh = reconciler(store, fake, clock)
    drive(fresh, store, clock)
    assert fake.created == 1
    assert store.results("run-submit") == {"batch-id": "12", "submit-status": "PROCESSING"}
    lines = fresh.logs  # type: ignore[attr-defined]
    assert any("adopted=1" in line for line in lines)
    # The submitter's own lines carry the run too.
    assert "run=bench/run-submit kind=Submit found batch 12 with this run's key" in "\n".join(lines)


@pytest.mark.parametrize(
    ("status", "ok", "reason"),
    [
        ("COMPLETED_WITH_ERRORS", True, ct.REASON_SUCCEEDED),
        ("COMPLETED_EMPTY", True, ct.REASON_SUCCEEDED),
        ("FAILED", False, ct.REASON_FAILED),
        ("CANCELLED", False, ct.REASON_FAILED),
    ],
)
def test_every_terminal_status_as_the_wait_task(store, clock, status, ok, reason):
    with FakeOrchestrator(clock=clock, plan=lambda: finishes(status, after=3)) as fake:
        batch = fake.add_batch()
        rec = reconciler(store, fake, clock)
        rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": str(batch)}))
        drive(rec, store, clock)
    cond = store.condition("w")
    assert (cond["status"], cond["reason"]) == ("True" if ok else "False", reason)
    assert store.results("w")["final-status"] == status


def test_timeout_writes_timeout_and_stops(store, clock):
    with FakeOrchestrator(clock=clock, plan=lambda: ScriptedPlan([View("PROCESSING")])) as fake:
        batch = fake.add_batch()
        rec = reconciler(store, fake, clock)
        rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": str(batch)}, timeout="10m0s"))
        drive(rec, store, clock)
        polls = len(fake.gets(batch))
    cond = store.condition("w")
    assert (cond["status"], cond["reason"]) == ("False", ct.REASON_TIMED_OUT)
    assert store.results("w")["final-status"] == "TIMEOUT"
    assert 3 <= polls <= 20  # backed off from 10s to 5m within 10 minutes


def test_cancel_stops_polling_at_once(store, clock):
    with FakeOrchestrator(clock=clock, plan=lambda: ScriptedPlan([View("PROCESSING")])) as fake:
        batch = fake.add_batch()
        rec = reconciler(store, fake, clock)
        rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": str(batch)}))
        rec.dispatch_due()
        clock.sleep(60)
        rec.dispatch_due()
        polls = len(fake.gets(batch))
        rec.observe(store.update_spec("w", status="RunCancelled", statusMessage="by test"))
        assert rec.dispatch_due() == float("inf")
        assert len(fake.gets(batch)) == polls
    cond = store.condition("w")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        ct.REASON_CANCELLED,
        "by test",
    )
    assert rec.active() == 0


def test_retries_record_each_attempt(store, clock):
    with FakeOrchestrator(clock=clock, plan=lambda: finishes("FAILED", after=1)) as fake:
        first, second = fake.add_batch(), fake.add_batch()
        rec = reconciler(store, fake, clock)
        rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": str(first)}, retries=1))
        drive(rec, store, clock)
    status = store.objs["w"]["status"]
    assert len(status["retriesStatus"]) == 1
    assert status["retriesStatus"][0]["conditions"][0]["reason"] == ct.REASON_FAILED
    assert store.condition("w")["status"] == "False" and second


def test_a_rejected_batch_and_bad_params_fail_with_a_reason(store, fake, clock):
    fake.add_fault("POST", Fault.http(400, "promptsVersion must not be blank"))
    rec = reconciler(store, fake, clock)
    rec.observe(store.create("s", ct.SUBMIT_KIND, PARAMS))
    rec.observe(store.create("w", ct.WAIT_KIND, {"batch-id": "not-a-number"}))
    rec.observe(store.create("p", ct.SUBMIT_KIND, {**PARAMS, "prompts-version": " "}))
    drive(rec, store, clock)
    assert store.condition("s")["reason"] == ct.REASON_REJECTED
    assert store.condition("w")["reason"] == ct.REASON_INVALID
    assert store.results("w")["final-status"] == "UNKNOWN"
    assert store.condition("p")["reason"] == ct.REASON_INVALID
    assert "prompts-version" in store.condition("p")["message"]
    assert fake.created == 0


def test_conflicts_and_outages_of_the_api_server_are_retried(store, fake, clock):
    store.fail_next = [kube.Unavailable(503, "etcd leader changed"), kube.Conflict(409, "x")]
    rec = reconciler(store, fake, clock)
    rec.observe(store.create("s", ct.SUBMIT_KIND, PARAMS))
    drive(rec, store, clock)
    assert store.condition("s")["status"] == "True" and fake.created == 1


def test_foreign_and_finished_runs_are_left_alone(store, fake, clock):
    rec = reconciler(store, fake, clock)
    other = store.create("x", ct.SUBMIT_KIND, PARAMS)
    other["spec"]["customRef"]["apiVersion"] = "example.dev/v1"
    rec.observe(other)
    done = store.create("d", ct.SUBMIT_KIND, PARAMS)
    done["status"] = {"conditions": [{"type": "Succeeded", "status": "True"}]}
    assert is_done(done)
    rec.observe(done)
    assert rec.active() == 0 and rec.dispatch_due() == float("inf")
