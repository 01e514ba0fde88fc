"""A fake kubelet, so that ``pods/log`` works through the real API server.

There is no container runtime here, so Pods never run; but a controller that
reads step logs does so through the API server's ``pods/{name}/log``
subresource, which the API server answers by proxying to the kubelet of the
Pod's node. This module is that kubelet's log endpoint, and nothing else:

    kubelet = FakeKubelet.start(cluster)        # serving cert from the harness CA
    create_pod(cluster, ns, "run-1-pod", ["step-build"])   # bound to kubelet.node_name
    kubelet.write(ns, "run-1-pod", "step-build", "compiling\\n")
    ...GET /api/v1/namespaces/ns/pods/run-1-pod/log?container=step-build&follow=true
    kubelet.finish(ns, "run-1-pod", "step-build")   # a follow stream ends here

What the API server does (kube-apiserver v1.35, ``pkg/registry/core/pod``
``LogLocation`` and ``pkg/kubelet/client``): it reads the Pod, takes
``spec.nodeName``, reads that Node, picks the first of its
``status.addresses`` in the order of ``--kubelet-preferred-address-types``
and the port ``status.daemonEndpoints.kubeletEndpoint.Port``, and sends
``GET https://<address>:<port>/containerLogs/<ns>/<pod>/<container>?follow=true
&tailLines=..&limitBytes=..&timestamps=true&sinceSeconds=..&sinceTime=..&previous=true``
over TLS verified with ``--kubelet-certificate-authority`` (no ServerName: the
certificate must name the IP), authenticating with
``--kubelet-client-certificate/-key``. A non-2xx answer becomes an API error
with the kubelet's text; with ``follow`` the body is flushed through as it comes.

What this kubelet does, following the real one (``pkg/kubelet/server`` and
``kubelet_pods.go`` ``validateContainerLogStatus``):

- requires a client certificate signed by the harness CA (the real kubelet
  authenticates the API server by x509, then authorizes it);
- a container it was never told about answers ``400`` "container "c" in pod
  "p" is waiting to start: ContainerCreating" (the API server turns it into a
  400 for the client, as with a real Pod still being created); a pod it knows
  nothing of at all answers ``404`` "pod "p" does not exist";
- ``previous=true`` answers ``400`` (no container ever restarts here);
- the body is chunked; with ``follow=true`` it stays open and new writes are
  sent as they happen, until ``finish()`` marks the container terminated;
- ``tailLines`` (the last N lines present when the request arrives),
  ``limitBytes`` (the stream stops after N bytes), ``timestamps``
  (``RFC3339Nano`` + space before each line), ``sinceSeconds``/``sinceTime``
  (lines written at or after that time).

Every request is recorded (``kubelet.requests``) so a test can assert what the
API server asked for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import select
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.e2e.cluster import KubeAPIError, KubeClient, _free_port

if TYPE_CHECKING:
    from tests.e2e.cluster import Cluster

NODE_NAME = "benchgen-e2e-node"


@dataclass
class _Line:
    at: dt.datetime
    data: bytes  # one line with its "\n", or a trailing partial line


@dataclass
class _Container:
    lines: list[_Line] = field(default_factory=list)
    finished: bool = False


@dataclass(frozen=True)
class LogRequest:
    """One ``/containerLogs`` request as the kubelet received it."""

    namespace: str
    pod: str
    container: str
    query: dict[str, str]
    client_cn: str


def _rfc3339nano(at: dt.datetime) -> str:
    # Go's time.RFC3339Nano drops trailing zeros of the fraction; the kubelet
    # (CRI log format) writes nine digits. Nine digits are what clients parse.
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond * 1000:09d}Z"


class FakeKubelet:
    """The kubelet's ``GET /containerLogs/{ns}/{pod}/{container}`` on loopback HTTPS."""

    def __init__(self, server: _Server, node_name: str) -> None:
        self._server = server
        self.node_name = node_name
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, cluster: Cluster, node_name: str = NODE_NAME) -> FakeKubelet:
        """Serve on 127.0.0.1 with a certificate from the cluster's CA, and register
        the Node the API server will look up."""
        cert = cluster.ca.issue(
            f"kubelet-{node_name}", f"system:node:{node_name}", hosts=("127.0.0.1",), server=True
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert.cert, cert.key)
        context.verify_mode = ssl.CERT_REQUIRED  # only the API server may ask
        context.load_verify_locations(cluster.ca_file)
        server = _Server(("127.0.0.1", _free_port()), context)
        kubelet = cls(server, node_name)
        try:
            kubelet.register(cluster)
        except BaseException:
            kubelet.stop()
            raise
        return kubelet

    def register(self, client: KubeClient) -> None:
        """Create (or update) the Node with the address and port the API server uses."""
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.node_name, "labels": {"kubernetes.io/os": "linux"}},
        }
        try:
            client.create(node)
        except KubeAPIError as exc:
            if exc.status != 409:
                raise
        status = {
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": self.node_name},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "fake kubelet (log endpoint only)",
                        "lastHeartbeatTime": _rfc3339(dt.datetime.now(dt.UTC)),
                        "lastTransitionTime": _rfc3339(dt.datetime.now(dt.UTC)),
                    }
                ],
            }
        }
        client.patch("v1", "Node", self.node_name, status, subresource="status")

    # -- the "container runtime" -----------------------------------------

    def start_container(self, namespace: str, pod: str, container: str) -> None:
        """The container is running (empty log): requests no longer answer 400."""
        with self._server.changed:
            self._server.containers.setdefault((namespace, pod, container), _Container())
            self._server.changed.notify_all()

    def write(self, namespace: str, pod: str, container: str, text: str | bytes) -> None:
        """Append to the container's log (starting it if needed); followers get it now."""
        data = text.encode() if isinstance(text, str) else text
        now = dt.datetime.now(dt.UTC)
        with self._server.changed:
            c = self._server.containers.setdefault((namespace, pod, container), _Container())
            if c.finished:
                raise RuntimeError(f"{namespace}/{pod}/{container} has finished")
            for part in data.splitlines(keepends=True):
                # A write continuing a partial line extends it (the runtime's "P" records).
                if c.lines and not c.lines[-1].data.endswith(b"\n"):
                    c.lines[-1].data += part
                else:
                    c.lines.append(_Line(now, part))
            self._server.changed.notify_all()

    def finish(self, namespace: str, pod: str, container: str) -> None:
        """The container terminated: follow streams end after what was written."""
        with self._server.changed:
            c = self._server.containers.setdefault((namespace, pod, container), _Container())
            c.finished = True
            self._server.changed.notify_all()

    def log(self, namespace: str, pod: str, container: str) -> bytes:
        with self._server.changed:
            c = self._server.containers.get((namespace, pod, container), _Container())
            return b"".join(line.data for line in c.lines)

    @property
    def requests(self) -> list[LogRequest]:
        with self._server.changed:
            return list(self._server.requests)

    def open_streams(self) -> int:
        """How many follow streams are open right now."""
        with self._server.changed:
            return self._server.streams

    def stop(self) -> None:
        """End every stream and stop serving."""
        with self._server.changed:
            self._server.stopping = True
            self._server.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _rfc3339(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext) -> None:
        self.context = context
        self.changed = threading.Condition()
        self.containers: dict[tuple[str, str, str], _Container] = {}
        self.requests: list[LogRequest] = []
        self.streams = 0
        self.stopping = False
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens in the connection's own thread, not in accept().
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(tls, client_address)


def _common_name(conn: Any) -> str:
    """The CN of the verified client certificate (the API server's identity)."""
    cert = conn.getpeercert() if isinstance(conn, ssl.SSLSocket) else None
    subject: Any = (cert or {}).get("subject", ())  # ((("commonName", "x"),), ...)
    for rdn in subject:
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


class _BadRequest(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer needs 1.1
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet under pytest
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")]
        if len(parts) != 5 or parts[1] != "containerLogs" or not all(parts[2:]):
            self._error(HTTPStatus.NOT_FOUND, "404 page not found")
            return
        _, _, namespace, pod, container = parts
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        cn = _common_name(self.connection)
        with self.server.changed:
            self.server.requests.append(LogRequest(namespace, pod, container, query, cn))
        try:
            opts = _Options.parse(query)
            key = (namespace, pod, container)
            with self.server.changed:
                if key not in self.server.containers:
                    if not any(k[:2] == (namespace, pod) for k in self.server.containers):
                        raise _BadRequest(HTTPStatus.NOT_FOUND, f'pod "{pod}" does not exist')
                    raise _BadRequest(
                        HTTPStatus.BAD_REQUEST,
                        f'container "{container}" in pod "{pod}" is waiting to start:'
                        " ContainerCreating",
                    )
        except _BadRequest as exc:
            self._error(exc.status, exc.message)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with self.server.changed:
            self.server.streams += 1
        try:
            for data in self._lines(key, opts):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the API server hung up (its client went away)
            self.close_connection = True
        finally:
            with self.server.changed:
                self.server.streams -= 1

    def _lines(self, key: tuple[str, str, str], opts: _Options) -> Iterator[bytes]:
        sent = 0
        with self.server.changed:
            c = self.server.containers[key]
            start = 0
            if opts.tail_lines is not None:
                start = max(0, len(c.lines) - opts.tail_lines)
        index = start
        while True:
            with self.server.changed:
                while (
                    index >= len(c.lines)
                    and opts.follow
                    and not c.finished
                    and not self.server.stopping
                ):
                    self.server.changed.wait(timeout=0.2)
                    if self._peer_closed():
                        return
                batch = c.lines[index:]
                index = len(c.lines)
                done = not opts.follow or c.finished or self.server.stopping
            out = b"".join(
                (_rfc3339nano(line.at).encode() + b" " if opts.timestamps else b"") + line.data
                for line in batch
                if opts.since is None or line.at >= opts.since
            )
            if opts.limit_bytes is not None:
                out = out[: max(0, opts.limit_bytes - sent)]
            if out:
                sent += len(out)
                yield out
            if opts.limit_bytes is not None and sent >= opts.limit_bytes:
                return
            # After `done` one more pass has picked up the last lines: stop.
            if done:
                return

    def _peer_closed(self) -> bool:
        """Go's HTTP server reads the connection in the background and cancels a
        request whose client went away; the kubelet's log stream ends with it.
        Same here: after its request the API server sends nothing on this
        connection but its closing (TLS close_notify, FIN), so readable = gone."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _error(self, status: HTTPStatus, message: str) -> None:
        body = message.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass(frozen=True)
class _Options:
    follow: bool
    timestamps: bool
    tail_lines: int | None
    limit_bytes: int | None
    since: dt.datetime | None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> _Options:
        def flag(name: str) -> bool:
            return query.get(name, "false").lower() == "true"

        def number(name: str) -> int | None:
            if name not in query:
                return None
            try:
                value = int(query[name])
            except ValueError:
                raise _BadRequest(
                    HTTPStatus.BAD_REQUEST, '{"message": "Unable to decode query."}'
                ) from None
            if value < 0 or (name != "tailLines" and value == 0):
                raise _BadRequest(
                    HTTPStatus.UNPROCESSABLE_ENTITY, '{"message": "Invalid request."}'
                )
            return value

        if flag("previous"):
            raise _BadRequest(
                HTTPStatus.BAD_REQUEST, "previous terminated container not found (fake kubelet)"
            )
        since: dt.datetime | None = None
        if "sinceTime" in query:
            since = _parse_time(query["sinceTime"])
        elif (seconds := number("sinceSeconds")) is not None:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
        return cls(
            follow=flag("follow"),
            timestamps=flag("timestamps"),
            tail_lines=number("tailLines"),
            limit_bytes=number("limitBytes"),
            since=since,
        )


def create_pod(
    client: KubeClient,
    namespace: str,
    name: str,
    containers: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    node_name: str = NODE_NAME,
) -> dict[str, Any]:
    """A Pod bound to the fake kubelet's node (no scheduler runs: ``spec.nodeName``
    is set at creation, as the scheduler's binding would).

    The ServiceAccount admission plugin refuses Pods whose ServiceAccount does not
    exist, and no controller creates ``default`` here, so it is created first."""
    with contextlib.suppress(KubeAPIError):  # 409: it exists
        client.create(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": namespace},
            }
        )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {
            "nodeName": node_name,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "containers": [{"name": c, "image": "registry.invalid/step:1"} for c in containers],
        },
    }
    return client.create(pod)


def wait_for_streams(kubelet: FakeKubelet, count: int, timeout: float = 10.0) -> None:
    """Until ``count`` follow streams are open (a follower has caught up)."""
    deadline = time.monotonic() + timeout
    while kubelet.open_streams() < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{kubelet.open_streams()} log streams open, wanted {count}")
        time.sleep(0.05)
