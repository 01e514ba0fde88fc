"""A loopback stand-in for the Kubernetes API server: its REST paths (core/v1 and
tekton.dev/v1), answers and ``Status`` bodies, for the runtime's tests.

Each fake (fake_pipelineruns.py, fake_deliveries.py, fake_refusals_api.py) is a
:class:`FakeKubeApi` that serves only the ``routes`` its client needs, so that any
other request is a ``405`` (a ``Status``, reason ``MethodNotAllowed``): a method
none of its routes serves is refused before authentication, a path none matches
after (the query string aside).
The routes, as the API server answers them:

- :meth:`KubeHandler.get_run`, ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns/<name>``:
  ``200`` with the run, ``404`` (reason ``NotFound``) without one, ``403`` (reason
  ``Forbidden``) when ``forbidden`` is set (the ServiceAccount has no ``get``). Every
  such GET is recorded in ``gets``, faulted ones too.
- :meth:`KubeHandler.list_runs`, ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns``
  with ``?labelSelector=k=v``: a ``PipelineRunList`` of the runs carrying that label
  (one equality term only).
- :meth:`KubeHandler.get_config_map`, ``GET /api/v1/namespaces/<ns>/configmaps/<name>``:
  ``200`` with the ConfigMap and its ``metadata.resourceVersion``, else ``404``.
- :meth:`KubeHandler.patch_config_map`, ``PATCH`` of that ConfigMap with
  ``Content-Type: application/merge-patch+json`` (another type is a ``415``): a body
  whose ``metadata.resourceVersion`` differs from the stored one is a ``409`` (reason
  ``Conflict``, the API server's optimistic concurrency); otherwise ``data`` is merged
  (RFC 7386: ``null`` deletes a key), the resourceVersion moves on and the object is
  answered. The query (the ``fieldManager``) of every PATCH that gets past the faults
  and the Role is recorded in ``queries``; ``patches`` and ``conflicts`` count outcomes.

A ConfigMap not in ``allowed`` (the Role's resourceNames) is a ``403``. ``401``
without the bearer token of :meth:`FakeKubeApi.kubeconfig`. Faults: ``fail(503, 0)``
answers the next served requests with those statuses (a ``Status``, reason
``ServiceUnavailable``), ``0`` dropping the connection; ``meddle(data)`` makes the
next PATCH find the ConfigMap changed by another writer first (its keys added), as a
second replica would.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tests.runtime.fake_server import LoopbackServer, QuietHandler

TOKEN = "fake-serviceaccount-token"
RUN = re.compile(r"/apis/tekton\.dev/v1/namespaces/([a-z0-9-]+)/pipelineruns/([a-z0-9.-]+)")
RUNS = re.compile(r"/apis/tekton\.dev/v1/namespaces/([a-z0-9-]+)/pipelineruns")
CONFIG_MAP = re.compile(r"/api/v1/namespaces/([a-z0-9-]+)/configmaps/([a-z0-9.-]+)")

Obj = dict[str, Any]


def status(code: int, reason: str, message: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class KubeHandler(QuietHandler):
    server: FakeKubeApi

    def _reply(self, code: int, body: Obj) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        self._reply(405, status(405, "MethodNotAllowed", f"{self.command} is not served here"))

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        routes = [(p, action) for method, p, action in self.server.routes if method == self.command]
        if not routes:
            self._refuse()
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, status(401, "Unauthorized", "Unauthorized"))
            return
        for pattern, action in routes:
            match = pattern.fullmatch(path)
            if match is not None:
                action(self, match, query)
                return
        self._refuse()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _faulted(self) -> bool:
        """Answers the next queued fault; True when there was one."""
        with self.server.lock:
            fault = self.server.faults.pop(0) if self.server.faults else None
        if fault == 0:
            self.close_connection = True
            self.connection.close()
        elif fault is not None:
            self._reply(fault, status(fault, "ServiceUnavailable", "etcd is not answering"))
        return fault is not None

    def _forbidden(self, resource: str, group: str, namespace: str, name: str, verb: str) -> None:
        qualified = f"{resource}.{group}" if group else resource
        message = (
            f'{qualified} "{name}" is forbidden: User "system:serviceaccount:{namespace}:'
            f'{self.server.account}" cannot {verb} resource "{resource}" in API group'
            f' "{group}" in the namespace "{namespace}"'
        )
        self._reply(403, status(403, "Forbidden", message))

    def get_run(self, match: re.Match[str], query: str) -> None:
        srv = self.server
        namespace, name = match.groups()
        with srv.lock:
            srv.gets.append((namespace, name))
            obj = srv.runs.get((namespace, name))
        if self._faulted():
            return
        if srv.forbidden:
            self._forbidden("pipelineruns", "tekton.dev", namespace, name, "get")
        elif obj is None:
            message = f'pipelineruns.tekton.dev "{name}" not found'
            self._reply(404, status(404, "NotFound", message))
        else:
            self._reply(200, obj)

    def list_runs(self, match: re.Match[str], query: str) -> None:
        srv = self.server
        if self._faulted():
            return
        selector = parse_qs(query).get("labelSelector", [""])[0]
        key, _, value = selector.partition("=")
        with srv.lock:
            items = [
                r
                for r in srv.runs.values()
                if r["metadata"]["namespace"] == match[1]
                and r["metadata"].get("labels", {}).get(key) == value
            ]
            version = srv.version
        listing = {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRunList",
            "metadata": {"resourceVersion": str(version)},
            "items": items,
        }
        self._reply(200, listing)

    def _config_map(self, match: re.Match[str], verb: str) -> tuple[str, str] | None:
        """The (namespace, name) of the ConfigMap asked for, or None when a fault or
        the Role's resourceNames answered instead."""
        if self._faulted():
            return None
        namespace, name = match.groups()
        if name not in self.server.allowed:
            self._forbidden("configmaps", "", namespace, name, verb)
            return None
        return namespace, name

    def get_config_map(self, match: re.Match[str], query: str) -> None:
        srv = self.server
        target = self._config_map(match, "get")
        if target is None:
            return
        namespace, name = target
        with srv.lock:
            obj = srv.config_maps.get((namespace, name))
            # A copy: the answer must not change under a concurrent PATCH.
            obj = json.loads(json.dumps(obj)) if obj else None
        if obj is None:
            self._reply(404, status(404, "NotFound", f'configmaps "{name}" not found'))
        else:
            self._reply(200, obj)

    def patch_config_map(self, match: re.Match[str], query: str) -> None:
        srv = self.server
        target = self._config_map(match, "patch")
        if target is None:
            return
        namespace, name = target
        with srv.lock:
            srv.queries.append(query)
        if self.headers.get("Content-Type") != "application/merge-patch+json":
            self._reply(415, status(415, "UnsupportedMediaType", "merge patch only here"))
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with srv.lock:
            obj = srv.config_maps.get((namespace, name))
            if obj is None:
                self._reply(404, status(404, "NotFound", f'configmaps "{name}" not found'))
                return
            if srv.meddling:  # another writer got there first
                obj.setdefault("data", {}).update(srv.meddling.pop(0))
                obj["metadata"]["resourceVersion"] = srv.bump()
            wanted = body.get("metadata", {}).get("resourceVersion")
            if wanted is not None and wanted != obj["metadata"]["resourceVersion"]:
                srv.conflicts += 1
                message = (
                    f'Operation cannot be fulfilled on configmaps "{name}": the object has been'
                    " modified; please apply your changes to the latest version and try again"
                )
                self._reply(409, status(409, "Conflict", message))
                return
            data = obj.setdefault("data", {})
            for key, value in (body.get("data") or {}).items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            obj["metadata"]["resourceVersion"] = srv.bump()
            srv.patches += 1
            answer = json.loads(json.dumps(obj))
        self._reply(200, answer)


Route = tuple[str, re.Pattern[str], Callable[[KubeHandler, re.Match[str], str], None]]
# What a client keeping its state in one ConfigMap (a dedup or refusals record) needs.
CONFIG_MAP_ROUTES: tuple[Route, ...] = (
    ("GET", CONFIG_MAP, KubeHandler.get_config_map),
    ("PATCH", CONFIG_MAP, KubeHandler.patch_config_map),
)


class FakeKubeApi(LoopbackServer):
    routes: ClassVar[tuple[Route, ...]] = ()
    account: ClassVar[str] = "default"  # the ServiceAccount a 403's message names

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(KubeHandler)
        self.allowed = allowed
        self.runs: dict[tuple[str, str], Obj] = {}
        self.config_maps: dict[tuple[str, str], Obj] = {}
        self.version = 100
        self.faults: list[int] = []
        self.forbidden = False
        self.meddling: list[dict[str, str]] = []
        self.gets: list[tuple[str, str]] = []  # (namespace, name) of every run GET
        self.queries: list[str] = []
        self.patches = 0
        self.conflicts = 0
        self.lock = threading.Lock()

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

    def meddle(self, data: dict[str, str]) -> None:
        with self.lock:
            self.meddling.append(data)

    def bump(self) -> str:
        """The next resourceVersion (the caller holds the lock)."""
        self.version += 1
        return str(self.version)

    def create_config_map(
        self, namespace: str, name: str, data: dict[str, str] | None = None
    ) -> None:
        with self.lock:
            meta = {"name": name, "namespace": namespace, "resourceVersion": self.bump()}
            obj: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
            if data is not None:
                obj["data"] = dict(data)
            self.config_maps[(namespace, name)] = obj

    def data(self, namespace: str, name: str) -> dict[str, str]:
        with self.lock:
            return dict(self.config_maps[(namespace, name)].get("data") or {})

    def add_run(self, namespace: str, name: str, *, spec: Obj | None = None, **meta: Any) -> None:
        """A PipelineRun as Triggers creates it; ``meta`` adds to its metadata."""
        obj: Obj = {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": name, "namespace": namespace, **meta},
        }
        if spec is not None:
            obj["spec"] = spec
        with self.lock:
            self.runs[(namespace, name)] = obj

    def delete_run(self, namespace: str, name: str) -> None:
        with self.lock:
            self.runs.pop((namespace, name), None)

    def names(self) -> list[str]:
        with self.lock:
            return sorted(name for _, name in self.runs)
