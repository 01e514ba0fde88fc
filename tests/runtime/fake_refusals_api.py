"""A loopback stand-in for the Kubernetes API server, as ``record-refusals`` uses it
(generator/runtime/refusals.py).

It answers, as the API server does (core/v1 and tekton.dev/v1 REST paths):

- ``GET /api/v1/namespaces/<ns>/configmaps/<name>``: ``200`` with the ConfigMap and
  its ``metadata.resourceVersion``, else ``404`` (a ``Status``, reason ``NotFound``);
- ``PATCH`` of it with ``Content-Type: application/merge-patch+json``: a body whose
  ``metadata.resourceVersion`` differs from the stored one is a ``409`` (reason
  ``Conflict``); otherwise ``data`` is merged (RFC 7386) and the resourceVersion
  moves on. Another content type is a ``415``;
- ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns?labelSelector=k=v``: a
  ``PipelineRunList`` of the runs carrying that label (one equality term only).

``401`` without the bearer token of its kubeconfig; ``403`` (``Forbidden``) for a
ConfigMap other than ``allowed`` (the Role's resourceNames); anything else ``405``.
``meddle(data)`` makes the next PATCH find the ConfigMap changed by another writer.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOKEN = "fake-serviceaccount-token"
_RUNS = re.compile(r"/apis/tekton\.dev/v1/namespaces/([a-z0-9-]+)/pipelineruns")
_CM = re.compile(r"/api/v1/namespaces/([a-z0-9-]+)/configmaps/([a-z0-9.-]+)")


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


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, allowed: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.allowed = allowed
        self.config_maps: dict[tuple[str, str], dict[str, Any]] = {}
        self.runs: list[dict[str, Any]] = []
        self.version = 100
        self.meddling: list[dict[str, str]] = []
        self.conflicts = 0
        self.queries: list[str] = []  # the query of each PATCH (fieldManager)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeApi:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: c, cluster: {{server: '{self.url}'}}}}]\n"
            f"users: [{{name: u, user: {{token: {TOKEN}}}}}]\n"
            "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        )
        return path

    def _bump(self) -> str:
        self.version += 1
        return str(self.version)

    def create_config_map(self, namespace: str, name: str) -> None:
        with self.lock:
            meta = {"name": name, "namespace": namespace, "resourceVersion": self._bump()}
            self.config_maps[(namespace, name)] = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": meta,
            }

    def data(self, namespace: str, name: str) -> dict[str, str]:
        with self.lock:
            return dict(self.config_maps[(namespace, name)].get("data") or {})

    def create_run(self, namespace: str, name: str, labels: dict[str, str]) -> None:
        with self.lock:
            self.runs.append(
                {
                    "apiVersion": "tekton.dev/v1",
                    "kind": "PipelineRun",
                    "metadata": {"name": name, "namespace": namespace, "labels": labels},
                }
            )

    def meddle(self, data: dict[str, str]) -> None:
        with self.lock:
            self.meddling.append(data)


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi
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

    do_POST = do_PUT = do_DELETE = _refuse

    def _authenticated(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, _status(401, "Unauthorized", "Unauthorized"))
            return False
        return True

    def _forbidden(self, namespace: str, name: str, verb: str) -> bool:
        if name == self.server.allowed:
            return False
        message = (
            f'configmaps "{name}" is forbidden: User "system:serviceaccount:{namespace}:'
            f'bench-refusals" cannot {verb} resource "configmaps" in API group "" in the'
            f' namespace "{namespace}"'
        )
        self._reply(403, _status(403, "Forbidden", message))
        return True

    def do_GET(self) -> None:
        if not self._authenticated():
            return
        srv = self.server
        path, _, query = self.path.partition("?")
        runs = _RUNS.fullmatch(path)
        cm = _CM.fullmatch(path)
        if runs is not None:
            selector = urllib.parse.parse_qs(query).get("labelSelector", [""])[0]
            key, _, value = selector.partition("=")
            with srv.lock:
                items = [
                    r
                    for r in srv.runs
                    if r["metadata"]["namespace"] == runs.group(1)
                    and r["metadata"]["labels"].get(key) == value
                ]
                version = srv.version
            self._reply(
                200,
                {
                    "apiVersion": "tekton.dev/v1",
                    "kind": "PipelineRunList",
                    "metadata": {"resourceVersion": str(version)},
                    "items": items,
                },
            )
        elif cm is not None:
            namespace, name = cm.groups()
            if self._forbidden(namespace, name, "get"):
                return
            with srv.lock:
                obj = srv.config_maps.get((namespace, name))
                obj = json.loads(json.dumps(obj)) if obj else None
            if obj is None:
                self._reply(404, _status(404, "NotFound", f'configmaps "{name}" not found'))
            else:
                self._reply(200, obj)
        else:
            self._refuse()

    def do_PATCH(self) -> None:
        if not self._authenticated():
            return
        srv = self.server
        path, _, query = self.path.partition("?")
        cm = _CM.fullmatch(path)
        if cm is None:
            self._refuse()
            return
        with srv.lock:
            srv.queries.append(query)
        namespace, name = cm.groups()
        if self._forbidden(namespace, name, "patch"):
            return
        if self.headers.get("Content-Type") != "application/merge-patch+json":
            self._reply(415, _status(415, "UnsupportedMediaType", "merge patch only here"))
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with srv.lock:
            obj = srv.config_maps.get((namespace, name))
            if obj is None:
                self._reply(404, _status(404, "NotFound", f'configmaps "{name}" not found'))
                return
            if srv.meddling:  # another writer got there first
                obj.setdefault("data", {}).update(srv.meddling.pop(0))
                obj["metadata"]["resourceVersion"] = srv._bump()
            wanted = body.get("metadata", {}).get("resourceVersion")
            if wanted is not None and wanted != obj["metadata"]["resourceVersion"]:
                srv.conflicts += 1
                message = (
                    f'Operation cannot be fulfilled on configmaps "{name}": the object has been'
                    " modified; please apply your changes to the latest version and try again"
                )
                self._reply(409, _status(409, "Conflict", message))
                return
            data = obj.setdefault("data", {})
            for key, value in (body.get("data") or {}).items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            obj["metadata"]["resourceVersion"] = srv._bump()
            answer = json.loads(json.dumps(obj))
        self._reply(200, answer)
