"""Events to the webhook EventListener, signed like a webhook: the listener's
settings, the event (body, headers, id) read from env, and the :class:`Sender`.

Shared by ``send`` (one event, the schedule's CronJob) and ``watch-releases``
(one per new release). The body is a dict serialised once; the signature
(generator/contract/signing.py, shared with ``benchgen trigger``) is computed over
exactly the bytes sent. Retries (connection errors, 408, 429 with
``Retry-After``, 5xx) go through ``retry.deadline_retrying`` within one
deadline. An event id (the CronJob's Job name, or the release watcher's
``<repo>-<tag>-<configuration>``) names the PipelineRun, so a retry that
reaches the listener twice is refused by the API server as a duplicate run
instead of starting a second one.

The listener answers ``202`` before its interceptors run and before Triggers
creates the run, and nothing retries after that. So with the run's name known
(``BENCHGEN_RUN_PREFIX`` + the id, in ``BENCHGEN_NAMESPACE``), :class:`Starter`
sends until that PipelineRun exists (a GET with the pod's ServiceAccount): the
same event again, at most ``--sends`` times, ``--run-wait`` after each. Sending
the same id again is harmless, so no event is lost and none starts two runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.contract import env as var
from generator.contract.durations import describe_duration
from generator.contract.names import dns1123_label_problem, namespace_problem, run_name
from generator.contract.signing import (
    AUTH_TYPES,
    RESERVED_HEADERS,
    WebhookAuthError,
    auth_headers,
    header_name_problem,
    header_value_problem,
    source_problem,
)
from generator.runtime import http
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.errors import InfraError, InputError, RejectedError
from generator.runtime.retry import Deadline, RetryOptions, deadline_retrying

if TYPE_CHECKING:
    import argparse

    from generator.contract.commands import Command
    from generator.runtime import kube

# The listener's own check on an event id (generator/compile/cel.py).
EVENT_ID_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Shortened ids end with '-' and this many hex digits of the raw id's SHA-256.
_HASH_LEN = 8
MIN_EVENT_ID_ROOM = 12


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
        if problem is None and name.lower() in RESERVED_HEADERS:
            problem = f"{name}: set by benchgen-poller itself"
        if problem:
            problems.append(f"{what}: {problem}")
        else:
            out[name] = value
    return out


def load_listener(env: Mapping[str, str], problems: list[str]) -> ListenerConfig:
    """The listener settings; every problem is appended to ``problems``."""
    url = env.get(var.LISTENER_URL, "").strip()
    if not url:
        problems.append(f"{var.LISTENER_URL} is required")
    elif not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        problems.append(f"{var.LISTENER_URL}: {url!r} is not an http(s) URL")
    auth_type = env.get(var.AUTH_TYPE, "").strip()
    secret: bytes | None = None
    header = env.get(var.AUTH_HEADER, "").strip() or None
    event_type = env.get(var.EVENT_TYPE, "").strip() or None
    if auth_type not in AUTH_TYPES:
        problems.append(
            f"{var.AUTH_TYPE}: {auth_type!r} must be one of {', '.join(AUTH_TYPES)}"
            " (spec.triggers.webhook.auth.type)"
        )
    elif auth_type != "none":
        path = env.get(var.AUTH_FILE, "").strip()
        if not path:
            problems.append(f"{var.AUTH_FILE} is required with {var.AUTH_TYPE}={auth_type}")
        else:
            try:
                # Exactly the Secret's bytes: Triggers' interceptors sign and
                # compare with them as they are, a trailing newline included
                # (`kubectl create secret --from-file` keeps one). A token
                # with a newline cannot travel in a header: refused below.
                secret = Path(path).read_bytes()
            except OSError as exc:
                problems.append(f"{var.AUTH_FILE} {path}: {exc.strerror}")
            else:
                if not secret:
                    problems.append(f"{var.AUTH_FILE} {path}: the file is empty")
        if auth_type == "token" and header is None:
            problems.append(f"{var.AUTH_HEADER} is required with {var.AUTH_TYPE}=token")
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
                problems.append(f"{var.AUTH_TYPE}/{var.AUTH_FILE}: {exc}{hint}")
    return ListenerConfig(url, auth_type, secret, header, event_type)


def load_id_field(env: Mapping[str, str], problems: list[str]) -> IdField | None:
    """``BENCHGEN_EVENT_ID_FIELD`` and ``BENCHGEN_EVENT_ID_MAX``, or None when no id is used."""
    source = env.get(var.EVENT_ID_FIELD, "").strip()
    if not source:
        return None
    problem = source_problem(source)
    if problem:
        problems.append(f"{var.EVENT_ID_FIELD}: {problem}")
    text = env.get(var.EVENT_ID_MAX, "").strip()
    room = 0
    if not text:
        problems.append(f"{var.EVENT_ID_MAX} is required with {var.EVENT_ID_FIELD}")
    elif not text.isdigit() or not MIN_EVENT_ID_ROOM <= int(text) <= 63:
        problems.append(
            f"{var.EVENT_ID_MAX}: {text!r} must be a number from {MIN_EVENT_ID_ROOM} to 63"
        )
    else:
        room = int(text)
    return IdField(source, room)


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
    if required and not env.get(var.EVENT_BODY, "").strip():
        problems.append(f"{var.EVENT_BODY} is required")
    body = _json_object(env, var.EVENT_BODY, problems)
    headers = check_headers(
        _json_object(env, var.EVENT_HEADERS, problems), var.EVENT_HEADERS, problems
    )
    return Event(body, headers)


# --- delivery --------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    status: int
    event_id: str | None  # the listener's eventID, for its logs
    attempts: int


class Sender:
    """Signs and POSTs events to one listener, with bounded retries."""

    def __init__(self, listener: ListenerConfig, opts: RetryOptions, clock: Clock) -> None:
        self.listener = listener
        self.opts = opts
        self.clock = clock
        self._pool = http.pool()

    def payload(self, event: Event) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and every header of the request."""
        data = json.dumps(event.body, sort_keys=True, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **event.headers}
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
        resp = http.request(
            self._pool, "POST", self.listener.url, timeout=timeout, body=data, headers=headers
        )
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
        message = f"HTTP {status}: {http.short(resp.data)}".rstrip(": ")
        if http.is_temporary(status):
            raise http.Unavailable(message, retry_after=http.retry_after(resp))
        raise http.Refused(message, status)

    def send(self, event: Event, *, label: str = "event") -> Delivered:
        """Deliver ``event``: Delivered; http.Refused (a 3xx/4xx other than 408/429);
        InfraError (the deadline passed)."""
        data, headers = self.payload(event)
        deadline = Deadline(self.opts, self.clock)
        attempts = 0

        def attempt() -> Delivered:
            nonlocal attempts
            attempts += 1
            return self._attempt(data, headers, deadline.request_timeout())

        done = deadline.retry(
            attempt,
            lambda attempt, exc: f"{label}: attempt {attempt} failed: {exc}",
            lambda why: InfraError(f"{label}: listener unreachable, {why}"),
        )
        return Delivered(done.status, done.event_id, attempts)


# --- the run it starts -------------------------------------------------------

# How often a missing run is looked for again: soon at first (Triggers usually
# creates it within a second of its 202), then every few seconds.
_FIRST_LOOK = 1.0
_MAX_LOOK = 5.0


@dataclass(frozen=True)
class RunCheck:
    """Where the run of an event with an id appears: ``<prefix><id>`` in ``namespace``
    (``BENCHGEN_RUN_PREFIX``, ``BENCHGEN_NAMESPACE``)."""

    namespace: str
    prefix: str

    def run_for(self, ident: str) -> str:
        return run_name(self.prefix, ident)


def load_run_check(
    env: Mapping[str, str], problems: list[str], id_field: IdField | None
) -> RunCheck | None:
    """``BENCHGEN_RUN_PREFIX`` and ``BENCHGEN_NAMESPACE``, or None when no run is waited for."""
    prefix = env.get(var.RUN_PREFIX, "").strip()
    if not prefix:
        return None
    namespace = env.get(var.NAMESPACE, "").strip()
    if not namespace:
        problems.append(f"{var.NAMESPACE} is required with {var.RUN_PREFIX}")
    else:
        problem = namespace_problem(namespace)
        if problem:
            problems.append(f"{var.NAMESPACE}: {problem}")
    if id_field is None:
        problems.append(
            f"{var.RUN_PREFIX} needs {var.EVENT_ID_FIELD}: without an id the run has no"
            " name to look for"
        )
    elif id_field.room:
        # The longest id must still make a valid run name (a label: 63 characters).
        problem = dns1123_label_problem(run_name(prefix, "0" * id_field.room))
        if problem:
            problems.append(f"{var.RUN_PREFIX} {prefix!r} with {var.EVENT_ID_MAX}: {problem}")
    return RunCheck(namespace, prefix)


@dataclass(frozen=True)
class RunWait:
    """``--run-wait`` (after each send, how long the run may take to appear) and
    ``--sends`` (how many times the same event is sent while it does not)."""

    wait: float
    sends: int

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser, command: Command) -> None:
        add_flag(
            parser, command, "--run-wait", "after each send, how long the run may take to appear",
            metavar="D",
        )  # fmt: skip
        add_flag(
            parser, command, "--sends", "sends of the same event, at most, while no run appears",
            type=int, metavar="N",
        )  # fmt: skip

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunWait:
        if args.sends < 1:
            raise InputError(f"--sends: {args.sends} must be at least 1")
        return cls(duration(args.run_wait, "--run-wait"), args.sends)


class NotStarted(RejectedError):
    """The listener accepted the event every time, and no run appeared: its interceptors
    refused it (Triggers answers 202 first), or Triggers failed to create the run."""


@dataclass(frozen=True)
class Started:
    delivered: Delivered  # the last send's answer
    sends: int
    run: str


class Starter:
    """Sends an event until the PipelineRun it names exists (RBAC: get pipelineruns)."""

    def __init__(self, sender: Sender, check: RunCheck, wait: RunWait, api: kube.ApiClient) -> None:
        self.sender, self.check, self.wait, self.api = sender, check, wait, api
        self.clock = sender.clock

    def start(self, event: Event, ident: str, *, label: str = "event") -> Started:
        """Send ``event`` (its id ``ident`` already in it) until its run exists.
        Started; http.Refused or InfraError from the sender; NotStarted when no run
        appeared after ``--sends`` sends; InfraError when the API server could not
        tell; RejectedError when it refused the look (RBAC)."""
        run = self.check.run_for(ident)
        where = f"PipelineRun {self.check.namespace}/{run}"
        waited = describe_duration(self.wait.wait)
        unknown = ""  # why the last look could not tell
        for sends in range(1, self.wait.sends + 1):
            done = self.sender.send(event, label=label)
            print(f"sent {label}: HTTP {done.status}{_listener_id(done)}", flush=True)
            found, unknown = self._appeared(run, where)
            if found:
                print(f"{where} exists (after {_times(sends)})", flush=True)
                return Started(done, sends, run)
            why = f"could not look: {unknown}" if unknown else "no such run"
            again = "; sending the same event again" if sends < self.wait.sends else ""
            print(f"{where}: {why} {waited} after send {sends}{again}", flush=True)
        if unknown:
            raise InfraError(
                f"{label}: sent {_times(self.wait.sends)} (HTTP {done.status}), but whether"
                f" {where} exists is unknown: the API server did not answer: {unknown}"
            )
        raise NotStarted(
            f"{label}: the listener accepted it {_times(self.wait.sends)} (HTTP {done.status}),"
            f" but {where} did not appear within {waited} of any: the listener's"
            " interceptors refused the event (a wrong secret, a value its CEL filter"
            " refuses) or Triggers could not create the run; the EventListener's log says"
            " which"
        )

    def _appeared(self, run: str, where: str) -> tuple[bool, str]:
        """(whether the run exists within ``--run-wait``, why the last look could not tell)."""
        from generator.runtime import kube

        retrying = deadline_retrying(
            self.clock,
            self.clock.monotonic() + self.wait.wait,
            initial=_FIRST_LOOK,
            max_backoff=_MAX_LOOK,
            announce=lambda *_: None,  # one line per send says how it went
            retry_on=(kube.NotFound, kube.Unavailable),
        )
        try:
            # A gated run (spec.pipeline.concurrency) is created pending: it exists too.
            retrying(kube.get_run, self.api, kube.PIPELINE_RUNS, self.check.namespace, run)
        except kube.NotFound:
            return False, ""
        except kube.Unavailable as exc:
            return False, str(exc)
        except kube.KubeError as exc:  # 401, 403: the ServiceAccount may not look
            raise RejectedError(
                f"cannot look for {where}: {exc} (the pod's ServiceAccount needs get on"
                " pipelineruns in its namespace: the rendered Role grants it)"
            ) from exc
        return True, ""


def _listener_id(done: Delivered) -> str:
    return f", listener eventID {done.event_id}" if done.event_id else ""


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
