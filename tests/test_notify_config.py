"""spec.pipeline.finally.notify's templates and e-mail, compiler side: what the
notify Task gets (params, the spec, the ConfigMap, the mounts) decodes on the
runtime's side, and validate never evaluates a template."""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from generator.compile import build
from generator.config.fullload import load_bytes
from generator.config.notify_checks import template_params, template_problems
from generator.contract import notify as contract
from generator.errors import ConfigError
from tests.conftest import GOLDEN

CONFIG = (GOLDEN / "notify-templates-email" / "config.yaml").read_text()
NOTIFY_AT = "      notify:\n"
BASE = CONFIG[: CONFIG.index(NOTIFY_AT)]


def manifests(notify: str) -> dict[tuple[str, str], dict[str, Any]]:
    loaded = load_bytes((BASE + NOTIFY_AT + notify).encode(), "b.yaml")
    out = build(loaded.bench, loaded.names).manifests
    return {(m["kind"], m["metadata"]["name"]): m for m in out}


def step_env(objs: dict[tuple[str, str], dict[str, Any]]) -> dict[str, str]:
    step = objs[("Task", "bench-notify-notify")]["spec"]["steps"][0]
    return {e["name"]: e.get("value", "") for e in step["env"]}


def test_the_golden_case_round_trips_through_the_contract() -> None:
    loaded = load_bytes(CONFIG.encode(), "b.yaml")
    objs = {
        (m["kind"], m["metadata"]["name"]): m for m in build(loaded.bench, loaded.names).manifests
    }
    env = step_env(objs)
    spec = contract.decode(env)
    assert spec.params == ("version", "team")
    assert spec.email == contract.Email(
        "smtp.example.org", 587, "starttls", "bench@example.org",
        ("perf-team@example.org", "releases@example.org"),
    )  # fmt: skip
    assert env["BENCHGEN_NOTIFY_TEMPLATES"] == contract.TEMPLATES_DIR
    assert env["BENCHGEN_NOTIFY_SMTP_CREDENTIALS"] == contract.CREDENTIALS_DIR
    data = objs[("ConfigMap", "bench-notify-notify")]["data"]
    assert set(data) == {contract.SLACK_KEY, contract.SUBJECT_KEY}  # the body: the default
    assert loaded.bench.spec.pipeline.finally_ is not None
    notify = loaded.bench.spec.pipeline.finally_.notify
    assert notify is not None and data[contract.SLACK_KEY] == notify.template
    # The template text is in the ConfigMap only: no step arg, env or script holds it.
    task = str(objs[("Task", "bench-notify-notify")])
    assert "params.version }}" not in task


def test_email_only_without_templates() -> None:
    objs = manifests(
        "        email:\n"
        "          smtp: {host: relay.mail.svc, port: 2525, security: none}\n"
        "          from: bench@example.org\n"
        "          to: [a@example.org]\n"
    )
    assert ("ConfigMap", "bench-notify-notify") not in objs
    env = step_env(objs)
    assert "BENCHGEN_NOTIFY_URL_FILE" not in env and "BENCHGEN_NOTIFY_TEMPLATES" not in env
    spec = contract.decode(env)
    assert spec.email is not None and (spec.email.port, spec.email.security) == (2525, "none")
    assert spec.params == () and spec.status_url == ""
    task = objs[("Task", "bench-notify-notify")]["spec"]
    assert "volumes" not in task and "volumeMounts" not in task["steps"][0]
    assert task["description"].startswith("Post the run's summary to e-mail;")


def test_no_channel_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_bytes((BASE + NOTIFY_AT + "        onFailure: fail\n").encode(), "b.yaml")
    [problem] = caught.value.problems
    assert "set urlSecretRef (a Slack-compatible webhook), email, or both" in str(problem)


@pytest.mark.parametrize(
    ("source", "read"),
    [
        ("{{ params.version }} {{ params['team'] }}", ["version", "team"]),
        ("{{ params.team }}", ["team"]),
        ("{% for k, v in params.items() %}{{ k }}={{ v }}{% endfor %}", ["version", "team"]),
        ("{{ params }}", ["version", "team"]),
        ("{{ run }}", []),
        ("{% if %}", []),  # does not parse: the check reports it
    ],
)
def test_the_params_a_template_reads(source: str, read: list[str]) -> None:
    loaded = load_bytes(CONFIG.encode(), "b.yaml")
    assert loaded.bench.spec.pipeline.finally_ is not None
    notify = loaded.bench.spec.pipeline.finally_.notify
    assert notify is not None
    changed = notify.model_copy(update={"template": source, "email": None})
    assert template_params(changed, ["version", "team"]) == read


def test_validate_never_evaluates_a_template() -> None:
    # Compiling (or jinja2.meta) would build these strings; parsing does not.
    source = "{{ 'x' * 10**10 }}\n{{ ''|center(10**10) }}\n{{ (range(10**5)|list) * 10**5 }}"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    assert template_problems(source, []) == []
    assert time.monotonic() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_a_template_may_not_load_others_or_be_huge() -> None:
    assert template_problems("{% include 'x.j2' %}", []) == [
        "line 1: a notification template cannot load other templates"
    ]
    assert template_problems("x" * 20_001, []) == ["20001 characters: keep a template under 20000"]
