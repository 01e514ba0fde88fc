"""`make eventlistener` / `make eventlistener-clean` against a real API server, the
way a user runs them: the namespace comes from the kubeconfig's current context."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.render import EXAMPLE, ROOT, Obj, key, render
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

BENCHMARK_LABEL = "benchgen.dev/benchmark"
MAKE_TIMEOUT = 300


def _has_target(target: str) -> bool:
    makefile = ROOT / "Makefile"
    return (
        makefile.exists()
        and re.search(rf"^{re.escape(target)}\s*:", makefile.read_text(), re.MULTILINE) is not None
    )


needs_targets = pytest.mark.skipif(
    not (_has_target("eventlistener") and _has_target("eventlistener-clean")),
    reason="the Makefile has no eventlistener/eventlistener-clean targets yet",
)


def _make(target: str, env: dict[str, str], config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in env.items() if k not in ("NAMESPACE", "MAKEFLAGS", "MAKELEVEL")}
    proc = subprocess.run(
        ["make", "--no-print-directory", target, f"CONFIG={config}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAKE_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, f"make {target} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _state(cluster: Cluster, objs: list[Obj]) -> dict[tuple[str, str, str, str], str | None]:
    out: dict[tuple[str, str, str, str], str | None] = {}
    for obj in objs:
        api_version, kind, ns, name = key(obj)
        live = cluster.get_or_none(api_version, kind, name, ns or None)
        out[key(obj)] = live["metadata"]["resourceVersion"] if live else None
    return out


def _run(kind: str, name: str, namespace: str, labels: dict[str, str]) -> Obj:
    spec: Obj = (
        {"pipelineRef": {"name": "p"}} if kind == "PipelineRun" else {"taskRef": {"name": "t"}}
    )
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    }


@needs_targets
def test_make_eventlistener_round_trip(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    env = cluster.env(namespace)  # KUBECONFIG whose current context is `namespace`
    expected = render(EXAMPLE, namespace=namespace)
    assert {o["metadata"].get("namespace") for o in expected} <= {namespace, None}

    _make("eventlistener", env, EXAMPLE)
    first = _state(cluster, expected)
    missing = [k for k, v in first.items() if v is None]
    assert not missing, f"make eventlistener did not create {missing}"

    _make("eventlistener", env, EXAMPLE)
    assert _state(cluster, expected) == first, "a second make eventlistener changed objects"

    benchmark = next(
        o["metadata"]["labels"][BENCHMARK_LABEL]
        for o in expected
        if BENCHMARK_LABEL in o["metadata"].get("labels", {})
    )
    mine = {BENCHMARK_LABEL: benchmark}
    for obj in (
        _run("PipelineRun", "run-1", namespace, mine),
        _run("TaskRun", "run-1-submit", namespace, mine),
        _run("PipelineRun", "someone-else", namespace, {BENCHMARK_LABEL: "other"}),
        _run("TaskRun", "unlabelled", namespace, {}),
    ):
        cluster.create(obj)

    _make("eventlistener-clean", env, EXAMPLE)
    left = {k: v for k, v in _state(cluster, expected).items() if v is not None}
    assert not left, f"make eventlistener-clean left {list(left)}"
    runs = {
        (o["kind"], o["metadata"]["name"])
        for kind in ("PipelineRun", "TaskRun")
        for o in cluster.list_objects("tekton.dev/v1", kind, namespace)
    }
    assert runs == {("PipelineRun", "someone-else"), ("TaskRun", "unlabelled")}, runs

    _make("eventlistener-clean", env, EXAMPLE)  # nothing left to delete: still fine


def test_kubeconfig_for_sets_the_current_namespace(cluster: Cluster, namespace: str) -> None:
    """The fixture the make test relies on, checked without the Makefile."""
    env = cluster.env(namespace)
    assert Path(env["KUBECONFIG"]).exists()
    text = Path(env["KUBECONFIG"]).read_text()
    assert f'"namespace": "{namespace}"' in text
    assert os.environ.get("KUBECONFIG") != env["KUBECONFIG"]
