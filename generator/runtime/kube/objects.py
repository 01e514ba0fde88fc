"""Objects of any kind, through the dynamic client (cleanup, apply).

apiVersion + kind are resolved by discovery (open to every authenticated
user). cleanup lists them with a label selector and deletes them with
propagationPolicy Foreground and a uid precondition (RBAC: list, delete);
apply server-side applies them and gets them back (RBAC: patch, create, get).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.runtime.kube.client import TIMEOUT
from generator.runtime.kube.errors import NotFound, translated

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


class ObjectClient:
    """List and delete objects of any kind; every failure comes out as KubeError."""

    def __init__(self, api: ApiClient, cache_file: str) -> None:
        from kubernetes import dynamic

        with translated():
            self._dyn: Any = dynamic.DynamicClient(api, cache_file=cache_file)  # type: ignore[no-untyped-call]

    def resource(self, api_version: str, kind: str) -> Any:
        """The API resource for ``kind``; NotFound when the server does not serve it."""
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            with translated():
                return self._dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError as exc:
            raise NotFound(404, f"{kind} ({api_version}) is not served by the API server") from exc

    def list(self, resource: Any, namespace: str, selector: str) -> list[dict[str, Any]]:
        with translated():
            out = resource.get(
                namespace=namespace, label_selector=selector, _request_timeout=TIMEOUT
            )
        return [dict(item) for item in out.to_dict().get("items") or []]

    def delete(self, resource: Any, namespace: str, name: str, uid: str) -> None:
        """Foreground deletion of this very object (``uid``): the object stays,
        with a deletionTimestamp, until its finalizers (and dependents) are gone."""
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Foreground",
            "preconditions": {"uid": uid},
        }
        with translated():
            resource.delete(name=name, namespace=namespace, body=body, _request_timeout=TIMEOUT)

    def apply(self, resource: Any, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of ``body`` as field manager ``benchgen``, taking over fields
        another manager set (force): the run's manifest is what it says."""
        with translated():
            out = resource.server_side_apply(
                body=body,
                namespace=namespace,
                field_manager="benchgen",
                force_conflicts=True,
                _request_timeout=TIMEOUT,
            )
        return dict(out.to_dict())

    def get(self, resource: Any, namespace: str, name: str) -> dict[str, Any]:
        with translated():
            out = resource.get(name=name, namespace=namespace, _request_timeout=TIMEOUT)
        return dict(out.to_dict())
