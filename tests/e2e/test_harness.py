"""The harness itself: identity, strict validation, create/patch/wait, real tokens,
and clean shutdown (no stray processes, temporary data removed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import Cluster, KubeAPIError, KubeClient, wait_for
from tests.e2e.render import ROOT
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e


def _whoami(client: KubeClient) -> dict[str, Any]:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    out = client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", body=review)
    return dict(out["status"]["userInfo"])


def test_admin_kubeconfig_points_at_the_cluster(cluster: Cluster) -> None:
    config = json.loads(cluster.kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["server"] == cluster.server
    assert config["contexts"][0]["context"]["namespace"] == "default"
    me = _whoami(cluster)
    assert me["username"] == "benchgen-e2e-admin"
    assert "system:masters" in me["groups"]
    version = cluster.request("GET", "/version")
    assert (version["major"], version["minor"]) == ("1", "35")


def test_rbac_is_enforced_for_unprivileged_users(cluster: Cluster) -> None:
    nobody = cluster.impersonate("nobody@example.com")
    assert not nobody.can_i("list", "secrets")
    with pytest.raises(KubeAPIError) as err:
        nobody.list_objects("v1", "Secret", "default")
    assert err.value.status == 403


def test_strict_field_validation_rejects_misspelled_fields(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    """A typo is an error on the server, not a silently dropped field, for core kinds
    and for CRDs with a structural schema (apply, dry run and create alike)."""
    typo_sa = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "typo", "namespace": namespace},
        "automountServiceAccountTokn": False,
    }
    calls: list[Callable[[], object]] = [
        lambda: cluster.apply(typo_sa, dry_run=True),
        lambda: cluster.apply(typo_sa),
        lambda: cluster.create(typo_sa),
    ]
    for call in calls:
        with pytest.raises(KubeAPIError) as err:
            call()
        # create: 400 "strict decoding error"; apply: the typed patch cannot be built
        # ("field not declared in schema"), which the API server reports as a 500.
        assert err.value.status in (400, 422, 500)
        assert "automountServiceAccountTokn" in err.value.message
    assert cluster.get_or_none("v1", "ServiceAccount", "typo", namespace) is None
    # What Strict buys us: without it a create silently drops the typo.
    lax = cluster.create(typo_sa, dry_run=True, field_validation="Ignore")
    assert "automountServiceAccountTokn" not in lax

    typo_binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "typo", "namespace": namespace},
        "roleReff": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"},
    }
    with pytest.raises(KubeAPIError, match="roleReff"):
        cluster.apply(typo_binding, dry_run=True)

    typo_metadata = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "typo", "namespace": namespace, "lables": {"a": "b"}},
        "spec": {"steps": [{"name": "s", "image": "busybox", "script": "true"}]},
    }
    with pytest.raises(KubeAPIError, match="lables"):
        cluster.apply(typo_metadata, dry_run=True)


def test_typos_inside_tekton_specs_are_caught(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    """Tekton Pipelines v1.15 ships structural schemas for v1 Task/Pipeline specs, so
    the API server itself rejects a typo there (not only Tekton's webhook)."""
    task = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "typo-spec", "namespace": namespace},
        "spec": {"stepz": [{"name": "s", "image": "busybox"}]},
    }
    with pytest.raises(KubeAPIError, match="stepz"):
        cluster.apply(task, dry_run=True)
    with pytest.raises(KubeAPIError, match="stepz") as err:
        cluster.create(task, dry_run=True)
    assert err.value.status == 400


@pytest.mark.parametrize(
    "obj",
    [
        {
            "apiVersion": "triggers.tekton.dev/v1beta1",
            "kind": "EventListener",
            "spec": {"serviceAccountName": "sa", "triggerz": []},
        },
        {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Trigger",
            "spec": {"broker": "default", "subscriber": {"uri": "http://x.invalid/"}, "fitler": {}},
        },
    ],
    ids=["triggers-eventlistener", "knative-trigger"],
)
def test_typos_the_api_server_cannot_see(
    cluster: Cluster, upstream: Upstream, namespace: str, obj: dict[str, Any]
) -> None:
    """Known limit, in the README: Tekton Triggers' and Knative Eventing's CRDs declare
    their specs with x-kubernetes-preserve-unknown-fields (their webhooks validate),
    so the API server keeps such a typo. The conformance harness runs that code."""
    obj = obj | {"metadata": {"name": "typo", "namespace": namespace}}
    out = cluster.apply(obj, dry_run=True)
    typo = next(k for k in obj["spec"] if k in ("triggerz", "fitler"))
    assert typo in out["spec"]


def test_create_patch_and_wait_for_condition(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    cm = cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": namespace},
            "data": {"a": "1"},
        }
    )
    with pytest.raises(KubeAPIError) as err:
        cluster.create(cm | {"metadata": {"name": "settings", "namespace": namespace}})
    assert err.value.status == 409
    patched = cluster.patch("v1", "ConfigMap", "settings", {"data": {"b": "2"}}, namespace)
    assert patched["data"] == {"a": "1", "b": "2"}

    run = cluster.create(
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": "run", "namespace": namespace, "labels": {"x": "y"}},
            "spec": {"pipelineRef": {"name": "missing"}},
        }
    )
    assert run["metadata"]["uid"]
    assert [
        r["metadata"]["name"]
        for r in cluster.list_objects(
            "tekton.dev/v1", "PipelineRun", namespace, label_selector="x=y"
        )
    ] == ["run"]
    # No Tekton controller runs here: play its part by writing status.
    cluster.patch(
        "tekton.dev/v1",
        "PipelineRun",
        "run",
        {"status": {"conditions": [{"type": "Succeeded", "status": "True", "reason": "OK"}]}},
        namespace,
        subresource="status",
    )
    done = cluster.wait_for_condition(
        "tekton.dev/v1", "PipelineRun", "run", namespace, condition="Succeeded", timeout=10
    )
    assert done["status"]["conditions"][0]["reason"] == "OK"
    with pytest.raises(TimeoutError):
        cluster.wait_for_condition(
            "tekton.dev/v1", "PipelineRun", "run", namespace, condition="Never", timeout=1
        )
    cluster.delete("tekton.dev/v1", "PipelineRun", "run", namespace)
    assert cluster.get_or_none("tekton.dev/v1", "PipelineRun", "run", namespace) is None


def test_service_account_tokens_authenticate(cluster: Cluster, namespace: str) -> None:
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "robot", "namespace": namespace},
        }
    )
    robot = cluster.with_token(cluster.token_for(namespace, "robot"))
    me = _whoami(robot)
    assert me["username"] == f"system:serviceaccount:{namespace}:robot"
    assert f"system:serviceaccounts:{namespace}" in me["groups"]
    with pytest.raises(KubeAPIError) as err:
        robot.list_objects("v1", "ConfigMap", namespace)
    assert err.value.status == 403


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_stop_leaves_nothing_behind_even_when_a_test_fails(e2e_bin_dir: Path) -> None:
    class Boom(Exception):
        pass

    pids: list[int] = []
    with pytest.raises(Boom), Cluster.start(e2e_bin_dir) as second:
        pids, workdir = second.pids(), second.workdir
        assert all(_alive(p) for p in pids) and workdir.is_dir()
        second.ensure_namespace("doomed")
        raise Boom
    assert pids
    assert not any(_alive(p) for p in pids)
    assert not workdir.exists()


INNER_CONFTEST = "from tests.e2e.conftest import cluster, e2e_bin_dir  # noqa: F401\n"
INNER_TEST = """
import json, os
from pathlib import Path

def test_fails(cluster):
    Path(os.environ["E2E_STATE"]).write_text(
        json.dumps({"pids": cluster.pids(), "workdir": str(cluster.workdir)})
    )
    assert False, "failing on purpose"
"""


def test_fixture_cleans_up_after_a_failing_test(e2e_bin_dir: Path, tmp_path: Path) -> None:
    """The real fixture in a real pytest run whose test fails."""
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST)
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    state = tmp_path / "state.json"
    env = {
        **os.environ,
        "E2E_STATE": str(state),
        "BENCHGEN_E2E_BIN": str(e2e_bin_dir),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failing on purpose" in proc.stdout
    seen = json.loads(state.read_text())
    assert seen["pids"] and not any(_alive(p) for p in seen["pids"])
    assert not Path(seen["workdir"]).exists()


KILLED_PARENT = """
import json, sys, time
from pathlib import Path
from tests.e2e.cluster import Cluster
c = Cluster.start(Path(sys.argv[1]))
print(json.dumps({"pids": c.pids(), "workdir": str(c.workdir)}), flush=True)
time.sleep(600)
"""


def test_control_plane_dies_with_a_killed_test_process(e2e_bin_dir: Path) -> None:
    """SIGKILL leaves no chance to clean up: PR_SET_PDEATHSIG still takes the
    children down (only the temp dir is left, removed here)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT, str(e2e_bin_dir)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        seen = json.loads(parent.stdout.readline())
        assert all(_alive(p) for p in seen["pids"])
    finally:
        parent.kill()
        parent.wait(timeout=10)
    try:
        wait_for(
            lambda: not any(_alive(p) for p in seen["pids"]),
            timeout=15,
            what="etcd and kube-apiserver to die with their parent",
        )
    finally:
        shutil.rmtree(seen["workdir"], ignore_errors=True)
