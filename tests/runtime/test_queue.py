"""The gate's queue, bounded and visible: which pending runs the gate takes out
of their queue (maxPending, supersede), where a pending run waits as ``serve``
tells it, and the /status of a run taken out (generator/runtime/queue.py,
observe/gate.py ``dequeue``, serve/runs.py ``run_status``)."""

from __future__ import annotations

from typing import Any

import pytest

from generator.contract.errors import ContractError
from generator.contract.observe import decode as load_config
from generator.runtime.observe.gate import Gate, Slot, dequeue, plan
from generator.runtime.queue import (
    REFUSED_ANNOTATION,
    SUPERSEDED_ANNOTATION,
    Position,
    position,
)
from generator.runtime.serve.runs import run_status, status_line
from tests.runtime.test_gate import BASE, KEY, pr


def at(second: int) -> str:
    return f"2025-01-01T08:00:{second:02d}Z"


def gate(key: str | None = None) -> Gate:
    return Gate(None, 1, key, lambda: [], lambda _msg: None)  # type: ignore[arg-type]


def decide(
    runs: list[dict[str, Any]],
    *,
    limit: int = 1,
    max_pending: int | None = None,
    supersede: bool = False,
    key: str | None = None,
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(released, [(dequeued, annotation, why)]) for one evaluation of ``runs``."""
    slots: list[Slot] = gate(key).slots(runs)
    releasing = plan(slots, limit)
    out = dequeue(slots, releasing, max_pending, supersede)
    return [s.name for s in releasing], [(d.slot.name, d.annotation, d.why) for d in out]


def refused(name: str, n: int) -> tuple[str, str, str]:
    return (name, REFUSED_ANNOTATION, f"queue full (maxPending {n})")


def running(name: str, second: int, key: str | None = None) -> dict[str, Any]:
    return pr(name, created=at(second), spec_status=None, started=True, key=key)


def test_past_max_pending_the_newest_are_refused_after_the_releases() -> None:
    # Three events at once, none running: one is released, one waits, one is refused.
    runs = [pr("c", created=at(3)), pr("a", created=at(1)), pr("b", created=at(2))]
    assert decide(runs, max_pending=1) == (["a"], [refused("c", 1)])
    # One running already: the first two wait, the third and fourth are refused.
    runs = [running("r", 0), *(pr(n, created=at(i + 1)) for i, n in enumerate("wxyz"))]
    assert decide(runs, max_pending=2) == ([], [refused("y", 2), refused("z", 2)])
    # Unbounded (the default): nobody is refused.
    assert decide(runs) == ([], [])


def test_max_pending_counts_each_key_apart() -> None:
    runs = [
        running("falco-0", 0, "falco"),
        pr("falco-1", created=at(1), key="falco"),
        pr("falco-2", created=at(2), key="falco"),
        pr("kepler-1", created=at(3), key="kepler"),
        pr("kepler-2", created=at(4), key="kepler"),
    ]
    released, out = decide(runs, max_pending=1, key=KEY)
    assert released == ["kepler-1"]
    assert out == [refused("falco-2", 1)]  # kepler-2 waits alone in its queue


def test_supersede_keeps_only_the_newest_waiting_and_never_touches_a_started_run() -> None:
    runs = [
        running("r", 0),
        pr("a", created=at(1)),
        pr("b", created=at(2)),
        pr("c", created=at(3)),
    ]
    released, out = decide(runs, supersede=True)
    assert released == []
    assert out == [("a", SUPERSEDED_ANNOTATION, "c"), ("b", SUPERSEDED_ANNOTATION, "c")]
    # A slot is free: the oldest starts (it never waited), the newest waits.
    free = [pr("a", created=at(1)), pr("b", created=at(2)), pr("c", created=at(3))]
    assert decide(free, supersede=True) == (["a"], [("b", SUPERSEDED_ANNOTATION, "c")])
    # Done, cancelled-while-pending and released runs are not in any queue.
    others = [
        pr("done", created=at(1), spec_status=None, done="True"),
        pr("cancelled", created=at(2), spec_status="Cancelled"),
        running("r", 3),
        pr("only", created=at(4)),
    ]
    assert decide(others, supersede=True) == ([], [])


def test_supersede_per_key_then_max_pending() -> None:
    runs = [
        running("falco-0", 0, "falco"),
        pr("falco-1", created=at(1), key="falco"),
        pr("falco-2", created=at(2), key="falco"),
        running("kepler-0", 0, "kepler"),
        pr("kepler-1", created=at(3), key="kepler"),
    ]
    assert decide(runs, supersede=True, max_pending=1, key=KEY) == (
        [],
        [("falco-1", SUPERSEDED_ANNOTATION, "falco-2")],
    )


def test_a_run_the_gate_cancelled_leaves_the_queue_before_the_cache_shows_it() -> None:
    g = gate()
    runs = [running("r", 0), pr("a", created=at(1)), pr("b", created=at(2))]
    g._dequeued.add("uid-b")  # our cancel went through; the watch has not caught up
    assert [s.state for s in g.slots(runs)] == ["active", "pending", "done"]
    cancelled = pr("b", created=at(2), spec_status="Cancelled")
    assert [s.state for s in g.slots([*runs[:2], cancelled])] == ["active", "pending", "done"]
    assert "uid-b" not in g._dequeued  # caught up: the cache alone says it now


def test_position_in_the_queue_of_its_key() -> None:
    runs = [
        running("r", 0, "falco"),
        pr("f2", created=at(2), key="falco"),
        pr("f1", created=at(1), key="falco"),
        pr("k1", created=at(1), key="kepler"),
        pr("f3", created=at(3), key="falco"),
    ]
    assert position(runs, "f1", KEY) == Position(1, 3, "falco")
    assert position(runs, "f3", KEY) == Position(3, 3, "falco")
    assert position(runs, "k1", KEY) == Position(1, 1, "kepler")
    assert position(runs, "r", KEY) is None  # started: not waiting
    assert position(runs, "gone", KEY) is None
    # Without a key every run shares one queue; the same second orders by name.
    same = [pr("y"), pr("x"), pr("z")]
    assert [position(same, n, None) for n in "xyz"] == [Position(i, 3, "") for i in (1, 2, 3)]
    assert Position(2, 3, "falco").to_json() == {"position": 2, "length": 3, "key": "falco"}


def test_refused_and_superseded_runs_leave_the_queue_and_fail_with_their_reason() -> None:
    def taken_out(name: str, second: int, annotation: str, why: str) -> dict[str, Any]:
        run = pr(name, created=at(second), spec_status="Cancelled")
        run["metadata"]["annotations"] = {annotation: why}
        return run

    runs = [
        pr("a", created=at(1)),
        taken_out("b", 2, REFUSED_ANNOTATION, "queue full (maxPending 1)"),
        taken_out("c", 3, SUPERSEDED_ANNOTATION, "d"),
        pr("d", created=at(4)),
    ]
    assert position(runs, "d", None) == Position(2, 2, "")
    assert position(runs, "b", None) is None
    status = run_status(runs[1])
    assert (status.state, status.http_status, status.finished) == ("failed", 409, True)
    assert (status.reason, status.message) == ("QueueFull", "refused: queue full (maxPending 1)")
    assert status.to_json()["queue"] is None
    assert (
        status_line(status) == b"==> b failed (QueueFull: refused: queue full (maxPending 1)) <==\n"
    )
    # Tekton's own ending (it sets startTime, then Cancelled) keeps the gate's reason.
    runs[2]["status"] = {
        "startTime": at(5),
        "completionTime": at(5),
        "conditions": [{"type": "Succeeded", "status": "False", "reason": "Cancelled"}],
    }
    status = run_status(runs[2])
    assert (status.state, status.reason, status.message) == (
        "failed",
        "Superseded",
        "superseded by d",
    )
    # The annotation alone, on a run someone started anyway, is not a refusal.
    started = taken_out("e", 6, REFUSED_ANNOTATION, "queue full (maxPending 1)")
    del started["spec"]["status"]
    started["status"] = {"startTime": at(7), "conditions": [
        {"type": "Succeeded", "status": "Unknown", "reason": "Running"}]}  # fmt: skip
    assert run_status(started).state == "running"


def test_config() -> None:
    limit = {"BENCHGEN_CONCURRENCY_LIMIT": "1"}
    cfg = load_config({**BASE, **limit})
    assert (cfg.concurrency_max_pending, cfg.concurrency_supersede) == (None, False)
    cfg = load_config(
        {**BASE, **limit, "BENCHGEN_CONCURRENCY_MAX_PENDING": "5",
         "BENCHGEN_CONCURRENCY_SUPERSEDE": "true"}
    )  # fmt: skip
    assert (cfg.concurrency_max_pending, cfg.concurrency_supersede) == (5, True)
    for bad, message in [
        ({**limit, "BENCHGEN_CONCURRENCY_MAX_PENDING": "0"}, "MAX_PENDING: 0 is outside 1..10000"),
        ({**limit, "BENCHGEN_CONCURRENCY_MAX_PENDING": "x"}, "'x' is not an integer"),
        ({"BENCHGEN_CONCURRENCY_MAX_PENDING": "2"}, "MAX_PENDING needs BENCHGEN_CONCURRENCY_LIMIT"),
        ({**limit, "BENCHGEN_CONCURRENCY_SUPERSEDE": "yes"}, "'yes' is neither true nor false"),
        ({"BENCHGEN_CONCURRENCY_SUPERSEDE": "true"}, "SUPERSEDE needs BENCHGEN_CONCURRENCY_LIMIT"),
    ]:
        with pytest.raises(ContractError, match=message):
            load_config({**BASE, **bad})
