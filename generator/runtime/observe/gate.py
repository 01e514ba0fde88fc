"""The concurrency gate: at most N of this benchmark's PipelineRuns active at once.

The TriggerTemplate creates every PipelineRun with ``spec.status:
PipelineRunPending``; Tekton (v1.15.1, ``pkg/reconciler/pipelinerun``) then
creates nothing for it: it sets no ``startTime`` and marks its ``Succeeded``
condition ``Unknown`` with reason ``PipelineRunPending``. Removing
``spec.status`` releases it: Tekton's next reconcile sets ``startTime`` and
runs it. This module decides which pending runs to release, and releases them.

State is only what the API server holds (plus, in memory, the runs this
process has released whose release the cache has not caught up with), so a
restarted observer recomputes it from its first list. Per key (the value of
the ``BENCHGEN_CONCURRENCY_KEY`` label; one key when none is configured):

- **done**: ``Succeeded`` is ``True``/``False``, or ``spec.status`` is a
  cancel value and the run never started (Tekton will not run it);
- **pending**: ``spec.status: PipelineRunPending`` (and not released by us);
- **active**: everything else: released or started and not done, including
  runs created without ``spec.status`` (they take a slot as well).

Pending runs are released oldest first while active < N. "Oldest" is
``creationTimestamp`` (seconds), then the order this process first saw them
on its watch (the API server delivers creations in the order they were
stored), then the name: runs created within the same second while no
observer ran are released by name, as the API server keeps no finer order.

A release is a JSON patch ``test /spec/status == PipelineRunPending`` +
``remove /spec/status``: the API server applies it only if the run is still
pending, so a run cancelled meanwhile (``spec.status: Cancelled``) is never
started by us.

The queue of a key is its pending runs left after the releases, in the same
order. Two opt-in bounds take runs out of it for good (``dequeue``): with
``supersede``, every waiting run but the newest is superseded by it; with
``max_pending`` N, the runs after the first N are refused. Taking a run out is
``spec.status: Cancelled`` plus an annotation with the reason
(generator/runtime/queue.py), in one JSON merge patch carrying the
``resourceVersion`` the gate read: the API server applies it only while the run
is exactly as read, pending, so a run released or changed meanwhile is never
cancelled (409: the gate decides again once its cache has the change). Nothing
here ever deletes a run, cancels one that is not pending, or reorders a queue.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from generator.runtime import kube
from generator.runtime.clock import StoppableClock, Stopped
from generator.runtime.errors import TemporaryError
from generator.runtime.metrics import GateMetrics
from generator.runtime.observe.events import meta
from generator.runtime.queue import (
    CANCEL_STATES,
    PENDING,
    REFUSED_ANNOTATION,
    SUPERSEDED_ANNOTATION,
    classify,
    refused_text,
    spec_status,
)
from generator.runtime.retry import deadline_retrying

Obj = dict[str, Any]

# classify, PENDING and CANCEL_STATES live in generator/runtime/queue.py (serve
# reads queues too); re-exported for the gate's callers and tests.
__all__ = ["CANCEL_STATES", "PENDING", "Dequeue", "Gate", "Slot", "classify", "dequeue", "plan"]
MAX_BACKOFF = 30.0


class ReleaseFailed(TemporaryError):
    """The API server refused a release or was away (logged): evaluate again later."""


@dataclass(frozen=True)
class Slot:
    """One PipelineRun as the gate sees it."""

    uid: str
    namespace: str
    name: str
    key: str
    state: str  # "pending", "active" or "done"
    order: tuple[str, int, str]  # (creationTimestamp, first seen, name)
    version: str = ""  # metadata.resourceVersion as read: the guard of a dequeue


@dataclass(frozen=True)
class Dequeue:
    """A pending run to take out of its queue: ``annotation: why``."""

    slot: Slot
    annotation: str
    why: str


def plan(slots: Iterable[Slot], limit: int) -> list[Slot]:
    """The pending runs to release now: per key, the oldest, while active < limit;
    oldest first overall."""
    by_key: dict[str, list[Slot]] = {}
    for slot in slots:
        by_key.setdefault(slot.key, []).append(slot)
    out: list[Slot] = []
    for group in by_key.values():
        free = limit - sum(1 for s in group if s.state == "active")
        waiting = sorted((s for s in group if s.state == "pending"), key=lambda s: s.order)
        out += waiting[: max(free, 0)]
    return sorted(out, key=lambda s: s.order)


def dequeue(
    slots: Iterable[Slot],
    releasing: Iterable[Slot],
    max_pending: int | None,
    supersede: bool,
) -> list[Dequeue]:
    """The pending runs to take out of their queues now: per key, of the runs still
    pending once ``releasing`` is released, with ``supersede`` all but the newest
    (replaced by it), then those after the first ``max_pending``; oldest first."""
    gone = {s.uid for s in releasing}
    by_key: dict[str, list[Slot]] = {}
    for slot in slots:
        if slot.state == "pending" and slot.uid not in gone:
            by_key.setdefault(slot.key, []).append(slot)
    out: list[Dequeue] = []
    for group in by_key.values():
        waiting = sorted(group, key=lambda s: s.order)
        if supersede and len(waiting) > 1:
            newest = waiting[-1]
            out += [Dequeue(s, SUPERSEDED_ANNOTATION, newest.name) for s in waiting[:-1]]
            waiting = [newest]
        if max_pending is not None:
            why = refused_text(max_pending)
            out += [Dequeue(s, REFUSED_ANNOTATION, why) for s in waiting[max_pending:]]
    return sorted(out, key=lambda d: d.slot.order)


class Gate:
    """Which runs this benchmark holds back, and their release.

    The watch threads call ``notice``/``forget``; one gate thread runs ``loop``.
    ``snapshot`` returns the observer's cached PipelineRuns (fresh copies)."""

    def __init__(
        self,
        api: kube.ApiClient,
        limit: int,
        key_label: str | None,
        snapshot: Callable[[], list[Obj]],
        log: Callable[[str], None],
        metrics: GateMetrics | None = None,
        *,
        max_pending: int | None = None,
        supersede: bool = False,
    ) -> None:
        self.max_pending = max_pending  # None: the queue is unbounded
        self.supersede = supersede
        self.api = api
        self.metrics = metrics
        self.limit = limit
        self.key_label = key_label
        self._snapshot = snapshot
        self._log = log
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._seen: dict[str, int] = {}  # uid -> first-seen sequence number
        self._next = 0
        self._released: set[str] = set()  # released by us, cache maybe not caught up
        self._queued: set[str] = set()  # "queued" already logged
        self._dequeued: set[str] = set()  # cancelled by us, cache maybe not caught up

    # -- fed by the watch threads --------------------------------------------------

    def notice(self, pr: Mapping[str, Any]) -> None:
        """A PipelineRun was listed or changed: remember when it was first seen."""
        uid = str(meta(pr).get("uid"))
        with self._lock:
            if uid not in self._seen:
                self._seen[uid] = self._next
                self._next += 1
        self._wake.set()

    def forget(self, uid: str) -> None:
        """The run is gone (deleted): its slot is free."""
        with self._lock:
            self._seen.pop(uid, None)
            self._released.discard(uid)
            self._queued.discard(uid)
            self._dequeued.discard(uid)
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # -- decisions --------------------------------------------------------------------

    def key_of(self, pr: Mapping[str, Any]) -> str:
        if not self.key_label:
            return ""
        return str((meta(pr).get("labels") or {}).get(self.key_label) or "")

    def slots(self, runs: Iterable[Mapping[str, Any]]) -> list[Slot]:
        out: list[Slot] = []
        with self._lock:
            released = set(self._released)
            dequeued = set(self._dequeued)
            seen = dict(self._seen)
        for pr in runs:
            m = meta(pr)
            uid = str(m.get("uid"))
            state = classify(pr, released)
            if state != "active" or spec_status(pr) != PENDING:
                with self._lock:
                    self._released.discard(uid)  # the cache has caught up (or it ended)
            if uid in dequeued:
                if spec_status(pr) == PENDING:
                    state = "done"  # cancelled by us, the cache not there yet
                else:
                    with self._lock:
                        self._dequeued.discard(uid)
            order = (str(m.get("creationTimestamp") or ""), seen.get(uid, 1 << 62), str(m["name"]))
            version = str(m.get("resourceVersion") or "")
            name, namespace = str(m["name"]), str(m.get("namespace"))
            out.append(Slot(uid, namespace, name, self.key_of(pr), state, order, version))
        return out

    # -- the gate thread --------------------------------------------------------------

    def loop(self, clock: StoppableClock, period: float) -> None:
        """Re-evaluate on every change (and every ``period``) until the clock's stop;
        a failed release is retried (1 s doubling to MAX_BACKOFF)."""
        retrying = deadline_retrying(
            clock, initial=1.0, max_backoff=MAX_BACKOFF, announce=lambda *_: None
        )
        with contextlib.suppress(Stopped):
            while not clock.stop.is_set():
                self._wake.wait(timeout=period)
                self._wake.clear()
                if not clock.stop.is_set():
                    retrying(self.reconcile)

    def reconcile(self) -> None:
        """Release what may run now; ReleaseFailed when a release must be retried."""
        slots = self.slots(self._snapshot())
        if self.metrics is not None:
            self.metrics.queue((s.state, s.order[0]) for s in slots)  # order[0]: created
        self._log_queued(slots)
        ok = True
        releasing = plan(slots, self.limit)
        for slot in releasing:
            ok = self._release(slot) and ok
        if self.max_pending is not None or self.supersede:
            for out in dequeue(slots, releasing, self.max_pending, self.supersede):
                ok = self._dequeue(out) and ok
        if not ok:
            raise ReleaseFailed("a release failed")

    def _log_queued(self, slots: list[Slot]) -> None:
        for slot in slots:
            if slot.state == "pending" and slot.uid not in self._queued:
                self._queued.add(slot.uid)
                active = sum(1 for s in slots if s.key == slot.key and s.state == "active")
                self._log(
                    f"queued {slot.namespace}/{slot.name}{self._key_text(slot)}:"
                    f" {active}/{self.limit} active"
                )

    def _key_text(self, slot: Slot) -> str:
        return f" ({self.key_label}={slot.key})" if self.key_label else ""

    def _release(self, slot: Slot) -> bool:
        where = f"{slot.namespace}/{slot.name}"
        try:
            obj = kube.release_pending_run(self.api, slot.namespace, slot.name, slot.uid)
        except kube.KubeError as exc:
            if exc.status == 404:
                self._log(f"not released {where}: deleted meanwhile")
                self.forget(slot.uid)
                return True
            if exc.status in (409, 422):
                # The test op failed: no longer pending (cancelled, or a new
                # object with that name). The cache will show it; recompute then.
                self._log(f"not released {where}: no longer pending ({exc.message})")
                return True
            self._log(f"release {where}: {exc}; will retry")
            if self.metrics is not None:
                self.metrics.release_failures.inc()
            return False
        with self._lock:
            self._released.add(slot.uid)
        created = str(meta(obj).get("creationTimestamp") or "")
        if self.metrics is not None:
            self.metrics.released(created)
        self._log(f"released {where}{self._key_text(slot)} (created {created})")
        return True

    def _dequeue(self, out: Dequeue) -> bool:
        slot = out.slot
        where = f"{slot.namespace}/{slot.name}"
        verb = "refused" if out.annotation == REFUSED_ANNOTATION else "superseded"
        if not slot.version:  # never from the API server; the patch would be unguarded
            self._log(f"not {verb} {where}: no resourceVersion read")
            return True
        try:
            kube.dequeue_pending_run(
                self.api, slot.namespace, slot.name, slot.version, out.annotation, out.why
            )
        except kube.KubeError as exc:
            if exc.status == 404:
                self.forget(slot.uid)
                return True
            if exc.status == 409:
                # Changed since the cache's copy (released, cancelled, relabelled...):
                # the watch brings the change, and the gate decides again then.
                self._log(f"not {verb} {where}: changed meanwhile ({exc.message})")
                return True
            self._log(f"{verb} {where}: {exc}; will retry")
            return False
        with self._lock:
            self._dequeued.add(slot.uid)
        text = f"by {out.why}" if verb == "superseded" else out.why
        self._log(f"{verb} {where}{self._key_text(slot)}: {text}")
        return True
