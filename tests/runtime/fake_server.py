"""The server plumbing the loopback HTTP fakes share (fake_kube_api.py, fake_github.py,
fake_commit_status.py, fake_orchestrator.py, fake_gitlab.py, webhook_listener.py,
slack_hook.py, observe_sink.py, and tests/test_trigger.py's recorder): a
threaded server on a free port of ``host``, serving from ``with`` (or ``start()``) until
the block ends (or ``stop()``), and a handler base that keeps the access log out of the
test output.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer(ThreadingHTTPServer):
    # A handler stuck on a client that never finishes must not keep pytest from exiting.
    daemon_threads = True
    # How often serve_forever looks for a shutdown: what stop() may wait. A fake that tests
    # start and stop by the hundred (the orchestrator's) sets it shorter.
    poll_interval = 0.5

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """``host``: where to listen (the real-cluster suite uses the node's address);
        ``port``: 0 for a free one (a fixed one to run a fake by hand)."""
        super().__init__((host, port), handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": self.poll_interval}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 with keep-alive, as the real APIs answer: a client's connection reuse is exercised.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass
