"""``benchgen-poller notify``: post the run's summary to a Slack-compatible webhook.

Runs in the Pipeline's ``finally`` after the summary. The message is
``report.build_summary``'s lines (the same env), as ``{"text": ...}`` JSON,
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

import argparse
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import urllib3

from generator.contract.commands import NOTIFY
from generator.contract.env import NOTIFY_URL_FILE
from generator.runtime import http
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.errors import (
    EXIT_FAILED,
    EXIT_OK,
    InputError,
    TemporaryError,
)
from generator.runtime.report import build_summary
from generator.runtime.results import write_result
from generator.runtime.retry import deadline_retrying

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
    path = env.get(NOTIFY_URL_FILE, "").strip()
    if not path:
        raise InputError(f"{NOTIFY_URL_FILE} is required (a file mounted from a Secret key)")
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise InputError(f"{NOTIFY_URL_FILE}: cannot read {path}: {reason}") from exc
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) != 1:
        raise InputError(
            f"{NOTIFY_URL_FILE}: {path} must hold exactly one URL (found {len(lines)} lines)"
        )
    url = lines[0]
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("https", "http") and bool(parts.hostname) and " " not in url
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"{NOTIFY_URL_FILE}: {path} does not hold an http(s) URL")
    return url


def _post(pool: urllib3.PoolManager, url: str, body: bytes, timeout: float) -> None:
    # quiet: urllib3's text names the host and path (the token), so the class only.
    resp = http.request(
        pool,
        "POST",
        url,
        timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        body=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
        quiet=True,
    )
    if 200 <= resp.status < 300:
        return
    text = resp.data[:_MAX_BODY].decode("utf-8", errors="replace").strip()
    reason = f"HTTP {resp.status}" + (f": {' '.join(text.split())}" if text else "")
    if resp.status in _RETRY_STATUS:
        raise http.Unavailable(reason, retry_after=http.retry_after(resp))
    raise http.Refused(reason, resp.status)


def send(
    url: str, payload: Mapping[str, str], opts: NotifyOptions, clock: Clock
) -> tuple[bool, str]:
    """POST with bounded retries: (delivered, what happened)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    deadline = clock.monotonic() + opts.timeout
    pool = http.pool()
    retrying = deadline_retrying(
        clock,
        deadline,
        initial=opts.backoff,
        max_backoff=math.inf,
        attempts=opts.attempts,
        # A wait that would pass --timeout is not started: the outage is reported now.
        last_attempt_at_deadline=False,
        announce=lambda attempt, exc, wait: (
            f"notify: attempt {attempt}: {exc}; retrying in {wait:.1f}s"
        ),
    )

    def attempt() -> None:
        left = deadline - clock.monotonic()
        _post(pool, url, body, max(0.1, min(opts.request_timeout, left)))

    try:
        retrying(attempt)
    except http.Refused as exc:
        return False, f"refused: {exc}"
    except TemporaryError as exc:
        attempts = retrying.statistics["attempt_number"]
        if attempts == opts.attempts:
            return False, f"{exc} after {opts.attempts} attempts"
        wait = max(opts.backoff * 2 ** (attempts - 1), exc.retry_after or 0.0)
        return False, f"{exc}; next attempt in {wait:.0f}s would pass --timeout"
    return True, f"sent (attempt {retrying.statistics['attempt_number']})"


DESCRIPTION = (
    f'POST {{"text": <summary>}} to the URL in the file {NOTIFY_URL_FILE}'
    " (a Secret key; the URL is never printed). Env: as for summary. Connection errors,"
    " 408, 429 (Retry-After) and 5xx are retried, at most --attempts times within"
    " --timeout. Exit 0 sent, or not sent and reported (stderr and --status-path);"
    " 1 not sent under --on-failure fail; 2 bad input (no URL file, not a URL)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, NOTIFY, "--timeout", "all attempts", metavar="D")
    add_flag(parser, NOTIFY, "--attempts", "at most", type=int, metavar="N")
    add_flag(parser, NOTIFY, "--request-timeout", "per request", metavar="D")
    add_flag(parser, NOTIFY, "--backoff", "first retry delay", metavar="D")
    add_flag(
        parser, NOTIFY, "--status-path", "write 'sent' or 'failed: <reason>' here", metavar="PATH"
    )
    add_flag(
        parser,
        NOTIFY,
        "--on-failure",
        "not delivered: report and exit 0, or fail: exit 1",
        choices=("report", "fail"),
    )


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    if not 1 <= args.attempts <= 20:
        raise InputError(f"--attempts: {args.attempts} is outside 1..20")
    opts = NotifyOptions(
        timeout=duration(args.timeout, "--timeout"),
        attempts=args.attempts,
        request_timeout=duration(args.request_timeout, "--request-timeout"),
        backoff=duration(args.backoff, "--backoff"),
    )
    try:
        url = read_url(env)
    except InputError as exc:
        write_result(args.status_path, f"failed: {exc}")
        raise
    ok, what = send(url, build_message(env), opts, clock)
    write_result(args.status_path, "sent" if ok else f"failed: {what}")
    if ok:
        print(f"notify: {what}", flush=True)
        return EXIT_OK
    print(f"notify: not delivered: {what}", flush=True, file=sys.stderr)
    return EXIT_FAILED if args.on_failure == "fail" else EXIT_OK
