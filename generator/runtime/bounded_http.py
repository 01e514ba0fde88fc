"""HTTP listeners that hostile clients cannot exhaust: aiohttp's server with its
limits set, a deadline for receiving each request, and a cap on connections.

Every listener of the runtime goes through here: ``serve``'s, ``event-key``'s
and ``record-refusals``' ports (a :class:`Service` each, run by
:func:`serve_until_stopped`), and the probes' port of those and ``observe``
(``ProbeServer``: its own thread, event loop, connections and cap, so the
kubelet's probes never wait behind a client).

What a connection can cost before its request has been authenticated:

- the request line and each header line at most ``MAX_LINE`` bytes, at most
  ``MAX_HEADERS`` header lines (aiohttp's C parser refuses more with ``400``),
  so at most ~0.5 MiB of header bytes per connection;
- ``deadline`` seconds from connect until the request is complete: a client
  that sends slowly, or nothing, is answered ``408`` and closed then, however
  regularly it sends;
- at most ``max_connections`` at once (handlers still running included); one
  more is answered ``503`` with ``Retry-After`` and closed.

One request per connection: every response closes it, so nothing idles. A
request body is read only by the interceptors' POST routes (``read_body``: up to
their size limit, within the deadline of a ``BodyListener``); serve has GET
routes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from generator.contract.env import HEALTH_PORT
from generator.runtime.errors import InputError

MAX_LINE = 8190  # request line, and one header line (aiohttp's default)
MAX_HEADERS = 64  # curl sends 4; an ingress and a mesh add 10-20
RETRY_AFTER = "5"
SERVER = "benchgen"
# The loop notes the time every HEARTBEAT; the probes fail once it is older than
# STALLED (a loop that no longer turns answers nobody: restart the pod).
HEARTBEAT = 1.0
STALLED = 10.0
# After SIGTERM: how long requests in flight may finish.
SHUTDOWN_GRACE = 5.0

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def _refusal() -> bytes:
    body = b'{"error":"too many connections"}\n'
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: " + RETRY_AFTER.encode() + b"\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


class _OneLine(logging.Formatter):
    """aiohttp logs a refused request with its traceback: one line is enough (a
    hostile client must not be able to fill the log with stacks)."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        text = record.getMessage() + (f": {type(exc).__name__}: {exc}" if exc else "")
        return " ".join(text.split())[:300]


def _logger() -> logging.Logger:
    logger = logging.getLogger("benchgen.http")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_OneLine())
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger


class Listener(web.Server):
    """aiohttp's low-level server for one port, with the bounds above. ``handler``
    gets each complete request; whatever it answers, the connection then closes."""

    def __init__(self, handler: Handler, *, max_connections: int, deadline: float) -> None:
        super().__init__(
            self._handle,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
            max_headers=MAX_HEADERS,
            # aiohttp also closes a connection idle this long from its start: the
            # same deadline, kept as a second line of defence.
            keepalive_timeout=deadline,
            lingering_time=0,  # never read a body nobody asked for
            access_log=None,
            logger=_logger(),
        )
        self._inner = handler
        self.max_connections = max_connections
        self.deadline = deadline
        # Connections whose request is not complete yet, with their deadline.
        self._waiting: dict[RequestHandler, asyncio.TimerHandle] = {}

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        loop = asyncio.get_running_loop()
        if len(self.connections) > self.max_connections:
            transport.write(_refusal())
            # Next turn of the loop, once aiohttp has set the connection up; the
            # answer is flushed, then the socket closed.
            loop.call_soon(handler.force_close)
            return
        self._waiting[handler] = loop.call_later(self.deadline, self._expire, handler)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        timer = self._waiting.pop(handler, None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(handler, exc)

    def _expire(self, handler: RequestHandler) -> None:
        """The deadline passed before the request was complete: 408, close."""
        if self._waiting.pop(handler, None) is None:
            return
        if handler.transport is not None:
            handler.transport.write(_TIMEOUT_ANSWER)
        handler.force_close()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        timer = self._waiting.pop(request.protocol, None)  # the request is complete
        if timer is not None:
            timer.cancel()
        response = await self._inner(request)
        response.force_close()  # one request per connection
        if not response.prepared:
            response.headers["Server"] = SERVER
        return response

    @property
    def waiting(self) -> int:
        """Connections whose request has not arrived yet."""
        return len(self._waiting)


def json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer that closes the connection and is never cached."""
    response = web.Response(
        status=status,
        body=(json.dumps(body, separators=(",", ":")) + "\n").encode(),
        content_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
    response.force_close()
    return response


async def read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` (the rest is never read): the
    interceptors' POST routes, served by a ``BodyListener`` (its deadline covers
    the body too)."""
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


async def start_listener(listener: Listener, port: int) -> asyncio.Server:
    """Listen on ``port`` on every interface; OSError when it cannot."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(listener, port=port, reuse_address=True, backlog=128)


class ProbeServer:
    """The kubelet's port: ``GET <path>`` answers ``200 ok`` while its check is
    true, else ``503``; ``GET /metrics`` the Prometheus text of ``metrics`` when
    given; any other path ``404``. Its own thread and event loop, its own few
    connections and a short deadline: nothing a client of another port does can
    delay it, and the NetworkPolicy admits nobody to it but the metrics scrape
    when one is configured (the kubelet probes from the node)."""

    MAX_CONNECTIONS = 8
    DEADLINE = 5.0  # the probes' timeoutSeconds

    def __init__(
        self,
        port: int,
        checks: Mapping[str, Callable[[], bool]],
        metrics: Callable[[], tuple[bytes, str]] | None = None,
    ) -> None:
        self.port = port
        self.checks = dict(checks)
        self.metrics = metrics  # () -> (body, Content-Type): runtime/metrics.py
        self._loop = asyncio.new_event_loop()
        self._stopped: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="probes", daemon=True)
        self._started = threading.Event()
        self._error: OSError | None = None

    def start(self) -> ProbeServer:
        """Serve in the background; OSError (e.g. the port is taken) from here."""
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stopped is not None and self._loop.is_running():
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._started.set()  # also when _serve failed before serving
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        listener = Listener(
            self._answer, max_connections=self.MAX_CONNECTIONS, deadline=self.DEADLINE
        )
        try:
            server = await start_listener(listener, self.port)
        except OSError as exc:
            self._error = exc
            return
        self._started.set()
        async with server:
            await self._stopped.wait()

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/metrics" and self.metrics:
            body, content_type = self.metrics()
            # aiohttp's content_type takes no parameters: the header goes as it is.
            return web.Response(status=200, body=body, headers={"Content-Type": content_type})
        check = self.checks.get(request.path) if request.method == "GET" else None
        if check is None:
            return web.Response(status=404, text="not found\n")
        ok = check()
        return web.Response(status=200 if ok else 503, text="ok\n" if ok else "not ready\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BodyListener(Listener):
    """A Listener whose deadline covers the body too, for the interceptors' POST
    routes that read it (``read_body``): Listener's deadline stops at the headers,
    so a client promising bytes it never sends is answered 408 here."""

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        try:
            return await asyncio.wait_for(super()._handle(request), self.deadline)
        except TimeoutError:
            waited = time.monotonic() - started
            log(f'{request.remote} "{request.method} {request.raw_path}" 408 after {waited:.1f} s')
            return json_response(408, {"error": "the request did not arrive in time"})


class Service:
    """A port's handler skeleton (serve's API, event-key, record-refusals): one log line per
    request, the requests in flight counted for the shutdown, and a heartbeat
    that the probes check. Subclasses answer in ``route``."""

    name = ""  # the command, in the start and stop lines
    # () -> (body, Content-Type) of GET /metrics on the probes' port; None: no route.
    exposition: Callable[[], tuple[bytes, str]] | None = None

    def __init__(self) -> None:
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
        note = ""
        began = time.monotonic()
        try:
            response, note = await self.route(request)
            return response
        finally:
            self.in_flight -= 1
            self.answered(request, response, time.monotonic() - began)
            # One line per request; the Authorization header is never logged.
            status = response.status if response is not None else "-"
            log(f'{request.remote} "{request.method} {request.raw_path}" {status} {note}'.rstrip())

    async def route(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        """The answer, and a note for the log line."""
        raise NotImplementedError

    def answered(
        self, request: web.BaseRequest, response: web.StreamResponse | None, seconds: float
    ) -> None:
        """After each request (``response`` None: the handler raised): for metrics."""

    def unfinished(self) -> int:
        """The requests in flight that a shutdown waits for."""
        return self.in_flight

    async def shutdown(self) -> None:
        """After SIGTERM (no new connections): let requests in flight finish,
        for SHUTDOWN_GRACE at most."""
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while self.unfinished() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


async def serve_until_stopped(
    service: Service,
    port: int,
    health_port: int,
    banner: str,
    *,
    max_connections: int,
    deadline: float,
    listener: type[Listener] = Listener,
    background: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve ``service`` on ``port`` (a ``listener`` with ``max_connections`` and
    ``deadline``) and its probes (``/health``) on ``health_port`` until ``stop``
    (SIGTERM/SIGINT when not given); 0. A port that cannot be listened on is bad
    configuration (InputError). ``background`` (e.g. record-refusals' flusher)
    runs from the start and is told to finish through its event once the port
    is closed, and awaited, also when listening failed, so its last work is done."""
    bounded = listener(service.handle, max_connections=max_connections, deadline=deadline)
    finish = asyncio.Event()
    task = asyncio.create_task(background(finish)) if background is not None else None
    try:
        return await _listen_until_stopped(service, bounded, port, health_port, banner, stop)
    finally:
        finish.set()
        if task is not None:
            await task


async def _listen_until_stopped(
    service: Service,
    listener: Listener,
    port: int,
    health_port: int,
    banner: str,
    stop: asyncio.Event | None,
) -> int:
    """serve_until_stopped's ports, without its background task."""
    try:
        server = await start_listener(listener, port)
    except OSError as exc:
        raise InputError(f"cannot listen on port {port}: {exc}") from None
    try:
        probes = ProbeServer(
            health_port, {"/health": service.responsive}, service.exposition
        ).start()
    except OSError as exc:
        server.close()
        raise InputError(f"cannot listen on {HEALTH_PORT} {health_port}: {exc}") from None
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    heartbeat = asyncio.create_task(service.heartbeat())
    log(f"benchgen-poller {service.name}: listening on :{port} (probes :{health_port}), {banner}")
    await stop.wait()
    log(f"benchgen-poller {service.name}: stopping")
    server.close()  # no new connections
    await service.shutdown()
    probes.stop()
    heartbeat.cancel()
    return 0
