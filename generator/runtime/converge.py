"""The shape ``apply`` and ``cleanup`` share: API calls retried until one deadline,
a kind resolved against discovery, and a wait until nothing is left pending.

Both commands act on objects picked by the generator's spec (contract.apply,
contract.cleanup) and then wait for the cluster to catch up: objects Ready, or
objects gone. The API errors mean the same for both: a temporary one is retried
until the command's deadline (then exit 4, :class:`InfraError`); a refusal
waiting cannot fix (no permission, an invalid object, an unknown kind) is bad
configuration (exit 2, :class:`InputError`). Waiting is not retrying: the calls
succeed, the cluster is just not there yet, so the wait has a loop of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from generator.contract.durations import describe_duration
from generator.runtime import kube
from generator.runtime.clock import Clock
from generator.runtime.errors import InfraError, InputError, PermanentError, TemporaryError
from generator.runtime.retry import deadline_retrying

T = TypeVar("T")

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 10.0


@dataclass(frozen=True)
class Deadline:
    """One command's clock and deadline, and the prefix of its log lines."""

    clock: Clock
    start: float
    at: float
    command: str

    @classmethod
    def after(cls, clock: Clock, timeout: float, command: str) -> Deadline:
        start = clock.monotonic()
        return cls(clock, start, start + timeout, command)

    def took(self) -> str:
        return describe_duration(self.clock.monotonic() - self.start)

    def log(self, message: str) -> None:
        print(f"{self.command}: {message}", flush=True)

    def call(self, what: str, call: Callable[[], T], not_found: bool = False) -> T:
        """``call()``, retried on temporary API errors until the deadline.
        ``not_found``: a 404 is the caller's to handle (raised as it is)."""
        retrying = deadline_retrying(
            self.clock,
            self.at,
            initial=INITIAL_BACKOFF,
            max_backoff=MAX_BACKOFF,
            last_attempt_at_deadline=False,
            announce=lambda _, exc, wait: f"{self.command}: {what}: {exc}; retrying in {wait:.1f}s",
        )
        try:
            return retrying(call)
        except kube.NotFound as exc:
            if not_found:
                raise
            raise InputError(f"{what}: {exc}") from exc
        except PermanentError as exc:
            if isinstance(exc, kube.KubeError):
                raise InputError(f"{what}: {exc}") from exc
            raise
        except TemporaryError as exc:
            raise InfraError(f"{what}: {exc}; giving up at the deadline") from exc

    def resolve(
        self,
        client: kube.ObjectClient,
        api_version: str,
        kind: str,
        plural: str | None,
        namespaced: bool = False,
    ) -> Any:
        """The API resource of ``kind``; refused when discovery names it otherwise than
        ``plural`` (the RBAC the generator wrote is for that name) or, with
        ``namespaced``, when it is cluster-scoped."""
        what = f"{kind} ({api_version})"
        res = self.call(f"resolve {what}", partial(client.resource, api_version, kind))
        if plural and res.name != plural:
            raise InputError(
                f"{what}: the API server names it {res.name!r}, the spec says {plural!r}"
                f" (its RBAC is for {plural!r}): set 'plural'"
            )
        if namespaced and not res.namespaced:
            raise InputError(f"{what} is cluster-scoped: it cannot be a target")
        return res

    def wait(self, interval: float, initial: float, pending: Callable[[], list[str]]) -> list[str]:
        """Call ``pending()`` until it lists nothing or the deadline passes, pausing
        ``initial`` and doubling up to ``interval``; what was still pending (empty:
        done). Each round that is not the last logs what it waits for."""
        delay = min(initial, interval)
        while True:
            left = pending()
            now = self.clock.monotonic()
            if not left or now >= self.at:
                return left
            self.log(f"waiting for {len(left)}: " + "; ".join(left))
            self.clock.sleep(min(delay, self.at - now))
            delay = min(delay * 2, interval)
