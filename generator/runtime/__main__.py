"""``benchgen-poller``: the command the generated Tasks run (docs/runtime-interface.md).

Only the standard library is imported here; each subcommand imports its own
code (and urllib3/tenacity) when it runs, so ``--help`` stays cheap.
"""

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from generator import __version__

if TYPE_CHECKING:
    from generator.runtime.clock import Clock
    from generator.runtime.send import SendOptions

_DESCRIPTION = "Submit an orchestrator batch, wait for it, and summarise the run."
_EXIT_CODES = """exit codes:
  0  success (wait: terminal status not in --fail-on)
  1  submit: the orchestrator rejected the batch (400);
     wait: terminal status in --fail-on, or an unknown status under --on-unknown-status fail
  2  bad input (env, args or params); nothing was sent
  3  wait: --timeout reached before the batch finished
  4  infrastructure error: orchestrator unreachable or failing past the retry budget
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchgen-poller",
        description=_DESCRIPTION,
        epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    submit = sub.add_parser(
        "submit",
        help="create the batch (POST); write batch-id and submit-status",
        description="Build the JSON body from BENCHGEN_REQUEST_SPEC and BENCHGEN_PARAM_* and"
        " create the batch exactly once. Env: BENCHGEN_ORCHESTRATOR_URL,"
        " BENCHGEN_BATCH_ENDPOINT, BENCHGEN_REQUEST_SPEC, BENCHGEN_PARAM_<NAME>,"
        " BENCHGEN_IDEMPOTENCY_KEY.",
    )
    submit.add_argument("--batch-id-path", metavar="PATH", help="write the batch id here")
    submit.add_argument("--status-path", metavar="PATH", help="write the returned status here")
    _retry_arguments(submit, "5m", "overall deadline")

    wait = sub.add_parser(
        "wait",
        help="poll the batch to a terminal status; write the four results",
        description="Poll GET {url}{endpoint}/{BENCHGEN_BATCH_ID} until a terminal status or"
        " --timeout. Env: BENCHGEN_ORCHESTRATOR_URL, BENCHGEN_BATCH_ENDPOINT, BENCHGEN_BATCH_ID.",
    )
    wait.add_argument("--interval", default="30s", metavar="D", help="first delay (30s)")
    wait.add_argument("--max-interval", default="5m", metavar="D", help="delay ceiling (5m)")
    wait.add_argument("--timeout", default="8h", metavar="D", help="whole wait (8h)")
    wait.add_argument(
        "--fail-on",
        default="FAILED,CANCELLED",
        metavar="S1,S2",
        help="terminal statuses that exit 1 (FAILED,CANCELLED)",
    )
    wait.add_argument(
        "--on-unknown-status",
        default="fail",
        choices=("fail", "wait"),
        help="fail: exit 1 at once; wait: keep polling until --timeout (fail)",
    )
    wait.add_argument("--request-timeout", default="30s", metavar="D", help="per request (30s)")
    wait.add_argument(
        "--not-found-grace", default="2m", metavar="D", help="404s tolerated after submit (2m)"
    )
    wait.add_argument(
        "--error-budget", default="15m", metavar="D", help="failing polls tolerated in a row (15m)"
    )
    for name in ("final-status", "total-jobs", "completed-jobs", "failed-jobs"):
        wait.add_argument(f"--{name}-path", metavar="PATH", help=f"write {name} here")

    sub.add_parser(
        "summary",
        help="print a short report of the run (always exit 0)",
        description="Env: BENCHGEN_PIPELINE_RUN, BENCHGEN_AGGREGATE_STATUS,"
        " BENCHGEN_SUBMIT_STATUS, BENCHGEN_WAIT_STATUS, BENCHGEN_BATCH_ID,"
        " BENCHGEN_FINAL_STATUS, BENCHGEN_TOTAL_JOBS, BENCHGEN_COMPLETED_JOBS,"
        " BENCHGEN_FAILED_JOBS.",
    )
    # observe (issue 8): the step/run CloudEvents controller.
    sub.add_parser(
        "observe",
        help="send a CloudEvent per run/step state change (runs until SIGTERM)",
        description="Watch this benchmark's PipelineRuns and TaskRuns and send CloudEvents."
        " Env: BENCHGEN_NAMESPACES, BENCHGEN_SELECTOR, BENCHGEN_SINK (URL or 'tekton'),"
        " BENCHGEN_TEKTON_NAMESPACE (tekton-pipelines), BENCHGEN_EVENT_SOURCE,"
        " BENCHGEN_LOG_TAIL_BYTES (4096), BENCHGEN_HEALTH_PORT (8081),"
        " BENCHGEN_RESYNC_PERIOD (5m), BENCHGEN_DELIVERY_TIMEOUT (30s)."
        " Exit 2 on bad configuration, 0 after SIGTERM.",
    )
    # serve (issue 8): status and logs API for external CI.
    sub.add_parser(
        "serve",
        help="read-only HTTP API: /health, /status/<run>, /logs/<run> (runs until SIGTERM)",
        description="Answer CI jobs about this benchmark's PipelineRuns. Env:"
        " BENCHGEN_NAMESPACE, BENCHGEN_SELECTOR, BENCHGEN_AUTH_TYPE (bearer|basic),"
        " BENCHGEN_AUTH_FILE, BENCHGEN_PORT (8080), BENCHGEN_POLL_INTERVAL (2s),"
        " BENCHGEN_MAX_STREAMS (32). Exit 2 on bad or missing configuration.",
    )
    # event-key: the CloudEvents listener's interceptor naming each run by (source, id).
    sub.add_parser(
        "event-key",
        help="Tekton Triggers interceptor: the run key of a CloudEvent (runs until SIGTERM)",
        description="Answer the CloudEvents EventListener's InterceptorRequests (POST /) with"
        " extensions.cloudevent_key: 32 hex digits of SHA-256 over the event's Ce-Source and"
        " Ce-Id (length-prefixed), so the same event always names the same run and the same"
        " id from another source names another; continue false without both headers."
        " Stateless. Env: BENCHGEN_PORT (8080), BENCHGEN_HEALTH_PORT (8081),"
        " BENCHGEN_MAX_REQUEST_BYTES (1048576). Exit 2 on bad configuration, 0 after SIGTERM.",
    )
    # send (issue 9): one signed event to the listener (the schedule's CronJob).
    send = sub.add_parser(
        "send",
        help="send one event to the webhook listener, signed like a webhook",
        description="POST BENCHGEN_EVENT_BODY to BENCHGEN_LISTENER_URL, authenticated as"
        " BENCHGEN_AUTH_TYPE (none|github|gitlab|token) with the secret in BENCHGEN_AUTH_FILE"
        " (BENCHGEN_AUTH_HEADER for token, BENCHGEN_EVENT_TYPE for X-GitHub-Event/"
        "X-Gitlab-Event). Optional: BENCHGEN_EVENT_HEADERS (JSON object),"
        " BENCHGEN_EVENT_ID_FIELD (body.<path> or header.<Name>) with BENCHGEN_EVENT_ID and"
        " BENCHGEN_EVENT_ID_MAX: the id names the run, so a retried Job starts no second run."
        " Connection errors, 408, 429 and 5xx are retried until --timeout."
        " Exit 0 sent (2xx), 1 refused (other 3xx/4xx), 2 bad input (nothing sent),"
        " 4 listener unreachable or failing until --timeout.",
    )
    _retry_arguments(send, "2m", "overall deadline")
    # watch-releases (issue 9): one event per new GitHub release and configuration.
    watch = sub.add_parser(
        "watch-releases",
        help="fire one event per new GitHub release and configuration (state in a ConfigMap)",
        description="Ask the GitHub REST API (BENCHGEN_GITHUB_API, token in"
        " BENCHGEN_GITHUB_TOKEN_FILE) for the latest release of each project in"
        " BENCHGEN_RELEASES, and send one event per release and configuration not yet fired"
        " (body from BENCHGEN_EVENT_BODY and BENCHGEN_RELEASE_FIELDS; listener and auth as for"
        " send; BENCHGEN_EVENT_ID_FIELD and BENCHGEN_EVENT_ID_MAX required). What was fired is"
        " kept in ConfigMap BENCHGEN_STATE_CONFIGMAP in BENCHGEN_NAMESPACE; a failed fire is"
        " retried on the next run. Exit 0 all checked and fired, 1 some API call or fire failed"
        " or the rate limit stopped the run (the rest done, state saved), 2 bad input.",
    )
    _retry_arguments(watch, "2m", "retry budget per GitHub call or event")
    watch.add_argument(
        "--max-rate-limit-wait",
        default="1m",
        metavar="D",
        help="wait for a rate limit that lifts this soon; a later one stops the run (1m)",
    )
    # cleanup (issue 9): the finally step deleting what the run deployed.
    cleanup = sub.add_parser(
        "cleanup",
        help="delete the objects in BENCHGEN_CLEANUP_SPEC (Foreground) and wait until gone",
        description="Delete every object the spec's label selectors match, with"
        " propagationPolicy Foreground, and wait until they are gone, finalizers included;"
        " objects that appear meanwhile are deleted too. Env: BENCHGEN_CLEANUP_SPEC (JSON list"
        ' of {"apiVersion", "kind", "plural"?, "namespace", "labels"}; a namespace or label'
        ' value may be {"param": "<name>"}, read from BENCHGEN_PARAM_<NAME>).'
        " Exit 0 all gone, 1 some still there at --timeout (listed), 2 bad input, wrong"
        " kind or missing RBAC, 4 API server unreachable or failing until --timeout.",
    )
    cleanup.add_argument("--timeout", default="10m", metavar="D", help="whole clean-up (10m)")
    cleanup.add_argument(
        "--interval", default="5s", metavar="D", help="longest pause between checks (5s)"
    )
    # notify (issue 9): the finally step posting the summary to chat.
    notify = sub.add_parser(
        "notify",
        help="post the run summary to a Slack-compatible webhook (chat outages exit 0)",
        description='POST {"text": <summary>} to the URL in the file BENCHGEN_NOTIFY_URL_FILE'
        " (a Secret key; the URL is never printed). Env: as for summary. Connection errors,"
        " 408, 429 (Retry-After) and 5xx are retried, at most --attempts times within"
        " --timeout. Exit 0 sent, or not sent and reported (stderr and --status-path);"
        " 1 not sent under --on-failure fail; 2 bad input (no URL file, not a URL).",
    )
    notify.add_argument("--timeout", default="1m", metavar="D", help="all attempts (1m)")
    notify.add_argument("--attempts", default=5, type=int, metavar="N", help="at most (5)")
    notify.add_argument("--request-timeout", default="10s", metavar="D", help="per request (10s)")
    notify.add_argument("--backoff", default="1s", metavar="D", help="first retry delay (1s)")
    notify.add_argument(
        "--status-path", metavar="PATH", help="write 'sent' or 'failed: <reason>' here"
    )
    notify.add_argument(
        "--on-failure",
        default="report",
        choices=("report", "fail"),
        help="not delivered: report and exit 0 (default), or exit 1",
    )
    return parser


def _retry_arguments(parser: argparse.ArgumentParser, timeout: str, timeout_help: str) -> None:
    """--timeout, --request-timeout, --backoff, --max-backoff (submit, send, watch-releases)."""
    parser.add_argument(
        "--timeout", default=timeout, metavar="D", help=f"{timeout_help} ({timeout})"
    )
    parser.add_argument("--request-timeout", default="30s", metavar="D", help="per request (30s)")
    parser.add_argument("--backoff", default="1s", metavar="D", help="first retry delay (1s)")
    parser.add_argument("--max-backoff", default="30s", metavar="D", help="retry ceiling (30s)")


def _send_options(args: argparse.Namespace) -> "SendOptions":
    from generator.runtime.durations import parse_duration
    from generator.runtime.send import SendOptions

    return SendOptions(
        timeout=parse_duration(args.timeout, what="--timeout"),
        request_timeout=parse_duration(args.request_timeout, what="--request-timeout"),
        backoff=parse_duration(args.backoff, what="--backoff"),
        max_backoff=parse_duration(args.max_backoff, what="--max-backoff"),
    )


def _send(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.send import run_send

    return run_send(_send_options(args), env, clock)


def _watch_releases(
    args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None"
) -> int:
    from generator.runtime.durations import parse_duration
    from generator.runtime.releases import run_watch_releases

    max_wait = parse_duration(args.max_rate_limit_wait, what="--max-rate-limit-wait")
    return run_watch_releases(_send_options(args), max_wait, env, clock)


def _cleanup(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.cleanup import CleanupOptions, run_cleanup
    from generator.runtime.durations import parse_duration

    opts = CleanupOptions(
        timeout=parse_duration(args.timeout, what="--timeout"),
        interval=parse_duration(args.interval, what="--interval"),
    )
    return run_cleanup(opts, env)


def _notify(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.durations import parse_duration
    from generator.runtime.errors import InputError
    from generator.runtime.notify import NotifyOptions, run_notify

    if not 1 <= args.attempts <= 20:
        raise InputError(f"--attempts: {args.attempts} is outside 1..20")
    opts = NotifyOptions(
        timeout=parse_duration(args.timeout, what="--timeout"),
        attempts=args.attempts,
        request_timeout=parse_duration(args.request_timeout, what="--request-timeout"),
        backoff=parse_duration(args.backoff, what="--backoff"),
        status_path=args.status_path,
        fail_on_error=args.on_failure == "fail",
    )
    return run_notify(opts, env)


def _serve(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.serve import run_serve

    return run_serve(env)


def _event_key(
    args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None"
) -> int:
    from generator.runtime.interceptor import run_event_key

    return run_event_key(env)


def _observe(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    import os

    from generator.runtime.observe.controller import run_observe

    return run_observe(os.environ if env is None else env)


def _submit(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.durations import parse_duration
    from generator.runtime.submit import SubmitOptions, run_submit

    opts = SubmitOptions(
        batch_id_path=args.batch_id_path,
        status_path=args.status_path,
        timeout=parse_duration(args.timeout, what="--timeout"),
        request_timeout=parse_duration(args.request_timeout, what="--request-timeout"),
        backoff=parse_duration(args.backoff, what="--backoff"),
        max_backoff=parse_duration(args.max_backoff, what="--max-backoff"),
    )
    return run_submit(opts, env, clock)


def _wait(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.durations import parse_duration
    from generator.runtime.errors import InputError
    from generator.runtime.results import write_result
    from generator.runtime.wait import WaitOptions, parse_fail_on, run_wait

    try:
        opts = WaitOptions(
            interval=parse_duration(args.interval, what="--interval"),
            max_interval=parse_duration(args.max_interval, what="--max-interval"),
            timeout=parse_duration(args.timeout, what="--timeout"),
            fail_on=parse_fail_on(args.fail_on),
            on_unknown=args.on_unknown_status,
            request_timeout=parse_duration(args.request_timeout, what="--request-timeout"),
            not_found_grace=parse_duration(args.not_found_grace, what="--not-found-grace"),
            error_budget=parse_duration(args.error_budget, what="--error-budget"),
            final_status_path=args.final_status_path,
            total_jobs_path=args.total_jobs_path,
            completed_jobs_path=args.completed_jobs_path,
            failed_jobs_path=args.failed_jobs_path,
        )
        if opts.max_interval < opts.interval:
            raise InputError("--max-interval must not be shorter than --interval")
    except InputError:
        # The finally summary still gets every result.
        write_result(args.final_status_path, "UNKNOWN")
        for path in (args.total_jobs_path, args.completed_jobs_path, args.failed_jobs_path):
            write_result(path, "0")
        raise
    return run_wait(opts, env, clock)


def _summary(args: argparse.Namespace, env: Mapping[str, str] | None, clock: "Clock | None") -> int:
    from generator.runtime.summary import run_summary

    return run_summary(env)


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: "Clock | None" = None,
) -> int:
    """Run one subcommand; its exit code. ``env`` and ``clock`` are for tests."""
    args = _parser().parse_args(argv)
    from generator.runtime.errors import PollerError

    try:
        handler = {
            "submit": _submit,
            "wait": _wait,
            "summary": _summary,
            "serve": _serve,
            "observe": _observe,
            "event-key": _event_key,
            "cleanup": _cleanup,
            "notify": _notify,
            "send": _send,
            "watch-releases": _watch_releases,
        }[args.command]
        return handler(args, env, clock)
    except PollerError as exc:
        print(f"benchgen-poller {args.command}: error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
