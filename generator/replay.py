"""`benchgen replay`: list the webhook events the listener refused, and send one again.

The records are those ``benchgen-poller record-refusals`` keeps in ConfigMap
``<name>-refusals`` (generator.contract.refusals), read with ``kubectl get`` as
``benchgen eventlistener`` applies with kubectl: the compiler needs no Kubernetes
client for it. ``--from-file`` reads the ConfigMap's value from a file instead.

A replay is a new request to the listener, which applies every check again: the
recorded body and kept headers (the event type, the provider's delivery id, a
CloudEvent's attributes), authenticated afresh as ``benchgen trigger`` does: the
body re-signed (GitHub) or the token sent (GitLab, token) with the secret from
``--secret-file`` or ``$BENCHGEN_WEBHOOK_SECRET``. The delivery id is kept: a
delivery that did start its run meanwhile starts nothing again (deduplication).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.contract import refusals
from generator.contract.signing import (
    WebhookAuthError,
    auth_headers,
    header_name_problem,
    header_value_problem,
)
from generator.errors import UsageError
from generator.trigger import SECRET_ENV, Event

if TYPE_CHECKING:
    from generator.config.models import Benchmark

ID_CHARS = 12  # ids listed shortened; any unique prefix of at least 8 names a record


@dataclass(frozen=True)
class Source:
    """Where the records are: a ConfigMap (through kubectl), or a file."""

    config_map: str
    namespace: str
    kubectl: str | None = None
    from_file: str | None = None


def read_records(source: Source) -> list[dict[str, Any]]:
    if source.from_file is not None:
        try:
            return refusals.parse(Path(source.from_file).read_text(encoding="utf-8"))
        except OSError as err:
            raise UsageError(f"--from-file {source.from_file}: {err.strerror}") from None
    assert source.kubectl is not None
    args = ["get", "configmap", source.config_map, "-n", source.namespace, "-o", "json"]
    proc = subprocess.run([source.kubectl, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UsageError(
            f"kubectl get configmap {source.config_map} -n {source.namespace} failed:"
            f" {proc.stderr.strip() or f'exit code {proc.returncode}'}; is"
            " spec.triggers.webhook.recordRefusals.enabled true, and applied in this namespace?"
        )
    try:
        data = json.loads(proc.stdout).get("data") or {}
    except (ValueError, AttributeError):
        raise UsageError("kubectl get configmap answered something that is not JSON") from None
    return refusals.parse(data.get(refusals.RECORD_KEY))


def listing(records: list[dict[str, Any]]) -> str:
    """One line per record, newest last: id (shortened), time, event type, check, reason."""
    if not records:
        return "no refused events recorded\n"
    lines = []
    for r in records:
        replayable = "" if r["body"] is not None else f" (body of {r['bodyBytes']} bytes not kept)"
        lines.append(
            f"{r['id'][:ID_CHARS]}  {r['time']}  {r['eventType'] or '-'}  {r['check']}"
            f"  {r['reason']}{replayable}"
        )
    return "\n".join(lines) + "\n"


def pick(records: list[dict[str, Any]], ident: str) -> dict[str, Any]:
    record = refusals.find(records, ident)
    if record is None:
        known = ", ".join(r["id"][:ID_CHARS] for r in records[-5:]) or "none"
        raise UsageError(
            f"no recorded event {ident!r} (give its id, or a unique prefix of at least 8"
            f" characters; the newest: {known}); list them with 'benchgen replay --list'"
        )
    if record["body"] is None:
        raise UsageError(
            f"event {record['id']}: its body ({record['bodyBytes']} bytes) was over"
            f" {refusals.MAX_BODY_BYTES} bytes and not kept, so it cannot be replayed;"
            " ask the provider to redeliver it"
        )
    return record


def build_event(bench: Benchmark, record: dict[str, Any], secret: bytes | None) -> Event:
    """The recorded event, authenticated afresh for the listener's auth."""
    payload = str(record["body"]).encode("utf-8")
    headers = dict(record["headers"])
    for name, value in headers.items():
        problem = header_name_problem(name) or header_value_problem(value)
        if problem:
            raise UsageError(f"event {record['id']}: header {name!r}: {problem}")
    auth = bench.spec.triggers.webhook.auth
    if auth.type == "none":
        return Event(payload, headers)
    if secret is None:
        raise UsageError(
            f"the listener authenticates callers ({auth.type}): set {SECRET_ENV} or pass"
            f" --secret-file with the value of Secret {auth.secret_ref.name}/{auth.secret_ref.key}"
        )
    try:
        fresh = auth_headers(
            auth.type, payload, secret, header=auth.header if auth.type == "token" else None
        )
    except WebhookAuthError as err:
        raise UsageError(f"the webhook secret: {err}") from None
    # The recorded event type stays: auth_headers sets one only when it is given.
    return Event(payload, {**headers, **fresh})
