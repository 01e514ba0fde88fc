"""The one duration grammar: Go's ``time.ParseDuration``, which Tekton, Kubernetes
and every ``benchgen-poller`` flag read.

The compiler checks and canonicalises durations with it; the runtime parses its
flags and env with it. Parsing is done in integer nanoseconds exactly as Go does
(including its float step for fractions and its overflow rules), so a value
accepted here is accepted, with the same meaning, by the Go programs that read
what benchgen writes. ``tests/conformance`` checks a corpus against Go itself.
"""

from __future__ import annotations

_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # U+00B5 micro sign
    "\u03bcs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_LIMIT = 1 << 63
# Go's time.Duration is an int64 of nanoseconds: nothing longer can be written
# into a Tekton timeout or read by the Go side (2562047h47m16.854775807s).
MAX_NANOSECONDS = _LIMIT - 1
MAX_SECONDS = MAX_NANOSECONDS // 10**9
HINT = "use a number and a unit such as 30s, 5m, 1h30m, 250ms"


def _leading_int(s: str) -> tuple[int, str] | None:
    x, i = 0, 0
    while i < len(s) and "0" <= s[i] <= "9":
        if x > _LIMIT // 10:
            return None
        x = x * 10 + ord(s[i]) - 48
        if x > _LIMIT:
            return None
        i += 1
    return x, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    x, scale, i, overflow = 0, 1.0, 0, False
    while i < len(s) and "0" <= s[i] <= "9":
        if not overflow:
            y = x * 10 + ord(s[i]) - 48
            if x > (_LIMIT - 1) // 10 or y > _LIMIT:
                overflow = True  # Go stops adding precision here; it is not an error
            else:
                x, scale = y, scale * 10
        i += 1
    return x, scale, s[i:]


def go_nanoseconds(text: str) -> int:
    """``time.ParseDuration(text)`` in nanoseconds (negative allowed); ValueError
    with Go's reason otherwise."""
    invalid = ValueError(f"{text!r} is not a duration; {HINT}")
    s, neg = text, False
    if s and s[0] in "+-":
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        before = len(s)
        leading = _leading_int(s)
        if leading is None:
            raise ValueError(f"{text!r} is too long for a duration (Go's limit is 2562047h)")
        value, s = leading
        pre = before != len(s)
        post, frac, scale = False, 0, 1.0
        if s and s[0] == ".":
            s = s[1:]
            before = len(s)
            frac, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise invalid
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError(f"{text!r} has a number without a unit; {HINT}")
        unit_name, s = s[:i], s[i:]
        unit = _UNIT_NS.get(unit_name)
        if unit is None:
            raise ValueError(
                f"{text!r} has an unknown unit {unit_name!r}; use ns, us, ms, s, m or h"
            )
        if value > _LIMIT // unit:
            raise _too_long(text)
        value *= unit
        if frac > 0:
            # Go multiplies in float64 here, and so does Python: the same nanosecond.
            value += int(float(frac) * (float(unit) / scale))
            if value > _LIMIT:
                raise _too_long(text)
        total += value
        if total > _LIMIT:
            raise _too_long(text)
    if neg:
        return -total
    if total > MAX_NANOSECONDS:
        raise _too_long(text)
    return total


def _too_long(text: str) -> ValueError:
    return ValueError(
        f"{text!r} is longer than Kubernetes and Tekton can hold (Go's duration type:"
        f" at most {format_duration(MAX_SECONDS)})"
    )


def parse_duration(text: str) -> float:
    """Seconds in ``text``, which must be a positive Go duration; ValueError otherwise."""
    nanoseconds = go_nanoseconds(text)
    if nanoseconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return nanoseconds / 1e9


def whole_seconds(text: str) -> int:
    """A positive duration that Kubernetes keeps as whole seconds (a CronJob's
    ``startingDeadlineSeconds``); ValueError for a fraction of a second."""
    nanoseconds = go_nanoseconds(text)
    if nanoseconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if nanoseconds % 10**9:
        raise ValueError(f"{text!r} must be a whole number of seconds")
    return nanoseconds // 10**9


def format_duration(seconds: float) -> str:
    """The shortest Go form of ``seconds`` (not negative): ``1h30m``, ``45s``,
    ``0.25s``, ``1m0.5s``; whole seconds always read back exactly."""
    nanoseconds = round(seconds * 10**9)
    hours, rest = divmod(nanoseconds, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    whole, fraction = divmod(rest, 10**9)
    out = f"{hours}h" if hours else ""
    out += f"{minutes}m" if minutes else ""
    if fraction:
        out += f"{whole}.{fraction:09d}".rstrip("0") + "s"
    elif whole or not out:
        out += f"{whole}s"
    return out


def describe_duration(seconds: float) -> str:
    """For people, in log lines: ``45s``, ``12m05s``, ``2h03m``; below 10 s with a
    fraction, ``0.25s``."""
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
