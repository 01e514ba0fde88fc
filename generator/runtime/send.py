"""``benchgen-poller send``: one event to the webhook EventListener, signed like a webhook.

The CronJob of ``spec.triggers.schedule`` runs it, and ``watch-releases``
fires its events through the same code (:class:`Sender`). The body is a dict
serialised once; the signature (generator/webhook_auth.py, shared with
``benchgen trigger``) is computed over exactly the bytes sent. Retries
(connection errors, 408, 429 with ``Retry-After``, 5xx) go through tenacity
within one deadline. An event id (the CronJob's Job name, or the release
watcher's ``<repo>-<tag>-<configuration>``) names the PipelineRun, so a retry
that reaches the listener twice is refused by the API server as a duplicate
run instead of starting a second one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.runtime.clock import Clock, SystemClock
from generator.runtime.durations import format_duration
from generator.runtime.errors import EXIT_OK, InfraError, InputError, RejectedError
from generator.runtime.retry import attempt_timeout, deadline_retrying
from generator.webhook_auth import (
    AUTH_TYPES,
    WebhookAuthError,
    auth_headers,
    header_name_problem,
    header_value_problem,
)

# The listener's own check on an event id (generator/compile/cel.py).
EVENT_ID_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Shortened ids end with '-' and this many hex digits of the raw id's SHA-256.
_HASH_LEN = 8
MIN_EVENT_ID_ROOM = 12
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class SendOptions:
    """The parsed arguments of ``send`` (and the delivery part of ``watch-releases``)."""

    timeout: float = 120.0
    request_timeout: float = 30.0
    backoff: float = 1.0
    max_backoff: float = 30.0


@dataclass(frozen=True)
class ListenerConfig:
    """Where events go and how they are authenticated (``BENCHGEN_LISTENER_URL``, ``_AUTH_*``)."""

    url: str
    auth_type: str
    secret: bytes | None = field(default=None, repr=False)
    auth_header: str | None = None
    event_type: str | None = None


@dataclass(frozen=True)
class IdField:
    """Where the event id goes (a param's ``from``: ``body.a.b`` or ``header.Name``) and
    how long it may be (the room the run name leaves)."""

    source: str
    room: int


@dataclass
class Event:
    """A body and extra headers, before signing."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


# --- input -----------------------------------------------------------------


def _json_object(env: Mapping[str, str], name: str, problems: list[str]) -> dict[str, Any]:
    text = env.get(name, "")
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        problems.append(f"{name}: not JSON ({exc})")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a JSON object")
        return {}
    return value


def check_headers(headers: Mapping[str, Any], what: str, problems: list[str]) -> dict[str, str]:
    """String headers with sane names and values; problems named by ``what``."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        problem = header_name_problem(name)
        if problem is None and not isinstance(value, str):
            problem = f"{name}: the value must be a string"
        if problem is None:
            problem = header_value_problem(value)
            problem = f"{name}: the value {problem}" if problem else None
        if problem is None and name.lower() in _RESERVED_HEADERS:
            problem = f"{name}: set by benchgen-poller itself"
        if problem:
            problems.append(f"{what}: {problem}")
        else:
            out[name] = value
    return out


_RESERVED_HEADERS = {
    "content-type",
    "content-length",
    "host",
    "x-hub-signature-256",
    "x-hub-signature",
    "x-gitlab-token",
}


def load_listener(env: Mapping[str, str], problems: list[str]) -> ListenerConfig:
    """The listener settings; every problem is appended to ``problems``."""
    url = env.get("BENCHGEN_LISTENER_URL", "").strip()
    if not url:
        problems.append("BENCHGEN_LISTENER_URL is required")
    elif not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        problems.append(f"BENCHGEN_LISTENER_URL: {url!r} is not an http(s) URL")
    auth_type = env.get("BENCHGEN_AUTH_TYPE", "").strip()
    secret: bytes | None = None
    header = env.get("BENCHGEN_AUTH_HEADER", "").strip() or None
    event_type = env.get("BENCHGEN_EVENT_TYPE", "").strip() or None
    if auth_type not in AUTH_TYPES:
        problems.append(
            f"BENCHGEN_AUTH_TYPE: {auth_type!r} must be one of {', '.join(AUTH_TYPES)}"
            " (spec.triggers.webhook.auth.type)"
        )
    elif auth_type != "none":
        path = env.get("BENCHGEN_AUTH_FILE", "").strip()
        if not path:
            problems.append(f"BENCHGEN_AUTH_FILE is required with BENCHGEN_AUTH_TYPE={auth_type}")
        else:
            try:
                # Exactly the Secret's bytes: Triggers' interceptors sign and
                # compare with them as they are, a trailing newline included
                # (`kubectl create secret --from-file` keeps one). A token
                # with a newline cannot travel in a header: refused below.
                secret = Path(path).read_bytes()
            except OSError as exc:
                problems.append(f"BENCHGEN_AUTH_FILE {path}: {exc.strerror}")
            else:
                if not secret:
                    problems.append(f"BENCHGEN_AUTH_FILE {path}: the file is empty")
        if auth_type == "token" and header is None:
            problems.append("BENCHGEN_AUTH_HEADER is required with BENCHGEN_AUTH_TYPE=token")
        if secret:
            try:  # the secret's shape and the header name are checked before anything is sent
                auth_headers(auth_type, b"", secret, header=header, event_type=event_type)
            except WebhookAuthError as exc:
                hint = (
                    "; the Secret key ends with a line break, which the listener compares"
                    " too: recreate it without one (printf '%s' TOKEN | kubectl create"
                    " secret generic NAME --from-file=KEY=/dev/stdin)"
                    if secret.endswith((b"\n", b"\r"))
                    else ""
                )
                problems.append(f"BENCHGEN_AUTH_*: {exc}{hint}")
    return ListenerConfig(url, auth_type, secret, header, event_type)


def load_id_field(env: Mapping[str, str], problems: list[str]) -> IdField | None:
    """``BENCHGEN_EVENT_ID_FIELD`` and ``BENCHGEN_EVENT_ID_MAX``, or None when no id is used."""
    source = env.get("BENCHGEN_EVENT_ID_FIELD", "").strip()
    if not source:
        return None
    problem = source_problem(source)
    if problem:
        problems.append(f"BENCHGEN_EVENT_ID_FIELD: {problem}")
    text = env.get("BENCHGEN_EVENT_ID_MAX", "").strip()
    room = 0
    if not text:
        problems.append("BENCHGEN_EVENT_ID_MAX is required with BENCHGEN_EVENT_ID_FIELD")
    elif not text.isdigit() or not MIN_EVENT_ID_ROOM <= int(text) <= 63:
        problems.append(
            f"BENCHGEN_EVENT_ID_MAX: {text!r} must be a number from {MIN_EVENT_ID_ROOM} to 63"
        )
    else:
        room = int(text)
    return IdField(source, room)


def source_problem(source: str) -> str | None:
    """Why ``source`` is not a param's ``from`` (``body.a.b`` / ``header.Name``), or None."""
    kind, _, rest = source.partition(".")
    if kind == "body" and rest and all(rest.split(".")):
        return None
    if kind == "header" and rest and header_name_problem(rest) is None:
        if rest.lower() in _RESERVED_HEADERS:
            return f"{source!r}: header {rest} is set by benchgen-poller itself"
        return None
    return f"{source!r} is not body.<field>[.<field>...] or header.<Name>"


def put(event: Event, source: str, value: Any) -> str | None:
    """Put ``value`` where ``source`` points; why it cannot go there, or None."""
    kind, _, rest = source.partition(".")
    if kind == "header":
        if not isinstance(value, str) or header_value_problem(value):
            return f"{source}: not a one-line string"
        event.headers[rest] = value
        return None
    node = event.body
    *parents, leaf = rest.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return f"{source}: {part} is already a {type(child).__name__} in the body"
        node = child
    node[leaf] = value
    return None


def bounded_event_id(raw: str, room: int) -> str:
    """``raw`` itself if the listener accepts it as it is, else a DNS-safe form of at
    most ``room`` characters ending in a hash of ``raw``: deterministic (a re-fire
    gets the same id), and two different raw ids never share one."""
    if len(raw) <= room and EVENT_ID_PATTERN.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:_HASH_LEN]
    safe = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    stem = safe[: room - _HASH_LEN - 1].rstrip("-")
    return f"{stem}-{digest}" if stem else digest


def load_event(env: Mapping[str, str], problems: list[str], *, required: bool) -> Event:
    """``BENCHGEN_EVENT_BODY`` and ``BENCHGEN_EVENT_HEADERS``."""
    if required and not env.get("BENCHGEN_EVENT_BODY", "").strip():
        problems.append("BENCHGEN_EVENT_BODY is required")
    body = _json_object(env, "BENCHGEN_EVENT_BODY", problems)
    headers = check_headers(
        _json_object(env, "BENCHGEN_EVENT_HEADERS", problems), "BENCHGEN_EVENT_HEADERS", problems
    )
    return Event(body, headers)


# --- delivery --------------------------------------------------------------


class TransientSendError(Exception):
    """Worth another try: no answer, 408, 429, 5xx."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RefusedError(Exception):
    """The listener answered a 3xx/4xx other than 408/429: sending again would not help."""


@dataclass(frozen=True)
class Delivered:
    status: int
    event_id: str | None  # the listener's eventID, for its logs
    attempts: int


def _short(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


class Sender:
    """Signs and POSTs events to one listener, with bounded retries."""

    def __init__(
        self, listener: ListenerConfig, opts: SendOptions, clock: Clock | None = None
    ) -> None:
        import urllib3

        from generator import __version__

        self.listener = listener
        self.opts = opts
        self.clock = clock or SystemClock()
        self._user_agent = f"benchgen-poller/{__version__}"
        self._pool = urllib3.PoolManager(retries=False)

    def payload(self, event: Event) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and every header of the request."""
        data = json.dumps(event.body, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "User-Agent": self._user_agent,
            "Content-Type": "application/json",
            **event.headers,
        }
        headers.update(
            auth_headers(
                self.listener.auth_type,
                data,
                self.listener.secret,
                header=self.listener.auth_header,
                event_type=self.listener.event_type,
            )
        )
        return data, headers

    def _attempt(self, data: bytes, headers: dict[str, str], timeout: float) -> Delivered:
        import urllib3
        from urllib3.exceptions import HTTPError

        from generator.runtime.retry import retry_after_seconds, transport_reason

        try:
            resp = self._pool.request(
                "POST",
                self.listener.url,
                body=data,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                redirect=False,
            )
        except HTTPError as exc:
            raise TransientSendError(f"no answer: {transport_reason(exc)}") from exc
        status = resp.status
        if 200 <= status < 300:
            event_id = None
            try:
                answer = json.loads(resp.data)
                if isinstance(answer, dict) and answer.get("eventID"):
                    event_id = str(answer["eventID"])
            except ValueError:
                pass
            return Delivered(status, event_id, 0)
        message = f"HTTP {status}: {_short(resp.data)}".rstrip(": ")
        if status in (408, 429) or status >= 500:
            raise TransientSendError(message, retry_after_seconds(resp.headers.get("Retry-After")))
        raise RefusedError(message)

    def send(self, event: Event, *, label: str = "event") -> Delivered:
        """Deliver ``event``; Delivered, or RefusedError / InfraError (deadline reached)."""
        data, headers = self.payload(event)
        clock, opts = self.clock, self.opts
        start = clock.monotonic()
        deadline = start + opts.timeout

        def remaining() -> float:
            return deadline - clock.monotonic()

        retrying = deadline_retrying(
            clock,
            deadline,
            TransientSendError,
            initial=opts.backoff,
            max_backoff=opts.max_backoff,
            jitter=opts.backoff,
            describe=lambda attempt, exc: f"{label}: attempt {attempt} failed: {exc}",
        )
        attempts = 0

        def attempt() -> Delivered:
            nonlocal attempts
            attempts += 1
            timeout = attempt_timeout(opts.request_timeout, remaining())
            return self._attempt(data, headers, timeout)

        try:
            done = retrying(attempt)
        except TransientSendError as exc:
            raise InfraError(
                f"{label}: listener unreachable, gave up after"
                f" {format_duration(clock.monotonic() - start)}: {exc}"
            ) from exc
        return Delivered(done.status, done.event_id, attempts)


def run_send(
    opts: SendOptions, env: Mapping[str, str] | None = None, clock: Clock | None = None
) -> int:
    """Send the one event the env describes; the exit code."""
    env = os.environ if env is None else env
    problems: list[str] = []
    listener = load_listener(env, problems)
    event = load_event(env, problems, required=True)
    id_field = load_id_field(env, problems)
    ident = env.get("BENCHGEN_EVENT_ID", "").strip()
    if id_field is not None and not problems:
        if not ident:
            problems.append("BENCHGEN_EVENT_ID is required with BENCHGEN_EVENT_ID_FIELD")
        else:
            bounded = bounded_event_id(ident, id_field.room)
            if bounded != ident:
                print(f"event id {ident!r} is not usable as it is; sending {bounded!r}")
            problem = put(event, id_field.source, bounded)
            if problem:
                problems.append(f"BENCHGEN_EVENT_ID_FIELD: {problem}")
            ident = bounded
    elif ident and id_field is None:
        problems.append("BENCHGEN_EVENT_ID needs BENCHGEN_EVENT_ID_FIELD (where it goes)")
    if problems:
        raise InputError("bad input, nothing sent:\n  " + "\n  ".join(problems))
    sender = Sender(listener, opts, clock)
    label = f"event {ident}" if ident else "event"
    print(f"sending {label} to {listener.url} (auth: {listener.auth_type})", flush=True)
    try:
        done = sender.send(event, label=label)
    except RefusedError as exc:
        raise RejectedError(f"the listener refused the {label}: {exc}") from exc
    listener_id = f", listener eventID {done.event_id}" if done.event_id else ""
    print(f"sent {label}: HTTP {done.status}{listener_id}", flush=True)
    return EXIT_OK
