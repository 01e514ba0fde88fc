"""The concurrency gate's pure parts: what counts as pending/active/done, and
which pending runs are released, in which order (generator/runtime/observe/gate.py)."""

from __future__ import annotations

from typing import Any

import pytest

from generator.contract.errors import ContractError
from generator.contract.observe import decode as load_config
from generator.runtime.observe.gate import Gate, Slot, classify, plan

KEY = "benchgen.dev/concurrency-key"


def pr(
    name: str,
    *,
    created: str = "2025-01-01T08:00:00Z",
    spec_status: str | None = "PipelineRunPending",
    started: bool = False,
    done: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """A PipelineRun shaped the way Tekton v1.15.1 leaves it."""
    status: dict[str, Any] = {}
    if spec_status == "PipelineRunPending" and not started:
        # What Tekton's reconciler writes for a pending run: no startTime.
        status["conditions"] = [
            {"type": "Succeeded", "status": "Unknown", "reason": "PipelineRunPending",
             "message": f'PipelineRun "{name}" is pending'}
        ]  # fmt: skip
    if started:
        status["startTime"] = created
        status["conditions"] = [{"type": "Succeeded", "status": "Unknown", "reason": "Running"}]
    if done:
        status["conditions"] = [{"type": "Succeeded", "status": done, "reason": "X"}]
    spec: dict[str, Any] = {"pipelineRef": {"name": "p"}}
    if spec_status:
        spec["status"] = spec_status
    labels = {"benchgen.dev/benchmark": "sast"}
    if key is not None:
        labels[KEY] = key
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}",
                     "creationTimestamp": created, "labels": labels},
        "spec": spec,
        "status": status,
    }  # fmt: skip


def gate(limit: int = 1, key: str | None = None) -> Gate:
    return Gate(None, limit, key, lambda: [], lambda _msg: None)  # type: ignore[arg-type]


def names(slots: list[Slot]) -> list[str]:
    return [s.name for s in slots]


def test_tekton_states_are_classified() -> None:
    assert classify(pr("a")) == "pending"
    assert classify(pr("a"), released={"uid-a"}) == "active"  # our patch, cache behind
    assert classify(pr("a", spec_status=None)) == "active"  # released, Tekton not yet there
    assert classify(pr("a", spec_status=None, started=True)) == "active"
    assert classify(pr("a", spec_status=None, started=True, done="True")) == "done"
    assert classify(pr("a", spec_status=None, started=True, done="False")) == "done"
    # Cancelled while pending: Tekton never runs it, so it holds no slot...
    assert classify(pr("a", spec_status="Cancelled")) == "done"
    # ...but a started run being cancelled still runs until Tekton ends it.
    assert classify(pr("a", spec_status="Cancelled", started=True)) == "active"
    assert classify(pr("a", spec_status="StoppedRunFinally", started=True)) == "active"
    assert classify(pr("a", spec_status="CancelledRunFinally")) == "done"


def test_oldest_first_and_only_while_a_slot_is_free() -> None:
    g = gate(limit=1)
    runs = [
        pr("c", created="2025-01-01T08:00:03Z"),
        pr("a", created="2025-01-01T08:00:05Z"),
        pr("b", created="2025-01-01T08:00:04Z"),
    ]
    assert names(plan(g.slots(runs), 1)) == ["c"]
    running = [pr("c", created="2025-01-01T08:00:03Z", spec_status=None, started=True), *runs[1:]]
    assert plan(g.slots(running), 1) == []
    finished = [pr("c", created="2025-01-01T08:00:03Z", spec_status=None, done="True"), *runs[1:]]
    assert names(plan(g.slots(finished), 1)) == ["b"]
    assert names(plan(g.slots(finished), 3)) == ["b", "a"]


def test_same_second_ties_follow_the_order_first_seen_then_the_name() -> None:
    g = gate(limit=1)
    runs = [pr(n) for n in ("z", "y", "x")]  # same creationTimestamp
    for r in runs:
        g.notice(r)
    assert names(plan(g.slots(runs), 3)) == ["z", "y", "x"]
    fresh = gate(limit=1)  # a restarted observer that saw none of them arrive
    assert names(plan(fresh.slots(runs), 3)) == ["x", "y", "z"]


def test_a_released_run_holds_its_slot_until_the_cache_shows_it_ended() -> None:
    g = gate(limit=1)
    runs = [pr("a", created="2025-01-01T08:00:01Z"), pr("b", created="2025-01-01T08:00:02Z")]
    g._released.add("uid-a")  # released by this process; the watch has not caught up
    assert plan(g.slots(runs), 1) == []
    # Deleted while active: forgetting it frees the slot.
    g.forget("uid-a")
    assert names(plan(g.slots(runs[1:]), 1)) == ["b"]


def test_keys_are_counted_apart() -> None:
    g = gate(limit=1, key=KEY)
    runs = [
        pr("falco-1", key="falco", created="2025-01-01T08:00:01Z", spec_status=None, started=True),
        pr("falco-2", key="falco", created="2025-01-01T08:00:02Z"),
        pr("kepler-1", key="kepler", created="2025-01-01T08:00:03Z"),
        pr("kepler-2", key="kepler", created="2025-01-01T08:00:04Z"),
        pr("nokey-1", created="2025-01-01T08:00:05Z"),
    ]
    assert names(plan(g.slots(runs), 1)) == ["kepler-1", "nokey-1"]
    assert names(plan(g.slots(runs), 2)) == ["falco-2", "kepler-1", "kepler-2", "nokey-1"]


def test_a_run_cancelled_while_pending_is_never_released_and_frees_nothing() -> None:
    g = gate(limit=1)
    runs = [
        pr("a", created="2025-01-01T08:00:01Z", spec_status="Cancelled"),
        pr("b", created="2025-01-01T08:00:02Z"),
    ]
    assert names(plan(g.slots(runs), 1)) == ["b"]


def test_more_active_than_the_limit_releases_nothing() -> None:
    # Runs created without spec.status (before the limit existed) still count.
    runs = [pr(n, spec_status=None, started=True) for n in ("a", "b")] + [pr("c")]
    assert plan(gate(limit=1).slots(runs), 1) == []


BASE = {
    "BENCHGEN_NAMESPACES": "ns",
    "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=sast",
    "BENCHGEN_SINK": "http://127.0.0.1:1/",
    "BENCHGEN_EVENT_SOURCE": "/benchgen/ns/sast",
}


def test_config() -> None:
    assert load_config(BASE).concurrency_limit is None
    cfg = load_config({**BASE, "BENCHGEN_CONCURRENCY_LIMIT": "2", "BENCHGEN_CONCURRENCY_KEY": KEY})
    assert (cfg.concurrency_limit, cfg.concurrency_key) == (2, KEY)
    for bad, message in [
        ({"BENCHGEN_CONCURRENCY_LIMIT": "0"}, "BENCHGEN_CONCURRENCY_LIMIT: 0 is outside 1..1000"),
        ({"BENCHGEN_CONCURRENCY_LIMIT": "one"}, "'one' is not an integer"),
        ({"BENCHGEN_CONCURRENCY_KEY": KEY}, "BENCHGEN_CONCURRENCY_KEY needs"),
        (
            {"BENCHGEN_CONCURRENCY_LIMIT": "1", "BENCHGEN_CONCURRENCY_KEY": "a b"},
            "'a b' is not a label key",
        ),
    ]:
        with pytest.raises(ContractError, match=message):
            load_config({**BASE, **bad})
