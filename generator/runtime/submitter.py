"""Creating a batch exactly once, across processes and lost answers: what
``submit`` (a pod per run) and the custom-task controller (one process for all
runs) both do.

A :class:`Submitter` is given the run's idempotency key (carried in
``submittedBy``). With ``look_first`` it looks for a batch carrying that key
before its first POST (the key may have been used by an earlier pod, or by the
controller before a restart), and a failure after which the batch may exist
(dropped connection, read timeout, 5xx, an unreadable 201) arms the same
look-up before the POST is sent again. Only a look-up that read the whole
list and found nothing lets a POST go out. Its caller retries ``attempt()``
on TemporaryError within one deadline.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from generator.contract.orchestrator import token_marker
from generator.runtime.errors import InfraError, RejectedError
from generator.runtime.http import Refused, Unavailable
from generator.runtime.orchestrator import Batch, Orchestrator
from generator.runtime.retry import Deadline

# The contract's list takes page and size, and names no order and no filter.
# One page is one query, so a list that fits in it is one consistent answer
# whatever its order; 1,000 DTOs are about 0.5 MB. A longer list is read page
# after page to a short one (docs/runtime-interface.md: what that assumes).
LIST_PAGE_SIZE = 1000


@dataclass
class _Search:
    """One look-up through the list, kept across attempts: a failed page is asked
    again, not the pages already read."""

    page: int = 0
    seen: set[int] = field(default_factory=set)
    requests: int = 0


class Submitter:
    def __init__(
        self,
        api: Orchestrator,
        body: dict[str, object],
        token: str,
        *,
        look_first: bool,
        deadline: Deadline,
        say: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self.api, self.body = api, body
        self.marker = token_marker(token)
        self.deadline = deadline
        self.say = say  # the controller prefixes the run
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
                items = self.api.list_page(
                    search.page, LIST_PAGE_SIZE, self.deadline.request_timeout()
                )
            except Refused as exc:
                status = exc.status
                if not self.posted:
                    # Nothing sent yet: a wrong endpoint, not worth retrying.
                    raise InfraError(
                        f"GET {self.api.url}: {status} {exc} (wrong endpoint?)"
                    ) from exc
                # The POST may have been acted on: never give up the look-up early.
                raise Unavailable(f"list: {status} {exc}", maybe_sent=False) from exc
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
            if self.deadline.remaining() <= 0:
                raise Unavailable(
                    f"the look-up reached page {search.page} of the list at the deadline",
                    maybe_sent=False,
                )

    def attempt(self) -> Batch:
        if self.search is not None:
            existing = self.find_existing(self.search)
            pages = f"{self.search.requests} request(s), {len(self.search.seen)} batches"
            if existing is not None:
                self.say(
                    f"found batch {existing.batch_id} with this run's key ({pages}); adopting it"
                )
                self.adopted = True
                return existing
            self.say(f"no batch with this run's key in the list ({pages}); sending")
            self.search = None
        self.posted = True
        try:
            return self.api.create(self.body, self.deadline.request_timeout())
        except Unavailable as exc:
            if exc.maybe_sent:
                self.search = _Search()
            raise
        except Refused as exc:
            if exc.status == 404:
                raise InfraError(f"POST {self.api.url}: 404 {exc} (wrong endpoint?)") from exc
            if exc.status == 400:
                raise RejectedError(f"the orchestrator rejected the batch: {exc}") from exc
            raise InfraError(f"POST {self.api.url}: {exc.status} {exc}") from exc
