"""The Kubernetes API client for ``observe`` and ``serve``.

In a Pod the ServiceAccount's token is used; elsewhere (tests, a laptop) the
kubeconfig named by ``KUBECONFIG`` or ``~/.kube/config``. The ``kubernetes``
package is imported here only, when a long-running subcommand starts, so the
Task subcommands (submit, wait, summary) never pay for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    else:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


# -- observe (benchgen-poller observe) ----------------------------------------
# List/watch/patch of PipelineRuns and TaskRuns, step log tails, Tekton's
# config-events. Every failure comes out as KubeError with the HTTP status, so
# the controller decides about retries without importing ``kubernetes``.

RunObj = dict[str, Any]


class KubeError(Exception):
    """An API call failed; ``status`` is the HTTP code, 0 when no answer came."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


def _kube_error(exc: Exception) -> KubeError:
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        return KubeError(int(exc.status or 0), _status_message(exc.body) or str(exc.reason))
    return KubeError(0, f"{type(exc).__name__}: {exc}")


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes Status body (bytes, str or dict)."""
    if isinstance(body, bytes | bytearray):
        body = body.decode(errors="replace")
    if isinstance(body, str):
        text = body
        try:
            body = json.loads(text)
        except ValueError:
            return text.strip()[:300]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("reason") or "")
    return ""


def _api_errors() -> tuple[type[Exception], ...]:
    import urllib3
    from kubernetes.client.exceptions import ApiException

    return (ApiException, urllib3.exceptions.HTTPError, OSError)


def list_runs(
    api: ApiClient, plural: str, namespace: str, selector: str
) -> tuple[list[RunObj], str]:
    """The selected objects of ``plural`` in ``namespace`` and the list's resourceVersion."""
    from kubernetes import client

    try:
        out: Any = client.CustomObjectsApi(api).list_namespaced_custom_object(
            TEKTON_GROUP,
            TEKTON_VERSION,
            namespace,
            plural,
            label_selector=selector,
            _request_timeout=(10, 60),
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    return list(out.get("items") or []), str(out["metadata"]["resourceVersion"])


def watch_runs(
    api: ApiClient,
    plural: str,
    namespace: str,
    selector: str,
    resource_version: str,
    timeout: int,
) -> Iterator[tuple[str, RunObj]]:
    """The watch events (ADDED, MODIFIED, DELETED, BOOKMARK) after ``resource_version``
    until the server ends the watch (about ``timeout`` seconds). KubeError(410)
    when that version is no longer available: relist."""
    from kubernetes import client

    try:
        # _preload_content=False: the raw urllib3 response (the generated types say otherwise).
        resp: Any = client.CustomObjectsApi(api).list_namespaced_custom_object(
            TEKTON_GROUP,
            TEKTON_VERSION,
            namespace,
            plural,
            label_selector=selector,
            watch=True,
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            # A silent, half-open connection must not hang the loop forever.
            _request_timeout=(10, timeout + 30),
            _preload_content=False,
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    try:
        if not 200 <= resp.status < 300:
            raise KubeError(resp.status, _status_message(resp.data))
        for line in _lines(resp):
            event = json.loads(line)
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                raise KubeError(int(obj.get("code") or 500), str(obj.get("message", "")))
            yield str(event.get("type")), obj
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    except ValueError as exc:  # a torn line when the connection drops mid-event
        raise KubeError(0, f"unreadable watch event: {exc}") from exc
    finally:
        resp.release_conn()


def _lines(resp: Any) -> Iterator[bytes]:
    """The non-empty lines of a streamed response (one watch event per line)."""
    buf = b""
    for chunk in resp.stream(amt=None, decode_content=False):
        buf += chunk
        *lines, buf = buf.split(b"\n")
        yield from (line for line in lines if line.strip())
    if buf.strip():
        yield buf


def get_run(api: ApiClient, plural: str, namespace: str, name: str) -> RunObj:
    from kubernetes import client

    try:
        out: Any = client.CustomObjectsApi(api).get_namespaced_custom_object(
            TEKTON_GROUP, TEKTON_VERSION, namespace, plural, name, _request_timeout=(10, 30)
        )
        return dict(out)
    except _api_errors() as exc:
        raise _kube_error(exc) from exc


def patch_run_annotation(
    api: ApiClient,
    plural: str,
    namespace: str,
    name: str,
    resource_version: str,
    key: str,
    value: str,
) -> RunObj:
    """Set one annotation, only if the object is still at ``resource_version``
    (a JSON merge patch carrying it: the server answers 409 otherwise), so a
    value computed from a stale read never overwrites a newer one."""
    from kubernetes import client

    body = {"metadata": {"resourceVersion": resource_version, "annotations": {key: value}}}
    try:
        out: Any = client.CustomObjectsApi(api).patch_namespaced_custom_object(
            TEKTON_GROUP,
            TEKTON_VERSION,
            namespace,
            plural,
            name,
            body,
            field_manager="benchgen-observer",
            _content_type="application/merge-patch+json",
            _request_timeout=(10, 30),
        )
        return dict(out)
    except _api_errors() as exc:
        raise _kube_error(exc) from exc


def read_log_end(
    api: ApiClient, namespace: str, pod: str, container: str, *, window: int, tail_lines: int
) -> tuple[bytes, bool]:
    """The last ``window`` bytes of a container's log (``pods/log``, its last
    ``tail_lines`` lines at most) and whether that is the whole log. Streamed:
    memory stays bounded by ``window`` whatever the log's size."""
    from kubernetes import client

    try:
        resp: Any = client.CoreV1Api(api).read_namespaced_pod_log(
            pod,
            namespace,
            container=container,
            tail_lines=tail_lines,
            _preload_content=False,
            _request_timeout=(10, 30),
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    buf = bytearray()
    total = newlines = 0
    try:
        if not 200 <= resp.status < 300:
            raise KubeError(resp.status, _status_message(resp.data))
        for chunk in resp.stream(amt=65536, decode_content=True):
            total += len(chunk)
            newlines += chunk.count(b"\n")
            buf += chunk
            if len(buf) > window:
                del buf[: len(buf) - window]
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    finally:
        resp.release_conn()
    return bytes(buf), total <= window and newlines < tail_lines


def read_config_map_value(api: ApiClient, namespace: str, name: str, key: str) -> str | None:
    """``data[key]`` of a ConfigMap (a plain get: RBAC can name the one ConfigMap)."""
    from kubernetes import client

    try:
        cm = client.CoreV1Api(api).read_namespaced_config_map(
            name, namespace, _request_timeout=(10, 30)
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    value = (cm.data or {}).get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None
