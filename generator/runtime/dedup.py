"""The event-key interceptor's dedup record (``generator.contract.deliveries``).

A run is named ``<runPrefix><key>``, so while it exists the API server refuses a
redelivery's copy. This module keeps the key once the run is gone: the record,
ConfigMap ``BENCHGEN_DEDUP_CONFIGMAP``, which the interceptor reads (``seen``)
before letting an event through and writes (``confirm``) only once the run an
event names exists, so an event whose run was never created (a later check or
the API server refused it, the listener died) is not recorded and its
redelivery still starts it.

The remaining window: a key is recorded by the replica that let the event
through, polling for the run for ``CONFIRM_WINDOW``; if that replica stops
first (SIGTERM, a crash), or the run is deleted before the poll sees it, the
key is not recorded, and a redelivery after the run is gone starts a second
run. A record that cannot be read lets the event through (logged): the run's
name still refuses a copy while the run exists.

Kubernetes calls are blocking (the ``kubernetes`` client); they run in worker
threads. RBAC: ``get`` on PipelineRuns; ``get``, ``patch`` on the one ConfigMap.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from generator.contract import deliveries
from generator.runtime import kube
from generator.runtime.bounded_http import log
from generator.runtime.clock import Clock
from generator.runtime.retry import deadline_retrying, retrying_in

CACHE_SECONDS = 10.0  # a key recorded this recently has a run that exists: the name refuses
CONFIRM_WINDOW = 120.0  # Triggers creates the run right after the chain; give a slow API room
CONFIRM_INTERVAL = 3.0
MAX_PENDING = 1000  # confirmations in flight; past it a key goes unrecorded (logged)
MAX_CONFLICTS = 8  # both replicas write: re-read and merge on a 409


@dataclass(frozen=True)
class RecordConfig:
    config_map: str
    namespace: str
    run_prefix: str
    confirm_window: float = CONFIRM_WINDOW
    confirm_interval: float = CONFIRM_INTERVAL
    cache_seconds: float = CACHE_SECONDS


class Record:
    """The record as this replica knows it: a cached read, and writes that merge."""

    def __init__(self, config: RecordConfig, api: kube.ApiClient, clock: Clock) -> None:
        self.config = config
        self.api = api
        self.clock = clock
        self._keys: dict[str, int] = {}
        self._read_at = -math.inf
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._write_lock = threading.Lock()

    # --- reading ----------------------------------------------------------------

    def _read(self) -> None:
        data, _ = kube.read_config_map(self.api, self.config.namespace, self.config.config_map)
        self._keys = deliveries.parse(data.get(deliveries.RECORD_KEY))
        self._read_at = time.monotonic()

    async def seen(self, key: str) -> int | None:
        """When ``key``'s run was first seen (unix seconds), if the record holds it."""
        if key not in self._keys and time.monotonic() - self._read_at > self.config.cache_seconds:
            try:
                await asyncio.to_thread(self._read)
            except kube.KubeError as exc:
                log(f"dedup record {self.config.config_map} unreadable ({exc}): not checked")
                return None
        seen = self._keys.get(key)
        if seen is None or time.time() - seen > deliveries.MAX_AGE:
            return None
        return seen

    # --- writing ----------------------------------------------------------------

    def confirm(self, key: str) -> None:
        """Record ``key`` once its run exists (in the background)."""
        if key in self._pending:
            return
        if len(self._pending) >= MAX_PENDING:
            log(f"dedup: {MAX_PENDING} keys awaiting their runs; {key} not recorded")
            return
        self._pending.add(key)
        task = asyncio.create_task(self._confirm(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _confirm(self, key: str) -> None:
        run = self.config.run_prefix + key
        try:
            if not await self._run_appears(run):
                log(
                    f"dedup: run {run} did not appear within {self.config.confirm_window:.0f} s;"
                    f" {key} not recorded (a redelivery may start it)"
                )
                return
            await asyncio.to_thread(self._write, key, int(time.time()))
            log(f"dedup: recorded {key} (run {run})")
        except kube.KubeError as exc:
            log(f"dedup: {key} not recorded: {exc}")
        finally:
            self._pending.discard(key)

    async def _run_appears(self, run: str) -> bool:
        deadline = time.monotonic() + self.config.confirm_window
        while True:
            try:
                await asyncio.to_thread(
                    kube.get_run, self.api, kube.PIPELINE_RUNS, self.config.namespace, run
                )
                return True
            except kube.NotFound:
                pass
            except kube.Unavailable as exc:
                log(f"dedup: looking for run {run}: {exc}")
            if time.monotonic() + self.config.confirm_interval > deadline:
                return False
            await asyncio.sleep(self.config.confirm_interval)

    def _write(self, key: str, seen: int) -> None:
        """Add ``key`` with optimistic concurrency: patch with the resourceVersion read;
        on a 409 read again and merge (the other replica wrote meanwhile)."""
        retrying = deadline_retrying(
            self.clock,
            initial=1.0,
            max_backoff=8.0,
            attempts=5,
            retry_on=kube.Unavailable,
            announce=retrying_in(lambda _, exc: f"dedup record: {exc}"),
        )

        def merged(data: dict[str, str]) -> dict[str, str] | None:
            text = deliveries.with_keys(data.get(deliveries.RECORD_KEY), {key: seen}, seen)
            return None if text is None else {deliveries.RECORD_KEY: text}

        with self._write_lock:
            written = kube.update_config_map(
                self.api,
                self.config.namespace,
                self.config.config_map,
                merged,
                retrying=retrying,
                max_conflicts=MAX_CONFLICTS,
                field_manager="benchgen-event-key",
            )
            if written is not None:
                self._keys = deliveries.parse(written[deliveries.RECORD_KEY])
                self._read_at = time.monotonic()

    def abandon(self) -> None:
        """At SIGTERM: say which keys go unrecorded (the documented window)."""
        if self._pending:
            log(f"dedup: stopping; not recorded: {' '.join(sorted(self._pending))}")
        for task in self._tasks:
            task.cancel()

    async def drain(self) -> None:
        """Wait for the confirmations in flight (tests; SIGTERM does not wait)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def when(seen: int) -> str:
    return datetime.fromtimestamp(seen, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
