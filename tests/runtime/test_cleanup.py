"""``BENCHGEN_CLEANUP_SPEC`` as cleanup reads it: params resolved in code, validated,
every problem reported at once (generator/contract/cleanup.py)."""

from __future__ import annotations

import json

import pytest

from generator.contract.cleanup import Target
from generator.contract.cleanup import decode as parse_spec
from generator.contract.errors import ContractError

ITEM = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "plural": "helmreleases",
    "namespace": {"param": "target-namespace"},
    "labels": {"app.kubernetes.io/instance": {"param": "project"}, "tier": "bench"},
}
ENV = {"BENCHGEN_PARAM_PROJECT": "falco", "BENCHGEN_PARAM_TARGET_NAMESPACE": "falco"}


def test_params_are_read_from_env_and_the_selector_is_built_in_code() -> None:
    [t] = parse_spec(json.dumps([ITEM]), ENV)
    assert t == Target(
        "helm.toolkit.fluxcd.io/v2", "HelmRelease", "helmreleases", "falco",
        (("app.kubernetes.io/instance", "falco"), ("tier", "bench")),
    )  # fmt: skip
    assert t.selector == "app.kubernetes.io/instance=falco,tier=bench"


@pytest.mark.parametrize(
    "value", ["falco,tier!=bench", "falco in (a)", "", "-x", "a" * 64, "$(params.project)"]
)
def test_a_param_value_that_is_not_a_label_value_is_refused(value: str) -> None:
    with pytest.raises(ContractError, match=r"labels\[app.kubernetes.io/instance\]"):
        parse_spec(json.dumps([ITEM]), {**ENV, "BENCHGEN_PARAM_PROJECT": value})


def test_every_problem_at_once() -> None:
    bad = {"apiVersion": "nope", "kind": "lower", "namespace": "Bad_NS", "labels": {}, "x": 1}
    with pytest.raises(ContractError) as info:
        parse_spec(json.dumps([bad, dict(ITEM, namespace={"param": "missing"})]), ENV)
    text = str(info.value)
    for part in (
        "[0].x: unknown field",
        "[0].apiVersion: 'nope'",
        "[0].kind: 'lower'",
        "[0].namespace: 'Bad_NS' is not a namespace name",
        "[0].labels: at least one label is required",
        "[1].namespace: BENCHGEN_PARAM_MISSING is not set",
    ):
        assert part in text


@pytest.mark.parametrize("text", [None, "", "{}", "[]", "not json"])
def test_the_spec_itself(text: str | None) -> None:
    with pytest.raises(ContractError, match="BENCHGEN_CLEANUP_SPEC"):
        parse_spec(text, ENV)
