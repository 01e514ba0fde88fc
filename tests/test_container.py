"""The Containerfile's images, without a container engine (there is none here).

What the images install is installed the same way into a fresh venv: the
requirement lists come from running the Containerfile's own commands, the
entrypoints and environment are read from it, and the KRM function stage's
entrypoint is run with a ResourceList on stdin. Not covered: the base image
itself, USER/WORKDIR, kustomize starting the container (see README).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, GOLDEN, ROOT
from tests.plugin.test_krm_and_cache import resource_list

CONTAINERFILE = ROOT / "Containerfile"


@dataclass
class Stage:
    name: str
    base: str
    runs: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] | None = None


def stages() -> dict[str, Stage]:
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text())
    out: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1] == "AS" else f"#{len(out)}"
            base = out.get(parts[0])
            stage = out[name] = Stage(name, parts[0])
            if base is not None:  # FROM an earlier stage inherits its settings
                stage.env = dict(base.env)
                stage.entrypoint, stage.cmd = list(base.entrypoint), base.cmd
        elif stage is None:
            continue
        elif word == "RUN":
            stage.runs.append(rest)
        elif word == "ENV":
            stage.env.update(dict(part.split("=", 1) for part in shlex.split(rest)))
        elif word == "ENTRYPOINT":
            stage.entrypoint = json.loads(rest)
        elif word == "CMD":
            stage.cmd = json.loads(rest)
    return out


def test_default_build_is_still_the_task_image() -> None:
    all_stages = stages()
    last = list(all_stages.values())[-1]
    assert last.base == "runtime" and last.runs == []
    assert last.entrypoint == ["benchgen-poller"]
    krm = all_stages["krm-function"]
    assert krm.base == "runtime" and krm.entrypoint == ["benchgen"] and krm.cmd == []


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding what the images install, by the Containerfile's own commands."""
    if os.environ.get("BENCHGEN_SKIP_IMAGE_INSTALL"):
        pytest.skip("BENCHGEN_SKIP_IMAGE_INSTALL is set")
    root = tmp_path_factory.mktemp("image")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    build = stages()["build"]
    (command,) = build.runs
    steps = [s.strip() for s in command.split("&&")]
    wheels = root / "wheels"
    target = root / "compiler"
    for step in steps:
        # The requirement lists: run the Containerfile's own python -c lines.
        match = re.fullmatch(r"python -c (\"[^\"]*\") > /tmp/(\w+)\.txt", step)
        if match:
            code = shlex.split(match.group(1))[0]
            out = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
            (root / f"{match.group(2)}.txt").write_text(out)
            continue
        argv = shlex.split(step.replace("/tmp/", f"{root}/").replace("/wheels", str(wheels)))
        argv = [a.replace("/opt/benchgen/compiler", str(target)) for a in argv]
        assert argv[0] == "pip", step
        proc = subprocess.run(
            [str(python), "-m", *argv, "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            pytest.fail(f"{step}: {proc.stderr[-2000:]}")
    # The runtime stage: every wheel, no index, no deps.
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        + [str(w) for w in sorted(wheels.glob("*.whl"))],
        check=True,
        timeout=900,
    )
    return root


def run_in_image(
    root: Path, stage: Stage, stdin: str = "", args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{root / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": str(root)}
    env.update(
        {
            k: v.replace("/opt/benchgen/compiler", str(root / "compiler"))
            for k, v in stage.env.items()
        }
    )
    exe = root / "venv" / "bin" / stage.entrypoint[0]
    return subprocess.run(
        [str(exe), *stage.entrypoint[1:], *(args or stage.cmd or [])],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
    )


@pytest.mark.slow
def test_krm_function_stage_answers_a_resource_list(image_root: Path) -> None:
    krm = stages()["krm-function"]
    assert krm.env.get("PYTHONPATH") == "/opt/benchgen/compiler"
    proc = run_in_image(image_root, krm, resource_list(EXAMPLE.read_text()))
    assert proc.returncode == 0, proc.stderr
    out = yaml.safe_load(proc.stdout)
    assert out["kind"] == "ResourceList"
    kinds = [item["kind"] for item in out["items"]]
    assert kinds[0] == "ConfigMap" and kinds.count("Task") == 3
    assert kinds.index("Interceptor") < kinds.index("EventListener")
    assert kinds[-2:] == ["Deployment", "Service"]
    # The cache is off in a function container: nothing is written.
    assert not (image_root / ".cache").exists()

    # An invalid config goes through pydantic (from the compiler layer) for its messages.
    bad = (GOLDEN / "errors-fields" / "config.yaml").read_text()
    proc = run_in_image(image_root, krm, resource_list(bad))
    assert proc.returncode == 1
    results = yaml.safe_load(proc.stdout)["results"]
    assert any(r.get("field", {}).get("path") == "metadata.name" for r in results)


@pytest.mark.slow
def test_runtime_stage_runs_without_the_compiler_layer(image_root: Path) -> None:
    runtime = stages()["runtime"]
    assert "PYTHONPATH" not in runtime.env
    proc = run_in_image(image_root, runtime, args=("--version",))
    assert proc.returncode == 0, proc.stderr
    # The compiler's own dependency (ruamel.yaml) is only in the krm-function layer.
    python = image_root / "venv" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import ruamel.yaml"], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode != 0
