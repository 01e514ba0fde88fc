"""Go-style durations (``30s``, ``5m``, ``1h30m``, ``250ms``), as Tekton and the config use."""

import re

from generator.runtime.errors import InputError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str, *, what: str) -> float:
    """Seconds in ``text``; an InputError naming ``what`` if it is not a positive duration."""
    value = text.strip()
    pos, total = 0, 0.0
    while pos < len(value):
        match = _PART.match(value, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise InputError(f"{what}: {text!r} is not a duration like 30s, 5m or 1h30m")
    if total <= 0:
        raise InputError(f"{what}: {text!r} must be greater than zero")
    return total


def format_duration(seconds: float) -> str:
    """A short human form: ``45s``, ``12m05s``, ``2h03m``; sub-second values as ``0.25s``."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.2f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
