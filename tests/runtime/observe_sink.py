"""A real CloudEvents receiver on loopback, for the observer's tests.

Every request is parsed with the CloudEvents SDK in binary content mode (a
structured or malformed request is answered 400 and recorded as such), then
answered 202, or with a scripted failure:

    with CloudEventSink() as sink:
        sink.fail_next(2, status=500)        # the next two requests get 500
        sink.failing = 503                   # every request gets 503 until reset to None
        sink.before_answer = lambda ev: ...  # runs before the answer (e.g. kill the sender)
        ...
        sink.wait_for(5)                     # five acknowledged events
        [e.id for e in sink.acked]

``acked`` holds what was answered 2xx, ``requests`` everything received.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from tests.runtime.fake_server import LoopbackServer, QuietHandler


@dataclass
class Received:
    """One request as the sink saw it."""

    status: int
    headers: dict[str, str]
    attributes: dict[str, Any] = field(default_factory=dict)
    data: Any = None
    error: str = ""

    @property
    def id(self) -> str:
        return str(self.attributes.get("id"))

    @property
    def type(self) -> str:
        return str(self.attributes.get("type"))

    @property
    def subject(self) -> str:
        return str(self.attributes.get("subject"))


class CloudEventSink:
    def __init__(self, host: str = "127.0.0.1") -> None:
        """``host``: where to listen (the real-cluster suite uses the node's address)."""
        self.requests: list[Received] = []
        self.acked: list[Received] = []
        self.failing: int | None = None
        self.before_answer: Callable[[Received], None] | None = None
        self._fail_next: list[int] = []
        self._cv = threading.Condition()
        sink = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                sink._handle(self, body)

        self._server = LoopbackServer(Handler, host)

    @property
    def url(self) -> str:
        return self._server.url + "/"

    def __enter__(self) -> CloudEventSink:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._cv:
            self._fail_next.extend([status] * count)

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        rec = Received(status=400, headers=headers)
        if "ce-specversion" not in headers or "ce-id" not in headers:
            rec.error = "not a binary-mode CloudEvent"
        else:
            try:
                event = from_binary(HTTPMessage(headers=headers, body=body), JSONFormat())
                rec.attributes = dict(event.get_attributes())
                rec.data = event.get_data()
                rec.status = 202
            except Exception as exc:  # the SDK's validation errors
                rec.error = f"{type(exc).__name__}: {exc}"
        with self._cv:
            if rec.status == 202:
                if self._fail_next:
                    rec.status = self._fail_next.pop(0)
                elif self.failing is not None:
                    rec.status = self.failing
        if rec.status == 202 and self.before_answer is not None:
            self.before_answer(rec)
        with self._cv:
            self.requests.append(rec)
            if rec.status == 202:
                self.acked.append(rec)
            self._cv.notify_all()
        payload = rec.error.encode() or b""
        # The sender may be gone (a test killed it in before_answer).
        with contextlib.suppress(OSError):
            handler.send_response(rec.status)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` events were acknowledged; all of them."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while len(self.acked) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [f"{r.type} {r.subject}" for r in self.acked]
                    raise TimeoutError(f"{len(self.acked)}/{count} events after {timeout}s: {got}")
                self._cv.wait(left)
            return list(self.acked)
