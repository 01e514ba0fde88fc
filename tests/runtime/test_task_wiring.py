"""The rendered Tasks, run step by step against the fake orchestrator.

`benchgen render` writes the manifests; this test plays a small Tekton: it
substitutes `$(params.x)`, `$(results.x.path)`, `$(context...)` and the
Pipeline's `$(tasks.<t>.results.x)` / `$(tasks.<t>.status)` once, resolves
ConfigMap env, runs each step's `command` + `args` as a process, and feeds the
result files forward through the Pipeline, finally included. It checks our own
wiring both ways, in seconds: what the Tasks pass is what the runtime reads
(docs/runtime-interface.md), and what the runtime writes is what the Pipeline
reads.

It does not model how Triggers, Tekton and the kubelet really substitute (Tekton
expands in several passes over already substituted text, and the kubelet turns
`$$` into `$`): the real cluster does, in tests/cluster/ (test_values.py for
values holding `$`, test_webhook.py and test_outcomes.py for the same runs).
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.fake_orchestrator import FakeOrchestrator, Fault, finishes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "benchmark.yaml.example"
REF = re.compile(r"\$\(([^()]*)\)")
RUN_NAME = "benchmark-mlop-pipeline-run-x7k2p"
RUN_UID = "0b6c3a8e-5d1f-4c33-9a7e-4f2b1c0d9e8a"

pytest.importorskip("generator.cli")
pytest.importorskip("ruamel.yaml")


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    out = tmp_path_factory.mktemp("rendered")
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "render", "-o", str(out), str(EXAMPLE)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    objects: dict[tuple[str, str], Any] = {}
    for path in sorted(out.glob("*.yaml")):
        for doc in yaml.load_all(path.read_text()):
            if isinstance(doc, dict) and "kind" in doc and doc["kind"] != "Kustomization":
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def one(objects: dict[tuple[str, str], Any], kind: str) -> Any:
    [obj] = [v for (k, _), v in objects.items() if k == kind]
    return obj


def substitute(text: str, values: dict[str, str]) -> str:
    """Tekton-style single-pass substitution; an unknown reference fails the test."""

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        assert key in values, f"unresolved $({key}) in {text!r}"
        return values[key]

    return REF.sub(repl, text)


class MiniTekton:
    """Runs the rendered Pipeline's Tasks as local processes against `fake`."""

    def __init__(self, objects: dict[tuple[str, str], Any], fake: FakeOrchestrator, tmp: Path):
        self.objects, self.fake, self.tmp = objects, fake, tmp
        self.pipeline = one(objects, "Pipeline")
        self.results: dict[str, dict[str, str]] = {}
        self.status: dict[str, str] = {}
        self.logs: dict[str, str] = {}

    def configmap_value(self, ref: dict[str, str]) -> str:
        data = self.objects[("ConfigMap", ref["name"])]["data"]
        assert ref["key"] in data, f"ConfigMap {ref['name']} has no key {ref['key']}"
        if ref["key"] == "orchestrator-api-url":
            return self.fake.url  # the in-cluster Service, replaced by loopback
        return str(data[ref["key"]])

    def run_task(self, pipeline_task: dict[str, Any], pipeline_params: dict[str, str]) -> int:
        name = pipeline_task["name"]
        task = self.objects[("Task", pipeline_task["taskRef"]["name"])]
        scope = {f"params.{k}": v for k, v in pipeline_params.items()}
        scope["context.pipelineRun.name"] = RUN_NAME
        scope["context.pipelineRun.uid"] = RUN_UID
        for t, results in self.results.items():
            scope.update({f"tasks.{t}.results.{k}": v for k, v in results.items()})
        scope.update({f"tasks.{t}.status": s for t, s in self.status.items()})
        scope["tasks.status"] = "Failed" if "Failed" in self.status.values() else "Succeeded"
        # Pipeline -> Task params (a missing result leaves the param unset: default or fail).
        params: dict[str, str] = {}
        for p in pipeline_task.get("params", []):
            params[p["name"]] = substitute(str(p["value"]), scope)
        for p in task["spec"].get("params", []):
            if p["name"] not in params:
                assert "default" in p, f"{name}: param {p['name']} has no value and no default"
                params[p["name"]] = str(p["default"])
        results_dir = self.tmp / name
        results_dir.mkdir()
        task_scope = {f"params.{k}": v for k, v in params.items()}
        task_scope.update(
            {
                f"results.{r['name']}.path": str(results_dir / r["name"])
                for r in task["spec"].get("results", [])
            }
        )
        task_scope["context.taskRun.uid"] = f"{RUN_UID}-{name}"
        task_scope["context.pipelineRun.uid"] = RUN_UID
        task_scope["context.pipelineRun.name"] = RUN_NAME

        code = 0
        for step in task["spec"]["steps"]:
            assert "script" not in step, f"{name}: a step with a script"
            assert step["command"] == ["benchgen-poller"]
            for arg in step["args"]:
                assert "$(params." not in arg, f"{name}: a param in args: {arg}"
            env = {"PATH": "/usr/bin:/bin"}
            for e in [*task["spec"].get("stepTemplate", {}).get("env", []), *step.get("env", [])]:
                if "valueFrom" in e:
                    env[e["name"]] = self.configmap_value(e["valueFrom"]["configMapKeyRef"])
                else:
                    env[e["name"]] = substitute(str(e["value"]), task_scope)
            args = [substitute(a, task_scope) for a in step["args"]]
            proc = subprocess.run(
                [sys.executable, "-m", "generator.runtime", *args],
                env=env, capture_output=True, text=True, cwd=self.tmp, timeout=60,
            )  # fmt: skip
            self.logs[name] = proc.stdout + proc.stderr
            code = proc.returncode
            if code:
                break
        self.status[name] = "Succeeded" if code == 0 else "Failed"
        self.results[name] = {p.name: p.read_text() for p in results_dir.iterdir()}
        return code

    def run(self, params: dict[str, str]) -> None:
        spec = self.pipeline["spec"]
        values = {p["name"]: str(p["default"]) for p in spec["params"] if "default" in p}
        values.update(params)
        for pt in spec["tasks"]:
            if any(self.status.get(dep) != "Succeeded" for dep in pt.get("runAfter", [])):
                self.status[pt["name"]] = "None"
                continue
            self.run_task(pt, values)
        for pt in spec.get("finally", []):
            if self._when(pt, values):
                self.run_task(pt, values)

    def _when(self, pt: dict[str, Any], values: dict[str, str]) -> bool:
        scope = {f"tasks.{t}.status": s for t, s in self.status.items()}
        for w in pt.get("when", []):
            value = substitute(w["input"], scope)
            if (value in w["values"]) != (w["operator"] == "in"):
                return False
        return True


HOSTILE = {
    "dvc-data-version": "$(touch pwned)",
    "prompts-version": "`touch pwned2` \"q\" 'x'",
    "known-non-issues-version": "v1; rm -rf / #",
    "submitted-by": 'ci"},{"evil":true',
}


def test_the_pipeline_submits_waits_and_summarises(manifests, tmp_path):
    with FakeOrchestrator(plan=lambda: finishes("COMPLETED_WITH_ERRORS", after=0)) as fake:
        tekton = MiniTekton(manifests, fake, tmp_path)
        tekton.run(HOSTILE)

        assert tekton.status == {"submit": "Succeeded", "wait": "Succeeded", "summary": "Succeeded"}
        assert fake.created == 1
        [post] = fake.posts()
        body = post.json()
        assert body["testingDataNvrsVersion"] == "$(touch pwned)"
        assert body["promptsVersion"] == HOSTILE["prompts-version"]
        assert body["knownNonIssuesVersion"] == HOSTILE["known-non-issues-version"]
        assert body["sastAiImage"] == "quay.io/ecosystem-appeng/sast-ai-workflow:latest"
        assert body["submittedBy"].startswith(HOSTILE["submitted-by"] + " (run ")
        assert RUN_UID in body["submittedBy"]
        assert body["jobSettings"] == {"useKnownFalsePositiveFile": True}
        assert b'"useKnownFalsePositiveFile":true' in post.body
        assert not list(tmp_path.rglob("pwned*"))

        assert tekton.results["submit"] == {"batch-id": "12", "submit-status": "PROCESSING"}
        assert tekton.results["wait"] == {
            "final-status": "COMPLETED_WITH_ERRORS",
            "total-jobs": "4",
            "completed-jobs": "3",
            "failed-jobs": "1",
        }
        assert [r.path for r in fake.gets()] == ["/api/v1/mlops-batch/12"]
        summary = tekton.logs["summary"]
        assert f"Benchmark run {RUN_NAME}: Succeeded" in summary
        assert "3 of 4 completed, 1 failed" in summary


def test_a_failed_batch_fails_wait_and_the_summary_still_reports(manifests, tmp_path):
    with FakeOrchestrator(plan=lambda: finishes("FAILED", after=0)) as fake:
        tekton = MiniTekton(manifests, fake, tmp_path)
        tekton.run({k: "v1" for k in HOSTILE})
        assert tekton.status["wait"] == "Failed"
        assert tekton.results["wait"]["final-status"] == "FAILED"
        assert "final status FAILED" in tekton.logs["summary"]


def test_a_rejected_submit_skips_wait_and_reports_no_batch(manifests, tmp_path):
    with FakeOrchestrator() as fake:
        fake.add_fault("POST", Fault.http(400, "Validation failed: promptsVersion unknown"))
        tekton = MiniTekton(manifests, fake, tmp_path)
        tekton.run({k: "v1" for k in HOSTILE})
        assert tekton.status["submit"] == "Failed"
        assert "Validation failed: promptsVersion unknown" in tekton.logs["submit"]
        assert "wait" not in tekton.results
        assert "no batch was created" in tekton.logs["summary-submit-failed"]


def test_every_request_field_has_its_param_env(manifests):
    submit = next(
        t
        for (k, _), t in manifests.items()
        if k == "Task" and t["spec"]["steps"][0]["args"][0] == "submit"
    )
    step = submit["spec"]["steps"][0]
    env = {e["name"]: e.get("value") for e in step["env"]}
    spec = json.loads(env["BENCHGEN_REQUEST_SPEC"])
    task_params = {p["name"] for p in submit["spec"]["params"]}
    for field in spec["fields"]:
        name = "BENCHGEN_PARAM_" + field["param"].upper().replace("-", "_")
        assert env.get(name) == f"$(params.{field['param']})"
        assert field["param"] in task_params
    assert REF.fullmatch(env["BENCHGEN_IDEMPOTENCY_KEY"])
    assert "uid" in env["BENCHGEN_IDEMPOTENCY_KEY"]
