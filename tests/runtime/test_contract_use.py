"""The runtime reads every shared fact from generator.contract: its commands, their
flags' defaults, the env names, the statuses."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import pytest

from generator.contract import commands
from generator.contract.orchestrator import TERMINAL, TIMEOUT, UNKNOWN
from generator.runtime import __main__ as cli
from generator.runtime.report import VERDICTS

RUNTIME = Path(__file__).resolve().parents[2] / "generator" / "runtime"


def test_the_command_table_is_the_contracts() -> None:
    assert set(cli.COMMANDS) == set(commands.COMMANDS)


@pytest.mark.parametrize("name", sorted(commands.COMMANDS))
def test_every_flag_default_is_the_contracts(name: str) -> None:
    args = cli._parser(name).parse_args([name])
    command = commands.COMMANDS[name]
    for flag in command.flags:
        value = getattr(args, flag.name.removeprefix("--").replace("-", "_"))
        assert (None if value is None else str(value)) == flag.default, flag.name
    # ... and the command has no flag the contract does not know.
    known = {f.name.removeprefix("--").replace("-", "_") for f in command.flags}
    assert set(vars(args)) - {"command", "run"} == known


def test_help_shows_the_contracts_default() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli._parser("wait").parse_args(["wait", "--help"])
    assert f"first delay ({commands.WAIT.default('--interval')})" in " ".join(
        out.getvalue().split()
    )


def test_no_env_name_is_spelled_out_in_the_runtime() -> None:
    """Every BENCHGEN_* name comes from contract.env (docstrings aside)."""
    found = []
    for path in sorted(RUNTIME.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.relative_to(RUNTIME)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "BENCHGEN_" in node.value
            and id(node) not in docstrings
        ]
    assert not found


def test_the_summary_explains_every_final_status() -> None:
    assert set(VERDICTS) == {*TERMINAL, TIMEOUT, UNKNOWN}
