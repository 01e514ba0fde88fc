"""``benchgen-poller apply`` without an API server: the spec as it decodes it, the
documents it refuses, the values it writes (structurally), and when an object counts
as ready. The API calls run against the real API server (tests/e2e/test_deploy.py)
and on the real cluster (tests/cluster/test_deploy.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.contract import apply
from generator.contract.errors import ContractError
from generator.runtime.apply import assign, documents, readiness
from generator.runtime.errors import InputError

HR = apply.Target("helm.toolkit.fluxcd.io/v2", "HelmRelease", "helmreleases", "flux-system")
KS = apply.Target(
    "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "kustomizations", "flux-system"
)
SPEC = apply.Spec(
    namespace="green-reviews",
    config_map="projects",
    key=(apply.Param("project"), ".", apply.Param("config"), ".yaml"),
    sets=(
        apply.Set("HelmRelease", ("spec", "chart", "spec", "version"), "version"),
        apply.Set("HelmRelease", ("metadata", "labels", "green-reviews.io/project"), "project"),
        apply.Set("Kustomization", ("spec", "suspend"), "suspend", "boolean"),
    ),
    targets=(HR, KS),
    condition="Ready",
)
ENV = {
    "BENCHGEN_PARAM_PROJECT": "falco",
    "BENCHGEN_PARAM_CONFIG": "modern-ebpf",
    "BENCHGEN_PARAM_VERSION": "0.39.0",
    "BENCHGEN_PARAM_SUSPEND": "false",
}
MANIFEST = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: falco
  labels: {green-reviews.io/project: placeholder}
spec:
  chart:
    spec: {chart: falco, version: "0.0.0"}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: falco-driver, namespace: flux-system}
spec: {path: ./falco, suspend: true}
"""


def plan(env: dict[str, str] = ENV) -> apply.Plan:
    return apply.decode(apply.encode(SPEC), env)


def test_the_key_is_built_from_params_and_the_values_are_typed() -> None:
    p = plan()
    assert p.key == "falco.modern-ebpf.yaml"
    assert [a.value for a in p.assignments] == ["0.39.0", "falco", False]


@pytest.mark.parametrize("value", ["../etc", "a/b", "x y", "", "$(params.x)", "a" * 260])
def test_a_key_param_that_breaks_the_key_is_refused(value: str) -> None:
    with pytest.raises(ContractError, match=r"configMap\.key"):
        plan({**ENV, "BENCHGEN_PARAM_PROJECT": value})


def test_every_spec_problem_at_once() -> None:
    raw = json.loads(apply.encode(SPEC))
    raw["targets"].append({"apiVersion": "nope", "kind": "lower", "namespace": "Bad_NS",
                           "plural": "x"})  # fmt: skip
    raw["set"][0]["kind"] = "Deployment"
    raw["wait"] = {}
    raw["extra"] = 1
    with pytest.raises(ContractError) as info:
        apply.decode(json.dumps(raw), {k: v for k, v in ENV.items() if "VERSION" not in k})
    text = str(info.value)
    for part in (
        "BENCHGEN_APPLY_SPEC.extra: unknown field",
        "targets[2].apiVersion: 'nope'",
        "targets[2].kind: 'lower'",
        "targets[2].namespace: 'Bad_NS'",
        "set[0].kind: 'Deployment' is not one of the targets' kinds",
        "set[0].param: BENCHGEN_PARAM_VERSION is not set",
        "wait.condition: expected a non-empty string",
    ):
        assert part in text


@pytest.mark.parametrize("text", [None, "", "[]", "not json", '{"targets": []}'])
def test_the_spec_itself(text: str | None) -> None:
    with pytest.raises(ContractError, match="BENCHGEN_APPLY_SPEC"):
        apply.decode(text, ENV)


def test_values_are_written_structurally_and_namespaces_defaulted() -> None:
    (hr_target, hr), (ks_target, ks) = documents(MANIFEST, plan())
    assert (hr_target, ks_target) == (HR, KS)
    assert hr["metadata"]["namespace"] == "flux-system"
    assert hr["spec"]["chart"]["spec"] == {"chart": "falco", "version": "0.39.0"}
    assert hr["metadata"]["labels"] == {"green-reviews.io/project": "falco"}
    assert ks["spec"]["suspend"] is False


def test_a_value_is_data_never_yaml_text() -> None:
    hostile = "1.0\n---\napiVersion: v1\nkind: Secret"
    [(_, hr), _] = documents(MANIFEST, plan({**ENV, "BENCHGEN_PARAM_VERSION": hostile}))
    assert hr["spec"]["chart"]["spec"]["version"] == hostile  # one string, no new document


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", "Secret (v1) is not a target"),
        ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
         "metadata: {name: x, namespace: kube-system}\n", "namespace 'kube-system' is not"),
        ("apiVersion: helm.toolkit.fluxcd.io/v1\nkind: HelmRelease\nmetadata: {name: x}\n",
         "HelmRelease (helm.toolkit.fluxcd.io/v1) is not a target"),
        ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
         "metadata: {generateName: x-}\n", "metadata.name is required"),
        ("- a list\n", "not a mapping"),
        ("kind: HelmRelease\n", "apiVersion and kind are required"),
        ("{", "not YAML"),
        ("---\n", "no documents"),
        ("!!python/object/apply:os.system ['true']\n", "not YAML"),
        (MANIFEST + "---\n" + MANIFEST.split("---\n")[0], "HelmRelease flux-system/falco appears twice"),
        ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\n"
         "spec: {chart: [1]}\n", "set spec.chart.spec.version (param 'version'): spec.chart is not a map"),
    ],
)  # fmt: skip
def test_refused_documents(manifest: str, expected: str) -> None:
    with pytest.raises(InputError, match="ConfigMap green-reviews/projects key") as info:
        documents(manifest, plan())
    assert expected in str(info.value)


def test_one_refused_document_refuses_all_and_each_is_named() -> None:
    bad = MANIFEST + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: a}\n"
    bad += "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: b}\n"
    with pytest.raises(InputError) as info:
        documents(bad, plan())
    assert "document 3 (Secret a)" in str(info.value)
    assert "document 4 (Role b)" in str(info.value)


def test_two_targets_of_one_kind_need_the_document_to_name_its_namespace() -> None:
    falco = apply.Target(HR.api_version, HR.kind, HR.plural, "falco")
    spec = apply.Spec(**{**SPEC.__dict__, "sets": SPEC.sets[:2], "targets": (HR, falco)})
    p = apply.decode(apply.encode(spec), ENV)
    with pytest.raises(InputError, match="name its namespace, one of flux-system, falco"):
        documents(MANIFEST.split("---\n")[0], p)
    [(target, _)] = documents(
        MANIFEST.split("---\n")[0].replace("name: falco\n", "name: falco\n  namespace: falco\n"),
        p,
    )
    assert target.namespace == "falco"


def test_paths_into_lists_and_quoted_keys() -> None:
    doc: dict[str, Any] = {"spec": {"containers": [{"name": "a", "env": []}]}}
    image = apply.Assignment("D", ("spec", "containers", 0, "image"), "v", "img:1")
    assert assign(doc, image) is None
    assert doc["spec"]["containers"][0]["image"] == "img:1"
    missing = apply.Assignment("D", ("spec", "containers", 3, "image"), "v", "x")
    assert "no list item at spec.containers[3]" in str(assign(doc, missing))
    note = apply.Assignment("D", ("metadata", "annotations", "a.io/v"), "v", "1")
    assert assign(doc, note) is None and doc["metadata"]["annotations"] == {"a.io/v": "1"}


def _obj(
    generation: int | None, observed: int | None, *conditions: dict[str, Any]
) -> dict[str, Any]:
    status: dict[str, Any] = {"conditions": list(conditions)}
    if observed is not None:
        status["observedGeneration"] = observed
    meta = {} if generation is None else {"generation": generation}
    return {"metadata": meta, "status": status}


READY = {"type": "Ready", "status": "True", "reason": "Succeeded", "message": "done"}


@pytest.mark.parametrize(
    ("obj", "ready", "why"),
    [
        (_obj(2, 2, READY), True, "Ready=True (Succeeded): done"),
        (_obj(None, None, READY), True, "Ready=True"),
        (_obj(3, 2, READY), False, "generation 3 not observed yet (status at 2)"),
        (_obj(2, 2, {**READY, "observedGeneration": 1}), False, "Ready is about generation 1"),
        (_obj(1, 1), False, "no Ready condition yet"),
        ({"metadata": {"generation": 1}}, False, "no Ready condition yet"),
        (_obj(1, 1, {"type": "Ready", "status": "False", "reason": "InstallFailed",
                     "message": "chart not found"}),
         False, "Ready=False (InstallFailed): chart not found"),
        (_obj(1, 1, {"type": "Available", "status": "True"}), False, "no Ready condition yet"),
    ],
)  # fmt: skip
def test_readiness(obj: dict[str, Any], ready: bool, why: str) -> None:
    got = readiness(obj, "Ready")
    assert got[0] is ready and why in got[1]
