"""``benchgen-poller serve``: a read-only status and logs API for external CI
(docs/runtime-interface.md, "benchgen-poller serve").

    GET /health          200, no authentication
    GET /status/<run>    JSON; 200 succeeded, 202 pending/running, 409 failed,
                         404 unknown, 401 credentials, 503 API server unreachable
    GET /logs/<run>      text/plain, chunked, every step in order, following

The server is the standard library's ``ThreadingHTTPServer``: three GET routes
with no request bodies do not need a framework, and a thread per connection
is what lets a log stream that lasts hours block nothing but itself (the
Kubernetes client is blocking, so an async framework would need threads for it
anyway). What a framework would add is written here in a few lines each: a cap
on connections and on log streams (503 + Retry-After beyond it, so /status and
/health keep working while streams are at their cap), a socket timeout for
slow or silent clients, and a graceful SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

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
DEFAULT_MAX_STREAMS = 32
# Connections beyond the streams: /status and /health always have room.
SPARE_CONNECTIONS = 32
# A client must send its request, and take each chunk, within this time.
CLIENT_TIMEOUT = 30.0
# After SIGTERM: how long requests in flight (not log streams) may finish.
SHUTDOWN_GRACE = 5.0
RETRY_AFTER = "5"


@dataclass(frozen=True)
class ServeConfig:
    namespace: str
    selector: str
    port: int
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
    port = DEFAULT_PORT
    raw_port = env.get("BENCHGEN_PORT", "").strip()
    if raw_port:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append(f"BENCHGEN_PORT {raw_port!r} is not a port number")
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
    return ServeConfig(namespace, selector, port, credentials, poll_interval, max_streams)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a log stream never holds up the exit after SIGTERM
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, config: ServeConfig, source: RunSource) -> None:
        self.config = config
        self.source = source
        self.stopping = threading.Event()
        self._connections = threading.BoundedSemaphore(config.max_streams + SPARE_CONNECTIONS)
        self.streams = threading.BoundedSemaphore(config.max_streams)
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(("", config.port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._connections.acquire(blocking=False):
            _refuse(request)
            self.shutdown_request(request)
            return
        with self._idle:
            self._active += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done()

    def _done(self) -> None:
        self._connections.release()
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float, streams_open: int = 0) -> bool:
        """Until at most ``streams_open`` connections remain, or the timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active > streams_open:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


def _refuse(sock: socket.socket) -> None:
    """Over the connection cap: a short 503 from the accepting thread, bounded."""
    body = b'{"error": "too many connections"}\n'
    with contextlib.suppress(OSError):
        sock.settimeout(1.0)
        sock.sendall(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Retry-After: " + RETRY_AFTER.encode() + b"\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked log streams: a cut stream is visible as such
    server_version = "benchgen-serve"
    sys_version = ""
    timeout = CLIENT_TIMEOUT  # socket timeout: request reading and every write
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # One line per request; the Authorization header is never logged.
        print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)

    def do_GET(self) -> None:
        self.close_connection = True  # one request per connection: no idle threads
        path = urlsplit(self.path).path
        if path == "/health":
            self._json(HTTPStatus.OK, {"status": "ok"})
            return
        route, _, run = path.lstrip("/").partition("/")
        if route not in ("status", "logs") or not run:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        # Credentials before anything about runs: without them, nothing is told,
        # not even whether a run exists.
        creds = self.server.config.credentials
        if not creds.accepts(self.headers.get("Authorization")):
            self._json(
                HTTPStatus.UNAUTHORIZED,
                {"error": "missing or wrong credentials"},
                {"WWW-Authenticate": creds.challenge},
            )
            return
        run = unquote(run)
        if not is_object_name(run):
            self._json(HTTPStatus.NOT_FOUND, {"run": run, "error": "no such run"})
            return
        if route == "status":
            self._status(run)
        else:
            self._logs(run)

    def _find(self, run: str) -> dict[str, Any] | None:
        """The run, or None after answering 404/503/500 itself."""
        from generator.runtime.kube import KubeRefusedError, KubeUnavailableError

        try:
            found = self.server.source.find_run(run)
        except KubeUnavailableError as exc:
            self.log_message("API server unavailable: %s", exc)
            self._json(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"run": run, "error": "the Kubernetes API server is unavailable"},
                {"Retry-After": RETRY_AFTER},
            )
            return None
        except KubeRefusedError as exc:
            # A deployment problem (RBAC): logged in full, not told to the client.
            self.log_message("API server refused: %s", exc)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"run": run, "error": "server error"})
            return None
        if found is None:
            self._json(HTTPStatus.NOT_FOUND, {"run": run, "error": "no such run"})
        return found

    def _status(self, run: str) -> None:
        found = self._find(run)
        if found is not None:
            status = run_status(found)
            self._json(HTTPStatus(status.http_status), status.to_json())

    def _logs(self, run: str) -> None:
        if not self.server.streams.acquire(blocking=False):
            self._json(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"run": run, "error": "too many log streams"},
                {"Retry-After": RETRY_AFTER},
            )
            return
        try:
            if self._find(run) is None:
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("X-Accel-Buffering", "no")  # reverse proxies: do not buffer
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            try:
                stream_run_logs(
                    self.server.source,
                    run,
                    self._chunk,
                    stop=self.server.stopping,
                    poll_interval=self.server.config.poll_interval,
                    alive=self._client_connected,
                )
                self.wfile.write(b"0\r\n\r\n")  # the end: the run has finished
                self.wfile.flush()
            except StreamStopped:
                # Shutting down: no terminating chunk, so `curl` reports a cut
                # transfer (exit 18) instead of a log that ended.
                self.log_message("log stream of %s cut by shutdown", run)
            except OSError:
                self.log_message("client left the log stream of %s", run)
        finally:
            self.server.streams.release()

    def _client_connected(self) -> bool:
        """False once the client has closed: it sends nothing after its request
        (one request per connection), so a readable socket means EOF or reset."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return not readable or self.connection.recv(1, socket.MSG_PEEK) != b""
        except (OSError, ValueError):
            return False

    def _chunk(self, data: bytes) -> None:
        # A write to a socket the client closed may still succeed (the reset
        # comes later): look first, so a departed client is noticed at once.
        if not self._client_connected():
            raise ConnectionAbortedError("the client closed the connection")
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _json(
        self, status: HTTPStatus, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_only(self) -> None:
        self.close_connection = True
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "read-only"}, {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _read_only


def run_serve(env: Mapping[str, str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; exit 0. Bad config: InputError (exit 2)."""
    from generator.runtime.kube import RunReader, serve_api_client

    config = load_config(os.environ if env is None else env)
    try:
        api = serve_api_client(pool_size=config.max_streams + SPARE_CONNECTIONS)
    except Exception as exc:  # the client's config errors have no common base
        raise InputError(f"no Kubernetes credentials (in-cluster or kubeconfig): {exc}") from None
    source = RunReader(api, config.namespace, config.selector)
    try:
        server = _Server(config, source)
    except OSError as exc:
        raise InputError(f"cannot listen on port {config.port}: {exc}") from None

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    thread.start()
    print(
        f"benchgen-poller serve: listening on :{server.server_address[1]}, namespace"
        f" {config.namespace}, selector {config.selector}, auth {config.credentials.scheme}",
        file=sys.stderr,
        flush=True,
    )
    while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    print("benchgen-poller serve: stopping", file=sys.stderr, flush=True)
    server.stopping.set()  # log streams end at their next chunk or poll
    server.shutdown()  # no new connections
    server.wait_idle(SHUTDOWN_GRACE)
    server.server_close()
    return 0
