"""`benchgen trigger`: send a test event that satisfies the params contract.

The event is checked locally with the rules the listener's CEL filter
applies, so a missing required field is refused before anything is sent.
When the listener authenticates callers, the event is signed (or carries the
token) with a secret read from an environment variable or a file, never from
a command-line value that would land in shell history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.config.models import Benchmark, GitHubAuth, GitLabAuth, NoAuth, TokenAuth
from generator.errors import UsageError

SECRET_ENV = "BENCHGEN_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret


@dataclass
class Event:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def parse_fields(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--field {pair!r}: use NAME=VALUE with a param name")
        values[name] = value
    return values


def build_event(bench: Benchmark, values: dict[str, str], secret: bytes | None) -> Event:
    params = {p.name: p for p in bench.spec.params}
    problems = [
        f"--field {n}: no such param; params are: {', '.join(params)}"
        for n in values
        if n not in params
    ]
    body: dict[str, Any] = {}
    headers = {"Content-Type": "application/json"}
    for param in bench.spec.params:
        value = values.get(param.name)
        if value is None or value == "":
            if param.required:
                problems.append(
                    f"{param.name} is required ({param.from_}); pass --field {param.name}=VALUE"
                )
            continue
        if param.type == "boolean":
            if value.lower() not in ("true", "false"):
                problems.append(f"{param.name}: {value!r} must be true or false")
                continue
            typed: Any = value.lower() == "true"
        else:
            problem = param.value_problem(value)
            if problem:
                problems.append(f"{param.name}: {value!r} {problem}")
                continue
            typed = value
        kind, _, rest = param.from_.partition(".")
        if kind == "header":
            headers[rest] = value
            continue
        node = body
        *parents, leaf = rest.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = typed
    if problems:
        raise UsageError("the listener would reject this event:\n  " + "\n  ".join(problems))
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    headers.update(_auth_headers(bench, payload, secret))
    return Event(payload, headers)


def _auth_headers(bench: Benchmark, payload: bytes, secret: bytes | None) -> dict[str, str]:
    auth = bench.spec.triggers.webhook.auth
    if isinstance(auth, NoAuth):
        return {}
    if secret is None:
        raise UsageError(
            f"the listener authenticates callers ({auth.type}): set {SECRET_ENV} or pass"
            f" --secret-file with the value of Secret {auth.secret_ref.name}/{auth.secret_ref.key}"
        )
    if isinstance(auth, GitHubAuth):
        signature = hmac.new(secret, payload, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={signature}"}
        if auth.event_types:
            headers["X-GitHub-Event"] = auth.event_types[0]
        return headers
    token = secret.decode("utf-8", errors="strict")
    if isinstance(auth, GitLabAuth):
        headers = {"X-Gitlab-Token": token}
        if auth.event_types:
            headers["X-Gitlab-Event"] = auth.event_types[0]
        return headers
    assert isinstance(auth, TokenAuth)
    return {auth.header: token}


def read_secret(secret_file: str | None) -> bytes | None:
    if secret_file:
        try:
            return Path(secret_file).read_bytes().rstrip(b"\r\n")
        except OSError as err:
            raise UsageError(f"--secret-file {secret_file}: {err.strerror}") from None
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None


def send(url: str, event: Event, timeout: float = 10.0) -> tuple[int, str]:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url {url!r}: use an http:// or https:// URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=event.body, headers=event.headers, method="POST"
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
