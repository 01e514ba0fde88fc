"""The GitHub REST API calls of ``watch-releases`` (urllib3, conditional, rate-limit aware).

Two queries, both conditional (``If-None-Match`` with the ETag of the last
answer to the same URL; a ``304`` does not count against the rate limit):

- no tag pattern: ``GET /repos/{owner}/{repo}/releases/latest``, GitHub's
  "latest" (newest published, non-draft, non-prerelease). ``404`` means the
  repository has no such release (or the token cannot see it);
- a tag pattern: ``GET /repos/{owner}/{repo}/releases?per_page=100``, one page
  (newest first); the first published, non-prerelease release whose tag fully
  matches the pattern. ``/latest`` would be the wrong release in a repository
  that also publishes other tags (charts, SDKs), so it is not asked first.

Rate limits as GitHub documents them: ``403``/``429`` with
``X-RateLimit-Remaining: 0`` is the primary limit (wait until
``X-RateLimit-Reset``, epoch seconds); with ``Retry-After`` a secondary limit
(wait that long); another ``429``, or a ``403`` saying "rate limit", wait a
minute. A wait that ends within ``max_wait`` (and the call's deadline) is
slept; a longer one raises :class:`RateLimitedError` and every later call
refuses at once, so the run stops instead of hammering. A ``200`` whose
``X-RateLimit-Remaining`` is ``0`` makes the next call wait or stop the same
way, without sending it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.contract.durations import describe_duration
from generator.runtime import http
from generator.runtime.clock import Clock
from generator.runtime.errors import PermanentError
from generator.runtime.retry import Deadline, RetryOptions

API_VERSION = "2022-11-28"
PAGE_SIZE = 100
SECONDARY_LIMIT_WAIT = 60.0


@dataclass(frozen=True)
class Release:
    """The fields of GitHub's release object that the watcher uses."""

    tag: str
    id: int
    url: str
    published_at: str | None


@dataclass(frozen=True)
class Lookup:
    """One answer: the release (None: none published, or none matching), the ETag to
    send next time, and whether it was a 304 (then ``release`` is None: use the one
    stored with that ETag)."""

    release: Release | None
    etag: str | None
    not_modified: bool = False
    note: str = ""


class GitHubError(PermanentError):
    """An API call failed past its retries, or was refused. ``fatal``: every other call
    would fail the same way (401 bad credentials), so stop asking."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class RateLimitedError(GitHubError):
    """The rate limit holds for longer than the run may wait."""

    def __init__(self, message: str, until: float) -> None:
        super().__init__(message, fatal=True)
        self.until = until


def parse_release(data: Any) -> Release | None:
    """A Release from a decoded release object, None if it is not one."""
    if not isinstance(data, dict):
        return None
    tag, ident = data.get("tag_name"), data.get("id")
    if not isinstance(tag, str) or not tag or not isinstance(ident, int):
        return None
    url = data.get("html_url")
    published = data.get("published_at")
    return Release(
        tag=tag,
        id=ident,
        url=url if isinstance(url, str) else "",
        published_at=published if isinstance(published, str) else None,
    )


def pick_release(items: Any, pattern: re.Pattern[str]) -> Release | None:
    """The newest published, non-prerelease release of a list page whose tag matches."""
    if not isinstance(items, list):
        raise ValueError("the release list is not a JSON array")
    for item in items:  # GitHub lists newest first
        if not isinstance(item, dict) or item.get("draft") or item.get("prerelease"):
            continue
        release = parse_release(item)
        if release is not None and pattern.fullmatch(release.tag):
            return release
    return None


def _message(body: bytes) -> str:
    """GitHub's error ``message`` (JSON), else the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return http.short(body)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return http.short(body)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class GitHub:
    """The release queries against one API base URL, with one token (or none)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        opts: RetryOptions,
        clock: Clock,
        *,
        max_wait: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.opts, self.clock, self.max_wait, self.now = opts, clock, max_wait, now
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._pool = http.pool(**headers)
        # Epoch seconds before which no request may be sent (rate limit).
        self.blocked_until = 0.0
        self.blocked_why = ""
        self.requests = 0

    def url_for(self, repo: str, pattern: re.Pattern[str] | None) -> str:
        if pattern is None:
            return f"{self.base}/repos/{repo}/releases/latest"
        return f"{self.base}/repos/{repo}/releases?per_page={PAGE_SIZE}"

    def latest(self, repo: str, pattern: re.Pattern[str] | None, etag: str | None) -> Lookup:
        """The repo's latest (matching) release; GitHubError / RateLimitedError."""
        url = self.url_for(repo, pattern)
        deadline = Deadline(self.opts, self.clock)
        return deadline.retry(
            lambda: self._once(url, pattern, etag, deadline),
            lambda attempt, exc: f"{repo}: GitHub: {exc}",
            lambda why: GitHubError(f"GitHub unreachable or failing, {why}"),
            jitter=1,
        )

    def _wait_for_limit(self, deadline: Deadline) -> None:
        """Sleep out a short rate limit; raise RateLimitedError for a long one."""
        left = self.blocked_until - self.now()
        if left <= 0:
            return
        if left > self.max_wait or left > deadline.remaining():
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.blocked_until))
            raise RateLimitedError(
                f"rate limited ({self.blocked_why}) until {when}, in {describe_duration(left)};"
                " stopping instead of waiting",
                self.blocked_until,
            )
        print(f"GitHub rate limit ({self.blocked_why}): waiting {describe_duration(left)}")
        self.clock.sleep(left)

    def _block(self, until: float, why: str) -> None:
        self.blocked_until = max(self.blocked_until, until)
        self.blocked_why = why

    def _once(
        self,
        url: str,
        pattern: re.Pattern[str] | None,
        etag: str | None,
        deadline: Deadline,
    ) -> Lookup:
        self._wait_for_limit(deadline)
        timeout = deadline.request_timeout()
        headers = {"If-None-Match": etag} if etag else {}
        self.requests += 1
        resp = http.request(self._pool, "GET", url, timeout=timeout, headers=headers, redirect=True)
        status = resp.status
        left = _number(resp.headers.get("X-RateLimit-Remaining"))
        reset = _number(resp.headers.get("X-RateLimit-Reset"))
        retry_after = http.retry_after(resp)
        if status in (403, 429):
            text = _message(resp.data)
            if retry_after is not None:
                self._block(self.now() + retry_after, f"HTTP {status}, Retry-After")
            elif left == 0 and reset is not None:
                self._block(reset, f"HTTP {status}, X-RateLimit-Remaining: 0")
            elif status == 429 or "rate limit" in text.lower():
                self._block(self.now() + SECONDARY_LIMIT_WAIT, f"HTTP {status}: {text}")
            else:
                raise GitHubError(f"HTTP {status}: {text}")
            self._wait_for_limit(deadline)  # a long limit stops here; a short one is slept
            raise http.Unavailable(f"HTTP {status}: {text}", retry_after=0)
        if left == 0 and reset is not None:
            # This answer is good, but the next request would be refused.
            self._block(reset, "X-RateLimit-Remaining: 0")
        if status == 304:
            return Lookup(None, etag, not_modified=True)
        if status == 404:
            return Lookup(
                None, None, note="no published release (or no repository this token can see)"
            )
        if status == 401:
            raise GitHubError(f"HTTP 401: {_message(resp.data)} (check the token)", fatal=True)
        if status >= 500 or status == 408:
            raise http.Unavailable(f"HTTP {status}: {_message(resp.data)}", retry_after=retry_after)
        if status != 200:
            raise GitHubError(f"HTTP {status}: {_message(resp.data)}")
        new_etag = resp.headers.get("ETag") or None
        try:
            data = json.loads(resp.data)
            if pattern is None:
                release = parse_release(data)
                if release is None:
                    raise ValueError("not a release object")
                return Lookup(release, new_etag)
            release = pick_release(data, pattern)
        except ValueError as exc:
            raise http.Unavailable(
                f"unreadable 200 answer ({exc}): {http.short(resp.data)!r}"
            ) from exc
        note = "" if release else f"no published release among the newest {PAGE_SIZE} matches"
        return Lookup(release, new_etag, note=note)
