"""The refusal record: webhook events the listener refused, kept to be replayed.

Tekton Triggers (v0.37.0) tells nobody why it refused an event: an interceptor
answering ``continue: false`` is logged at debug level only (with the whole
payload and every header, secrets included), and no Kubernetes Event or
CloudEvent says which check refused. So the generator puts checkpoints of its
own into each webhook trigger's chain: the ``record-refusals`` interceptor
(``benchgen-poller record-refusals``) before every check and once after the
last. Each checkpoint call carries, as interceptor params, its ``position`` and
the ``check`` that comes next (with a ``reason`` to show). The furthest
checkpoint an event reached names the check that stopped it; an event that
reached the last checkpoint (``check`` is ``PASSED``) in any trigger passed.

The record is the ``data`` key ``RECORD_KEY`` of ConfigMap ``<name>-refusals``:
a JSON array of records, oldest first, each::

    {"id": <Triggers' event id>, "time": <RFC 3339, UTC>, "check": <interceptor name>,
     "reason": <text>, "eventType": <X-GitHub-Event, X-Gitlab-Event or Ce-Type, or "">,
     "headers": {<name>: <value>}, "body": <the body as text, or null>, "bodyBytes": <int>}

Bounded: at most ``max_records`` records (newest kept), a body of at most
``MAX_BODY_BYTES`` (a larger one is not kept: the record says so and cannot be
replayed), and ``MAX_RECORD_BYTES`` for the whole value, oldest dropped first.
No secret: only the headers named in the kept list are stored, and never one
of ``SECRET_HEADERS`` whatever the list says. Part of ``generator.contract``
(standard library only).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

RECORD_KEY = "refusals.json"
# <metadata.name> + SUFFIX names the ConfigMap and the recorder's objects.
SUFFIX = "-refusals"
MAX_RECORDS = 50  # the default of spec.triggers.webhook.recordRefusals.maxRecords
MAX_RECORDS_LIMIT = 500
MAX_BODY_BYTES = 64 * 1024  # GitHub push payloads are a few KiB; a huge one is not kept
MAX_RECORD_BYTES = 768 * 1024  # of the 1 MiB an object may hold
MAX_HEADER_CHARS = 1024  # per kept header value
PASSED = ""  # the ``check`` of the last checkpoint: nothing comes after it

# Interceptor params of each checkpoint (interceptor_params in the InterceptorRequest).
POSITION_PARAM = "position"
CHECK_PARAM = "check"
REASON_PARAM = "reason"
# true on the checkpoint before a check that stops events on purpose (a probe,
# answered): an event stopped there is not a refusal.
ANSWERED_PARAM = "answered"

# Headers a record keeps unless the compiler names others: what a replay needs to be
# the same event (its type, the provider's delivery id, the CloudEvent attributes).
DEFAULT_HEADERS = (
    "Content-Type",
    "User-Agent",
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-GitHub-Hook-ID",
    "X-Gitlab-Event",
    "X-Gitlab-Event-UUID",
    "X-Gitlab-Instance",
    "Idempotency-Key",
    "Ce-Specversion",
    "Ce-Id",
    "Ce-Type",
    "Ce-Source",
    "Ce-Subject",
    "Ce-Time",
)
# Never stored, whatever the kept list says: signatures, tokens, credentials.
SECRET_HEADERS = frozenset(
    {
        "x-hub-signature",
        "x-hub-signature-256",
        "x-gitlab-token",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
EVENT_TYPE_HEADERS = ("X-GitHub-Event", "X-Gitlab-Event", "Ce-Type")


def kept_headers(headers: Mapping[str, Iterable[str]], keep: Iterable[str]) -> dict[str, str]:
    """The headers of ``headers`` (name -> values, as Triggers passes them) named in
    ``keep``, matched without regard to case and spelled as in ``keep``; the values
    of one name joined with ", ", cut to MAX_HEADER_CHARS. Never a SECRET_HEADERS one."""
    wanted = {k.lower(): k for k in keep if k.lower() not in SECRET_HEADERS}
    out: dict[str, str] = {}
    for name, values in headers.items():
        spelled = wanted.get(name.lower())
        if spelled is None:
            continue
        value = ", ".join(v for v in values if isinstance(v, str))
        out[spelled] = value[:MAX_HEADER_CHARS]
    return dict(sorted(out.items()))


def event_type(headers: Mapping[str, str]) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    return next((lowered[h.lower()] for h in EVENT_TYPE_HEADERS if h.lower() in lowered), "")


def new_record(
    ident: str, time: str, check: str, reason: str, headers: dict[str, str], body: str
) -> dict[str, Any]:
    """A record; the body kept only when it is at most MAX_BODY_BYTES."""
    size = len(body.encode("utf-8"))
    return {
        "id": ident,
        "time": time,
        "check": check,
        "reason": reason,
        "eventType": event_type(headers),
        "headers": headers,
        "body": body if size <= MAX_BODY_BYTES else None,
        "bodyBytes": size,
    }


def parse(text: str | None) -> list[dict[str, Any]]:
    """The records of a ConfigMap value; anything that is not a record is skipped
    (a hand edit loses that entry only). Raises nothing."""
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [r for r in data if _is_record(r)]


def _is_record(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    strings = ("id", "time", "check", "reason", "eventType")
    headers = value.get("headers")
    return (
        all(isinstance(value.get(k), str) for k in strings)
        and isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        and (value.get("body") is None or isinstance(value.get("body"), str))
        and isinstance(value.get("bodyBytes"), int)
    )


def render(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def with_records(
    text: str | None, added: list[dict[str, Any]], max_records: int = MAX_RECORDS
) -> str:
    """The ConfigMap value ``text`` with ``added`` appended (an id already there is not
    added twice), then bounded: the newest ``max_records``, then the oldest dropped
    until the value is at most MAX_RECORD_BYTES."""
    records = parse(text)
    seen = {r["id"] for r in records}
    records += [r for r in added if r["id"] not in seen]
    records = records[-max_records:] if max_records > 0 else []
    value = render(records)
    while records and len(value.encode("utf-8")) > MAX_RECORD_BYTES:
        records = records[1:]
        value = render(records)
    return value


def find(records: list[dict[str, Any]], ident: str) -> dict[str, Any] | None:
    """The record of id ``ident``, or of the one id that starts with it (at least 8
    characters, as ``benchgen replay`` lists them shortened); None otherwise."""
    exact = [r for r in records if r["id"] == ident]
    if exact:
        return exact[-1]
    if len(ident) < 8:
        return None
    matches = [r for r in records if r["id"].startswith(ident)]
    if len({r["id"] for r in matches}) != 1:
        return None
    return matches[-1]
