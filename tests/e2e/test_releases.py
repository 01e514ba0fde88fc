"""``benchgen-poller watch-releases`` against the real API server.

The watcher runs as a real subprocess, authenticated with a ServiceAccount
token bound to a Role holding exactly the contract's RBAC (get and patch of the
one state ConfigMap). GitHub is tests/runtime/fake_github.py (its real response
shape, faults on demand); the listener is tests/runtime/webhook_listener.py,
which checks the GitHub signature like Triggers' interceptor and names a run
after the event id (a second event with the same id is a refused duplicate).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import Cluster
from tests.e2e.runtime_support import token_kubeconfig
from tests.runtime.fake_github import FakeGitHub, Fault
from tests.runtime.webhook_listener import Interceptor, WebhookListener

pytestmark = pytest.mark.e2e

POLLER = Path(sys.executable).with_name("benchgen-poller")
STATE = "sast-releases"
SA = "releases"
SECRET = b"webhook-secret-for-e2e"
TOKEN = "ghp_e2eTokenValue0000000000000000000000"
FALCO = "falcosecurity/falco"
KYVERNO = "kyverno/kyverno"

# The contract's RBAC (docs/runtime-interface.md), and nothing more.
RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [STATE],
     "verbs": ["get", "patch"]},
]  # fmt: skip


@dataclass
class Env:
    cluster: Cluster
    ns: str
    gh: FakeGitHub
    listener: WebhookListener
    env: dict[str, str]

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POLLER), "watch-releases", "--timeout", "3s", "--backoff", "0.2s", *args],
            env={**self.env, **extra}, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    def state(self) -> dict[str, Any]:
        cm = self.cluster.get("v1", "ConfigMap", STATE, self.ns)
        return {k: json.loads(v) if k.count(".") else v for k, v in (cm.get("data") or {}).items()}

    def fired(self) -> list[tuple[str, str | None, str]]:
        return [(b["project"], b.get("config"), b["version"]) for b in self.listener.accepted()]


@pytest.fixture
def env(cluster: Cluster, namespace: str, tmp_path: Path) -> Iterator[Env]:
    cluster.create({"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": SA, "namespace": namespace}})  # fmt: skip
    # Rendered without data, so applying the manifests never resets the state.
    cluster.create({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": STATE, "namespace": namespace}})  # fmt: skip
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": SA, "namespace": namespace}, "rules": RULES})  # fmt: skip
    cluster.apply({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": SA, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SA},
        "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": namespace}],
    })  # fmt: skip
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "token").write_text(TOKEN + "\n")
    token = cluster.token_for(namespace, SA, seconds=3600)
    kubeconfig = token_kubeconfig(cluster, tmp_path / "kubeconfig", token, namespace=namespace)
    with (
        FakeGitHub(token=TOKEN) as gh,
        WebhookListener(Interceptor("github", SECRET), id_path="event.id") as listener,
    ):
        variables = {
            "PATH": "/usr/bin:/bin",
            "KUBECONFIG": str(kubeconfig),
            "BENCHGEN_GITHUB_API": gh.url,
            "BENCHGEN_GITHUB_TOKEN_FILE": str(tmp_path / "token"),
            "BENCHGEN_RELEASES": json.dumps([
                {"repo": FALCO, "configurations": ["ebpf", "kmod"]},
                {"repo": KYVERNO, "name": "kyverno", "tagPattern": r"v\d+\.\d+\.\d+",
                 "fields": {"body.kind": "policy-engine"}},
            ]),
            "BENCHGEN_RELEASE_FIELDS": json.dumps(
                {"project": "body.project", "version": "body.version", "configuration": "body.config"}),
            "BENCHGEN_EVENT_BODY": json.dumps({"submitted_by": "release-watcher"}),
            "BENCHGEN_LISTENER_URL": listener.url,
            "BENCHGEN_AUTH_TYPE": "github",
            "BENCHGEN_AUTH_FILE": str(tmp_path / "secret"),
            "BENCHGEN_EVENT_ID_FIELD": "body.event.id",
            "BENCHGEN_EVENT_ID_MAX": "40",
            "BENCHGEN_STATE_CONFIGMAP": STATE,
            "BENCHGEN_NAMESPACE": namespace,
        }  # fmt: skip
        yield Env(cluster, namespace, gh, listener, variables)


def test_new_release_fires_once_per_configuration_and_a_second_look_fires_nothing(
    env: Env,
) -> None:
    env.gh.publish(FALCO, "0.37.0")
    env.gh.publish(KYVERNO, "v1.12.0")
    env.gh.publish(KYVERNO, "chart-3.2.0")  # GitHub's latest, but not a match
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(env.fired()) == [("falco", "ebpf", "0.37.0"), ("falco", "kmod", "0.37.0"),
                                   ("kyverno", None, "v1.12.0")]  # fmt: skip
    assert all(r.accepted for r in env.listener.received)
    bodies = env.listener.accepted()
    assert {b["submitted_by"] for b in bodies} == {"release-watcher"}
    assert [b.get("kind") for b in bodies if b["project"] == "kyverno"] == ["policy-engine"]
    state = env.state()
    assert state["falcosecurity.falco"]["fired"] == {"ebpf": ["0.37.0"], "kmod": ["0.37.0"]}
    assert state["kyverno.kyverno"]["fired"] == {"": ["v1.12.0"]}
    assert TOKEN not in proc.stdout + proc.stderr

    # Same releases: conditional requests (304), nothing fired, nothing written.
    version = env.cluster.get("v1", "ConfigMap", STATE, env.ns)["metadata"]["resourceVersion"]
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert env.gh.statuses()[-2:] == [304, 304]
    assert len(env.listener.received) == 3
    assert (
        env.cluster.get("v1", "ConfigMap", STATE, env.ns)["metadata"]["resourceVersion"] == version
    )

    # A new release: one event per configuration, the old ones stay recorded.
    env.gh.publish(FALCO, "0.38.0")
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert env.fired()[3:] == [("falco", "ebpf", "0.38.0"), ("falco", "kmod", "0.38.0")]
    assert env.state()["falcosecurity.falco"]["fired"]["kmod"] == ["0.38.0", "0.37.0"]
    assert env.listener.duplicates == [] and len(env.listener.runs) == 5


def test_an_api_error_records_nothing_for_that_project_and_the_next_run_fires(env: Env) -> None:
    env.gh.publish(FALCO, "0.37.0")
    env.gh.publish(KYVERNO, "v1.12.0")
    env.gh.fail(*[Fault.server_error(502)] * 50, repo=FALCO)
    proc = env.run()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "falcosecurity/falco: GitHub unreachable or failing" in proc.stdout
    assert env.fired() == [("kyverno", None, "v1.12.0")]
    assert "falcosecurity.falco" not in env.state()
    env.gh.faults.clear()
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(env.fired()[1:]) == [("falco", "ebpf", "0.37.0"), ("falco", "kmod", "0.37.0")]


def test_a_rate_limit_stops_the_run_and_reports_it(env: Env) -> None:
    env.gh.publish(FALCO, "0.37.0")
    env.gh.publish(KYVERNO, "v1.12.0")
    env.gh.fail(Fault.rate_limited(reset_in=3600))
    proc = env.run()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "rate limited (HTTP 403, X-RateLimit-Remaining: 0)" in proc.stdout
    assert "kyverno/kyverno: not checked: rate limited" in proc.stdout
    assert len(env.gh.requests) == 1  # no second request while limited
    assert env.fired() == [] and env.state() == {}
    # A 429 with a short Retry-After is waited out instead.
    env.gh.remaining = env.gh.limit
    env.gh.fail(Fault.retry_after(1))
    proc = env.run("--max-rate-limit-wait", "5s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(env.fired()) == 3


def test_a_concurrent_state_update_is_merged_and_nothing_is_lost(env: Env) -> None:
    env.gh.publish(FALCO, "0.37.0")
    writes = []

    def someone_else_writes(body: dict[str, Any]) -> None:
        # Between the watcher's read and its write: its patch must get 409.
        key = f"other.{len(writes)}"
        env.cluster.patch("v1", "ConfigMap", STATE, {"data": {key: "{}"}}, env.ns)
        writes.append(key)

    env.listener.on_accept = someone_else_writes
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("changed meanwhile; re-reading and merging") == 2
    state = env.state()
    assert {"other.0", "other.1"} <= set(state)
    assert state["falcosecurity.falco"]["fired"] == {"ebpf": ["0.37.0"], "kmod": ["0.37.0"]}
    env.listener.on_accept = None
    assert env.run().returncode == 0 and len(env.listener.received) == 2


def test_a_listener_failure_is_not_recorded_and_the_next_run_retries(env: Env) -> None:
    env.gh.publish(FALCO, "0.37.0")
    env.listener.fail(*[503] * 200)
    proc = env.run()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not fired: event falco-0-37-0-ebpf-" in proc.stdout
    assert "[kmod]: not fired" in proc.stdout  # not even tried once the listener is down
    assert env.state()["falcosecurity.falco"].get("fired") is None
    env.listener.faults.clear()
    proc = env.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(env.fired()) == [("falco", "ebpf", "0.37.0"), ("falco", "kmod", "0.37.0")]
    # The release came from the state: GitHub answered the second look with 304.
    assert [r.status for r in env.gh.requests if FALCO in r.path] == [200, 304]


def test_the_role_is_enough_and_no_more_and_a_missing_state_is_bad_input(env: Env) -> None:
    sa = env.cluster.impersonate_service_account(env.ns, SA)
    assert sa.can_i("get", "configmaps", name=STATE, namespace=env.ns)
    assert sa.can_i("patch", "configmaps", name=STATE, namespace=env.ns)
    for verb, name in [("get", "other"), ("list", None), ("update", STATE), ("delete", STATE),
                       ("create", None)]:  # fmt: skip
        assert not sa.can_i(verb, "configmaps", name=name, namespace=env.ns), (verb, name)
    proc = env.run(BENCHGEN_STATE_CONFIGMAP="missing")
    assert proc.returncode == 2
    assert "state ConfigMap" in proc.stderr and "forbidden" in proc.stderr
    proc = env.run(BENCHGEN_RELEASES="[]")
    assert (
        proc.returncode == 2 and "BENCHGEN_RELEASES: must be a non-empty JSON list" in proc.stderr
    )
    assert env.gh.requests == [] and env.listener.received == []


RUN_PREFIX = "rel-run-"


def _wait_for_runs(env: Env) -> None:
    """BENCHGEN_RUN_PREFIX, and the Role's rule the contract adds with it."""
    runs = {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get"]}
    env.cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                       "metadata": {"name": SA, "namespace": env.ns},
                       "rules": [*RULES, runs]})  # fmt: skip
    env.env["BENCHGEN_RUN_PREFIX"] = RUN_PREFIX
    # The authorizer learns of the new rule from its informer: wait for it.
    sa = env.cluster.impersonate_service_account(env.ns, SA)
    deadline = time.monotonic() + 30
    while not sa.can_i("get", "pipelineruns", group="tekton.dev", namespace=env.ns):
        assert time.monotonic() < deadline, "the Role's new rule never took effect"
        time.sleep(0.2)


def _create_run(env: Env, ident: str) -> None:
    """What Triggers does after its 202 (here as the admin): PipelineRun <prefix><id>."""
    env.cluster.create({
        "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
        "metadata": {"name": RUN_PREFIX + ident, "namespace": env.ns},
        "spec": {"pipelineRef": {"name": "sast-pipeline"}},
    })  # fmt: skip


def test_a_release_counts_as_fired_once_its_run_exists_and_is_sent_again_until_then(
    env: Env, upstream: object
) -> None:
    """Triggers answers 202 before it creates the run: the first event's run never
    comes, so the watcher (its own token, a real GET) sends the same event again."""
    _wait_for_runs(env)
    env.gh.publish(FALCO, "0.37.0")
    accepted: list[str] = []

    def triggers(body: dict[str, Any]) -> None:
        accepted.append(body["event"]["id"])
        if len(accepted) > 1:  # the first one is lost after its 202
            _create_run(env, body["event"]["id"])

    env.listener.on_accept = triggers
    proc = env.run("--run-wait", "4s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first, *rest = accepted
    assert rest[0] == first and len(rest) == 2  # sent again with the same id; then kmod
    runs = env.cluster.list_objects("tekton.dev/v1", "PipelineRun", env.ns)
    assert sorted(r["metadata"]["name"] for r in runs) == sorted(
        RUN_PREFIX + i for i in set(accepted)
    )
    assert env.state()["falcosecurity.falco"]["fired"] == {"ebpf": ["0.37.0"], "kmod": ["0.37.0"]}
    assert "sending the same event again" in proc.stdout


def test_a_release_whose_run_never_appears_is_reported_and_not_recorded(
    env: Env, upstream: object
) -> None:
    _wait_for_runs(env)
    env.gh.publish(KYVERNO, "v1.12.0")
    proc = env.run("--run-wait", "2s", "--sends", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "kyverno/kyverno v1.12.0: no run started:" in proc.stdout
    assert "the listener accepted it 2 times (HTTP 202)" in proc.stdout
    assert len(env.listener.received) == 2
    assert "fired" not in env.state().get("kyverno.kyverno", {})
    # The next run sends it again; this time Triggers creates the run.
    env.listener.on_accept = lambda body: _create_run(env, body["event"]["id"])
    proc = env.run("--run-wait", "2s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert env.state()["kyverno.kyverno"]["fired"] == {"": ["v1.12.0"]}
