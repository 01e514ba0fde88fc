"""The queue of a gated benchmark (``spec.pipeline.concurrency``), as both the
gate (``observe``, which decides) and the status API (``serve``, which tells)
read it from the PipelineRuns alone. The two commands never import each other,
so what they must agree on lives here: what counts as pending, the order of a
queue, and the annotations the gate leaves on a run it takes out of its queue.

A queue is the pending runs of one concurrency key, oldest first; position 1 is
the next to be released. The gate may also take a pending run out of its queue
for good (``dequeue``): it sets ``spec.status: Cancelled`` (a user-level request
Tekton honours by ending the run without starting it) together with one of the
annotations below, saying why:

- ``benchgen.dev/refused``: ``queue full (maxPending N)``: the run arrived while
  N older runs of its key were already waiting;
- ``benchgen.dev/superseded-by``: ``<run>``: a newer event of its key replaced it
  (``supersede: true``).

The gate writes nothing else; the ``Succeeded`` condition stays Tekton's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Tekton v1.15.1 pkg/apis/pipeline/v1/pipelinerun_types.go: PipelineRunSpecStatus*.
PENDING = "PipelineRunPending"
CANCELLED = "Cancelled"
CANCEL_STATES = frozenset({CANCELLED, "CancelledRunFinally", "StoppedRunFinally"})

REFUSED_ANNOTATION = "benchgen.dev/refused"
SUPERSEDED_ANNOTATION = "benchgen.dev/superseded-by"
# The /status reasons of a dequeued run (its Succeeded condition says Cancelled).
REFUSED_REASON = "QueueFull"
SUPERSEDED_REASON = "Superseded"


def _meta(pr: Mapping[str, Any]) -> Mapping[str, Any]:
    return pr.get("metadata") or {}


def spec_status(pr: Mapping[str, Any]) -> str:
    return str((pr.get("spec") or {}).get("status") or "")


def finished(pr: Mapping[str, Any]) -> bool:
    """Tekton has ended it: ``Succeeded`` is ``True`` or ``False``."""
    for cond in (pr.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Succeeded":
            return cond.get("status") in ("True", "False")
    return False


def classify(pr: Mapping[str, Any], released: Iterable[str] = ()) -> str:
    """``pending``, ``active`` or ``done`` (generator/runtime/observe/gate.py);
    ``released``: uids released whose release the caller's copy may not show yet."""
    if finished(pr):
        return "done"
    wanted = spec_status(pr)
    started = bool((pr.get("status") or {}).get("startTime"))
    if wanted == PENDING:
        return "active" if str(_meta(pr).get("uid")) in set(released) else "pending"
    if wanted in CANCEL_STATES and not started:
        return "done"  # cancelled while pending: Tekton ends it without running anything
    return "active"


def refused_text(max_pending: int) -> str:
    return f"queue full (maxPending {max_pending})"


def dequeued_reason(pr: Mapping[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when the gate took the run out of its queue, else None."""
    annotations = _meta(pr).get("annotations") or {}
    if REFUSED_ANNOTATION in annotations:
        return REFUSED_REASON, f"refused: {annotations[REFUSED_ANNOTATION]}"
    if SUPERSEDED_ANNOTATION in annotations:
        return SUPERSEDED_REASON, f"superseded by {annotations[SUPERSEDED_ANNOTATION]}"
    return None


def key_of(pr: Mapping[str, Any], key_label: str | None) -> str:
    """The run's concurrency key: the label's value ("" without a key or the label)."""
    if not key_label:
        return ""
    return str((_meta(pr).get("labels") or {}).get(key_label) or "")


def arrival(pr: Mapping[str, Any]) -> tuple[str, str]:
    """The order of a queue without the gate's memory: ``creationTimestamp``
    (seconds), then the name."""
    m = _meta(pr)
    return (str(m.get("creationTimestamp") or ""), str(m.get("name") or ""))


@dataclass(frozen=True)
class Position:
    """Where a pending run waits: ``position`` of ``length`` in the queue of ``key``."""

    position: int
    length: int
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "length": self.length, "key": self.key}


def position(
    runs: Iterable[Mapping[str, Any]], name: str, key_label: str | None
) -> Position | None:
    """Where run ``name`` waits among ``runs`` (one namespace's, as listed); None
    when it is not pending. Runs created within the same second are ordered by
    name here; the gate orders those by the order its watch delivered them."""
    listed = list(runs)
    run = next((r for r in listed if _meta(r).get("name") == name), None)
    if run is None or classify(run) != "pending" or dequeued_reason(run) is not None:
        return None
    key = key_of(run, key_label)
    queue = sorted(
        (
            r
            for r in listed
            if classify(r) == "pending"
            and dequeued_reason(r) is None
            and key_of(r, key_label) == key
        ),
        key=arrival,
    )
    return Position(queue.index(run) + 1, len(queue), key)
