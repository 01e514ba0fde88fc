"""The server plumbing the loopback HTTP fakes share (fake_kube_api.py, fake_github.py,
fake_commit_status.py): a threaded server on a free port of ``host``, serving from
``with`` until the block ends, and a handler base that keeps the access log out of
the test output.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer(ThreadingHTTPServer):
    # A handler stuck on a client that never finishes must not keep pytest from exiting.
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> None:
        """``host``: where to listen (the real-cluster suite uses the node's address)."""
        super().__init__((host, 0), handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 with keep-alive, as the real APIs answer: a client's connection reuse is exercised.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass
