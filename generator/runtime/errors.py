"""Every error the runtime raises is one of two kinds, after kopf's model:
:class:`TemporaryError` ("retry later", maybe ``retry_after`` seconds; what
``retry.deadline_retrying`` retries) or :class:`PermanentError` ("give up").
Both carry the exit code the CLI reports them with (one line, no traceback);
so does the contract's ``ContractError`` (env the compiler wrote that does not
decode), which is bad input.
"""

from generator.contract.commands import (
    EXIT_FAILED,
    EXIT_INFRA,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_TIMEOUT,
)
from generator.contract.errors import ContractError

__all__ = ["EXIT_FAILED", "EXIT_INFRA", "EXIT_INPUT", "EXIT_OK", "EXIT_TIMEOUT", "ContractError"]


class TemporaryError(Exception):
    """Worth another try, after ``retry_after`` seconds when the other side said so."""

    # One that reaches the CLI outlived its retries: an infrastructure error.
    exit_code = EXIT_INFRA

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Retrying would not help."""

    exit_code = EXIT_INFRA


class InputError(PermanentError):
    """Bad input (env, args, params): nothing was sent."""

    exit_code = EXIT_INPUT


class RejectedError(PermanentError):
    """The other side refused the request (a 400, a refused event); retrying would not help."""

    exit_code = EXIT_FAILED


class InfraError(PermanentError):
    """The other side was unreachable or kept failing past the retry budget."""

    exit_code = EXIT_INFRA


# What the CLI reports as one line and an exit code.
REPORTED = (TemporaryError, PermanentError, ContractError)


def exit_code(exc: BaseException) -> int:
    """The exit code of a REPORTED error: a ContractError is bad input."""
    return exc.exit_code if isinstance(exc, TemporaryError | PermanentError) else EXIT_INPUT
