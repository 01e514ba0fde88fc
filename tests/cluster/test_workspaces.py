"""The user's Tasks sharing files through a workspace, the user's own finally Task,
a `when` on a value with '%' and '$', and GitHub's ping answered without a run, on
the real cluster.

The run binds an existing PersistentVolumeClaim (a hostPath PersistentVolume the test
makes: the node has no provisioner) with a subPath, and a ConfigMap; one user Task
writes a file there, the next reads it, and the finally Task prints the statuses and
the result benchgen passes it. What ran is read from the API server and the step
logs through ``pods/log``; the ping's refusal from the core interceptors' log.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, POLLER_IMAGE, deploy
from tests.cluster.stack import Stack
from tests.cluster.test_select import _interceptor_refusals
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster

Obj = dict[str, Any]
SUB_PATH = "run-files"
GREETING = "hello from the ConfigMap"
SHARE = "50% $off"  # both characters the listener escapes


def _task(namespace: str, name: str, step: Obj, params: list[str], workspaces: list[str]) -> Obj:
    """A user Task (benchgen never renders it): one step of the runtime image, no script."""
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "params": [{"name": p, "type": "string"} for p in params],
            "workspaces": [{"name": w} for w in workspaces],
            "steps": [{"name": "main", "image": POLLER_IMAGE, **step}],
        },
    }


def _config(tmp: Path, claim: str, config_map: str) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    spec["triggers"]["webhook"]["probe"] = {"header": "X-GitHub-Event", "values": ["ping"]}
    # Read only by the writer's `when`: the run's param holds the value as the
    # listener escaped it, so the render must compare it escaped too.
    spec["params"].append(
        {"name": "share", "from": "body.share", "enum": [SHARE, "none"], "default": "none"}
    )
    pipeline = spec["pipeline"]
    pipeline["workspaces"] = [
        {"name": "shared", "persistentVolumeClaim": claim},
        {"name": "settings", "configMap": config_map},
    ]
    pipeline["tasks"] = [
        {
            "name": "writer",
            "runAfter": ["wait"],
            "taskRef": {"name": "ws-writer"},
            "workspaces": {"out": {"workspace": "shared", "subPath": SUB_PATH}},
            "when": [{"param": "share", "operator": "in", "values": [SHARE]}],
        },
        {
            "name": "reader",
            "runAfter": ["writer"],
            "taskRef": {"name": "ws-reader"},
            "workspaces": {
                "in": {"workspace": "shared", "subPath": SUB_PATH},
                "config": {"workspace": "settings"},
            },
        },
    ]
    pipeline["finally"] = {
        "tasks": [
            {
                "name": "after",
                "taskRef": {"name": "ws-after"},
                "params": {
                    "run-status": {"aggregateStatus": True},
                    "reader-status": {"status": "reader"},
                    "final-status": {"task": "wait", "result": "final-status"},
                },
            }
        ]
    }
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _storage(stack: Stack, namespace: str, host_dir: Path) -> tuple[str, str]:
    """A hostPath PersistentVolume bound to a claim in ``namespace``, and a ConfigMap."""
    # The runs' pods are non-root (pods.pod_security): the directory and its subPath
    # are made writable here, as a provisioner's volume would be.
    (host_dir / SUB_PATH).mkdir(parents=True)
    for d in (host_dir, host_dir / SUB_PATH):
        os.chmod(d, 0o777)  # a test volume, removed afterwards
    claim = "ws-claim"
    stack.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": namespace},
            "spec": {
                "capacity": {"storage": "10Mi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "persistentVolumeReclaimPolicy": "Retain",
                "hostPath": {"path": str(host_dir), "type": "Directory"},
                "claimRef": {"namespace": namespace, "name": claim},
            },
        }
    )
    stack.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim, "namespace": namespace},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "volumeName": namespace,
                "resources": {"requests": {"storage": "10Mi"}},
            },
        }
    )
    stack.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ws-settings", "namespace": namespace},
            "data": {"greeting": GREETING},
        }
    )
    return claim, "ws-settings"


def test_tasks_share_a_workspace_a_finally_task_reads_statuses_and_ping_starts_nothing(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    host_dir = Path(tempfile.mkdtemp(prefix="benchgen-ws-")) / "volume"
    try:
        claim, config_map = _storage(real_cluster, namespace, host_dir)
        for task in (
            _task(
                namespace,
                "ws-writer",
                {"command": ["cp", "/etc/os-release", "$(workspaces.out.path)/os-release"]},
                [],
                ["out"],
            ),
            _task(
                namespace,
                "ws-reader",
                {
                    "command": [
                        "cat",
                        "$(workspaces.in.path)/os-release",
                        "$(workspaces.config.path)/greeting",
                    ]
                },
                [],
                ["in", "config"],
            ),
            _task(
                namespace,
                "ws-after",
                {
                    "command": ["printenv", "RUN_STATUS", "READER_STATUS", "FINAL_STATUS"],
                    "env": [
                        {"name": "RUN_STATUS", "value": "$(params.run-status)"},
                        {"name": "READER_STATUS", "value": "$(params.reader-status)"},
                        {"name": "FINAL_STATUS", "value": "$(params.final-status)"},
                    ],
                },
                ["run-status", "reader-status", "final-status"],
                [],
            ),
        ):
            real_cluster.cluster.apply(task)
        app = deploy(real_cluster, namespace, _config(tmp_path, claim, config_map))
        refused_before = len(_interceptor_refusals(real_cluster))

        # GitHub's ping when the hook is made: signed, answered, no run.
        status, text = app.send({"zen": "Design for failure.", "hook_id": 1}, event="ping")
        assert status == 202, text

        def probe_refusals() -> list[str]:
            lines = _interceptor_refusals(real_cluster)[refused_before:]
            return [line for line in lines if "in ['ping']" in line]

        wait_for(probe_refusals, timeout=60, interval=1.0, what="the ping stopped at the probe")
        time.sleep(3)
        assert app.runs() == []

        status, text = app.send(
            {
                "dvc_data_version": "v1",
                "prompts_version": "v2",
                "known_non_issues_version": "v3",
                "share": SHARE,
            }
        )
        assert status == 202, text
        run = app.wait_for_run()
        name = run["metadata"]["name"]
        done = app.wait_finished(name)
        cond = next(c for c in done["status"]["conditions"] if c["type"] == "Succeeded")
        assert cond["status"] == "True", app.describe(name)
        task_runs = app.task_runs(name)
        # The writer ran: its `when` matched the escaped value the run holds.
        assert set(task_runs) == {"submit", "wait", "writer", "reader", "summary", "after"}
        log = app.step_log(task_runs["reader"], "main")
        assert "ID=debian" in log and GREETING in log, log
        assert (host_dir / SUB_PATH / "os-release").exists()
        after = app.step_log(task_runs["after"], "main").split()
        # $(tasks.status) in finally: every task succeeded; the reader's own status; the
        # batch's final status from wait's result.
        assert after == ["Succeeded", "Succeeded", "COMPLETED"], after
        posts = [r for r in orchestrator.fake.requests if r.method == "POST"]
        assert len(posts) == 1  # the ping submitted nothing
    finally:
        # Cluster-scoped, so the namespace's deletion leaves it: removed here.
        real_cluster.cluster.delete("v1", "PersistentVolume", namespace)
        shutil.rmtree(host_dir.parent, ignore_errors=True)
