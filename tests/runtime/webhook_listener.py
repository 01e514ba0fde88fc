"""A loopback stand-in for a Triggers EventListener with a webhook interceptor.

Like the real EventListener (Triggers >= v0.13, tektoncd/triggers#931) it
answers ``202`` with ``{"eventListener", "namespace", "eventListenerUID",
"eventID"}`` as soon as it has read a JSON body (``400`` otherwise), and the
interceptor decides afterwards whether a run starts. The interceptor checks
here are those of Triggers: GitHub (``X-Hub-Signature-256`` is the HMAC-SHA256
of the exact body, compared in constant time; ``X-GitHub-Event`` in the
allowed types), GitLab (``X-Gitlab-Token`` equals the secret;
``X-Gitlab-Event``), or a token header (the generator's CEL check). With
``reject_status`` set, a rejected event is answered with that status instead
(the way test_trigger.py's listener does), so refusals can be tested.

Runs are named by the event id (``id_path`` in the body): a second accepted
event with the same id is refused by "the API server" (recorded in
``duplicates``), as a PipelineRun name collision is.

Faults: ``fail(503, 503)`` answers the next requests with those statuses;
``fail(0)`` drops the connection after reading the request. ``on_accept`` is
called with each accepted body before the answer goes out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.runtime.fake_server import LoopbackServer, QuietHandler


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    accepted: bool  # the interceptor let it through
    reason: str


@dataclass
class Interceptor:
    type: str = "none"  # none, github, gitlab, token
    secret: bytes = b""
    header: str = ""
    event_types: list[str] = field(default_factory=list)

    def check(self, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        h = {k.lower(): v for k, v in headers.items()}
        if self.type == "none":
            return True, "no auth"
        if self.type == "github":
            got = h.get("x-hub-signature-256", "")
            want = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(got.encode(), want.encode()):
                return False, "signature mismatch"
            if self.event_types and h.get("x-github-event") not in self.event_types:
                return False, f"event type {h.get('x-github-event')!r} is not allowed"
            return True, "signature ok"
        if self.type == "gitlab":
            if not hmac.compare_digest(h.get("x-gitlab-token", "").encode(), self.secret):
                return False, "token mismatch"
            if self.event_types and h.get("x-gitlab-event") not in self.event_types:
                return False, f"event type {h.get('x-gitlab-event')!r} is not allowed"
            return True, "token ok"
        got = h.get(self.header.lower(), "")
        if not hmac.compare_digest(got.encode(), self.secret):
            return False, "token mismatch"
        return True, "token ok"


class WebhookListener(LoopbackServer):
    def __init__(
        self,
        interceptor: Interceptor | None = None,
        *,
        id_path: str | None = None,
        reject_status: int | None = None,
    ) -> None:
        super().__init__(_Handler)
        self.interceptor = interceptor or Interceptor()
        self.id_path = id_path
        self.reject_status = reject_status
        self.received: list[Received] = []
        self.runs: dict[str, dict[str, Any]] = {}  # event id (run name) -> body
        self.duplicates: list[str] = []
        self.faults: list[int] = []
        self.lock = threading.Lock()
        # Called with each accepted body before the answer (e.g. to play a concurrent writer).
        self.on_accept: Callable[[dict[str, Any]], None] | None = None

    def fail(self, *statuses: int) -> None:
        with self.lock:
            self.faults += statuses

    def accepted(self) -> list[dict[str, Any]]:
        """The bodies the interceptor let through, in arrival order."""
        return [json.loads(r.body) for r in self.received if r.accepted]

    def rejected(self) -> list[Received]:
        return [r for r in self.received if not r.accepted]


class _Handler(QuietHandler):
    server: WebhookListener

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with srv.lock:
            fault = srv.faults.pop(0) if srv.faults else None
        if fault == 0:
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None:
            self._reply(fault, b"unavailable", "text/plain")
            return
        try:
            data = json.loads(body)
        except ValueError:
            self._reply(400, b'{"error":"invalid event body"}')
            return
        headers = dict(self.headers.items())
        ok, reason = srv.interceptor.check(body, headers)
        with srv.lock:
            srv.received.append(Received(body, headers, ok, reason))
            if ok and srv.id_path:
                node: Any = data
                for part in srv.id_path.split("."):
                    node = node.get(part) if isinstance(node, dict) else None
                run = str(node)
                if run in srv.runs:
                    srv.duplicates.append(run)
                else:
                    srv.runs[run] = data
        if ok and srv.on_accept is not None:
            srv.on_accept(data)
        if not ok and srv.reject_status:
            self._reply(srv.reject_status, reason.encode(), "text/plain")
            return
        answer = {
            "eventListener": "sast-listener",
            "namespace": "benchgen",
            "eventListenerUID": "8c3b1c7e-0000-4000-8000-000000000000",
            "eventID": str(uuid.uuid4()),
        }
        self._reply(202, json.dumps(answer).encode())
