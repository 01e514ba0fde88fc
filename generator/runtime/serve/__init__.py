"""``benchgen-poller serve``: a read-only status and logs API for external CI
(docs/runtime-interface.md, "benchgen-poller serve").

    GET /health          200, no authentication
    GET /status/<run>    JSON; 200 succeeded, 202 pending/running, 409 failed,
                         404 unknown, 401 credentials, 503 API server unreachable;
                         a pending run's place in the concurrency queue
    GET /logs/<run>      text/plain, chunked, every step in order, following

    probes' port (BENCHGEN_HEALTH_PORT): GET /health, for the kubelet;
                         GET /metrics, Prometheus text (runtime/metrics.py)

The HTTP server is aiohttp's (``bounded_http``), already in the image with the
kubernetes client: its parser bounds the request line, each header and their
number, and everything before the credentials check is bounded in bytes, time
(one deadline from connect to a complete request) and connections. The
Kubernetes client blocks, so each request's calls to the API server run in a
thread of their own (a log stream that lasts hours holds one thread and nothing
else); the event loop only reads requests and writes answers. The kubelet's
probes have their own port, thread and loop (``bounded_http.ProbeServer``):
however many clients the API port is refusing, ``/health`` there answers, and it
says whether this loop still turns.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from aiohttp import web

from generator.contract import env as var
from generator.contract.commands import SERVE
from generator.contract.names import dns1123_subdomain_problem, is_label_key, namespace_problem
from generator.runtime.args import env_help
from generator.runtime.bounded_http import (
    RETRY_AFTER,
    SERVER,
    Service,
    json_response,
    log,
    serve_until_stopped,
)
from generator.runtime.clock import Clock, Stopped
from generator.runtime.env import duration, number, ports
from generator.runtime.errors import InputError
from generator.runtime.queue import PENDING as QUEUED
from generator.runtime.queue import position, spec_status
from generator.runtime.serve.auth import Credentials, load_credentials
from generator.runtime.serve.runs import (
    PENDING,
    RunSource,
    run_status,
    stream_run_logs,
)

# Connections beyond the streams: /status and /health always have room.
SPARE_CONNECTIONS = 32
# From connect until the request (line and headers) is complete; a CI client or
# an ingress sends it at once.
REQUEST_DEADLINE = 10.0
# A client must take each chunk of a log stream within this time.
CLIENT_TIMEOUT = 30.0

T = TypeVar("T")


@dataclass(frozen=True)
class ServeConfig:
    namespace: str
    selector: str
    port: int
    health_port: int
    credentials: Credentials
    poll_interval: float
    max_streams: int
    queue_key: str | None = None  # the label grouping the concurrency gate's queues


class StatusSource(RunSource, Protocol):
    """What ``serve`` reads (``kube.RunReader``): a run, its logs, and every run
    of the selector (a queue position needs them all)."""

    def runs(self) -> list[dict[str, Any]]: ...


def load_config(env: Mapping[str, str]) -> ServeConfig:
    """The BENCHGEN_* env of ``serve``; InputError (exit 2) with every problem."""
    problems: list[str] = []
    namespace = env.get(var.NAMESPACE, "").strip()
    if not namespace:
        problems.append(f"{var.NAMESPACE} is required")
    elif namespace_problem(namespace):
        problems.append(f"{var.NAMESPACE} {namespace!r} is not a namespace name")
    selector = env.get(var.SELECTOR, "").strip()
    if not selector:
        # Without a selector every run of the namespace would be visible.
        problems.append(f"{var.SELECTOR} is required (e.g. benchgen.dev/benchmark=<name>)")
    port, health_port = ports(env, SERVE, problems)
    max_streams = number(env, SERVE, var.MAX_STREAMS, problems, what="a positive number")
    poll_interval = duration(env, SERVE, var.POLL_INTERVAL, problems)
    queue_key = env.get(var.CONCURRENCY_KEY, "").strip() or None
    if queue_key is not None and not is_label_key(queue_key):
        problems.append(f"{var.CONCURRENCY_KEY} {queue_key!r} is not a label key")
    credentials: Credentials | None = None
    try:
        credentials = load_credentials(env.get(var.AUTH_TYPE), env.get(var.AUTH_FILE))
    except InputError as exc:
        problems.append(str(exc))
    if problems or credentials is None:
        raise InputError("; ".join(problems))
    return ServeConfig(
        namespace, selector, port, health_port, credentials, poll_interval, max_streams, queue_key
    )


class _Api(Service):
    """The API port's handler: routes, credentials, and the calls to the API
    server, each in a thread of its own."""

    name = "serve"

    def __init__(self, config: ServeConfig, source: StatusSource) -> None:
        super().__init__()
        self.config = config
        self.source = source
        self.stopping = threading.Event()  # log streams end at their next chunk or poll
        self.streams: dict[int, web.BaseRequest] = {}  # by id(): requests are unhashable
        # GET /metrics on the probes' port (runtime/metrics.py says why there).
        from generator.runtime.metrics import Exposition, ServeMetrics

        metrics = Exposition()
        self.metrics = ServeMetrics(metrics)
        self.metrics.streams.set_function(lambda: len(self.streams))
        self.exposition = metrics.render

    def answered(
        self, request: web.BaseRequest, response: web.StreamResponse | None, seconds: float
    ) -> None:
        code = response.status if response is not None else 500
        self.metrics.answered(urlsplit(request.raw_path).path, code, seconds)

    async def route(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        return await self._route(request), ""

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method != "GET":
            return json_response(405, {"error": "read-only"}, {"Allow": "GET"})
        path = urlsplit(request.raw_path).path
        if path == "/health":
            return json_response(200, {"status": "ok"})
        route, _, run = path.lstrip("/").partition("/")
        if route not in ("status", "logs") or not run:
            return json_response(404, {"error": "not found"})
        # Credentials before anything about runs: without them, nothing is told,
        # not even whether a run exists.
        creds = self.config.credentials
        if not creds.accepts(request.headers.get("Authorization")):
            return json_response(
                401,
                {"error": "missing or wrong credentials"},
                {"WWW-Authenticate": creds.challenge},
            )
        run = unquote(run)
        if dns1123_subdomain_problem(run):
            return json_response(404, {"run": run, "error": "no such run"})
        if route == "status":
            return await self._status(run)
        return await self._logs(request, run)

    async def _find(self, run: str) -> dict[str, Any] | web.Response:
        """The run, or the answer to give instead (404/503/500)."""
        found = await self._read(run, lambda: self.source.find_run(run), f"find {run}")
        if found is None:
            return json_response(404, {"run": run, "error": "no such run"})
        return found

    async def _read(self, run: str, call: Callable[[], T], name: str) -> T | web.Response:
        """``call()`` in a thread, or the answer to give instead (503/500)."""
        from generator.runtime.kube import Refused, Unavailable

        try:
            return await _in_thread(call, name)
        except Unavailable as exc:
            log(f"API server unavailable: {exc}")
            return json_response(
                503,
                {"run": run, "error": "the Kubernetes API server is unavailable"},
                {"Retry-After": RETRY_AFTER},
            )
        except Refused as exc:
            # A deployment problem (RBAC): logged in full, not told to the client.
            log(f"API server refused: {exc}")
            return json_response(500, {"run": run, "error": "server error"})

    async def _status(self, run: str) -> web.StreamResponse:
        found = await self._find(run)
        if isinstance(found, web.Response):
            return found
        status = run_status(found)
        if status.state == PENDING and spec_status(found) == QUEUED:
            # Held by the concurrency gate: where it waits, from every run of the
            # benchmark as listed now (the gate's own view may be a moment behind).
            listed = await self._read(run, self.source.runs, f"queue of {run}")
            if isinstance(listed, web.Response):
                return listed
            status = replace(status, queue=position(listed, run, self.config.queue_key))
        return json_response(status.http_status, status.to_json())

    async def _logs(self, request: web.BaseRequest, run: str) -> web.StreamResponse:
        if len(self.streams) >= self.config.max_streams:
            return json_response(
                503, {"run": run, "error": "too many log streams"}, {"Retry-After": RETRY_AFTER}
            )
        self.streams[id(request)] = request
        try:
            found = await self._find(run)
            if isinstance(found, web.Response):
                return found
            return await self._stream(request, run)
        finally:
            del self.streams[id(request)]

    async def _stream(self, request: web.BaseRequest, run: str) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "X-Accel-Buffering": "no",  # reverse proxies: do not buffer
                "Server": SERVER,
            }
        )
        response.enable_chunked_encoding()
        response.force_close()
        await response.prepare(request)
        transport = request.transport
        if transport is None:  # the client left while the headers went out
            return response
        loop = asyncio.get_running_loop()

        def alive() -> bool:
            # The loop reads the socket all along: a client that closed or reset
            # has a closing transport by now.
            return not transport.is_closing()

        def write(data: bytes) -> None:
            # Look first, so a departed client is noticed at once.
            if not alive():
                raise ConnectionAbortedError("the client closed the connection")
            if data:
                sent = asyncio.run_coroutine_threadsafe(response.write(data), loop)
                try:
                    sent.result(CLIENT_TIMEOUT)
                except TimeoutError:
                    sent.cancel()
                    raise TimeoutError(
                        f"the client took no data for {CLIENT_TIMEOUT:.0f} s"
                    ) from None

        def follow() -> None:
            stream_run_logs(
                self.source,
                run,
                write,
                stop=self.stopping,
                poll_interval=self.config.poll_interval,
                alive=alive,
            )

        try:
            await _in_thread(follow, f"logs {run}")
        except (Stopped, OSError):
            # Shutting down: no terminating chunk, so `curl` reports a cut
            # transfer (exit 18) instead of a log that ended. (shutdown()
            # may have closed the connection first: the thread then sees it gone.)
            if self.stopping.is_set():
                log(f"log stream of {run} cut by shutdown")
            else:
                log(f"client left the log stream of {run}")
            transport.close()
        except Exception as exc:  # e.g. pods/log refused: a deployment problem
            log(f"log stream of {run} failed: {type(exc).__name__}: {exc}")
            transport.close()
        else:
            with contextlib.suppress(ConnectionError):
                await response.write_eof()  # the terminating chunk: the run has finished
        return response

    def unfinished(self) -> int:
        return self.in_flight - len(self.streams)  # a log stream ends at the run's end

    async def shutdown(self) -> None:
        """Every log stream ends now, without its terminating chunk; other
        requests may finish."""
        self.stopping.set()
        for request in list(self.streams.values()):
            if request.transport is not None:
                request.transport.close()
        await super().shutdown()


async def _in_thread(work: Callable[[], T], name: str) -> T:
    """``work()`` in a daemon thread of its own, awaited. Daemon: a log stream
    blocked on a silent container never holds up the exit after SIGTERM."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: Exception | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # None only with an error

    def run() -> None:
        try:
            outcome: tuple[T | None, Exception | None] = (work(), None)
        except Exception as exc:
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is closed: we are exiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


DESCRIPTION = (
    f"Answer CI jobs about this benchmark's PipelineRuns. {env_help(SERVE)};"
    f" {var.AUTH_TYPE} is bearer or basic. Exit 2 on bad or missing configuration."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env (load_config)."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    from generator.runtime.kube import RunReader, api_client

    config = load_config(env)
    api = api_client(pool_size=config.max_streams + SPARE_CONNECTIONS)
    return asyncio.run(_serve(config, RunReader(api, config.namespace, config.selector)))


async def _serve(config: ServeConfig, source: StatusSource) -> int:
    banner = (
        f"namespace {config.namespace}, selector {config.selector},"
        f" auth {config.credentials.scheme}"
    )
    return await serve_until_stopped(
        _Api(config, source),
        config.port,
        config.health_port,
        banner,
        max_connections=config.max_streams + SPARE_CONNECTIONS,
        deadline=REQUEST_DEADLINE,
    )
