"""The Kubernetes API's failures as the runtime's two kinds of error.

Every call in this package raises only these, each with the HTTP ``status``
(0 when no answer came) and the API server's ``message``, so the commands
decide what to do without importing ``kubernetes``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from generator.runtime.errors import PermanentError, TemporaryError


class KubeError(Exception):
    """What every error of this package is, whichever of the two kinds it is."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


class _Temporary(KubeError, TemporaryError):
    pass


class _Permanent(KubeError, PermanentError):
    pass


class Unavailable(_Temporary):
    """No answer, 429 or 5xx: try again later."""


class Conflict(_Temporary):
    """409: the object changed since it was read; read it again and retry."""


class Gone(_Temporary):
    """410: the watched resourceVersion is too old; list again."""


class LogInterrupted(_Temporary):
    """A log stream stopped before its end (read timeout, connection dropped)."""


class Refused(_Permanent):
    """The API server refused the request (401/403, another 4xx): a deployment problem."""


class NotFound(_Permanent):
    """404: the object (or the container's log) does not exist."""


class LogNotReady(_Permanent):
    """``pods/log`` answered 400: the kubelet has no log for the container (not
    started yet, or terminated without ever running). ``message`` is the kubelet's text."""


_BY_STATUS: dict[int, type[KubeError]] = {404: NotFound, 409: Conflict, 410: Gone}


def error_for(status: int, message: str, *, log: bool = False) -> KubeError:
    """The error an answer with ``status`` is."""
    kind = LogNotReady if log and status == 400 else _BY_STATUS.get(status)
    if kind is None:
        kind = Unavailable if status in (0, 429) or status >= 500 else Refused
    return kind(status, message)


def status_message(body: Any) -> str:
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


@contextlib.contextmanager
def translated(*, log: bool = False) -> Iterator[None]:
    """The client's exceptions (ApiException, urllib3's, socket errors) as KubeError."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    try:
        yield
    except ApiException as exc:
        status = int(exc.status or 0)
        raise error_for(status, status_message(exc.body) or str(exc.reason or ""), log=log) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise Unavailable(0, f"{type(exc).__name__}: {exc}") from exc
