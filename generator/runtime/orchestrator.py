"""A small client for the orchestrator's MLOps batch API (urllib3, no retries of its own).

Retrying is the callers' business (submit and wait decide what is safe to
repeat); this module only turns each HTTP exchange into a parsed answer or one
of the exceptions below, and records whether a failed request may have reached
the server, which is what decides if a POST can be re-sent blindly.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3

from generator.contract import env as var
from generator.runtime import http
from generator.runtime.errors import InputError
from generator.runtime.http import Refused, Unavailable, short


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


def batches_url(env: Mapping[str, str]) -> str:
    """``{url}{endpoint}`` from the env, with exactly one slash between, after checking
    both look sane."""
    base_url, endpoint = env.get(var.ORCHESTRATOR_URL, ""), env.get(var.BATCH_ENDPOINT, "")
    base = base_url.strip()
    if not base:
        raise InputError(f"{var.ORCHESTRATOR_URL} is empty")
    if not base.startswith(("http://", "https://")):
        raise InputError(f"{var.ORCHESTRATOR_URL}: {base_url!r} is not an http(s) URL")
    path = endpoint.strip()
    if not path:
        raise InputError(f"{var.BATCH_ENDPOINT} is empty")
    if any(c in path for c in "?#") or any(c.isspace() for c in path):
        raise InputError(f"{var.BATCH_ENDPOINT}: {endpoint!r} must be a plain path")
    return base.rstrip("/") + "/" + path.strip("/")


class Orchestrator:
    """The three calls the runtime makes: create, read one, list a page."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool = http.pool(Accept="application/json")

    def _request(
        self, method: str, url: str, timeout: float, body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Content-Type": "application/json"} if body is not None else None
        return http.request(self._pool, method, url, timeout=timeout, body=body, headers=headers)

    def _check(self, resp: urllib3.BaseHTTPResponse, *, sent: bool) -> None:
        status = resp.status
        if status == 429:
            raise Unavailable(
                f"429 Too Many Requests: {short(resp.data)}",
                maybe_sent=False,
                retry_after=http.retry_after(resp),
            )
        if status >= 500:
            raise Unavailable(
                f"{status}: {short(resp.data)}", maybe_sent=sent, retry_after=http.retry_after(resp)
            )
        if status == 408:
            raise Unavailable("408 Request Timeout", maybe_sent=False)
        if status == 404:
            # The batch (or, on POST, the endpoint) does not exist.
            raise Refused(short(resp.data) or "404 Not Found", status)
        if status >= 300:
            raise Refused(short(resp.data) or f"HTTP {status}", status)

    @staticmethod
    def _json(resp: urllib3.BaseHTTPResponse, *, sent: bool) -> Any:
        try:
            return json.loads(resp.data)
        except ValueError:
            raise Unavailable(
                f"{resp.status} with a body that is not JSON: {short(resp.data)!r}",
                maybe_sent=sent,
            ) from None

    def create(self, body: dict[str, Any], timeout: float) -> Batch:
        """POST the submission; the created Batch on 201."""
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        resp = self._request("POST", self.url, timeout, payload)
        self._check(resp, sent=True)
        if resp.status != 201:
            raise Unavailable(f"expected 201, got {resp.status}", maybe_sent=True)
        batch = parse_batch(self._json(resp, sent=True))
        if batch is None:
            raise Unavailable(f"201 without a batchId: {short(resp.data)!r}", maybe_sent=True)
        return batch

    def get(self, batch_id: int, timeout: float) -> Batch:
        """GET one batch."""
        resp = self._request("GET", f"{self.url}/{batch_id}", timeout)
        self._check(resp, sent=False)
        data = self._json(resp, sent=False)
        batch = parse_batch(data)
        if batch is None or batch.batch_id != batch_id:
            raise Unavailable(
                f"200 that is not batch {batch_id}: {short(resp.data)!r}", maybe_sent=False
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
            raise Unavailable(f"list answer is not a list: {short(resp.data)!r}", maybe_sent=False)
        return [b for b in (parse_batch(item) for item in data) if b is not None]
