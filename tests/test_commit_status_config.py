"""spec.observe.commitStatus: validated with located errors, compiled into the observer's
env and token volume and the PipelineRun's annotations, and decoded by the runtime."""

from __future__ import annotations

import pytest

from generator.compile import build
from generator.config.fullload import load_bytes
from generator.contract import commit_status as cs
from generator.contract import observe
from generator.errors import ConfigError
from tests.conftest import GOLDEN

BASE = (GOLDEN / "commit-status" / "config.yaml").read_text()
STATUS = BASE[BASE.index("    commitStatus:\n") :]


def with_status(block: str, params: str = "") -> str:
    text = BASE.replace(STATUS, block)
    if params:
        text = text.replace("  triggers:\n", params + "  triggers:\n", 1)
    return text


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(text.encode(), "b.yaml")
    return [str(p) for p in caught.value.problems]


def manifests(text: str) -> list[dict]:  # type: ignore[type-arg]
    return list(build(*load_bytes(text.encode(), "b.yaml")).manifests)


def observer_env(objs: list[dict]) -> dict[str, str]:  # type: ignore[type-arg]
    deployment = next(
        o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("observer")
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container["env"]}


def test_the_compiled_env_decodes_to_what_the_config_says() -> None:
    objs = manifests(BASE)
    cfg = observe.decode(observer_env(objs))
    assert cfg.commit_status == cs.CommitStatusSpec(
        provider="github",
        api_url="https://api.github.com",
        context="benchgen/pr-bench",
        repository=None,
        status_url="https://ci.example.com/pr-bench",
    )
    assert cfg.commit_status_token_file == "/var/run/benchgen/commit-status/token"
    template = next(o for o in objs if o["kind"] == "TriggerTemplate")
    run = template["spec"]["resourcetemplates"][0]
    assert run["metadata"]["annotations"][cs.SHA_ANNOTATION] == "$(tt.params.commit)"
    assert run["metadata"]["annotations"][cs.REPOSITORY_ANNOTATION] == "$(tt.params.repository)"


def test_a_fixed_gitlab_project_needs_no_param() -> None:
    text = with_status(
        "    commitStatus:\n"
        "      provider: gitlab\n"
        "      apiUrl: https://gitlab.example.com/api/v4/\n"
        "      repository: {value: group/sub/project}\n"
        "      sha: {param: commit}\n"
        "      context: perf/nightly\n"
        "      tokenSecretRef: {name: gl-token}\n"
    ).replace(
        "    - name: repository\n"
        "      from: body.repository.full_name\n"
        "      required: true\n"
        "      pattern: '[A-Za-z0-9-]+/[A-Za-z0-9._-]+'\n",
        "",
    )
    objs = manifests(text)
    cfg = observe.decode(observer_env(objs))
    assert cfg.commit_status is not None
    assert (cfg.commit_status.api_url, cfg.commit_status.repository) == (
        "https://gitlab.example.com/api/v4",
        "group/sub/project",
    )
    assert cfg.commit_status.context == "perf/nightly"
    template = next(o for o in objs if o["kind"] == "TriggerTemplate")
    notes = template["spec"]["resourcetemplates"][0]["metadata"]["annotations"]
    assert cs.REPOSITORY_ANNOTATION not in notes and cs.SHA_ANNOTATION in notes


@pytest.mark.parametrize(
    ("block", "params", "message"),
    [
        (
            "      repository: {param: repository, value: octo/bench}\n      sha: {param: commit}\n",
            "",
            "spec.observe.commitStatus.repository: set exactly one of 'param' and 'value'",
        ),
        (
            "      repository: {value: octo/../bench}\n      sha: {param: commit}\n",
            "",
            "repository.value: 'octo/../bench' is not a GitHub repository 'owner/name'",
        ),
        (
            "      repository: {param: repository}\n      sha: {value: " + "a" * 40 + "}\n",
            "",
            "sha.value: a fixed commit would report every run to it: use 'param'",
        ),
        (
            "      repository: {param: repository}\n      sha: {param: flag}\n",
            "    - {name: flag, from: body.flag, type: boolean, default: false}\n",
            "sha.param: param 'flag' must be a string param",
        ),
        (
            "      repository: {param: repository}\n      sha: {param: head}\n",
            "    - {name: head, from: body.head}\n",
            "spec.params[6].pattern: param 'head' is the commit of spec.observe.commitStatus:"
            " give it a pattern that admits only a commit SHA",
        ),
        (
            "      repository: {param: repository}\n      sha: {param: head}\n",
            "    - {name: head, from: body.head, pattern: '[0-9a-f]{7}'}\n",
            "'[0-9a-f]{7}' refuses '0123456789abcdef0123456789abcdef01234567'",
        ),
    ],
)
def test_located_problems(block: str, params: str, message: str) -> None:
    text = with_status(
        "    commitStatus:\n      provider: github\n" + block + "      tokenSecretRef: {name: t}\n",
        params,
    )
    found = problems(text)
    assert any(message in p for p in found), found
    assert all(p.startswith("b.yaml:") for p in found)  # every one located
