"""spec.pipeline.deploy: the deploy Task, its place in the Pipeline, its RBAC, and every
refusal, located."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from generator.compile import build
from generator.config.fullload import load_bytes
from generator.contract import apply
from generator.contract.env import APPLY_SPEC, param_env
from generator.errors import ConfigError
from tests.conftest import GOLDEN

SEED = yaml.safe_load((GOLDEN / "seed-003-green-reviews" / "config.yaml").read_text())
ORCHESTRATOR = {
    "request": [
        {"field": "testingDataNvrsVersion", "param": "version"},
        {"field": "promptsVersion", "param": "version"},
        {"field": "knownNonIssuesVersion", "param": "version"},
        {"field": "sastAiImage", "param": "version"},
    ]
}


def seed(**deploy: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SEED)
    doc["spec"]["pipeline"]["deploy"].update(deploy)
    return doc


def manifests(doc: dict[str, Any]) -> list[dict[str, Any]]:
    loaded = load_bytes(yaml.safe_dump(doc).encode(), "b.yaml")
    return build(loaded.bench, loaded.names).manifests


def one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(m for m in objs if m["kind"] == kind and m["metadata"]["name"] == name)


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(yaml.safe_dump(doc).encode(), "b.yaml")
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def test_deploy_runs_first_and_the_first_tasks_wait_for_it() -> None:
    spec = one(manifests(SEED), "Pipeline", "green-reviews-pipeline")["spec"]
    deploy, benchmark = spec["tasks"]
    assert deploy["name"] == "deploy" and "runAfter" not in deploy
    assert deploy["taskRef"] == {"name": "green-reviews-deploy", "kind": "Task"}
    assert deploy["timeout"] == "18m"  # wait.timeout and pod start-up
    assert benchmark["runAfter"] == ["deploy"]


def test_with_an_orchestrator_submit_waits_for_deploy_and_so_do_independent_tasks() -> None:
    doc = copy.deepcopy(SEED)
    doc["spec"]["orchestrator"] = ORCHESTRATOR
    doc["spec"]["pipeline"]["timeout"] = "9h"
    doc["spec"]["pipeline"]["tasks"].append(
        {"name": "report", "taskRef": {"name": "report"},
         "params": {"batch": {"task": "submit", "result": "batch-id"}}}
    )  # fmt: skip
    tasks = one(manifests(doc), "Pipeline", "green-reviews-pipeline")["spec"]["tasks"]
    order = {t["name"]: t.get("runAfter") for t in tasks}
    assert order == {
        "deploy": None,
        "submit": ["deploy"],
        "wait": ["submit"],
        "benchmark": ["deploy"],
        "report": None,  # reads submit's result: after submit, so after deploy
    }


def test_the_task_reads_params_through_env_and_the_spec_round_trips() -> None:
    task = one(manifests(SEED), "Task", "green-reviews-deploy")
    (step,) = task["spec"]["steps"]
    assert step["args"] == ["apply", "--timeout", "15m", "--deployed-path",
                            "$(results.deployed.path)"]  # fmt: skip
    assert "script" not in step
    env = {e["name"]: e["value"] for e in step["env"]}
    assert env[param_env("version")] == "$(params.version)"
    run_env = {
        param_env("cncf-project"): "falco",
        param_env("config"): "modern-ebpf",
        param_env("version"): "0.39.0",
    }
    plan = apply.decode(env[APPLY_SPEC], run_env)
    assert (plan.namespace, plan.config_map, plan.key) == (
        "green-reviews", "green-reviews-projects", "falco.modern-ebpf.yaml",
    )  # fmt: skip
    assert [(t.kind, t.plural, t.namespace) for t in plan.targets] == [
        ("HelmRelease", "helmreleases", "flux-system"),
        ("Kustomization", "kustomizations", "flux-system"),
    ]
    assert plan.assignments[0] == apply.Assignment(
        "HelmRelease", ("spec", "chart", "spec", "version"), "version", "0.39.0"
    )
    assert plan.assignments[2].path == ("metadata", "labels", "green-reviews.io/project")
    assert plan.condition == "Ready"


def test_its_own_service_account_with_exactly_its_rbac() -> None:
    objs = manifests(SEED)
    run = one(objs, "TriggerTemplate", "green-reviews-template")["spec"]["resourcetemplates"][0]
    assert {"pipelineTaskName": "deploy", "serviceAccountName": "green-reviews-deploy"} in run[
        "spec"
    ]["taskRunSpecs"]
    account = one(objs, "ServiceAccount", "green-reviews-deploy")
    assert account["automountServiceAccountToken"] is True
    home = one(objs, "Role", "green-reviews-deploy")
    assert home["metadata"]["namespace"] == "green-reviews"
    assert home["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps"],
         "resourceNames": ["green-reviews-projects"], "verbs": ["get"]},
    ]  # fmt: skip
    flux = one(objs, "Role", "benchgen-green-reviews-green-reviews-deploy-flux-system")
    assert flux["metadata"]["namespace"] == "flux-system"
    assert flux["rules"] == [
        {"apiGroups": [g], "resources": [r], "verbs": ["get", "create", "patch"]}
        for g, r in (("helm.toolkit.fluxcd.io", "helmreleases"),
                     ("kustomize.toolkit.fluxcd.io", "kustomizations"))
    ]  # fmt: skip
    reasons = flux["metadata"]["annotations"]["benchgen.dev/rule-reasons"].splitlines()
    assert len(reasons) == 2
    bindings = [
        m for m in objs if m["kind"] == "RoleBinding" and "-deploy" in m["metadata"]["name"]
    ]
    assert {b["roleRef"]["name"] for b in bindings} == {
        "green-reviews-deploy", "benchgen-green-reviews-green-reviews-deploy-flux-system",
    }  # fmt: skip
    for b in bindings:
        assert b["subjects"] == [
            {"kind": "ServiceAccount", "name": "green-reviews-deploy", "namespace": "green-reviews"}
        ]


def test_a_target_in_the_home_namespace_shares_the_configmap_role() -> None:
    doc = seed(
        targets=[{"apiVersion": "apps/v1", "kind": "Deployment"}],
        set=[{"kind": "Deployment", "path": 'spec.template.metadata.annotations["a/v"]',
              "param": "version"}],
    )  # fmt: skip
    role = one(manifests(doc), "Role", "green-reviews-deploy")
    assert role["rules"][1] == {
        "apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "create", "patch"],
    }  # fmt: skip
    assert "resourceNames" not in role["rules"][1]


def test_no_deploy_no_deploy_objects() -> None:
    doc = copy.deepcopy(SEED)
    del doc["spec"]["pipeline"]["deploy"]
    doc["spec"]["params"][0]["label"] = "green-reviews.io/project"
    objs = manifests(doc)
    assert not [m for m in objs if "deploy" in m["metadata"]["name"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"manifest": {"configMap": {"name": "p", "key": "{nope}.yaml"}}},
         "key: {nope}: no param named 'nope'"),
        ({"manifest": {"configMap": {"name": "p", "key": "{run-id}.yaml"}}},
         "key: {run-id}: param 'run-id' may hold characters a ConfigMap key cannot"),
        ({"manifest": {"configMap": {"name": "p", "key": "{cncf-project}/x.yaml"}}},
         "'/x.yaml' can never be part of a ConfigMap key"),
        ({"manifest": {"configMap": {"name": "p", "key": "{cncf-project.yaml"}}},
         "unbalanced brace"),
        ({"set": [{"kind": "HelmRelease", "path": "spec.x", "param": "missing"}]},
         "set[0].param: no param named 'missing'"),
        ({"set": [{"kind": "Deployment", "path": "spec.x", "param": "version"}]},
         "set[0].kind: 'Deployment' is not a target kind"),
        ({"set": [{"kind": "HelmRelease", "path": "spec..x", "param": "version"}]},
         "'spec..x' is not a field path"),
        ({"targets": []}, "targets: List should have at least 1 item"),
        ({"wait": {"timeout": "2h"}}, "wait.timeout: 2h plus 3m for pod start-up does not fit"),
        ({"wait": {"condition": "not a condition"}}, "is not a condition type"),
    ],
)  # fmt: skip
def test_refusals_are_located(change: dict[str, Any], expected: str) -> None:
    found = problems(seed(**change))
    assert any(expected in p for p in found), found


def test_a_key_param_kept_to_key_characters_by_its_pattern_is_accepted() -> None:
    doc = seed(manifest={"configMap": {"name": "p", "key": "{version}.yaml"}})
    assert manifests(doc)
    doc["spec"]["params"][2]["pattern"] = "v?[^/]+"
    assert any("param 'version' may hold characters" in p for p in problems(doc))
    doc["spec"]["params"][2]["pattern"] = "(?:a|b).+"
    assert any("param 'version' may hold characters" in p for p in problems(doc))
    doc["spec"]["params"][2]["pattern"] = "[a-z0-9_.-]{1,20}"
    assert manifests(doc)


def test_deploy_is_a_reserved_task_name_and_its_result_can_be_read() -> None:
    doc = copy.deepcopy(SEED)
    tasks = doc["spec"]["pipeline"]["tasks"]
    tasks.append({"name": "deploy", "taskRef": {"name": "x"}})
    assert any("'deploy' is benchgen's own task" in p for p in problems(doc))
    tasks[-1] = {"name": "after", "taskRef": {"name": "x"},
                 "params": {"what": {"task": "deploy", "result": "deployed"}}}  # fmt: skip
    spec = one(manifests(doc), "Pipeline", "green-reviews-pipeline")["spec"]
    after = next(t for t in spec["tasks"] if t["name"] == "after")
    assert after["params"] == [{"name": "what", "value": "$(tasks.deploy.results.deployed)"}]
    assert "runAfter" not in after  # the result reference orders it
    tasks[-1]["params"] = {"what": {"task": "deploy", "result": "nope"}}
    assert any("task 'deploy' has no result 'nope'" in p for p in problems(doc))


def test_the_spec_is_compact_sorted_json() -> None:
    task = one(manifests(SEED), "Task", "green-reviews-deploy")
    text = next(e["value"] for e in task["spec"]["steps"][0]["env"] if e["name"] == APPLY_SPEC)
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
