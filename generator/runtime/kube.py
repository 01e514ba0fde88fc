"""The Kubernetes API client for ``observe`` and ``serve``.

In a Pod the ServiceAccount's token is used; elsewhere (tests, a laptop) the
kubeconfig named by ``KUBECONFIG`` or ``~/.kube/config``. The ``kubernetes``
package is imported here only, when a long-running subcommand starts, so the
Task subcommands (submit, wait, summary) never pay for it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Generator, Iterator
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

    # The kubernetes package ships no annotations for its config loaders.
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    else:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


# --- serve: read-only access for the status/logs API (serve_*.py) ------------
# RBAC this needs (docs/runtime-interface.md): list pipelineruns and taskruns,
# get pods/log. Nothing here writes.


class KubeNotFoundError(Exception):
    """The object (or the container's log) does not exist."""


class KubeUnavailableError(Exception):
    """The API server could not be reached, or answered 5xx / 429: try again later."""


class KubeRefusedError(Exception):
    """The API server refused the request (401/403, 4xx): a deployment problem."""


class LogNotReadyError(Exception):
    """``pods/log`` answered 400: the kubelet has no log for the container (not
    started yet, or terminated without ever running). Carries the kubelet's text."""


class LogInterruptedError(Exception):
    """A log stream stopped before its end (read timeout, connection dropped)."""


def serve_api_client(pool_size: int) -> ApiClient:
    """A client whose connection pool holds ``pool_size`` connections: each open
    log stream keeps one, and a smaller pool would discard and reopen them."""
    from kubernetes import client
    from kubernetes import config as kube_config

    config: Any = kube_config  # its loaders are untyped
    configuration = client.Configuration()
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config(client_configuration=configuration)
    else:
        config.load_kube_config(client_configuration=configuration)
    configuration.connection_pool_maxsize = pool_size
    return client.ApiClient(configuration)


class RunReader:
    """One namespace's runs, seen only through a label selector, read-only.

    Every call is bounded (``timeout`` connect/read seconds; a log stream's read
    timeout is ``log_read_timeout``) and raises only the errors above."""

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

        # Any: list_namespaced_custom_object returns `object`, and with
        # _preload_content=False read_namespaced_pod_log returns the raw
        # urllib3 response, not the `str` it is annotated with.
        self._custom: Any = client.CustomObjectsApi(api)
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

    def task_runs(self, run: str) -> list[dict[str, Any]]:
        """The run's TaskRuns (Tekton labels them ``tekton.dev/pipelineRun``) that also
        match the selector (they inherit the PipelineRun's labels)."""
        return self._list(TASK_RUNS, None, f"{self.selector},tekton.dev/pipelineRun={run}")

    def _list(self, plural: str, fields: str | None, labels: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"label_selector": labels, "_request_timeout": self._timeout}
        if fields:
            kwargs["field_selector"] = fields
        with _translated():
            answer = self._custom.list_namespaced_custom_object(
                TEKTON_GROUP, TEKTON_VERSION, self.namespace, plural, **kwargs
            )
        return list(answer.get("items", []))

    def follow_log(self, pod: str, container: str) -> Generator[bytes, None, None]:
        """The container's log from its start, following until the container ends
        (the stream then ends cleanly). Raises LogNotReadyError, KubeNotFoundError,
        LogInterruptedError (resume by reopening and skipping what was read)."""
        import urllib3

        with _translated(log=True):
            resp = self._core.read_namespaced_pod_log(
                pod,
                self.namespace,
                container=container,
                follow=True,
                _preload_content=False,
                _request_timeout=self._log_timeout,
            )
        complete = False
        try:
            # With chunked transfer, stream() yields each chunk as it arrives.
            yield from resp.stream(65536, decode_content=False)
            complete = True
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise LogInterruptedError(str(exc)) from exc
        finally:
            if complete:
                resp.release_conn()
            else:
                # Abandoned mid-stream (client gone, shutdown, error): close the
                # connection, which also ends the API server's and kubelet's side;
                # returning it to the pool would hand unread data to the next request.
                resp.close()


@contextlib.contextmanager
def _translated(*, log: bool = False) -> Iterator[None]:
    """The client's exceptions as the four errors above."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    try:
        yield
    except ApiException as exc:
        status = exc.status or 0
        detail = _api_message(exc)
        if status == 404:
            raise KubeNotFoundError(detail) from exc
        if log and status == 400:
            raise LogNotReadyError(detail) from exc
        if status == 0 or status == 429 or status >= 500:
            raise KubeUnavailableError(f"HTTP {status}: {detail}") from exc
        raise KubeRefusedError(f"HTTP {status}: {detail}") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubeUnavailableError(str(exc)) from exc


def _api_message(exc: Any) -> str:
    """The Status message of an API error, else its reason."""
    import json

    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(exc.body or exc.reason or "")


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
    body = {"metadata": {"resourceVersion": resource_version, "annotations": {key: value}}}
    return _patch_tekton(api, namespace, plural, name, body, "application/merge-patch+json")


def _patch_tekton(
    api: ApiClient,
    namespace: str,
    plural: str,
    name: str,
    body: dict[str, Any] | list[dict[str, Any]],
    content_type: str,
) -> RunObj:
    """Patch one Tekton object as the observer; KubeError on any failure."""
    from kubernetes import client

    try:
        out: Any = client.CustomObjectsApi(api).patch_namespaced_custom_object(
            TEKTON_GROUP,
            TEKTON_VERSION,
            namespace,
            plural,
            name,
            body,
            field_manager="benchgen-observer",
            _content_type=content_type,
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


# -- gate (observe with BENCHGEN_CONCURRENCY_LIMIT) ----------------------------
# Releasing a pending PipelineRun. RBAC: patch pipelineruns (the observer has it).


def release_pending_run(api: ApiClient, namespace: str, name: str, uid: str) -> RunObj:
    """Remove ``spec.status`` of a pending PipelineRun so Tekton starts it.

    A JSON patch whose ``test`` ops make the API server apply it only while the
    object is this one (``uid``) and still ``PipelineRunPending``: a run cancelled
    meanwhile is refused (422), never started. KubeError on any failure."""
    body = [
        {"op": "test", "path": "/metadata/uid", "value": uid},
        {"op": "test", "path": "/spec/status", "value": "PipelineRunPending"},
        {"op": "remove", "path": "/spec/status"},
    ]
    return _patch_tekton(api, namespace, PIPELINE_RUNS, name, body, "application/json-patch+json")


# -- watch-releases (benchgen-poller watch-releases) --------------------------
# The release watcher's state ConfigMap: read it, then write data keys with a
# JSON merge patch carrying the resourceVersion they were computed from, so the
# API server answers 409 if anyone wrote in between (the caller re-reads and
# merges). RBAC (docs/runtime-interface.md): configmaps get, patch, limited by
# resourceNames to the one state ConfigMap. Failures come out as KubeError.


def read_state_config_map(api: ApiClient, namespace: str, name: str) -> tuple[dict[str, str], str]:
    """The ConfigMap's ``data`` (empty when it has none) and its resourceVersion."""
    from kubernetes import client

    try:
        cm: Any = client.CoreV1Api(api).read_namespaced_config_map(
            name, namespace, _request_timeout=(10, 30)
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    return dict(cm.data or {}), str(cm.metadata.resource_version)


def patch_state_config_map(
    api: ApiClient, namespace: str, name: str, resource_version: str, data: dict[str, str]
) -> str:
    """Set ``data`` keys only if the ConfigMap is still at ``resource_version``; the new
    resourceVersion. A concurrent write makes this a KubeError with status 409."""
    from kubernetes import client

    body = {"metadata": {"resourceVersion": resource_version}, "data": data}
    try:
        cm: Any = client.CoreV1Api(api).patch_namespaced_config_map(
            name,
            namespace,
            body,
            field_manager="benchgen-watch-releases",
            _content_type="application/merge-patch+json",
            _request_timeout=(10, 30),
        )
    except _api_errors() as exc:
        raise _kube_error(exc) from exc
    return str(cm.metadata.resource_version)


# -- cleanup (benchgen-poller cleanup) -----------------------------------------
# Any resource type, through the dynamic client: apiVersion + kind are resolved
# by discovery (open to every authenticated user), then list with a label
# selector and delete with propagationPolicy Foreground and a uid precondition.
# RBAC (docs/runtime-interface.md): list, delete on the named resources.


class CleanupClient:
    """List and delete objects of any kind; every failure comes out as KubeError."""

    def __init__(self, api: ApiClient, cache_file: str) -> None:
        from kubernetes import dynamic

        try:
            self._dyn: Any = dynamic.DynamicClient(api, cache_file=cache_file)  # type: ignore[no-untyped-call]
        except _api_errors() as exc:
            raise _kube_error(exc) from exc

    def resource(self, api_version: str, kind: str) -> Any:
        """The API resource for ``kind``; KubeError(404) when the server does not serve it."""
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self._dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError as exc:
            raise KubeError(404, f"{kind} ({api_version}) is not served by the API server") from exc
        except _api_errors() as exc:
            raise _kube_error(exc) from exc

    def list(self, resource: Any, namespace: str, selector: str) -> list[RunObj]:
        try:
            out = resource.get(
                namespace=namespace, label_selector=selector, _request_timeout=(10, 30)
            )
        except _api_errors() as exc:
            raise _kube_error(exc) from exc
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
        try:
            resource.delete(name=name, namespace=namespace, body=body, _request_timeout=(10, 30))
        except _api_errors() as exc:
            raise _kube_error(exc) from exc
