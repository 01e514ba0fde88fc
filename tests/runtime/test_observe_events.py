"""The observer's state machine on Tekton-shaped objects: which events are due, in
which order, with which ids; and what the data may never carry."""

from __future__ import annotations

import copy
import json
from typing import Any

from generator.runtime.observe.events import (
    ANNOTATION,
    PIPELINE_RUN,
    TASK_RUN,
    Due,
    annotation_value,
    group_of,
    merge_keys,
    run_finished,
    run_started,
    sent_keys,
    step_states,
    steps_due,
)

T0, T1, T2, T3 = (f"2025-01-01T00:00:0{i}Z" for i in range(4))


def taskrun(
    steps: list[dict[str, Any]] | None = None, *, done: str | None = None, **meta: Any
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "podName": "run-1-build-pod",
        "startTime": T0,
        "taskSpec": {
            "steps": [
                {"name": "submit", "image": "poller:1", "args": ["--token", "s3cr3t"],
                 "env": [{"name": "PASSWORD", "value": "hunter2"}]},
                {"name": "wait", "image": "poller:1", "script": "echo $SECRET"},
            ]
        },
    }  # fmt: skip
    if steps is not None:
        status["steps"] = steps
    if done is not None:
        status["conditions"] = [{"type": "Succeeded", "status": done, "reason": "x"}]
        status["completionTime"] = T3
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {
            "name": "run-1-build",
            "namespace": "ns",
            "uid": "tr-uid",
            "labels": {"tekton.dev/pipelineRun": "run-1", "tekton.dev/pipelineTask": "build"},
            **meta,
        },
        "status": status,
    }


def running(name: str, at: str = T0) -> dict[str, Any]:
    return {"name": name, "container": f"step-{name}", "running": {"startedAt": at}}


def terminated(
    name: str, code: int = 0, *, reason: str = "Completed", **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "container": f"step-{name}",
        "terminated": {"exitCode": code, "reason": reason, "startedAt": T1, "finishedAt": T2},
        **extra,
    }


def keys(dues: list[Due]) -> list[str]:
    return [d.key for d in dues]


def test_steps_start_one_after_another_although_all_containers_run() -> None:
    # Tekton starts every step container at once; each entrypoint waits for the last.
    tr = taskrun([running("submit"), running("wait")])
    assert keys(steps_due(tr, set())) == ["submit.started"]
    tr = taskrun([terminated("submit"), running("wait")])
    assert keys(steps_due(tr, {"submit.started"})) == ["submit.succeeded", "wait.started"]
    tr = taskrun([terminated("submit"), terminated("wait", 1, reason="Error")], done="False")
    assert keys(steps_due(tr, {"submit.started", "submit.succeeded", "wait.started"})) == [
        "wait.failed"
    ]


def test_a_taskrun_seen_only_when_finished_yields_every_event_in_order() -> None:
    tr = taskrun([terminated("submit"), terminated("wait")], done="True")
    assert keys(steps_due(tr, set())) == [
        "submit.started",
        "submit.succeeded",
        "wait.started",
        "wait.succeeded",
    ]


def test_skipped_steps_after_a_failure() -> None:
    tr = taskrun(
        [
            terminated("submit", 1, reason="Error"),
            terminated("wait", 1, reason="Error", terminationReason="Skipped"),
        ],
        done="False",
    )
    dues = steps_due(tr, set())
    assert keys(dues) == ["submit.started", "submit.failed", "wait.skipped"]
    assert [d.type for d in dues] == [
        "dev.benchgen.step.started.v1",
        "dev.benchgen.step.failed.v1",
        "dev.benchgen.step.skipped.v1",
    ]


def test_the_container_still_running_after_a_failure_is_not_started() -> None:
    # Between the failure and its entrypoint writing "Skipped", the next container
    # still shows running: that is not a start.
    tr = taskrun([terminated("submit", 2, reason="Error"), running("wait")])
    assert keys(steps_due(tr, {"submit.started"})) == ["submit.failed"]


def test_a_step_that_never_ran_is_skipped_when_the_taskrun_ends() -> None:
    tr = taskrun([terminated("submit", 1, reason="Error")], done="False")
    assert keys(steps_due(tr, set())) == ["submit.started", "submit.failed", "wait.skipped"]


def test_a_step_interrupted_by_the_end_of_its_taskrun_failed() -> None:
    tr = taskrun([terminated("submit"), running("wait")], done="False")  # e.g. timeout
    assert keys(steps_due(tr, {"submit.started", "submit.succeeded"})) == [
        "wait.started",
        "wait.failed",
    ]


def test_on_error_continue_lets_the_next_step_start() -> None:
    tr = taskrun([terminated("submit", 1, terminationReason="Continued"), running("wait")])
    assert keys(steps_due(tr, set())) == ["submit.started", "submit.failed", "wait.started"]


def test_step_states_table() -> None:
    def states(entry: dict[str, Any] | None, **kw: bool) -> list[str]:
        opts = {"predecessors_done": True, "taskrun_done": False, "started_sent": False} | kw
        return step_states(entry, **opts)

    assert states(None) == []
    assert states({"name": "a", "waiting": {"reason": "PodInitializing"}}) == []
    assert states(running("a")) == ["started"]
    assert states(running("a"), predecessors_done=False) == []
    assert states(terminated("a", 0)) == ["started", "succeeded"]
    assert states(terminated("a", 137, reason="OOMKilled")) == ["started", "failed"]
    assert states(terminated("a", 1, reason="Skipped")) == ["skipped"]
    assert states(None, taskrun_done=True) == ["skipped"]
    assert states(None, taskrun_done=True, started_sent=True) == ["started", "failed"]


def test_ids_subjects_and_times_are_deterministic() -> None:
    tr = taskrun([terminated("submit"), running("wait", at=T0)])
    first = steps_due(tr, set())
    again = steps_due(copy.deepcopy(tr), set())
    assert first == again
    by_key = {d.key: d for d in first}
    assert by_key["submit.succeeded"].id == "tr-uid.submit.succeeded"
    assert by_key["submit.succeeded"].subject == "run-1-build/submit"
    assert by_key["submit.started"].time == T1  # Tekton's corrected terminated.startedAt
    assert by_key["submit.succeeded"].time == T2
    # wait's container "started" with the Pod (T0); the step began when submit ended.
    assert by_key["wait.started"].time == T2


def test_step_data_carries_name_image_state_pod_and_no_env_args_or_script() -> None:
    tr = taskrun([terminated("submit", message='[{"key":"token","value":"password=hunter2"}]')])
    due = next(d for d in steps_due(tr, set()) if d.key == "submit.succeeded")
    assert due.data["step"] == {"name": "submit", "image": "poller:1"}
    assert due.data["pod"] == {"namespace": "ns", "name": "run-1-build-pod"}
    assert due.data["pipelineRun"] == "run-1"
    assert due.data["pipelineTask"] == "build"
    assert due.data["taskRun"] == "run-1-build"
    assert due.data["state"]["terminated"]["exitCode"] == 0
    assert due.log is not None and due.log.container == "step-submit"
    text = json.dumps(due.data)
    for secret in ("hunter2", "s3cr3t", "$SECRET", "PASSWORD"):
        assert secret not in text


def test_started_events_carry_no_log_source() -> None:
    tr = taskrun([running("submit")])
    assert [d.log for d in steps_due(tr, set())] == [None]


def test_unnamed_steps_use_tektons_names() -> None:
    tr = taskrun([terminated("unnamed-0")])
    tr["status"]["taskSpec"]["steps"] = [{"image": "busybox"}]
    assert keys(steps_due(tr, set())) == ["unnamed-0.started", "unnamed-0.succeeded"]


def test_sent_keys_are_left_out() -> None:
    tr = taskrun([terminated("submit"), terminated("wait")], done="True")
    tr["metadata"]["annotations"] = {ANNOTATION: annotation_value(["submit.started"])}
    assert sent_keys(tr) == ["submit.started"]
    assert keys(steps_due(tr, set(sent_keys(tr)))) == [
        "submit.succeeded",
        "wait.started",
        "wait.succeeded",
    ]


def test_a_hand_edited_annotation_means_resend_not_lose() -> None:
    for bad in ("not json", '{"a": 1}', "[1, 2]", ""):
        tr = taskrun()
        tr["metadata"]["annotations"] = {ANNOTATION: bad}
        assert sent_keys(tr) == []


def test_merge_keys_keeps_order_and_adds_once() -> None:
    assert merge_keys(["a", "b"], ["b", "c", "c"]) == ["a", "b", "c"]
    assert annotation_value(["started", "build.started"]) == '["started","build.started"]'


def pipelinerun(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "run-1", "namespace": "ns", "uid": "pr-uid"},
        "status": status,
    }


def test_run_events() -> None:
    assert run_started(pipelinerun(), set()) is None
    started = run_started(pipelinerun(startTime=T0), set())
    assert started is not None
    assert (started.id, started.type, started.subject, started.time) == (
        "pr-uid.started",
        "dev.benchgen.run.started.v1",
        "run-1",
        T0,
    )
    assert run_started(pipelinerun(startTime=T0), {"started"}) is None
    unknown = pipelinerun(startTime=T0, conditions=[{"type": "Succeeded", "status": "Unknown"}])
    assert run_finished(unknown, set()) is None
    failed = pipelinerun(
        startTime=T0,
        completionTime=T3,
        conditions=[
            {"type": "Succeeded", "status": "False", "reason": "Failed", "message": "1 failed"}
        ],
    )
    due = run_finished(failed, set())
    assert due is not None
    assert due.type == "dev.benchgen.run.failed.v1" and due.id == "pr-uid.failed"
    assert due.data == {
        "pipelineRun": "run-1",
        "namespace": "ns",
        "condition": {"status": "False", "reason": "Failed", "message": "1 failed"},
        "startTime": T0,
        "completionTime": T3,
    }
    assert run_finished(failed, {"failed"}) is None


def test_groups_keep_a_pipelinerun_with_its_taskruns() -> None:
    assert group_of(PIPELINE_RUN, pipelinerun()) == (PIPELINE_RUN, "ns", "run-1")
    assert group_of(TASK_RUN, taskrun()) == (PIPELINE_RUN, "ns", "run-1")
    lone = taskrun()
    del lone["metadata"]["labels"]["tekton.dev/pipelineRun"]
    assert group_of(TASK_RUN, lone) == (TASK_RUN, "ns", "run-1-build")
