"""The deployment the schedule scenarios share (tests/cluster/test_events_and_ticks.py).

The config is the example plus a Broker the render creates (in-memory
channel), two accepted event types, a webhook schedule and a PingSource both
firing every minute, and a release watch every minute against the loopback
GitHub stand-in. Ticks come at minute boundaries, so conftest.py deploys it
when the session starts and runs its tests last.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.cluster.flow import EXAMPLE, Deployed, deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for
from tests.runtime.fake_github import FakeGitHub
from tests.runtime.fake_orchestrator import FakeOrchestrator, finishes

NAME = "benchmark-mlop"
RUN_PREFIX = f"{NAME}-run-"
REQUESTED = "com.example.benchmark.requested.v1"
PING = "dev.knative.sources.ping"
CE = "benchgen.dev/cloudevent-{}"
GITHUB_SECRET = "bench-github"
GITHUB_TOKEN = "ghp_clusterSuiteToken00000000000000000000"
REPO = "falcosecurity/falco"
CONFIGURATIONS = ("ebpf", "kmod")
FIELDS = {
    "dvc_data_version": "v1",
    "prompts_version": "v2",
    "known_non_issues_version": "v3",
    "run_id": "from-an-event",
}
FIXED = {"prompts-version": "v2", "known-non-issues-version": "v3"}
Obj = dict[str, Any]


def _config(tmp: Path, github: str) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["params"] += [
        {
            "name": "run-id",
            "from": "body.run_id",
            "required": True,
            "annotation": "benchgen.dev/run-id",
            "description": "Names the run (the Job's name for scheduled runs)",
        },
        {"name": "project", "from": "body.project", "default": "none", "label": "bench/project"},
        {"name": "config", "from": "body.config", "default": "none", "label": "bench/config"},
    ]
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    triggers = spec["triggers"]
    triggers["webhook"]["eventIdParam"] = "run-id"
    triggers["cloudEvents"] = {
        "broker": {
            "name": "default",
            "create": True,
            "channelTemplate": {"kind": "InMemoryChannel"},
        },
        "accept": [{"type": REQUESTED}, {"type": PING, "name": f"{NAME}-ping"}],
    }
    triggers["schedule"] = [
        {
            "name": "tick",
            "cron": "* * * * *",
            "values": {**FIXED, "dvc-data-version": "scheduled"},
        },
        {
            "name": "ping",
            "cron": "* * * * *",
            "via": "pingSource",
            "values": {**FIXED, "dvc-data-version": "pinged", "run-id": "pinged"},
        },
    ]
    triggers["releases"] = {
        "cron": "* * * * *",
        "apiUrl": github,
        "tokenSecretRef": {"name": GITHUB_SECRET, "key": "token"},
        "projects": [
            {
                "repo": REPO,
                "configurations": list(CONFIGURATIONS),
                "tagPattern": r"^[0-9]+\.[0-9]+\.[0-9]+$",
            }
        ],
        "params": {"project": "project", "version": "dvc-data-version", "configuration": "config"},
        "values": FIXED,
    }
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class Ticks:
    stack: Stack
    app: Deployed
    config: Path
    github: FakeGitHub
    deployed_at: float

    @property
    def ns(self) -> str:
        return self.app.namespace

    def runs(self) -> list[Obj]:
        return self.app.runs()

    def broker_url(self) -> str:
        """The Broker's address (status.address.url, set by the real Broker
        controller), reached through the ingress Service's cluster IP."""
        broker = wait_for(
            lambda: _ready(
                self.stack.cluster.get("eventing.knative.dev/v1", "Broker", "default", self.ns)
            ),
            timeout=120,
            what="Broker default Ready",
        )
        url = urllib.parse.urlsplit(broker["status"]["address"]["url"])
        service, namespace = url.hostname.split(".")[:2]  # type: ignore[union-attr]
        ip = self.stack.cluster.get("v1", "Service", service, namespace)["spec"]["clusterIP"]
        return f"http://{ip}:{url.port or 80}{url.path}"


def _ready(obj: Obj) -> Obj | None:
    conds = {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", []) or []}
    return obj if conds.get("Ready") == "True" else None


@contextmanager
def started(stack: Stack, tmp: Path) -> Iterator[Ticks]:
    """Deploy the config in a namespace of its own; delete it at the end."""
    ns = stack.create_namespace(f"ticks-{secrets.token_hex(3)}")
    with (
        FakeOrchestrator(host=stack.node_ip) as fake,
        FakeGitHub(token=GITHUB_TOKEN, host=stack.node_ip) as github,
    ):
        fake.plan = lambda: finishes("COMPLETED", after=1, total=1)
        github.publish(REPO, "0.39.0")
        port = int(fake.url.rsplit(":", 1)[1])
        stack.expose(ns, "sast-ai-orchestrator", 80, stack.node_ip, port)
        stack.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": GITHUB_SECRET, "namespace": ns},
                "data": {"token": base64.b64encode(GITHUB_TOKEN.encode()).decode()},
            }
        )
        config = _config(tmp, github.url)
        app = deploy(stack, ns, config)
        try:
            yield Ticks(stack, app, config, github, time.time())
        finally:
            if os.environ.get("BENCHGEN_E2E_KEEP") != "1":
                stack.delete_namespace(ns, wait=False)
