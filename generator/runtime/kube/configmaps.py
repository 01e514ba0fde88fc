"""ConfigMaps: Tekton's sink (observe), the release watcher's state, the dedup record.

The state is written with a JSON merge patch carrying the resourceVersion it
was computed from, so the API server answers 409 (Conflict) if anyone wrote in
between; the caller re-reads and merges. RBAC (docs/runtime-interface.md):
get (and, for the state, patch), limited by resourceNames to the one ConfigMap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.runtime.kube.client import TIMEOUT
from generator.runtime.kube.errors import translated

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


def read_config_map(api: ApiClient, namespace: str, name: str) -> tuple[dict[str, str], str]:
    """The ConfigMap's ``data`` (empty when it has none) and its resourceVersion."""
    from kubernetes import client

    with translated():
        cm: Any = client.CoreV1Api(api).read_namespaced_config_map(
            name, namespace, _request_timeout=TIMEOUT
        )
    return dict(cm.data or {}), str(cm.metadata.resource_version)


def read_config_map_value(api: ApiClient, namespace: str, name: str, key: str) -> str | None:
    """``data[key]`` of a ConfigMap, stripped; None when empty or missing."""
    value = read_config_map(api, namespace, name)[0].get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def patch_config_map(
    api: ApiClient,
    namespace: str,
    name: str,
    resource_version: str,
    data: dict[str, str],
    field_manager: str = "benchgen-watch-releases",
) -> str:
    """Set ``data`` keys only if the ConfigMap is still at ``resource_version``; the new
    resourceVersion. A concurrent write makes this a Conflict."""
    from kubernetes import client

    body = {"metadata": {"resourceVersion": resource_version}, "data": data}
    with translated():
        cm: Any = client.CoreV1Api(api).patch_namespaced_config_map(
            name,
            namespace,
            body,
            field_manager=field_manager,
            _content_type="application/merge-patch+json",
            _request_timeout=TIMEOUT,
        )
    return str(cm.metadata.resource_version)
