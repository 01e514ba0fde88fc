"""serve's view of a run: condition -> state -> HTTP code, and step order."""

import pytest

from generator.contract.names import dns1123_subdomain_problem
from generator.runtime.serve.runs import (
    Step,
    ordered_steps,
    run_status,
    status_line,
)


def _run(condition=None, start=None, completion=None):
    status = {}
    if condition is not None:
        status["conditions"] = [{"type": "Succeeded", **condition}]
    if start:
        status["startTime"] = start
    if completion:
        status["completionTime"] = completion
    return {"metadata": {"name": "r1"}, "status": status}


@pytest.mark.parametrize(
    ("condition", "start", "state", "code"),
    [
        (None, None, "pending", 202),
        ({"status": "Unknown", "reason": "PipelineRunPending"}, None, "pending", 202),
        ({"status": "Unknown", "reason": ""}, None, "pending", 202),
        ({"status": "Unknown", "reason": "Started"}, "2025-01-01T00:00:00Z", "running", 202),
        ({"status": "Unknown", "reason": "Running"}, "2025-01-01T00:00:00Z", "running", 202),
        # Cancelled while finally tasks run: not over yet.
        (
            {"status": "Unknown", "reason": "CancelledRunFinally"},
            "2025-01-01T00:00:00Z",
            "running",
            202,
        ),
        ({"status": "True", "reason": "Succeeded"}, "2025-01-01T00:00:00Z", "succeeded", 200),
        ({"status": "True", "reason": "Completed"}, "2025-01-01T00:00:00Z", "succeeded", 200),
        ({"status": "False", "reason": "Failed"}, "2025-01-01T00:00:00Z", "failed", 409),
        ({"status": "False", "reason": "Cancelled"}, "2025-01-01T00:00:00Z", "failed", 409),
        ({"status": "False", "reason": "PipelineRunTimeout"}, None, "failed", 409),
        ({"status": "False", "reason": "CouldntGetPipeline"}, None, "failed", 409),
    ],
)
def test_condition_to_state_and_http_code(condition, start, state, code):
    status = run_status(_run(condition, start))
    assert (status.state, status.http_status) == (state, code)
    assert status.finished == (state in ("succeeded", "failed"))


def test_status_body_carries_reason_message_and_times():
    status = run_status(
        _run(
            {"status": "False", "reason": "Failed", "message": "Tasks Completed: 2 (Failed: 1)"},
            "2025-01-01T00:00:00Z",
            "2025-01-01T00:10:00Z",
        )
    )
    assert status.to_json() == {
        "run": "r1",
        "state": "failed",
        "reason": "Failed",
        "message": "Tasks Completed: 2 (Failed: 1)",
        "startTime": "2025-01-01T00:00:00Z",
        "completionTime": "2025-01-01T00:10:00Z",
        "queue": None,  # only a run waiting in the concurrency gate's queue has one
    }
    assert status_line(status) == b"==> r1 failed (Failed: Tasks Completed: 2 (Failed: 1)) <==\n"


def test_only_the_succeeded_condition_counts():
    run = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}, "metadata": {}}
    assert run_status(run).state == "pending"


def _task_run(name, task, start, steps, created="2025-01-01T00:00:00Z", pod="pod"):
    status = {"steps": steps, "podName": f"{name}-{pod}"}
    if start:
        status["startTime"] = start
    return {
        "metadata": {
            "name": name,
            "creationTimestamp": created,
            "labels": {"tekton.dev/pipelineTask": task},
        },
        "status": status,
    }


def test_steps_in_execution_order():
    done = {"terminated": {"exitCode": 0}}
    running = {"running": {"startedAt": "x"}}
    waiting = {"waiting": {"reason": "PodInitializing"}}
    task_runs = [
        # Listed in an order unrelated to execution (the API lists by name).
        _task_run("r1-c", "finally-report", None, []),
        _task_run(
            "r1-b",
            "wait",
            "2025-01-01T00:05:00Z",
            [{"name": "poll", "container": "step-poll", **running}],
            created="2025-01-01T00:04:30Z",
        ),
        _task_run(
            "r1-a",
            "submit",
            "2025-01-01T00:00:00Z",
            [
                {"name": "prepare", "container": "step-prepare", **done},
                {"name": "send", "container": "step-send", **done},
            ],
        ),
        _task_run(
            "r1-d",
            "report",
            "2025-01-01T00:05:00Z",
            [{"name": "sum", **waiting}],
            created="2025-01-01T00:04:00Z",
        ),
    ]
    steps = ordered_steps(task_runs)
    assert [(s.pipeline_task, s.name) for s in steps] == [
        ("submit", "prepare"),
        ("submit", "send"),
        ("report", "sum"),  # same start second as wait, created earlier
        ("wait", "poll"),
    ]
    assert steps[0] == Step("r1-a", "submit", "prepare", "step-prepare", "r1-a-pod", True, True)
    assert steps[2].container == "step-sum"  # Tekton's naming when "container" is absent
    assert not steps[2].started
    assert steps[3].started and not steps[3].terminated
    assert steps[0].header == b"==> submit/prepare <==\n"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("bench-run-abc12", True),
        ("a.b-c", True),
        ("", False),
        ("Run", False),
        ("a,metadata.namespace=x", False),
        ("../x", False),
        ("a" * 254, False),
        ("-a", False),
    ],
)
def test_only_object_names_reach_the_api(name, ok):
    assert (dns1123_subdomain_problem(name) is None) is ok
