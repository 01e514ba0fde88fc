"""``benchgen-poller``: the command the generated Tasks run (docs/runtime-interface.md).

A table of commands. Each command's module owns ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args, env, clock) -> int``, and is imported
only when that command runs (or its ``--help`` is asked for): only the standard
library and ``generator.contract`` (stdlib only) are imported here, so
``benchgen-poller --help`` stays cheap.
"""

import argparse
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from generator import __version__
from generator.contract import commands as cmd
from generator.contract.env import APPLY_SPEC, CLEANUP_SPEC

if TYPE_CHECKING:
    from generator.runtime.clock import Clock

# name (contract.commands) -> (its module in generator.runtime, its line in the command list)
COMMANDS = {
    cmd.SUBMIT.name: ("submit", "create the batch (POST); write batch-id and submit-status"),
    cmd.WAIT.name: ("wait", "poll the batch to a terminal status; write the four results"),
    cmd.SUMMARY.name: ("summary", "print a short report of the run (always exit 0)"),
    cmd.OBSERVE.name: (
        "observe",
        "send a CloudEvent per run/step state change (runs until SIGTERM)",
    ),
    cmd.SERVE.name: (
        "serve",
        "read-only HTTP API: /health, /status/<run>, /logs/<run> (runs until SIGTERM)",
    ),
    cmd.EVENT_KEY.name: (
        "interceptor",
        "Tekton Triggers interceptor: the run key of a CloudEvent (runs until SIGTERM)",
    ),
    cmd.RECORD_REFUSALS.name: (
        "refusals",
        "Tekton Triggers interceptor: record refused webhook events to replay (runs until SIGTERM)",
    ),
    cmd.CUSTOM_TASKS.name: (
        "customtasks",
        "reconcile the Submit and Wait CustomRuns of poll.mode controller (runs until SIGTERM)",
    ),
    cmd.SEND.name: ("send", "send one event to the webhook listener, signed like a webhook"),
    cmd.WATCH_RELEASES.name: (
        "releases",
        "fire one event per new GitHub release and configuration (state in a ConfigMap)",
    ),
    cmd.CLEANUP.name: (
        "cleanup",
        f"delete the objects in {CLEANUP_SPEC} (Foreground) and wait until gone",
    ),
    cmd.APPLY.name: (
        "apply",
        f"apply the manifest of {APPLY_SPEC} (server-side) and wait until it is ready",
    ),
    cmd.NOTIFY.name: (
        "notify",
        "post the run summary to a Slack-compatible webhook (chat outages exit 0)",
    ),
}

_DESCRIPTION = "Submit an orchestrator batch, wait for it, and summarise the run."
_EXIT_CODES = f"""exit codes:
  {cmd.EXIT_OK}  success (wait: terminal status not in --fail-on)
  {cmd.EXIT_FAILED}  submit: the orchestrator rejected the batch (400);
     wait: terminal status in --fail-on, or an unknown status under --on-unknown-status fail
  {cmd.EXIT_INPUT}  bad input (env, args or params); nothing was sent
  {cmd.EXIT_TIMEOUT}  wait: --timeout reached before the batch finished;
     apply: not ready at --timeout
  {cmd.EXIT_INFRA}  infrastructure error: orchestrator unreachable or failing past the retry budget
"""


def _parser(command: str | None) -> argparse.ArgumentParser:
    """The CLI; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog=cmd.POLLER,
        description=_DESCRIPTION,
        epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, summary) in COMMANDS.items():
        subparser = sub.add_parser(name, help=summary)
        if name == command:
            module = importlib.import_module(f"generator.runtime.{module_name}")
            subparser.description = module.DESCRIPTION
            module.add_arguments(subparser)
            subparser.set_defaults(run=module.run)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: "Clock | None" = None,
) -> int:
    """Run one command; its exit code. ``env`` and ``clock`` are for tests."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The top level takes no option with a value: the first other word is the command.
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    args = _parser(command).parse_args(argv)
    from generator.runtime.clock import SystemClock
    from generator.runtime.errors import REPORTED, exit_code

    try:
        return int(args.run(args, os.environ if env is None else env, clock or SystemClock()))
    except REPORTED as exc:
        print(f"{cmd.POLLER} {args.command}: error: {exc}", file=sys.stderr, flush=True)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
