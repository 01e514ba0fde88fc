"""``benchgen-poller notify``: post the run's summary to a Slack-compatible webhook.

Runs in the Pipeline's ``finally`` after the summary. The message is
``summary.build_summary``'s lines (the same env), as ``{"text": ...}`` JSON,
which Slack incoming webhooks and the Slack-compatible endpoints of
Mattermost, Rocket.Chat and Discord (``/slack``) accept.

A notification reports on the run; it is not part of it. So a chat outage
never turns a good benchmark red: when the message cannot be delivered
(after bounded retries) it is said on stderr and in the ``--status-path``
result, and the exit code is 0 unless ``--on-failure fail``. Bad input (no
URL file, not a URL) is a deployment error and exits 2 at once, so it is
seen on the first run. The webhook URL is a credential (Slack's carries its
token in the path): it is never printed, and neither is an exception text
that could contain it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import urllib3

from generator import __version__
from generator.runtime.errors import EXIT_FAILED, EXIT_OK, InputError
from generator.runtime.results import write_result
from generator.runtime.retry import retry_after_seconds
from generator.runtime.summary import build_summary

URL_FILE_ENV = "BENCHGEN_NOTIFY_URL_FILE"
# Slack's answers worth waiting for; any other 4xx (invalid_payload,
# invalid_token, no_service, channel_is_archived) will not change on retry.
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_MAX_BODY = 200


@dataclass(frozen=True)
class NotifyOptions:
    timeout: float  # all attempts together
    attempts: int
    request_timeout: float
    backoff: float  # first delay, doubled per attempt
    status_path: str | None
    fail_on_error: bool


def _escape(text: str) -> str:
    # Slack's mrkdwn: these three are control characters in message text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_message(env: Mapping[str, str]) -> dict[str, str]:
    """The Slack payload: the summary's first line, the rest as a code block."""
    first, *rest = build_summary(env)
    text = f"*{_escape(first)}*"
    if rest:
        text += "\n```\n" + _escape("\n".join(rest)) + "\n```"
    return {"text": text}


def read_url(env: Mapping[str, str]) -> str:
    """The webhook URL from the mounted Secret file; InputError without its content."""
    path = env.get(URL_FILE_ENV, "").strip()
    if not path:
        raise InputError(f"{URL_FILE_ENV} is required (a file mounted from a Secret key)")
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise InputError(f"{URL_FILE_ENV}: cannot read {path}: {reason}") from exc
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) != 1:
        raise InputError(
            f"{URL_FILE_ENV}: {path} must hold exactly one URL (found {len(lines)} lines)"
        )
    url = lines[0]
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("https", "http") and bool(parts.hostname) and " " not in url
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"{URL_FILE_ENV}: {path} does not hold an http(s) URL")
    return url


class _Failed(Exception):
    """One attempt failed; ``retry`` says whether another may help."""

    def __init__(self, reason: str, *, retry: bool, after: float | None = None) -> None:
        super().__init__(reason)
        self.retry = retry
        self.after = after


def _post(http: urllib3.PoolManager, url: str, body: bytes, timeout: float) -> None:
    try:
        resp = http.request(
            "POST",
            url,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": f"benchgen-poller/{__version__}",
            },
            timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        # The exception's text names the host and path (the token): the class only.
        raise _Failed(f"no answer ({type(exc).__name__})", retry=True) from None
    if 200 <= resp.status < 300:
        return
    text = resp.data[:_MAX_BODY].decode("utf-8", errors="replace").strip()
    reason = f"HTTP {resp.status}" + (f": {' '.join(text.split())}" if text else "")
    retry = resp.status in _RETRY_STATUS
    raise _Failed(reason, retry=retry, after=retry_after_seconds(resp.headers.get("Retry-After")))


def send(
    url: str,
    payload: Mapping[str, str],
    opts: NotifyOptions,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[bool, str]:
    """POST with bounded retries: (delivered, what happened)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    deadline = monotonic() + opts.timeout
    delay = opts.backoff
    http = urllib3.PoolManager(num_pools=1)
    reason = ""
    for attempt in range(1, opts.attempts + 1):
        left = deadline - monotonic()
        try:
            _post(http, url, body, max(0.1, min(opts.request_timeout, left)))
            return True, f"sent (attempt {attempt})"
        except _Failed as exc:
            reason = str(exc)
            if not exc.retry:
                return False, f"refused: {reason}"
            wait = max(delay, exc.after or 0.0)
            if attempt == opts.attempts:
                break
            if monotonic() + wait >= deadline:
                return False, f"{reason}; next attempt in {wait:.0f}s would pass --timeout"
            print(f"notify: attempt {attempt}: {reason}; retrying in {wait:.1f}s", flush=True)
            sleep(wait)
            delay *= 2
    return False, f"{reason} after {opts.attempts} attempts"


def run_notify(opts: NotifyOptions, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        url = read_url(env)
    except InputError as exc:
        write_result(opts.status_path, f"failed: {exc}")
        raise
    ok, what = send(url, build_message(env), opts)
    write_result(opts.status_path, "sent" if ok else f"failed: {what}")
    if ok:
        print(f"notify: {what}", flush=True)
        return EXIT_OK
    print(f"notify: not delivered: {what}", flush=True, file=sys.stderr)
    return EXIT_FAILED if opts.fail_on_error else EXIT_OK
