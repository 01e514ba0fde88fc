"""The commands of ``benchgen-poller``: their names, flags with defaults, the
results they write, the env they read with its defaults, and the exit codes.

The runtime builds its argument parser from these records and the compiler
writes its ``args`` and ``env`` from them, so a default exists once; the config
models take theirs from here too (``poll.interval`` is ``WAIT.flag("--interval")``).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.contract import env, refusals

POLLER = "benchgen-poller"  # the image's entry point

# -- exit codes shared by every command ------------------------------------------
EXIT_OK = 0
EXIT_FAILED = 1  # the work was refused or failed (a batch FAILED, a 4xx)
EXIT_INPUT = 2  # bad env, args or params: nothing was sent
EXIT_TIMEOUT = 3  # wait: --timeout before the batch finished
EXIT_INFRA = 4  # a dependency unreachable or failing past the retry budget


@dataclass(frozen=True)
class Flag:
    name: str  # "--interval"
    default: str | None = None  # None: optional, or set by the compiler every time


@dataclass(frozen=True)
class Setting:
    """An env variable a command reads, and its default when unset or blank."""

    name: str
    default: str | None = None  # None: required, or optional without a default


@dataclass(frozen=True)
class Result:
    """A Tekton result a command writes: to the path given by ``flag``."""

    name: str
    flag: str


@dataclass(frozen=True)
class Command:
    name: str
    flags: tuple[Flag, ...] = ()
    settings: tuple[Setting, ...] = ()
    results: tuple[Result, ...] = ()
    # The command also reads BENCHGEN_PARAM_<NAME> for the params its spec names.
    reads_params: bool = False

    def flag(self, name: str) -> Flag:
        return next(f for f in self.flags if f.name == name)

    def default(self, name: str) -> str:
        """The default of flag or setting ``name``; KeyError if it has none."""
        items: tuple[Flag | Setting, ...] = (*self.flags, *self.settings)
        for item in items:
            if item.name == name and item.default is not None:
                return item.default
        raise KeyError(f"{self.name}: {name} has no default")


def _retry_flags(timeout: str) -> tuple[Flag, ...]:
    return (
        Flag("--timeout", timeout),
        Flag("--request-timeout", "30s"),
        Flag("--backoff", "1s"),
        Flag("--max-backoff", "30s"),
    )


_ORCHESTRATOR = (
    Setting(env.ORCHESTRATOR_URL),
    Setting(env.BATCH_ENDPOINT),
    Setting(env.ORCHESTRATOR_API),
    Setting(env.ORCHESTRATOR_TOKEN_FILE),
)
_OUTCOME = tuple(
    Setting(name)
    for name in (
        env.PIPELINE_RUN,
        env.AGGREGATE_STATUS,
        env.SUBMIT_STATUS,
        env.WAIT_STATUS,
        env.BATCH_ID,
        env.FINAL_STATUS,
        env.TOTAL_JOBS,
        env.COMPLETED_JOBS,
        env.FAILED_JOBS,
    )
)
_EVENT = tuple(
    Setting(name)
    for name in (
        env.LISTENER_URL,
        env.AUTH_TYPE,
        env.AUTH_FILE,
        env.AUTH_HEADER,
        env.EVENT_TYPE,
        env.EVENT_BODY,
        env.EVENT_HEADERS,
        env.EVENT_ID_FIELD,
        env.EVENT_ID_MAX,
    )
)

SUBMIT = Command(
    "submit",
    flags=(Flag("--batch-id-path"), Flag("--status-path"), *_retry_flags("5m")),
    settings=(*_ORCHESTRATOR, Setting(env.REQUEST_SPEC), Setting(env.IDEMPOTENCY_KEY)),
    results=(Result("batch-id", "--batch-id-path"), Result("submit-status", "--status-path")),
    reads_params=True,
)
WAIT_COUNTS = ("total-jobs", "completed-jobs", "failed-jobs")
WAIT = Command(
    "wait",
    flags=(
        Flag("--interval", "10s"),
        Flag("--max-interval", "5m"),
        Flag("--timeout", "8h"),
        Flag("--fail-on", "FAILED,CANCELLED"),
        Flag("--on-unknown-status", "fail"),
        Flag("--request-timeout", "30s"),
        Flag("--not-found-grace", "2m"),
        Flag("--error-budget", "15m"),
        *(Flag(f"--{name}-path") for name in ("final-status", *WAIT_COUNTS)),
    ),
    settings=(*_ORCHESTRATOR, Setting(env.BATCH_ID)),
    results=tuple(Result(name, f"--{name}-path") for name in ("final-status", *WAIT_COUNTS)),
)
SUMMARY = Command("summary", settings=_OUTCOME)
OBSERVE = Command(
    "observe",
    settings=(
        Setting(env.NAMESPACES),
        Setting(env.SELECTOR),
        Setting(env.SINK),
        Setting(env.TEKTON_NAMESPACE, "tekton-pipelines"),
        Setting(env.EVENT_SOURCE),
        Setting(env.LOG_TAIL_BYTES, "4096"),
        Setting(env.HEALTH_PORT, "8081"),
        Setting(env.RESYNC_PERIOD, "5m"),
        Setting(env.DELIVERY_TIMEOUT, "30s"),
        Setting(env.CONCURRENCY_LIMIT),
        Setting(env.CONCURRENCY_KEY),
        Setting(env.CONCURRENCY_MAX_PENDING),
        Setting(env.CONCURRENCY_SUPERSEDE, "false"),
        Setting(env.COMMIT_STATUS),
        Setting(env.COMMIT_STATUS_TOKEN_FILE),
    ),
)
SERVE = Command(
    "serve",
    settings=(
        Setting(env.NAMESPACE),
        Setting(env.SELECTOR),
        Setting(env.AUTH_TYPE),
        Setting(env.AUTH_FILE),
        Setting(env.PORT, "8080"),
        Setting(env.HEALTH_PORT, "8081"),
        Setting(env.POLL_INTERVAL, "2s"),
        Setting(env.MAX_STREAMS, "32"),
        # The label grouping the gate's queues: /status tells a pending run's position.
        Setting(env.CONCURRENCY_KEY),
    ),
)
# What every interceptor a listener calls is served with.
_INTERCEPTOR = (
    Setting(env.PORT, "8080"),
    Setting(env.HEALTH_PORT, "8081"),
    Setting(env.MAX_REQUEST_BYTES, "1048576"),
)
EVENT_KEY = Command(
    "event-key",
    settings=(
        *_INTERCEPTOR,
        # The dedup record (contract.deliveries): all three, or none (stateless).
        Setting(env.DEDUP_CONFIGMAP),
        Setting(env.NAMESPACE),
        Setting(env.RUN_PREFIX),
    ),
)
# The webhook listener's checkpoints (contract.refusals): refused events, kept to replay.
RECORD_REFUSALS = Command(
    "record-refusals",
    settings=(
        *_INTERCEPTOR,
        Setting(env.NAMESPACE),
        Setting(env.REFUSALS_CONFIGMAP),
        Setting(env.REFUSALS_HEADERS, ",".join(refusals.DEFAULT_HEADERS)),
        Setting(env.REFUSALS_MAX, str(refusals.MAX_RECORDS)),
    ),
)
CUSTOM_TASKS = Command(
    "custom-tasks",
    settings=(
        *_ORCHESTRATOR,
        Setting(env.REQUEST_SPEC),
        Setting(env.NAMESPACE),
        Setting(env.SELECTOR),
        Setting(env.HEALTH_PORT, "8081"),
        Setting(env.MAX_REQUESTS, "8"),
    ),
)
# Waiting for the run an event with an id starts (send, watch-releases): Triggers
# answers 202 before it creates the run, and never retries.
_RUN_WAIT = (Flag("--run-wait", "75s"), Flag("--sends", "3"))
SEND = Command(
    "send",
    flags=(*_retry_flags("2m"), *_RUN_WAIT),
    settings=(*_EVENT, Setting(env.EVENT_ID), Setting(env.RUN_PREFIX), Setting(env.NAMESPACE)),
)
WATCH_RELEASES = Command(
    "watch-releases",
    flags=(*_retry_flags("2m"), Flag("--max-rate-limit-wait", "1m"), *_RUN_WAIT),
    settings=(
        *_EVENT,
        Setting(env.RUN_PREFIX),
        Setting(env.GITHUB_API),
        Setting(env.GITHUB_TOKEN_FILE),
        Setting(env.RELEASES),
        Setting(env.RELEASE_FIELDS),
        Setting(env.STATE_CONFIGMAP),
        Setting(env.NAMESPACE),
    ),
)
CLEANUP = Command(
    "cleanup",
    flags=(Flag("--timeout", "10m"), Flag("--interval", "5s")),
    settings=(Setting(env.CLEANUP_SPEC),),
    reads_params=True,
)
APPLY = Command(
    "apply",
    flags=(Flag("--timeout", "15m"), Flag("--interval", "5s"), Flag("--deployed-path")),
    settings=(Setting(env.APPLY_SPEC),),
    results=(Result("deployed", "--deployed-path"),),
    reads_params=True,
)
NOTIFY = Command(
    "notify",
    flags=(
        Flag("--timeout", "1m"),
        Flag("--attempts", "5"),
        Flag("--request-timeout", "10s"),
        Flag("--backoff", "1s"),
        Flag("--status-path"),
        Flag("--on-failure", "report"),
    ),
    settings=(
        *_OUTCOME,
        Setting(env.NOTIFY_URL_FILE),
        # Templates and e-mail (contract.notify): set when configured.
        Setting(env.NOTIFY_TEMPLATES),
        Setting(env.NOTIFY_SPEC),
        Setting(env.NOTIFY_SMTP_CREDENTIALS),
        Setting(env.NAMESPACE),
    ),
    results=(Result("notify-status", "--status-path"),),
    reads_params=True,  # the template's params (contract.notify.Spec.params)
)

COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        SUBMIT,
        WAIT,
        SUMMARY,
        OBSERVE,
        SERVE,
        EVENT_KEY,
        RECORD_REFUSALS,
        CUSTOM_TASKS,
        SEND,
        WATCH_RELEASES,
        CLEANUP,
        APPLY,
        NOTIFY,
    )
}
