"""The custom tasks of ``spec.poll.mode: controller``: what the compiler puts in
the Pipeline (a ``taskRef`` of this API version and kind, these params) and
what the ``custom-tasks`` controller reads from the CustomRuns Tekton creates
from it, and writes back (results, condition reasons).

Tekton's side (docs/customruns.md of Tekton Pipelines): the controller sets
``Succeeded`` Unknown when it starts, True or False when done (False only
after the retries), ``reason: CustomRunCancelled`` after ``spec.status:
RunCancelled`` and ``CustomRunTimedOut`` after ``spec.timeout``.
"""

from __future__ import annotations

from generator.contract import commands

API_VERSION = "benchgen.dev/v1alpha1"
SUBMIT_KIND = "Submit"
WAIT_KIND = "Wait"
KINDS = (SUBMIT_KIND, WAIT_KIND)

# Tekton's fields and values (pkg/apis/pipeline/v1beta1 customrun_types.go).
CANCELLED_SPEC_STATUS = "RunCancelled"
REASON_CANCELLED = "CustomRunCancelled"
REASON_TIMED_OUT = "CustomRunTimedOut"
# benchgen's reasons.
REASON_STARTED = "Running"
REASON_SUBMITTED = "Submitted"
REASON_REJECTED = "SubmitRejected"
REASON_SUCCEEDED = "BatchSucceeded"
REASON_FAILED = "BatchFailed"
REASON_UNAVAILABLE = "OrchestratorUnavailable"
REASON_INVALID = "InvalidParams"

# The Wait kind's params: the batch, then wait's policy flags by their names
# without dashes; a param left out takes the flag's default (contract.commands).
BATCH_ID_PARAM = "batch-id"
WAIT_POLICY = ("interval", "max-interval", "fail-on", "on-unknown-status")


def wait_default(param: str) -> str:
    """The default of a Wait policy param: ``wait``'s flag of the same name."""
    return commands.WAIT.default(f"--{param}")
