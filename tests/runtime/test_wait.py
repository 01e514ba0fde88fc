"""`benchgen-poller wait` against the fake orchestrator on loopback, on a simulated clock."""

from pathlib import Path

import pytest

from generator.contract.orchestrator_api import GITLAB
from generator.runtime.__main__ import main
from tests.runtime.conftest import BOTH_APIS
from tests.runtime.fake_gitlab import FROM_OUTCOME
from tests.runtime.fake_orchestrator import (
    FakeClock,
    FakeOrchestrator,
    Fault,
    ScriptedPlan,
    TimedPlan,
    View,
    finishes,
    never_finishes,
)

NAMES = ("final-status", "total-jobs", "completed-jobs", "failed-jobs")


def wait(fake: FakeOrchestrator, clock: FakeClock, tmp: Path, batch: str, *extra: str) -> int:
    paths = [f"--{n}-path={tmp / n}" for n in NAMES]
    return main(
        ["wait", "--interval=10s", "--max-interval=1m", "--timeout=10m", *paths, *extra],
        env={**fake.env(), "BENCHGEN_BATCH_ID": batch},
        clock=clock,
    )


def results(tmp: Path) -> tuple[str, ...]:
    return tuple((tmp / n).read_text() for n in NAMES)


def expected(fake: FakeOrchestrator, status: str, *counts: str) -> tuple[str, ...]:
    """The results ``fake``'s API gives: GitLab reports no counts (all written as 0)."""
    return (status, *(counts if fake.has_counts else ("0",) * 3))


@pytest.mark.parametrize(
    ("status", "code", "counts"),
    [
        ("COMPLETED", 0, ("4", "4", "0")),
        ("COMPLETED_WITH_ERRORS", 0, ("4", "3", "1")),
        ("COMPLETED_EMPTY", 0, ("0", "0", "0")),
        ("FAILED", 1, ("4", "1", "0")),
        ("CANCELLED", 1, ("4", "1", "0")),
    ],
)
@BOTH_APIS
def test_every_terminal_status_ends_the_wait(fake, clock, tmp_path, status, code, counts):
    batch = fake.add_batch(finishes(status, after=3))
    assert wait(fake, clock, tmp_path, str(batch)) == code
    if not fake.has_counts:  # GitLab has no COMPLETED_WITH_ERRORS: "success"
        status = GITLAB.outcome(FROM_OUTCOME[status])
    assert results(tmp_path) == expected(fake, status, *counts)
    # Ends at the poll that first shows it.
    assert len(fake.gets(batch)) == 4


def test_fail_on_is_configurable(fake, clock, tmp_path):
    batch = fake.add_batch(finishes("COMPLETED_WITH_ERRORS", after=0))
    assert wait(fake, clock, tmp_path, str(batch), "--fail-on=COMPLETED_WITH_ERRORS,FAILED") == 1
    batch = fake.add_batch(finishes("FAILED", after=0))
    assert wait(fake, clock, tmp_path, str(batch), "--fail-on=") == 0
    assert results(tmp_path)[0] == "FAILED"


@BOTH_APIS
def test_a_batch_that_never_finishes_times_out_with_all_results(fake, clock, tmp_path, capsys):
    batch = fake.add_batch(never_finishes())
    start = clock.monotonic()
    assert wait(fake, clock, tmp_path, str(batch)) == 3
    assert results(tmp_path) == expected(fake, "TIMEOUT", "10", "3", "0")
    assert clock.monotonic() - start == pytest.approx(600)
    assert "did not finish within 10m" in capsys.readouterr().out


@BOTH_APIS
def test_backs_off_from_interval_to_max_interval_without_counts(fake, clock, tmp_path):
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING")]))
    assert wait(fake, clock, tmp_path, str(batch)) == 3
    assert clock.sleeps[:4] == [10, 20, 40, 60]
    assert max(clock.sleeps) == 60
    # Polls at 0, 10, 30, 70 s, then every 60 s, and a last one at the deadline.
    assert len(fake.gets(batch)) == 13


def test_one_readable_line_per_poll(fake, clock, tmp_path, capsys):
    batch = fake.add_batch(finishes("COMPLETED", after=3, total=120))
    assert wait(fake, clock, tmp_path, str(batch)) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 4
    assert "PROCESSING" in lines[0]
    assert "?/? jobs completed" in lines[0]
    assert "40/120 jobs completed" in lines[1]
    assert "next poll in" in lines[1]
    assert "COMPLETED" in lines[3]
    assert "{" not in out


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.http(503), Fault.http(500, "java.lang.NullPointerException")],
        [Fault.drop(), Fault.drop()],
        [Fault.garbage(200, "<html>gateway</html>"), Fault.garbage(200, "")],
        [Fault.http(429, "", Retry_After="30")],
        [Fault.http(404, "Batch not found with id: 12")] * 3,
    ],
    ids=["5xx", "dropped", "not-json", "429", "404-after-submit"],
)
@BOTH_APIS
def test_survives_transient_errors(fake, clock, tmp_path, faults):
    batch = fake.add_batch(finishes("COMPLETED", after=1))
    fake.add_fault("GET", *faults)
    assert wait(fake, clock, tmp_path, str(batch)) == 0
    assert results(tmp_path) == expected(fake, "COMPLETED", "4", "4", "0")


@BOTH_APIS
def test_429_retry_after_is_honoured(fake, clock, tmp_path):
    batch = fake.add_batch(finishes("COMPLETED", after=0))
    fake.add_fault("GET", Fault.http(429, "", Retry_After="45"))
    assert wait(fake, clock, tmp_path, str(batch)) == 0
    assert clock.sleeps[0] >= 45


@BOTH_APIS
def test_slow_answers_are_retried(fake, clock, tmp_path):
    batch = fake.add_batch(finishes("COMPLETED", after=0))
    fake.add_fault("GET", Fault.slow(0.3))
    assert wait(fake, clock, tmp_path, str(batch), "--request-timeout=0.05s") == 0
    assert len(fake.gets(batch)) == 2


def test_null_counts_are_written_as_zero(fake, clock, tmp_path):
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING"), View("COMPLETED")]))
    assert wait(fake, clock, tmp_path, str(batch)) == 0
    assert results(tmp_path) == ("COMPLETED", "0", "0", "0")


@BOTH_APIS
def test_a_batch_that_never_appears_is_an_infrastructure_error(fake, clock, tmp_path, capsys):
    assert wait(fake, clock, tmp_path, "99", "--not-found-grace=1m") == 4
    assert results(tmp_path) == ("UNKNOWN", "0", "0", "0")
    assert "not found" in capsys.readouterr().err
    assert clock.monotonic() - 1000 < 120


def test_an_orchestrator_failing_past_the_error_budget_exits_4(fake, clock, tmp_path, capsys):
    batch = fake.add_batch(finishes("COMPLETED", after=5))
    fake.add_fault("GET", Fault.http(200, '{"batchId":12,'))  # not this batch: retried
    fake.add_fault("GET", Fault.garbage(), *[Fault.http(503)] * 100)
    assert wait(fake, clock, tmp_path, str(batch), "--error-budget=3m") == 4
    assert results(tmp_path)[0] == "UNKNOWN"
    assert "kept failing" in capsys.readouterr().err


def test_errors_after_progress_keep_the_last_counts(fake, clock, tmp_path):
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING", 8, 5, 1)]))
    fake.add_fault("GET", Fault.http(200, "{}"))
    assert wait(fake, clock, tmp_path, str(batch), "--timeout=1m") == 3
    assert results(tmp_path) == ("TIMEOUT", "8", "5", "1")


@BOTH_APIS
def test_unknown_status_fails_by_default(fake, clock, tmp_path, capsys):
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING"), View("PENDING", 4, 0, 0)]))
    assert wait(fake, clock, tmp_path, str(batch)) == 1
    assert results(tmp_path) == expected(fake, "UNKNOWN", "4", "0", "0")
    assert "unknown status 'PENDING'" in capsys.readouterr().out
    assert len(fake.gets(batch)) == 2


@BOTH_APIS
def test_unknown_status_can_be_waited_out_but_not_forever(fake, clock, tmp_path):
    batch = fake.add_batch(ScriptedPlan([View("ARCHIVED", 4, 4, 0)]))
    assert wait(fake, clock, tmp_path, str(batch), "--on-unknown-status=wait") == 3
    assert results(tmp_path) == expected(fake, "TIMEOUT", "4", "4", "0")


@BOTH_APIS
def test_unknown_status_then_known_terminal(fake, clock, tmp_path):
    batch = fake.add_batch(ScriptedPlan([View("QUEUED"), View("COMPLETED", 1, 1, 0)]))
    assert wait(fake, clock, tmp_path, str(batch), "--on-unknown-status=wait") == 0


@pytest.mark.parametrize(
    ("args", "batch_id", "message"),
    [
        ([], "12; touch x", "BENCHGEN_BATCH_ID"),
        ([], "", "BENCHGEN_BATCH_ID"),
        ([], "../12", "BENCHGEN_BATCH_ID"),
        ([], "99999999999999999999", "BENCHGEN_BATCH_ID"),
        (["--fail-on=FAILED,DONE"], "12", "DONE"),
        (["--fail-on=PROCESSING"], "12", "PROCESSING"),
        (["--interval=soon"], "12", "--interval"),
        (["--timeout=0s"], "12", "--timeout"),
        (["--interval=2m", "--max-interval=1m"], "12", "--max-interval"),
    ],
)
def test_bad_input_exits_2_with_all_results_written(
    fake, clock, tmp_path, capsys, args, batch_id, message
):
    assert wait(fake, clock, tmp_path, batch_id, *args) == 2
    assert results(tmp_path) == ("UNKNOWN", "0", "0", "0")
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert fake.requests == []


def test_the_deadline_bounds_the_wait_even_when_unreachable(clock, tmp_path):
    with FakeOrchestrator(clock=clock) as fake:
        env = fake.env()
    # The server is gone: connection refused on every poll.
    code = main(
        ["wait", "--interval=5s", "--max-interval=30s", "--timeout=2m", "--error-budget=1h",
         *[f"--{n}-path={tmp_path / n}" for n in NAMES]],
        env={**env, "BENCHGEN_BATCH_ID": "12"},
        clock=clock,
    )  # fmt: skip
    assert code == 3
    assert results(tmp_path) == ("TIMEOUT", "0", "0", "0")
    assert clock.monotonic() - 1000 == pytest.approx(120, abs=1)


def test_progress_counts_predict_the_end(clock, tmp_path):
    """A 2-hour batch: few requests, and the end is noticed within about one interval."""
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(TimedPlan(duration=7200, total=200, fail_rate=0.0, seed=3))
        end = clock.monotonic() + 7200
        code = main(
            ["wait", "--interval=10s", "--max-interval=10m", "--timeout=4h",
             *[f"--{n}-path={tmp_path / n}" for n in NAMES]],
            env={**fake.env(), "BENCHGEN_BATCH_ID": str(batch)},
            clock=clock,
        )  # fmt: skip
        assert code == 0
        assert results(tmp_path) == ("COMPLETED", "200", "200", "0")
        assert clock.monotonic() - end <= 30
        # A fixed 30 s loop would make 240 requests.
        assert len(fake.gets(batch)) <= 48
