"""The runtime's one HTTP client side: a urllib3 pool and one ``request()``.

Every client (the orchestrator, the webhook listener, GitHub, the CloudEvents
sink, the chat webhook) sends through here, so transport failures are
classified once: a connection that was never made cannot have reached the
server (``maybe_sent=False``: safe to resend blindly); a failure after that may
have (``submit`` looks before resending). urllib3's own retries are off so one
layer, ``retry.deadline_retrying``, decides what to repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from generator import __version__
from generator.runtime.errors import PermanentError, TemporaryError

if TYPE_CHECKING:
    import urllib3

USER_AGENT = f"benchgen-poller/{__version__}"
# A long HTML error page is no use in a log line.
MAX_MESSAGE = 300


class Unavailable(TemporaryError):
    """No usable answer (no connection, no response, 408, 429, 5xx, an unreadable
    body). ``maybe_sent``: the request may have reached the server and been acted on."""

    def __init__(
        self, message: str, *, maybe_sent: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retry_after)
        self.maybe_sent = maybe_sent


class Refused(PermanentError):
    """The other side answered a status that retrying will not change (3xx, 4xx)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def is_temporary(status: int) -> bool:
    """Whether an HTTP status says "not now": a timeout, a rate limit, a server error."""
    return status in (408, 429) or status >= 500


def pool(**headers: str) -> urllib3.PoolManager:
    """A connection pool sending ``headers`` (and the User-Agent) with every request."""
    import urllib3

    return urllib3.PoolManager(retries=False, headers={"User-Agent": USER_AGENT, **headers})


def request(
    http: urllib3.PoolManager,
    method: str,
    url: str,
    *,
    timeout: float,
    connect_timeout: float | None = None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    redirect: bool = False,
    quiet: bool = False,
) -> urllib3.BaseHTTPResponse:
    """One request, any answer returned; a transport failure raises :class:`Unavailable`
    with the short reason (``quiet``: the exception's class only, for a URL that is
    itself a secret and would show in urllib3's text)."""
    import urllib3
    from urllib3.exceptions import ConnectTimeoutError, HTTPError

    if headers is not None:
        # Per-request headers replace a pool's in urllib3: keep the pool's.
        headers = {**http.headers, **headers}
    try:
        return http.request(
            method,
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(
                connect=timeout if connect_timeout is None else connect_timeout, read=timeout
            ),
            redirect=redirect,
        )
    except HTTPError as exc:
        # Includes "connection refused": the request never left this pod.
        never_sent = isinstance(exc, ConnectTimeoutError)
        if quiet:
            message = f"no answer ({type(exc).__name__})"
        elif never_sent:
            message = f"cannot connect: {transport_reason(exc)}"
        else:
            message = f"no answer: {transport_reason(exc)}"
        raise Unavailable(message, maybe_sent=not never_sent) from exc


def short(body: bytes) -> str:
    """A response body as one short line."""
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."


def retry_after(resp: urllib3.BaseHTTPResponse) -> float | None:
    """Seconds from the Retry-After header (delta-seconds or an HTTP date)."""
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import datetime as dt
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def transport_reason(exc: BaseException) -> str:
    """What went wrong with a request, shortly: urllib3 nests the useful part."""
    text = str(exc)
    for marker in ("Connection refused", "Read timed out", "Remote end closed", "timed out"):
        if marker in text:
            return marker.lower()
    return text
