"""spec.pipeline.concurrency.maxPending and supersede: validated where they are
written, encoded into the observer's env, and the status API told the key label
so /status can give a pending run's place in its queue."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from generator.compile import build
from generator.config.fullload import load_bytes
from generator.contract import observe
from generator.errors import ConfigError
from tests.conftest import GOLDEN

SEED = yaml.safe_load((GOLDEN / "schedules-pingsource" / "config.yaml").read_text())
STATUS_API = {"auth": {"type": "bearer", "secretRef": {"name": "sched-status", "key": "token"}}}


def doc(status_api: bool = False, **concurrency: Any) -> dict[str, Any]:
    out = copy.deepcopy(SEED)
    out["spec"]["pipeline"]["concurrency"].update(concurrency)
    if status_api:
        out["spec"]["observe"]["statusApi"] = STATUS_API
    return out


def container_env(d: dict[str, Any], role: str) -> dict[str, str]:
    loaded = load_bytes(yaml.safe_dump(d).encode(), "b.yaml")
    for m in build(loaded.bench, loaded.names).manifests:
        if m["kind"] != "Deployment":
            continue
        for container in m["spec"]["template"]["spec"]["containers"]:
            if container["name"] == role:
                return {e["name"]: e["value"] for e in container.get("env") or [] if "value" in e}
    raise AssertionError(f"no {role} container")


def test_the_observer_is_told_the_bound_and_supersede() -> None:
    env = container_env(doc(maxPending=3, supersede=True), "observer")
    assert env["BENCHGEN_CONCURRENCY_MAX_PENDING"] == "3"
    assert env["BENCHGEN_CONCURRENCY_SUPERSEDE"] == "true"
    config = observe.decode(env)
    assert (config.concurrency_max_pending, config.concurrency_supersede) == (3, True)
    # Neither set: nothing new in the env (the default observer is unchanged).
    plain = container_env(doc(), "observer")
    assert not {"BENCHGEN_CONCURRENCY_MAX_PENDING", "BENCHGEN_CONCURRENCY_SUPERSEDE"} & set(plain)


def test_the_status_api_reads_the_queues_of_the_key_label() -> None:
    env = container_env(doc(status_api=True), "status")
    assert env["BENCHGEN_CONCURRENCY_KEY"] == "benchgen.dev/concurrency-key"
    without_key = doc(status_api=True)
    del without_key["spec"]["pipeline"]["concurrency"]["key"]
    assert "BENCHGEN_CONCURRENCY_KEY" not in container_env(without_key, "status")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"maxPending": 0}, "spec.pipeline.concurrency.maxPending"),
        ({"maxPending": 10001}, "spec.pipeline.concurrency.maxPending"),
        ({"supersede": "sometimes"}, "spec.pipeline.concurrency.supersede"),
    ],
)
def test_bad_values_are_located(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_bytes(yaml.safe_dump(doc(**change)).encode(), "b.yaml")
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems
