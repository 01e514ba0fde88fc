"""The user's own Tasks (spec.pipeline.tasks): rendering and every refusal, located."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.compile import build
from generator.config import fastload
from generator.config.facts import FINALLY_TASKS, builtin_tasks
from generator.config.fullload import load_bytes
from generator.contract.params import escape, unescape
from generator.errors import ConfigError
from tests.conftest import GOLDEN, ROOT

CONFIG = (GOLDEN / "user-tasks" / "config.yaml").read_text()
TASKS_AT = "    tasks:\n"
BASE = CONFIG[: CONFIG.index(TASKS_AT)]
REST = CONFIG[CONFIG.index("\n\n", CONFIG.index(TASKS_AT)) :]
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def config(tasks: str) -> str:
    """The golden config with spec.pipeline.tasks replaced (YAML, indented 6)."""
    return BASE + TASKS_AT + tasks + REST


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(text.encode(), "b.yaml")
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def pipeline(text: str) -> dict[str, Any]:
    loaded = load_bytes(text.encode(), "b.yaml")
    manifests = build(loaded.bench, loaded.names).manifests
    return next(m for m in manifests if m["kind"] == "Pipeline")


# A valid task that reads the two params only user tasks read (else they are unused).
OK = (
    "      - name: prepare\n        taskRef: {name: benchmark-user-prepare}\n"
    "        when: [{param: publish, operator: in, values: ['true']}]\n"
    "        params: {fmt: {param: report-format}}\n"
)


def test_golden_config_renders_the_tasks_in_config_order() -> None:
    spec = pipeline(CONFIG)["spec"]
    assert [t["name"] for t in spec["tasks"]] == ["submit", "wait", "prepare", "report", "publish"]
    report = spec["tasks"][3]
    assert report["runAfter"] == ["wait"]
    assert report["params"] == [
        {"name": "batch-id", "value": "$(tasks.submit.results.batch-id)"},
        {"name": "final-status", "value": "$(tasks.wait.results.final-status)"},
        {"name": "format", "value": "$(params.report-format)"},
        {"name": "digest", "value": "$(tasks.prepare.results.digest)"},
    ]
    assert report["retries"] == 2
    assert spec["tasks"][4]["when"] == [
        {"input": "$(params.publish)", "operator": "in", "values": ["true"]}
    ]
    # Params only the user's Tasks read are the Pipeline's params too.
    assert {"report-format", "publish"} <= {p["name"] for p in spec["params"]}


def test_params_only_user_tasks_read_reach_the_run() -> None:
    loaded = load_bytes(CONFIG.encode(), "b.yaml")
    manifests = build(loaded.bench, loaded.names).manifests
    template = next(m for m in manifests if m["kind"] == "TriggerTemplate")
    run = template["spec"]["resourcetemplates"][0]
    names = [p["name"] for p in run["spec"]["params"]]
    assert "report-format" in names and "publish" in names


def test_a_task_named_by_name_is_kind_task() -> None:
    spec = pipeline(config(OK))["spec"]
    assert spec["tasks"][2] == {
        "name": "prepare",
        "taskRef": {"name": "benchmark-user-prepare", "kind": "Task"},
        "params": [{"name": "fmt", "value": "$(params.report-format)"}],
        "when": [{"input": "$(params.publish)", "operator": "in", "values": ["true"]}],
    }


def test_when_values_are_compared_as_the_listener_escapes_the_param() -> None:
    """The run's param holds the value with '%' as '%25' and '$' as '%24'
    (contract/params.py), so an enum value with either must be written the same
    way in ``when`` or the task would never (``in``) or always (``notin``) run."""
    text = config(
        OK.replace("'true'", "'false'")
        + "      - name: pct\n        taskRef: {name: t}\n"
        + "        when: [{param: report-format, operator: notin, values: ['50%', 'a$b']}]\n"
    ).replace("enum: [html, json]", "enum: [html, '50%', 'a$b']")
    (when,) = pipeline(text)["spec"]["tasks"][3]["when"]
    assert when["values"] == ["50%25", "a%24b"] == [escape("50%"), escape("a$b")]
    assert [unescape(v) for v in when["values"]] == ["50%", "a$b"]


def test_defaults_are_written_as_the_listener_escapes_values() -> None:
    """A default reaches a run's params through the listener's overlay, escaped;
    the Pipeline's and the TriggerTemplate's own defaults say the same."""
    text = (
        config(OK)
        .replace("default: html", "default: '50%'")
        .replace("enum: [html, json]", "enum: ['50%', json]")
    )
    loaded = load_bytes(text.encode(), "b.yaml")
    manifests = build(loaded.bench, loaded.names).manifests
    pipe = next(m for m in manifests if m["kind"] == "Pipeline")
    template = next(m for m in manifests if m["kind"] == "TriggerTemplate")
    for params in (pipe["spec"]["params"], template["spec"]["params"]):
        (param,) = [p for p in params if p["name"] == "report-format"]
        assert param["default"] == "50%25" == escape("50%")


def test_fast_path_agrees() -> None:
    """The plugin's pydantic-free loader (lite.py) reads the same tasks."""
    fast = fastload.load_bytes(CONFIG.encode())
    full = load_bytes(CONFIG.encode(), "b.yaml")
    assert fast is not None
    assert build(*fast).manifests == build(*full).manifests


PARAMS = (
    "submitted-by, dvc-data-version, prompts-version, known-non-issues-version, image-version,"
    " use-known-false-positive-file, report-format, publish"
)
T0 = "spec.pipeline.tasks[0]"
T1 = "spec.pipeline.tasks[1]"
B = OK + "      - name: b\n        taskRef: {name: t}\n"  # then b's fields


def _ref(ref: str) -> str:
    return f"      - name: g\n        taskRef: {ref}\n" + OK


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        (OK.replace("report-format}", "nope}"),
         [f"{T0}.params.fmt: no param named 'nope'; params are: {PARAMS}",
          "spec.params[6].name: param 'report-format' is not used: map it in"
          " spec.orchestrator.request, give it a label or annotation, or use it in spec.pipeline"]),
        (OK + OK,
         ["spec.pipeline.tasks[1].name: duplicate task name 'prepare' (first at spec.pipeline.tasks[0])"]),
        ("      - name: submit\n        taskRef: {name: t}\n"
         "      - name: summary\n        taskRef: {name: t}\n" + OK,
         [f"{T0}.name: 'submit' is benchgen's own task: choose another name",
          "spec.pipeline.tasks[1].name: 'summary' is one of benchgen's finally tasks: choose another name"]),
        (OK + "        runAfter: [b]\n      - name: b\n        taskRef: {name: t}\n"
         "        params: {x: {task: prepare, result: r}}\n",
         [f"{T0}: cycle of runAfter and result references: prepare -> b -> prepare; Tekton would"
          " never start these tasks: remove one of the references"]),
        (OK + "        runAfter: [prepare]\n",
         [f"{T0}: cycle of runAfter and result references: prepare -> prepare; Tekton would"
          " never start these tasks: remove one of the references"]),
        (B + "        params: {x: {task: later, result: r}}\n",
         [f"{T1}.params.x: no task named 'later' to read result 'r' from; tasks are: submit,"
          " wait, prepare"]),
        (B + "        params: {x: {task: summary, result: r}}\n",
         [f"{T1}.params.x: 'summary' is a finally task, which runs after every task: its results"
          " cannot be read here"]),
        (B + "        params: {x: {task: submit, result: nope}}\n",
         [f"{T1}.params.x: task 'submit' has no result 'nope'; its results are: batch-id, submit-status"]),
        (B + "        params: {'1x': {param: report-format}}\n",
         [f"{T1}.params[\"1x\"]: '1x' is not a Tekton param name: start with a letter or '_', then"
          " letters, digits, '_', '-' or '.'"]),
        (OK + "        runAfter: [nope]\n",
         [f"{T0}.runAfter[0]: no task named 'nope'; tasks are: submit, wait"]),
        (B + "        when: [{param: publish, operator: in, values: ['yes']},"
         " {param: nope, operator: notin, values: [a]}, {param: report-format, operator: in,"
         " values: ['$(params.x)']}]\n",
         [f"{T1}.when[0].values: param 'publish' never has the value 'yes'; its values are: true, false",
          f"{T1}.when[1].param: no param named 'nope'; params are: {PARAMS}",
          f"{T1}.when[2].values[0]: a fixed value, not a $(...) substitution",
          f"{T1}.when[2].values: param 'report-format' never has the value '$(params.x)'; its"
          " values are: html, json"]),
        (OK + "        timeout: 9h\n",
         [f"{T0}.timeout: 9h is longer than spec.pipeline.timeout 8h30m: shorten it or raise the"
          " Pipeline's"]),
        (OK + "        timeout: -1s\n", [f"{T0}.timeout: '-1s' must be longer than zero"]),
        (OK + "        retries: 11\n", [f"{T0}.retries: Input should be less than or equal to 10"]),
        (B + "        params: {x: {param: publish, task: a, result: b}}\n",
         [f"{T1}.params.x: set 'param', or 'task' and 'result', not both"]),
        (B + "        params: {x: {task: a}}\n",
         [f"{T1}.params.x: set 'param' (a param of spec.params) or both 'task' and 'result' (a"
          " result of an earlier task)"]),
        (B + "        params: {x: '$(params.publish)'}\n",
         [f"{T1}.params.x: a value is {{param: <a param of spec.params>}} or {{task: <an earlier"
          f" task>, result: <its result>}}, never free text"]),
        (_ref("{name: t, resolver: cluster}"),
         [f"{T0}.taskRef: set 'name' (a Task in the benchmark's namespace) or 'resolver' with"
          " 'params' (cluster, git, bundles, hub), not both"]),
        (_ref("{resolver: git, params: {url: 'https://x/y.git', revision: main, pathInRepo: t.yaml}}"),
         [f"{T0}.taskRef.params.revision: 'main' is not pinned: give the full commit SHA (40 hex"
          " digits, or 64 for SHA-256), not a branch or tag, which can move"]),
        (_ref(f"{{resolver: git, params: {{revision: {SHA}}}}}"),
         [f"{T0}.taskRef.params: a pinned git reference needs 'pathInRepo'",
          f"{T0}.taskRef.params: set 'url' (anonymous clone) or 'repo' (with 'org')"]),
        (_ref("{resolver: bundles, params: {bundle: 'quay.io/x/y:1.0', name: t}}"),
         [f"{T0}.taskRef.params.bundle: 'quay.io/x/y:1.0' is not pinned: reference the bundle by"
          " digest, <image>@sha256:<64 hex digits>"]),
        (_ref("{resolver: hub, params: {name: git-clone, version: '>=0.9'}}"),
         [f"{T0}.taskRef.params.version: '>=0.9' is not pinned: give one exact version (e.g."
          " 0.9), not a constraint"]),
        (_ref("{resolver: hub, params: {name: git-clone}}"),
         [f"{T0}.taskRef.params: a pinned hub reference needs 'version'"]),
        (_ref("{resolver: cluster, params: {name: t, kind: pipeline, foo: x}}"),
         [f"{T0}.taskRef.params.foo: the cluster resolver has no param 'foo'; its params: kind,"
          " name, namespace, cache",
          f"{T0}.taskRef.params: a pinned cluster reference needs 'namespace'",
          f"{T0}.taskRef.params.kind: 'pipeline': only 'task' can be a task here"]),
        (_ref("{resolver: cluster, params: {name: '$(params.x)', kind: task, namespace: ci}}"),
         [f"{T0}.taskRef.params.name: a fixed value, not a $(...) substitution"]),
        (_ref(f"{{resolver: bundles, params: {{bundle: 'quay.io/x/y@{DIGEST}', name: t}}}}")
         + "      - name: h\n        taskRef: {resolver: hub, params: {name: t, version: '0.9'}}\n"
         f"      - name: i\n        taskRef: {{resolver: git, params: {{repo: r, org: o,"
         f" revision: {SHA}, pathInRepo: t.yaml}}}}\n"
         "      - name: j\n        taskRef: {resolver: cluster, params: {name: t, kind: task,"
         " namespace: ci}}\n",
         []),
    ],
    ids=["no-param", "duplicate", "built-in-names", "cycle", "self-cycle", "result-not-before",
         "finally-result", "builtin-result", "tekton-param-name", "run-after-unknown", "when",
         "timeout-too-long", "timeout-negative", "retries", "param-and-result", "half-result",
         "free-text", "name-and-resolver", "git-branch", "git-missing", "bundle-tag", "hub-range",
         "hub-no-version", "cluster", "substitution", "pinned-ok"],
)  # fmt: skip
def test_refusals(tasks: str, expected: list[str]) -> None:
    text = config(tasks)
    if not expected:
        load_bytes(text.encode(), "b.yaml")
        return
    assert sorted(problems(text)) == sorted(expected)


def test_validate_exits_2_with_located_lines(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(config(OK + "        runAfter: [nope]\n"))
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "runAfter: [nope]" in text
    )
    assert f"b.yaml:{line}:" in proc.stderr
    assert "spec.pipeline.tasks[0].runAfter[0]: no task named 'nope'" in proc.stderr


@pytest.mark.parametrize(
    "case", sorted(p.name for p in GOLDEN.iterdir() if not p.name.startswith("errors-"))
)
def test_reserved_names_are_the_rendered_ones(case: str) -> None:
    """The names validate keeps for benchgen (facts) are the ones the Pipeline uses."""
    path = ROOT / "benchmark.yaml.example" if case == "example" else GOLDEN / case / "config.yaml"
    loaded = load_bytes(path.read_bytes(), "b.yaml")
    spec = next(m for m in build(loaded.bench, loaded.names).manifests if m["kind"] == "Pipeline")
    own = {t.name for t in loaded.bench.spec.pipeline.tasks}
    assert {t["name"] for t in spec["spec"]["tasks"]} - own == set(builtin_tasks(loaded.bench))
    fin = loaded.bench.spec.pipeline.finally_
    users = {t.name for t in fin.tasks} if fin is not None else set()
    assert {t["name"] for t in spec["spec"]["finally"]} - users <= set(FINALLY_TASKS)


TASKS_ONLY = (GOLDEN / "tasks-only" / "config.yaml").read_text()


def test_without_an_orchestrator_the_pipeline_is_the_users_tasks() -> None:
    """No submit, wait, results, guarded copies or orchestrator ConfigMap."""
    loaded = load_bytes(TASKS_ONLY.encode(), "b.yaml")
    manifests = build(loaded.bench, loaded.names).manifests
    spec = next(m for m in manifests if m["kind"] == "Pipeline")["spec"]
    assert [t["name"] for t in spec["tasks"]] == ["measure", "report"]
    assert [t["name"] for t in spec["finally"]] == ["summary", "notify"]
    assert "results" not in spec
    assert not any("when" in t for t in spec["finally"])
    kinds = [(m["kind"], m["metadata"]["name"]) for m in manifests]
    assert ("ConfigMap", loaded.names.config_map) not in kinds
    assert ("Task", loaded.names.task_submit) not in kinds
    # Every Task it renders reads only the params its Pipeline task passes.
    tasks = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Task"}
    for entry in spec["finally"]:
        task = tasks[entry["taskRef"]["name"]]["spec"]
        assert [p["name"] for p in task["params"]] == [p["name"] for p in entry["params"]]
        assert "env" not in task["stepTemplate"]  # no orchestrator ConfigMap to read
    fast = fastload.load_bytes(TASKS_ONLY.encode())
    assert fast is not None and build(*fast).manifests == manifests


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda text: text[: text.index("    tasks:")] + text[text.index("    finally:") :],
            [
                "spec: the Pipeline would run nothing: give spec.orchestrator (the built-in"
                " submit and wait) or your own Tasks in spec.pipeline.tasks",
                "spec.params[1].name: param 'suite' is not used: map it in"
                " spec.orchestrator.request, give it a label or annotation, or use it in"
                " spec.pipeline",
            ],
        ),
        (
            lambda text: text.replace("  pipeline:\n", "  poll: {mode: controller}\n  pipeline:\n"),
            [
                "spec.poll.mode: 'controller' reconciles the built-in submit and wait, which"
                " need spec.orchestrator: add it or leave poll.mode out"
            ],
        ),
        (
            lambda text: text.replace("runAfter: [measure]", "runAfter: [wait]"),
            ["spec.pipeline.tasks[1].runAfter[0]: no task named 'wait'; tasks are: measure"],
        ),
    ],
    ids=["nothing-to-run", "controller-mode", "no-wait-to-follow"],
)
def test_refusals_without_an_orchestrator(edit: Any, expected: list[str]) -> None:
    assert problems(edit(TASKS_ONLY)) == expected
