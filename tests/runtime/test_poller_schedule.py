"""The poller's schedule for a batch that reports no job counts: nothing predicts
its end, so the delay is capped (poller._BLIND_CAP) instead of growing to
--max-interval; with counts the schedule is the one it always was."""

import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.runtime.__main__ import main
from generator.runtime.orchestrator import Batch
from generator.runtime.poller import _BLIND_CAP, Poller, WaitOptions
from tests.runtime.conftest import BOTH_APIS
from tests.runtime.fake_orchestrator import FakeClock, FakeOrchestrator, ScriptedPlan, View

NAMES = ("final-status", "total-jobs", "completed-jobs", "failed-jobs")
EIGHT_HOURS = 8 * 3600.0


def wait(fake: FakeOrchestrator, clock: FakeClock, tmp: Path, batch: int, *flags: str) -> int:
    return main(
        ["wait", "--timeout=30m", *flags, *[f"--{n}-path={tmp / n}" for n in NAMES]],
        env={**fake.env(), "BENCHGEN_BATCH_ID": str(batch)},
        clock=clock,
    )


@pytest.mark.parametrize(
    ("flags", "sleeps"),
    [
        # The example's 10s to 10m: the cap, not --max-interval, is the ceiling.
        (("--interval=10s", "--max-interval=10m"), [10, 20, 40, 80, _BLIND_CAP, _BLIND_CAP]),
        # Never above --max-interval ...
        (("--interval=10s", "--max-interval=1m"), [10, 20, 40, 60, 60, 60]),
        # ... nor below --interval.
        (("--interval=2m", "--max-interval=10m"), [120, 120, 120, 120, 120, 120]),
    ],
)
@BOTH_APIS
def test_without_counts_the_delay_is_capped(fake, clock, tmp_path, flags, sleeps):
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING")]))
    assert wait(fake, clock, tmp_path, batch, *flags) == 3
    assert clock.sleeps[:6] == sleeps
    assert max(clock.sleeps) == sleeps[-1]


def test_with_counts_the_schedule_is_unchanged(fake, clock, tmp_path):
    """Counts reported but not moving: the backoff still grows to --max-interval."""
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING", 10, 0, 0)]))
    assert wait(fake, clock, tmp_path, batch, "--interval=10s", "--max-interval=10m") == 3
    assert clock.sleeps[:7] == [10, 20, 40, 80, 160, 320, 600]


def test_counts_appearing_late_lift_the_cap(fake, clock, tmp_path):
    steps = [View("PROCESSING")] * 6 + [View("PROCESSING", 10, 0, 0)]
    batch = fake.add_batch(ScriptedPlan(steps))
    assert wait(fake, clock, tmp_path, batch, "--interval=10s", "--max-interval=10m") == 3
    assert max(clock.sleeps[:6]) == _BLIND_CAP
    assert max(clock.sleeps) == 600


@dataclass
class Blind:
    """An orchestrator whose batch never reports counts and ends at ``end``."""

    end: float
    clock: FakeClock

    def get(self, batch_id: int, timeout: float) -> Batch:
        status = "COMPLETED" if self.clock.monotonic() >= self.end else "PROCESSING"
        return Batch(batch_id, status, None, None, None, None, {})


def test_an_8_hour_batch_without_counts_is_noticed_within_60s_on_average():
    """Ends spread over one whole poll period, so every phase of the schedule counts."""
    opts = WaitOptions(
        interval=10,
        max_interval=600,
        timeout=12 * 3600,
        fail_on=frozenset({"FAILED", "CANCELLED"}),
        on_unknown="fail",
        request_timeout=30,
        not_found_grace=120,
        error_budget=900,
    )
    delays, polls = [], []
    for k in range(20):
        clock = FakeClock()
        end = clock.monotonic() + EIGHT_HOURS + k * _BLIND_CAP / 20
        poller = Poller(Blind(end, clock), 12, opts, clock, clock.monotonic())  # type: ignore[arg-type]
        while poller.poll() is None:
            clock.sleep(poller.next_delay(None))
        delays.append(clock.monotonic() - end)
        polls.append(poller.polls)
    assert statistics.mean(delays) <= 60
    assert max(delays) <= _BLIND_CAP
    # A third of what the seed's fixed 30 s loop makes (960).
    assert max(polls) <= EIGHT_HOURS / _BLIND_CAP + 10
