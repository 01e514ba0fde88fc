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

Where the key is, is the API's (``OrchestratorApi``): sast-ai's list shows each
batch's ``submittedBy``, which ends with the run's marker; GitLab's does not show
a pipeline's variables, so each listed pipeline's are read (newest first, so the
run's own pipeline is met early) until the one carrying the key.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from generator.contract.orchestrator import token_marker
from generator.contract.orchestrator_api import SAST_AI
from generator.runtime.errors import InfraError, RejectedError
from generator.runtime.http import Refused, Unavailable
from generator.runtime.orchestrator import Batch, Orchestrator
from generator.runtime.retry import Deadline

# The sast-ai contract's list takes page and size, and names no order and no
# filter. One page is one query, so a list that fits in it is one consistent
# answer whatever its order; 1,000 DTOs are about 0.5 MB. A longer list is read
# page after page to a short one (docs/runtime-interface.md: what that assumes).
LIST_PAGE_SIZE = SAST_AI.page_size


@dataclass
class _Search:
    """One look-up through the list, kept across attempts: a failed page is asked
    again, not the pages already read."""

    page: int = 0
    seen: set[int] = field(default_factory=set)
    requests: int = 0
    # Batches whose key was read (an API whose list does not show it) and is not ours.
    checked: set[int] = field(default_factory=set)
    # The page read last and its batches: a key look-up failing within a page has it
    # read again, which must not count as a list that ignores 'page'.
    last: tuple[int, set[int]] = (-1, set())


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
        self.token = token
        self.marker = token_marker(token)
        self.deadline = deadline
        self.say = say  # the controller prefixes the run
        self.search: _Search | None = self._search() if look_first else None
        self.posted = False
        self.adopted = False

    def _search(self) -> _Search:
        return _Search(page=self.api.api.first_page)

    def _ours(self, batch: Batch) -> bool:
        # The marker ends the value the runtime sent; elsewhere it is someone's text.
        return batch.submitted_by is not None and batch.submitted_by.endswith(self.marker)

    def _find_by_lookup(self, items: list[Batch], search: _Search) -> Batch | None:
        """The first of ``items`` (the list's order: GitLab's newest first) whose key,
        read batch by batch, is the run's."""
        for batch in items:
            if batch.batch_id in search.checked:
                continue
            try:
                key = self.api.key_of(batch.batch_id, self.deadline.request_timeout())
            except Refused as exc:
                if exc.status == 404:
                    key = None  # deleted since the list was read: not ours to find any more
                elif not self.posted:
                    # Nothing sent yet: the token may not read variables, not worth retrying.
                    raise InfraError(
                        f"GET {self.api.url}: {exc.status} {exc} reading batch"
                        f" {batch.batch_id}'s key (does the token allow it?)"
                    ) from exc
                else:
                    raise Unavailable(f"key: {exc.status} {exc}", maybe_sent=False) from exc
            search.requests += 1
            if key == self.token:
                return batch
            search.checked.add(batch.batch_id)
        return None

    def find_existing(self, search: _Search) -> Batch | None:
        """Read the list from ``search.page`` to its end, or to the first page holding
        this run's batch."""
        size = self.api.api.page_size
        while True:
            try:
                items = self.api.list_page(search.page, size, self.deadline.request_timeout())
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
            later = search.page > self.api.api.first_page
            earlier = search.seen - search.last[1] if search.last[0] == search.page else search.seen
            if later and len(items) >= size and ids <= earlier:
                # Every page the same: the list cannot be read to its end.
                raise InfraError(
                    f"GET {self.api.url}?page={search.page}: the list answered with batches"
                    " of earlier pages only, so it ignores 'page' and this run's batch"
                    " cannot be looked for; nothing sent"
                )
            search.seen |= ids
            search.last = (search.page, ids)
            if self.api.api.key_lookup_path is not None:
                found = self._find_by_lookup(items, search)
                if found is not None:
                    return found
            else:
                ours = [b for b in items if self._ours(b)]
                if ours:
                    return max(ours, key=lambda b: b.batch_id)
            if len(items) < size:
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
                self.search = self._search()
            raise
        except Refused as exc:
            if exc.status == 404:
                raise InfraError(
                    f"{self._post} {self.api.submit_url}: 404 {exc} (wrong endpoint?)"
                ) from exc
            if exc.status == 400:
                raise RejectedError(f"the orchestrator rejected the batch: {exc}") from exc
            raise InfraError(f"{self._post} {self.api.submit_url}: {exc.status} {exc}") from exc

    @property
    def _post(self) -> str:
        return self.api.api.submit_method
