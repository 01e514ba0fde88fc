"""The Makefile's user entry points: `make render > out.yaml` is pure YAML (issue 15).

Run against a stand-in venv (a fake ``python3 -m venv`` whose pip only makes
noise), so the first-run path is tested without installing anything.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import GOLDEN, ROOT

FAKE_PYTHON = """#!/bin/sh
# A stand-in for `python3 -m venv DIR`: pip only makes noise on both streams;
# benchgen renders for real and only says what it was asked to do otherwise.
[ "$1" = -m ] && [ "$2" = venv ] || exit 9
mkdir -p "$3/bin"
printf '#!/bin/sh\\necho "Collecting pip noise"\\necho "pip noise" >&2\\n' > "$3/bin/pip"
cat > "$3/bin/benchgen" <<'END'
#!/bin/sh
[ "$1" = render ] && exec %s -m generator.cli "$@"
echo "stub benchgen $*" >&2
END
chmod +x "$3/bin/pip" "$3/bin/benchgen"
echo "venv noise"
"""


def make(target: str, venv: Path, python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # A test run from `make unit` must not pass its own make flags on.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        ["make", "--no-print-directory", target, f"VENV={venv}", f"PYTHON={python}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON.replace("%s", sys.executable, 1))
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return python


def test_make_render_prints_only_yaml_on_the_first_run_and_after(
    tmp_path: Path, fake_python: Path
) -> None:
    expected = (GOLDEN / "example" / "expected.yaml").read_text()
    venv = tmp_path / "venv"
    first = make("render", venv, fake_python)
    assert first.returncode == 0, first.stderr
    assert first.stdout == expected  # no recipe lines, no venv or pip output
    # One line says what the wait is about; the installer's own output follows it.
    assert first.stderr.startswith(
        f"benchgen: installing benchgen and its dev tools into {venv} from PyPI"
    )
    assert "venv noise" in first.stderr and "Collecting pip noise" in first.stderr
    assert (venv / ".installed").exists()

    again = make("render", venv, fake_python)
    assert again.returncode == 0, again.stderr
    assert again.stdout == expected
    assert again.stderr == ""
    assert next(iter(yaml.safe_load_all(again.stdout)))["kind"] == "ServiceAccount"


def test_make_eventlistener_echoes_no_recipe(tmp_path: Path, fake_python: Path) -> None:
    venv = tmp_path / "venv"
    assert make("render", venv, fake_python).returncode == 0  # installs the stand-in
    for target, args in (("eventlistener", ""), ("eventlistener-clean", "--clean ")):
        proc = make(target, venv, fake_python, "NAMESPACE=bench")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""
        assert proc.stderr == f"stub benchgen eventlistener {args}--namespace bench\n"
