"""The run's short report, from the ``finally`` params (``summary`` prints it,
``notify`` posts it). Whatever (or however little) it is given, it reports."""

from collections.abc import Mapping

from generator.contract import env as var
from generator.contract.orchestrator import TIMEOUT, UNKNOWN, TerminalStatus

_EMPTY = "-"
# What each final status means; the keys are contract.orchestrator's (mypy checks the
# terminal ones against TerminalStatus, a test that none is missing).
_ENDED: dict[TerminalStatus, str] = {
    "COMPLETED": "all jobs finished",
    "COMPLETED_WITH_ERRORS": "finished, some jobs failed",
    "COMPLETED_EMPTY": "finished with no jobs",
    "FAILED": "the batch failed",
    "CANCELLED": "the batch was cancelled",
}
VERDICTS: dict[str, str] = {
    **{status: text for status, text in _ENDED.items()},
    TIMEOUT: "stopped waiting before the batch finished; it may still be running",
    UNKNOWN: "the orchestrator's answer could not be interpreted; see the wait Task's log",
}


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
    run = _get(env, var.PIPELINE_RUN) or "(unnamed run)"
    aggregate = _get(env, var.AGGREGATE_STATUS) or "unknown"
    submit = _get(env, var.SUBMIT_STATUS) or "unknown"
    wait = _get(env, var.WAIT_STATUS) or "unknown"
    batch = _get(env, var.BATCH_ID)
    final = _get(env, var.FINAL_STATUS)
    total = _int(_get(env, var.TOTAL_JOBS))
    completed = _int(_get(env, var.COMPLETED_JOBS))
    failed = _int(_get(env, var.FAILED_JOBS))

    lines = [f"Benchmark run {run}: {aggregate}"]
    if var.SUBMIT_STATUS not in env:
        # A Pipeline of the user's own Tasks: no batch to tell about.
        lines.append("  result  the run's own Tasks decide it: see their logs")
        return lines
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
    verdict = VERDICTS.get(
        final, "the wait Task did not report a final status" if not final else ""
    )
    if verdict:
        lines.append(f"  result  {verdict}")
    return lines
