"""What ``serve`` says about a run: its state (from the PipelineRun's ``Succeeded``
condition), the order of its steps, and the log stream that follows them.

Pure functions and one loop written against the small ``RunSource`` protocol
(``kube.RunReader`` in production, whose errors it handles); no HTTP here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from generator.runtime.clock import Stopped
from generator.runtime.kube import LogInterrupted, LogNotReady, NotFound, Unavailable
from generator.runtime.queue import CANCELLED, Position, dequeued_reason, spec_status

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"

# The HTTP answer per state: a finished-and-failed run must make `curl -f` fail
# (>= 400) while "not finished yet" stays 2xx and distinct from success.
HTTP_STATUS = {SUCCEEDED: 200, PENDING: 202, RUNNING: 202, FAILED: 409}

# Reasons Tekton gives a not-yet-started run (Succeeded=Unknown): spec.status
# PipelineRunPending, or the reconciler has not started it.
_PENDING_REASONS = frozenset({"PipelineRunPending", "Pending", ""})


@dataclass(frozen=True)
class RunStatus:
    """The ``/status`` body."""

    run: str
    state: str
    reason: str
    message: str
    start_time: str | None
    completion_time: str | None
    # A pending run waiting in the concurrency gate's queue: where (serve fills it in).
    queue: Position | None = None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.state]

    @property
    def finished(self) -> bool:
        return self.state in (SUCCEEDED, FAILED)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
            "startTime": self.start_time,
            "completionTime": self.completion_time,
            "queue": self.queue.to_json() if self.queue is not None else None,
        }


def run_status(pipeline_run: Mapping[str, Any]) -> RunStatus:
    """The run's state from its ``Succeeded`` condition, as Tekton writes it:
    ``True`` succeeded, ``False`` failed (Failed, Cancelled, timeouts...),
    ``Unknown`` running (or pending before it started); no condition: pending.
    A run the concurrency gate took out of its queue (cancelled while pending, with
    the gate's annotation: generator/runtime/queue.py) has failed, for the gate's
    reason, from the moment the gate cancelled it (Tekton's own ending follows)."""
    status = pipeline_run.get("status") or {}
    dequeued = dequeued_reason(pipeline_run)
    if dequeued is not None and spec_status(pipeline_run) == CANCELLED:
        reason, message = dequeued
        return RunStatus(
            run=str(pipeline_run.get("metadata", {}).get("name", "")),
            state=FAILED,
            reason=reason,
            message=message,
            start_time=status.get("startTime"),
            completion_time=status.get("completionTime"),
        )
    condition = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Succeeded"), None
    )
    reason = str((condition or {}).get("reason") or "")
    message = str((condition or {}).get("message") or "")
    if condition is None:
        state = PENDING
    elif condition.get("status") == "True":
        state = SUCCEEDED
    elif condition.get("status") == "False":
        state = FAILED
    elif reason in _PENDING_REASONS and not status.get("startTime"):
        state = PENDING
    else:
        # Unknown with any other reason (Running, Started, Cancelled/StoppedRunFinally
        # while finally tasks still run): not finished.
        state = RUNNING
    return RunStatus(
        run=str(pipeline_run.get("metadata", {}).get("name", "")),
        state=state,
        reason=reason,
        message=message,
        start_time=status.get("startTime"),
        completion_time=status.get("completionTime"),
    )


@dataclass(frozen=True)
class Step:
    """One step of one TaskRun, as far as its log is concerned."""

    task_run: str
    pipeline_task: str
    name: str
    container: str
    pod: str | None
    started: bool  # running or terminated: the container has (had) a log
    terminated: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.task_run, self.name)

    @property
    def header(self) -> bytes:
        return f"==> {self.pipeline_task}/{self.name} <==\n".encode()


def status_line(status: RunStatus) -> bytes:
    """The last line of a finished run's log stream: its outcome, on one line."""
    why = ": ".join(x for x in (status.reason, " ".join(status.message.split())) if x)
    return f"==> {status.run} {status.state}{f' ({why})' if why else ''} <==\n".encode()


def _task_run_order(task_run: Mapping[str, Any]) -> tuple[str, str, str]:
    # RFC 3339 UTC timestamps sort as strings; "~" sorts after any of them, so
    # TaskRuns not started yet come last. Ties (parallel tasks started in the
    # same second) are broken by creation, then name: stable across polls.
    meta = task_run.get("metadata") or {}
    start = (task_run.get("status") or {}).get("startTime") or "~"
    return (str(start), str(meta.get("creationTimestamp") or "~"), str(meta.get("name", "")))


def ordered_steps(task_runs: Sequence[Mapping[str, Any]]) -> list[Step]:
    """Every step of every TaskRun in execution order: TaskRuns by start time,
    steps in the order of the TaskRun's ``status.steps`` (Tekton lists them in
    spec order, which is the order they run in). Sidecars are not steps."""
    steps: list[Step] = []
    for tr in sorted(task_runs, key=_task_run_order):
        meta = tr.get("metadata") or {}
        status = tr.get("status") or {}
        name = str(meta.get("name", ""))
        labels = meta.get("labels") or {}
        pipeline_task = str(labels.get("tekton.dev/pipelineTask") or name)
        for entry in status.get("steps") or []:
            step_name = str(entry.get("name", ""))
            terminated = entry.get("terminated") is not None
            steps.append(
                Step(
                    task_run=name,
                    pipeline_task=pipeline_task,
                    name=step_name,
                    container=str(entry.get("container") or f"step-{step_name}"),
                    pod=status.get("podName") or None,
                    started=terminated or entry.get("running") is not None,
                    terminated=terminated,
                )
            )
    return steps


# -- the /logs stream ------------------------------------------------------


class RunSource(Protocol):
    """What the log stream reads (``kube.RunReader``)."""

    def find_run(self, name: str) -> dict[str, Any] | None: ...

    def task_runs(self, run: str) -> list[dict[str, Any]]: ...

    def follow_log(self, pod: str, container: str) -> Generator[bytes, None, None]: ...


class ClientGone(OSError):
    """The client closed its connection (found while no output was due)."""


def stream_run_logs(
    source: RunSource,
    run: str,
    write: Callable[[bytes], None],
    *,
    stop: threading.Event,
    poll_interval: float,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Write the logs of every step of ``run`` in execution order, each after a
    ``==> <pipelineTask>/<step> <==`` line, following until the run has finished
    and every step's log is written. ``write`` raises (OSError) when the client
    has gone, and so does this (ClientGone) when ``alive()`` says so between
    reads. Raises clock.Stopped when ``stop`` is set: the stream ends without its
    terminating chunk, so the client sees a truncated transfer, not a finished log.

    One step at a time: the first step (in order) not yet written is followed
    as soon as it has started; later steps wait for it, as on a terminal. A step
    whose log stream breaks is reopened and the bytes already written are
    skipped (container logs only grow). The run is read before its TaskRuns, so
    once the run is seen finished, the TaskRuns read after it are final."""
    done: set[tuple[str, str]] = set()
    headed: set[tuple[str, str]] = set()
    at_line_start = True

    def emit(data: bytes) -> None:
        nonlocal at_line_start
        if data:
            write(data)
            at_line_start = data.endswith(b"\n")

    def header(step: Step) -> None:
        if step.key not in headed:  # once, even when the step is retried
            if not at_line_start:
                emit(b"\n")
            emit(step.header)
            headed.add(step.key)

    while True:
        if stop.is_set():
            raise Stopped("shutting down")
        if not alive():
            raise ClientGone()
        try:
            pipeline_run = source.find_run(run)
            if pipeline_run is None:
                if not at_line_start:
                    emit(b"\n")
                emit(f"==> benchgen: run {run} no longer exists <==\n".encode())
                return
            status = run_status(pipeline_run)
            finished = status.finished
            steps = ordered_steps(source.task_runs(run))
        except Unavailable:
            stop.wait(poll_interval)  # the API server is away: keep the client, retry
            continue
        progressed = False
        for step in steps:
            if step.key in done:
                continue
            if step.started and step.pod:
                header(step)
                if _follow_step(source, step, emit, stop, finished, poll_interval, alive):
                    done.add(step.key)
                    progressed = True
                break  # statuses moved on while we followed: read them again
            if finished or step.terminated:
                # Never ran (the run ended first, or the step was skipped without
                # a container): say so instead of waiting for it forever.
                header(step)
                emit(b"(no log: the step did not run)\n")
                done.add(step.key)
                progressed = True
                continue
            break  # the next step has not started: wait for it, in order
        if finished and all(s.key in done for s in steps):
            if not at_line_start:
                emit(b"\n")
            emit(status_line(status))
            return
        if not progressed:
            stop.wait(poll_interval)


def _follow_step(
    source: RunSource,
    step: Step,
    emit: Callable[[bytes], None],
    stop: threading.Event,
    run_finished: bool,
    poll_interval: float,
    alive: Callable[[], bool],
) -> bool:
    """Follow one step's container log to its end; True when it was written whole
    (or can never be read), False to try again after the next read of the run."""
    assert step.pod is not None
    written = 0
    while True:
        if stop.is_set():
            raise Stopped("shutting down")
        skip = written
        try:
            # closing(): when the client leaves (emit raises), the API server's
            # stream is released now, not whenever the generator is collected.
            with contextlib.closing(source.follow_log(step.pod, step.container)) as chunks:
                for chunk in chunks:
                    if stop.is_set():
                        raise Stopped("shutting down")
                    if skip:
                        cut = min(skip, len(chunk))
                        chunk, skip = chunk[cut:], skip - cut
                    emit(chunk)
                    written += len(chunk)
            return True
        except LogInterrupted:
            # A silent step hits the read timeout, or the connection dropped:
            # reopen, after checking that someone still listens.
            if not alive():
                raise ClientGone() from None
            continue
        except LogNotReady as exc:
            if step.terminated or run_finished:
                emit(f"(no log: {exc.message})\n".encode())
                return True
            stop.wait(poll_interval)  # the status ran ahead of the kubelet
            return False
        except NotFound as exc:
            emit(f"(no log: {exc.message})\n".encode())  # the Pod was deleted (pruned)
            return True
        except Unavailable:
            stop.wait(poll_interval)
            continue
