"""``benchgen-poller event-key``: a Tekton Triggers interceptor naming CloudEvent runs
(docs/runtime-interface.md, "benchgen-poller event-key").

The CloudEvents listener calls it after its CEL checks, as the namespaced
``Interceptor`` the generator renders: ``POST /`` with an InterceptorRequest
(JSON ``{"body": str, "header": {name: [values]}, "extensions", "interceptor_params",
"context"}``), answered ``200`` with an InterceptorResponse:

- ``Ce-Source`` and ``Ce-Id`` each present once and non-empty:
  ``{"extensions": {"cloudevent_key": <key>}, "continue": true}``, the key of
  ``generator.event_key`` (32 hex digits of SHA-256 of the pair);
- otherwise ``{"continue": false, "status": {"code": 3, "message": ...}}``
  (3 is gRPC's InvalidArgument, as Triggers' own interceptors answer).

Stateless: the same pair always gets the same key, so a redelivered event names
a run that exists and the API server refuses the copy, while the same id from
another source names a run of its own.

A request that is not an InterceptorRequest is a ``400``, one over
``BENCHGEN_MAX_REQUEST_BYTES`` a ``413``, another method ``405``, another path
``404`` (Triggers treats any answer but 200 as a failed interceptor: no run).
The listener is ``bounded_http``'s: bounded request line and headers, a deadline
(``REQUEST_DEADLINE``) from connect to the end of the headers and another for the
body, a connection cap; the kubelet's probes have a port, thread and loop of
their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from generator.event_key import EXTENSION, ID_HEADER, SOURCE_HEADER, event_key
from generator.runtime.bounded_http import Listener, ProbeServer, json_response, start_listener
from generator.runtime.errors import InputError

DEFAULT_PORT = 8080
DEFAULT_HEALTH_PORT = 8081
# An InterceptorRequest carries the event's data as a JSON string: 1 MiB holds
# any event a Kafka-backed Broker delivers by default (1 MB messages).
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
MAX_CONNECTIONS = 32  # with the body cap: well under the container's memory limit
REQUEST_DEADLINE = 10.0  # connect to the end of the headers; and again for the body
SHUTDOWN_GRACE = 5.0
HEARTBEAT = 1.0
STALLED = 10.0
INVALID_ARGUMENT = 3  # google.rpc.Code, as Triggers' interceptors use it
LOG_VALUE_CHARS = 120


@dataclass(frozen=True)
class KeyConfig:
    port: int
    health_port: int
    max_request_bytes: int
    request_deadline: float = REQUEST_DEADLINE


def load_config(env: Mapping[str, str]) -> KeyConfig:
    """The BENCHGEN_* env of ``event-key``; InputError (exit 2) with every problem."""
    problems: list[str] = []
    port = _number(env, "BENCHGEN_PORT", DEFAULT_PORT, 1, 65535, problems)
    health_port = _number(env, "BENCHGEN_HEALTH_PORT", DEFAULT_HEALTH_PORT, 1, 65535, problems)
    if port == health_port:
        problems.append(
            f"BENCHGEN_HEALTH_PORT {health_port} is BENCHGEN_PORT: the probes need a port of"
            " their own"
        )
    max_bytes = _number(
        env,
        "BENCHGEN_MAX_REQUEST_BYTES",
        DEFAULT_MAX_REQUEST_BYTES,
        1024,
        64 * 1024 * 1024,
        problems,
    )
    if problems:
        raise InputError("; ".join(problems))
    return KeyConfig(port, health_port, max_bytes)


def _number(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    problems.append(f"{name} {raw!r} is not a number in {low}..{high}")
    return default


class BadRequest(ValueError):
    """The request is not an InterceptorRequest."""


def _refuse(message: str) -> dict[str, Any]:
    return {"continue": False, "status": {"code": INVALID_ARGUMENT, "message": message}}


def _header(headers: Mapping[str, Any], name: str) -> tuple[str | None, str | None]:
    """(the single non-empty value of ``name``, None) or (None, why not). Names are
    matched without regard to case (Triggers sends Go's canonical form)."""
    values: list[str] = []
    for key, value in headers.items():
        if key.lower() == name.lower():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequest(f"header {key!r} is not a list of strings")
            values += value
    if not values or values == [""]:
        return None, f"the event has no {name} header"
    if len(values) > 1:
        return None, f"the event has {len(values)} {name} values; a CloudEvent has one"
    return values[0], None


def answer(request: Any) -> dict[str, Any]:
    """The InterceptorResponse to a decoded InterceptorRequest (BadRequest if it is none)."""
    if not isinstance(request, dict):
        raise BadRequest("the body is not a JSON object")
    headers = request.get("header") or {}
    if not isinstance(headers, dict):
        raise BadRequest("'header' is not an object")
    source, source_problem = _header(headers, SOURCE_HEADER)
    ident, id_problem = _header(headers, ID_HEADER)
    if source is None or ident is None:
        return _refuse("; ".join(p for p in (source_problem, id_problem) if p))
    return {"extensions": {EXTENSION: event_key(source, ident)}, "continue": True}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= LOG_VALUE_CHARS else text[:LOG_VALUE_CHARS] + "..."


class _Interceptor:
    def __init__(self, config: KeyConfig) -> None:
        self.config = config
        self.in_flight = 0
        self.beat = time.monotonic()

    def responsive(self) -> bool:
        return time.monotonic() - self.beat < STALLED

    async def heartbeat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(HEARTBEAT)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.in_flight += 1
        note = ""
        response: web.StreamResponse | None = None
        try:
            response, note = await self._route(request)
            return response
        finally:
            self.in_flight -= 1
            status = response.status if response is not None else "-"
            log(f'{request.remote} "{request.method} {request.raw_path}" {status} {note}'.rstrip())

    async def _route(self, request: web.BaseRequest) -> tuple[web.Response, str]:
        if request.method != "POST":
            return json_response(405, {"error": "POST only"}, {"Allow": "POST"}), ""
        if request.rel_url.path != "/":
            return json_response(404, {"error": "not found"}), ""
        limit = self.config.max_request_bytes
        if request.content_length is not None and request.content_length > limit:
            return self._too_large(), f"Content-Length {request.content_length}"
        body = await self._read(request, limit)
        if body is None:
            return self._too_large(), "body over the limit"
        try:
            decoded = json.loads(body)
            result = answer(decoded)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, BadRequest
            message = str(exc) if isinstance(exc, BadRequest) else "the body is not JSON"
            return json_response(400, {"error": f"not an InterceptorRequest: {message}"}), ""
        if result["continue"]:
            headers = decoded.get("header") or {}
            seen = {k.lower(): v for k, v in headers.items()}
            note = (
                f"key {result['extensions'][EXTENSION]}"
                f" source={_short(seen[SOURCE_HEADER.lower()][0])}"
                f" id={_short(seen[ID_HEADER.lower()][0])}"
            )
        else:
            note = f"refused: {result['status']['message']}"
        return json_response(200, result), note

    def _too_large(self) -> web.Response:
        limit = self.config.max_request_bytes
        return json_response(
            413,
            _refuse(f"the InterceptorRequest is over {limit} bytes (BENCHGEN_MAX_REQUEST_BYTES)"),
        )

    @staticmethod
    async def _read(request: web.BaseRequest, limit: int) -> bytes | None:
        """The body, or None once it passes ``limit`` (the rest is never read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await request.content.readany()
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)


class _BodyDeadline(Listener):
    """bounded_http's Listener, whose deadline stops at the headers: here it covers
    the body too, which the handler reads."""

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        try:
            return await asyncio.wait_for(super()._handle(request), self.deadline)
        except TimeoutError:
            waited = time.monotonic() - started
            log(f'{request.remote} "{request.method} {request.raw_path}" 408 after {waited:.1f} s')
            return json_response(408, {"error": "the request did not arrive in time"})


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_event_key(env: Mapping[str, str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    config = load_config(os.environ if env is None else env)
    return asyncio.run(serve(config))


async def serve(config: KeyConfig, stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set (SIGTERM/SIGINT set it when it is not given)."""
    interceptor = _Interceptor(config)
    listener = _BodyDeadline(
        interceptor.handle, max_connections=MAX_CONNECTIONS, deadline=config.request_deadline
    )
    try:
        server = await start_listener(listener, config.port)
    except OSError as exc:
        raise InputError(f"cannot listen on port {config.port}: {exc}") from None
    try:
        probes = ProbeServer(config.health_port, {"/health": interceptor.responsive}).start()
    except OSError as exc:
        server.close()
        raise InputError(
            f"cannot listen on BENCHGEN_HEALTH_PORT {config.health_port}: {exc}"
        ) from None
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    heartbeat = asyncio.create_task(interceptor.heartbeat())
    log(
        f"benchgen-poller event-key: listening on :{config.port} (probes :{config.health_port}),"
        f" requests up to {config.max_request_bytes} bytes"
    )
    await stop.wait()
    log("benchgen-poller event-key: stopping")
    server.close()
    deadline = time.monotonic() + SHUTDOWN_GRACE
    while interceptor.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    probes.stop()
    heartbeat.cancel()
    return 0
