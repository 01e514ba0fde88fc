"""``benchgen-poller submit``: create the batch once, even across processes and lost answers.

The idempotency key (the TaskRun's uid, carried in ``submittedBy``) is the
same in every pod of the TaskRun: a Tekton ``retries:`` attempt, or the pod
Tekton creates again when one was deleted before it ended (the retry count
does not change then, so it cannot tell). So a process given a key looks for
a batch carrying it before its first POST, and a failure after which the
batch may exist (dropped connection, read timeout, 5xx, an unreadable 201)
arms the same look-up before the POST is sent again. Only a look-up that read
the whole list and found nothing lets a POST go out.

Retries go through tenacity (exponential backoff with jitter, Retry-After
honoured, one overall deadline), look-ups included.
"""

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from generator.runtime.clock import Clock, SystemClock
from generator.runtime.durations import format_duration
from generator.runtime.errors import EXIT_OK, InfraError, InputError, RejectedError
from generator.runtime.orchestrator import (
    Batch,
    ClientError,
    NotFoundError,
    Orchestrator,
    TransientError,
    batches_url,
)
from generator.runtime.request import build_body, parse_spec, token_marker
from generator.runtime.results import write_result
from generator.runtime.retry import attempt_timeout, deadline_retrying

# The contract's list takes page and size, and names no order and no filter.
# One page is one query, so a list that fits in it is one consistent answer
# whatever its order; 1,000 DTOs are about 0.5 MB. A longer list is read page
# after page to a short one (docs/runtime-interface.md: what that assumes).
LIST_PAGE_SIZE = 1000


@dataclass(frozen=True)
class SubmitOptions:
    """The parsed arguments of ``submit``."""

    batch_id_path: str | None
    status_path: str | None
    timeout: float
    request_timeout: float
    backoff: float
    max_backoff: float


@dataclass
class _Search:
    """One look-up through the list, kept across attempts: a failed page is asked
    again, not the pages already read."""

    page: int = 0
    seen: set[int] = field(default_factory=set)
    requests: int = 0


class _Submitter:
    def __init__(
        self,
        api: Orchestrator,
        body: dict[str, object],
        token: str,
        *,
        look_first: bool,
        request_timeout: float,
        remaining: Callable[[], float],
    ) -> None:
        self.api, self.body = api, body
        self.marker = token_marker(token)
        self.request_timeout, self.remaining = request_timeout, remaining
        self.search: _Search | None = _Search() if look_first else None
        self.posted = False
        self.adopted = False

    def _ours(self, batch: Batch) -> bool:
        # The marker ends the value the runtime sent; elsewhere it is someone's text.
        return batch.submitted_by is not None and batch.submitted_by.endswith(self.marker)

    def find_existing(self, search: _Search) -> Batch | None:
        """Read the list from ``search.page`` to its end, or to the first page holding
        this run's batch."""
        while True:
            try:
                items = self.api.list_page(search.page, LIST_PAGE_SIZE, self._timeout())
            except (NotFoundError, ClientError) as exc:
                status = exc.status if isinstance(exc, ClientError) else 404
                if not self.posted:
                    # Nothing sent yet: a wrong endpoint, not worth retrying.
                    raise InfraError(
                        f"GET {self.api.url}: {status} {exc} (wrong endpoint?)"
                    ) from exc
                # The POST may have been acted on: never give up the look-up early.
                raise TransientError(f"list: {status} {exc}", maybe_sent=False) from exc
            search.requests += 1
            ids = {b.batch_id for b in items}
            if search.page > 0 and len(items) >= LIST_PAGE_SIZE and ids <= search.seen:
                # Every page the same: the list cannot be read to its end.
                raise InfraError(
                    f"GET {self.api.url}?page={search.page}: the list answered with batches"
                    " of earlier pages only, so it ignores 'page' and this run's batch"
                    " cannot be looked for; nothing sent"
                )
            search.seen |= ids
            ours = [b for b in items if self._ours(b)]
            if ours:
                return max(ours, key=lambda b: b.batch_id)
            if len(items) < LIST_PAGE_SIZE:
                return None
            search.page += 1
            if self.remaining() <= 0:
                raise TransientError(
                    f"the look-up reached page {search.page} of the list at the deadline",
                    maybe_sent=False,
                )

    def _timeout(self) -> float:
        return attempt_timeout(self.request_timeout, self.remaining())

    def attempt(self) -> Batch:
        if self.search is not None:
            existing = self.find_existing(self.search)
            pages = f"{self.search.requests} request(s), {len(self.search.seen)} batches"
            if existing is not None:
                print(
                    f"found batch {existing.batch_id} with this run's key ({pages}); adopting it",
                    flush=True,
                )
                self.adopted = True
                return existing
            print(f"no batch with this run's key in the list ({pages}); sending", flush=True)
            self.search = None
        self.posted = True
        try:
            return self.api.create(self.body, self._timeout())
        except TransientError as exc:
            if exc.maybe_sent:
                self.search = _Search()
            raise
        except NotFoundError as exc:
            raise InfraError(f"POST {self.api.url}: 404 {exc} (wrong endpoint?)") from exc
        except ClientError as exc:
            if exc.status == 400:
                raise RejectedError(f"the orchestrator rejected the batch: {exc}") from exc
            raise InfraError(f"POST {self.api.url}: {exc.status} {exc}") from exc


def run_submit(
    opts: SubmitOptions, env: Mapping[str, str] | None = None, clock: Clock | None = None
) -> int:
    """Submit the batch; write the results; the exit code."""
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    url = batches_url(
        env.get("BENCHGEN_ORCHESTRATOR_URL", ""), env.get("BENCHGEN_BATCH_ENDPOINT", "")
    )
    fields = parse_spec(env.get("BENCHGEN_REQUEST_SPEC"))
    token = env.get("BENCHGEN_IDEMPOTENCY_KEY", "").strip()
    # A given key may have been used by an earlier pod of the same TaskRun.
    look_first = bool(token)
    if not token:
        # Still protects this process's own retries; a Task retry would not match.
        token = str(uuid.uuid4())
        print("BENCHGEN_IDEMPOTENCY_KEY is empty; using a fresh key for this attempt")
    elif len(token) > 128 or not token.isprintable():
        raise InputError("BENCHGEN_IDEMPOTENCY_KEY must be printable and at most 128 characters")
    body = build_body(fields, env, token)

    print(f"submitting to {url}")
    print(f"body: {json.dumps(body, separators=(',', ':'), ensure_ascii=False)}", flush=True)
    start = clock.monotonic()
    deadline = start + opts.timeout

    def remaining() -> float:
        return deadline - clock.monotonic()

    submitter = _Submitter(
        Orchestrator(url),
        body,
        token,
        look_first=look_first,
        request_timeout=opts.request_timeout,
        remaining=remaining,
    )

    retrying = deadline_retrying(
        clock,
        deadline,
        TransientError,
        initial=opts.backoff,
        max_backoff=opts.max_backoff,
        jitter=opts.backoff,
        describe=lambda attempt, exc: f"attempt {attempt} failed: {exc}",
    )
    try:
        batch = retrying(submitter.attempt)
    except TransientError as exc:
        raise InfraError(
            f"gave up after {format_duration(clock.monotonic() - start)}: {exc}"
        ) from exc

    status = batch.status or "UNKNOWN"
    write_result(opts.batch_id_path, str(batch.batch_id))
    write_result(opts.status_path, status)
    verb = "adopted" if submitter.adopted else "created"
    print(f"{verb} batch {batch.batch_id} ({status})", flush=True)
    return EXIT_OK
