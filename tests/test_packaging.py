"""Installing benchgen is quiet: the build prints no deprecation blocks (issue 15)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_license_is_an_spdx_expression_the_pinned_setuptools_understands() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    # setuptools reads a string license as SPDX from 77 on; older ones refuse it.
    (floor,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(floor.removeprefix("setuptools>=").split(".")[0]) >= 77


def test_building_the_wheel_prints_no_deprecation_warning(tmp_path: Path) -> None:
    """The build pip runs for `make` and `pip install -e .`, from a copy of the sources."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "generator", src / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert "Deprecat" not in output, output
    (wheel,) = tmp_path.glob("benchgen-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        (metadata,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: Apache-2.0" in zf.read(metadata).decode().splitlines()
