"""One CloudEvent to the sink, over HTTP in binary content mode, with retries.

The event is built with the CloudEvents SDK (``cloudevents.core``: the v1.0
attributes are validated there) and serialised by its HTTP binding; urllib3
sends it. A 2xx is the only acknowledgement; connection errors, timeouts, 408,
429 and 5xx are retried with exponential backoff and jitter within
``--delivery-timeout``; any other answer is not retried now (the event stays
unsent and is tried again at the next change or resync).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import urllib3
from cloudevents.core.bindings.http import HTTPMessage, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential_jitter,
)

from generator.runtime.observe.events import Due

CONTENT_TYPE = "application/json"
REQUEST_TIMEOUT = 10.0


class DeliveryError(Exception):
    """The sink did not acknowledge the event; it stays unsent."""


class _Retryable(DeliveryError):
    """A failure worth trying again soon (no answer, 408, 429, 5xx)."""


class Stopping(DeliveryError):
    """SIGTERM arrived while waiting to retry."""


def _parse_time(value: str | None) -> datetime:
    if value:
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def build_message(due: Due, source: str) -> HTTPMessage:
    """The HTTP request (headers ``ce-*`` + ``Content-Type``, JSON body) for ``due``."""
    event = CloudEvent(
        attributes={
            "type": due.type,
            "source": source,
            "id": due.id,
            "subject": due.subject,
            "time": _parse_time(due.time),
            "datacontenttype": CONTENT_TYPE,
        },
        data=due.data,
    )
    return to_binary(event, JSONFormat())


class Deliverer:
    """POSTs events to the sink; ``send`` returns only once the sink said 2xx."""

    def __init__(self, source: str, budget: float, stop: threading.Event) -> None:
        self.source = source
        self.budget = budget
        self.stop = stop
        self._pool = urllib3.PoolManager(
            retries=False,  # one layer decides what to repeat: this one
            timeout=urllib3.Timeout(connect=5.0, read=REQUEST_TIMEOUT),
        )

    def _attempt(self, url: str, message: HTTPMessage) -> None:
        if self.stop.is_set():
            raise Stopping("stopping")
        try:
            resp = self._pool.request("POST", url, body=message.body, headers=message.headers)
        except urllib3.exceptions.HTTPError as exc:
            raise _Retryable(f"{url}: {exc}") from exc
        if 200 <= resp.status < 300:
            return
        text = resp.data[:200].decode(errors="replace").strip()
        error = _Retryable if resp.status in (408, 429) or resp.status >= 500 else DeliveryError
        raise error(f"{url}: HTTP {resp.status} {text}".rstrip())

    def send(self, url: str, due: Due) -> int:
        """Deliver ``due``; the number of attempts it took. DeliveryError when
        the sink refused it or kept failing past the budget."""
        message = build_message(due, self.source)

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            print(
                f"observe: delivery of {due.id} failed ({exc}); retry in {wait:.1f}s",
                flush=True,
            )

        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            wait=wait_exponential_jitter(multiplier=0.5, max=10.0, jitter=0.5),
            stop=stop_after_delay(self.budget),
            sleep=self._sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                self._attempt(url, message)
        return int(retrying.statistics.get("attempt_number", 1))

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Stopping("stopping")
