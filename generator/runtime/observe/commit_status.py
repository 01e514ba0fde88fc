"""Commit statuses back to the source: each run's state on the commit that caused it.

The observer calls :meth:`Reporter.notice` with every PipelineRun it sees (list,
watch); the run's outcome (pending, running, succeeded, failed, cancelled:
``contract.commit_status``) is compared with what was last reported for it, in
memory, and a change is queued. A few reporter threads send the reports, so a
slow or failing provider never holds up events, the gate, or the run itself.

One report is retried with back-off (``retry.deadline_retrying``) until
``REPORT_DEADLINE``, then logged and dropped. Each attempt sends the run's
newest state (a run that finished while "running" was being retried reports
its end, not "running"), and re-reads the token file, so a rotated token (a
GitHub App installation token refreshed into the Secret) is used from the next
report on; after a ``401`` the file is read once more and the request repeated
(after the first back-off), and a second ``401`` with the same token gives up.

Each transition is reported once by a running observer. After a restart, the
runs it lists are reported again in their current state (finished ones only if
they finished within ``RECENT``): GitHub keeps the newest status per context, so
the same state again changes nothing; GitLab answers ``400 Cannot transition
status via :run from :running`` for a state its status already has, which
counts as reported, and records a finished state as one more job of the same
name and state.

Rate limits as the providers document them: GitHub's ``403``/``429`` with
``Retry-After`` (a secondary limit: wait that long), with
``X-RateLimit-Remaining: 0`` (wait until ``X-RateLimit-Reset``), or another
rate-limit answer (wait a minute); GitLab's ``429`` with ``Retry-After`` or
``RateLimit-Reset``. A wait past the deadline is not started: the report is
dropped instead of hammering.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from generator.contract import commit_status as cs
from generator.runtime import http
from generator.runtime.clock import Clock, StoppableClock, Stopped
from generator.runtime.errors import PermanentError, TemporaryError
from generator.runtime.observe.events import meta, status, succeeded_condition
from generator.runtime.retry import deadline_retrying

GITHUB_API_VERSION = "2022-11-28"
REQUEST_TIMEOUT = 10.0
WORKERS = 4
# GitHub: "wait for at least one minute" after a secondary limit without a time.
RATE_LIMIT_WAIT = 60.0
# A finished run is (re-)reported only this soon after it finished: a restart
# does not re-post every finished run of the namespace.
RECENT = 3600.0
# Tekton v1 reasons of a PipelineRun stopped on purpose.
_CANCELLED = frozenset({"Cancelled", "CancelledRunFinally", "StoppedRunFinally"})
# Succeeded=Unknown before the run started (spec.status PipelineRunPending, or not reconciled).
_NOT_STARTED = frozenset({"PipelineRunPending", "Pending", ""})
_RANK = {o: i for i, o in enumerate(cs.OUTCOMES)}

Obj = dict[str, Any]


def outcome(pr: Mapping[str, Any]) -> str:
    """The run's benchgen outcome, from its ``Succeeded`` condition."""
    cond = succeeded_condition(pr)
    if cond is None:
        return cs.PENDING
    reason = str(cond.get("reason") or "")
    if cond.get("status") == "True":
        return cs.SUCCEEDED
    if cond.get("status") == "False":
        return cs.CANCELLED if reason in _CANCELLED else cs.FAILED
    if reason in _NOT_STARTED and not status(pr).get("startTime"):
        return cs.PENDING
    return cs.RUNNING


def _rank(value: str) -> int:
    # The three ends are equal: none replaces another.
    return min(_RANK[value], _RANK[cs.SUCCEEDED])


def _age(stamp: object, now: float) -> float | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return now - when.timestamp()


@dataclass(frozen=True)
class Report:
    """One state of one run, to one commit."""

    uid: str
    run: str  # namespace/name, for logs
    name: str
    repository: str
    sha: str
    outcome: str


def report_for(
    spec: cs.CommitStatusSpec, pr: Mapping[str, Any], now: float
) -> tuple[Report | None, str | None]:
    """The report ``pr`` calls for, or (None, why not: None when there is nothing to say)."""
    m = meta(pr)
    notes = m.get("annotations") or {}
    name = str(m.get("name") or "")
    run = f"{m.get('namespace')}/{name}"
    state = outcome(pr)
    if state in cs.FINAL:
        age = _age(status(pr).get("completionTime"), now)
        if age is not None and age > RECENT:
            return None, None
    repository = spec.repository or str(notes.get(cs.REPOSITORY_ANNOTATION) or "")
    sha = str(notes.get(cs.SHA_ANNOTATION) or "")
    if spec.repository is None:
        problem = cs.repository_problem(spec.provider, repository)
        if problem:
            return None, f"{run}: repository {repository!r} {problem}; not reported"
    if cs.sha_problem(sha):
        return None, f"{run}: commit {sha!r} {cs.sha_problem(sha)}; not reported"
    uid = str(m.get("uid") or "")
    return Report(uid, run, name, repository, sha, state), None


class _Refused(PermanentError):
    """The provider refused the report; retrying would not change that."""


class Provider:
    """One commit status request to GitHub or GitLab, classified."""

    def __init__(self, spec: cs.CommitStatusSpec, now: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.now = now
        headers = {"Content-Type": "application/json"}
        if spec.provider == cs.GITHUB:
            headers |= {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": GITHUB_API_VERSION,
            }
        self._pool = http.pool(**headers)

    def request(self, report: Report) -> tuple[str, dict[str, str]]:
        """(URL, JSON body) of ``report``."""
        spec = self.spec
        state = cs.state_for(spec.provider, report.outcome)
        body = {"state": state, "description": cs.DESCRIPTION[report.outcome]}
        target = spec.target_url(report.name)
        if target is not None:
            body["target_url"] = target
        if spec.provider == cs.GITHUB:
            body["context"] = spec.context
            return f"{spec.api_url}/repos/{report.repository}/statuses/{report.sha}", body
        body["name"] = spec.context
        project = quote(report.repository, safe="")  # a path is one URL-encoded segment
        return f"{spec.api_url}/projects/{project}/statuses/{report.sha}", body

    def post(self, report: Report, token: str) -> int:
        """Send ``report``; the HTTP status when it counts as reported. Raises
        TemporaryError (retry, maybe after ``retry_after``), PermanentError, or
        :class:`Unauthorized`."""
        url, body = self.request(report)
        resp = http.request(
            self._pool,
            "POST",
            url,
            timeout=REQUEST_TIMEOUT,
            connect_timeout=5.0,
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}"},
        )
        code = resp.status
        text = _message(resp.data)
        if code in (200, 201):
            return code
        if code == 401:
            raise Unauthorized(f"HTTP 401: {text}")
        wait = self._rate_limit_wait(code, resp, text)
        if wait is not None:
            raise TemporaryError(f"HTTP {code} (rate limit): {text}", retry_after=wait)
        if self.spec.provider == cs.GITLAB:
            if code == 400 and "Cannot transition status" in text:
                return code  # its status already has this state: reported before
            if code == 409:  # "Another update to this commit status is in progress"
                raise TemporaryError(f"HTTP 409: {text}")
        if http.is_temporary(code):
            raise TemporaryError(f"HTTP {code}: {text}", retry_after=http.retry_after(resp))
        raise _Refused(f"HTTP {code}: {text}")

    def _rate_limit_wait(self, code: int, resp: Any, text: str) -> float | None:
        """Seconds to wait when the answer is a rate limit, else None."""
        if code not in (403, 429):
            return None
        headers = resp.headers
        retry_after = http.retry_after(resp)
        if retry_after is not None:
            return retry_after
        if self.spec.provider == cs.GITHUB:
            reset = _seconds(headers.get("X-RateLimit-Reset"))
            if headers.get("X-RateLimit-Remaining") == "0" and reset is not None:
                return max(0.0, reset - self.now())
            if code == 429 or "rate limit" in text.lower():
                return RATE_LIMIT_WAIT
            return None  # a plain 403: no permission
        if code == 429:
            reset = _seconds(headers.get("RateLimit-Reset"))
            return max(0.0, reset - self.now()) if reset is not None else RATE_LIMIT_WAIT
        return None


class Unauthorized(PermanentError):
    """401: the token is expired or wrong."""


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None and value.strip() else None
    except ValueError:
        return None


def _message(body: bytes) -> str:
    """The provider's error text: GitHub's ``message``, GitLab's ``message`` or
    ``error_description``; else the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return http.short(body)
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(data.get(key), str | list | dict):
                return http.short(json.dumps(data[key]).encode()).strip('"')
    return http.short(body)


def read_token(path: str | None) -> str:
    """The token in the mounted Secret file (TemporaryError while unreadable:
    the kubelet may not have written it yet)."""
    if path is None:
        raise PermanentError("no token file configured")
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TemporaryError(f"token file {path}: {exc.strerror}") from exc
    if not token:
        raise TemporaryError(f"token file {path} is empty")
    return token


class Reporter:
    """Reports each run's transitions, in the background; ``notice`` never blocks."""

    def __init__(
        self,
        spec: cs.CommitStatusSpec,
        token_file: str | None,
        stop: threading.Event,
        log: Callable[[str], None],
        *,
        clock: Clock | None = None,
        now: Callable[[], float] = time.time,
        deadline: float = cs.REPORT_DEADLINE,
        max_backoff: float = 60.0,
    ) -> None:
        self.spec = spec
        self.token_file = token_file
        self.stop = stop
        self.log = log
        self.clock = clock or StoppableClock(stop)
        self.now = now
        self.deadline = deadline
        self.max_backoff = max_backoff
        self.provider = Provider(spec, now)
        self._lock = threading.Lock()
        self._wanted: dict[str, Report] = {}  # uid -> the newest report not yet made
        self._done: dict[str, str] = {}  # uid -> the outcome last reported (or given up)
        self._queued: set[str] = set()  # uids queued or being reported
        self._queue: queue.Queue[str] = queue.Queue()
        self._skipped: set[str] = set()  # uids whose "not reported" was logged
        # The latest (uid, outcome) reported, bounded: what a test or a debugger looks at.
        self.sent: deque[tuple[str, str]] = deque(maxlen=256)

    # -- the observer's side ------------------------------------------------------

    def notice(self, pr: Mapping[str, Any]) -> None:
        report, why = report_for(self.spec, pr, self.now())
        if report is None:
            uid = str(meta(pr).get("uid") or "")
            if why and uid not in self._skipped:
                self._skipped.add(uid)
                self.log(why)
            return
        with self._lock:
            last = self._wanted.get(report.uid)
            known = last.outcome if last else self._done.get(report.uid)
            if known is not None and (
                known == report.outcome or _rank(report.outcome) < _rank(known)
            ):
                return  # reported, queued, or older than what is
            self._wanted[report.uid] = report
            if report.uid in self._queued:
                return  # its worker sends the newest state
            self._queued.add(report.uid)
        self._queue.put(report.uid)

    def forget(self, uid: str) -> None:
        """The run is gone: drop what is remembered (a report in flight still finishes)."""
        with self._lock:
            self._done.pop(uid, None)
        self._skipped.discard(uid)

    def idle(self) -> bool:
        with self._lock:
            return not self._queued

    # -- the reporters ----------------------------------------------------------------

    def loop(self) -> None:
        """One reporter thread, until SIGTERM."""
        while not self.stop.is_set():
            try:
                uid = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                self._drain(uid)
            except Stopped:
                return
            except Exception:  # never let one report stop the reporter
                self.log(f"commit status: unexpected error\n{traceback.format_exc()}")
                with self._lock:
                    self._wanted.pop(uid, None)
                    self._queued.discard(uid)

    def _drain(self, uid: str) -> None:
        while True:
            with self._lock:
                report = self._wanted.get(uid)
                if report is None:
                    self._queued.discard(uid)
                    return
            sent = self._report(uid, report)
            with self._lock:
                self._done[uid] = sent.outcome
                if self._wanted.get(uid) == sent:
                    del self._wanted[uid]

    def _report(self, uid: str, first: Report) -> Report:
        """Send the run's newest wanted state until it is reported or given up; which."""
        attempt = _Attempt(self, uid, first)
        retrying = deadline_retrying(
            self.clock,
            self.clock.monotonic() + self.deadline,
            initial=1.0,
            max_backoff=self.max_backoff,
            jitter=1.0,
            announce=lambda _, exc, wait: (
                f"observe: commit status {attempt.report.outcome} of {attempt.report.run}:"
                f" {exc}; retrying in {wait:.0f}s"
            ),
            last_attempt_at_deadline=False,  # a rate limit's wait past it is not waited
        )
        try:
            code = retrying(attempt)
        except (TemporaryError, PermanentError) as exc:
            self.log(
                f"commit status {attempt.report.outcome} of {attempt.report.run} to"
                f" {attempt.report.repository}@{attempt.report.sha[:12]}: gave up ({exc})"
            )
            return attempt.report
        self.sent.append((uid, attempt.report.outcome))
        state = cs.state_for(self.spec.provider, attempt.report.outcome)
        self.log(
            f"commit status {state} ({attempt.report.outcome}) of {attempt.report.run} to"
            f" {attempt.report.repository}@{attempt.report.sha[:12]} {self.spec.context}:"
            f" HTTP {code}"
        )
        return attempt.report


class _Attempt:
    """One try of one run's report: its newest state, the token read afresh."""

    def __init__(self, reporter: Reporter, uid: str, report: Report) -> None:
        self.reporter, self.uid, self.report = reporter, uid, report
        self.refused_token: str | None = None  # the token a 401 answered

    def __call__(self) -> int:
        r = self.reporter
        if r.stop.is_set():
            raise Stopped("stopping")
        with r._lock:
            self.report = r._wanted.get(self.uid, self.report)
        token = read_token(r.token_file)
        try:
            return r.provider.post(self.report, token)
        except Unauthorized as exc:
            if token == self.refused_token:
                raise PermanentError(
                    f"{exc}; the token in {r.token_file} was refused twice (rotate the Secret)"
                ) from exc
            self.refused_token = token
            # Expired: read the file once more (a rotated token may be there) and retry now.
            raise TemporaryError(f"{exc}; reading the token again", retry_after=0.0) from exc
