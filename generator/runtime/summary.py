"""``benchgen-poller summary``: print the run's report for the ``finally`` Task.

Reports only: the run's outcome comes from its Tasks, so this always exits 0.
"""

import argparse
from collections.abc import Mapping

from generator.contract.commands import SUMMARY
from generator.runtime.args import env_help
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_OK
from generator.runtime.report import build_summary

DESCRIPTION = env_help(SUMMARY) + "."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No flags: everything comes from the env."""


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    for line in build_summary(env):
        print(line)
    return EXIT_OK
