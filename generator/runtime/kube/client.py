"""The API client: in a Pod the ServiceAccount's token, elsewhere (tests, a
laptop) the kubeconfig named by ``KUBECONFIG`` or ``~/.kube/config``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from generator.runtime.errors import InputError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient as ApiClient
else:
    # The commands name the type as kube.ApiClient: only this package imports kubernetes.
    ApiClient = Any

# The calls' (connect, read) timeouts, seconds.
TIMEOUT = (10, 30)


def api_client(pool_size: int | None = None) -> ApiClient:
    """A client for the cluster this process runs in (or the current kubeconfig).
    ``pool_size``: connections kept (serve: each open log stream holds one, and a
    smaller pool would discard and reopen them). InputError without credentials."""
    from kubernetes import client
    from kubernetes import config as kube_config

    config: Any = kube_config  # its loaders are untyped
    configuration = client.Configuration()
    try:
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
        else:
            # KUBECONFIG read now: the library reads it once, when first imported.
            config.load_kube_config(
                config_file=os.environ.get("KUBECONFIG") or None,
                client_configuration=configuration,
            )
    except Exception as exc:  # ConfigException and file errors have no common base
        raise InputError(
            f"no Kubernetes credentials (no usable kubeconfig or in-cluster config): {exc}"
        ) from None
    if pool_size is not None:
        configuration.connection_pool_maxsize = pool_size
    return client.ApiClient(configuration)
