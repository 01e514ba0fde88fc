"""``benchgen-poller event-key``: a Tekton Triggers interceptor naming CloudEvent runs
(docs/runtime-interface.md, "benchgen-poller event-key").

The CloudEvents listener calls it after its CEL checks, as the namespaced
``Interceptor`` the generator renders: ``POST /`` with an InterceptorRequest
(JSON ``{"body": str, "header": {name: [values]}, "extensions", "interceptor_params",
"context"}``), answered ``200`` with an InterceptorResponse:

- ``Ce-Source`` and ``Ce-Id`` each present once and non-empty:
  ``{"extensions": {"cloudevent_key": <key>}, "continue": true}``, the key of
  ``generator.contract.event_key`` (32 hex digits of SHA-256 of the pair);
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

import argparse
import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from generator.contract import env as var
from generator.contract.commands import EVENT_KEY
from generator.contract.event_key import EXTENSION, ID_HEADER, KEY_LENGTH, SOURCE_HEADER, event_key
from generator.runtime.args import env_help
from generator.runtime.bounded_http import (
    Listener,
    Service,
    json_response,
    log,
    serve_until_stopped,
)
from generator.runtime.clock import Clock
from generator.runtime.env import number, ports
from generator.runtime.errors import InputError, PermanentError

MAX_CONNECTIONS = 32  # with the body cap: well under the container's memory limit
REQUEST_DEADLINE = 10.0  # connect to the end of the headers; and again for the body
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
    port, health_port = ports(env, EVENT_KEY, problems)
    # The default, 1 MiB, holds any event a Kafka-backed Broker delivers by default
    # (1 MB messages): an InterceptorRequest carries the event's data as a JSON string.
    max_bytes = number(
        env, EVENT_KEY, var.MAX_REQUEST_BYTES, problems, low=1024, high=64 * 1024 * 1024
    )
    if problems:
        raise InputError("; ".join(problems))
    return KeyConfig(port, health_port, max_bytes)


class BadRequest(PermanentError):
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


class _Interceptor(Service):
    name = "event-key"

    def __init__(self, config: KeyConfig) -> None:
        super().__init__()
        self.config = config

    async def route(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
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
        except (ValueError, RecursionError, BadRequest) as exc:  # JSONDecodeError too
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
            _refuse(f"the InterceptorRequest is over {limit} bytes ({var.MAX_REQUEST_BYTES})"),
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


DESCRIPTION = (
    "Answer the CloudEvents EventListener's InterceptorRequests (POST /) with"
    f" extensions.{EXTENSION}: {KEY_LENGTH} hex digits of SHA-256 over the event's"
    f" {SOURCE_HEADER} and {ID_HEADER} (length-prefixed), so the same event always names the"
    " same run and the same id from another source names another; continue false without"
    f" both headers. Stateless. {env_help(EVENT_KEY)}. Exit 2 on bad configuration,"
    " 0 after SIGTERM."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env (load_config)."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    return asyncio.run(serve(load_config(env)))


async def serve(config: KeyConfig, stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set (SIGTERM/SIGINT set it when it is not given)."""
    interceptor = _Interceptor(config)
    listener = _BodyDeadline(
        interceptor.handle, max_connections=MAX_CONNECTIONS, deadline=config.request_deadline
    )
    banner = f"requests up to {config.max_request_bytes} bytes"
    return await serve_until_stopped(
        interceptor, listener, config.port, config.health_port, banner, stop
    )
