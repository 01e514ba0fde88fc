"""Workspaces of the user's Tasks, the user's own finally Tasks, a variant's fixed
values and webhook probes: what is rendered, and the refusals the golden cases
(user-workspaces, errors-workspaces, errors-workspaces-fields) do not already show.
What Tekton and Triggers make of the rendered objects is checked with their own code
on the golden case and its sample events (tests/conformance)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.compile import build
from generator.config import fastload
from generator.config.fullload import load_bytes
from generator.errors import ConfigError
from tests.conftest import GOLDEN, ROOT

CONFIG = GOLDEN / "user-workspaces" / "config.yaml"


def _config(edit: Any = None) -> str:
    data = yaml.safe_load(CONFIG.read_text())
    if edit is not None:
        edit(data["spec"])
    return yaml.safe_dump(data, sort_keys=False)


def _manifests(text: str) -> list[dict[str, Any]]:
    loaded = load_bytes(text.encode(), "b.yaml")
    return build(loaded.bench, loaded.names).manifests


def _named(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name)


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(text.encode(), "b.yaml")
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def test_each_pipeline_declares_and_each_run_binds_the_workspaces_its_tasks_use() -> None:
    manifests = _manifests(_config())
    default = _named(manifests, "Pipeline", "uws-pipeline")["spec"]
    full = _named(manifests, "Pipeline", "uws-pipeline-full")["spec"]
    # finally's workspaces count: 'credentials' is used only by the finally Task.
    assert [w["name"] for w in default["workspaces"]] == [
        "shared",
        "scratch",
        "settings",
        "credentials",
    ]
    assert [w["name"] for w in full["workspaces"]] == ["shared", "credentials", "cache"]
    run = _named(manifests, "TriggerTemplate", "uws-template")["spec"]["resourcetemplates"][0]
    assert run["spec"]["workspaces"] == [
        {
            "name": "shared",
            "volumeClaimTemplate": {
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                    "storageClassName": "standard",
                }
            },
        },
        {"name": "scratch", "emptyDir": {"sizeLimit": "500Mi"}},
        {"name": "settings", "configMap": {"name": "uws-settings"}},
        {"name": "credentials", "secret": {"secretName": "uws-credentials"}},
    ]
    full_run = _named(manifests, "TriggerTemplate", "uws-template-full")["spec"][
        "resourcetemplates"
    ][0]
    assert full_run["spec"]["workspaces"][-1] == {
        "name": "cache",
        "persistentVolumeClaim": {"claimName": "uws-cache"},
    }
    prepare = next(t for t in default["tasks"] if t["name"] == "prepare")
    assert prepare["workspaces"][0] == {
        "name": "output",
        "workspace": "shared",
        "subPath": "reports",
    }
    assert prepare["workspaces"][1] == {"name": "tmp", "workspace": "scratch"}


def test_without_workspaces_nothing_changes() -> None:
    """No 'workspaces' key at all, so the Pipelines of configs without them stay as they were."""

    def drop(spec: dict[str, Any]) -> None:
        pipeline = spec["pipeline"]
        del pipeline["workspaces"]
        for task in [
            *pipeline["tasks"],
            *pipeline["finally"]["tasks"],
            *pipeline["variants"][0]["tasks"],
        ]:
            task.pop("workspaces", None)

    manifests = _manifests(_config(drop))
    for m in manifests:
        if m["kind"] == "Pipeline":
            assert "workspaces" not in m["spec"]
            assert all("workspaces" not in t for t in m["spec"]["tasks"] + m["spec"]["finally"])
        if m["kind"] == "TriggerTemplate":
            assert "workspaces" not in m["spec"]["resourcetemplates"][0]["spec"]


def test_the_users_finally_task_follows_benchgens_and_reads_statuses() -> None:
    spec = _named(_manifests(_config()), "Pipeline", "uws-pipeline")["spec"]
    assert [t["name"] for t in spec["finally"]] == ["summary", "summary-submit-failed", "publish"]
    publish = spec["finally"][-1]
    assert publish["params"] == [
        {"name": "run-status", "value": "$(tasks.status)"},
        {"name": "report-status", "value": "$(tasks.report.status)"},
        {"name": "final-status", "value": "$(tasks.wait.results.final-status)"},
    ]
    assert "runAfter" not in publish
    assert publish["timeout"] == "5m"


def test_fixed_values_are_passed_escaped_and_the_event_value_is_not_bound() -> None:
    """A fixed value travels like an event's: '%' and '$' escaped (contract/params.py),
    so the runtime's read_param gives it back byte for byte."""

    def fix(spec: dict[str, Any]) -> None:
        spec["params"].append({"name": "note", "from": "body.note", "default": "n"})
        spec["pipeline"]["variants"][0]["params"]["note"] = "50% of $(params.x)"
        spec["pipeline"]["variants"][0]["params"]["publish"] = True
        spec["pipeline"]["variants"][0]["tasks"][0]["params"]["note"] = {"param": "note"}

    manifests = _manifests(_config(fix))
    template = _named(manifests, "TriggerTemplate", "uws-template-full")["spec"]
    run = template["resourcetemplates"][0]
    params = {p["name"]: p["value"] for p in run["spec"]["params"]}
    assert params["note"] == "50%25 of %24(params.x)"
    assert params["publish"] == "true"
    assert params["report-format"] == "json"
    assert run["metadata"]["annotations"]["benchgen.dev/report-format"] == "json"
    declared = {p["name"] for p in template["params"]}
    assert {"note", "publish", "report-format"}.isdisjoint(declared)
    # The variant's trigger binds exactly what its template declares.
    listener = _named(manifests, "EventListener", "uws-listener")["spec"]
    full = next(t for t in listener["triggers"] if t["name"] == "webhook-full")
    assert {b["name"] for b in full["bindings"]} == declared
    default = next(t for t in listener["triggers"] if t["name"] == "webhook-default")
    assert default["bindings"] == [{"kind": "TriggerBinding", "ref": "uws-binding"}]


def test_the_probe_check_follows_authentication_in_every_trigger() -> None:
    listener = _named(_manifests(_config()), "EventListener", "uws-listener")["spec"]
    for trigger in listener["triggers"]:
        names = [i["name"] for i in trigger["interceptors"]]
        assert names[:3] == ["verify-token", "webhook-probe", "select-pipeline"]
    probe = listener["triggers"][0]["interceptors"][1]["params"][0]["value"]
    assert probe == "!(header.canonical('X-Bench-Event') in ['ping', 'test'])"

    def no_probe(spec: dict[str, Any]) -> None:
        del spec["triggers"]["webhook"]["probe"]

    listener = _named(_manifests(_config(no_probe)), "EventListener", "uws-listener")["spec"]
    assert all(
        "webhook-probe" not in [i["name"] for i in t["interceptors"]] for t in listener["triggers"]
    )


def test_a_probe_value_in_a_probe_header_is_a_literal() -> None:
    def quote(spec: dict[str, Any]) -> None:
        spec["triggers"]["webhook"]["probe"] = {"header": "X-Kind", "values": ["it's a 'test'"]}

    listener = _named(_manifests(_config(quote)), "EventListener", "uws-listener")["spec"]
    probe = listener["triggers"][0]["interceptors"][1]["params"][0]["value"]
    assert probe == "!(header.canonical('X-Kind') in ['it\\'s a \\'test\\''])"


def test_fast_path_agrees() -> None:
    """The plugin's pydantic-free loader (lite.py) reads the same fields."""
    text = CONFIG.read_bytes()
    fast = fastload.load_bytes(text)
    full = load_bytes(text, "b.yaml")
    assert fast is not None
    assert build(*fast).manifests == build(*full).manifests


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s["pipeline"]["finally"]["tasks"][0].update(name="wait"),
            ["spec.pipeline.finally.tasks[0].name: 'wait' is benchgen's own task: choose another"
             " name"],
        ),
        (
            lambda s: s["pipeline"]["finally"]["tasks"][0]["params"].update(
                x={"task": "publish", "result": "url"}
            ),
            ["spec.pipeline.finally.tasks[0].params.x: 'publish' is a finally task: finally tasks"
             " run at once, so one cannot read result 'url' of another; read the Pipeline's"
             " tasks"],
        ),
        (
            lambda s: s["pipeline"]["finally"]["tasks"][0]["params"].update(
                x={"status": "prepare"}
            ),
            ["spec.pipeline.finally.tasks[0].params.x: no task named 'prepare' in the Pipeline"
             " of variant 'full' to read the status of; tasks are: submit, wait, report"],
        ),
        (
            lambda s: s["pipeline"]["variants"][0]["params"].update({"report-format": True}),
            ["spec.pipeline.variants[0].params.report-format: param 'report-format' is a string"
             " param: give a string (quote it)"],
        ),
        (
            lambda s: s["pipeline"]["workspaces"][1].update(name="shared"),
            ["spec.pipeline.workspaces[1].name: duplicate workspace 'shared' (first at"
             " spec.pipeline.workspaces[0])",
             "spec.pipeline.tasks[0].workspaces.tmp.workspace: no workspace named 'scratch' in"
             " spec.pipeline.workspaces: declared are shared, settings, credentials, cache"],
        ),
        (
            lambda s: s["triggers"]["webhook"].update(
                auth={"type": "token", "header": "X-Bench-Event", "secretRef": {"name": "w"}}
            ),
            ["spec.triggers.webhook.probe.header: 'X-Bench-Event' carries the webhook token"
             " (auth.header): choose the header that marks a probe"],
        ),
    ],
)  # fmt: skip
def test_refusals(edit: Any, expected: list[str]) -> None:
    assert _problems(_config(edit)) == expected


def test_validate_exits_2_with_located_lines(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        _config(lambda s: s["pipeline"]["finally"]["tasks"][0].update(runAfter=["report"]))
    )
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    lines = path.read_text().splitlines()
    after = next(i for i, text in enumerate(lines) if text.strip() == "finally:")
    line = next(i for i, text in enumerate(lines[after:], after + 1) if "runAfter:" in text)
    assert f"b.yaml:{line}:" in proc.stderr
    assert "spec.pipeline.finally.tasks[0].runAfter: finally tasks all start when" in proc.stderr
