"""``benchgen-poller cleanup`` against the real API server.

The command runs as a subprocess authenticated with a ServiceAccount token
bound to exactly the contract's RBAC (list, delete on the listed resources).
What it deletes is what a benchmark deploys through Flux: a HelmRelease (a
stand-in CRD with Flux's group, version and kind; Flux itself is not
installed) carrying Flux's finalizer, and a ConfigMap. No controller runs
here, so the test plays both that would: Flux removing its finalizer once it
has uninstalled the release, and the garbage collector removing the
``foregroundDeletion`` finalizer the API server adds for a Foreground delete.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import Cluster, wait_for
from tests.e2e.runtime_support import FLUX_FINALIZER, HELMRELEASE_CRD, token_kubeconfig
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

POLLER = Path(sys.executable).with_name("benchgen-poller")
HR = "helm.toolkit.fluxcd.io/v2"
INSTANCE = "app.kubernetes.io/instance"


# The contract's RBAC for the cleanup ServiceAccount, and nothing more.
CLEANUP_RULES = [
    {"apiGroups": ["helm.toolkit.fluxcd.io"], "resources": ["helmreleases"], "verbs": ["list", "delete"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list", "delete"]},
]  # fmt: skip


def spec(ns: str) -> str:
    return json.dumps(
        [
            {"apiVersion": HR, "kind": "HelmRelease", "plural": "helmreleases",
             "namespace": {"param": "target-namespace"},
             "labels": {INSTANCE: {"param": "project"}, "benchgen.dev/benchmark": "sast"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "namespace": ns,
             "labels": {INSTANCE: {"param": "project"}}},
        ]
    )  # fmt: skip


class Setup:
    def __init__(self, cluster: Cluster, ns: str, tmp: Path) -> None:
        self.c, self.ns, self.tmp = cluster, ns, tmp
        cluster.create(
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "cleanup", "namespace": ns}}
        )  # fmt: skip
        self.grant(CLEANUP_RULES)
        token = cluster.token_for(ns, "cleanup", seconds=3600)
        self.kubeconfig = token_kubeconfig(cluster, tmp / "kubeconfig", token)

    def grant(self, rules: list[dict[str, Any]]) -> None:
        rbac = "rbac.authorization.k8s.io"
        self.c.apply({"apiVersion": f"{rbac}/v1", "kind": "Role",
                      "metadata": {"name": "cleanup", "namespace": self.ns}, "rules": rules})  # fmt: skip
        self.c.apply(
            {"apiVersion": f"{rbac}/v1", "kind": "RoleBinding",
             "metadata": {"name": "cleanup", "namespace": self.ns},
             "roleRef": {"apiGroup": rbac, "kind": "Role", "name": "cleanup"},
             "subjects": [{"kind": "ServiceAccount", "name": "cleanup", "namespace": self.ns}]}
        )  # fmt: skip

    def deploy(self, project: str, *, finalizer: bool = True) -> None:
        labels = {INSTANCE: project, "benchgen.dev/benchmark": "sast"}
        meta: dict[str, Any] = {"name": project, "namespace": self.ns, "labels": labels}
        if finalizer:
            meta["finalizers"] = [FLUX_FINALIZER]
        self.c.create({"apiVersion": HR, "kind": "HelmRelease", "metadata": meta,
                       "spec": {"chart": {"spec": {"chart": project}}}})  # fmt: skip
        self.c.create({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": f"{project}-values", "namespace": self.ns,
                                    "labels": {INSTANCE: project}},
                       "data": {"values.yaml": "driver: modern-ebpf\n"}})  # fmt: skip

    def env(self, project: str) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")},
            "KUBECONFIG": str(self.kubeconfig),
            "BENCHGEN_CLEANUP_SPEC": spec(self.ns),
            "BENCHGEN_PARAM_PROJECT": project,
            "BENCHGEN_PARAM_TARGET_NAMESPACE": self.ns,
        }

    def start(self, project: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(POLLER), "cleanup", "--interval", "1s", *args],
            env=self.env(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def get(self, api_version: str, kind: str, name: str) -> dict[str, Any] | None:
        return self.c.get_or_none(api_version, kind, name, self.ns)

    def release_finalizers(self, api_version: str, kind: str, name: str) -> None:
        """What Flux (its finalizer) and the garbage collector (foregroundDeletion) do."""
        self.c.patch(api_version, kind, name, {"metadata": {"finalizers": None}}, self.ns)


@pytest.fixture
def setup(cluster: Cluster, upstream: Upstream, namespace: str, tmp_path: Path) -> Setup:
    cluster.install([HELMRELEASE_CRD])
    return Setup(cluster, namespace, tmp_path)


def test_deletes_foreground_and_waits_for_the_finalizers(setup: Setup) -> None:
    setup.deploy("falco")
    setup.deploy("kepler")  # another project's release: must survive
    t0 = time.monotonic()
    proc = setup.start("falco", "--timeout", "60s")
    try:
        wait_for(
            lambda: (
                (setup.get(HR, "HelmRelease", "falco") or {})
                .get("metadata", {})
                .get("deletionTimestamp")
            ),
            timeout=30,
            what="falco marked for deletion",
        )
        hr = setup.get(HR, "HelmRelease", "falco")
        assert hr is not None
        # Foreground: the API server added the GC's finalizer next to Flux's.
        assert set(hr["metadata"]["finalizers"]) == {FLUX_FINALIZER, "foregroundDeletion"}
        time.sleep(2.0)
        assert proc.poll() is None, "cleanup returned while finalizers held the object"
        setup.release_finalizers("v1", "ConfigMap", "falco-values")
        time.sleep(1.5)
        assert proc.poll() is None
        setup.release_finalizers(HR, "HelmRelease", "falco")  # Flux has uninstalled it
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert time.monotonic() - t0 < 30
    assert "deleting HelmRelease" in out and "all gone (2 deleted here)" in out
    assert setup.get(HR, "HelmRelease", "falco") is None
    assert setup.get("v1", "ConfigMap", "falco-values") is None
    assert setup.get(HR, "HelmRelease", "kepler") is not None
    assert setup.get("v1", "ConfigMap", "kepler-values") is not None


def test_still_there_at_the_deadline_exits_1_listing_what_holds_it(setup: Setup) -> None:
    setup.deploy("falco")
    t0 = time.monotonic()
    proc = subprocess.run(
        [str(POLLER), "cleanup", "--timeout", "3s", "--interval", "1s"],
        env=setup.env("falco"), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 3.0 <= time.monotonic() - t0 < 15
    assert "still there after" in proc.stdout
    assert f"HelmRelease {setup.ns}/falco (deleting since" in proc.stdout
    assert FLUX_FINALIZER in proc.stdout
    # Nothing was left undeleted: everything is marked, waiting for its finalizers.
    assert (setup.get(HR, "HelmRelease", "falco") or {})["metadata"].get("deletionTimestamp")
    for kind, api, name in (("HelmRelease", HR, "falco"), ("ConfigMap", "v1", "falco-values")):
        setup.release_finalizers(api, kind, name)
    # A second run (a retried finally) finds nothing and succeeds at once.
    proc = subprocess.run(
        [str(POLLER), "cleanup", "--timeout", "10s"],
        env=setup.env("falco"), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "all gone (0 deleted here)" in proc.stdout


def test_a_param_cannot_widen_the_selector(setup: Setup) -> None:
    setup.deploy("falco", finalizer=False)
    for value in ("falco,app!=x", "", "x" * 64, "falco extra"):
        proc = subprocess.run(
            [str(POLLER), "cleanup", "--timeout", "10s"],
            env=setup.env(value), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, (value, proc.stdout, proc.stderr)
        assert "BENCHGEN_CLEANUP_SPEC[0].labels[app.kubernetes.io/instance]" in proc.stderr
    assert setup.get(HR, "HelmRelease", "falco") is not None


def test_rbac_is_exactly_list_and_delete_and_less_is_exit_2(setup: Setup) -> None:
    sa = setup.c.impersonate_service_account(setup.ns, "cleanup")
    hr = {"group": "helm.toolkit.fluxcd.io", "namespace": setup.ns}
    assert sa.can_i("list", "helmreleases", **hr) and sa.can_i("delete", "helmreleases", **hr)
    for verb in ("get", "watch", "create", "update", "patch", "deletecollection"):
        assert not sa.can_i(verb, "helmreleases", **hr), verb
    assert not sa.can_i("list", "secrets", namespace=setup.ns)
    setup.deploy("falco", finalizer=False)
    setup.grant([dict(rule, verbs=["list"]) for rule in CLEANUP_RULES])  # no delete
    proc = subprocess.run(
        [str(POLLER), "cleanup", "--timeout", "20s"],
        env=setup.env("falco"), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "delete HelmRelease" in proc.stderr and "forbidden" in proc.stderr
    proc = subprocess.run(
        [str(POLLER), "cleanup"],
        env={**setup.env("falco"), "BENCHGEN_CLEANUP_SPEC": json.dumps(
            [{"apiVersion": "example.invalid/v1", "kind": "Nothing", "namespace": setup.ns,
              "labels": {"a": "b"}}])},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "is not served by the API server" in proc.stderr
