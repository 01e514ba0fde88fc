"""``benchgen-poller submit``: create the batch once, even when answers get lost.

Retries go through tenacity (exponential backoff with jitter, Retry-After
honoured, one overall deadline). A failure after which the batch may exist on
the server (dropped connection, read timeout, 5xx, an unreadable 201) arms a
look-up: before the POST is sent again, the batch list is searched for this
run's idempotency key (carried in ``submittedBy``) and a match is adopted.
"""

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

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

LIST_PAGE_SIZE = 20
# How far the look-up pages through the list (its order is not specified).
LIST_MAX_PAGES = 50


@dataclass(frozen=True)
class SubmitOptions:
    """The parsed arguments of ``submit``."""

    batch_id_path: str | None
    status_path: str | None
    timeout: float
    request_timeout: float
    backoff: float
    max_backoff: float


class _Submitter:
    def __init__(self, api: Orchestrator, body: dict[str, object], token: str, clock: Clock):
        self.api, self.body, self.clock = api, body, clock
        self.marker = token_marker(token)
        self.must_look_first = False
        self.adopted = False

    def find_existing(self, timeout: float) -> Batch | None:
        found: list[Batch] = []
        for page in range(LIST_MAX_PAGES):
            try:
                items = self.api.list_page(page, LIST_PAGE_SIZE, timeout)
            except NotFoundError as exc:
                raise TransientError(f"list: 404 {exc}", maybe_sent=False) from exc
            except ClientError as exc:
                raise TransientError(f"list: {exc.status} {exc}", maybe_sent=False) from exc
            found += [b for b in items if b.submitted_by and self.marker in b.submitted_by]
            if len(items) < LIST_PAGE_SIZE:
                break
        return max(found, key=lambda b: b.batch_id) if found else None

    def attempt(self, timeout: float) -> Batch:
        if self.must_look_first:
            existing = self.find_existing(timeout)
            if existing is not None:
                print(f"found batch {existing.batch_id} created by an earlier attempt; adopting it")
                self.adopted = True
                return existing
            print("no batch from an earlier attempt in the list; sending again")
            self.must_look_first = False
        try:
            return self.api.create(self.body, timeout)
        except TransientError as exc:
            if exc.maybe_sent:
                self.must_look_first = True
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
    if not token:
        # Still protects this process's own retries; a Task retry would not match.
        token = str(uuid.uuid4())
        print("BENCHGEN_IDEMPOTENCY_KEY is empty; using a fresh key for this attempt")
    elif len(token) > 128 or not token.isprintable():
        raise InputError("BENCHGEN_IDEMPOTENCY_KEY must be printable and at most 128 characters")
    body = build_body(fields, env, token)

    print(f"submitting to {url}")
    print(f"body: {json.dumps(body, separators=(',', ':'), ensure_ascii=False)}", flush=True)
    submitter = _Submitter(Orchestrator(url), body, token, clock)
    start = clock.monotonic()
    deadline = start + opts.timeout

    def remaining() -> float:
        return deadline - clock.monotonic()

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
        batch = retrying(
            lambda: submitter.attempt(attempt_timeout(opts.request_timeout, remaining()))
        )
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
