"""``benchgen-poller serve``: a read-only status and logs API for external CI
(docs/runtime-interface.md, "benchgen-poller serve").

    GET /health          200, no authentication
    GET /status/<run>    JSON; 200 succeeded, 202 pending/running, 409 failed,
                         404 unknown, 401 credentials, 503 API server unreachable
    GET /logs/<run>      text/plain, chunked, every step in order, following

    probes' port (BENCHGEN_HEALTH_PORT): GET /health, for the kubelet only

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

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from aiohttp import web

from generator.runtime.bounded_http import (
    RETRY_AFTER,
    SERVER,
    Listener,
    ProbeServer,
    json_response,
    start_listener,
)
from generator.runtime.durations import parse_duration
from generator.runtime.errors import InputError
from generator.runtime.serve_auth import Credentials, load_credentials
from generator.runtime.serve_runs import (
    RunSource,
    StreamStopped,
    is_object_name,
    run_status,
    stream_run_logs,
)

DEFAULT_PORT = 8080
DEFAULT_HEALTH_PORT = 8081
DEFAULT_MAX_STREAMS = 32
# Connections beyond the streams: /status and /health always have room.
SPARE_CONNECTIONS = 32
# From connect until the request (line and headers) is complete; a CI client or
# an ingress sends it at once.
REQUEST_DEADLINE = 10.0
# A client must take each chunk of a log stream within this time.
CLIENT_TIMEOUT = 30.0
# After SIGTERM: how long requests in flight (not log streams) may finish.
SHUTDOWN_GRACE = 5.0
# The loop notes the time every HEARTBEAT; the probes fail once it is older than
# STALLED (a loop that no longer turns answers nobody: restart the pod).
HEARTBEAT = 1.0
STALLED = 10.0

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


def load_config(env: Mapping[str, str]) -> ServeConfig:
    """The BENCHGEN_* env of ``serve``; InputError (exit 2) with every problem."""
    problems: list[str] = []
    namespace = env.get("BENCHGEN_NAMESPACE", "").strip()
    if not namespace:
        problems.append("BENCHGEN_NAMESPACE is required")
    elif not is_object_name(namespace):
        problems.append(f"BENCHGEN_NAMESPACE {namespace!r} is not a namespace name")
    selector = env.get("BENCHGEN_SELECTOR", "").strip()
    if not selector:
        # Without a selector every run of the namespace would be visible.
        problems.append("BENCHGEN_SELECTOR is required (e.g. benchgen.dev/benchmark=<name>)")
    port = _port(env, "BENCHGEN_PORT", DEFAULT_PORT, problems)
    health_port = _port(env, "BENCHGEN_HEALTH_PORT", DEFAULT_HEALTH_PORT, problems)
    if port == health_port:
        problems.append(
            f"BENCHGEN_HEALTH_PORT {health_port} is BENCHGEN_PORT: the probes need a port of"
            " their own"
        )
    max_streams = DEFAULT_MAX_STREAMS
    raw_streams = env.get("BENCHGEN_MAX_STREAMS", "").strip()
    if raw_streams:
        if raw_streams.isdigit() and int(raw_streams) > 0:
            max_streams = int(raw_streams)
        else:
            problems.append(f"BENCHGEN_MAX_STREAMS {raw_streams!r} is not a positive number")
    poll_interval = 2.0
    try:
        poll_interval = parse_duration(
            env.get("BENCHGEN_POLL_INTERVAL", "2s"), what="BENCHGEN_POLL_INTERVAL"
        )
    except InputError as exc:
        problems.append(str(exc))
    credentials: Credentials | None = None
    try:
        credentials = load_credentials(env.get("BENCHGEN_AUTH_TYPE"), env.get("BENCHGEN_AUTH_FILE"))
    except InputError as exc:
        problems.append(str(exc))
    if problems or credentials is None:
        raise InputError("; ".join(problems))
    return ServeConfig(
        namespace, selector, port, health_port, credentials, poll_interval, max_streams
    )


def _port(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and 0 < int(raw) < 65536:
        return int(raw)
    problems.append(f"{name} {raw!r} is not a port number")
    return default


class _Api:
    """The API port's handler: routes, credentials, and the calls to the API
    server, each in a thread of its own."""

    def __init__(self, config: ServeConfig, source: RunSource) -> None:
        self.config = config
        self.source = source
        self.stopping = threading.Event()  # log streams end at their next chunk or poll
        self.streams: dict[int, web.BaseRequest] = {}  # by id(): requests are unhashable
        self.in_flight = 0
        self.beat = time.monotonic()

    def responsive(self) -> bool:
        """The probes' check (from their thread): this loop turned recently."""
        return time.monotonic() - self.beat < STALLED

    async def heartbeat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(HEARTBEAT)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.in_flight += 1
        response: web.StreamResponse | None = None
        try:
            response = await self._route(request)
            return response
        finally:
            self.in_flight -= 1
            # One line per request; the Authorization header is never logged.
            status = response.status if response is not None else "-"
            log(f'{request.remote} "{request.method} {request.raw_path}" {status}')

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
        if not is_object_name(run):
            return json_response(404, {"run": run, "error": "no such run"})
        if route == "status":
            return await self._status(run)
        return await self._logs(request, run)

    async def _find(self, run: str) -> dict[str, Any] | web.Response:
        """The run, or the answer to give instead (404/503/500)."""
        from generator.runtime.kube import KubeRefusedError, KubeUnavailableError

        try:
            found = await _in_thread(lambda: self.source.find_run(run), f"find {run}")
        except KubeUnavailableError as exc:
            log(f"API server unavailable: {exc}")
            return json_response(
                503,
                {"run": run, "error": "the Kubernetes API server is unavailable"},
                {"Retry-After": RETRY_AFTER},
            )
        except KubeRefusedError as exc:
            # A deployment problem (RBAC): logged in full, not told to the client.
            log(f"API server refused: {exc}")
            return json_response(500, {"run": run, "error": "server error"})
        if found is None:
            return json_response(404, {"run": run, "error": "no such run"})
        return found

    async def _status(self, run: str) -> web.StreamResponse:
        found = await self._find(run)
        if isinstance(found, web.Response):
            return found
        status = run_status(found)
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
        except (StreamStopped, OSError):
            # Shutting down: no terminating chunk, so `curl` reports a cut
            # transfer (exit 18) instead of a log that ended. (cut_streams()
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

    def cut_streams(self) -> None:
        """Shutdown: every log stream ends now, without its terminating chunk."""
        for request in list(self.streams.values()):
            if request.transport is not None:
                request.transport.close()

    async def wait_idle(self, timeout: float) -> None:
        """Until no request other than a log stream is in flight, or the timeout."""
        deadline = time.monotonic() + timeout
        while self.in_flight > len(self.streams) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


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


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_serve(env: Mapping[str, str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    from generator.runtime.kube import RunReader, serve_api_client

    config = load_config(os.environ if env is None else env)
    try:
        api = serve_api_client(pool_size=config.max_streams + SPARE_CONNECTIONS)
    except Exception as exc:  # the client's config errors have no common base
        raise InputError(f"no Kubernetes credentials (in-cluster or kubeconfig): {exc}") from None
    return asyncio.run(_serve(config, RunReader(api, config.namespace, config.selector)))


async def _serve(config: ServeConfig, source: RunSource) -> int:
    api = _Api(config, source)
    listener = Listener(
        api.handle,
        max_connections=config.max_streams + SPARE_CONNECTIONS,
        deadline=REQUEST_DEADLINE,
    )
    try:
        server = await start_listener(listener, config.port)
    except OSError as exc:
        raise InputError(f"cannot listen on port {config.port}: {exc}") from None
    try:
        probes = ProbeServer(config.health_port, {"/health": api.responsive}).start()
    except OSError as exc:
        server.close()
        raise InputError(
            f"cannot listen on BENCHGEN_HEALTH_PORT {config.health_port}: {exc}"
        ) from None

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    heartbeat = asyncio.create_task(api.heartbeat())
    log(
        f"benchgen-poller serve: listening on :{config.port} (probes :{config.health_port}),"
        f" namespace {config.namespace}, selector {config.selector},"
        f" auth {config.credentials.scheme}"
    )
    await stop.wait()
    log("benchgen-poller serve: stopping")
    server.close()  # no new connections
    api.stopping.set()
    api.cut_streams()
    await api.wait_idle(SHUTDOWN_GRACE)
    probes.stop()
    heartbeat.cancel()
    return 0
