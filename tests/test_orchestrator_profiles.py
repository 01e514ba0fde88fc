"""spec.orchestrator.profile and api: what renders, and every refusal, located.

The sast-ai default renders exactly as before (tests/test_golden.py, unchanged);
tests/golden/gitlab-pipelines is the gitlab profile's golden case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.compile import build
from generator.config import fastload
from generator.config.fullload import load_bytes
from generator.contract import orchestrator_api
from generator.errors import ConfigError
from tests.conftest import GOLDEN

GITLAB = (GOLDEN / "gitlab-pipelines" / "config.yaml").read_text()
SAST_AI = (GOLDEN / "no-auth" / "config.yaml").read_text()


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(text.encode(), "b.yaml")
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def manifests(text: str) -> list[dict[str, Any]]:
    loaded = load_bytes(text.encode(), "b.yaml")
    return build(loaded.bench, loaded.names).manifests


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def task(objs: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(m for m in objs if m["kind"] == "Task" and m["metadata"]["name"].endswith(suffix))


def test_the_default_profile_renders_no_api_and_no_token() -> None:
    text = json.dumps(manifests(SAST_AI))
    assert "BENCHGEN_ORCHESTRATOR_API" not in text
    assert "BENCHGEN_ORCHESTRATOR_TOKEN_FILE" not in text


def test_gitlab_renders_the_api_and_mounts_the_token_into_submit_and_wait() -> None:
    objs = manifests(GITLAB)
    for suffix in ("-submit", "-wait"):
        spec = task(objs, suffix)["spec"]
        api = orchestrator_api.decode(env_of(spec["stepTemplate"])["BENCHGEN_ORCHESTRATOR_API"])
        assert api.profile == "gitlab" and api.constants == {"ref": "main"}
        # The Pipeline's 5h, plus an hour: the reach of the look-up.
        assert api.lookback == 6 * 3600
        [step] = spec["steps"]
        assert env_of(step)["BENCHGEN_ORCHESTRATOR_TOKEN_FILE"] == (
            "/var/run/benchgen/orchestrator/token"
        )
        assert step["volumeMounts"][0]["readOnly"] is True
        assert spec["volumes"][0]["secret"]["secretName"] == "gitlab-api"
    # The token is read from the Secret by the runtime, never written anywhere.
    assert "glpat" not in json.dumps(objs)
    config_map = next(m for m in objs if m["kind"] == "ConfigMap")
    assert config_map["data"]["api-batch-endpoint"] == "/api/v4/projects/4242"


def test_gitlab_in_controller_mode_gives_the_controller_the_api_and_token() -> None:
    objs = manifests(edit(GITLAB, "  poll:\n", "  poll:\n    mode: controller\n"))
    deployment = next(
        m for m in objs if m["kind"] == "Deployment" and "custom-tasks" in m["metadata"]["name"]
    )
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = env_of(container)
    assert orchestrator_api.decode(env["BENCHGEN_ORCHESTRATOR_API"]).profile == "gitlab"
    assert env["BENCHGEN_ORCHESTRATOR_TOKEN_FILE"] == "/var/run/benchgen/orchestrator/token"
    assert {"name": "orchestrator-token", "mountPath": "/var/run/benchgen/orchestrator",
            "readOnly": True} in container["volumeMounts"]  # fmt: skip
    assert any(v["name"] == "orchestrator-token" for v in pod["volumes"])


def test_the_fast_path_agrees() -> None:
    fast = fastload.load_bytes(GITLAB.encode())
    full = load_bytes(GITLAB.encode(), "b.yaml")
    assert fast is not None
    assert build(*fast).manifests == build(*full).manifests


def test_api_overrides_of_the_sast_ai_profile_render_only_what_differs() -> None:
    text = edit(
        SAST_AI,
        "  orchestrator:\n",
        "  orchestrator:\n    api:\n      statusPath: /{id}/detailed\n"
        "      statusMap: {RUNNING: PROCESSING, DONE: COMPLETED, BROKEN: FAILED}\n",
    )
    submit = task(manifests(text), "-submit")
    value = env_of(submit["spec"]["stepTemplate"])["BENCHGEN_ORCHESTRATOR_API"]
    assert json.loads(value) == {
        "profile": "sast-ai",
        "statusMap": {"BROKEN": "FAILED", "DONE": "COMPLETED", "RUNNING": "PROCESSING"},
        "statusPath": "/{id}/detailed",
    }


GITLAB_PROFILE = "    profile: gitlab\n"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    ref: main\n",
            "",
            ["spec.orchestrator.ref: the gitlab profile runs a pipeline for a branch or tag:"
             " set ref"],
        ),
        (
            "    ref: main\n",
            "    ref: 'feature..x'\n",
            ["spec.orchestrator.ref: 'feature..x' is not a branch or tag name"
             " (git check-ref-format)"],
        ),
        (
            "    tokenSecretRef: {name: gitlab-api, key: token}\n",
            "",
            ["spec.orchestrator.tokenSecretRef: the gitlab API needs a token in PRIVATE-TOKEN:"
             " name the Secret key holding it ({name: ..., key: ...})"],
        ),
        (
            "    url: https://gitlab.example.com\n    batchEndpoint: /api/v4/projects/4242\n",
            "",
            ["spec.orchestrator.batchEndpoint: the gitlab profile's endpoint is the project:"
             " /api/v4/projects/<project id>",
             "spec.orchestrator.url: the gitlab profile talks to a GitLab: set url"
             " (https://gitlab.com)"],
        ),
        (
            "{field: PROMPTS_VERSION,",
            "{field: prompts.version,",
            ["spec.orchestrator.request[1].field: 'prompts.version' is not a variable name:"
             " use letters, digits and '_'"],
        ),
        (
            "{field: PROMPTS_VERSION,",
            "{field: BENCHGEN_RUN_KEY,",
            ["spec.orchestrator.request[1].field: 'BENCHGEN_RUN_KEY' carries the run's key"
             " (the gitlab API's keyField)"],
        ),
        (
            "    ref: main\n",
            "    ref: main\n    api:\n      statusMap: {success: DONE}\n",
            ["spec.orchestrator.api.statusMap: 'DONE' is not an outcome; map each API value to"
             " one of PROCESSING, COMPLETED, COMPLETED_WITH_ERRORS, COMPLETED_EMPTY, FAILED,"
             " CANCELLED"],
        ),
        (
            "    ref: main\n",
            "    ref: main\n    api:\n      statusMap: {success: FAILED}\n",
            ["spec.orchestrator.api.statusMap: no API value maps to COMPLETED: no batch could"
             " ever succeed"],
        ),
        (
            "    ref: main\n",
            "    ref: main\n    api:\n      statusPath: pipelines/{id}\n",
            ["spec.orchestrator.api.statusPath: 'pipelines/{id}' must start with '/'"],
        ),
        (
            "    ref: main\n",
            "    ref: main\n    api:\n      listQuery: 'page={page}&x={nope}'\n",
            ["spec.orchestrator.api.listQuery: '{nope}' is neither page, size, since nor a"
             " constant"],
        ),
        (
            "    ref: main\n",
            "    ref: main\n    api:\n      authHeader: ''\n",
            ["spec.orchestrator.tokenSecretRef: the API sends no token (no authHeader): set"
             " api.authHeader or drop tokenSecretRef"],
        ),
    ],
)  # fmt: skip
def test_gitlab_refusals(old: str, new: str, expected: list[str]) -> None:
    assert problems(edit(GITLAB, old, new)) == expected


def test_a_ref_is_gitlabs_alone() -> None:
    text = edit(SAST_AI, "  orchestrator:\n", "  orchestrator:\n    ref: main\n")
    assert problems(text) == [
        "spec.orchestrator.ref: the sast-ai profile takes no ref (gitlab's does)"
    ]


def test_sast_ai_field_checks_still_apply_without_overrides() -> None:
    text = edit(SAST_AI, "{field: promptsVersion,", "{field: PROMPTS_VERSION,")
    found = problems(text)
    assert any("has no field 'PROMPTS_VERSION'" in p for p in found)
    assert any("requires 'promptsVersion'" in p for p in found)
