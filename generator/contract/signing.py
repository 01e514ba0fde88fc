"""How a caller authenticates a webhook event to the generated EventListener.

Shared by ``benchgen trigger`` (the compiler side) and ``benchgen-poller send``
/ ``watch-releases`` (the runtime): both must sign exactly the way the
listener's interceptor checks, so there is one implementation. Part of
``generator.contract`` (standard library only).

The auth types are those of ``spec.triggers.webhook.auth``:

- ``none``: no header;
- ``github``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>``
  (Triggers' GitHub interceptor), plus ``X-GitHub-Event`` when event types are checked;
- ``gitlab``: ``X-Gitlab-Token: <secret>`` (Triggers' GitLab interceptor), plus
  ``X-Gitlab-Event``;
- ``token``: ``<header>: <secret>`` (the CEL check the generator writes).
"""

from __future__ import annotations

import hashlib
import hmac
import re

AUTH_TYPES = ("none", "github", "gitlab", "token")

# RFC 9110 token: what a header name may be made of.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class WebhookAuthError(ValueError):
    """The secret or a header cannot be used (the message names the problem, never the value)."""


def header_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an HTTP header name, or None."""
    if not _HEADER_NAME.fullmatch(name):
        return f"{name!r} is not a valid HTTP header name"
    return None


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot travel in an HTTP header (it would split the request), or None."""
    if any(c in value for c in "\r\n\0"):
        return "contains a line break or NUL"
    return None


def _token(secret: bytes) -> str:
    try:
        token = secret.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise WebhookAuthError("the secret is not UTF-8 text, so it cannot be a header") from None
    if not token or header_value_problem(token) or not token.isprintable():
        raise WebhookAuthError(
            "the secret must be one line of printable text to be sent as a header"
        )
    return token


def auth_headers(
    auth_type: str,
    payload: bytes,
    secret: bytes | None,
    *,
    header: str | None = None,
    event_type: str | None = None,
) -> dict[str, str]:
    """The headers that authenticate ``payload`` (the exact bytes sent) for ``auth_type``.

    ``secret`` is required unless ``auth_type`` is ``none``; ``header`` is the
    header name for ``token``; ``event_type`` fills ``X-GitHub-Event`` /
    ``X-Gitlab-Event``. Raises WebhookAuthError for anything unusable.
    """
    if auth_type not in AUTH_TYPES:
        raise WebhookAuthError(f"auth type {auth_type!r} is not one of {', '.join(AUTH_TYPES)}")
    if auth_type == "none":
        return {}
    if not secret:
        raise WebhookAuthError(f"auth type {auth_type!r} needs a secret")
    if event_type is not None and (header_value_problem(event_type) or not event_type):
        raise WebhookAuthError("the event type must be one non-empty line")
    if auth_type == "github":
        signature = hmac.new(secret, payload, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={signature}"}
        if event_type:
            headers["X-GitHub-Event"] = event_type
        return headers
    token = _token(secret)
    if auth_type == "gitlab":
        headers = {"X-Gitlab-Token": token}
        if event_type:
            headers["X-Gitlab-Event"] = event_type
        return headers
    if not header:
        raise WebhookAuthError("auth type 'token' needs the header name")
    problem = header_name_problem(header)
    if problem:
        raise WebhookAuthError(problem)
    return {header: token}


# Headers benchgen-poller sets itself: an event's own headers may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "x-hub-signature-256",
        "x-hub-signature",
        "x-gitlab-token",
    }
)


def source_problem(source: str) -> str | None:
    """Why ``source`` is not where a param's value sits in an event
    (``body.a.b`` / ``header.Name``, a param's ``from``), or None."""
    kind, _, rest = source.partition(".")
    if kind == "body" and rest and all(rest.split(".")):
        return None
    if kind == "header" and rest and header_name_problem(rest) is None:
        if rest.lower() in RESERVED_HEADERS:
            return f"{source!r}: header {rest} is set by benchgen-poller itself"
        return None
    return f"{source!r} is not body.<field>[.<field>...] or header.<Name>"
