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

The texts come from templates (``notify_template``: the user's Jinja2 templates
from benchmark.yaml, or the defaults, rendered by the same sandboxed code), and
an e-mail channel (``smtp``) goes beside or instead of the webhook: each is
delivered on its own, within the one ``--timeout``, and reported on its own.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import urllib3

from generator.contract import notify as contract
from generator.contract.commands import NOTIFY
from generator.contract.env import (
    NOTIFY_SMTP_CREDENTIALS,
    NOTIFY_SPEC,
    NOTIFY_TEMPLATES,
    NOTIFY_URL_FILE,
)
from generator.runtime import http, smtp
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.errors import (
    EXIT_FAILED,
    EXIT_OK,
    ContractError,
    InputError,
    PermanentError,
    TemporaryError,
)
from generator.runtime.notify_template import (
    TemplateFailed,
    one_line,
    read_templates,
    render,
    render_or_default,
    run_values,
    warn,
)
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


def build_message(env: Mapping[str, str]) -> dict[str, str]:
    """The default Slack payload: the summary's first line, the rest as a code block
    (contract.notify.DEFAULT_SLACK, rendered as a configured template would be)."""
    values = run_values(env, contract.decode(env))
    text = render(contract.DEFAULT_SLACK, values, "slack", contract.SLACK_TEXT_MAX)
    return {"text": text.rstrip()}


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


def _deliver(
    what: str,
    attempt: Callable[[float], None],
    opts: NotifyOptions,
    clock: Clock,
    deadline: float,
) -> tuple[bool, str]:
    """``attempt(request_timeout)`` with bounded retries: (delivered, what happened)."""
    retrying = deadline_retrying(
        clock,
        deadline,
        initial=opts.backoff,
        max_backoff=math.inf,
        attempts=opts.attempts,
        # A wait that would pass --timeout is not started: the outage is reported now.
        last_attempt_at_deadline=False,
        announce=lambda n, exc, wait: f"notify: {what}attempt {n}: {exc}; retrying in {wait:.1f}s",
    )

    def once() -> None:
        left = deadline - clock.monotonic()
        attempt(max(0.1, min(opts.request_timeout, left)))

    try:
        retrying(once)
    except PermanentError as exc:
        text = str(exc)
        return False, text if text.startswith(("refused", "TLS")) else f"refused: {text}"
    except TemporaryError as exc:
        attempts = retrying.statistics["attempt_number"]
        if attempts == opts.attempts:
            return False, f"{exc} after {opts.attempts} attempts"
        wait = max(opts.backoff * 2 ** (attempts - 1), exc.retry_after or 0.0)
        return False, f"{exc}; next attempt in {wait:.0f}s would pass --timeout"
    return True, f"sent (attempt {retrying.statistics['attempt_number']})"


def send(
    url: str, payload: Mapping[str, str], opts: NotifyOptions, clock: Clock
) -> tuple[bool, str]:
    """POST with bounded retries: (delivered, what happened)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    pool = http.pool()
    deadline = clock.monotonic() + opts.timeout
    return _deliver("", lambda timeout: _post(pool, url, body, timeout), opts, clock, deadline)


def send_email(delivery: smtp.Delivery, opts: NotifyOptions, clock: Clock) -> tuple[bool, str]:
    """One message over SMTP with bounded retries: (every recipient took it, what happened)."""
    deadline = clock.monotonic() + opts.timeout
    ok, what = _deliver("email: ", delivery.attempt, opts, clock, deadline)
    refused = delivery.outcome()
    if ok and refused is None:
        return True, f"{what[:4]} to {len(delivery.spec.to)} recipient(s){what[4:]}"
    return False, "; ".join(w for w in ((None if ok else what), refused) if w)


DESCRIPTION = (
    f'POST {{"text": <message>}} to the URL in the file {NOTIFY_URL_FILE}'
    " (a Secret key; the URL is never printed), and/or e-mail it over SMTP as"
    f" {NOTIFY_SPEC} says (login: {NOTIFY_SMTP_CREDENTIALS}). The texts: the Jinja2"
    f" templates in the directory {NOTIFY_TEMPLATES}, or the defaults."
    " Env: as for summary. Connection errors, 408, 429 (Retry-After), 5xx and SMTP 4xx"
    " are retried, at most --attempts times within --timeout. Exit 0 sent, or not sent"
    " and reported (stderr and --status-path); 1 not sent under --on-failure fail; 2 bad"
    " input (no channel, not a URL, unreadable credentials or templates)."
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
        plan = _plan(env)
    except (InputError, TemplateFailed, ContractError) as exc:
        write_result(args.status_path, f"failed: {exc}")
        if isinstance(exc, TemplateFailed):
            raise InputError(str(exc)) from None
        raise
    for problem in plan.problems:
        warn(f"template {problem}; the default text was used")
    results = _send_all(plan, opts, clock)
    failed = [(name, what) for name, ok, what in results if not ok]
    many = len(results) > 1
    for name, ok, what in results:
        label = f"{name}: " if many else ""
        if ok:
            print(f"notify: {label}{what}", flush=True)
        else:
            print(f"notify: {label}not delivered: {what}", flush=True, file=sys.stderr)
    if not failed:
        write_result(args.status_path, "sent")
        return EXIT_OK
    reasons = "; ".join(f"{name}: {what}" if many else what for name, what in failed)
    write_result(args.status_path, f"failed: {reasons}")
    return EXIT_FAILED if args.on_failure == "fail" else EXIT_OK


@dataclass(frozen=True)
class _Plan:
    """Everything read and rendered before anything is sent."""

    url: str | None
    slack: dict[str, str]
    email: smtp.Delivery | None
    problems: list[str]


def _plan(env: Mapping[str, str]) -> _Plan:
    spec = contract.decode(env)
    slack = bool(env.get(NOTIFY_URL_FILE, "").strip())
    if not slack and spec.email is None:
        raise InputError(
            f"{NOTIFY_URL_FILE} is required (a file mounted from a Secret key), unless"
            f" {NOTIFY_SPEC} has an e-mail channel"
        )
    url = read_url(env) if slack else None
    login: smtp.Login | None = None
    if spec.email is not None and env.get(NOTIFY_SMTP_CREDENTIALS, "").strip():
        login = smtp.read_login(env[NOTIFY_SMTP_CREDENTIALS].strip())
    templates = read_templates(env)
    values = run_values(env, spec)
    problems: list[str] = []
    payload: dict[str, str] = {}
    if url is not None:
        text = render_or_default(
            templates, contract.SLACK_KEY, values, "slack", contract.SLACK_TEXT_MAX
        )
        payload = {"text": text.text.rstrip()}
        problems += [text.problem] if text.problem else []
    delivery = None
    if spec.email is not None:
        subject = render_or_default(
            templates, contract.SUBJECT_KEY, values, "plain", contract.SUBJECT_MAX * 4
        )
        body = render_or_default(templates, contract.BODY_KEY, values, "plain", contract.BODY_MAX)
        problems += [r.problem for r in (subject, body) if r.problem]
        msg = smtp.build_message(
            spec.email, one_line(subject.text, contract.SUBJECT_MAX), body.text
        )
        delivery = smtp.Delivery(spec.email, msg, login, list(spec.email.to), {})
    return _Plan(url, payload, delivery, problems)


def _send_all(plan: _Plan, opts: NotifyOptions, clock: Clock) -> list[tuple[str, bool, str]]:
    """Each channel on its own, at the same time, within the one --timeout."""
    jobs: list[tuple[str, Callable[[], tuple[bool, str]]]] = []
    if plan.url is not None:
        url = plan.url
        jobs.append(("slack", lambda: send(url, plan.slack, opts, clock)))
    if plan.email is not None:
        delivery = plan.email
        jobs.append(("email", lambda: send_email(delivery, opts, clock)))
    if len(jobs) == 1:
        name, job = jobs[0]
        return [(name, *job())]
    with ThreadPoolExecutor(len(jobs), thread_name_prefix="notify") as pool:
        futures = [(name, pool.submit(job)) for name, job in jobs]
        return [(name, *future.result()) for name, future in futures]
