"""Durations in Go's form (``30s``, ``5m``, ``1h30m``), as Tekton and the runtime read them."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)(h|m|s)")
_WHOLE = re.compile(r"(?:\d+h)?(?:\d+m)?(?:\d+s)?")
_UNIT = {"h": 3600, "m": 60, "s": 1}
# Go's time.Duration is an int64 of nanoseconds: Tekton's timeouts and the
# runtime's arguments cannot hold more (2562047h47m16.854775807s).
MAX_SECONDS = (2**63 - 1) // 10**9


def parse_duration(text: str) -> int:
    """Return seconds; raise ValueError with a hint on anything else."""
    if not text or not _WHOLE.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a duration; use hours, minutes and seconds such as 30s, 5m, 1h30m, 8h"
        )
    seconds = sum(int(n) * _UNIT[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(
            f"{text!r} is longer than Kubernetes and Tekton can hold (Go's duration type:"
            f" at most {format_duration(MAX_SECONDS)})"
        )
    return seconds


def format_duration(seconds: int) -> str:
    """The canonical Go form of a whole number of seconds (``1h30m``, ``45s``)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or not out:
        out += f"{secs}s"
    return out
