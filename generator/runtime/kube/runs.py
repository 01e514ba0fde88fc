"""Tekton PipelineRuns, TaskRuns and CustomRuns: serve's read-only view, observe's
list/watch/annotate, the concurrency gate's release, and the custom-task
controller's list/watch/status."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from generator.runtime.kube.client import TIMEOUT
from generator.runtime.kube.errors import Unavailable, error_for, status_message, translated
from generator.runtime.kube.logs import follow_log

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

TEKTON_GROUP = "tekton.dev"
TEKTON_VERSION = "v1"
PIPELINE_RUNS = "pipelineruns"
TASK_RUNS = "taskruns"
CUSTOM_RUNS = "customruns"
# CustomRun is served at v1beta1 only (Tekton Pipelines v1.x).
VERSIONS = {CUSTOM_RUNS: "v1beta1"}

RunObj = dict[str, Any]


def _custom(api: ApiClient) -> Any:
    from kubernetes import client

    # Any: the generated methods return `object`, or with _preload_content=False
    # the raw urllib3 response.
    return client.CustomObjectsApi(api)


class RunReader:
    """One namespace's runs, seen only through a label selector, read-only (serve).
    RBAC: list pipelineruns and taskruns, get pods/log.

    Every call is bounded (``timeout`` connect/read seconds; a log stream's read
    timeout is ``log_read_timeout``) and raises only KubeError."""

    def __init__(
        self,
        api: ApiClient,
        namespace: str,
        selector: str,
        *,
        timeout: tuple[float, float] = (5.0, 20.0),
        log_read_timeout: float = 30.0,
    ) -> None:
        from kubernetes import client

        self._custom = _custom(api)
        self._core: Any = client.CoreV1Api(api)
        self.namespace = namespace
        self.selector = selector
        self._timeout = timeout
        self._log_timeout = (timeout[0], log_read_timeout)

    def find_run(self, name: str) -> dict[str, Any] | None:
        """The PipelineRun ``name`` if it matches the selector, else None.

        One list with a field selector on the name and the label selector: the
        API server evaluates the selector, so no selector parsing happens here."""
        items = self._list(PIPELINE_RUNS, f"metadata.name={name}", self.selector)
        return items[0] if items else None

    def runs(self) -> list[dict[str, Any]]:
        """Every PipelineRun the selector matches (a queue position needs them all)."""
        return self._list(PIPELINE_RUNS, None, self.selector)

    def task_runs(self, run: str) -> list[dict[str, Any]]:
        """The run's TaskRuns (Tekton labels them ``tekton.dev/pipelineRun``) that also
        match the selector (they inherit the PipelineRun's labels)."""
        return self._list(TASK_RUNS, None, f"{self.selector},tekton.dev/pipelineRun={run}")

    def _list(self, plural: str, fields: str | None, labels: str) -> list[dict[str, Any]]:
        return _list(self._custom, plural, self.namespace, labels, self._timeout, fields)[0]

    def follow_log(self, pod: str, container: str) -> Generator[bytes, None, None]:
        return follow_log(self._core, self.namespace, pod, container, self._log_timeout)


def list_runs(
    api: ApiClient, plural: str, namespace: str, selector: str
) -> tuple[list[RunObj], str]:
    """The selected objects of ``plural`` in ``namespace`` and the list's resourceVersion."""
    return _list(_custom(api), plural, namespace, selector, (10, 60))


def _list(
    custom: Any,
    plural: str,
    namespace: str,
    labels: str,
    timeout: tuple[float, float],
    fields: str | None = None,
) -> tuple[list[RunObj], str]:
    kwargs: dict[str, Any] = {"label_selector": labels, "_request_timeout": timeout}
    if fields:
        kwargs["field_selector"] = fields
    with translated():
        out = custom.list_namespaced_custom_object(
            TEKTON_GROUP, VERSIONS.get(plural, TEKTON_VERSION), namespace, plural, **kwargs
        )
    return list(out.get("items") or []), str((out.get("metadata") or {}).get("resourceVersion"))


def watch_runs(
    api: ApiClient,
    plural: str,
    namespace: str,
    selector: str,
    resource_version: str,
    timeout: int,
) -> Iterator[tuple[str, RunObj]]:
    """The watch events (ADDED, MODIFIED, DELETED, BOOKMARK) after ``resource_version``
    until the server ends the watch (about ``timeout`` seconds). Gone (410) when
    that version is no longer available: relist."""
    with translated():
        resp = _custom(api).list_namespaced_custom_object(
            TEKTON_GROUP,
            VERSIONS.get(plural, TEKTON_VERSION),
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
        try:
            if not 200 <= resp.status < 300:
                raise error_for(resp.status, status_message(resp.data))
            for line in _lines(resp):
                try:
                    event = json.loads(line)
                except ValueError as exc:  # a torn line when the connection drops mid-event
                    raise Unavailable(0, f"unreadable watch event: {exc}") from exc
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    raise error_for(int(obj.get("code") or 500), str(obj.get("message", "")))
                yield str(event.get("type")), obj
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
    with translated():
        out = _custom(api).get_namespaced_custom_object(
            TEKTON_GROUP, TEKTON_VERSION, namespace, plural, name, _request_timeout=TIMEOUT
        )
    return dict(out)


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
    body = {"metadata": {"resourceVersion": resource_version, "annotations": {key: value}}}
    return _patch(api, namespace, plural, name, body, "application/merge-patch+json")


def release_pending_run(api: ApiClient, namespace: str, name: str, uid: str) -> RunObj:
    """Remove ``spec.status`` of a pending PipelineRun so Tekton starts it (the gate;
    RBAC: patch pipelineruns).

    A JSON patch whose ``test`` ops make the API server apply it only while the
    object is this one (``uid``) and still ``PipelineRunPending``: a run cancelled
    meanwhile is refused (422), never started."""
    body = [
        {"op": "test", "path": "/metadata/uid", "value": uid},
        {"op": "test", "path": "/spec/status", "value": "PipelineRunPending"},
        {"op": "remove", "path": "/spec/status"},
    ]
    return _patch(api, namespace, PIPELINE_RUNS, name, body, "application/json-patch+json")


def dequeue_pending_run(
    api: ApiClient,
    namespace: str,
    name: str,
    resource_version: str,
    annotation: str,
    why: str,
) -> RunObj:
    """Take a pending PipelineRun out of the gate's queue for good: ``spec.status:
    Cancelled`` (Tekton ends it without starting a task) and ``annotation: why``
    (RBAC: patch pipelineruns).

    A JSON merge patch carrying ``resource_version``: the API server applies it
    only while the object is exactly the one the gate read, when it was still
    pending, so a run released (or changed in any way) meanwhile is refused
    (409) and never cancelled. (A JSON patch could test ``spec.status`` but could
    not add the annotation to a run that has none without replacing others'.)"""
    if not resource_version:
        # Without it the merge patch would apply unconditionally: never send that.
        raise ValueError(f"dequeue of {namespace}/{name} without a resourceVersion")
    body = {
        "metadata": {"resourceVersion": resource_version, "annotations": {annotation: why}},
        "spec": {"status": "Cancelled"},
    }
    return _patch(api, namespace, PIPELINE_RUNS, name, body, "application/merge-patch+json")


def patch_custom_run_status(
    api: ApiClient, namespace: str, name: str, resource_version: str, status: dict[str, Any]
) -> RunObj:
    """Merge ``status`` into a CustomRun's status subresource (the custom-task
    controller; RBAC: patch customruns/status), only while the object is still
    at ``resource_version`` (409 otherwise): a decision taken on a stale read,
    or by a second controller, never lands. Lists in ``status`` replace."""
    body = {"metadata": {"resourceVersion": resource_version}, "status": status}
    return _patch(
        api, namespace, CUSTOM_RUNS, name, body, "application/merge-patch+json", status=True
    )


def _patch(
    api: ApiClient,
    namespace: str,
    plural: str,
    name: str,
    body: dict[str, Any] | list[dict[str, Any]],
    content_type: str,
    *,
    status: bool = False,
) -> RunObj:
    custom = _custom(api)
    call = (
        custom.patch_namespaced_custom_object_status
        if status
        else (custom.patch_namespaced_custom_object)
    )
    with translated():
        out = call(
            TEKTON_GROUP,
            VERSIONS.get(plural, TEKTON_VERSION),
            namespace,
            plural,
            name,
            body,
            field_manager="benchgen-custom-tasks" if status else "benchgen-observer",
            _content_type=content_type,
            _request_timeout=TIMEOUT,
        )
    return dict(out)
