"""The deploy step on the real cluster: ``spec.pipeline.deploy`` applies a manifest
from a ConfigMap, with the run's params written into it structurally, waits for a
condition the real kube-controller-manager sets, then the run goes on, and the
``finally`` clean-up deletes what was deployed.

The config is the example plus a param ``instance`` (a label), a deploy of a
Deployment (the pause image the node already holds) whose ``Available``
condition comes from the Deployment controller, and a clean-up of Deployments by
the instance label. Nothing here writes a status: the Deployment controller,
the kubelet and Tekton do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, deploy
from tests.cluster.node import PAUSE_IMAGE
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for
from tests.runtime.fake_orchestrator import finishes

pytestmark = pytest.mark.cluster

NAME = "benchmark-mlop"
INSTANCE_LABEL = "benchgen.dev/instance"
VERSION_ANNOTATION = "benchgen.dev/data-version"
MANIFESTS = "bench-manifests"
FIELDS = {"dvc_data_version": "v1.2.3", "prompts_version": "v2", "known_non_issues_version": "v3"}
Obj = dict[str, Any]

# What the user keeps in the ConfigMap: no namespace (the target's is set), a
# placeholder where the version goes, no instance label (the deploy step sets it).
MANIFEST = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "bench-app", "labels": {"app": "bench-app"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "bench-app"}},
        "template": {
            "metadata": {
                "labels": {"app": "bench-app"},
                "annotations": {VERSION_ANNOTATION: "placeholder"},
            },
            "spec": {
                "terminationGracePeriodSeconds": 5,
                "containers": [{"name": "app", "image": PAUSE_IMAGE, "imagePullPolicy": "Never"}],
            },
        },
    },
}


def _config(tmp: Path) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["params"].append(
        {
            "name": "instance",
            "from": "body.instance",
            "required": True,
            "pattern": "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
            "label": INSTANCE_LABEL,
            "description": "Which manifest to deploy, and which objects the clean-up deletes",
        }
    )
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    spec["pipeline"]["deploy"] = {
        "manifest": {"configMap": {"name": MANIFESTS, "key": "{instance}.yaml"}},
        "set": [
            {
                "kind": "Deployment",
                "path": f'spec.template.metadata.annotations["{VERSION_ANNOTATION}"]',
                "param": "dvc-data-version",
            },
            {
                "kind": "Deployment",
                "path": f'metadata.labels["{INSTANCE_LABEL}"]',
                "param": "instance",
            },
        ],
        "targets": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
        "wait": {"condition": "Available", "timeout": "3m"},
    }
    spec["pipeline"]["finally"] = {
        "cleanup": {
            "timeout": "2m",
            "delete": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "labelsFromParams": {INSTANCE_LABEL: "instance"},
                }
            ],
        }
    }
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _condition(obj: Obj, kind: str) -> Obj | None:
    conds = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == kind), None)


def _succeeded(obj: Obj) -> bool:
    return (_condition(obj, "Succeeded") or {}).get("status") == "True"


def test_deploy_applies_with_the_version_set_waits_for_available_then_cleanup_deletes(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    cluster = real_cluster.cluster
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": MANIFESTS, "namespace": namespace},
            "data": {"deployed.yaml": yaml.safe_dump(MANIFEST)},
        }
    )
    app = deploy(real_cluster, namespace, _config(tmp_path))
    # Long enough a wait to look at the deployed object before the clean-up.
    orchestrator.fake.plan = lambda: finishes("COMPLETED", after=5, total=2)
    status, answer = app.send({**FIELDS, "instance": "deployed"})
    assert status == 202, answer
    run_name = app.wait_for_run()["metadata"]["name"]

    deploy_run = wait_for(
        lambda: (tr := app.task_runs(run_name).get("deploy")) and _succeeded(tr) and tr,
        timeout=240,
        interval=1.0,
        what="the deploy TaskRun to succeed",
    )
    log = app.step_log(deploy_run, "apply")
    # Applied as the manifest says, but for the values the deploy step wrote.
    dep = cluster.get("apps/v1", "Deployment", "bench-app", namespace)
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    assert annotations[VERSION_ANNOTATION] == FIELDS["dvc_data_version"], log
    assert dep["metadata"]["labels"] == {"app": "bench-app", INSTANCE_LABEL: "deployed"}
    managers = {m["manager"] for m in dep["metadata"].get("managedFields") or []}
    assert "benchgen" in managers, managers
    # Available came from the Deployment controller, for this generation.
    assert (_condition(dep, "Available") or {}).get("status") == "True", dep.get("status")
    assert dep["status"]["observedGeneration"] >= dep["metadata"]["generation"]
    assert "all 1 Available" in log, log
    results = {r["name"]: r["value"] for r in deploy_run["status"].get("results") or []}
    assert results["deployed"] == f"Deployment {namespace}/bench-app"
    assert deploy_run["spec"]["serviceAccountName"] == f"{NAME}-deploy"

    run = app.wait_finished(run_name)
    assert _succeeded(run), app.describe(run_name)
    trs = app.task_runs(run_name)
    # submit started only after deploy had finished.
    assert trs["submit"]["status"]["startTime"] >= trs["deploy"]["status"]["completionTime"]
    assert _succeeded(trs["cleanup"]), app.describe(run_name)
    cleanup_log = app.step_log(trs["cleanup"], "cleanup")
    assert cluster.get_or_none("apps/v1", "Deployment", "bench-app", namespace) is None, cleanup_log
    assert not cluster.list_objects("v1", "Pod", namespace, label_selector="app=bench-app")
    # The batch got the same version the deployed object carried.
    (batch,) = orchestrator.fake.batches.values()
    assert FIELDS["dvc_data_version"] in str(batch.submission)


def test_a_manifest_naming_a_kind_not_in_targets_fails_the_run_before_submit(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    cluster = real_cluster.cluster
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sneaky"}}
    text = yaml.safe_dump_all([MANIFEST, secret])
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": MANIFESTS, "namespace": namespace},
            "data": {"refused.yaml": text},
        }
    )
    app = deploy(real_cluster, namespace, _config(tmp_path))
    status, answer = app.send({**FIELDS, "instance": "refused"})
    assert status == 202, answer
    run_name = app.wait_for_run()["metadata"]["name"]
    run = app.wait_finished(run_name, timeout=240)
    assert not _succeeded(run)
    trs = app.task_runs(run_name)
    assert "submit" not in trs, sorted(trs)  # nothing after deploy ran
    log = app.step_log(trs["deploy"], "apply")
    assert "Secret (v1) is not a target" in log, log
    # Nothing applied: the Deployment of the same document set was refused with it.
    assert cluster.get_or_none("apps/v1", "Deployment", "bench-app", namespace) is None
    assert cluster.get_or_none("v1", "Secret", "sneaky", namespace) is None
    assert not orchestrator.fake.batches
