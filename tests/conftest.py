"""Shared pytest options and fixtures."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from tests.tools import in_ci

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLE = ROOT / "benchmark.yaml.example"

# Under CI=true every collected test must run (.ci/run's promise): a skip fails
# instead, unless its reason contains one of these keys, each with why CI may skip it.
CI_ALLOWED_SKIPS: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected.yaml (and errors.txt) from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def _fail_skips_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail") or not in_ci():
        return
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    if any(key in reason for key in CI_ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"{reason}\nCI=true: this test must run, not skip (if CI may skip it, list it in"
        " CI_ALLOWED_SKIPS in tests/conftest.py with why)"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _fail_skips_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    _fail_skips_in_ci(report)
    return report
