"""The reconciler of benchgen's CustomRuns: submit once, then wait, for every run
of the namespace, from one process.

A CustomRun goes through :meth:`Reconciler.step` each time it is due: the
first step writes ``startTime`` and ``Succeeded: Unknown``; a ``Submit`` run
then creates its batch with the shared :class:`~generator.runtime.submitter.Submitter`
(the CustomRun's uid is the idempotency key, and it always looks first, so a
restart at any instant adopts the batch instead of sending another) and writes
the batch id at once; a ``Wait`` run polls with the shared
:class:`~generator.runtime.poller.Poller` and is due again when its schedule
says (the ETA of its batch, exactly as ``wait``). Only the last step of a run
writes ``True`` or ``False``, with the same results as the pod mode.

Every status write carries the resourceVersion it was decided on, so it lands
only on the object as it was read (``kube.Conflict`` otherwise, and the step
runs again on the newer object). Kubernetes failures back off per run.
Nothing here reads the real time but ``wall`` (status timestamps) and the
poll latency metric: the benchmark drives it all with a simulated clock.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from generator.contract import customtask as ct
from generator.contract.commands import SUBMIT
from generator.contract.durations import describe_duration, go_nanoseconds
from generator.contract.env import param_env
from generator.contract.orchestrator import TIMEOUT, UNKNOWN
from generator.contract.request import Field
from generator.runtime.args import duration
from generator.runtime.clock import Clock
from generator.runtime.errors import (
    ContractError,
    InfraError,
    InputError,
    PermanentError,
    RejectedError,
    TemporaryError,
)
from generator.runtime.http import Unavailable
from generator.runtime.metrics import CustomTaskMetrics
from generator.runtime.orchestrator import Batch, Orchestrator
from generator.runtime.poller import Poller, WaitOptions, count, parse_batch_id, parse_fail_on
from generator.runtime.request import build_body
from generator.runtime.retry import Deadline, RetryOptions
from generator.runtime.submitter import Submitter

Obj = dict[str, Any]
# Kubernetes failures of one run back off from 1 s to this.
MAX_BACKOFF = 30.0


class Store(Protocol):
    """Where CustomRun statuses are written (the API server; the bench's fake)."""

    def patch_status(self, name: str, resource_version: str, status: Obj) -> Obj:
        """The object after the patch; kube.Conflict if it moved on."""
        ...


@dataclass
class _Run:
    obj: Obj
    poller: Poller | None = None
    due: float = 0.0
    busy: bool = False
    failures: int = 0


@dataclass
class Reconciler:
    store: Store
    api: Orchestrator
    fields: list[Field]  # the request spec: how params become the batch's body
    clock: Clock
    wall: Callable[[], float]  # seconds since the epoch, for status timestamps
    log: Callable[[str], None]
    # How a step is run: a thread pool's submit (bounded requests in flight), or
    # a plain call (the benchmark, tests).
    dispatch: Callable[[Callable[[], None]], object] = lambda step: step()
    metrics: CustomTaskMetrics | None = None  # GET /metrics (runtime/metrics.py)
    _runs: dict[str, _Run] = field(default_factory=dict)
    _heap: list[tuple[float, int, str]] = field(default_factory=list)
    _seq: int = 0
    _cv: threading.Condition = field(default_factory=lambda: threading.Condition(threading.RLock()))

    # -- what the informer tells ---------------------------------------------------

    def observe(self, obj: Obj) -> None:
        """An ADDED or MODIFIED CustomRun (or one from a list)."""
        if not is_ours(obj):
            return
        name = _meta(obj).get("name", "")
        with self._cv:
            run = self._runs.get(name)
            if run is not None and _meta(run.obj).get("uid") != _meta(obj).get("uid"):
                run = None  # deleted and created again under the same name
            if run is not None and _newer(run.obj, obj):
                return  # an older copy (a list that crossed our own patch)
            if is_done(obj):
                if run is not None and not run.busy:
                    del self._runs[name]
                elif run is not None:
                    run.obj = obj
                return
            if run is None:
                self._runs[name] = _Run(obj)
                self._schedule(name, 0.0)
                return
            cancelled = _cancel_requested(obj) and not _cancel_requested(run.obj)
            run.obj = obj
            if cancelled:
                self._schedule(name, 0.0)  # stop polling now, not at the next poll

    def forget(self, obj: Obj) -> None:
        """A DELETED CustomRun: nothing more is written to it."""
        with self._cv:
            run = self._runs.get(_meta(obj).get("name", ""))
            if run is not None and _meta(run.obj).get("uid") == _meta(obj).get("uid"):
                del self._runs[_meta(obj).get("name", "")]

    def active(self) -> int:
        with self._cv:
            return len(self._runs)

    # -- scheduling ----------------------------------------------------------------

    def _schedule(self, name: str, delay: float) -> None:
        run = self._runs.get(name)
        if run is None:
            return
        run.due = self.clock.monotonic() + max(delay, 0.0)
        self._seq += 1
        heapq.heappush(self._heap, (run.due, self._seq, name))
        self._cv.notify_all()

    def dispatch_due(self) -> float:
        """Start every run that is due (not one already running); the seconds until the
        next one is due (``math.inf`` when none is)."""
        due: list[str] = []
        with self._cv:
            now = self.clock.monotonic()
            while self._heap and self._heap[0][0] <= now:
                at, _, name = heapq.heappop(self._heap)
                run = self._runs.get(name)
                if run is None or run.busy or at != run.due:
                    continue  # gone, running (it reschedules itself), or a stale entry
                run.busy = True
                due.append(name)
        for name in due:
            self.dispatch(lambda n=name: self._step(n))  # type: ignore[misc]
        with self._cv:  # a step run in place has scheduled its next one by now
            while self._heap and not self._current(self._heap[0]):
                heapq.heappop(self._heap)
            return max(self._heap[0][0] - self.clock.monotonic(), 0.0) if self._heap else math.inf

    def _current(self, entry: tuple[float, int, str]) -> bool:
        run = self._runs.get(entry[2])
        return run is not None and (run.busy or entry[0] == run.due)

    def run_forever(self, stop: threading.Event) -> None:
        """The scheduler thread: dispatch what is due, sleep until the next is."""
        while not stop.is_set():
            wait = self.dispatch_due()
            with self._cv:
                self._cv.wait(timeout=min(wait, 5.0))

    # -- one step of one run -------------------------------------------------------

    def _step(self, name: str) -> None:
        with self._cv:
            run = self._runs.get(name)
        if run is None:
            return
        delay: float | None = None
        try:
            delay = self._reconcile(run)
            run.failures = 0
        except TemporaryError as exc:  # the API server (a conflict, an outage)
            run.failures += 1
            delay = min(2.0 ** (run.failures - 1), MAX_BACKOFF)
            self._say(run, f"state=retrying error={exc!s} next={describe_duration(delay)}")
        except Exception as exc:  # one run's bug must not stop the others
            run.failures += 1
            delay = MAX_BACKOFF
            self._say(run, f"state=error error={type(exc).__name__}: {exc}")
        finally:
            with self._cv:
                run.busy = False
                if name in self._runs and delay is not None:
                    self._schedule(name, delay)
                elif name in self._runs:
                    del self._runs[name]

    def _reconcile(self, run: _Run) -> float | None:
        """Advance ``run``; the seconds until its next step, or None when it is done."""
        obj = run.obj
        status = obj.get("status") or {}
        if is_done(obj):
            return None
        spec = obj.get("spec") or {}
        if spec.get("status") == ct.CANCELLED_SPEC_STATUS:
            message = spec.get("statusMessage") or "cancelled"
            return self._finish(run, False, ct.REASON_CANCELLED, str(message), None)
        if not status.get("startTime"):
            now = _timestamp(self.wall())
            started = _condition(ct.REASON_STARTED, "Unknown", f"{_kind(obj)} started", now)
            self._patch(run, {"startTime": now, "conditions": [started]})
            run.poller = None
        remaining = self._remaining(run.obj)
        if _kind(obj) == ct.SUBMIT_KIND:
            return self._submit(run, remaining)
        return self._wait(run, remaining)

    def _remaining(self, obj: Obj) -> float:
        """Seconds left of ``spec.timeout`` (per attempt, from ``status.startTime``)."""
        timeout = (obj.get("spec") or {}).get("timeout")
        if not timeout:
            return math.inf
        nanoseconds = go_nanoseconds(str(timeout))
        if nanoseconds <= 0:  # Tekton's "0": no timeout
            return math.inf
        started = _parse_time(str((obj.get("status") or {}).get("startTime")))
        return started + nanoseconds / 1e9 - self.wall()

    def _submit(self, run: _Run, remaining: float) -> float | None:
        uid = str(_meta(run.obj).get("uid"))
        try:
            body = build_body(self.fields, _param_env(run.obj), uid, self.api.api)
        except (InputError, ContractError) as exc:
            return self._finish(run, False, ct.REASON_INVALID, str(exc), None)
        if remaining <= 0:
            return self._finish(run, False, ct.REASON_TIMED_OUT, "timed out submitting", None)
        deadline = Deadline(RetryOptions.defaults(SUBMIT, min(remaining, 1e9)), self.clock)
        # Always look first: the key may have been used before a restart.
        submitter = Submitter(
            self.api, body, uid, look_first=True, deadline=deadline, say=lambda m: self._say(run, m)
        )
        attempts = 0

        def attempt() -> Batch:
            nonlocal attempts
            attempts += 1
            return submitter.attempt()

        try:
            batch = deadline.retry(
                attempt,
                lambda attempt, exc: f"{self._prefix(run)} submit attempt {attempt} failed: {exc}",
                InfraError,
            )
        except RejectedError as exc:
            return self._finish(run, False, ct.REASON_REJECTED, str(exc), None)
        except PermanentError as exc:
            reason = ct.REASON_TIMED_OUT if deadline.remaining() <= 0 else ct.REASON_UNAVAILABLE
            return self._finish(run, False, reason, str(exc), None)
        if self.metrics is not None:
            self.metrics.submitted(adopted=submitter.adopted, attempts=attempts)
        verb = "adopted" if submitter.adopted else "created"
        self._say(run, f"state=submitted batch={batch.batch_id} {verb}=1")
        results = {"batch-id": str(batch.batch_id), "submit-status": batch.status or UNKNOWN}
        message = f"batch {batch.batch_id} {verb} ({results['submit-status']})"
        return self._finish(run, True, ct.REASON_SUBMITTED, message, results)

    def _wait(self, run: _Run, remaining: float) -> float | None:
        if run.poller is None:
            try:
                batch_id, opts = _wait_params(run.obj, remaining)
            except (InputError, ContractError) as exc:
                results = _wait_results(UNKNOWN, None)
                return self._finish(run, False, ct.REASON_INVALID, str(exc), results)
            run.poller = Poller(self.api, batch_id, opts, self.clock, self.clock.monotonic())
        poller = run.poller
        if poller.timed_out():
            message = f"batch {poller.batch_id} did not finish within the timeout"
            results = _wait_results(TIMEOUT, poller)
            return self._finish(run, False, ct.REASON_TIMED_OUT, message, results)
        began = time.perf_counter()  # the real time a poll takes, whatever self.clock is
        try:
            outcome = poller.poll()
        except Unavailable as exc:
            if self.metrics is not None:
                self.metrics.poll_failures.inc()
            delay = poller.next_delay(exc)
            self._say(run, f"batch={poller.batch_id} state=poll-failed error={exc!s}")
            return delay
        except PermanentError as exc:
            results = _wait_results(UNKNOWN, poller)
            return self._finish(run, False, ct.REASON_UNAVAILABLE, str(exc), results)
        finally:
            if self.metrics is not None:
                self.metrics.poll.observe(time.perf_counter() - began)
        if outcome is not None:
            ok = outcome.exit_code == 0
            reason = ct.REASON_SUCCEEDED if ok else ct.REASON_FAILED
            results = _wait_results(outcome.final_status, poller)
            return self._finish(run, ok, reason, outcome.message, results)
        delay = poller.next_delay(None)
        last = poller.last
        counts = f"{count(last.completed_jobs)}/{count(last.total_jobs)}" if last else "?"
        state = last.status if last else "?"
        self._say(
            run,
            f"batch={poller.batch_id} state={state} done={counts} polls={poller.polls}"
            f" next={describe_duration(delay)}",
        )
        return delay

    def _finish(
        self, run: _Run, ok: bool, reason: str, message: str, results: Mapping[str, str] | None
    ) -> float | None:
        """Write the end of this attempt: ``True``/``False`` with the results; or, when
        it failed and ``spec.retries`` allows, record it and start the next attempt."""
        obj = run.obj
        status = dict(obj.get("status") or {})
        now = _timestamp(self.wall())
        end: Obj = {
            "conditions": [_condition(reason, "True" if ok else "False", message, now)],
            "completionTime": now,
            "results": [{"name": k, "value": v} for k, v in (results or {}).items()],
        }
        retries = int((obj.get("spec") or {}).get("retries") or 0)
        history = list(status.get("retriesStatus") or [])
        if not ok and reason != ct.REASON_CANCELLED and len(history) < retries:
            history.append({**status, **end})
            attempt = len(history) + 1
            started = _condition(ct.REASON_STARTED, "Unknown", f"attempt {attempt}: {message}", now)
            self._patch(
                run,
                {
                    "retriesStatus": history,
                    "startTime": now,
                    "completionTime": None,
                    "results": None,
                    "conditions": [started],
                },
            )
            run.poller = None
            self._say(run, f"state=retrying attempt={attempt} reason={reason}")
            return 0.0
        self._patch(run, end)
        self._say(run, f"state={'succeeded' if ok else 'failed'} reason={reason} {message}")
        return None

    def _patch(self, run: _Run, status: Obj) -> None:
        meta = _meta(run.obj)
        run.obj = self.store.patch_status(
            str(meta.get("name")), str(meta.get("resourceVersion")), status
        )

    def _say(self, run: _Run, text: str) -> None:
        self.log(f"{self._prefix(run)} {text}")

    @staticmethod
    def _prefix(run: _Run) -> str:
        meta = _meta(run.obj)
        return f"run={meta.get('namespace')}/{meta.get('name')} kind={_kind(run.obj)}"


# -- reading CustomRuns ----------------------------------------------------------------


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _kind(obj: Obj) -> str:
    return str(((obj.get("spec") or {}).get("customRef") or {}).get("kind"))


def is_ours(obj: Obj) -> bool:
    ref = (obj.get("spec") or {}).get("customRef") or {}
    return ref.get("apiVersion") == ct.API_VERSION and ref.get("kind") in ct.KINDS


def is_done(obj: Obj) -> bool:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Succeeded":
            return cond.get("status") in ("True", "False")
    return False


def _cancel_requested(obj: Obj) -> bool:
    return (obj.get("spec") or {}).get("status") == ct.CANCELLED_SPEC_STATUS


def _newer(have: Obj, other: Obj) -> bool:
    """``have`` is a later version than ``other`` (resourceVersions compared as the
    integers the API server issues; anything else counts as not newer)."""
    a, b = (str(_meta(o).get("resourceVersion", "")) for o in (have, other))
    return a.isdigit() and b.isdigit() and int(a) > int(b)


def _params(obj: Obj) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in (obj.get("spec") or {}).get("params") or []:
        if isinstance(p, dict) and isinstance(p.get("value"), str):
            out[str(p.get("name"))] = p["value"]
    return out


def _param_env(obj: Obj) -> dict[str, str]:
    """The params as the pod mode's env (``BENCHGEN_PARAM_<NAME>``), for build_body."""
    return {param_env(name): value for name, value in _params(obj).items()}


def _wait_params(obj: Obj, remaining: float) -> tuple[int, WaitOptions]:
    params = _params(obj)
    if ct.BATCH_ID_PARAM not in params:
        raise InputError(f"param {ct.BATCH_ID_PARAM!r} is required")
    batch_id = parse_batch_id(params[ct.BATCH_ID_PARAM])
    policy = {name: params.get(name, ct.wait_default(name)) for name in ct.WAIT_POLICY}
    on_unknown = policy["on-unknown-status"].strip()
    if on_unknown not in ("fail", "wait"):
        raise InputError(f"param 'on-unknown-status': {on_unknown!r} is not fail or wait")
    opts = WaitOptions(
        interval=duration(policy["interval"], "param 'interval'"),
        max_interval=duration(policy["max-interval"], "param 'max-interval'"),
        timeout=remaining,
        fail_on=parse_fail_on(policy["fail-on"]),
        on_unknown=on_unknown,
        request_timeout=duration(ct.wait_default("request-timeout"), "--request-timeout"),
        not_found_grace=duration(ct.wait_default("not-found-grace"), "--not-found-grace"),
        error_budget=duration(ct.wait_default("error-budget"), "--error-budget"),
    )
    if opts.max_interval < opts.interval:
        raise InputError("param 'max-interval' must not be shorter than 'interval'")
    return batch_id, opts


def _wait_results(final_status: str, poller: Poller | None) -> dict[str, str]:
    last = poller.last if poller else None
    return {
        "final-status": final_status,
        "total-jobs": count(last.total_jobs if last else None),
        "completed-jobs": count(last.completed_jobs if last else None),
        "failed-jobs": count(last.failed_jobs if last else None),
    }


def _condition(reason: str, status: str, message: str, now: str) -> Obj:
    # lastTransitionTime is required: Tekton's webhook writes a missing one as null,
    # which the CRD's schema refuses (422).
    return {
        "type": "Succeeded",
        "status": status,
        "reason": reason,
        "message": message[:1024],
        "lastTransitionTime": now,
    }


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> float:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise InputError(f"status.startTime {text!r} is not an RFC 3339 UTC time") from None
