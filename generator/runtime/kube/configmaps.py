"""ConfigMaps: Tekton's sink (observe), the release watcher's state, the dedup
and refusals records.

The state and the records are written with a JSON merge patch carrying the
resourceVersion they were computed from, so the API server answers 409
(Conflict) if anyone wrote in between; the writer re-reads and merges
(``update_config_map`` for the records). RBAC (docs/runtime-interface.md): get
(and, for what is written, patch), limited by resourceNames to the one ConfigMap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator.runtime.kube.client import TIMEOUT
from generator.runtime.kube.errors import Conflict, translated

if TYPE_CHECKING:
    from kubernetes.client import ApiClient
    from tenacity import Retrying


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


def update_config_map(
    api: ApiClient,
    namespace: str,
    name: str,
    change: Callable[[dict[str, str]], dict[str, str] | None],
    *,
    retrying: Retrying,
    max_conflicts: int,
    field_manager: str,
) -> dict[str, str] | None:
    """Read the ConfigMap, patch the keys ``change`` computes from its data with the
    resourceVersion read; on a Conflict (someone wrote in between) read again and
    apply ``change`` to the fresh data, so nothing the other writer added is lost.
    The last Conflict is raised after ``max_conflicts``. Every read and patch goes
    through ``retrying`` (the caller's policy for Unavailable, and its log lines).
    The keys written; None when ``change`` returned None (nothing to write)."""
    conflicts = 0
    while True:
        data, version = retrying(read_config_map, api, namespace, name)
        changes = change(data)
        if changes is None:
            return None
        try:
            retrying(
                patch_config_map,
                api,
                namespace,
                name,
                version,
                changes,
                field_manager=field_manager,
            )
            return changes
        except Conflict:
            conflicts += 1
            if conflicts > max_conflicts:
                raise
