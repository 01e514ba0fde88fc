"""`benchgen-poller summary`: a short report, always exit 0."""

import pytest

from generator.runtime.__main__ import main

FULL = {
    "BENCHGEN_PIPELINE_RUN": "benchmark-mlop-run-x7k2p",
    "BENCHGEN_AGGREGATE_STATUS": "Succeeded",
    "BENCHGEN_SUBMIT_STATUS": "Succeeded",
    "BENCHGEN_WAIT_STATUS": "Succeeded",
    "BENCHGEN_BATCH_ID": "12",
    "BENCHGEN_FINAL_STATUS": "COMPLETED_WITH_ERRORS",
    "BENCHGEN_TOTAL_JOBS": "120",
    "BENCHGEN_COMPLETED_JOBS": "118",
    "BENCHGEN_FAILED_JOBS": "2",
}


def test_a_finished_run(capsys):
    assert main(["summary"], env=FULL) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Benchmark run benchmark-mlop-run-x7k2p: Succeeded",
        "  submit  Succeeded  batch 12",
        "  wait    Succeeded  final status COMPLETED_WITH_ERRORS",
        "  jobs    118 of 120 completed, 2 failed",
        "  result  finished, some jobs failed",
    ]


def test_submit_failed_and_results_never_existed(capsys):
    env = {
        "BENCHGEN_PIPELINE_RUN": "run-1",
        "BENCHGEN_AGGREGATE_STATUS": "Failed",
        "BENCHGEN_SUBMIT_STATUS": "Failed",
        "BENCHGEN_WAIT_STATUS": "None",
        "BENCHGEN_BATCH_ID": "",
        "BENCHGEN_FINAL_STATUS": "$(tasks.wait.results.final-status)",
    }
    assert main(["summary"], env=env) == 0
    out = capsys.readouterr().out
    assert "no batch was created" in out
    assert "$(" not in out


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"BENCHGEN_TOTAL_JOBS": "lots", "BENCHGEN_BATCH_ID": "12", "BENCHGEN_FINAL_STATUS": "??"},
        {**FULL, "BENCHGEN_FINAL_STATUS": "TIMEOUT", "BENCHGEN_COMPLETED_JOBS": "-1"},
        {**FULL, "BENCHGEN_PIPELINE_RUN": "x\n" * 500},
    ],
)
def test_never_fails(env, capsys):
    assert main(["summary"], env=env) == 0
    assert capsys.readouterr().out.startswith("Benchmark run ")


def test_timeout_is_explained(capsys):
    main(["summary"], env={**FULL, "BENCHGEN_FINAL_STATUS": "TIMEOUT"})
    assert "may still be running" in capsys.readouterr().out


def test_a_pipeline_of_the_users_own_tasks_tells_no_batch_story(capsys):
    """No spec.orchestrator: the finally summary gets the run's status only."""
    env = {"BENCHGEN_PIPELINE_RUN": "tasks-run-1", "BENCHGEN_AGGREGATE_STATUS": "Failed"}
    assert main(["summary"], env=env) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Benchmark run tasks-run-1: Failed",
        "  result  the run's own Tasks decide it: see their logs",
    ]
