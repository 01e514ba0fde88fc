"""``benchgen-poller cleanup``: delete what the run deployed and wait until it is gone.

Runs in the Pipeline's ``finally``, so it runs whether the run passed or failed.
``BENCHGEN_CLEANUP_SPEC`` (static JSON written by the generator) names the
objects by apiVersion, kind, namespace and labels; a label value or the
namespace may come from a param, read here from ``BENCHGEN_PARAM_<NAME>``
and checked to be a valid label value / namespace name, so a param can never
widen the selector (``a,b!=c``) or reach a shell.

Each selected object is deleted with ``propagationPolicy: Foreground`` and a
``uid`` precondition, then the selectors are listed again until they match
nothing (finalizers, e.g. Flux's, included) or ``--timeout``: objects that
appear meanwhile are deleted too, so the cluster is clean for the next run.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from generator.contract import cleanup
from generator.contract import env as var
from generator.contract.cleanup import Target
from generator.contract.commands import CLEANUP
from generator.runtime import kube
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.converge import Deadline
from generator.runtime.errors import EXIT_FAILED, EXIT_OK


def log(message: str) -> None:
    print(f"cleanup: {message}", flush=True)


def _describe(obj: Mapping[str, Any], kind: str) -> str:
    m = obj.get("metadata") or {}
    text = f"{kind} {m.get('namespace')}/{m.get('name')}"
    if m.get("deletionTimestamp"):
        text += f" (deleting since {m['deletionTimestamp']}"
        if m.get("finalizers"):
            text += f", finalizers {', '.join(m['finalizers'])}"
        text += ")"
    return text


DESCRIPTION = (
    "Delete every object the spec's label selectors match, with"
    " propagationPolicy Foreground, and wait until they are gone, finalizers included;"
    f" objects that appear meanwhile are deleted too. Env: {var.CLEANUP_SPEC} (JSON list"
    ' of {"apiVersion", "kind", "plural"?, "namespace", "labels"}; a namespace or label'
    f' value may be {{"param": "<name>"}}, read from {var.PARAM_PREFIX}<NAME>).'
    " Exit 0 all gone, 1 some still there at --timeout (listed), 2 bad input, wrong"
    " kind or missing RBAC, 4 API server unreachable or failing until --timeout."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, CLEANUP, "--timeout", "whole clean-up", metavar="D")
    add_flag(parser, CLEANUP, "--interval", "longest pause between checks", metavar="D")


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Delete and wait; 0 when every selector matches nothing, 1 at the deadline."""
    timeout = duration(args.timeout, "--timeout")
    interval = duration(args.interval, "--interval")
    targets = cleanup.decode(env.get(var.CLEANUP_SPEC), env)
    api = kube.api_client()
    by = Deadline.after(clock, timeout, "cleanup")
    with tempfile.TemporaryDirectory(prefix="benchgen-cleanup-") as tmp:
        cache = str(Path(tmp) / "discovery.json")
        client = by.call("discovery", partial(kube.ObjectClient, api, cache))
        resources = [by.resolve(client, t.api_version, t.kind, t.plural) for t in targets]
        deleted = 0

        def left() -> list[str]:
            nonlocal deleted
            out: list[str] = []
            for t, res in zip(targets, resources, strict=True):
                listing = partial(client.list, res, t.namespace, t.selector)
                for obj in by.call(f"list {t.describe()}", listing):
                    if not (obj.get("metadata") or {}).get("deletionTimestamp"):
                        deleted += _delete(client, res, t, obj, by)
                    out.append(_describe(obj, t.kind))
            return out

        # Not a retry: the objects are there, and going (finalizers); wait until they are gone.
        still = by.wait(interval, 0.5, left)
        if still:
            log(f"still there after {by.took()} (--timeout): " + "; ".join(still))
            return EXIT_FAILED
        log(f"all gone ({deleted} deleted here) after {by.took()}")
        return EXIT_OK


def _delete(
    client: kube.ObjectClient, res: Any, t: Target, obj: Mapping[str, Any], by: Deadline
) -> int:
    m = obj.get("metadata") or {}
    name, uid = str(m.get("name")), str(m.get("uid"))
    what = f"{t.kind} {t.namespace}/{name}"

    def delete() -> bool:
        try:
            client.delete(res, t.namespace, name, uid)
        except (kube.NotFound, kube.Conflict):
            # 404: gone already; 409: a new object under that name (the next list has it).
            return False
        return True

    if not by.call(f"delete {what}", delete):
        return 0
    log(f"deleting {what} (Foreground)")
    return 1
