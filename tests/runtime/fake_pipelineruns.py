"""A loopback stand-in for the Kubernetes API server's PipelineRun GET, for ``send``
and ``watch-releases`` looking for the run an event started.

It answers ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns/<name>`` as the
API server does: ``401`` without the bearer token of its kubeconfig, ``403`` (a
``Status``, reason ``Forbidden``) when ``forbidden`` is set (the ServiceAccount
has no ``get``), ``200`` with the object when it exists, else ``404`` (a
``Status``, reason ``NotFound``). Any other request is a ``405``: nothing else
may be asked. Faults: ``fail(503, 0)`` answers the next GETs with those
statuses, ``0`` dropping the connection. ``create`` plays the listener's
TriggerTemplate (a gated run is created pending).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOKEN = "fake-serviceaccount-token"
_PATH = re.compile(r"/apis/tekton\.dev/v1/namespaces/([a-z0-9-]+)/pipelineruns/([a-z0-9.-]+)")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class FakePipelineRuns(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.runs: dict[tuple[str, str], dict[str, Any]] = {}
        self.gets: list[tuple[str, str]] = []  # (namespace, name) of every GET answered
        self.faults: list[int] = []
        self.forbidden = False
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakePipelineRuns:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for this server and its token, written to ``path``."""
        path.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: c, cluster: {{server: '{self.url}'}}}}]\n"
            f"users: [{{name: u, user: {{token: {TOKEN}}}}}]\n"
            "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        )
        return path

    def fail(self, *statuses: int) -> None:
        with self.lock:
            self.faults += statuses

    def create(self, namespace: str, name: str, *, pending: bool = False) -> None:
        spec: dict[str, Any] = {"pipelineRef": {"name": "bench-pipeline"}}
        if pending:
            spec["status"] = "PipelineRunPending"
        obj = {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
            "spec": spec,
        }
        with self.lock:
            self.runs[(namespace, name)] = obj

    def names(self) -> list[str]:
        with self.lock:
            return sorted(name for _, name in self.runs)


class _Handler(BaseHTTPRequestHandler):
    server: FakePipelineRuns
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        self._reply(405, _status(405, "MethodNotAllowed", f"{self.command} is not served here"))

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def do_GET(self) -> None:
        srv = self.server
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        m = _PATH.fullmatch(self.path)
        if m is None:
            self._refuse()
            return
        namespace, name = m.groups()
        with srv.lock:
            fault = srv.faults.pop(0) if srv.faults else None
            obj = srv.runs.get((namespace, name))
            srv.gets.append((namespace, name))
        if fault == 0:
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None:
            self._reply(fault, _status(fault, "ServiceUnavailable", "etcd is not answering"))
        elif srv.forbidden:
            message = (
                f'pipelineruns.tekton.dev "{name}" is forbidden: User "system:serviceaccount:'
                f'{namespace}:sched" cannot get resource "pipelineruns" in API group'
                f' "tekton.dev" in the namespace "{namespace}"'
            )
            self._reply(403, _status(403, "Forbidden", message))
        elif obj is None:
            message = f'pipelineruns.tekton.dev "{name}" not found'
            self._reply(404, _status(404, "NotFound", message))
        else:
            self._reply(200, obj)
