"""Credentials for ``serve``: read once from a file mounted from a Secret, kept
only as SHA-256 digests, compared with ``hmac.compare_digest``.

Hashing both sides first gives equal-length inputs, so the comparison takes the
same time whatever was sent (no early exit, no length leak), and the secret
itself is not kept in memory after start-up. There are no default credentials:
a missing, empty or malformed file refuses to start (InputError, exit 2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from generator.contract.env import AUTH_FILE, AUTH_TYPE
from generator.runtime.errors import InputError

BEARER, BASIC = "bearer", "basic"
MIN_TOKEN_LENGTH = 16
MIN_PASSWORD_LENGTH = 8


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


@dataclass(frozen=True)
class Credentials:
    """Accepted credentials of one scheme, as digests of the token (bearer) or of
    ``user:password`` (basic)."""

    scheme: str
    digests: tuple[bytes, ...]

    def accepts(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries accepted credentials."""
        presented = _presented(self.scheme, authorization)
        if presented is None:
            return False
        sent = _digest(presented)
        ok = False
        for digest in self.digests:  # every entry, so timing does not tell which matched
            ok |= hmac.compare_digest(sent, digest)
        return ok

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value of a 401."""
        return f'{"Bearer" if self.scheme == BEARER else "Basic"} realm="benchgen"'


def _presented(scheme: str, authorization: str | None) -> bytes | None:
    if not authorization:
        return None
    kind, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if not value or kind.lower() != scheme:
        return None
    if scheme == BEARER:
        return value.encode()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def load_credentials(auth_type: str | None, path: str | None) -> Credentials:
    """Read BENCHGEN_AUTH_TYPE / BENCHGEN_AUTH_FILE. Bearer: one token per line
    (several let a rotation overlap), at least 16 characters. Basic:
    ``user:password`` lines, passwords of at least 8 characters. Blank lines and
    ``#`` comments are ignored; anything else wrong is an InputError."""
    scheme = (auth_type or "").strip().lower()
    if scheme not in (BEARER, BASIC):
        raise InputError(
            f"{AUTH_TYPE} must be {BEARER!r} or {BASIC!r} (got {auth_type or ''!r});"
            " there are no default credentials"
        )
    if not path:
        raise InputError(f"{AUTH_FILE} is required: a file mounted from a Secret")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{AUTH_FILE} {path}: cannot read it: {exc}") from None
    entries = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if not entries:
        raise InputError(f"{AUTH_FILE} {path}: no credentials in it; refusing to start")
    problems: list[str] = []
    users: set[str] = set()
    for number, line in entries:
        if scheme == BEARER:
            if len(line) < MIN_TOKEN_LENGTH or any(c.isspace() for c in line):
                problems.append(
                    f"line {number}: a bearer token is one word of at least"
                    f" {MIN_TOKEN_LENGTH} characters"
                )
            continue
        user, colon, password = line.partition(":")
        if not colon or not user:
            problems.append(f"line {number}: expected user:password")
        elif len(password) < MIN_PASSWORD_LENGTH:
            problems.append(
                f"line {number}: the password of {user!r} is shorter than"
                f" {MIN_PASSWORD_LENGTH} characters"
            )
        elif user in users:
            problems.append(f"line {number}: user {user!r} appears twice")
        users.add(user)
    if problems:
        # Line numbers only: the file's content is secret and never printed.
        raise InputError(f"{AUTH_FILE} {path}: " + "; ".join(problems))
    return Credentials(scheme, tuple(_digest(line.encode()) for _, line in entries))
