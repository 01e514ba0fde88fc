"""Container logs (``pods/log``): the end of a step's log (observe) and a
followed stream (serve). Both stream, so memory stays bounded whatever the size."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from generator.runtime.kube.client import TIMEOUT
from generator.runtime.kube.errors import LogInterrupted, error_for, status_message, translated

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


def read_log_end(
    api: ApiClient, namespace: str, pod: str, container: str, *, window: int, tail_lines: int
) -> tuple[bytes, bool]:
    """The last ``window`` bytes of a container's log (its last ``tail_lines`` lines
    at most) and whether that is the whole log."""
    from kubernetes import client

    buf = bytearray()
    total = newlines = 0
    with translated(log=True):
        resp: Any = client.CoreV1Api(api).read_namespaced_pod_log(
            pod,
            namespace,
            container=container,
            tail_lines=tail_lines,
            _preload_content=False,
            _request_timeout=TIMEOUT,
        )
        try:
            if not 200 <= resp.status < 300:
                raise error_for(resp.status, status_message(resp.data), log=True)
            for chunk in resp.stream(amt=65536, decode_content=True):
                total += len(chunk)
                newlines += chunk.count(b"\n")
                buf += chunk
                if len(buf) > window:
                    del buf[: len(buf) - window]
        finally:
            resp.release_conn()
    return bytes(buf), total <= window and newlines < tail_lines


def follow_log(
    core: Any, namespace: str, pod: str, container: str, timeout: tuple[float, float]
) -> Generator[bytes, None, None]:
    """The container's log from its start, following until the container ends
    (the stream then ends cleanly). LogNotReady, NotFound, or LogInterrupted
    (resume by reopening and skipping what was read)."""
    import urllib3

    with translated(log=True):
        # _preload_content=False: the raw urllib3 response, not the `str` it is annotated with.
        resp = core.read_namespaced_pod_log(
            pod,
            namespace,
            container=container,
            follow=True,
            _preload_content=False,
            _request_timeout=timeout,
        )
    complete = False
    try:
        # With chunked transfer, stream() yields each chunk as it arrives.
        yield from resp.stream(65536, decode_content=False)
        complete = True
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise LogInterrupted(0, str(exc)) from exc
    finally:
        if complete:
            resp.release_conn()
        else:
            # Abandoned mid-stream (client gone, shutdown, error): close the
            # connection, which also ends the API server's and kubelet's side;
            # returning it to the pool would hand unread data to the next request.
            resp.close()
