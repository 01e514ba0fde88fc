"""A command's flags as the contract defines them (``contract.commands``), and
durations read with the contract's grammar, a bad one an InputError naming it."""

from __future__ import annotations

import argparse
from typing import Any

from generator.contract.commands import Command
from generator.contract.durations import parse_duration
from generator.runtime.errors import InputError


def add_flag(
    parser: argparse.ArgumentParser, command: Command, name: str, help: str, **kwargs: Any
) -> None:
    """Flag ``name`` of ``command`` with the contract's default, which the help shows."""
    default = command.flag(name).default
    if default is not None:
        help = f"{help} ({default})"
    parser.add_argument(name, default=default, help=help, **kwargs)


def duration(text: str, what: str) -> float:
    """Seconds in the Go duration ``text`` (stripped); an InputError naming ``what``."""
    try:
        return parse_duration(text.strip())
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None


def env_help(command: Command) -> str:
    """``Env: A, B (default), ...``: what ``command`` reads, for its description."""
    return "Env: " + ", ".join(
        f"{s.name} ({s.default})" if s.default else s.name for s in command.settings
    )
