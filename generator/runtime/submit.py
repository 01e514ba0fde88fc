"""``benchgen-poller submit``: create the batch once, even across processes and lost answers.

The idempotency key (the TaskRun's uid, carried in ``submittedBy``) is the
same in every pod of the TaskRun: a Tekton ``retries:`` attempt, or the pod
Tekton creates again when one was deleted before it ended (the retry count
does not change then, so it cannot tell). So a process given a key looks for
a batch carrying it before its first POST (:mod:`generator.runtime.submitter`).
Retries go through tenacity (exponential backoff with jitter, Retry-After
honoured, one overall deadline), look-ups included.
"""

import argparse
import json
import uuid
from collections.abc import Mapping

from generator.contract import env as var
from generator.contract import request
from generator.contract.commands import SUBMIT
from generator.contract.orchestrator import UNKNOWN
from generator.runtime.args import env_help
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_OK, InfraError, InputError
from generator.runtime.orchestrator import from_env
from generator.runtime.request import build_body
from generator.runtime.results import write_result
from generator.runtime.retry import Deadline, RetryOptions
from generator.runtime.submitter import Submitter

DESCRIPTION = (
    f"Build the JSON body from {var.REQUEST_SPEC} and {var.PARAM_PREFIX}* and"
    f" create the batch exactly once. {env_help(SUBMIT)}, {var.PARAM_PREFIX}<NAME>."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-id-path", metavar="PATH", help="write the batch id here")
    parser.add_argument("--status-path", metavar="PATH", help="write the returned status here")
    RetryOptions.add_arguments(parser, SUBMIT)


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Submit the batch; write the results; the exit code."""
    orchestrator = from_env(env)
    fields = request.decode(env.get(var.REQUEST_SPEC))
    token = env.get(var.IDEMPOTENCY_KEY, "").strip()
    # A given key may have been used by an earlier pod of the same TaskRun.
    look_first = bool(token)
    if not token:
        # Still protects this process's own retries; a Task retry would not match.
        token = str(uuid.uuid4())
        print(f"{var.IDEMPOTENCY_KEY} is empty; using a fresh key for this attempt")
    elif len(token) > 128 or not token.isprintable():
        raise InputError(f"{var.IDEMPOTENCY_KEY} must be printable and at most 128 characters")
    body = build_body(fields, env, token, orchestrator.api)

    print(f"submitting to {orchestrator.submit_url}")
    print(f"body: {json.dumps(body, separators=(',', ':'), ensure_ascii=False)}", flush=True)
    deadline = Deadline(RetryOptions.from_args(args), clock)
    submitter = Submitter(orchestrator, body, token, look_first=look_first, deadline=deadline)
    batch = deadline.retry(
        submitter.attempt, lambda attempt, exc: f"attempt {attempt} failed: {exc}", InfraError
    )

    status = batch.status or UNKNOWN
    write_result(args.batch_id_path, str(batch.batch_id))
    write_result(args.status_path, status)
    verb = "adopted" if submitter.adopted else "created"
    print(f"{verb} batch {batch.batch_id} ({status})", flush=True)
    return EXIT_OK
