"""``benchgen-poller record-refusals``: the webhook listener's checkpoints, recording
each event it refused, and why, so that ``benchgen replay`` can send it again
(generator.contract.refusals; docs/runtime-interface.md).

Tekton Triggers says nothing usable when a check refuses an event (an
interceptor's ``continue: false`` is a debug log line holding every header), so
the generator calls this interceptor before each check of every webhook
trigger and once after the last, each call with interceptor params
``position``, ``check`` (the check that comes next; ``""`` after the last),
``reason``, and ``answered`` before a check that stops events on purpose (a
probe: an event stopped there is not recorded). It always answers
``{"continue": true}``: it refuses nothing.

Per event (``context.event_id``, Triggers' own id) it keeps, in memory, the body
and the kept headers of the first call and the furthest checkpoint reached in
any trigger. ``SETTLE`` seconds after the first call the event is settled:

- no trigger reached the last checkpoint: *refused* by the check after the
  furthest checkpoint;
- one did, but no PipelineRun labelled ``triggers.tekton.dev/triggers-eventid``
  with the event's id exists: *failed* (Triggers could not create the run: a
  duplicate name, a quota, RBAC; the listener's log says which);
- otherwise nothing is recorded.

Settled records are appended to ConfigMap ``BENCHGEN_REFUSALS_CONFIGMAP`` with a
merge patch carrying the resourceVersion read (a 409 re-reads and merges),
bounded as the contract says. One replica: every checkpoint of an event must
reach the same memory. An event in flight when the pod stops is not recorded.
RBAC: ``get``, ``patch`` on the one ConfigMap; ``list`` on PipelineRuns.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from generator.contract import env as var
from generator.contract import refusals
from generator.contract.commands import RECORD_REFUSALS
from generator.runtime import kube
from generator.runtime.args import env_help
from generator.runtime.bounded_http import (
    BodyListener,
    Service,
    json_response,
    log,
    read_body,
    serve_until_stopped,
)
from generator.runtime.clock import Clock
from generator.runtime.env import number, ports
from generator.runtime.errors import InputError
from generator.runtime.retry import deadline_retrying, retrying_in

MAX_CONNECTIONS = 32
REQUEST_DEADLINE = 10.0
SETTLE = 30.0  # seconds from an event's first checkpoint to its verdict; its chain takes ms
FLUSH_INTERVAL = 2.0
MAX_PENDING = 256  # events in memory (each body at most MAX_BODY_BYTES: 16 MiB at worst)
MAX_CONFLICTS = 8
EVENT_ID_LABEL = "triggers.tekton.dev/triggers-eventid"  # Triggers labels what it creates
CONTINUE = {"continue": True}


@dataclass(frozen=True)
class RecorderConfig:
    port: int
    health_port: int
    max_request_bytes: int
    namespace: str
    config_map: str
    headers: tuple[str, ...]
    max_records: int
    settle: float = SETTLE
    flush_interval: float = FLUSH_INTERVAL


def load_config(env: Mapping[str, str]) -> RecorderConfig:
    """The BENCHGEN_* env of ``record-refusals``; InputError (exit 2) with every problem."""
    problems: list[str] = []
    port, health_port = ports(env, RECORD_REFUSALS, problems)
    max_bytes = number(
        env, RECORD_REFUSALS, var.MAX_REQUEST_BYTES, problems, low=1024, high=64 * 1024 * 1024
    )
    max_records = number(
        env, RECORD_REFUSALS, var.REFUSALS_MAX, problems, high=refusals.MAX_RECORDS_LIMIT
    )
    required = {}
    for name in (var.NAMESPACE, var.REFUSALS_CONFIGMAP):
        required[name] = env.get(name, "").strip()
        if not required[name]:
            problems.append(f"{name} is not set")
    raw = env.get(var.REFUSALS_HEADERS, "").strip() or RECORD_REFUSALS.default(var.REFUSALS_HEADERS)
    headers = tuple(h.strip() for h in raw.split(",") if h.strip())
    secret = sorted(h for h in headers if h.lower() in refusals.SECRET_HEADERS)
    if secret:
        problems.append(f"{var.REFUSALS_HEADERS} names secret headers: {', '.join(secret)}")
    if problems:
        raise InputError("; ".join(problems))
    return RecorderConfig(
        port,
        health_port,
        max_bytes,
        required[var.NAMESPACE],
        required[var.REFUSALS_CONFIGMAP],
        headers,
        max_records,
    )


@dataclass
class _Event:
    first: float  # monotonic
    time: str  # RFC 3339, UTC
    headers: dict[str, str]
    body: str
    furthest: int = -1
    check: str = ""
    reason: str = ""
    answered: bool = False  # the furthest check stops events on purpose (a probe)
    passed: bool = False


@dataclass
class Book:
    """The events in flight (no I/O: the service feeds it, the flusher drains it)."""

    keep: tuple[str, ...]
    settle: float = SETTLE
    events: dict[str, _Event] = field(default_factory=dict)
    dropped: int = 0

    def checkpoint(self, request: Mapping[str, Any], now: float, wall: float) -> str:
        """Note one checkpoint call; a note for the log line. Malformed parts are
        ignored: the interceptor answers continue whatever it is sent."""
        context = request.get("context") if isinstance(request.get("context"), dict) else {}
        ident = context.get("event_id") if isinstance(context, dict) else None
        params = request.get("interceptor_params")
        if not isinstance(ident, str) or not ident or not isinstance(params, dict):
            return "no event id or params: not recorded"
        position, check, reason = (
            params.get(refusals.POSITION_PARAM),
            params.get(refusals.CHECK_PARAM),
            params.get(refusals.REASON_PARAM, ""),
        )
        if not isinstance(position, int) or not isinstance(check, str):
            return "bad checkpoint params: not recorded"
        event = self.events.get(ident)
        if event is None:
            if len(self.events) >= MAX_PENDING:
                self.dropped += 1
                return f"event {ident}: {MAX_PENDING} events in flight, not recorded"
            headers = request.get("header")
            body = request.get("body")
            event = _Event(
                now,
                datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                refusals.kept_headers(headers if isinstance(headers, dict) else {}, self.keep),
                body if isinstance(body, str) else "",
            )
            self.events[ident] = event
        if check == refusals.PASSED:
            event.passed = True
        elif position > event.furthest:
            event.furthest = position
            event.check = check
            event.reason = reason if isinstance(reason, str) else ""
            event.answered = params.get(refusals.ANSWERED_PARAM) is True
        return f"event {ident} at {check or 'the end'}"

    def settled(self, now: float) -> list[tuple[str, _Event]]:
        """The events whose SETTLE is over, removed from the book."""
        done = [(i, e) for i, e in self.events.items() if now - e.first >= self.settle]
        for ident, _ in done:
            del self.events[ident]
        return done


def record_of(ident: str, event: _Event, failed: bool) -> dict[str, Any]:
    if failed:
        check = "create-run"
        reason = (
            "passed every check, but no PipelineRun was created (a duplicate name, a quota,"
            " RBAC: the EventListener's log says which)"
        )
    else:
        check = event.check
        reason = f"refused by {event.check}" + (f": {event.reason}" if event.reason else "")
    return refusals.new_record(ident, event.time, check, reason, event.headers, event.body)


class Recorder:
    """Settles the book and writes the verdicts to the ConfigMap (in worker threads)."""

    def __init__(self, config: RecorderConfig, api: kube.ApiClient, clock: Clock) -> None:
        self.config, self.api, self.clock = config, api, clock
        self.book = Book(config.headers, config.settle)
        self._lock = threading.Lock()

    async def flush(self, now: float) -> list[dict[str, Any]]:
        """Settle what is due; the records written (logged, never raised, on failure)."""
        records = []
        for ident, event in self.book.settled(now):
            if event.answered and not event.passed:
                continue  # a probe, answered and started nothing on purpose
            if not event.passed:
                records.append(record_of(ident, event, failed=False))
            elif not await asyncio.to_thread(self._run_exists, ident):
                records.append(record_of(ident, event, failed=True))
        if records:
            try:
                await asyncio.to_thread(self._write, records)
            except kube.KubeError as exc:
                ids = " ".join(r["id"] for r in records)
                log(f"refusals: not recorded ({exc}): {ids}")
                return []
            for r in records:
                log(f"refusals: recorded {r['id']} ({r['eventType'] or '-'}): {r['reason']}")
        return records

    def _retrying(self) -> Any:
        return deadline_retrying(
            self.clock,
            initial=1.0,
            max_backoff=8.0,
            attempts=5,
            retry_on=kube.Unavailable,
            announce=retrying_in(lambda _, exc: f"refusals: {exc}"),
        )

    def _run_exists(self, ident: str) -> bool:
        """Whether Triggers created a run for event ``ident`` (True when unknowable:
        a record must never claim a failure it did not see)."""
        try:
            runs, _ = self._retrying()(
                kube.list_runs,
                self.api,
                kube.PIPELINE_RUNS,
                self.config.namespace,
                f"{EVENT_ID_LABEL}={ident}",
            )
        except kube.KubeError as exc:
            log(f"refusals: cannot tell whether event {ident} started a run ({exc})")
            return True
        return bool(runs)

    def _write(self, records: list[dict[str, Any]]) -> None:
        """Append with optimistic concurrency: patch with the resourceVersion read; on a
        409 (someone edited the ConfigMap meanwhile) read again and merge."""

        def appended(data: dict[str, str]) -> dict[str, str]:
            text = refusals.with_records(
                data.get(refusals.RECORD_KEY), records, self.config.max_records
            )
            return {refusals.RECORD_KEY: text}

        with self._lock:
            kube.update_config_map(
                self.api,
                self.config.namespace,
                self.config.config_map,
                appended,
                retrying=self._retrying(),
                max_conflicts=MAX_CONFLICTS,
                field_manager="benchgen-record-refusals",
            )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.flush_interval)
            await self.flush(time.monotonic())
        if self.book.events:
            log(f"refusals: stopping; not settled: {' '.join(sorted(self.book.events))}")


class _Checkpoints(Service):
    name = RECORD_REFUSALS.name

    def __init__(self, config: RecorderConfig, book: Book) -> None:
        super().__init__()
        self.config, self.book = config, book

    async def route(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        if request.method != "POST":
            return json_response(405, {"error": "POST only"}, {"Allow": "POST"}), ""
        if request.rel_url.path != "/":
            return json_response(404, {"error": "not found"}), ""
        limit = self.config.max_request_bytes
        body = await read_body(request, limit)  # within BodyListener's deadline
        if body is None:
            # Still continue: a checkpoint never refuses what the checks would pass.
            return json_response(200, CONTINUE), f"over {limit} bytes: not recorded"
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):
            return json_response(400, {"error": "not an InterceptorRequest: not JSON"}), ""
        if not isinstance(decoded, dict):
            return json_response(400, {"error": "not an InterceptorRequest"}), ""
        note = self.book.checkpoint(decoded, time.monotonic(), time.time())
        return json_response(200, CONTINUE), note


DESCRIPTION = (
    "Answer the webhook EventListener's checkpoint InterceptorRequests (POST /) with"
    " continue true, and record in a ConfigMap each event that no trigger let through"
    " (the check that refused it, its body and non-secret headers) or whose run was never"
    f" created, for 'benchgen replay'. {env_help(RECORD_REFUSALS)}. Exit 2 on bad"
    " configuration, 0 after SIGTERM."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env (load_config)."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    config = load_config(env)
    return asyncio.run(serve(config, Recorder(config, kube.api_client(), clock)))


async def serve(
    config: RecorderConfig, recorder: Recorder, stop: asyncio.Event | None = None
) -> int:
    """Serve until ``stop`` is set (SIGTERM/SIGINT set it when it is not given)."""
    banner = f"recording to ConfigMap {config.config_map}, {config.max_records} records at most"
    return await serve_until_stopped(
        _Checkpoints(config, recorder.book),
        config.port,
        config.health_port,
        banner,
        max_connections=MAX_CONNECTIONS,
        deadline=REQUEST_DEADLINE,
        listener=BodyListener,
        background=recorder.run,
        stop=stop,
    )
