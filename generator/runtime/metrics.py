"""Every Prometheus metric of the runtime, defined once, and their exposition.

``observe`` (with its concurrency gate) and ``serve`` answer ``GET /metrics`` on
their probes' port (``BENCHGEN_HEALTH_PORT``, ``bounded_http.ProbeServer``): it is
not the public API, needs no credentials, has its own thread, loop and few
connections (a scrape never waits behind a client of ``serve``'s API port), and
the NetworkPolicy admits the scrape to it only when ``spec.observe.metrics``
says from where. The scrape shares that port's few connections with the
kubelet, so ``scrapeFrom`` should name the Prometheus pods only (``podLabels``):
whoever it admits could hold them. The text is ``prometheus_client``'s
(``generate_latest``).

Each process has its own ``CollectorRegistry`` (not the library's global one):
no process or platform collectors, and a test can run several observers in one
process without their counts mixing. Labels take values from small fixed sets
only (an outcome, an event type, a route, an HTTP code, a Pipeline task name
from benchmark.yaml): never a run name, an event id or anything from an event.

Submit retries: in the pod mode they are Tekton's ``retries:`` of the submit
TaskRun, which the observer counts from ``status.retriesStatus`` (a task's pods
are short-lived and expose nothing; the attempts inside one pod are in its log
only). With ``poll.mode: controller`` the custom-task controller submits and
polls itself, so it counts every attempt, every adopted batch (a duplicate
avoided) and how long each poll took, on its own probes' port.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# The text format every Prometheus version reads. prometheus_client >= 0.22 calls
# its output 1.0.0 (the same text while every name is [a-zA-Z_:][a-zA-Z0-9_:]*,
# as ours are), which a Prometheus 2 server does not know to negotiate.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Tekton v1.15.1 pkg/apis/pipeline/v1/pipelinerun_types.go: the reasons of a
# Succeeded=False condition that are not a failure of the work itself.
_CANCELLED_REASONS = frozenset({"Cancelled", "CancelledRunFinally", "StoppedRunFinally"})
_TIMEOUT_REASONS = frozenset({"PipelineRunTimeout"})
OUTCOMES = ("succeeded", "failed", "cancelled", "timeout")

# Seconds: from a second (the API server's timestamps' resolution) to a day.
_WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
_DELAY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def parse_time(text: object) -> float | None:
    """An RFC 3339 timestamp of the API server as epoch seconds; None when absent or bad."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def outcome(pipeline_run: Mapping[str, Any]) -> str | None:
    """``succeeded``/``failed``/``cancelled``/``timeout`` from the ``Succeeded``
    condition; None while the run is not done."""
    conditions = (pipeline_run.get("status") or {}).get("conditions") or []
    cond = next((c for c in conditions if c.get("type") == "Succeeded"), None)
    if cond is None or cond.get("status") not in ("True", "False"):
        return None
    if cond.get("status") == "True":
        return "succeeded"
    reason = str(cond.get("reason") or "")
    if reason in _CANCELLED_REASONS:
        return "cancelled"
    return "timeout" if reason in _TIMEOUT_REASONS else "failed"


class Exposition:
    """One process's registry; ``render`` is what ``GET /metrics`` answers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)

    def render(self) -> tuple[bytes, str]:
        """The body and its Content-Type (text format 0.0.4)."""
        return generate_latest(self.registry), CONTENT_TYPE


class ObserverMetrics:
    """The observer's: runs seen finishing, how late, CloudEvent deliveries, task retries."""

    def __init__(self, exposition: Exposition, wall: Callable[[], float] = time.time) -> None:
        reg = exposition.registry
        self._wall = wall
        self.runs = Counter(
            "benchgen_runs_finished",
            "PipelineRuns this observer saw finish, by outcome (the Succeeded condition;"
            " runs already done at start-up are not counted).",
            ["outcome"],
            registry=reg,
        )
        for name in OUTCOMES:
            self.runs.labels(name)  # every outcome present from the start, at 0
        self.detection = Histogram(
            "benchgen_run_detection_delay_seconds",
            "From a PipelineRun's status.completionTime to the observer seeing it done"
            " (the watch's delay; timestamps have one-second resolution).",
            buckets=_DELAY_BUCKETS,
            registry=reg,
        )
        self.deliveries = Counter(
            "benchgen_cloudevent_deliveries",
            "CloudEvents the sink acknowledged (2xx), by event type.",
            ["type"],
            registry=reg,
        )
        self.failures = Counter(
            "benchgen_cloudevent_delivery_failures",
            "CloudEvents not delivered (refused, or failing past the delivery timeout;"
            " sent again at the next change or resync), by event type.",
            ["type"],
            registry=reg,
        )
        self.retries = Counter(
            "benchgen_cloudevent_delivery_retries",
            "Extra attempts (after the first) that CloudEvent deliveries took.",
            registry=reg,
        )
        self.task_retries = Counter(
            "benchgen_task_retries",
            "Tekton retries of this benchmark's TaskRuns (status.retriesStatus), by"
            ' Pipeline task; pipeline_task="submit" counts the submit retries.',
            ["pipeline_task"],
            registry=reg,
        )

    def run_changed(self, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> None:
        """A PipelineRun the cache held as ``before`` (None: first seen) is now ``after``."""
        if before is None or outcome(before) is not None:
            return  # listed at start-up, or already counted
        result = outcome(after)
        if result is None:
            return
        self.runs.labels(result).inc()
        done = parse_time((after.get("status") or {}).get("completionTime"))
        if done is not None:
            self.detection.observe(max(0.0, self._wall() - done))

    def taskrun_changed(self, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> None:
        """Count the retries that ``after`` holds beyond ``before`` (None: first seen,
        nothing counted: they happened before this observer looked)."""
        if before is None:
            return
        new = _retries(after) - _retries(before)
        if new > 0:
            labels = (after.get("metadata") or {}).get("labels") or {}
            task = str(labels.get("tekton.dev/pipelineTask") or "")
            self.task_retries.labels(task).inc(new)

    def delivered(self, event_type: str, attempts: int) -> None:
        self.deliveries.labels(event_type).inc()
        if attempts > 1:
            self.retries.inc(attempts - 1)

    def not_delivered(self, event_type: str) -> None:
        self.failures.labels(event_type).inc()


def _retries(taskrun: Mapping[str, Any]) -> int:
    return len((taskrun.get("status") or {}).get("retriesStatus") or [])


class GateMetrics:
    """The concurrency gate's: the queue of pending runs and how long they wait."""

    def __init__(self, exposition: Exposition, wall: Callable[[], float] = time.time) -> None:
        reg = exposition.registry
        self._wall = wall
        self._oldest: float | None = None  # creationTimestamp of the oldest pending run
        self.pending = Gauge(
            "benchgen_queue_pending_runs",
            "PipelineRuns the gate holds back (spec.status PipelineRunPending), all keys.",
            registry=reg,
        )
        self.active = Gauge(
            "benchgen_queue_active_runs",
            "PipelineRuns released or started and not done, all keys.",
            registry=reg,
        )
        self.oldest = Gauge(
            "benchgen_queue_oldest_pending_age_seconds",
            "Age of the oldest pending PipelineRun (from its creationTimestamp); 0 when none.",
            registry=reg,
        )
        self.oldest.set_function(self._oldest_age)
        self.wait = Histogram(
            "benchgen_queue_wait_seconds",
            "From a PipelineRun's creation to its release by the gate.",
            buckets=_WAIT_BUCKETS,
            registry=reg,
        )
        self.release_failures = Counter(
            "benchgen_gate_release_failures",
            "Releases the API server refused or did not answer (retried).",
            registry=reg,
        )

    def _oldest_age(self) -> float:
        oldest = self._oldest
        return 0.0 if oldest is None else max(0.0, self._wall() - oldest)

    def queue(self, slots: Iterable[tuple[str, str]]) -> None:
        """The gate's latest picture: (state, creationTimestamp) of every run."""
        pending: list[float] = []
        active = 0
        for state, created in slots:
            if state == "pending":
                at = parse_time(created)
                pending.append(self._wall() if at is None else at)
            elif state == "active":
                active += 1
        self.pending.set(len(pending))
        self.active.set(active)
        self._oldest = min(pending) if pending else None

    def released(self, created: str) -> None:
        at = parse_time(created)
        if at is not None:
            self.wait.observe(max(0.0, self._wall() - at))


class CustomTaskMetrics:
    """The custom-task controller's (poll.mode controller): it submits and polls in
    one long-lived process, so its retries, adoptions and polls can be counted."""

    def __init__(self, exposition: Exposition) -> None:
        reg = exposition.registry
        self.submits = Counter(
            "benchgen_submits",
            "Submit steps that ended with a batch: created, or adopted (a batch with the"
            " run's key already existed: a duplicate avoided).",
            ["result"],
            registry=reg,
        )
        for result in ("created", "adopted"):
            self.submits.labels(result)
        self.submit_retries = Counter(
            "benchgen_submit_retries",
            "Extra attempts (after the first) that submit steps took.",
            registry=reg,
        )
        self.poll = Histogram(
            "benchgen_orchestrator_poll_seconds",
            "Time one poll of a batch took (the orchestrator's answer, or its failure).",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.poll_failures = Counter(
            "benchgen_orchestrator_poll_failures",
            "Polls the orchestrator did not answer (retried on the batch's schedule).",
            registry=reg,
        )

    def submitted(self, *, adopted: bool, attempts: int) -> None:
        self.submits.labels("adopted" if adopted else "created").inc()
        if attempts > 1:
            self.submit_retries.inc(attempts - 1)


class ServeMetrics:
    """The status API's: its requests by route and answer, and how long they took."""

    ROUTES = frozenset({"status", "logs", "health"})

    def __init__(self, exposition: Exposition) -> None:
        reg = exposition.registry
        self.requests = Counter(
            "benchgen_http_requests",
            "Requests to the status API, by route (status, logs, health, other) and HTTP code.",
            ["route", "code"],
            registry=reg,
        )
        self.duration = Histogram(
            "benchgen_http_request_duration_seconds",
            "Time to answer a status API request (for logs: until the stream ended).",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.streams = Gauge("benchgen_log_streams", "Log streams open now.", registry=reg)

    def route_of(self, path: str) -> str:
        first = path.lstrip("/").partition("/")[0]
        return first if first in self.ROUTES else "other"

    def answered(self, path: str, code: int, seconds: float) -> None:
        route = self.route_of(path)
        self.requests.labels(route, str(code)).inc()
        self.duration.labels(route).observe(seconds)
