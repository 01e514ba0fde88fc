"""A small client for the orchestrator's batch API (urllib3, no retries of its own).

Which API it speaks is data (:class:`~generator.contract.orchestrator_api.OrchestratorApi`,
``BENCHGEN_ORCHESTRATOR_API``): sast-ai's MLOps batches by default, or GitLab's
pipelines. Every answer is read into one :class:`Batch` whose ``status`` is
benchgen's outcome (the API's own value kept in ``api_status``).

Retrying is the callers' business (submit and wait decide what is safe to
repeat); this module only turns each HTTP exchange into a parsed answer or one
of the exceptions below, and records whether a failed request may have reached
the server, which is what decides if a POST can be re-sent blindly.
"""

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import urllib3

from generator.contract import env as var
from generator.contract import orchestrator_api
from generator.contract.errors import ContractError
from generator.contract.orchestrator_api import SAST_AI, OrchestratorApi
from generator.runtime import http
from generator.runtime.errors import InputError
from generator.runtime.http import Refused, Unavailable, short


@dataclass(frozen=True)
class Batch:
    """The fields of the API's batch the runtime uses; counts may be null.

    ``status`` is the outcome the API's value maps to, or that value itself when it
    maps to none (``known`` False: the poller's unknown status); ``submitted_by`` is
    the text of the API's key field (sast-ai: ``submittedBy``), when the item shows it.
    """

    batch_id: int
    status: str | None
    total_jobs: int | None
    completed_jobs: int | None
    failed_jobs: int | None
    submitted_by: str | None
    raw: dict[str, Any]
    api_status: str | None = None
    known: bool = True


def _int_or_none(value: Any) -> int | None:
    # bool is an int in Python; a JSON true is not a count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _at(data: Any, path: str | None) -> Any:
    """The value at dotted ``path`` of decoded JSON; None when any part is missing."""
    if path is None:
        return None
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def parse_batch(data: Any, api: OrchestratorApi = SAST_AI) -> Batch | None:
    """A Batch from a decoded answer, or None if it is not one (no integer id)."""
    if not isinstance(data, dict):
        return None
    batch_id = _int_or_none(_at(data, api.id_field))
    if batch_id is None:
        return None
    value = _at(data, api.status_field)
    raw_status = value if isinstance(value, str) and value else None
    outcome = api.outcome(raw_status)
    submitted_by = _at(data, api.key_field) if api.request_style == "fields" else None
    return Batch(
        batch_id=batch_id,
        status=outcome or raw_status,
        total_jobs=_int_or_none(_at(data, api.total_field)),
        completed_jobs=_int_or_none(_at(data, api.completed_field)),
        failed_jobs=_int_or_none(_at(data, api.failed_field)),
        submitted_by=submitted_by if isinstance(submitted_by, str) else None,
        raw=data,
        api_status=raw_status,
        known=outcome is not None or raw_status is None,
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


def from_env(env: Mapping[str, str]) -> "Orchestrator":
    """The client the env describes: the URL, the API (sast-ai when unset), its token."""
    url = batches_url(env)
    try:
        api = orchestrator_api.decode(env.get(var.ORCHESTRATOR_API))
    except ContractError as exc:
        raise InputError(str(exc)) from None
    token_file = env.get(var.ORCHESTRATOR_TOKEN_FILE, "").strip() or None
    if api.auth_header is not None and token_file is None:
        raise InputError(
            f"{var.ORCHESTRATOR_TOKEN_FILE} is empty, but the {api.profile} API needs a token"
            f" in {api.auth_header}"
        )
    return Orchestrator(url, api, token_file=token_file)


class Orchestrator:
    """The calls the runtime makes: create, read one, list a page, read a batch's key."""

    def __init__(
        self,
        url: str,
        api: OrchestratorApi = SAST_AI,
        *,
        token_file: str | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.api = api
        self.token_file = token_file
        self.wall = wall  # {since} of a list query
        self._pool = http.pool(Accept="application/json")

    def _token_headers(self) -> dict[str, str]:
        if self.api.auth_header is None or self.token_file is None:
            return {}
        # Read at each request: a rotated Secret reaches a long-running controller.
        try:
            token = Path(self.token_file).read_text().strip()
        except OSError as exc:
            raise InputError(
                f"{var.ORCHESTRATOR_TOKEN_FILE}: cannot read {self.token_file}: {exc.strerror}"
            ) from None
        return {self.api.auth_header: token}

    def _request(
        self, method: str, url: str, timeout: float, body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Content-Type": "application/json"} if body is not None else None
        auth = self._token_headers()
        if auth:
            headers = {**(headers or {}), **auth}
        return http.request(self._pool, method, url, timeout=timeout, body=body, headers=headers)

    @property
    def submit_url(self) -> str:
        return self.url + self.api.submit_path

    def status_url(self, batch_id: int) -> str:
        return self.url + self.api.status_path.replace("{id}", str(batch_id))

    def list_url(self, page: int, size: int) -> str:
        """The list query for ``page`` (the API's own numbering) of ``size``."""
        since = "1970-01-01T00:00:00Z"
        if self.api.lookback is not None:
            when = dt.datetime.fromtimestamp(self.wall() - self.api.lookback, dt.UTC)
            since = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        values = {**self.api.constants, "page": str(page), "size": str(size), "since": since}
        query = self.api.list_query
        for name, value in values.items():
            query = query.replace("{" + name + "}", quote(value, safe=""))
        return f"{self.url}{self.api.list_path}?{query}"

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
        """Send the submission; the created Batch on 201."""
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        resp = self._request(self.api.submit_method, self.submit_url, timeout, payload)
        self._check(resp, sent=True)
        if resp.status != 201:
            raise Unavailable(f"expected 201, got {resp.status}", maybe_sent=True)
        batch = parse_batch(self._json(resp, sent=True), self.api)
        if batch is None:
            raise Unavailable(
                f"201 without a {self.api.id_field}: {short(resp.data)!r}", maybe_sent=True
            )
        return batch

    def get(self, batch_id: int, timeout: float) -> Batch:
        """GET one batch."""
        resp = self._request("GET", self.status_url(batch_id), timeout)
        self._check(resp, sent=False)
        data = self._json(resp, sent=False)
        batch = parse_batch(data, self.api)
        if batch is None or batch.batch_id != batch_id:
            raise Unavailable(
                f"200 that is not batch {batch_id}: {short(resp.data)!r}", maybe_sent=False
            )
        return batch

    def list_page(self, page: int, size: int, timeout: float) -> list[Batch]:
        """GET one page of the batch list (sast-ai: ``?page=N&size=M``)."""
        resp = self._request("GET", self.list_url(page, size), timeout)
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
        return [b for b in (parse_batch(item, self.api) for item in data) if b is not None]

    def key_of(self, batch_id: int, timeout: float) -> str | None:
        """The run key a batch carries, read where the list does not show it (GitLab:
        ``GET .../pipelines/{id}/variables``, ``[{key, value, variable_type}]``)."""
        assert self.api.key_lookup_path is not None
        url = self.url + self.api.key_lookup_path.replace("{id}", str(batch_id))
        resp = self._request("GET", url, timeout)
        self._check(resp, sent=False)
        data = self._json(resp, sent=False)
        if not isinstance(data, list):
            raise Unavailable(
                f"variables answer is not a list: {short(resp.data)!r}", maybe_sent=False
            )
        for item in data:
            if isinstance(item, dict) and item.get("key") == self.api.key_field:
                value = item.get("value")
                return value if isinstance(value, str) else None
        return None
