"""Loopback stand-ins for the commit status APIs of GitHub and GitLab, with their real shape.

GitHub (REST API version 2022-11-28, "Create a commit status"):
``POST /repos/{owner}/{repo}/statuses/{sha}`` with JSON ``{"state", "target_url"?,
"description"?, "context"?}``; ``state`` one of ``error``, ``failure``,
``pending``, ``success``; ``context`` defaults to ``"default"``. ``201`` with the
status object (``url``, ``avatar_url``, ``id``, ``node_id``, ``state``,
``description``, ``target_url``, ``context``, ``created_at``, ``updated_at``,
``creator``). ``422 Validation Failed`` for a bad state or an unknown commit, and
past 1000 statuses per sha and context; ``401 Bad credentials``; a request
without ``User-Agent`` is refused (403). Rate limits as documented: the primary
one ``403`` with ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset`` (epoch
seconds); a secondary one ``403``/``429`` with ``Retry-After`` and a message
saying "secondary rate limit".

GitLab (REST v4, "Set the pipeline status of a commit"): ``POST
/api/v4/projects/:id/statuses/:sha`` (``:id`` a number or a URL-encoded path),
``state`` one of ``pending``, ``running``, ``success``, ``failed``,
``canceled`` (``skipped`` too), ``name`` (or ``context``, default
``"default"``), ``target_url``, ``description``, ``ref``; ``201`` with the
status object. As GitLab's ``Ci::CreateCommitStatusService``: the status of
that name still ``pending``/``running`` is updated, else a new one is created;
a transition the state machine does not have (``pending`` again, ``running``
again) is ``400 {"message": "Cannot transition status via :enqueue from
:pending (...)"}``. The token goes in ``PRIVATE-TOKEN`` or ``Authorization:
Bearer``; a wrong one is ``401 {"message": "401 Unauthorized"}``, an expired
OAuth token ``401 {"error": "invalid_token", "error_description": "Token is
expired. You can either do re-authorization or token refresh."}``. ``429``
carries ``Retry-After`` and ``RateLimit-Reset``.

Faults are queued: :meth:`FakeStatuses.fail` with ``server_error``,
``secondary`` (Retry-After), ``primary`` (remaining 0 until a reset) or
``drop``. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from tests.runtime.fake_server import LoopbackServer, QuietHandler

GITHUB_STATES = ("error", "failure", "pending", "success")
GITLAB_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
EXPIRED = {
    "error": "invalid_token",
    "error_description": "Token is expired. You can either do re-authorization or token refresh.",
}
_GITHUB = re.compile(r"^/repos/([^/]+)/([^/]+)/statuses/([^/]+)$")
_GITLAB = re.compile(r"^/api/v4/projects/([^/]+)/statuses/([^/]+)$")
_HEX40 = re.compile(r"[0-9a-f]{40}")
# GitLab's state machine (CommitStatus / Ci::HasStatus): event -> states it leaves from.
_GITLAB_FROM = {
    "enqueue": {"created"},
    "run": {"pending"},
    "success": {"created", "pending", "running"},
    "drop": {"created", "pending", "running"},
    "cancel": {"created", "pending", "running"},
    "skip": {"created"},
}
_GITLAB_TO = {
    "enqueue": "pending",
    "run": "running",
    "success": "success",
    "drop": "failed",
    "cancel": "canceled",
    "skip": "skipped",
}


@dataclass
class Fault:
    kind: str  # "server_error", "secondary", "primary", "drop", "forbidden"
    status: int = 502
    seconds: float = 0.0


def server_error(status: int = 502) -> Fault:
    return Fault("server_error", status)


def secondary(seconds: float, status: int = 403) -> Fault:
    return Fault("secondary", status, seconds)


def primary(reset_in: float, status: int = 403) -> Fault:
    return Fault("primary", status, reset_in)


def drop() -> Fault:
    return Fault("drop")


def forbidden() -> Fault:
    """A token without the permission: GitHub's 403 for an App lacking ``statuses: write``."""
    return Fault("forbidden", 403)


@dataclass
class Posted:
    provider: str
    project: str  # owner/repo, or GitLab's decoded :id
    sha: str
    body: dict[str, Any]
    token: str
    status: int
    at: float


@dataclass
class _Job:
    """One GitLab external job (a generic commit status)."""

    id: int
    name: str
    status: str = "created"
    description: str | None = None
    target_url: str | None = None


class FakeStatuses(LoopbackServer):
    """Both APIs on one loopback port: GitHub's paths at the root, GitLab's under /api/v4."""

    def __init__(self, tokens: set[str], host: str = "127.0.0.1") -> None:
        super().__init__(_Handler, host)
        self.tokens = set(tokens)
        self.expired: set[str] = set()
        self.now = time.time
        self.lock = threading.Lock()
        self.posts: list[Posted] = []
        self.faults: list[Fault] = []
        self.github: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.gitlab: dict[tuple[str, str], list[_Job]] = {}
        self.blocked_until = 0.0
        self.on_unauthorized: Callable[[], None] | None = None
        self._ids = 1000

    def fail(self, *faults: Fault) -> None:
        with self.lock:
            self.faults += faults

    def expire(self, token: str) -> None:
        with self.lock:
            self.tokens.discard(token)
            self.expired.add(token)

    def accepted(self) -> list[Posted]:
        with self.lock:
            return [p for p in self.posts if p.status == 201]

    def states(self) -> list[str]:
        return [str(p.body.get("state")) for p in self.accepted()]

    def gitlab_jobs(self, project: str, sha: str) -> list[_Job]:
        with self.lock:
            return list(self.gitlab.get((project, sha), []))

    def next_id(self) -> int:
        self._ids += 1
        return self._ids


class _Handler(QuietHandler):
    server: FakeStatuses

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {
            "Content-Type": "application/json; charset=utf-8",
            **(headers or {}),
            "Content-Length": str(len(data)),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        github, gitlab = _GITHUB.match(self.path), _GITLAB.match(self.path)
        if github:
            provider, project, sha = "github", f"{github[1]}/{github[2]}", github[3]
        elif gitlab:
            provider, project, sha = "gitlab", unquote(gitlab[1]), gitlab[2]
        else:
            self._answer(404, {"message": "Not Found"})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if provider == "github":
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").removeprefix("token ")
        else:
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            token = self.headers.get("PRIVATE-TOKEN") or bearer
        with fake.lock:
            fault = fake.faults.pop(0) if fake.faults else None
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            self._record(provider, project, sha, body, token, 0)
            return
        status, answer, headers = self._route(provider, project, sha, body, token, fault)
        self._record(provider, project, sha, body, token, status)
        if status == 401 and fake.on_unauthorized is not None:
            fake.on_unauthorized()
        self._answer(status, answer, headers)

    def _record(
        self, provider: str, project: str, sha: str, body: Any, token: str, status: int
    ) -> None:
        with self.server.lock:
            self.server.posts.append(
                Posted(
                    provider,
                    project,
                    sha,
                    body if isinstance(body, dict) else {},
                    token,
                    status,
                    time.monotonic(),
                )
            )

    def _route(
        self, provider: str, project: str, sha: str, body: Any, token: str, fault: Fault | None
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.server
        if provider == "github" and not self.headers.get("User-Agent"):
            return 403, {"message": "Request forbidden by administrative rules."}, {}
        if token in fake.expired:
            if provider == "github":
                return 401, _github_error("Bad credentials", 401), {}
            return 401, EXPIRED, {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2"'}
        if token not in fake.tokens:
            if provider == "github":
                return 401, _github_error("Bad credentials", 401), {}
            return 401, {"message": "401 Unauthorized"}, {}
        now = fake.now()
        if fault is not None and fault.kind == "server_error":
            return fault.status, {"message": "Server Error"}, {}
        if fault is not None and fault.kind == "forbidden":
            if provider == "github":
                return 403, _github_error("Resource not accessible by integration", 403), {}
            return 403, {"message": "403 Forbidden"}, {}
        if fault is not None and fault.kind == "primary":
            fake.blocked_until = now + fault.seconds
        if fault is not None and fault.kind == "secondary":
            if provider == "github":
                message = (
                    "You have exceeded a secondary rate limit. Please wait a few minutes"
                    " before you try again."
                )
                return fault.status, _github_error(message, fault.status), {
                    "Retry-After": str(int(fault.seconds)),
                    "X-RateLimit-Remaining": "4000",
                }  # fmt: skip
            return 429, {"message": "429 Too Many Requests"}, {
                "Retry-After": str(int(fault.seconds)),
                "RateLimit-Reset": str(int(now + fault.seconds)),
            }  # fmt: skip
        if now < fake.blocked_until and provider == "github":
            return 403, _github_error("API rate limit exceeded for installation ID 1.", 403), {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(fake.blocked_until) + 1),
            }  # fmt: skip
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        if provider == "github":
            return self._github(project, sha, body)
        return self._gitlab(project, sha, body)

    def _github(self, repo: str, sha: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fake = self.server
        state = body.get("state")
        if state not in GITHUB_STATES:
            return 422, _invalid("state", f"state is not included in the list: {state}"), {}
        if not _HEX40.fullmatch(sha):
            return 422, {"message": f"No commit found for SHA: {sha}"}, {}
        context = str(body.get("context") or "default")
        with fake.lock:
            entries = fake.github.setdefault((repo.lower(), sha, context.lower()), [])
            if len(entries) >= 1000:
                return 422, _invalid("context", "This SHA and context has reached the maximum"), {}
            ident = fake.next_id()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            status = {
                "url": f"{fake.url}/repos/{repo}/statuses/{sha}",
                "avatar_url": "https://github.com/images/error/hubot_happy.gif",
                "id": ident,
                "node_id": f"SC_{ident}",
                "state": state,
                "description": body.get("description"),
                "target_url": body.get("target_url"),
                "context": context,
                "created_at": stamp,
                "updated_at": stamp,
                "creator": {"login": "benchgen[bot]", "id": 1, "type": "Bot"},
            }
            entries.append(status)
        return 201, status, {}

    def _gitlab(
        self, project: str, sha: str, body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.server
        state = body.get("state")
        if not state:
            return 400, {"message": "State is required"}, {}
        if state not in GITLAB_STATES:
            return 400, {"error": "state does not have a valid value"}, {}
        if not _HEX40.fullmatch(sha):
            return 404, {"message": "404 Commit Not Found"}, {}
        name = str(body.get("name") or body.get("context") or "default")
        with fake.lock:
            jobs = fake.gitlab.setdefault((project, sha), [])
            job = next(
                (j for j in jobs if j.name == name and j.status in ("pending", "running")), None
            )
            if job is None:
                job = _Job(fake.next_id(), name)
                new = True
            else:
                new = False
            events = {
                "pending": ["enqueue!"],
                "running": ["enqueue", "run!"],
                "success": ["success!"],
                "failed": ["drop!"],
                "canceled": ["cancel!"],
                "skipped": ["skip!"],
            }[state]
            current = job.status
            for event in events:
                bang = event.endswith("!")
                name_of = event.rstrip("!")
                if current in _GITLAB_FROM[name_of]:
                    current = _GITLAB_TO[name_of]
                elif bang:
                    return 400, {
                        "message": f"Cannot transition status via :{name_of} from :{current}"
                        f' (Reason(s): Status cannot transition via "{name_of}")'
                    }, {}  # fmt: skip
            job.status = current
            job.description = body.get("description", job.description)
            job.target_url = body.get("target_url", job.target_url)
            if new:
                jobs.append(job)
        return 201, {
            "id": job.id,
            "sha": sha,
            "ref": "main",
            "status": job.status,
            "name": job.name,
            "target_url": job.target_url,
            "description": job.description,
            "created_at": "2026-12-03T12:00:00.000Z",
            "started_at": None,
            "finished_at": None,
            "allow_failure": False,
            "coverage": None,
            "pipeline_id": 7,
            "author": {"id": 1, "username": "benchgen-bot", "name": "benchgen", "state": "active"},
        }, {}  # fmt: skip


def _github_error(message: str, status: int) -> dict[str, Any]:
    return {
        "message": message,
        "documentation_url": "https://docs.github.com/rest/commits/statuses#create-a-commit-status",
        "status": str(status),
    }


def _invalid(name: str, message: str) -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [{"resource": "Status", "field": name, "code": "custom", "message": message}],
        "documentation_url": "https://docs.github.com/rest/commits/statuses#create-a-commit-status",
        "status": "422",
    }
