"""``benchgen-poller apply`` against the real API server.

The command runs as a subprocess authenticated with a ServiceAccount token bound
to exactly the contract's RBAC: get on the one ConfigMap, get, create and patch
on the target resource. What it applies is a kind of this test's own (a CRD
with a status subresource): no controller runs here, so the test plays the one
that would set its ``Ready`` condition, through the status subresource, as a
controller does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.contract import apply
from tests.e2e.cluster import Cluster, wait_for
from tests.e2e.runtime_support import flux_crd, token_kubeconfig

pytestmark = pytest.mark.e2e

POLLER = Path(sys.executable).with_name("benchgen-poller")
GROUP = "deploy.e2e.benchgen.dev"
API = f"{GROUP}/v1"
CRD = flux_crd(GROUP, "v1", "Release", "releases")
CRD["spec"]["versions"][0]["subresources"] = {"status": {}}
MANIFESTS = "manifests"
RBAC = "rbac.authorization.k8s.io"

MANIFEST = """\
apiVersion: deploy.e2e.benchgen.dev/v1
kind: Release
metadata: {name: falco}
spec:
  chart: {name: falco, version: "0.0.0"}
"""


def rules(*verbs: str) -> list[dict[str, Any]]:
    return [
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [MANIFESTS],
         "verbs": ["get"]},
        {"apiGroups": [GROUP], "resources": ["releases"], "verbs": list(verbs)},
    ]  # fmt: skip


class Setup:
    def __init__(self, cluster: Cluster, ns: str, tmp: Path) -> None:
        self.c, self.ns, self.tmp = cluster, ns, tmp
        cluster.create({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "deploy", "namespace": ns}})  # fmt: skip
        self.grant("get", "create", "patch")
        token = cluster.token_for(ns, "deploy", seconds=3600)
        self.kubeconfig = token_kubeconfig(cluster, tmp / "kubeconfig", token)
        self.result = tmp / "deployed"

    def grant(self, *verbs: str) -> None:
        self.c.apply({"apiVersion": f"{RBAC}/v1", "kind": "Role",
                      "metadata": {"name": "deploy", "namespace": self.ns},
                      "rules": rules(*verbs)})  # fmt: skip
        self.c.apply(
            {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
             "metadata": {"name": "deploy", "namespace": self.ns},
             "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "deploy"},
             "subjects": [{"kind": "ServiceAccount", "name": "deploy", "namespace": self.ns}]}
        )  # fmt: skip

    def manifests(self, **data: str) -> None:
        self.c.apply({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": MANIFESTS, "namespace": self.ns},
                      "data": data})  # fmt: skip

    def spec(self) -> str:
        return apply.encode(
            apply.Spec(
                namespace=self.ns,
                config_map=MANIFESTS,
                key=(apply.Param("project"), ".yaml"),
                sets=(apply.Set("Release", ("spec", "chart", "version"), "version"),),
                targets=(apply.Target(API, "Release", "releases", self.ns),),
                condition="Ready",
            )
        )

    def start(self, project: str, version: str, *args: str) -> subprocess.Popen[str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")},
            "KUBECONFIG": str(self.kubeconfig),
            "BENCHGEN_APPLY_SPEC": self.spec(),
            "BENCHGEN_PARAM_PROJECT": project,
            "BENCHGEN_PARAM_VERSION": version,
        }
        return subprocess.Popen(
            [str(POLLER), "apply", "--interval", "1s", "--deployed-path", str(self.result),
             *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def get(self, name: str) -> dict[str, Any] | None:
        return self.c.get_or_none(API, "Release", name, self.ns)

    def set_ready(self, name: str, status: str, message: str = "", generation: int = 1) -> None:
        """What the kind's controller does: its condition, through the status subresource."""
        cond = {"type": "Ready", "status": status, "reason": "Test", "message": message,
                "lastTransitionTime": "2026-01-01T00:00:00Z"}  # fmt: skip
        patch = {"status": {"observedGeneration": generation, "conditions": [cond]}}
        self.c.patch(API, "Release", name, patch, self.ns, subresource="status")


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out + err


@pytest.fixture
def setup(cluster: Cluster, namespace: str, tmp_path: Path) -> Setup:
    cluster.install([CRD])
    return Setup(cluster, namespace, tmp_path)


def test_applies_with_the_value_set_and_waits_for_ready(setup: Setup) -> None:
    setup.manifests(**{"falco.yaml": MANIFEST, "other.yaml": MANIFEST.replace("falco", "x")})
    proc = setup.start("falco", "0.39.0", "--timeout", "60s")
    try:
        release = wait_for(lambda: setup.get("falco"), timeout=30, what="falco applied")
        assert release["spec"]["chart"] == {"name": "falco", "version": "0.39.0"}
        managers = {m["manager"]: m["operation"] for m in release["metadata"]["managedFields"]}
        assert managers == {"benchgen": "Apply"}
        time.sleep(2.0)
        assert proc.poll() is None, "apply returned before the object was Ready"
        setup.set_ready("falco", "False", "installing")
        time.sleep(1.5)
        assert proc.poll() is None
        setup.set_ready("falco", "True", "installed")
        code, out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, out
    assert "applied Release" in out and "Ready=False (Test): installing" in out
    assert "all 1 Ready" in out
    assert setup.result.read_text() == f"Release {setup.ns}/falco"
    assert setup.get("x") is None  # only the key the params named


def test_applying_again_takes_the_field_back_and_waits_for_the_new_generation(
    setup: Setup,
) -> None:
    setup.manifests(**{"falco.yaml": MANIFEST})
    setup.c.apply({**yaml.safe_load(MANIFEST), "metadata": {"name": "falco", "namespace": setup.ns}},
                  field_manager="someone-else")  # fmt: skip
    setup.set_ready("falco", "True", "old release", generation=1)
    proc = setup.start("falco", "0.40.0", "--timeout", "60s")
    try:
        wait_for(
            lambda: (setup.get("falco") or {}).get("metadata", {}).get("generation") == 2,
            timeout=30, what="the new generation",
        )  # fmt: skip
        time.sleep(2.0)
        # Ready=True still describes generation 1: not the release this run deploys.
        assert proc.poll() is None, "apply took the old generation's Ready"
        setup.set_ready("falco", "True", "new release", generation=2)
        code, out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, out
    assert "generation 2 not observed yet" in out
    assert (setup.get("falco") or {})["spec"]["chart"]["version"] == "0.40.0"


def test_not_ready_at_the_timeout_names_the_object_and_its_condition(setup: Setup) -> None:
    setup.manifests(**{"falco.yaml": MANIFEST})
    proc = setup.start("falco", "0.39.0", "--timeout", "6s")
    wait_for(lambda: setup.get("falco"), timeout=30, what="falco applied")
    setup.set_ready("falco", "False", "chart not found")
    code, out = finish(proc)
    assert code == 3, out
    assert f"Release {setup.ns}/falco: Ready=False (Test): chart not found" in out


def test_server_side_apply_of_a_new_object_needs_create(setup: Setup) -> None:
    """The Role's 'create' is not decoration: without it the API server refuses an
    apply that would create the object (patch alone updates existing ones only)."""
    setup.manifests(**{"falco.yaml": MANIFEST})
    setup.grant("get", "patch")
    code, out = finish(setup.start("falco", "0.39.0", "--timeout", "20s"))
    assert code == 2, out
    assert "HTTP 403" in out and "create" in out, out
    assert setup.get("falco") is None


def test_a_refused_document_refuses_all_and_nothing_is_applied(setup: Setup) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: sneaky}\n"
    setup.manifests(**{"falco.yaml": MANIFEST + "---\n" + secret})
    code, out = finish(setup.start("falco", "0.39.0", "--timeout", "20s"))
    assert code == 2, out
    assert "document 2 (Secret sneaky): Secret (v1) is not a target" in out
    assert setup.get("falco") is None


@pytest.mark.parametrize("project", ["../falco", "falco/x", ""])
def test_a_key_param_that_is_not_a_key_reads_nothing(setup: Setup, project: str) -> None:
    setup.manifests(**{"falco.yaml": MANIFEST})
    code, out = finish(setup.start(project, "0.39.0", "--timeout", "20s"))
    assert code == 2, out
    assert "configMap.key" in out, out
    assert setup.get("falco") is None


def test_a_missing_key_is_named_with_the_keys_there(setup: Setup) -> None:
    setup.manifests(**{"falco.yaml": MANIFEST})
    code, out = finish(setup.start("kepler", "0.39.0", "--timeout", "20s"))
    assert code == 2, out
    assert "key 'kepler.yaml': no such key (its keys: falco.yaml)" in out, out


def test_the_deployed_result_is_one_line_per_object(setup: Setup) -> None:
    two = MANIFEST + "---\n" + MANIFEST.replace("name: falco}", "name: falco-driver}")
    setup.manifests(**{"falco.yaml": two})
    proc = setup.start("falco", "1.0.0", "--timeout", "60s")
    try:
        for name in ("falco", "falco-driver"):
            wait_for(lambda n=name: setup.get(n), timeout=30, what=f"{name} applied")
            setup.set_ready(name, "True")
        code, out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, out
    assert setup.result.read_text().splitlines() == [
        f"Release {setup.ns}/falco", f"Release {setup.ns}/falco-driver",
    ]  # fmt: skip
