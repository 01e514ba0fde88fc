"""A loopback stand-in for the Kubernetes API server, as ``record-refusals`` uses it
(generator/runtime/refusals.py).

It serves, as the API server does (fake_kube_api.py has the details):

- ``GET /api/v1/namespaces/<ns>/configmaps/<name>``: ``200`` with the ConfigMap and
  its ``metadata.resourceVersion``, else ``404`` (a ``Status``, reason ``NotFound``);
- ``PATCH`` of it as a merge patch: a stale ``metadata.resourceVersion`` is a ``409``
  (reason ``Conflict``); otherwise ``data`` is merged and the resourceVersion moves
  on. ``queries`` holds the query of each PATCH (its fieldManager);
- ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns?labelSelector=k=v``: a
  ``PipelineRunList`` of the runs carrying that label (one equality term only).

``401`` without the bearer token of its kubeconfig; ``403`` (``Forbidden``) for a
ConfigMap other than ``allowed`` (the Role's resourceNames); anything else ``405``.
``meddle(data)`` makes the next PATCH find the ConfigMap changed by another writer.
"""

from __future__ import annotations

from tests.runtime.fake_kube_api import CONFIG_MAP_ROUTES, RUNS, FakeKubeApi, KubeHandler


class FakeApi(FakeKubeApi):
    routes = (("GET", RUNS, KubeHandler.list_runs), *CONFIG_MAP_ROUTES)
    account = "bench-refusals"

    def __init__(self, allowed: str) -> None:
        super().__init__((allowed,))

    def create_run(self, namespace: str, name: str, labels: dict[str, str]) -> None:
        self.add_run(namespace, name, labels=labels)
