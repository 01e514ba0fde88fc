"""What the e2e tests apply: benchgen's output for the example, every golden case
and every overlay, rendered by the CLI exactly as users run it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "benchmark.yaml.example"
GOLDEN = ROOT / "tests" / "golden"
OVERLAYS = ROOT / "overlays"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    config: Path


def cases() -> list[Case]:
    out = [Case("example", EXAMPLE)]
    for d in sorted(GOLDEN.iterdir()):
        if d.is_dir() and not d.name.startswith("errors-") and (d / "config.yaml").exists():
            out.append(Case(f"golden-{d.name}", d / "config.yaml"))
    return out


def overlay_dirs() -> list[Path]:
    """overlays/<name>/ directories holding a kustomization."""
    if not OVERLAYS.is_dir():
        return []
    return sorted(
        d
        for d in OVERLAYS.iterdir()
        if d.is_dir() and any((d / k).exists() for k in ("kustomization.yaml", "kustomization.yml"))
    )


def load_yaml(text: str) -> list[Obj]:
    return [d for d in yaml.load_all(text, Loader=_LOADER) if isinstance(d, dict)]


def render(config: Path | None, namespace: str | None = None) -> list[Obj]:
    args = [sys.executable, "-m", "generator.cli", "render"]
    if namespace:
        args += ["--namespace", namespace]
    if config is not None:
        args.append(str(config))
    proc = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"benchgen render {config} failed:\n{proc.stderr}")
    return load_yaml(proc.stdout)


def namespaces_of(objs: list[Obj]) -> set[str]:
    return {o["metadata"]["namespace"] for o in objs if o["metadata"].get("namespace")}


def key(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def find_kustomize() -> Path | None:
    """$KUSTOMIZE, else the pinned kustomize of tests/tools.py (installed with Go on
    first use), else a kustomize on PATH."""
    import os
    import shutil

    from tests.tools import ensure_kustomize

    if os.environ.get("KUSTOMIZE"):
        return Path(os.environ["KUSTOMIZE"])
    pinned = ensure_kustomize()
    if pinned is not None:
        return pinned
    found = shutil.which("kustomize")
    return Path(found) if found else None


def render_overlay(overlay: Path, kustomize: Path, scratch: Path) -> list[Obj]:
    """kustomize build with benchgen installed as its generator plugin (in scratch)."""
    from tests.tools import plugin_env

    env = plugin_env(scratch)
    proc = subprocess.run(
        [str(kustomize), "build", "--enable-alpha-plugins", "--enable-exec", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kustomize build {overlay} failed:\n{proc.stderr}")
    return load_yaml(proc.stdout)
