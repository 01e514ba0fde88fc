"""The errors a subcommand can end with, each mapped to one exit code."""

# Exit codes shared by every subcommand (docs/runtime-interface.md).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_TIMEOUT = 3
EXIT_INFRA = 4


class PollerError(Exception):
    """A failure the CLI reports as one line and an exit code, never a traceback."""

    exit_code = EXIT_INFRA


class InputError(PollerError):
    """Bad input (env, args, params): nothing was sent."""

    exit_code = EXIT_INPUT


class RejectedError(PollerError):
    """The orchestrator refused the request (400); retrying would not help."""

    exit_code = EXIT_FAILED


class InfraError(PollerError):
    """The orchestrator was unreachable or kept answering errors past the retry budget."""

    exit_code = EXIT_INFRA
