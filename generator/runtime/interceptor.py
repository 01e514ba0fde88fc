"""``benchgen-poller event-key``: a Tekton Triggers interceptor naming CloudEvent and
webhook runs (docs/runtime-interface.md, "benchgen-poller event-key").

The CloudEvents listener calls it after its CEL checks, as the namespaced
``Interceptor`` the generator renders: ``POST /`` with an InterceptorRequest
(JSON ``{"body": str, "header": {name: [values]}, "extensions", "interceptor_params",
"context"}``), answered ``200`` with an InterceptorResponse:

- ``Ce-Source`` and ``Ce-Id`` each present once and non-empty:
  ``{"extensions": {"cloudevent_key": <key>}, "continue": true}``, the key of
  ``generator.contract.event_key`` (32 hex digits of SHA-256 of the pair);
- otherwise ``{"continue": false, "status": {"code": 3, "message": ...}}``
  (3 is gRPC's InvalidArgument, as Triggers' own interceptors answer).

The same pair always gets the same key, so a redelivered event names a run
that exists and the API server refuses the copy, while the same id from another
source names a run of its own.

The webhook listener calls it with interceptor param ``provider`` (``github`` or
``gitlab``): the key is then ``delivery_key`` of the provider's delivery header
(``X-GitHub-Delivery``, ``Idempotency-Key``), in ``extensions.delivery_key``; a
request without that header gets a random key (no deduplication, as before).

With ``BENCHGEN_DEDUP_CONFIGMAP`` the keys also go into the dedup record
(``generator.runtime.dedup``), and a key found there is refused
(``{"continue": false, "status": {"code": 6, ...}}``, AlreadyExists): a
redelivery starts nothing even after its run was deleted.

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
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from generator.contract import env as var
from generator.contract.commands import EVENT_KEY
from generator.contract.event_key import (
    DELIVERY_EXTENSION,
    DELIVERY_HEADERS,
    EXTENSION,
    ID_HEADER,
    KEY_LENGTH,
    PROVIDER_PARAM,
    SOURCE_HEADER,
    delivery_key,
    event_key,
)
from generator.runtime.args import env_help
from generator.runtime.bounded_http import (
    BodyListener,
    Service,
    json_response,
    read_body,
    serve_until_stopped,
)
from generator.runtime.clock import Clock
from generator.runtime.env import number, ports
from generator.runtime.errors import InputError, PermanentError

TYPE_CHECKING = False  # the dedup record (and kubernetes) only when it is configured
if TYPE_CHECKING:
    from generator.runtime.dedup import Record, RecordConfig

MAX_CONNECTIONS = 32  # with the body cap: well under the container's memory limit
REQUEST_DEADLINE = 10.0  # connect to the end of the headers; and again for the body
INVALID_ARGUMENT = 3  # google.rpc.Code, as Triggers' interceptors use it
ALREADY_EXISTS = 6  # google.rpc.Code: the event's run was created before (the dedup record)
LOG_VALUE_CHARS = 120


@dataclass(frozen=True)
class KeyConfig:
    port: int
    health_port: int
    max_request_bytes: int
    request_deadline: float = REQUEST_DEADLINE
    record: RecordConfig | None = None  # the dedup record; None: stateless


RECORD_ENV = (var.DEDUP_CONFIGMAP, var.NAMESPACE, var.RUN_PREFIX)


def load_config(env: Mapping[str, str]) -> KeyConfig:
    """The BENCHGEN_* env of ``event-key``; InputError (exit 2) with every problem."""
    problems: list[str] = []
    port, health_port = ports(env, EVENT_KEY, problems)
    # The default, 1 MiB, holds any event a Kafka-backed Broker delivers by default
    # (1 MB messages): an InterceptorRequest carries the event's data as a JSON string.
    max_bytes = number(
        env, EVENT_KEY, var.MAX_REQUEST_BYTES, problems, low=1024, high=64 * 1024 * 1024
    )
    values = {name: env.get(name, "").strip() for name in RECORD_ENV}
    record = None
    if any(values.values()):
        missing = [name for name, value in values.items() if not value]
        if missing:
            problems.append(
                f"{', '.join(missing)} required with {', '.join(RECORD_ENV)} (the dedup record)"
            )
        else:
            from generator.runtime.dedup import RecordConfig

            record = RecordConfig(
                values[var.DEDUP_CONFIGMAP], values[var.NAMESPACE], values[var.RUN_PREFIX]
            )
    if problems:
        raise InputError("; ".join(problems))
    return KeyConfig(port, health_port, max_bytes, record=record)


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


def _provider(request: dict[str, Any]) -> str | None:
    """The webhook provider the trigger names (interceptor param ``provider``), or None."""
    params = request.get("interceptor_params") or {}
    if not isinstance(params, dict):
        raise BadRequest("'interceptor_params' is not an object")
    provider = params.get(PROVIDER_PARAM)
    if provider is None:
        return None
    if provider not in DELIVERY_HEADERS:
        raise BadRequest(
            f"interceptor param {PROVIDER_PARAM!r} is {provider!r}, not one of"
            f" {', '.join(DELIVERY_HEADERS)}"
        )
    return str(provider)


def answer(request: Any) -> dict[str, Any]:
    """The InterceptorResponse to a decoded InterceptorRequest (BadRequest if it is none)."""
    if not isinstance(request, dict):
        raise BadRequest("the body is not a JSON object")
    headers = request.get("header") or {}
    if not isinstance(headers, dict):
        raise BadRequest("'header' is not an object")
    provider = _provider(request)
    if provider is not None:
        delivery, problem = _header(headers, DELIVERY_HEADERS[provider])
        if delivery is not None:
            key = delivery_key(provider, delivery)
        elif problem and "values" in problem:  # more than one: not the provider's own
            return _refuse(problem)
        else:
            # A sender without the header (benchgen's own CronJobs, a script): a run of
            # its own, as before deduplication; random, so never in the record.
            key = uuid.uuid4().hex
        return {"extensions": {DELIVERY_EXTENSION: key}, "continue": True}
    source, source_problem = _header(headers, SOURCE_HEADER)
    ident, id_problem = _header(headers, ID_HEADER)
    if source is None or ident is None:
        return _refuse("; ".join(p for p in (source_problem, id_problem) if p))
    return {"extensions": {EXTENSION: event_key(source, ident)}, "continue": True}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= LOG_VALUE_CHARS else text[:LOG_VALUE_CHARS] + "..."


def _deduplicated(decoded: dict[str, Any], result: dict[str, Any]) -> str | None:
    """The key of an answer that names an event's run by its identity (not a random one)."""
    extensions = result.get("extensions", {})
    if EXTENSION in extensions:
        return str(extensions[EXTENSION])
    provider = _provider(decoded)
    if provider is None:
        return None
    seen = {k.lower(): v for k, v in (decoded.get("header") or {}).items()}
    return (
        str(extensions[DELIVERY_EXTENSION]) if DELIVERY_HEADERS[provider].lower() in seen else None
    )


class _Interceptor(Service):
    name = "event-key"

    def __init__(self, config: KeyConfig, record: Record | None = None) -> None:
        super().__init__()
        self.config = config
        self.record = record

    async def route(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        if request.method != "POST":
            return json_response(405, {"error": "POST only"}, {"Allow": "POST"}), ""
        if request.rel_url.path != "/":
            return json_response(404, {"error": "not found"}), ""
        limit = self.config.max_request_bytes
        if request.content_length is not None and request.content_length > limit:
            return self._too_large(), f"Content-Length {request.content_length}"
        body = await read_body(request, limit)
        if body is None:
            return self._too_large(), "body over the limit"
        try:
            decoded = json.loads(body)
            result = answer(decoded)
        except (ValueError, RecursionError, BadRequest) as exc:  # JSONDecodeError too
            message = str(exc) if isinstance(exc, BadRequest) else "the body is not JSON"
            return json_response(400, {"error": f"not an InterceptorRequest: {message}"}), ""
        if not result["continue"]:
            return json_response(200, result), f"refused: {result['status']['message']}"
        key = _deduplicated(decoded, result)
        note = _describe(decoded, result, key)
        if key is not None and self.record is not None:
            from generator.runtime.dedup import when

            seen_at = await self.record.seen(key)
            if seen_at is not None:
                message = (
                    f"event {key} already started run {self.record.config.run_prefix}{key}"
                    f" (first seen {when(seen_at)}, dedup record"
                    f" {self.record.config.config_map}): a redelivery starts nothing"
                )
                refusal = {
                    "continue": False,
                    "status": {"code": ALREADY_EXISTS, "message": message},
                }
                return json_response(200, refusal), f"refused: {message}; {note}"
            self.record.confirm(key)
        return json_response(200, result), note

    async def shutdown(self) -> None:
        await super().shutdown()
        if self.record is not None:
            self.record.abandon()

    def _too_large(self) -> web.Response:
        limit = self.config.max_request_bytes
        return json_response(
            413,
            _refuse(f"the InterceptorRequest is over {limit} bytes ({var.MAX_REQUEST_BYTES})"),
        )


def _describe(decoded: dict[str, Any], result: dict[str, Any], key: str | None) -> str:
    """The log line's note: the key and what it was derived from."""
    seen = {k.lower(): v for k, v in (decoded.get("header") or {}).items()}
    extensions = result["extensions"]
    if EXTENSION in extensions:
        return (
            f"key {extensions[EXTENSION]}"
            f" source={_short(seen[SOURCE_HEADER.lower()][0])}"
            f" id={_short(seen[ID_HEADER.lower()][0])}"
        )
    provider = _provider(decoded)
    assert provider is not None
    header = DELIVERY_HEADERS[provider]
    if key is None:
        return f"key {extensions[DELIVERY_EXTENSION]} (random: no {header}, not deduplicated)"
    return f"key {key} {provider} {header}={_short(seen[header.lower()][0])}"


DESCRIPTION = (
    "Answer the CloudEvents EventListener's InterceptorRequests (POST /) with"
    f" extensions.{EXTENSION}: {KEY_LENGTH} hex digits of SHA-256 over the event's"
    f" {SOURCE_HEADER} and {ID_HEADER} (length-prefixed), so the same event always names the"
    " same run and the same id from another source names another; continue false without"
    f" both headers. With interceptor param {PROVIDER_PARAM} (the webhook listener):"
    f" extensions.{DELIVERY_EXTENSION} from the provider's delivery header. With"
    f" {var.DEDUP_CONFIGMAP}, {var.NAMESPACE} and {var.RUN_PREFIX}: refuse a key in that"
    " dedup record, and record a key once its run exists. "
    f"{env_help(EVENT_KEY)}. Exit 2 on bad configuration, 0 after SIGTERM."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env (load_config)."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    return asyncio.run(serve(load_config(env)))


async def serve(config: KeyConfig, stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set (SIGTERM/SIGINT set it when it is not given)."""
    record = None
    if config.record is not None:
        from generator.runtime import kube
        from generator.runtime.clock import SystemClock
        from generator.runtime.dedup import Record

        record = Record(config.record, kube.api_client(), SystemClock())
    banner = f"requests up to {config.max_request_bytes} bytes"
    if config.record is not None:
        banner += f", dedup record {config.record.namespace}/{config.record.config_map}"
    return await serve_until_stopped(
        _Interceptor(config, record),
        config.port,
        config.health_port,
        banner,
        max_connections=MAX_CONNECTIONS,
        deadline=config.request_deadline,
        listener=BodyListener,
        stop=stop,
    )
