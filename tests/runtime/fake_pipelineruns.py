"""A loopback stand-in for the Kubernetes API server's PipelineRun GET, for ``send``
and ``watch-releases`` looking for the run an event started.

It answers ``GET /apis/tekton.dev/v1/namespaces/<ns>/pipelineruns/<name>`` as the
API server does (fake_kube_api.py): ``401`` without the bearer token of its
kubeconfig, ``403`` (a ``Status``, reason ``Forbidden``) when ``forbidden`` is set
(the ServiceAccount has no ``get``), ``200`` with the object when it exists, else
``404`` (a ``Status``, reason ``NotFound``); ``gets`` holds the (namespace, name) of
every GET. Any other request is a ``405``: nothing else may be asked. Faults:
``fail(503, 0)`` answers the next GETs with those statuses, ``0`` dropping the
connection. ``create`` plays the listener's TriggerTemplate (a gated run is created
pending).
"""

from __future__ import annotations

from typing import Any

from tests.runtime.fake_kube_api import RUN, FakeKubeApi, KubeHandler


class FakePipelineRuns(FakeKubeApi):
    routes = (("GET", RUN, KubeHandler.get_run),)
    account = "sched"

    def create(self, namespace: str, name: str, *, pending: bool = False) -> None:
        spec: dict[str, Any] = {"pipelineRef": {"name": "bench-pipeline"}}
        if pending:
            spec["status"] = "PipelineRunPending"
        self.add_run(namespace, name, spec=spec, uid=f"uid-{name}")
