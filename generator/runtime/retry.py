"""The retry policy of ``submit``, ``send`` and the GitHub calls of ``watch-releases``.

Exponential backoff with jitter, a ``retry_after`` carried by the failure
honoured, every wait capped at one overall deadline (so one last attempt
happens there), each retry announced on stdout. Tenacity is imported only
when a policy is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.runtime.clock import Clock
from generator.runtime.durations import format_duration

if TYPE_CHECKING:
    from tenacity import Retrying


def deadline_retrying(
    clock: Clock,
    deadline: float,
    transient: type[Exception],
    *,
    initial: float,
    max_backoff: float,
    jitter: float,
    describe: Callable[[int, BaseException | None], str],
) -> Retrying:
    """A tenacity ``Retrying`` that retries ``transient`` until ``deadline`` and
    re-raises the last failure. A ``transient`` failure's ``retry_after`` (seconds
    or None) lengthens its wait. ``describe(attempt, exc)`` starts the line
    printed before each wait (``"<it>; retrying in <duration>"``)."""
    from tenacity import RetryCallState, Retrying, retry_if_exception_type
    from tenacity import wait_exponential_jitter as jittered

    backoff = jittered(initial=initial, max=max_backoff, jitter=jitter)

    def remaining() -> float:
        return deadline - clock.monotonic()

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None) if isinstance(exc, transient) else None
        if retry_after is not None:
            delay = max(delay, retry_after)
        return max(0.0, min(delay, remaining()))

    def stop(state: RetryCallState) -> bool:
        # The wait is capped at the deadline, so one last attempt happens there.
        return remaining() <= 0

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        print(
            f"{describe(state.attempt_number, exc)}; retrying in"
            f" {format_duration(state.upcoming_sleep)}",
            flush=True,
        )

    return Retrying(
        sleep=clock.sleep,
        wait=wait,
        stop=stop,
        retry=retry_if_exception_type(transient),
        before_sleep=log_retry,
        reraise=True,
    )


def attempt_timeout(request_timeout: float, remaining: float) -> float:
    """One request's timeout: ``request_timeout``, cut to what is left of the
    deadline but never below a quarter of it (the last attempt still gets a chance)."""
    return min(request_timeout, max(remaining, request_timeout / 4))


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import datetime as dt

    if when.tzinfo is None:
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def transport_reason(exc: BaseException) -> str:
    """What went wrong with a request, shortly: urllib3 nests the useful part."""
    # urllib3 nests the useful part ("Connection refused", "Read timed out").
    text = str(exc)
    for marker in ("Connection refused", "Read timed out", "Remote end closed", "timed out"):
        if marker in text:
            return marker.lower()
    return text
