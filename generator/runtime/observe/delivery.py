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

from cloudevents.core.bindings.http import HTTPMessage, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from generator.runtime import http
from generator.runtime.clock import StoppableClock, Stopped
from generator.runtime.errors import PermanentError, TemporaryError
from generator.runtime.observe.events import Due
from generator.runtime.retry import deadline_retrying

CONTENT_TYPE = "application/json"
REQUEST_TIMEOUT = 10.0


class DeliveryError(PermanentError):
    """The sink did not acknowledge the event (refused, or failing past the budget);
    it stays unsent."""


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
        # SIGTERM ends a wait between attempts (clock.Stopped).
        self.clock = StoppableClock(stop)
        self._pool = http.pool()

    def _attempt(self, url: str, message: HTTPMessage) -> None:
        if self.clock.stop.is_set():
            raise Stopped("stopping")
        resp = http.request(
            self._pool,
            "POST",
            url,
            timeout=REQUEST_TIMEOUT,
            connect_timeout=5.0,
            body=message.body,
            headers=message.headers,
        )
        if 200 <= resp.status < 300:
            return
        text = resp.data[:200].decode(errors="replace").strip()
        problem = f"{url}: HTTP {resp.status} {text}".rstrip()
        if http.is_temporary(resp.status):
            raise http.Unavailable(problem)
        raise DeliveryError(problem)

    def send(self, url: str, due: Due) -> int:
        """Deliver ``due``; the number of attempts it took. DeliveryError when
        the sink refused it or kept failing past the budget; clock.Stopped at SIGTERM."""
        message = build_message(due, self.source)
        retrying = deadline_retrying(
            self.clock,
            self.clock.monotonic() + self.budget,
            initial=0.5,
            max_backoff=10.0,
            jitter=0.5,
            announce=lambda _, exc, wait: (
                f"observe: delivery of {due.id} failed ({exc}); retry in {wait:.1f}s"
            ),
        )
        try:
            retrying(self._attempt, url, message)
        except TemporaryError as exc:
            raise DeliveryError(str(exc)) from exc
        return int(retrying.statistics.get("attempt_number", 1))
