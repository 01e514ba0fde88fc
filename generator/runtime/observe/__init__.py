"""``benchgen-poller observe``: CloudEvents for this benchmark's runs and steps.

| module | holds |
|---|---|
| ``events.py`` | pure: a PipelineRun/TaskRun -> the events still to send, ids, annotation |
| ``logtail.py`` | pure: the bounded, redacted step log tail |
| ``delivery.py`` | the CloudEvent (SDK, binary mode) and its delivery with retries |
| ``gate.py`` | the concurrency gate: pending runs released oldest first, N at a time |
| ``commit_status.py`` | each run's state to its commit on GitHub/GitLab, from threads of its own |
| ``controller.py`` | list/watch loops, the cache, the one worker, resync, health, SIGTERM |

The env is decoded by ``generator.contract.observe`` (every problem at once, exit 2);
the API calls themselves live in ``generator.runtime.kube`` (the one package that
imports ``kubernetes``).
"""

import argparse
from collections.abc import Mapping

from generator.contract.commands import OBSERVE
from generator.contract.env import SINK
from generator.contract.observe import TEKTON_SINK
from generator.runtime.args import env_help
from generator.runtime.clock import Clock

DESCRIPTION = (
    f"Watch this benchmark's PipelineRuns and TaskRuns and send CloudEvents. {env_help(OBSERVE)};"
    f" {SINK} is a URL or '{TEKTON_SINK}'. Exit 2 on bad configuration, 0 after SIGTERM."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: the Deployment configures it through env (contract.observe)."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    # The controller's threads wait on SIGTERM, not on an injected clock.
    from generator.runtime.observe.controller import run_observe

    return run_observe(env)
