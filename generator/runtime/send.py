"""``benchgen-poller send``: one event to the webhook EventListener, signed like a
webhook (the schedule's CronJob). The listener, signing, retries and the wait
for the run are ``webhook.py``'s, shared with ``watch-releases``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from generator.contract import env as var
from generator.contract.commands import SEND
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_OK, InputError, RejectedError
from generator.runtime.http import Refused
from generator.runtime.retry import RetryOptions
from generator.runtime.webhook import (
    RunWait,
    Sender,
    Starter,
    bounded_event_id,
    load_event,
    load_id_field,
    load_listener,
    load_run_check,
    put,
)

DESCRIPTION = (
    f"POST {var.EVENT_BODY} to {var.LISTENER_URL}, authenticated as"
    f" {var.AUTH_TYPE} (none|github|gitlab|token) with the secret in {var.AUTH_FILE}"
    f" ({var.AUTH_HEADER} for token, {var.EVENT_TYPE} for X-GitHub-Event/"
    f"X-Gitlab-Event). Optional: {var.EVENT_HEADERS} (JSON object),"
    f" {var.EVENT_ID_FIELD} (body.<path> or header.<Name>) with {var.EVENT_ID} and"
    f" {var.EVENT_ID_MAX}: the id names the run, so a retried Job starts no second run."
    f" With {var.RUN_PREFIX} and {var.NAMESPACE} too, waits --run-wait for PipelineRun"
    " <prefix><id> to exist after each send (the listener answers 202 before it creates"
    " the run) and sends the same event again while it does not, --sends times at most."
    " Connection errors, 408, 429 and 5xx are retried until --timeout."
    " Exit 0 sent (2xx; with the run prefix: the run exists), 1 refused (other 3xx/4xx;"
    " or no run appeared after --sends sends; or the API server refused the look), 2 bad"
    " input (nothing sent), 4 listener unreachable or failing until --timeout (or the API"
    " server too, so whether the run exists is unknown)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    RetryOptions.add_arguments(parser, SEND)
    RunWait.add_arguments(parser, SEND)


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Send the one event the env describes; the exit code."""
    problems: list[str] = []
    listener = load_listener(env, problems)
    event = load_event(env, problems, required=True)
    id_field = load_id_field(env, problems)
    ident = env.get(var.EVENT_ID, "").strip()
    if id_field is not None and not problems:
        if not ident:
            problems.append(f"{var.EVENT_ID} is required with {var.EVENT_ID_FIELD}")
        else:
            bounded = bounded_event_id(ident, id_field.room)
            if bounded != ident:
                print(f"event id {ident!r} is not usable as it is; sending {bounded!r}")
            problem = put(event, id_field.source, bounded)
            if problem:
                problems.append(f"{var.EVENT_ID_FIELD}: {problem}")
            ident = bounded
    elif ident and id_field is None:
        problems.append(f"{var.EVENT_ID} needs {var.EVENT_ID_FIELD} (where it goes)")
    check = load_run_check(env, problems, id_field)
    if problems:
        raise InputError("bad input, nothing sent:\n  " + "\n  ".join(problems))
    opts, wait = RetryOptions.from_args(args), RunWait.from_args(args)
    sender = Sender(listener, opts, clock)
    starter = None
    if check is not None:
        from generator.runtime import kube

        # Before anything is sent: without credentials the run could not be looked for.
        starter = Starter(sender, check, wait, kube.api_client())
    label = f"event {ident}" if ident else "event"
    print(f"sending {label} to {listener.url} (auth: {listener.auth_type})", flush=True)
    try:
        if starter is not None:
            starter.start(event, ident, label=label)
            return EXIT_OK
        done = sender.send(event, label=label)
    except Refused as exc:
        raise RejectedError(f"the listener refused the {label}: {exc}") from exc
    listener_id = f", listener eventID {done.event_id}" if done.event_id else ""
    print(f"sent {label}: HTTP {done.status}{listener_id}", flush=True)
    return EXIT_OK
