"""benchgen under the real kustomize: legacy exec plugin, KRM function, overlays."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

OVERLAYS = ["base", "dev", "prod", "mlops"]
EXPECTED = Path(__file__).parent / "expected"


def build(
    tool: list[str], directory: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*tool, str(directory)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_with_standalone_kustomize(
    overlay: str, kustomize: Path, plugin_env: dict[str, str], update_golden: bool
) -> None:
    proc = build(
        [str(kustomize), "build", "--enable-alpha-plugins"], ROOT / "overlays" / overlay, plugin_env
    )
    assert proc.returncode == 0, proc.stderr
    expected = EXPECTED / f"{overlay}.yaml"
    if update_golden:
        expected.write_text(proc.stdout)
    assert proc.stdout == expected.read_text(), "run pytest --update-golden and review the diff"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_with_kubectl_kustomize(
    overlay: str, kubectl: Path, plugin_env: dict[str, str]
) -> None:
    proc = build(
        [str(kubectl), "kustomize", "--enable-alpha-plugins"],
        ROOT / "overlays" / overlay,
        plugin_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (EXPECTED / f"{overlay}.yaml").read_text()


def test_overlays_patch_the_config_consistently() -> None:
    dev = (EXPECTED / "dev.yaml").read_text()
    assert "namespace: default" not in dev
    assert "http://sast-ai-orchestrator.benchmark-dev.svc.cluster.local:80" in dev
    assert (
        "name: benchgen-benchmark-dev-benchmark-mlop-listener" in dev
    )  # ClusterRoleBinding follows
    assert "- 1h\n" in dev and "pipeline: 1h30m" in dev
    prod = (EXPECTED / "prod.yaml").read_text()
    assert "image: quay.io/benchgen/poller@sha256:" in prod and "replicas: 2" in prod
    mlops = (EXPECTED / "mlops.yaml").read_text()
    assert "FAILED,CANCELLED,COMPLETED_WITH_ERRORS,COMPLETED_EMPTY" in mlops
    assert "team: mlops" in mlops


def test_legacy_plugin_reports_config_errors(
    tmp_path: Path, kustomize: Path, plugin_env: dict[str, str]
) -> None:
    (tmp_path / "benchmark.yaml").write_text(
        EXAMPLE.read_text().replace("interval: 10s", "interval: soon")
    )
    (tmp_path / "kustomization.yaml").write_text("generators:\n  - benchmark.yaml\n")
    proc = build([str(kustomize), "build", "--enable-alpha-plugins"], tmp_path, plugin_env)
    assert proc.returncode != 0
    assert "spec.poll.interval: 'soon' is not a duration" in proc.stderr


def test_krm_exec_function(
    tmp_path: Path, kustomize: Path, plugin_env: dict[str, str], shim: Path
) -> None:
    config = EXAMPLE.read_text().replace(
        "  name: benchmark-mlop\n",
        "  name: benchmark-mlop\n  annotations:\n    config.kubernetes.io/function: |\n"
        f"      exec:\n        path: {shim}\n",
        1,
    )
    (tmp_path / "benchmark.yaml").write_text(config)
    (tmp_path / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: '1'\n"
    )
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - extra.yaml\ngenerators:\n  - benchmark.yaml\n"
    )
    proc = build(
        [str(kustomize), "build", "--enable-alpha-plugins", "--enable-exec"], tmp_path, plugin_env
    )
    assert proc.returncode == 0, proc.stderr
    plain = (EXPECTED / "base.yaml").read_text()
    assert proc.stdout.count("\nkind: ") + 1 == plain.count("\nkind: ") + 2  # + the extra ConfigMap
    assert "name: extra" in proc.stdout and "name: benchmark-mlop-listener" in proc.stdout

    (tmp_path / "benchmark.yaml").write_text(
        config.replace("maxInterval: 10m", "maxInterval: often")
    )
    proc = build(
        [str(kustomize), "build", "--enable-alpha-plugins", "--enable-exec"], tmp_path, plugin_env
    )
    assert proc.returncode != 0
    assert "spec.poll.maxInterval: 'often' is not a duration" in proc.stderr
