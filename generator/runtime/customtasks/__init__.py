"""``benchgen-poller custom-tasks``: the controller of ``spec.poll.mode: controller``.

It reconciles the CustomRuns Tekton creates for the Pipeline's ``Submit`` and
``Wait`` custom tasks (``benchgen.dev/v1alpha1``), so no pod waits for a batch.

| module | holds |
|---|---|
| ``reconcile.py`` | the per-run steps and the schedule (no Kubernetes, no threads of its own) |
| ``__init__.py`` | env, the list/watch loop, the worker pool, probes, SIGTERM |

Threads: the informer (list, then watch from the list's resourceVersion; relist
on 410 Gone and every resync period), the scheduler (starts each run when it is
due), ``BENCHGEN_MAX_REQUESTS`` workers (so at most that many requests are in
flight to the orchestrator), and the probes. One replica (the Deployment's
strategy is ``Recreate``): every status write is conditional on the
resourceVersion it was decided on, and a submit always looks for its batch
first, so even an overlap while a node is lost cannot write twice or submit
twice for the same attempt.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from generator.contract import env as var
from generator.contract import request
from generator.contract.commands import CUSTOM_TASKS
from generator.runtime import env as env_reader
from generator.runtime import kube
from generator.runtime.args import env_help
from generator.runtime.clock import Clock, StoppableClock, Stopped
from generator.runtime.errors import EXIT_OK, InputError
from generator.runtime.orchestrator import from_env
from generator.runtime.retry import deadline_retrying

DESCRIPTION = (
    "Reconcile the benchgen.dev/v1alpha1 Submit and Wait CustomRuns of one namespace"
    f" (no pod per batch). {env_help(CUSTOM_TASKS)}. Exit 2 on bad configuration,"
    " 0 after SIGTERM."
)
WATCH_TIMEOUT = (240, 300)
RESYNC = 300.0


def log(message: str) -> None:
    print(f"custom-tasks: {message}", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env."""


class _Store:
    def __init__(self, api: kube.ApiClient, namespace: str) -> None:
        self.api, self.namespace = api, namespace

    def patch_status(self, name: str, resource_version: str, status: dict[str, Any]) -> Any:
        return kube.patch_custom_run_status(
            self.api, self.namespace, name, resource_version, status
        )


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    from generator.runtime.customtasks.reconcile import Reconciler

    problems: list[str] = []
    namespace = env.get(var.NAMESPACE, "").strip()
    selector = env.get(var.SELECTOR, "").strip()
    for name, value in ((var.NAMESPACE, namespace), (var.SELECTOR, selector)):
        if not value:
            problems.append(f"{name} is required")
    workers = env_reader.number(env, CUSTOM_TASKS, var.MAX_REQUESTS, problems, high=256)
    health = env_reader.number(
        env, CUSTOM_TASKS, var.HEALTH_PORT, problems, high=65535, what="a port number"
    )
    if problems:
        raise InputError("; ".join(problems))
    orchestrator = from_env(env)
    url = orchestrator.url
    fields = request.decode(env.get(var.REQUEST_SPEC))

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    api = kube.api_client(pool_size=workers + 2)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="step")
    from generator.runtime.metrics import CustomTaskMetrics, Exposition

    exposition = Exposition()  # GET /metrics on the probes' port
    reconciler = Reconciler(
        store=_Store(api, namespace),
        api=orchestrator,
        fields=fields,
        clock=clock,
        wall=time.time,
        log=log,
        dispatch=pool.submit,
        metrics=CustomTaskMetrics(exposition),
    )
    informer = _Informer(api, namespace, selector, reconciler, stop)
    threads = [
        threading.Thread(target=informer.loop, name="informer", daemon=True),
        threading.Thread(
            target=reconciler.run_forever, args=(stop,), name="scheduler", daemon=True
        ),
    ]
    from generator.runtime.bounded_http import ProbeServer

    probes = ProbeServer(
        health,
        {
            "/healthz": lambda: all(t.is_alive() for t in threads),
            "/readyz": informer.ready.is_set,
        },
        exposition.render,
    ).start()
    for thread in threads:
        thread.start()
    log(f"reconciling CustomRuns in {namespace} ({selector}) to {url}, {workers} at a time")
    stop.wait()
    log("stopping: steps in flight finish first")
    pool.shutdown(wait=True, cancel_futures=True)
    probes.stop()
    return EXIT_OK


class _Informer:
    """List, then watch from the list's resourceVersion and resume from the last one
    seen; relist on 410 Gone and every RESYNC seconds (a missed event is caught
    there). Any API error is retried: a controller outlives API server restarts."""

    def __init__(
        self, api: kube.ApiClient, namespace: str, selector: str, reconciler: Any, stop: Any
    ) -> None:
        self.api, self.namespace, self.selector = api, namespace, selector
        self.reconciler, self.stop = reconciler, stop
        self.clock = StoppableClock(stop)
        self.ready = threading.Event()
        self.version = ""
        self._next_resync = 0.0

    def _relist(self) -> None:
        items, self.version = kube.list_runs(
            self.api, kube.CUSTOM_RUNS, self.namespace, self.selector
        )
        for obj in items:
            self.reconciler.observe(obj)
        self.ready.set()

    def _watch(self) -> None:
        if not self.version or time.monotonic() >= self._next_resync:
            self._relist()
            self._next_resync = time.monotonic() + RESYNC
        spread = random.randint(*WATCH_TIMEOUT)  # noqa: S311 - spreading, not security
        timeout = min(spread, int(max(self._next_resync - time.monotonic(), 1)))
        try:
            for event, obj in kube.watch_runs(
                self.api, kube.CUSTOM_RUNS, self.namespace, self.selector, self.version, timeout
            ):
                self.version = str(
                    (obj.get("metadata") or {}).get("resourceVersion") or self.version
                )
                if event == "DELETED":
                    self.reconciler.forget(obj)
                elif event != "BOOKMARK":
                    self.reconciler.observe(obj)
        except kube.Gone as exc:
            log(f"watch customruns: 410 Gone ({exc.message}); relisting")
            self.version = ""

    def loop(self) -> None:
        retrying = deadline_retrying(
            self.clock,
            initial=1.0,
            max_backoff=30.0,
            announce=lambda _, exc, wait: (
                f"custom-tasks: list/watch customruns: {exc}; retrying in {wait:.0f}s"
            ),
            retry_on=kube.KubeError,
        )
        with contextlib.suppress(Stopped):
            while not self.stop.is_set():
                retrying(self._watch)
