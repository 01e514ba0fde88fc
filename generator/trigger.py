"""`benchgen trigger`: send a test event that satisfies the params contract.

The event is checked locally with the rules the listener's CEL filter
applies, so a missing required field is refused before anything is sent.
When the listener authenticates callers, the event is signed (or carries the
token) with a secret read from an environment variable or a file, never from
a command-line value that would land in shell history.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.compile.cel import CE_SUBJECT_SELECT, EVENT_ID_PATTERN, MAX_ATTRIBUTE_LENGTH
from generator.compile.schedule import event_of
from generator.config.facts import delivery_provider, listener_value_problem
from generator.config.models import (
    RESERVED_EVENT_PREFIXES,
    AcceptedEventSpec,
    Benchmark,
    GitHubAuth,
    GitLabAuth,
    NoAuth,
    TokenAuth,
)
from generator.config.names import build_names, resolve_namespace
from generator.contract.event_key import DELIVERY_HEADERS, delivery_key, event_key
from generator.contract.signing import WebhookAuthError, auth_headers, header_value_problem
from generator.errors import UsageError

SECRET_ENV = "BENCHGEN_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret
USER_AGENT = f"benchgen/{__version__}"


@dataclass
class Event:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cloudevent_id: str | None = None  # set for CloudEvents: with the source, it names the run
    cloudevent_source: str | None = None
    # GitHub/GitLab auth without eventIdParam: (header, value) of the delivery id that
    # names the run (deduplication by delivery).
    delivery: tuple[str, str] | None = None


def parse_fields(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--field {pair!r}: use NAME=VALUE with a param name")
        values[name] = value
    return values


def _payload(
    bench: Benchmark, values: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(JSON body, headers, problems) for the param values, checked like the listener does."""
    params = {p.name: p for p in bench.spec.params}
    problems = [
        f"--field {n}: no such param; params are: {', '.join(params)}"
        for n in values
        if n not in params
    ]
    accepted: dict[str, str | bool] = {}
    for param in bench.spec.params:
        value = values.get(param.name)
        if value is None or value == "":
            if param.required:
                problems.append(
                    f"{param.name} is required ({param.from_}); pass --field {param.name}=VALUE"
                )
            continue
        # The same rule the listener's CEL filter applies (and the render-time
        # check of schedule values): image tags, the concurrency key, blanks.
        problem = listener_value_problem(bench, param, value)
        if problem:
            problems.append(f"{param.name}: {value!r} {problem}")
            continue
        accepted[param.name] = value
    # Placed as the schedules place theirs (a boolean as JSON true/false or 'true'/'false').
    body, headers = event_of(bench, accepted)
    return body, headers, problems


def event_id_problem(bench: Benchmark, value: str) -> str | None:
    """Why the listener would refuse this id as the end of a run name, or None."""
    room = build_names(bench, resolve_namespace(bench)).event_id_room
    if len(value) > room:
        return f"is {len(value)} characters long; run names leave room for {room}"
    if not re.fullmatch(EVENT_ID_PATTERN, value):
        return (
            "is not DNS-safe: use lower-case letters, digits and '-', starting and ending with a"
            " letter or digit (it is refused, never lower-cased: two ids must not share a run)"
        )
    return None


def select_problem(bench: Benchmark, body: dict[str, Any], headers: dict[str, str]) -> str | None:
    """Why no trigger of the listener would pass this event by spec.triggers.select, or None.

    The value is read where the listener reads it (its select-pipeline check): a header
    (``ce-subject`` is ``Ce-Subject``) or a string at a body path.
    """
    select = bench.spec.triggers.select
    if select is None:
        return None
    source = "header.Ce-Subject" if select.from_ == CE_SUBJECT_SELECT else select.from_
    kind, _, rest = source.partition(".")
    value: Any
    if kind == "header":
        value = next((v for k, v in headers.items() if k.lower() == rest.lower()), None)
    else:
        value = body
        for part in rest.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str) and value in select.cases:
        return None
    cases = ", ".join(repr(c) for c in select.cases)
    how = "--subject" if select.from_ == CE_SUBJECT_SELECT else f"a param read from {source}"
    shown = "missing" if value is None else repr(value)
    return (
        f"{select.from_} is {shown}, in no case of spec.triggers.select ({cases}), so no"
        f" Pipeline would run: give one with {how}"
    )


def _refuse(problems: list[str]) -> None:
    if problems:
        raise UsageError("the listener would reject this event:\n  " + "\n  ".join(problems))


def build_event(
    bench: Benchmark, values: dict[str, str], secret: bytes | None, delivery: str | None = None
) -> Event:
    """The webhook event; with GitHub or GitLab auth (no eventIdParam) it carries the
    provider's delivery header, ``delivery`` or a new UUID, as the provider sends it."""
    body, extra, problems = _payload(bench, values)
    provider = delivery_provider(bench)
    if delivery is not None and provider is None:
        problems.append(
            "--delivery: runs are keyed on a delivery id only with github or gitlab auth and"
            " no spec.triggers.webhook.eventIdParam"
        )
    elif delivery is not None and (not delivery.strip() or header_value_problem(delivery)):
        problems.append(f"--delivery: {delivery!r} is not a one-line, non-blank header value")
    id_param = bench.spec.triggers.webhook.event_id_param
    if id_param is not None and values.get(id_param):
        problem = event_id_problem(bench, values[id_param])
        if problem:
            problems.append(f"{id_param}: {values[id_param]!r} {problem}")
    selected = select_problem(bench, body, extra)
    if selected:
        problems.append(selected)
    _refuse(problems)
    headers = {"Content-Type": "application/json", **extra}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    headers.update(_auth_headers(bench, payload, secret))
    pair = None
    if provider is not None:
        pair = (DELIVERY_HEADERS[provider], delivery or str(uuid.uuid4()))
        headers[pair[0]] = pair[1]
    return Event(payload, headers, delivery=pair)


@dataclass
class CloudEventOptions:
    type: str | None = None
    source: str | None = None
    subject: str | None = None
    id: str | None = None


def build_cloudevent(bench: Benchmark, values: dict[str, str], options: CloudEventOptions) -> Event:
    """A binary-mode CloudEvent 1.0 the CloudEvents listener accepts (or a UsageError).

    The type defaults to the first accepted exact type and the source to the one
    that entry requires (else "benchgen-trigger"); the id to a fresh UUID.
    """
    cloud = bench.spec.triggers.cloud_events
    if cloud is None:
        raise UsageError(
            "--cloudevent: this config has no spec.triggers.cloudEvents, so no listener accepts"
            " CloudEvents"
        )
    body, extra, problems = _payload(bench, values)
    kind = options.type or next((a.type for a in cloud.accept if a.type and not a.probe), None)
    if kind is None:
        raise UsageError(
            "--cloudevent: every accepted entry is a typePrefix; pass --type with a full type"
        )
    entry = _matching_entry(cloud.accept, kind, options.source)
    source = options.source or (entry.source if entry and entry.source else "benchgen-trigger")
    if entry is None:
        accepted = ", ".join(
            (a.type or f"{a.type_prefix}*") + (f" from {a.source}" if a.source else "")
            for a in cloud.accept
        )
        problems.append(
            f"type {kind!r} from source {source!r} is not accepted; accepted: {accepted}"
        )
    for reserved in RESERVED_EVENT_PREFIXES:
        if kind.startswith(reserved):
            problems.append(f"type {kind!r} is reserved ({reserved}*)")
    # Any non-empty string (CloudEvents 1.0): the run is named after the key of
    # (source, id), so the id is only bounded, as the listener bounds it.
    ident = str(uuid.uuid4()) if options.id is None else options.id
    if not ident:
        problems.append("--id is empty; a CloudEvent id is a non-empty string")
    for name, value in (("id", ident), ("source", source), ("subject", options.subject or "")):
        if len(value) > MAX_ATTRIBUTE_LENGTH:
            problems.append(f"--{name} is longer than {MAX_ATTRIBUTE_LENGTH} characters")
    clashes = sorted(h for h in extra if h.lower().startswith("ce-"))
    if options.subject is not None and any(h.lower() == "ce-subject" for h in clashes):
        problems.append("--subject and a param read from header.Ce-Subject: give one of them")
    if entry is not None and entry.probe:
        problems.append(f"type {kind!r} is a health probe: the listener starts no run for it")
    subject = {"Ce-Subject": options.subject} if options.subject else {}
    selected = select_problem(bench, body, {**subject, **extra})
    if selected:
        problems.append(selected)
    _refuse(problems)
    headers = {
        "Content-Type": "application/json",
        "Ce-Specversion": "1.0",
        "Ce-Id": ident,
        "Ce-Type": kind,
        "Ce-Source": source,
    }
    if options.subject:
        headers["Ce-Subject"] = options.subject
    headers.update(extra)
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return Event(payload, headers, cloudevent_id=ident, cloudevent_source=source)


def _matching_entry(
    accept: list[AcceptedEventSpec], kind: str, source: str | None
) -> AcceptedEventSpec | None:
    """The accepted entry this type (and source) falls under, as the listener's CEL decides."""
    for entry in accept:
        if entry.type is not None and kind != entry.type:
            continue
        if entry.type_prefix is not None and not kind.startswith(entry.type_prefix):
            continue
        if entry.source is not None and source not in (None, entry.source):
            continue
        return entry
    return None


def run_name(bench: Benchmark, ident: str) -> str:
    return build_names(bench, resolve_namespace(bench)).run_prefix + ident


def cloudevent_run_name(bench: Benchmark, source: str, ident: str) -> str:
    """The run of a CloudEvent: <runPrefix><key of (source, id)>, as the event-key
    interceptor names it."""
    return run_name(bench, event_key(source, ident))


def delivery_run_name(bench: Benchmark, delivery: str) -> str:
    """The run of a webhook delivery: <runPrefix><delivery key>, as the event-key
    interceptor names it."""
    provider = delivery_provider(bench)
    assert provider is not None
    return run_name(bench, delivery_key(provider, delivery))


def _auth_headers(bench: Benchmark, payload: bytes, secret: bytes | None) -> dict[str, str]:
    auth = bench.spec.triggers.webhook.auth
    if isinstance(auth, NoAuth):
        return {}
    if secret is None:
        raise UsageError(
            f"the listener authenticates callers ({auth.type}): set {SECRET_ENV} or pass"
            f" --secret-file with the value of Secret {auth.secret_ref.name}/{auth.secret_ref.key}"
        )
    event_types = auth.event_types if isinstance(auth, GitHubAuth | GitLabAuth) else None
    try:
        return auth_headers(
            auth.type,
            payload,
            secret,
            header=auth.header if isinstance(auth, TokenAuth) else None,
            event_type=event_types[0] if event_types else None,
        )
    except WebhookAuthError as err:
        raise UsageError(f"the webhook secret: {err}") from None


def read_secret(secret_file: str | None) -> bytes | None:
    if secret_file:
        try:
            # The file's exact bytes, as `kubectl create secret --from-file` stores
            # them and Triggers' interceptors use them (a trailing newline included).
            return Path(secret_file).read_bytes()
        except OSError as err:
            raise UsageError(f"--secret-file {secret_file}: {err.strerror}") from None
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None


def wire_headers(url: str, event: Event) -> dict[str, str]:
    """Every header of the request, set here rather than left to urllib, so that
    ``--dry-run`` shows exactly what ``send`` sends."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--url {url!r}: use an http:// or https:// URL")
    return {
        "Host": parts.netloc.rpartition("@")[2],
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        **event.headers,
        "Content-Length": str(len(event.body)),
        "Connection": "close",
    }


def request_text(url: str, event: Event) -> str:
    """The whole request as an HTTP/1.1 message (``--dry-run``): the request line
    carries the method and the URL (absolute form), then every header, then the body."""
    head = [f"POST {url} HTTP/1.1", *(f"{k}: {v}" for k, v in wire_headers(url, event).items())]
    return "\n".join(head) + "\n\n" + event.body.decode("utf-8", errors="replace") + "\n"


def send(url: str, event: Event, timeout: float = 10.0) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - wire_headers checks the scheme
        url, data=event.body, headers=wire_headers(url, event), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        reason = getattr(err, "reason", err)
        raise UsageError(f"cannot reach {url}: {reason}") from None


def event_id(answer: str) -> str | None:
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    value = data.get("eventID") if isinstance(data, dict) else None
    return str(value) if value else None
