"""The one retry helper of the runtime, :func:`deadline_retrying` (tenacity):
every repeated call (submit, send, GitHub, Kubernetes, the observer's watches
and gate, notify) backs off with jitter, honours a TemporaryError's
``retry_after``, sleeps on the injected clock and says so on stdout. ``wait``'s
poll loop is tenacity with its own strategy (it waits for progress). Tenacity
is imported only when a policy is built, so ``--help`` stays cheap.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from generator.contract.commands import Command
from generator.contract.durations import describe_duration
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.errors import TemporaryError

if TYPE_CHECKING:
    from tenacity import Retrying

T = TypeVar("T")
# (attempt number, the failure, the coming wait) -> the line to print, or None.
Announce = Callable[[int, BaseException, float], str | None]


def deadline_retrying(
    clock: Clock,
    deadline: float = math.inf,
    *,
    initial: float,
    max_backoff: float,
    jitter: float = 0.0,
    announce: Announce,
    retry_on: type[BaseException] | tuple[type[BaseException], ...] = TemporaryError,
    attempts: int | None = None,
    last_attempt_at_deadline: bool = True,
) -> Retrying:
    """A tenacity ``Retrying`` that retries ``retry_on`` failures and re-raises the last one.

    The wait doubles from ``initial`` up to ``max_backoff`` (plus up to ``jitter``
    seconds) and is at least a failure's ``retry_after``. It stops after
    ``attempts`` (when given) and at ``deadline`` (a ``clock.monotonic()`` value;
    none by default): a wait is cut at the deadline so one last attempt happens
    there, or, with ``last_attempt_at_deadline=False``, a wait that would pass it
    is not started at all."""
    from tenacity import RetryCallState, Retrying, retry_if_exception_type
    from tenacity import wait_exponential_jitter as jittered

    backoff = jittered(multiplier=initial, max=max_backoff, jitter=jitter)

    def remaining() -> float:
        return deadline - clock.monotonic()

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if last_attempt_at_deadline:
            delay = min(delay, remaining())
        return max(0.0, delay)

    def stop(state: RetryCallState) -> bool:
        # tenacity computes the wait before asking whether to stop.
        if attempts is not None and state.attempt_number >= attempts:
            return True
        if last_attempt_at_deadline:
            return remaining() <= 0
        return state.upcoming_sleep >= remaining()

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        line = announce(state.attempt_number, exc or Exception(), state.upcoming_sleep)
        if line:
            print(line, flush=True)

    return Retrying(
        sleep=clock.sleep,
        wait=wait,
        stop=stop,
        retry=retry_if_exception_type(retry_on),
        before_sleep=log_retry,
        reraise=True,
    )


def retrying_in(describe: Callable[[int, BaseException], str]) -> Announce:
    """The usual announcement: ``<describe(attempt, exc)>; retrying in <duration>``."""
    return lambda attempt, exc, wait: (
        f"{describe(attempt, exc)}; retrying in {describe_duration(wait)}"
    )


@dataclass(frozen=True)
class RetryOptions:
    """The flags of the commands that retry requests within one deadline
    (submit, send, watch-releases)."""

    timeout: float
    request_timeout: float
    backoff: float  # the first wait
    max_backoff: float

    @staticmethod
    def add_arguments(
        parser: argparse.ArgumentParser, command: Command, timeout_help: str = "overall deadline"
    ) -> None:
        for name, help in (
            ("--timeout", timeout_help),
            ("--request-timeout", "per request"),
            ("--backoff", "first retry delay"),
            ("--max-backoff", "retry ceiling"),
        ):
            add_flag(parser, command, name, help, metavar="D")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RetryOptions:
        return cls(
            timeout=duration(args.timeout, "--timeout"),
            request_timeout=duration(args.request_timeout, "--request-timeout"),
            backoff=duration(args.backoff, "--backoff"),
            max_backoff=duration(args.max_backoff, "--max-backoff"),
        )

    @classmethod
    def defaults(cls, command: Command, timeout: float | None = None) -> RetryOptions:
        """``command``'s flag defaults (the contract's), ``timeout`` instead of its own
        when given: for a caller without a command line (the custom-task controller)."""
        return cls(
            timeout=timeout if timeout is not None else duration(command.default("--timeout"), ""),
            request_timeout=duration(command.default("--request-timeout"), ""),
            backoff=duration(command.default("--backoff"), ""),
            max_backoff=duration(command.default("--max-backoff"), ""),
        )


class Deadline:
    """``--timeout`` from now, and the requests and retries that fit in it."""

    def __init__(self, opts: RetryOptions, clock: Clock) -> None:
        self.opts, self.clock = opts, clock
        self.start = clock.monotonic()
        self.end = self.start + opts.timeout

    def remaining(self) -> float:
        return self.end - self.clock.monotonic()

    def request_timeout(self) -> float:
        """One request's timeout: ``--request-timeout``, cut to what is left but never
        below a quarter of it (the last attempt still gets a chance)."""
        request_timeout = self.opts.request_timeout
        return min(request_timeout, max(self.remaining(), request_timeout / 4))

    def retry(
        self,
        call: Callable[[], T],
        describe: Callable[[int, BaseException], str],
        give_up: Callable[[str], Exception],
        *,
        jitter: float | None = None,
    ) -> T:
        """``call()``, retried on TemporaryError until the end (one last attempt
        there); then ``give_up("gave up after <elapsed>: <the last failure>")``."""
        retrying = deadline_retrying(
            self.clock,
            self.end,
            initial=self.opts.backoff,
            max_backoff=self.opts.max_backoff,
            jitter=self.opts.backoff if jitter is None else jitter,
            announce=retrying_in(describe),
        )
        try:
            return retrying(call)
        except TemporaryError as exc:
            elapsed = describe_duration(self.clock.monotonic() - self.start)
            raise give_up(f"gave up after {elapsed}: {exc}") from exc
