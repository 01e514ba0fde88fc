"""A loopback stand-in for the GitHub REST API's release endpoints, with its real shape.

Follows what api.github.com answers (REST API version 2022-11-28):

- ``GET /repos/{owner}/{repo}/releases/latest``: the newest published release
  that is neither a draft nor a prerelease, as a full release object
  (``url``, ``html_url``, ``id``, ``node_id``, ``tag_name``, ``name``,
  ``draft``, ``prerelease``, ``created_at``, ``published_at``, ``author``,
  ``assets``, ``tarball_url``, ``zipball_url``, ``body``...); ``404`` with
  ``{"message": "Not Found", "documentation_url": ..., "status": "404"}`` when
  there is none (or no such repository).
- ``GET /repos/{owner}/{repo}/releases?per_page=N&page=P``: releases newest
  first (drafts only for an authorised token: never here), a ``Link`` header
  when there are more pages.
- Every answer carries ``ETag`` (weak, ``W/"<hash>"``), ``X-RateLimit-Limit``,
  ``-Remaining``, ``-Reset`` (epoch seconds), ``-Used``, ``-Resource: core``,
  ``X-GitHub-Api-Version-Selected`` and ``X-GitHub-Request-Id``.
  ``If-None-Match`` with the current ETag answers ``304`` without a body and
  without spending the rate limit.
- A request without ``User-Agent`` is refused (403), a wrong token is ``401
  Bad credentials``; with the limit spent, ``403`` and
  ``X-RateLimit-Remaining: 0`` ("API rate limit exceeded for ...").

Faults, queued per repository (or for any): :meth:`FakeGitHub.fail` with
``Fault.server_error(502)``, ``Fault.rate_limited(reset_in)`` (primary, 403),
``Fault.retry_after(seconds, status=429)`` (secondary), ``Fault.drop()`` (the
connection closes without an answer). Every request is recorded.

Use::

    with FakeGitHub(token="ghp_x") as gh:
        gh.publish("falcosecurity/falco", "0.37.0")
        env = {"BENCHGEN_GITHUB_API": gh.url}
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.runtime.fake_server import LoopbackServer, QuietHandler

DOCS = "https://docs.github.com/rest/releases/releases"


@dataclass
class Fault:
    kind: str  # "status", "rate_limited", "retry_after", "drop"
    status: int = 502
    seconds: float = 0.0

    @staticmethod
    def server_error(status: int = 502) -> Fault:
        return Fault("status", status)

    @staticmethod
    def rate_limited(reset_in: float = 3600.0, status: int = 403) -> Fault:
        return Fault("rate_limited", status, reset_in)

    @staticmethod
    def retry_after(seconds: float, status: int = 429) -> Fault:
        return Fault("retry_after", status, seconds)

    @staticmethod
    def drop() -> Fault:
        return Fault("drop")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class _Repo:
    releases: list[dict[str, Any]] = field(default_factory=list)  # newest first


class FakeGitHub(LoopbackServer):
    def __init__(
        self,
        token: str | None = None,
        *,
        rate_limit: int = 5000,
        now: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
    ) -> None:
        """``host``: where to listen (the real-cluster suite uses the node's address)."""
        super().__init__(_Handler, host)
        self.token = token
        self.limit = rate_limit
        self.remaining = rate_limit
        self.now = now
        self.reset_at = int(now()) + 3600
        self.repos: dict[str, _Repo] = {}
        self.faults: list[tuple[str | None, Fault]] = []
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(150000001)

    # -- the test's side -----------------------------------------------------

    def publish(
        self, repo: str, tag: str, *, prerelease: bool = False, draft: bool = False
    ) -> dict[str, Any]:
        """Publish a release (it becomes the newest); the release object."""
        owner, name = repo.split("/")
        ident = next(self._ids)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now()))
        api = f"{self.url}/repos/{repo}"
        release = {
            "url": f"{api}/releases/{ident}",
            "assets_url": f"{api}/releases/{ident}/assets",
            "upload_url": f"https://uploads.github.com/repos/{repo}/releases/{ident}/assets{{?name,label}}",
            "html_url": f"https://github.com/{repo}/releases/tag/{tag}",
            "id": ident,
            "author": {"login": "release-bot", "id": 1, "type": "User", "site_admin": False},
            "node_id": f"RE_kwDO{ident:08d}",
            "tag_name": tag,
            "target_commitish": "master",
            "name": tag,
            "draft": draft,
            "immutable": False,
            "prerelease": prerelease,
            "created_at": stamp,
            "updated_at": stamp,
            "published_at": None if draft else stamp,
            "assets": [],
            "tarball_url": f"{api}/tarball/{tag}",
            "zipball_url": f"{api}/zipball/{tag}",
            "body": f"Release {tag} of {name} by {owner}.",
        }
        with self.lock:
            self.repos.setdefault(repo.lower(), _Repo()).releases.insert(0, release)
        return release

    def delete(self, repo: str, tag: str) -> None:
        with self.lock:
            entry = self.repos[repo.lower()]
            entry.releases = [r for r in entry.releases if r["tag_name"] != tag]

    def fail(self, *faults: Fault, repo: str | None = None) -> None:
        """Answer the next requests (for ``repo``, or any) with these faults, in order."""
        with self.lock:
            self.faults += [(repo.lower() if repo else None, f) for f in faults]

    def release_paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def statuses(self) -> list[int]:
        return [r.status for r in self.requests]

    # -- the server's side ---------------------------------------------------

    def take_fault(self, repo: str) -> Fault | None:
        with self.lock:
            for i, (target, fault) in enumerate(self.faults):
                if target is None or target == repo:
                    del self.faults[i]
                    return fault
        return None


_LATEST = re.compile(r"^/repos/([^/]+)/([^/]+)/releases/latest$")
_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/releases$")


def _etag(body: bytes, auth: str) -> str:
    # GitHub's ETag varies with the representation and the caller (Vary: Authorization).
    return 'W/"' + hashlib.sha256(body + b"\0" + auth.encode()).hexdigest()[:40] + '"'


class _Handler(QuietHandler):
    server: FakeGitHub

    def _rate_headers(self) -> dict[str, str]:
        gh = self.server
        return {
            "X-RateLimit-Limit": str(gh.limit),
            "X-RateLimit-Remaining": str(gh.remaining),
            "X-RateLimit-Reset": str(gh.reset_at),
            "X-RateLimit-Used": str(gh.limit - gh.remaining),
            "X-RateLimit-Resource": "core",
        }

    def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body, indent=2).encode()
        self.send_response(status)
        all_headers = {
            "Server": "github.com",
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"FAKE:{id(self):X}:{len(self.server.requests)}",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
            **(headers or {}),
            "Content-Length": str(len(data)),
        }
        if status == 304:
            del all_headers["Content-Type"]
        for name, value in all_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def _record(self, status: int) -> None:
        with self.server.lock:
            self.server.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), status)
            )

    def do_GET(self) -> None:
        gh = self.server
        parts = urlsplit(self.path)
        match = _LATEST.match(parts.path) or _LIST.match(parts.path)
        repo = f"{match.group(1)}/{match.group(2)}".lower() if match else ""
        fault = gh.take_fault(repo) if match else None
        if fault is not None and fault.kind == "drop":
            self._record(0)
            self.close_connection = True
            self.connection.close()
            return
        status, body, headers = self._route(parts.path, parse_qs(parts.query), fault)
        self._record(status)
        self._answer(status, body, headers)

    def _route(
        self, path: str, query: dict[str, list[str]], fault: Fault | None
    ) -> tuple[int, Any, dict[str, str]]:
        gh = self.server
        auth = self.headers.get("Authorization", "")
        if not self.headers.get("User-Agent"):
            return (
                403,
                {
                    "message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header"
                },
                {},
            )
        if gh.token is not None and auth not in (f"Bearer {gh.token}", f"token {gh.token}"):
            return (
                401,
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                {},
            )
        if fault is not None and fault.kind == "status":
            return fault.status, {"message": "Server Error"}, self._rate_headers()
        if fault is not None and fault.kind == "rate_limited":
            with gh.lock:
                gh.remaining = 0
                gh.reset_at = int(gh.now() + fault.seconds)
        if fault is not None and fault.kind == "retry_after":
            return (
                fault.status,
                {
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                },
                {**self._rate_headers(), "Retry-After": str(int(fault.seconds))},
            )
        with gh.lock:
            if gh.remaining <= 0 and gh.now() >= gh.reset_at:
                gh.remaining, gh.reset_at = gh.limit, int(gh.now()) + 3600
            if gh.remaining <= 0:
                return (
                    403,
                    {
                        "message": "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                        "status": "403",
                    },
                    self._rate_headers(),
                )
        match = _LATEST.match(path)
        listing = _LIST.match(path)
        if not match and not listing:
            return (
                404,
                {
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "404",
                },
                self._rate_headers(),
            )
        m = match or listing
        assert m is not None
        with gh.lock:
            entry = gh.repos.get(f"{m.group(1)}/{m.group(2)}".lower())
            releases = [r for r in (entry.releases if entry else []) if not r["draft"]]
        headers: dict[str, str] = {}
        if match:
            latest = next((r for r in releases if not r["prerelease"]), None)
            if entry is None or latest is None:
                return self._spend(
                    404,
                    {
                        "message": "Not Found",
                        "documentation_url": f"{DOCS}#get-the-latest-release",
                        "status": "404",
                    },
                    headers,
                )
            body: Any = latest
        else:
            if entry is None:
                return self._spend(
                    404,
                    {
                        "message": "Not Found",
                        "documentation_url": f"{DOCS}#list-releases",
                        "status": "404",
                    },
                    headers,
                )
            per_page = min(100, int(query.get("per_page", ["30"])[0]))
            page = int(query.get("page", ["1"])[0])
            body = releases[(page - 1) * per_page : page * per_page]
            if page * per_page < len(releases):
                headers["Link"] = (
                    f'<{gh.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
                )
        etag = _etag(json.dumps(body).encode(), auth)
        headers.update({"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"})
        if self.headers.get("If-None-Match") == etag:
            # A conditional hit costs no rate limit.
            return 304, None, {**self._rate_headers(), **headers}
        return self._spend(200, body, headers)

    def _spend(
        self, status: int, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        gh = self.server
        with gh.lock:
            gh.remaining = max(0, gh.remaining - 1)
        return status, body, {**self._rate_headers(), **headers}
