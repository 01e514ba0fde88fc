"""Seed 001 on the real cluster: the event's subject chooses the Pipeline
(spec.triggers.select, spec.pipeline.variants), and a health probe is answered and
starts nothing (spec.triggers.cloudEvents.accept[].probe).

CloudEvents go through the Broker the render creates, its Knative Triggers and the
real events listener; what each started is read from the API server, the step
logs through ``pods/log`` and the refusals from the core interceptors' log.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, POLLER_IMAGE, Deployed, deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

NAME = "benchmark-mlop"
EXECUTE = "org.eoepca.application-quality.events.pipeline.execute"
PROBE = "org.eoepca.application-quality.probes.health"
VARIANT = "notebook-execution"
REPORT_TASK = f"{NAME}-report"
FIELDS = {
    "dvc_data_version": "v1",
    "prompts_version": "v2",
    "known_non_issues_version": "v3",
}
Obj = dict[str, Any]


def _config(tmp: Path) -> Path:
    """The example, CloudEvents through a Broker it creates, the seed's two event kinds,
    and a variant whose own Task runs after wait."""
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    triggers = spec["triggers"]
    triggers["cloudEvents"] = {
        "broker": {
            "name": "default",
            "create": True,
            "channelTemplate": {"kind": "InMemoryChannel"},
        },
        "accept": [
            {"typePrefix": "org.eoepca.application-quality.events.", "name": f"{NAME}-events"},
            {
                "typePrefix": "org.eoepca.application-quality.probes.",
                "name": f"{NAME}-probes",
                "probe": True,
            },
        ],
    }
    triggers["select"] = {
        "from": "ce-subject",
        "cases": {"pipelines/17": "default", "pipelines/18": VARIANT},
    }
    spec["pipeline"]["variants"] = [
        {
            "name": VARIANT,
            "tasks": [
                {
                    "name": "report",
                    "runAfter": ["wait"],
                    "taskRef": {"name": REPORT_TASK},
                    "params": {"batch-id": {"task": "submit", "result": "batch-id"}},
                }
            ],
        }
    ]
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _report_task(namespace: str) -> Obj:
    """The variant's own Task (benchgen never renders it): one step of the runtime image,
    the batch id through env, never through a script."""
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": REPORT_TASK, "namespace": namespace},
        "spec": {
            "params": [{"name": "batch-id", "type": "string"}],
            "steps": [
                {
                    "name": "report",
                    "image": POLLER_IMAGE,
                    "command": ["benchgen-poller"],
                    "args": ["--version"],
                    "env": [{"name": "BATCH_ID", "value": "$(params.batch-id)"}],
                }
            ],
        },
    }


def _ready(obj: Obj) -> Obj | None:
    conds = {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", []) or []}
    return obj if conds.get("Ready") == "True" else None


def _service_url(stack: Stack, url: str) -> str:
    """An in-cluster http URL reached through its Service's cluster IP."""
    parts = urllib.parse.urlsplit(url)
    service, namespace = parts.hostname.split(".")[:2]  # type: ignore[union-attr]
    ip = stack.cluster.get("v1", "Service", service, namespace)["spec"]["clusterIP"]
    return f"http://{ip}:{parts.port or 80}{parts.path}"


def _post_event(url: str, *, ident: str, kind: str, subject: str | None) -> int:
    """A binary-mode CloudEvent, as the seed's curl sends it."""
    headers = {
        "Ce-Specversion": "1.0",
        "Ce-Id": ident,
        "Ce-Source": "curl",
        "Ce-Type": kind,
        "Content-Type": "application/json",
    }
    if subject is not None:
        headers["Ce-Subject"] = subject
    resp = urllib3.request(
        "POST",
        url,
        body=json.dumps(FIELDS).encode(),
        headers=headers,
        timeout=urllib3.Timeout(connect=5, read=30),
        retries=False,
    )
    return resp.status


def _interceptor_refusals(stack: Stack) -> list[str]:
    """The core interceptors' answers that stopped a chain (read through ``pods/log``)."""
    pods = stack.cluster.list_objects(
        "v1", "Pod", "tekton-pipelines", label_selector="app.kubernetes.io/name=core-interceptors"
    )
    text = "\n".join(
        stack.pod_logs(
            "tekton-pipelines", p["metadata"]["name"], p["spec"]["containers"][0]["name"]
        )
        for p in pods
    )
    return [
        line
        for line in text.splitlines()
        if "Interceptor response is" in line and "Continue:false" in line
    ]


def _ce(run: Obj, what: str) -> str | None:
    return (run["metadata"].get("annotations") or {}).get(f"benchgen.dev/cloudevent-{what}")


def _deploy(stack: Stack, namespace: str, tmp: Path) -> tuple[Deployed, str, str]:
    """The render applied, the variant's Task; (app, Broker URL, events listener URL)."""
    stack.cluster.apply(_report_task(namespace))
    app = deploy(stack, namespace, _config(tmp))
    cluster = stack.cluster
    broker = wait_for(
        lambda: _ready(cluster.get("eventing.knative.dev/v1", "Broker", "default", namespace)),
        timeout=120,
        what="Broker default Ready",
    )
    listener = wait_for(
        lambda: _ready(
            cluster.get("triggers.tekton.dev/v1beta1", "EventListener", f"{NAME}-events", namespace)
        ),
        timeout=180,
        interval=1.0,
        what=f"EventListener {NAME}-events Ready",
    )
    for trigger in (f"{NAME}-events", f"{NAME}-probes"):

        def trigger_ready(name: str = trigger) -> Obj | None:
            return _ready(cluster.get("eventing.knative.dev/v1", "Trigger", name, namespace))

        wait_for(trigger_ready, timeout=120, what=f"Knative Trigger {trigger} Ready")
    return (
        app,
        _service_url(stack, broker["status"]["address"]["url"]),
        _service_url(stack, listener["status"]["address"]["url"]),
    )


def test_the_subject_selects_the_pipeline_and_a_probe_starts_nothing(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    app, broker, listener = _deploy(real_cluster, namespace, tmp_path)
    tag = uuid.uuid4().hex[:6]
    static, execution = f"17-{tag}", f"18-{tag}"
    unknown, bare, probe = f"99-{tag}", f"none-{tag}", f"probe-{tag}"
    refused_before = len(_interceptor_refusals(real_cluster))

    # The seed's requests through the Broker: pipelines/17, pipelines/18, a pipeline
    # in no case, no subject at all, and its health check; then a sentinel.
    for ident, kind, subject in (
        (static, EXECUTE, "pipelines/17"),
        (execution, EXECUTE, "pipelines/18"),
        (unknown, EXECUTE, "pipelines/170"),
        (bare, EXECUTE, None),
        (probe, PROBE, None),
    ):
        assert _post_event(broker, ident=ident, kind=kind, subject=subject) == 202, ident
    sentinel = f"zz-{tag}"
    assert _post_event(broker, ident=sentinel, kind=EXECUTE, subject="pipelines/17") == 202

    def by_id() -> dict[str | None, Obj]:
        return {_ce(r, "id"): r for r in app.runs()}

    wait_for(
        lambda: {static, execution, sentinel} <= by_id().keys(),
        timeout=90,
        interval=1.0,
        what="the runs of pipelines/17, pipelines/18 and the sentinel",
    )
    # Each event of the Broker is delivered on its own: give a late run time to show up.
    time.sleep(5)
    runs = by_id()
    assert sorted(k or "" for k in runs) == sorted([static, execution, sentinel]), list(runs)
    assert runs[static]["spec"]["pipelineRef"]["name"] == f"{NAME}-pipeline"
    assert "benchgen.dev/variant" not in runs[static]["metadata"]["labels"]
    assert runs[execution]["spec"]["pipelineRef"]["name"] == f"{NAME}-pipeline-{VARIANT}"
    assert runs[execution]["metadata"]["labels"]["benchgen.dev/variant"] == VARIANT
    assert _ce(runs[execution], "subject") == "pipelines/18"

    # Both run to the end, each its own Pipeline's tasks: only the variant has 'report'.
    for ident, tasks in ((static, {"submit", "wait", "summary"}), (execution, None)):
        name = runs[ident]["metadata"]["name"]
        done = app.wait_finished(name)
        cond = next(c for c in done["status"]["conditions"] if c["type"] == "Succeeded")
        assert cond["status"] == "True", app.describe(name)
        ran = set(app.task_runs(name))
        if tasks is not None:
            assert ran == tasks, ran
        else:
            assert ran == {"submit", "wait", "report", "summary"}, ran
            report = app.task_runs(name)["report"]
            assert "benchgen-poller" in app.step_log(report, "report")

    # The probe reached the listener and its chains ended at the probe check, one per
    # trigger; the unknown and missing subjects at the select check of every trigger.
    # (The core interceptors serve every namespace: count this config's checks only.)
    def stopped() -> tuple[list[str], list[str], list[str]]:
        lines = _interceptor_refusals(real_cluster)[refused_before:]
        return (
            [line for line in lines if "application-quality.probes." in line],
            [line for line in lines if "'Ce-Subject') in ['pipelines/1" in line],
            [line for line in lines if "application-quality.events." in line],
        )

    wait_for(
        lambda: [len(found) for found in stopped()[:2]] >= [2, 4],
        timeout=60,
        interval=1.0,
        what="the interceptors' refusals of the probe and the two unselected events",
    )
    at_probe, at_select, at_type = stopped()
    assert len(at_probe) == 2, at_probe
    # At least the unknown and the missing subject at both triggers; each selected
    # event is also refused by the other Pipeline's trigger (no log line names the
    # event, so these are counted together). That they started nothing is by_id's.
    assert len(at_select) >= 4, at_select
    assert at_type == [], at_type  # the probe never reached the type check

    # And the listener answers a probe as the seed's backend does, at once: 2xx.
    direct = f"probe-direct-{tag}"
    assert _post_event(listener, ident=direct, kind=PROBE, subject=None) == 202
    time.sleep(3)
    assert direct not in by_id() and probe not in by_id()
    posts = [r for r in orchestrator.fake.requests if r.method == "POST"]
    assert len(posts) == 3, [(r.method, r.path) for r in orchestrator.fake.requests]
