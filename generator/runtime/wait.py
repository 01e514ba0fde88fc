"""``benchgen-poller wait``: poll a batch to a terminal status, then write the results.

The loop is a tenacity ``Retrying`` whose wait strategy is the shared
:class:`~generator.runtime.poller.Poller`'s schedule (the custom-task
controller uses the same one); the whole wait is bounded by ``--timeout``.
Whatever happens, every result file is written before the process exits.
"""

import argparse
from collections.abc import Mapping

from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
)

from generator.contract import env as var
from generator.contract.commands import WAIT
from generator.contract.durations import describe_duration
from generator.contract.orchestrator import TIMEOUT, UNKNOWN
from generator.runtime.args import add_flag, duration, env_help
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_TIMEOUT, REPORTED, InputError
from generator.runtime.http import Unavailable
from generator.runtime.orchestrator import Batch, from_env
from generator.runtime.poller import (
    Outcome,
    Poller,
    WaitOptions,
    count,
    parse_batch_id,
    parse_fail_on,
)
from generator.runtime.results import write_result

DESCRIPTION = (
    f"Poll GET {{url}}{{endpoint}}/{{{var.BATCH_ID}}} until a terminal status or"
    f" --timeout. {env_help(WAIT)}."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for name, help in (
        ("--interval", "first delay"),
        ("--max-interval", "delay ceiling"),
        ("--timeout", "whole wait"),
        ("--request-timeout", "per request"),
        ("--not-found-grace", "404s tolerated after submit"),
        ("--error-budget", "failing polls tolerated in a row"),
    ):
        add_flag(parser, WAIT, name, help, metavar="D")
    add_flag(parser, WAIT, "--fail-on", "terminal statuses that exit 1", metavar="S1,S2")
    add_flag(
        parser,
        WAIT,
        "--on-unknown-status",
        "fail: exit 1 at once; wait: keep polling until --timeout",
        choices=("fail", "wait"),
    )
    for result in WAIT.results:
        add_flag(parser, WAIT, result.flag, f"write {result.name} here", metavar="PATH")


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    try:
        opts = WaitOptions(
            interval=duration(args.interval, "--interval"),
            max_interval=duration(args.max_interval, "--max-interval"),
            timeout=duration(args.timeout, "--timeout"),
            fail_on=parse_fail_on(args.fail_on),
            on_unknown=args.on_unknown_status,
            request_timeout=duration(args.request_timeout, "--request-timeout"),
            not_found_grace=duration(args.not_found_grace, "--not-found-grace"),
            error_budget=duration(args.error_budget, "--error-budget"),
            final_status_path=args.final_status_path,
            total_jobs_path=args.total_jobs_path,
            completed_jobs_path=args.completed_jobs_path,
            failed_jobs_path=args.failed_jobs_path,
        )
        if opts.max_interval < opts.interval:
            raise InputError("--max-interval must not be shorter than --interval")
    except InputError:
        # The finally summary still gets every result.
        write_result(args.final_status_path, UNKNOWN)
        for path in (args.total_jobs_path, args.completed_jobs_path, args.failed_jobs_path):
            write_result(path, "0")
        raise
    return run_wait(opts, env, clock)


def run_wait(opts: WaitOptions, env: Mapping[str, str], clock: Clock) -> int:
    """Wait for the batch; always write the four results; the exit code."""
    final_status, poller = UNKNOWN, None
    try:
        batch_id = parse_batch_id(env.get(var.BATCH_ID, ""))
        orchestrator = from_env(env)
        poller = Poller(orchestrator, batch_id, opts, clock, clock.monotonic())
        print(
            f"waiting for batch {batch_id} at {orchestrator.status_url(batch_id)} (timeout"
            f" {describe_duration(opts.timeout)}, polls every {describe_duration(opts.interval)}"
            f" to {describe_duration(opts.max_interval)})",
            flush=True,
        )

        def before_sleep(state: RetryCallState) -> None:
            sleep = describe_duration(state.upcoming_sleep)
            print(f"{poller.line}; next poll in {sleep}", flush=True)

        retrying = Retrying(
            sleep=clock.sleep,
            wait=lambda s: poller.next_delay(s.outcome.exception() if s.outcome else None),
            stop=lambda s: poller.timed_out(),
            retry=retry_if_exception_type(Unavailable) | retry_if_result(lambda o: o is None),
            before_sleep=before_sleep,
        )
        try:
            outcome: Outcome | None = retrying(poller.poll)
        except RetryError:
            outcome = None
        print(poller.line, flush=True)
        if outcome is None:
            outcome = Outcome(
                TIMEOUT,
                EXIT_TIMEOUT,
                f"batch {batch_id} did not finish within {describe_duration(opts.timeout)}",
            )
        final_status = outcome.final_status
        summary = f"{outcome.message} after {poller.elapsed()}, {poller.polls} polls"
        print(f"{summary}; exit {outcome.exit_code}", flush=True)
        return outcome.exit_code
    except REPORTED:
        if poller is not None and poller.line:
            print(poller.line, flush=True)
        raise
    finally:
        _write_all(opts, final_status, poller.last if poller else None)


def _write_all(opts: WaitOptions, final_status: str, last: Batch | None) -> None:
    write_result(opts.final_status_path, final_status)
    write_result(opts.total_jobs_path, count(last.total_jobs if last else None))
    write_result(opts.completed_jobs_path, count(last.completed_jobs if last else None))
    write_result(opts.failed_jobs_path, count(last.failed_jobs if last else None))
