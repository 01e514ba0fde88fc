"""Polling one batch to a terminal status: what ``wait`` (one batch, one process)
and the custom-task controller (many batches, one process) both do.

:class:`Poller` makes one GET at a time and says when to look next. While the
batch reports no job counts at all (null), nothing predicts its end: it backs
off from ``interval`` to ``_BLIND_CAP`` (90 s; ``max_interval`` if shorter,
``interval`` if longer), so an end at a random moment is noticed 45 s after it
on average. Once counts are reported, but before they move, it backs off from
``interval`` to ``max_interval``. Once ``completedJobs``/``totalJobs`` move, it
predicts when the last job will finish and halves the distance to that moment,
so a long batch costs few requests and its end is still noticed within about
one ``interval``. Errors back off with jitter and are bounded by an error
budget. Time is the injected clock's.
"""

import random
from dataclasses import dataclass, field

from generator.contract import env as var
from generator.contract.durations import describe_duration
from generator.contract.orchestrator import PROCESSING, TERMINAL, UNKNOWN
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_FAILED, EXIT_OK, InfraError, InputError
from generator.runtime.http import Refused, Unavailable
from generator.runtime.orchestrator import Batch, Orchestrator

_MAX_BATCH_ID = 2**63 - 1
# Once past the predicted end (a slow last job), look again after this share of
# the time overdue, between --interval and _OVERDUE_CAP x --interval: a long tail
# costs some requests, but its end is still noticed within about one interval.
_OVERDUE_FACTOR = 0.1
_OVERDUE_CAP = 2.0
# A batch that reports no counts (null totalJobs) gives nothing to predict from:
# polling it at --max-interval (10m in the example) noticed an 8-hour batch's
# end ~4 minutes late on average. Half of this cap is the mean delay (target
# 60 s); an 8-hour blind batch costs ~320 requests, a third of a 30 s loop's.
_BLIND_CAP = 90.0


@dataclass(frozen=True)
class WaitOptions:
    """The parsed arguments of ``wait``."""

    interval: float
    max_interval: float
    timeout: float
    fail_on: frozenset[str]
    on_unknown: str  # "fail" or "wait"
    request_timeout: float
    not_found_grace: float
    error_budget: float
    final_status_path: str | None = None
    total_jobs_path: str | None = None
    completed_jobs_path: str | None = None
    failed_jobs_path: str | None = None


def parse_fail_on(text: str) -> frozenset[str]:
    """``FAILED,CANCELLED`` -> a set of terminal statuses; InputError for anything else."""
    names = {part.strip().upper() for part in text.split(",") if part.strip()}
    bad = sorted(names - set(TERMINAL))
    if bad:
        raise InputError(
            f"--fail-on: {', '.join(bad)} is not a terminal status (one of {', '.join(TERMINAL)})"
        )
    return frozenset(names)


def parse_batch_id(text: str) -> int:
    """The 64-bit batch id from ``BENCHGEN_BATCH_ID``."""
    value = text.strip()
    if not value.isdigit() or not value.isascii() or int(value) > _MAX_BATCH_ID:
        raise InputError(f"{var.BATCH_ID}: {text!r} is not a batch id (a positive integer)")
    return int(value)


@dataclass
class ProgressModel:
    """Predicts when the last job finishes from the done-job counts seen so far."""

    first: tuple[float, int] | None = None  # (time, done) when counts first appeared
    changed_at: float | None = None  # best guess of when `done` reached its current value
    last: tuple[float, int] | None = None
    total: int | None = None

    def observe(self, now: float, batch: Batch) -> None:
        if batch.total_jobs is None:
            return
        done = min(batch.total_jobs, (batch.completed_jobs or 0) + (batch.failed_jobs or 0))
        self.total = batch.total_jobs
        if self.first is None or self.last is None:
            self.first = self.last = (now, done)
            self.changed_at = now
            return
        if done != self.last[1]:
            # It changed somewhere between the two polls.
            self.changed_at = (self.last[0] + now) / 2
        self.last = (now, done)

    def predicted_end(self) -> float | None:
        if self.first is None or self.last is None or self.changed_at is None:
            return None
        if self.total is None:
            return None
        t0, done0 = self.first
        done = self.last[1]
        if done >= self.total:
            return self.changed_at
        if done <= done0 or self.changed_at <= t0:
            return None
        rate = (done - done0) / (self.changed_at - t0)
        return self.changed_at + (self.total - done) / rate


@dataclass
class Outcome:
    final_status: str
    exit_code: int
    message: str


@dataclass
class Poller:
    api: Orchestrator
    batch_id: int
    opts: WaitOptions
    clock: Clock
    start: float
    model: ProgressModel = field(default_factory=ProgressModel)
    last: Batch | None = None
    seen: bool = False
    polls: int = 0
    good_polls: int = 0
    errors_since: float | None = None
    consecutive_errors: int = 0
    line: str = ""

    def elapsed(self) -> str:
        return describe_duration(self.clock.monotonic() - self.start)

    def poll(self) -> Outcome | None:
        """One GET: a final outcome, None to keep waiting, or Unavailable to retry."""
        self.polls += 1
        now = self.clock.monotonic()
        timeout = min(self.opts.request_timeout, max(self.start + self.opts.timeout - now, 0.0))
        timeout = max(timeout, min(self.opts.request_timeout, 1.0))
        try:
            batch = self.api.get(self.batch_id, timeout)
        except Unavailable as exc:
            self._error(now, str(exc))
            raise
        except Refused as exc:
            if exc.status != 404:
                raise InfraError(f"GET batch {self.batch_id}: {exc.status} {exc}") from exc
            if not self.seen and now - self.start < self.opts.not_found_grace:
                # The batch may not be readable yet right after submit.
                self.line = f"[{self.elapsed():>7}] batch {self.batch_id} not found yet (404)"
                self.consecutive_errors += 1
                raise Unavailable("404", maybe_sent=False) from exc
            if not self.seen:
                raise InfraError(
                    f"batch {self.batch_id} not found (404 for {self.elapsed()}): {exc}"
                ) from exc
            self._error(now, f"404 for a batch seen before: {exc}")
            raise Unavailable(str(exc), maybe_sent=False) from exc

        self.seen, self.last = True, batch
        self.errors_since, self.consecutive_errors = None, 0
        self.good_polls += 1
        self.model.observe(now, batch)
        status = batch.status or UNKNOWN
        shown = status if batch.api_status in (None, status) else f"{status} ({batch.api_status})"
        self.line = f"[{self.elapsed():>7}] {shown:<21} {progress(batch)}"
        if batch.known and status in TERMINAL:
            # final-status is the outcome; the API's own value shows in the message.
            code = EXIT_FAILED if status in self.opts.fail_on else EXIT_OK
            return Outcome(status, code, f"batch {self.batch_id} ended {shown}")
        if not batch.known or status != PROCESSING:
            self.line += f" (unknown status {batch.status!r})"
            if self.opts.on_unknown == "fail":
                return Outcome(
                    UNKNOWN,
                    EXIT_FAILED,
                    f"batch {self.batch_id} reported unknown status {batch.status!r};"
                    " --on-unknown-status fail",
                )
        return None

    def _error(self, now: float, message: str) -> None:
        self.consecutive_errors += 1
        if self.errors_since is None:
            self.errors_since = now
        self.line = f"[{self.elapsed():>7}] poll failed: {message}"
        if now - self.errors_since >= self.opts.error_budget:
            raise InfraError(
                f"the orchestrator kept failing for {describe_duration(now - self.errors_since)}"
                f" ({self.consecutive_errors} polls in a row): {message}"
            )

    def next_delay(self, failure: BaseException | None) -> float:
        """Seconds until the next poll, after a poll that failed with ``failure`` (or None)."""
        now = self.clock.monotonic()
        remaining = self.start + self.opts.timeout - now
        opts = self.opts
        if failure is not None:
            base = min(
                opts.max_interval, opts.interval * 2.0 ** max(self.consecutive_errors - 1, 0)
            )
            delay = base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not crypto
            if isinstance(failure, Unavailable) and failure.retry_after is not None:
                delay = max(delay, failure.retry_after)
        else:
            end = self.model.predicted_end()
            if end is None:
                delay = opts.interval * 2.0 ** max(self.good_polls - 1, 0)
                if self.model.first is None:  # no counts seen yet
                    delay = min(delay, _BLIND_CAP)
            elif end > now:
                # Halve the distance to the predicted end.
                delay = (end - now) / 2
            else:
                delay = min((now - end) * _OVERDUE_FACTOR, opts.interval * _OVERDUE_CAP)
            delay = min(max(delay, opts.interval), opts.max_interval)
        return max(0.0, min(delay, remaining))

    def timed_out(self) -> bool:
        return self.clock.monotonic() >= self.start + self.opts.timeout


def progress(batch: Batch) -> str:
    def show(n: int | None) -> str:
        return "?" if n is None else str(n)

    text = f"{show(batch.completed_jobs)}/{show(batch.total_jobs)} jobs completed"
    if batch.failed_jobs:
        text += f", {batch.failed_jobs} failed"
    return text


def count(n: int | None) -> str:
    return "0" if n is None else str(n)
