"""The observer: list/watch loops feeding a cache, one worker sending events.

Threads:

- one watch loop per (namespace, PipelineRuns|TaskRuns): list once, then watch
  from the list's resourceVersion, resume from the last one seen (events and
  bookmarks) whenever the server ends the watch, relist on ``410 Gone``;
- one worker: takes a group (a PipelineRun with its TaskRuns, or a lone
  TaskRun) off the queue and sends what it owes, in order, one event at a
  time; every ``BENCHGEN_RESYNC_PERIOD`` it re-reads Tekton's sink and queues
  every group again (what a failed delivery left unsent goes out then);
- with ``BENCHGEN_COMMIT_STATUS``, the commit status reporters
  (``commit_status.Reporter``): the watches hand them every PipelineRun, they
  send each state change to GitHub/GitLab, retrying on their own;
- the probes' server (``/healthz``, ``/readyz``, ``/metrics``; ``bounded_http.ProbeServer``:
  its own thread and event loop, a few connections, a deadline per request).

One worker is what makes "never repeated by one running observer" simple:
an acknowledged key goes into ``_acked`` (memory) before the annotation is
patched, and nothing else sends.
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from generator.contract import env as var
from generator.contract import observe
from generator.contract.observe import ObserveConfig
from generator.runtime import kube
from generator.runtime.clock import StoppableClock, Stopped
from generator.runtime.errors import EXIT_OK, InputError
from generator.runtime.metrics import Exposition, GateMetrics, ObserverMetrics
from generator.runtime.observe.commit_status import WORKERS as REPORTERS
from generator.runtime.observe.commit_status import Reporter
from generator.runtime.observe.delivery import Deliverer, DeliveryError
from generator.runtime.observe.events import (
    ANNOTATION,
    PIPELINE_RUN,
    TASK_RUN,
    Due,
    annotation_value,
    group_of,
    is_done,
    merge_keys,
    meta,
    run_finished,
    run_started,
    sent_keys,
    steps_due,
    taskrun_order,
)
from generator.runtime.observe.gate import Gate
from generator.runtime.observe.logtail import build_tail, read_window
from generator.runtime.retry import deadline_retrying

if TYPE_CHECKING:
    from tenacity import Retrying

Obj = dict[str, Any]
Group = tuple[str, str, str]  # (PIPELINE_RUN|TASK_RUN, namespace, name)

PLURALS = {PIPELINE_RUN: kube.PIPELINE_RUNS, TASK_RUN: kube.TASK_RUNS}
# Tekton Pipelines v1.15: pkg/apis/config/events.go GetEventsConfigName() and sinkKey.
TEKTON_EVENTS_CONFIG_MAP = "config-events"
TEKTON_EVENTS_SINK_KEY = "sink"
# The server ends each watch after this long (spread so loops do not reconnect
# in step); the loop resumes from the last resourceVersion.
WATCH_TIMEOUT = (240, 300)
# A PipelineRun's end waits this long for its TaskRuns' ends to arrive on the
# other watch (Tekton finishes TaskRuns first), so run.succeeded comes last.
FINISH_GRACE = 30.0
MAX_BACKOFF = 30.0
PATCH_ATTEMPTS = 5
# Sending waits while a record is pending, so retry the patch sooner than watches.
RECORD_MAX_BACKOFF = 10.0


def log(message: str) -> None:
    print(f"observe: {message}", flush=True)


class _Queue:
    """Groups waiting for the worker: FIFO among those due, each at most once."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._due: dict[Group, float] = {}

    def put(self, group: Group, at: float = 0.0) -> None:
        with self._cv:
            current = self._due.get(group)
            if current is None or at < current:
                self._due[group] = at
                self._cv.notify()

    def get(self, timeout: float) -> Group | None:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                now = time.monotonic()
                for group, at in self._due.items():  # insertion order: FIFO
                    if at <= now:
                        del self._due[group]
                        return group
                wake = min([deadline, *self._due.values()])
                if now >= deadline:
                    return None
                self._cv.wait(max(0.01, wake - now))


class Observer:
    """The controller; ``run()`` returns when ``stop`` is set."""

    def __init__(self, cfg: ObserveConfig, api: kube.ApiClient, stop: threading.Event) -> None:
        self.cfg = cfg
        self.api = api
        self.stop = stop
        self.clock = StoppableClock(stop)
        self.deliverer = Deliverer(cfg.source, cfg.delivery_timeout, stop)
        self.sink_url = cfg.sink_url
        self.exposition = Exposition()  # GET /metrics on the probes' port
        self.metrics = ObserverMetrics(self.exposition)
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], Obj] = {}
        self._acked: dict[str, list[str]] = {}  # uid -> keys the sink acknowledged
        self._finish_seen: dict[str, float] = {}  # PipelineRun uid -> first seen done
        self._queue = _Queue()
        # (kind, namespace) -> the last resourceVersion seen: where a watch resumes.
        self._versions: dict[tuple[str, str], str] = {}
        # (kind, namespace, name, uid) acknowledged by the sink, annotation not yet patched.
        self._unrecorded: set[tuple[str, str, str, str]] = set()
        self._record_backoff = 1.0
        self._threads: list[threading.Thread] = []
        # The concurrency gate has its own thread: a slow or failing sink, which
        # can hold the worker for BENCHGEN_DELIVERY_TIMEOUT per event, never
        # delays a release.
        self.gate: Gate | None = None
        if cfg.concurrency_limit is not None:
            self.gate = Gate(
                api, cfg.concurrency_limit, cfg.concurrency_key, self._pipeline_runs, log,
                metrics=GateMetrics(self.exposition),
                max_pending=cfg.concurrency_max_pending,
                supersede=cfg.concurrency_supersede,
            )  # fmt: skip

        # Commit statuses back to the source: reporter threads of their own, so a
        # slow or failing GitHub/GitLab never delays an event or a release.
        self.reporter: Reporter | None = None
        if cfg.commit_status is not None:
            self.reporter = Reporter(cfg.commit_status, cfg.commit_status_token_file, stop, log)

    # -- start-up -------------------------------------------------------------

    def _retrying(self, what: Callable[[BaseException], str], **kwargs: Any) -> Retrying:
        """Retries until they work (no deadline: a controller waits for its API
        server), 1 s doubling to MAX_BACKOFF, ended by SIGTERM (Stopped)."""
        return deadline_retrying(
            self.clock,
            initial=1.0,
            max_backoff=MAX_BACKOFF,
            announce=lambda _, exc, wait: f"observe: {what(exc)}; retrying in {wait:.0f}s",
            **kwargs,
        )

    def _retry_start(self, what: str, call: Callable[[], Any]) -> Any:
        """``call`` until it works; a refusal is bad configuration (exit 2)."""
        try:
            return self._retrying(lambda exc: f"{what}: {exc}")(call)
        except kube.KubeError as exc:
            raise InputError(f"{what}: {exc}") from exc

    def _read_tekton_sink(self) -> str | None:
        ns = self.cfg.tekton_namespace
        return kube.read_config_map_value(
            self.api, ns, TEKTON_EVENTS_CONFIG_MAP, TEKTON_EVENTS_SINK_KEY
        )

    def _refresh_sink(self) -> None:
        if self.cfg.sink_url is not None:
            return
        try:
            url = self._read_tekton_sink()
        except kube.KubeError as exc:
            log(f"cannot re-read the Tekton sink ({exc}); keeping {self.sink_url}")
            return
        if url != self.sink_url:
            log(f"sink from {self.cfg.tekton_namespace}/{TEKTON_EVENTS_CONFIG_MAP}: {url}")
        self.sink_url = url

    def run(self) -> None:
        if self.cfg.sink_url is None:
            where = f"ConfigMap {self.cfg.tekton_namespace}/{TEKTON_EVENTS_CONFIG_MAP}"
            self.sink_url = self._retry_start(where, self._read_tekton_sink)
            if self.sink_url is None:
                log(f"{where} has no '{TEKTON_EVENTS_SINK_KEY}': events wait until it does")
            else:
                log(f"sink from {where}: {self.sink_url}")
        for ns in self.cfg.namespaces:
            for kind in (PIPELINE_RUN, TASK_RUN):
                self._versions[(kind, ns)] = self._retry_start(
                    f"list {PLURALS[kind]} in {ns} ({self.cfg.selector})",
                    lambda k=kind, n=ns: self._relist(k, n),  # type: ignore[misc]
                )
        self.ready.set()
        log(f"watching {', '.join(self.cfg.namespaces)} ({self.cfg.selector})")
        for kind, ns in list(self._versions):
            self._spawn(f"watch-{PLURALS[kind]}-{ns}", self._watch_loop, kind, ns)
        worker = self._spawn("worker", self._work)
        if self.gate is not None:  # after the first lists: it decides from the whole picture
            self._spawn("gate", self.gate.loop, self.clock, self.cfg.resync)
        if self.reporter is not None:
            for i in range(REPORTERS):
                self._spawn(f"commit-status-{i}", self.reporter.loop)
        self.stop.wait()
        # SIGTERM: the worker ends after the event in flight (sent and recorded).
        worker.join(timeout=self.cfg.delivery_timeout + 60)

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def alive(self) -> bool:
        return all(t.is_alive() for t in self._threads)

    # -- cache ------------------------------------------------------------------

    def _relist(self, kind: str, ns: str) -> str:
        """Replace the cache's view of (kind, ns) with a fresh list; its resourceVersion."""
        items, rv = kube.list_runs(self.api, PLURALS[kind], ns, self.cfg.selector)
        fresh = {str(meta(o).get("name")): o for o in items}
        groups: list[Group] = []
        with self._lock:
            for key in [k for k in self._cache if k[0] == kind and k[1] == ns]:
                if key[2] not in fresh:  # deleted while we were not watching
                    gone = self._cache.pop(key)
                    self._forget(str(meta(gone).get("uid")))
                    groups.append(group_of(kind, gone))
            for name, obj in fresh.items():
                obj.setdefault("kind", kind)
                self._count(kind, self._cache.get((kind, ns, name)), obj)
                self._cache[(kind, ns, name)] = obj
                groups.append(group_of(kind, obj))
        if self.gate is not None and kind == PIPELINE_RUN:
            for obj in sorted(fresh.values(), key=_created):  # a list comes in name order
                self.gate.notice(obj)
        if self.reporter is not None and kind == PIPELINE_RUN:
            for obj in fresh.values():
                self.reporter.notice(obj)
        for group in sorted(set(groups), key=groups.index):
            self._queue.put(group)
        return rv

    def _forget(self, uid: str) -> None:
        self._acked.pop(uid, None)
        self._finish_seen.pop(uid, None)
        if self.gate is not None:
            self.gate.forget(uid)
        if self.reporter is not None:
            self.reporter.forget(uid)

    def _count(self, kind: str, before: Obj | None, after: Obj) -> None:
        """Metrics of a change the cache is about to take (``before`` None: first seen)."""
        if kind == PIPELINE_RUN:
            self.metrics.run_changed(before, after)
        else:
            self.metrics.taskrun_changed(before, after)

    def _pipeline_runs(self) -> list[Obj]:
        with self._lock:
            return [o for k, o in self._cache.items() if k[0] == PIPELINE_RUN]

    def _apply(self, kind: str, event: str, obj: Obj) -> None:
        m = meta(obj)
        key = (kind, str(m.get("namespace")), str(m.get("name")))
        with self._lock:
            if event == "DELETED":
                self._cache.pop(key, None)
                self._forget(str(m.get("uid")))
            else:
                self._count(kind, self._cache.get(key), obj)
                self._cache[key] = obj
                if self.gate is not None and kind == PIPELINE_RUN:
                    self.gate.notice(obj)  # in watch order: creations in storage order
        if self.reporter is not None and kind == PIPELINE_RUN and event != "DELETED":
            self.reporter.notice(obj)  # queues a report when the run's state changed
        self._queue.put(group_of(kind, obj))

    def _watch_loop(self, kind: str, ns: str) -> None:
        """Watch until SIGTERM; any API error is retried (a long-running watch
        outlives RBAC and API server restarts)."""
        plural = PLURALS[kind]
        retrying = self._retrying(
            lambda exc: f"watch {plural} in {ns}: {exc}", retry_on=kube.KubeError
        )
        with contextlib.suppress(Stopped):
            while not self.stop.is_set():
                retrying(self._watch, kind, ns)

    def _watch(self, kind: str, ns: str) -> None:
        """One watch from the last resourceVersion seen (events and bookmarks) until
        the server ends it; on 410 Gone, relist."""
        plural = PLURALS[kind]
        timeout = random.randint(*WATCH_TIMEOUT)  # noqa: S311 - spreading, not security
        try:
            events = kube.watch_runs(
                self.api, plural, ns, self.cfg.selector, self._versions[(kind, ns)], timeout
            )
            for event, obj in events:
                self._versions[(kind, ns)] = str(
                    meta(obj).get("resourceVersion") or self._versions[(kind, ns)]
                )
                if event != "BOOKMARK":
                    self._apply(kind, event, obj)
        except kube.Gone as exc:
            log(f"watch {plural} in {ns}: 410 Gone ({exc.message}); relisting")
            self._versions[(kind, ns)] = rv = self._relist(kind, ns)
            log(f"relisted {plural} in {ns} at resourceVersion {rv}")

    # -- worker ---------------------------------------------------------------------

    def _work(self) -> None:
        next_resync = time.monotonic() + self.cfg.resync
        while not self.stop.is_set():
            if time.monotonic() >= next_resync:
                next_resync = time.monotonic() + self.cfg.resync
                self._refresh_sink()
                with self._lock:
                    groups = [group_of(k[0], o) for k, o in self._cache.items()]
                for group in groups:
                    self._queue.put(group)
            next_group = self._queue.get(timeout=min(1.0, self.cfg.resync))
            if next_group is None:
                continue
            group = next_group
            try:
                self._reconcile(group)
            except Stopped:
                return
            except Exception:  # never let one bad object stop the observer
                log(f"reconcile {group}: unexpected error\n{traceback.format_exc()}")
                self._queue.put(group, time.monotonic() + 5.0)

    def _sent(self, obj: Obj) -> set[str]:
        return set(sent_keys(obj)) | set(self._acked.get(str(meta(obj).get("uid")), []))

    def _flush_unrecorded(self) -> bool:
        """Record what was acknowledged but not yet written to its object; True
        when nothing is left. Sending waits for this, so a crash can only ever
        repeat the one event between a 2xx and its patch."""
        for ref in list(self._unrecorded):
            kind, ns, name, uid = ref
            with self._lock:
                obj = self._cache.get((kind, ns, name))
            if obj is None or str(meta(obj).get("uid")) != uid or self._record(kind, obj):
                self._unrecorded.discard(ref)
        return not self._unrecorded

    def _reconcile(self, group: Group) -> None:
        if not self._flush_unrecorded():
            self._queue.put(group, time.monotonic() + self._record_backoff)
            self._record_backoff = min(self._record_backoff * 2, RECORD_MAX_BACKOFF)
            return
        self._record_backoff = 1.0
        kind, ns, name = group
        with self._lock:
            if kind == PIPELINE_RUN:
                pr = self._cache.get((PIPELINE_RUN, ns, name))
                trs = [
                    o
                    for (k, n, _), o in self._cache.items()
                    if k == TASK_RUN and n == ns and group_of(TASK_RUN, o) == group
                ]
            else:
                pr = None
                tr = self._cache.get((TASK_RUN, ns, name))
                trs = [tr] if tr else []
        trs.sort(key=taskrun_order)
        due: list[Due] = []
        if pr is not None:
            started = run_started(pr, self._sent(pr))
            due += [started] if started else []
        for tr in trs:
            due += steps_due(tr, self._sent(tr))
        for item in due:
            if not self._deliver(item):
                return  # keep the order: nothing later goes before this one
        if pr is None:
            return
        finished = run_finished(pr, self._sent(pr))
        if finished is None:
            return
        waiting = [str(meta(t).get("name")) for t in trs if not is_done(t)]
        if waiting:
            first = self._finish_seen.setdefault(finished.uid, time.monotonic())
            if time.monotonic() - first < FINISH_GRACE:
                self._queue.put(group, first + FINISH_GRACE)
                return
            log(f"{name} ended but TaskRuns {waiting} did not within {FINISH_GRACE:.0f}s")
        self._deliver(finished)

    def _with_log(self, due: Due) -> Due:
        if due.log is None or self.cfg.log_tail_bytes == 0:
            return due
        cap = self.cfg.log_tail_bytes
        src = due.log
        data = dict(due.data)
        try:
            raw, complete = kube.read_log_end(
                self.api, src.namespace, src.pod, src.container, window=read_window(cap),
                tail_lines=cap,  # every line has at least its newline: enough lines for cap bytes
            )  # fmt: skip
            data["log"], data["logTruncated"] = build_tail(raw, cap, complete=complete)
        except kube.KubeError as exc:
            # The event still goes (the pod may be gone); say why there is no log.
            data["logError"] = exc.message[:300] or str(exc)
            log(f"log of {src.pod}/{src.container}: {exc}")
        return Due(**{**due.__dict__, "data": data})

    def _deliver(self, due: Due) -> bool:
        """Send ``due`` and record it; False when it stays unsent for now."""
        if self.stop.is_set():
            raise Stopped
        if not self.sink_url:
            log(f"{due.id}: no sink configured; left for the next resync")
            return False
        try:
            attempts = self.deliverer.send(self.sink_url, self._with_log(due))
        except DeliveryError as exc:
            self.metrics.not_delivered(due.type)
            log(f"{due.type} {due.id} not delivered ({exc}); left for the next change or resync")
            return False
        self.metrics.delivered(due.type, attempts)
        self._acked.setdefault(due.uid, []).append(due.key)
        log(f"sent {due.type} {due.subject} id={due.id} attempts={attempts}")
        with self._lock:
            obj = self._cache.get((due.kind, due.namespace, due.name))
        if (
            obj is not None
            and str(meta(obj).get("uid")) == due.uid
            and not self._record(due.kind, obj)
        ):
            self._unrecorded.add((due.kind, due.namespace, due.name, due.uid))
            self._queue.put(group_of(due.kind, obj), time.monotonic() + self._record_backoff)
            return False  # nothing more goes out until it is recorded
        return True

    def _record(self, kind: str, obj: Obj) -> bool:
        """Patch the annotation to hold every acknowledged key (optimistic
        concurrency: on 409 read the object again and merge)."""
        m = meta(obj)
        ns, name, uid = str(m.get("namespace")), str(m.get("name")), str(m.get("uid"))
        plural = PLURALS[kind]
        for _ in range(PATCH_ATTEMPTS):
            current = sent_keys(obj)
            merged = merge_keys(current, self._acked.get(uid, []))
            if merged == current:
                return True
            try:
                kube.patch_run_annotation(
                    self.api, plural, ns, name, str(meta(obj).get("resourceVersion")),
                    ANNOTATION, annotation_value(merged),
                )  # fmt: skip
                return True
            except kube.KubeError as exc:
                if exc.status == 404:
                    return True  # deleted: nothing left to record on
                if exc.status != 409:
                    # Refused or unreachable: the worker retries, with backoff.
                    log(f"record {merged} on {plural} {ns}/{name}: {exc}")
                    break
            try:
                obj = kube.get_run(self.api, plural, ns, name)
            except kube.KubeError as exc:
                if exc.status == 404:
                    return True
                log(f"re-read {plural} {ns}/{name}: {exc}")
                continue
            if str(meta(obj).get("uid")) != uid:
                return True  # a new object with the same name: not ours to mark
        # Still in memory, so never resent by this process; retried before any other send.
        log(f"could not record {ANNOTATION} on {plural} {ns}/{name}; will retry")
        return False


def _created(obj: Obj) -> tuple[str, str]:
    m = meta(obj)
    return (str(m.get("creationTimestamp") or ""), str(m.get("name") or ""))


def run_observe(env: Mapping[str, str]) -> int:
    """Runs until SIGTERM/SIGINT, then exits 0."""
    cfg = observe.decode(env)
    api = kube.api_client()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    observer = Observer(cfg, api, stop)
    # The kubelet's port: its own thread, loop and few connections, bounded like
    # every listener of the runtime (bounded_http.py); nothing else listens.
    from generator.runtime.bounded_http import ProbeServer

    probes = ProbeServer(
        cfg.health_port,
        {
            "/healthz": observer.alive,
            "/readyz": lambda: observer.ready.is_set() and observer.alive(),
        },
        observer.exposition.render,
    )
    try:
        probes.start()
    except OSError as exc:
        raise InputError(f"{var.HEALTH_PORT} {cfg.health_port}: {exc.strerror}") from exc
    try:
        observer.run()
    except Stopped:
        pass
    finally:
        probes.stop()
    log("stopped")
    return EXIT_OK
