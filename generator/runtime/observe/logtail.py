"""The step log tail an event carries: bounded in size, credential-looking values redacted.

Redaction runs on whole lines *before* the tail is cut to size, and a line the
read window started in the middle of is dropped, so a cut can never leave the
value of a ``password=...`` behind without its key. The patterns are
deliberately greedy: a redacted token count costs nothing, a leaked token does.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"

_KEYWORDS = (
    r"passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|authorization|auth[_-]?key|session[_-]?id|cookie|signature"
)
# key=value, key: value, "key": "value", KEY_PASSWORD='v' (the key keeps its name).
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>[\w.-]*(?:{_KEYWORDS})[\w.-]*["']?\s*[:=]\s*)
    (?P<value>"[^"\n]*"|'[^'\n]*'|[^\s,;&"']+)
    """
)
# --password value, -token value
_FLAG_VALUE = re.compile(
    rf"(?i)(?P<key>(?<![\w-])--?[\w-]*(?:{_KEYWORDS})[\w-]*\s+)(?P<value>[^\s-]\S*)"
)
# Authorization: Bearer abc..., Basic dXNlcjpw...
_SCHEME = re.compile(r"(?i)\b(?P<key>bearer|basic|token)\s+(?P<value>[A-Za-z0-9._~+/-]{8,}=*)")
# https://user:password@host
_URL_USERINFO = re.compile(r"(?i)(?P<key>\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<value>[^/\s@]+)(?=@)")
# Well-known token shapes, wherever they appear.
_TOKEN_SHAPES = re.compile(
    r"""(?x)
    \beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*          # JWT
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b            # AWS access key id
    | \bgh[pousr]_[A-Za-z0-9]{30,}             # GitHub tokens
    | \bgithub_pat_\w{20,}
    | \bglpat-[\w-]{20,}                       # GitLab
    | \bxox[abprs]-[\w-]{10,}                  # Slack
    | \bAIza[\w-]{35}                          # Google API key
    | \bsk-[\w-]{20,}                          # OpenAI-style keys
    | \bhf_[A-Za-z0-9]{30,}                    # Hugging Face
    """
)
_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
# The window began inside a key block: everything up to its END line goes.
_PEM_TAIL = re.compile(r"\A.*?-----END [A-Z0-9 ]*PRIVATE KEY-----", re.DOTALL)


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return f"{match.group('key')}{value[0]}{MASK}{value[0]}"
    return f"{match.group('key')}{MASK}"


def redact(text: str) -> str:
    """``text`` with credential-looking values replaced by ``[REDACTED]``."""
    if "PRIVATE KEY-----" in text:
        if "-----BEGIN" not in text.split("PRIVATE KEY-----", 1)[0]:
            text = _PEM_TAIL.sub(MASK, text, count=1)
        text = _PEM_BLOCK.sub(MASK, text)
    text = _URL_USERINFO.sub(_mask_value, text)
    text = _SCHEME.sub(_mask_value, text)
    text = _FLAG_VALUE.sub(_mask_value, text)
    text = _KEY_VALUE.sub(_mask_value, text)
    return _TOKEN_SHAPES.sub(MASK, text)


def redact_strings(value: Any) -> Any:
    """``value`` (JSON-like) with every string redacted: a step's terminated
    ``message`` carries its results, which a step may have filled from a secret."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_strings(v) for v in value]
    return value


def read_window(cap: int) -> int:
    """How many trailing bytes to keep while reading a log for a ``cap``-byte
    tail: room for redaction to see whole lines and for the masks to shrink."""
    return 2 * cap + 4096


def build_tail(raw: bytes, cap: int, *, complete: bool) -> tuple[str, bool]:
    """(tail, truncated): the last ``cap`` bytes of the redacted log as UTF-8.

    ``raw`` is the end of the log; ``complete`` says it is the whole log (else
    its first line is partial and dropped)."""
    if cap <= 0:
        return "", bool(raw)
    truncated = not complete
    if not complete:
        newline = raw.find(b"\n")
        raw = raw[newline + 1 :] if newline >= 0 else b""
    text = redact(raw.decode("utf-8", errors="replace"))
    encoded = text.encode("utf-8")
    if len(encoded) > cap:
        truncated = True
        # Cutting may split a character: drop its leftover continuation bytes.
        text = encoded[-cap:].decode("utf-8", errors="ignore")
    return text, truncated
