"""A small client for the orchestrator's MLOps batch API (urllib3, no retries of its own).

Retrying is the callers' business (submit and wait decide what is safe to
repeat); this module only turns each HTTP exchange into a parsed answer or one
of the exceptions below, and records whether a failed request may have reached
the server, which is what decides if a POST can be re-sent blindly.
"""

import json
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from generator import __version__
from generator.runtime.errors import InputError
from generator.runtime.retry import retry_after_seconds, transport_reason

# A long HTML error page is no use in a Task log.
_MAX_MESSAGE = 300


class TransientError(Exception):
    """An answer worth retrying later (network, 5xx, 429, unreadable body)."""

    def __init__(self, message: str, *, maybe_sent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        # True when the request may have reached the server and been acted on.
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after


class NotFoundError(Exception):
    """404: the batch (or, on POST, the endpoint) does not exist."""


class ClientError(Exception):
    """A 4xx other than 404/408/429: the request itself is wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Batch:
    """The fields of the orchestrator's batch DTO the runtime uses; counts may be null."""

    batch_id: int
    status: str | None
    total_jobs: int | None
    completed_jobs: int | None
    failed_jobs: int | None
    submitted_by: str | None
    raw: dict[str, Any]


def _int_or_none(value: Any) -> int | None:
    # bool is an int in Python; a JSON true is not a count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def parse_batch(data: Any) -> Batch | None:
    """A Batch from a decoded DTO, or None if it is not one (no integer batchId)."""
    if not isinstance(data, dict):
        return None
    batch_id = _int_or_none(data.get("batchId"))
    if batch_id is None:
        return None
    status = data.get("status")
    submitted_by = data.get("submittedBy")
    return Batch(
        batch_id=batch_id,
        status=status if isinstance(status, str) and status else None,
        total_jobs=_int_or_none(data.get("totalJobs")),
        completed_jobs=_int_or_none(data.get("completedJobs")),
        failed_jobs=_int_or_none(data.get("failedJobs")),
        submitted_by=submitted_by if isinstance(submitted_by, str) else None,
        raw=data,
    )


def _short(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


def batches_url(base_url: str, endpoint: str) -> str:
    """``{url}{endpoint}`` with exactly one slash between, after checking both look sane."""
    base = base_url.strip()
    if not base:
        raise InputError("BENCHGEN_ORCHESTRATOR_URL is empty")
    if not base.startswith(("http://", "https://")):
        raise InputError(f"BENCHGEN_ORCHESTRATOR_URL: {base_url!r} is not an http(s) URL")
    path = endpoint.strip()
    if not path:
        raise InputError("BENCHGEN_BATCH_ENDPOINT is empty")
    if any(c in path for c in "?#") or any(c.isspace() for c in path):
        raise InputError(f"BENCHGEN_BATCH_ENDPOINT: {endpoint!r} must be a plain path")
    return base.rstrip("/") + "/" + path.strip("/")


class Orchestrator:
    """The three calls the runtime makes: create, read one, list a page."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool = urllib3.PoolManager(
            retries=False,
            headers={"Accept": "application/json", "User-Agent": f"benchgen-poller/{__version__}"},
        )

    def _request(
        self, method: str, url: str, timeout: float, body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            return self._pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                redirect=False,
            )
        except ConnectTimeoutError as exc:
            # Includes "connection refused": the request never left this pod.
            raise TransientError(
                f"cannot connect: {transport_reason(exc)}", maybe_sent=False
            ) from exc
        except HTTPError as exc:
            raise TransientError(f"no answer: {transport_reason(exc)}", maybe_sent=True) from exc

    def _check(self, resp: urllib3.BaseHTTPResponse, *, sent: bool) -> None:
        status = resp.status
        if status == 429:
            raise TransientError(
                f"429 Too Many Requests: {_short(resp.data)}",
                maybe_sent=False,
                retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
            )
        if status >= 500:
            raise TransientError(
                f"{status}: {_short(resp.data)}",
                maybe_sent=sent,
                retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
            )
        if status == 408:
            raise TransientError("408 Request Timeout", maybe_sent=False)
        if status == 404:
            raise NotFoundError(_short(resp.data) or "404 Not Found")
        if status >= 300:
            raise ClientError(status, _short(resp.data) or f"HTTP {status}")

    @staticmethod
    def _json(resp: urllib3.BaseHTTPResponse, *, sent: bool) -> Any:
        try:
            return json.loads(resp.data)
        except ValueError:
            raise TransientError(
                f"{resp.status} with a body that is not JSON: {_short(resp.data)!r}",
                maybe_sent=sent,
            ) from None

    def create(self, body: dict[str, Any], timeout: float) -> Batch:
        """POST the submission; the created Batch on 201."""
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        resp = self._request("POST", self.url, timeout, payload)
        self._check(resp, sent=True)
        if resp.status != 201:
            raise TransientError(f"expected 201, got {resp.status}", maybe_sent=True)
        batch = parse_batch(self._json(resp, sent=True))
        if batch is None:
            raise TransientError(f"201 without a batchId: {_short(resp.data)!r}", maybe_sent=True)
        return batch

    def get(self, batch_id: int, timeout: float) -> Batch:
        """GET one batch."""
        resp = self._request("GET", f"{self.url}/{batch_id}", timeout)
        self._check(resp, sent=False)
        data = self._json(resp, sent=False)
        batch = parse_batch(data)
        if batch is None or batch.batch_id != batch_id:
            raise TransientError(
                f"200 that is not batch {batch_id}: {_short(resp.data)!r}", maybe_sent=False
            )
        return batch

    def list_page(self, page: int, size: int, timeout: float) -> list[Batch]:
        """GET one page of the batch list (``?page=N&size=M``)."""
        resp = self._request("GET", f"{self.url}?page={page}&size={size}", timeout)
        self._check(resp, sent=False)
        data = self._json(resp, sent=False)
        # The list's shape is not pinned down by the API: accept a bare array or a
        # page object holding one.
        if isinstance(data, dict):
            for key in ("content", "items", "batches", "data", "results"):
                if isinstance(data.get(key), list):
                    data = data[key]
                    break
        if not isinstance(data, list):
            raise TransientError(
                f"list answer is not a list: {_short(resp.data)!r}", maybe_sent=False
            )
        return [b for b in (parse_batch(item) for item in data) if b is not None]
