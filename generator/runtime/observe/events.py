"""What a PipelineRun or TaskRun still owes the sink: pure functions of the object.

An object's annotation ``benchgen.dev/cloudevents-sent`` lists the keys of the
events the sink has acknowledged (``started``, ``build.succeeded``...). The
events due are the object's states, in the order they happened, minus those
keys. Nothing here talks to the API server or the sink, so the whole state
machine is unit-tested on plain dicts shaped like Tekton v1 objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.runtime.observe.logtail import redact_strings

ANNOTATION = "benchgen.dev/cloudevents-sent"
LABEL_PIPELINE_RUN = "tekton.dev/pipelineRun"
LABEL_PIPELINE_TASK = "tekton.dev/pipelineTask"
TYPE_PREFIX = "dev.benchgen"
PIPELINE_RUN = "PipelineRun"
TASK_RUN = "TaskRun"

# Tekton's entrypoint marks a step it did not run because an earlier one failed
# (pkg/pod/pod.go TerminationReasonSkipped), and a failure the Task continued
# past (onError: continue) as "Continued".
_SKIPPED = "Skipped"
_CONTINUED = "Continued"

Obj = dict[str, Any]


@dataclass(frozen=True)
class LogSource:
    """The container whose log tail a step event carries."""

    namespace: str
    pod: str
    container: str


@dataclass(frozen=True)
class Due:
    """One event not yet acknowledged by the sink, and the object that records it."""

    kind: str  # PIPELINE_RUN or TASK_RUN: whose annotation gets ``key``
    namespace: str
    name: str
    uid: str
    key: str
    type: str
    subject: str
    id: str
    time: str | None  # from the status, so a repeat is byte-identical
    data: Obj
    log: LogSource | None = None  # set on step succeeded/failed events


def meta(obj: Mapping[str, Any]) -> Obj:
    return dict(obj.get("metadata") or {})


def status(obj: Mapping[str, Any]) -> Obj:
    return dict(obj.get("status") or {})


def sent_keys(obj: Mapping[str, Any]) -> list[str]:
    """The acknowledged keys recorded on ``obj``; a value that is not a JSON
    list of strings (hand-edited) counts as empty: resending beats losing."""
    raw = (meta(obj).get("annotations") or {}).get(ANNOTATION)
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [k for k in value if isinstance(k, str)]


def merge_keys(existing: Sequence[str], new: Iterable[str]) -> list[str]:
    """``existing`` then the keys of ``new`` it lacks, in order."""
    out = list(existing)
    for key in new:
        if key not in out:
            out.append(key)
    return out


def annotation_value(keys: Sequence[str]) -> str:
    return json.dumps(list(keys), separators=(",", ":"))


def succeeded_condition(obj: Mapping[str, Any]) -> Obj | None:
    for cond in status(obj).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Succeeded":
            return cond
    return None


def is_done(obj: Mapping[str, Any]) -> bool:
    cond = succeeded_condition(obj)
    return cond is not None and cond.get("status") in ("True", "False")


def group_of(kind: str, obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """The unit the worker processes in order: a PipelineRun with its TaskRuns
    (so ``run.started`` < step events < ``run.succeeded``), or a lone TaskRun."""
    m = meta(obj)
    ns = str(m.get("namespace", ""))
    if kind == PIPELINE_RUN:
        return (PIPELINE_RUN, ns, str(m.get("name", "")))
    parent = (m.get("labels") or {}).get(LABEL_PIPELINE_RUN)
    if parent:
        return (PIPELINE_RUN, ns, str(parent))
    return (TASK_RUN, ns, str(m.get("name", "")))


# -- runs ---------------------------------------------------------------------


def _run_due(pr: Mapping[str, Any], state: str, time: str | None) -> Due:
    m, st = meta(pr), status(pr)
    cond = succeeded_condition(pr)
    data: Obj = {
        "pipelineRun": m.get("name"),
        "namespace": m.get("namespace"),
        "condition": ({k: cond.get(k) for k in ("status", "reason", "message")} if cond else None),
        "startTime": st.get("startTime"),
        "completionTime": st.get("completionTime"),
    }
    return Due(
        kind=PIPELINE_RUN,
        namespace=str(m.get("namespace")),
        name=str(m.get("name")),
        uid=str(m.get("uid")),
        key=state,
        type=f"{TYPE_PREFIX}.run.{state}.v1",
        subject=str(m.get("name")),
        id=f"{m.get('uid')}.{state}",
        time=time,
        data=data,
    )


def run_started(pr: Mapping[str, Any], sent: set[str]) -> Due | None:
    """``run.started`` once the PipelineRun has a ``startTime``."""
    start = status(pr).get("startTime")
    if not start or "started" in sent:
        return None
    return _run_due(pr, "started", start)


def run_finished(pr: Mapping[str, Any], sent: set[str]) -> Due | None:
    """``run.succeeded``/``run.failed`` once ``Succeeded`` is True/False."""
    cond = succeeded_condition(pr)
    if cond is None or cond.get("status") not in ("True", "False"):
        return None
    state = "succeeded" if cond["status"] == "True" else "failed"
    if state in sent:
        return None
    time = status(pr).get("completionTime") or cond.get("lastTransitionTime")
    return _run_due(pr, state, time)


# -- steps --------------------------------------------------------------------


def _steps(tr: Mapping[str, Any]) -> list[tuple[str, Obj, Obj | None]]:
    """(name, spec step, status entry) in execution order: the resolved spec's
    order (``status.taskSpec``), then entries the spec does not name."""
    st = status(tr)
    spec_steps = (st.get("taskSpec") or {}).get("steps") or []
    entries = {e.get("name"): e for e in st.get("steps") or [] if isinstance(e, dict)}
    out: list[tuple[str, Obj, Obj | None]] = []
    for i, step in enumerate(spec_steps):
        # Tekton names an unnamed step "unnamed-<index>" in its status.
        name = str(step.get("name") or f"unnamed-{i}")
        out.append((name, step, entries.pop(name, None)))
    for extra, entry in entries.items():
        out.append((str(extra), {}, entry))
    return out


def _went_on(entry: Obj | None) -> bool:
    """An earlier step lets the next one run: it ended with 0, or failed under
    ``onError: continue``."""
    term = (entry or {}).get("terminated")
    if not term:
        return False
    return term.get("exitCode") == 0 or entry.get("terminationReason") == _CONTINUED  # type: ignore[union-attr]


def step_states(
    entry: Obj | None, *, predecessors_done: bool, taskrun_done: bool, started_sent: bool
) -> list[str]:
    """The states a step has reached, in order.

    All step containers of a Tekton Pod are ``running`` at once (each
    entrypoint waits for the previous step), so a step counts as started only
    when it runs and every earlier step let it run. A step still not
    terminated when its TaskRun is done was interrupted (failed) if it had
    started, else it never ran (skipped).
    """
    term = (entry or {}).get("terminated")
    if term:
        reasons = ((entry or {}).get("terminationReason"), term.get("reason"))
        if _SKIPPED in reasons:
            return ["skipped"]
        return ["started", "succeeded" if term.get("exitCode") == 0 else "failed"]
    running = bool((entry or {}).get("running")) and predecessors_done
    if taskrun_done:
        return ["started", "failed"] if (running or started_sent) else ["skipped"]
    return ["started"] if running else []


def _step_time(state: str, entry: Obj | None, previous_end: str | None, tr: Obj) -> str | None:
    e = entry or {}
    term = e.get("terminated") or {}
    if state == "started":
        # Tekton rewrites terminated.startedAt to when the step really began; a
        # running container started when the Pod did, so take the later of that
        # and the previous step's end.
        if term.get("startedAt"):
            return str(term["startedAt"])
        started = (e.get("running") or {}).get("startedAt")
        candidates = [t for t in (started, previous_end) if t]
        return max(candidates) if candidates else None  # RFC 3339 UTC sorts as text
    return term.get("finishedAt") or status(tr).get("completionTime")


def steps_due(tr: Mapping[str, Any], sent: set[str]) -> list[Due]:
    """Every step event of ``tr`` whose key is not in ``sent``, in order."""
    m, st = meta(tr), status(tr)
    labels = m.get("labels") or {}
    ns, name, uid = str(m.get("namespace")), str(m.get("name")), str(m.get("uid"))
    pod = st.get("podName")
    done = is_done(tr)
    out: list[Due] = []
    predecessors_done = True
    previous_end: str | None = None
    for step, spec, entry in _steps(tr):
        states = step_states(
            entry,
            predecessors_done=predecessors_done,
            taskrun_done=done,
            started_sent=f"{step}.started" in sent,
        )
        for state in states:
            key = f"{step}.{state}"
            if key in sent:
                continue
            container = (entry or {}).get("container") or f"step-{step}"
            log = (
                LogSource(ns, str(pod), str(container))
                if pod and state in ("succeeded", "failed") and (entry or {}).get("terminated")
                else None
            )
            data: Obj = {
                "pipelineRun": labels.get(LABEL_PIPELINE_RUN),
                "taskRun": name,
                "pipelineTask": labels.get(LABEL_PIPELINE_TASK),
                "namespace": ns,
                # Name and image only: env, args, script and volumes may hold secrets.
                "step": {"name": step, "image": spec.get("image")},
                "state": redact_strings(entry) if entry else {"name": step},
                "pod": {"namespace": ns, "name": pod} if pod else None,
                "log": "",
                "logTruncated": False,
            }
            out.append(
                Due(
                    kind=TASK_RUN,
                    namespace=ns,
                    name=name,
                    uid=uid,
                    key=key,
                    type=f"{TYPE_PREFIX}.step.{state}.v1",
                    subject=f"{name}/{step}",
                    id=f"{uid}.{step}.{state}",
                    time=_step_time(state, entry, previous_end, dict(tr)),
                    data=data,
                    log=log,
                )
            )
        predecessors_done = predecessors_done and _went_on(entry)
        finished = ((entry or {}).get("terminated") or {}).get("finishedAt")
        previous_end = str(finished) if finished else previous_end
    return out


def taskrun_order(tr: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key: the TaskRuns of one PipelineRun in the order they started."""
    m, st = meta(tr), status(tr)
    return (str(st.get("startTime") or m.get("creationTimestamp") or ""), str(m.get("name")))
