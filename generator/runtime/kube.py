"""The Kubernetes API client for ``observe`` and ``serve``.

In a Pod the ServiceAccount's token is used; elsewhere (tests, a laptop) the
kubeconfig named by ``KUBECONFIG`` or ``~/.kube/config``. The ``kubernetes``
package is imported here only, when a long-running subcommand starts, so the
Task subcommands (submit, wait, summary) never pay for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

TEKTON_GROUP = "tekton.dev"
TEKTON_VERSION = "v1"
PIPELINE_RUNS = "pipelineruns"
TASK_RUNS = "taskruns"


def api_client() -> ApiClient:
    """A client for the cluster this process runs in (or the current kubeconfig)."""
    from kubernetes import client, config

    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
    else:
        config.load_kube_config()
    return client.ApiClient()
