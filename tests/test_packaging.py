"""Installing benchgen is quiet: the build prints no deprecation blocks (issue 15)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_license_is_an_spdx_expression_the_pinned_setuptools_understands() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    # setuptools reads a string license as SPDX from 77 on; older ones refuse it.
    (floor,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(floor.removeprefix("setuptools>=").split(".")[0]) >= 77


def sources(tmp_path: Path) -> Path:
    """A copy of what pip builds from (building in the checkout would leave build/ there)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "generator", src / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    return src


def test_building_the_wheel_prints_no_deprecation_warning(tmp_path: Path) -> None:
    src = sources(tmp_path)
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


def test_the_editable_install_make_runs_prints_nothing(tmp_path: Path) -> None:
    """`make`'s `pip install --quiet -e .`: no setuptools notice either (--no-deps here)."""
    src = sources(tmp_path)
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "-e", str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout + proc.stderr == ""
    where = subprocess.run(
        [str(python), "-c", "import generator; print(generator.__file__)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout  # fmt: skip
    assert where.strip() == str(src / "generator" / "__init__.py")
