"""A loopback Slack-compatible incoming webhook (test_notify, and the notify
finally task on the real cluster in tests/cluster/test_gate_observer.py): it
records each POST's path, headers and JSON body and answers like Slack
(``200 ok``), or as ``script`` says. It serves from its creation until ``stop()``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.runtime.fake_server import LoopbackServer, QuietHandler

# Slack's URLs carry the token in their path: it must never be printed.
TOKEN_PATH = "/services/T0000/B0000/s3cr3t-t0ken-in-the-path"


@dataclass
class SlackHook:
    """A loopback incoming webhook answering like Slack's."""

    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    drop_next: int = 0
    host: str = "127.0.0.1"  # the real-cluster suite listens on the node's address

    def __post_init__(self) -> None:
        hook = self

        class Handler(QuietHandler):
            # HTTP/1.0, one request a connection: a connection dropped unanswered
            # (drop_next) ends its exchange, no next request is read from it.
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.drop_next:
                    hook.drop_next -= 1
                    self.connection.close()  # no answer at all
                    return
                hook.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)}
                )
                status, text, headers = hook.script.pop(0) if hook.script else (200, "ok", {})
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = LoopbackServer(Handler, self.host).start()
        self.url = self.server.url + TOKEN_PATH

    def stop(self) -> None:
        self.server.stop()
