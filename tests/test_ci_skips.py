"""Under CI=true a skip is a failure, unless listed with a reason (tests/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

MODULE = """
import pytest

from tests.conftest import CI_ALLOWED_SKIPS

CI_ALLOWED_SKIPS["a listed reason"] = "why CI may skip it"


def test_skips():
    pytest.skip("a tool is missing")


def test_skips_with_a_listed_reason():
    pytest.skip("a listed reason")


@pytest.fixture
def tool():
    pytest.skip("a fixture cannot have its tool")


def test_needs_a_tool(tool):
    pass


@pytest.mark.xfail(reason="known")
def test_expected_failure():
    raise AssertionError


def test_passes():
    pass
"""

SKIPPED_MODULE = 'import pytest\n\npytest.importorskip("no_such_module_here")\n'


def outcomes(tmp_path: Path, ci: str | None) -> dict[str, str]:
    (tmp_path / "test_module.py").write_text(MODULE)
    (tmp_path / "test_whole_module.py").write_text(SKIPPED_MODULE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(tmp_path),
         "-p", "tests.conftest", "-p", "no:cacheprovider", "-v", "-rE", "--continue-on-collection-errors", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    # "test_module.py::test_skips FAILED [ 16%]", and "ERROR test_whole_module.py - ..."
    got = dict(re.findall(r"^(test_\S+) ([A-Z]+)\b", proc.stdout, re.MULTILINE))
    got.update((m, "ERROR") for m in re.findall(r"^ERROR (test_\w+\.py)\b", proc.stdout, re.M))
    return got


def test_ci_turns_unlisted_skips_into_failures(tmp_path: Path) -> None:
    got = outcomes(tmp_path, "true")
    assert got["test_module.py::test_skips"] == "FAILED"
    assert got["test_module.py::test_needs_a_tool"] == "ERROR"  # a fixture's skip: setup fails
    assert got["test_module.py::test_skips_with_a_listed_reason"] == "SKIPPED"
    assert got["test_module.py::test_expected_failure"] == "XFAIL"
    assert got["test_module.py::test_passes"] == "PASSED"
    assert got["test_whole_module.py"] == "ERROR"  # skipped at collection


def test_outside_ci_skips_stay_skips(tmp_path: Path) -> None:
    got = outcomes(tmp_path, None)
    assert got["test_module.py::test_skips"] == "SKIPPED"
    assert got["test_module.py::test_needs_a_tool"] == "SKIPPED"
