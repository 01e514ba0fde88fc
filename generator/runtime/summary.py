"""``benchgen-poller summary``: a short report of the run for the ``finally`` Task.

Reports only: the run's outcome comes from its Tasks, so this always exits 0,
whatever (or however little) it was given.
"""

import os
from collections.abc import Mapping

from generator.runtime.errors import EXIT_OK

_EMPTY = "-"


def _get(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    # An unresolved Tekton reference means the result never existed.
    if not value or value.startswith("$("):
        return ""
    return " ".join(value.split())[:200]


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def build_summary(env: Mapping[str, str]) -> list[str]:
    """The report's lines."""
    run = _get(env, "BENCHGEN_PIPELINE_RUN") or "(unnamed run)"
    aggregate = _get(env, "BENCHGEN_AGGREGATE_STATUS") or "unknown"
    submit = _get(env, "BENCHGEN_SUBMIT_STATUS") or "unknown"
    wait = _get(env, "BENCHGEN_WAIT_STATUS") or "unknown"
    batch = _get(env, "BENCHGEN_BATCH_ID")
    final = _get(env, "BENCHGEN_FINAL_STATUS")
    total = _int(_get(env, "BENCHGEN_TOTAL_JOBS"))
    completed = _int(_get(env, "BENCHGEN_COMPLETED_JOBS"))
    failed = _int(_get(env, "BENCHGEN_FAILED_JOBS"))

    lines = [f"Benchmark run {run}: {aggregate}"]
    lines.append(f"  submit  {submit:<10} batch {batch or _EMPTY}")
    if not batch:
        lines.append(f"  wait    {wait:<10} (no batch was created)")
        lines.append("  result  no batch: see the submit Task's log")
        return lines
    lines.append(f"  wait    {wait:<10} final status {final or _EMPTY}")
    if total is None and completed is None and failed is None:
        lines.append("  jobs    no counts reported")
    else:
        done = _EMPTY if completed is None else completed
        jobs = f"{done} of {_EMPTY if total is None else total} completed"
        if failed:
            jobs += f", {failed} failed"
        lines.append(f"  jobs    {jobs}")
    verdict = {
        "COMPLETED": "all jobs finished",
        "COMPLETED_WITH_ERRORS": "finished, some jobs failed",
        "COMPLETED_EMPTY": "finished with no jobs",
        "FAILED": "the batch failed",
        "CANCELLED": "the batch was cancelled",
        "TIMEOUT": "stopped waiting before the batch finished; it may still be running",
        "UNKNOWN": "the orchestrator's answer could not be interpreted; see the wait Task's log",
    }.get(final, "the wait Task did not report a final status" if not final else "")
    if verdict:
        lines.append(f"  result  {verdict}")
    return lines


def run_summary(env: Mapping[str, str] | None = None) -> int:
    """Print the report; always 0."""
    for line in build_summary(os.environ if env is None else env):
        print(line)
    return EXIT_OK
