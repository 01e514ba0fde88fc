"""A loopback stand-in for the Kubernetes API server, as the event-key interceptor's
dedup record uses it (generator/runtime/dedup.py).

It serves, as the API server does (fake_kube_api.py has the details):

- ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns/<name>``: ``200`` with the
  run, else ``404`` (a ``Status``, reason ``NotFound``);
- ``GET /api/v1/namespaces/<ns>/configmaps/<name>``: ``200`` with the ConfigMap and
  its ``metadata.resourceVersion``, else ``404``;
- ``PATCH`` of that ConfigMap as a merge patch: a stale ``metadata.resourceVersion``
  is a ``409`` (reason ``Conflict``); otherwise ``data`` is merged and the
  resourceVersion moves on. ``patches`` and ``conflicts`` count the outcomes,
  ``field_managers`` holds the query of each PATCH.

``401`` without the bearer token of its kubeconfig; ``403`` (``Forbidden``) for a
ConfigMap not in ``allowed`` (the Role's resourceNames); anything else ``405``.
Faults: ``fail(503)`` answers the next request it serves with that status; ``meddle()``
makes the next PATCH find the ConfigMap changed by another writer first (a key of
its own added), as a second replica would.
"""

from __future__ import annotations

from tests.runtime.fake_kube_api import CONFIG_MAP_ROUTES, RUN, FakeKubeApi, KubeHandler


class FakeApi(FakeKubeApi):
    routes = (("GET", RUN, KubeHandler.get_run), *CONFIG_MAP_ROUTES)
    account = "event-key"

    @property
    def field_managers(self) -> list[str]:
        return self.queries

    def create_run(self, namespace: str, name: str) -> None:
        self.add_run(namespace, name)
