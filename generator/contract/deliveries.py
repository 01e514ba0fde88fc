"""The dedup record: event keys whose run was created, kept after the run is pruned.

A redelivered event names the run its first delivery created (``event_key``), so
while that run exists the API server refuses the copy. Once the run is deleted
(pruned by hand or by a pruner) only this record remembers the key: the
``event-key`` interceptor refuses a key found here. It is the ``data`` key
``RECORD_KEY`` of ConfigMap ``<name>-deliveries``, one line per key::

    <key> <unix seconds when its run was first seen>

oldest first. It is bounded by count (``MAX_KEYS``) and age (``MAX_AGE``): a
key is dropped once older than ``MAX_AGE``, and past ``MAX_KEYS`` the oldest
go first. 10,000 lines of 44 bytes are 440,000 bytes, well under the 1 MiB an
object may hold. Part of ``generator.contract`` (standard library only).
"""

from __future__ import annotations

import re

RECORD_KEY = "deliveries"
MAX_KEYS = 10_000
MAX_AGE = 7 * 24 * 3600  # seconds: GitHub lets a delivery be redelivered for 3 days
_LINE = re.compile(r"([0-9a-f]{32}) ([0-9]{1,12})")


def parse(text: str | None) -> dict[str, int]:
    """The record's keys and first-seen times; lines that are not a record line are
    skipped (a hand edit loses those lines only, never the rest)."""
    record: dict[str, int] = {}
    for line in (text or "").splitlines():
        match = _LINE.fullmatch(line.strip())
        if match:
            key, seen = match.group(1), int(match.group(2))
            record[key] = min(seen, record.get(key, seen))
    return record


def bounded(record: dict[str, int], now: float) -> dict[str, int]:
    """``record`` without keys older than MAX_AGE, then the newest MAX_KEYS."""
    fresh = sorted(
        ((seen, key) for key, seen in record.items() if now - seen <= MAX_AGE),
        reverse=True,
    )[:MAX_KEYS]
    return {key: seen for seen, key in sorted(fresh)}


def render(record: dict[str, int]) -> str:
    """The ConfigMap value, oldest first."""
    return "".join(f"{key} {seen}\n" for key, seen in sorted(record.items(), key=lambda i: i[::-1]))


def with_keys(text: str | None, keys: dict[str, int], now: float) -> str | None:
    """The record ``text`` with ``keys`` (key -> first seen) added and bounded; None when
    nothing changes (every key is there already and nothing expired)."""
    record = parse(text)
    merged = dict(record)
    for key, seen in keys.items():
        merged[key] = min(seen, merged.get(key, seen))
    merged = bounded(merged, now)
    return None if merged == record else render(merged)
