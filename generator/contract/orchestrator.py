"""What benchgen relies on in the orchestrator's batch API (sast-ai's
``/api/v1/mlops-batch``): its statuses and the fields the submit fills.

The config models offer ``failOn`` from these statuses; ``wait`` stops on them;
``summary`` explains them. The runtime marks each batch it creates in
``submittedBy`` so a retried submit finds it; the compiler checks a param mapped
there leaves room for the mark.
"""

from __future__ import annotations

from typing import Literal, get_args

# Every terminal BatchStatus (MlOpsBatch.status), in the orchestrator's order.
TerminalStatus = Literal[
    "COMPLETED", "COMPLETED_WITH_ERRORS", "COMPLETED_EMPTY", "FAILED", "CANCELLED"
]
TERMINAL: tuple[TerminalStatus, ...] = get_args(TerminalStatus)
DEFAULT_FAIL_ON: tuple[TerminalStatus, ...] = ("FAILED", "CANCELLED")
PROCESSING = "PROCESSING"
# What ``wait`` reports instead of a status it never saw.
TIMEOUT = "TIMEOUT"
UNKNOWN = "UNKNOWN"

# The orchestrator rejects a blank value in these (MlOpsBatchSubmissionDto).
REQUIRED_FIELDS = (
    "testingDataNvrsVersion",
    "promptsVersion",
    "knownNonIssuesVersion",
    "sastAiImage",
)
# The one free-text field the orchestrator stores and returns: it carries the
# idempotency key so a retried submit can find the batch it already created.
TOKEN_FIELD = "submittedBy"  # noqa: S105 - a field name, not a secret
# Its column holds 255 characters (MlOpsBatch.submittedBy, JPA's default length).
SUBMITTED_BY_MAX = 255
# The key is a Kubernetes UID (36 characters).
TOKEN_LENGTH = 36


def token_marker(token: str) -> str:
    """The text that identifies a run's batch in ``submittedBy``."""
    return f"(run {token})"


def tag_submitted_by(value: str | None, token: str) -> str:
    """``submittedBy`` with the run's idempotency key appended."""
    return f"{value} {token_marker(token)}" if value else token_marker(token)


# What a param mapped to submittedBy may hold: the rest carries " (run <uid>)".
SUBMITTED_BY_ROOM = SUBMITTED_BY_MAX - len(tag_submitted_by("x", "u" * TOKEN_LENGTH)) + 1
