"""Scenarios 3, 4 and 5 of the real-cluster suite, on one deployment: the
concurrency gate, the observer and the ``finally`` clean-up and notification,
with the real Tekton controller running every PipelineRun.

The config is the example with ``concurrency.limit: 1``, an observer whose sink
is a CloudEvents receiver on the node's address, a clean-up of a Deployment and
a ConfigMap selected by a param's value, and a notification to a loopback
Slack-compatible hook. Everything is checked from outside: the runs' own
``startTime``/``completionTime`` (written by Tekton), what the sink and the
hook received, and which objects the API server still holds.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, Deployed, deploy
from tests.cluster.node import PAUSE_IMAGE
from tests.cluster.stack import Stack
from tests.e2e.cluster import KubeAPIError, wait_for
from tests.runtime.fake_orchestrator import finishes
from tests.runtime.observe_sink import CloudEventSink
from tests.runtime.slack_hook import SlackHook

pytestmark = pytest.mark.cluster

NAME = "benchmark-mlop"
OBSERVER = f"{NAME}-observer"
SLACK_SECRET = "bench-slack"
INSTANCE_LABEL = "benchgen.dev/instance"
FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
Obj = dict[str, Any]


def _config(tmp: Path, sink: str, concurrency: Obj | None = None) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["params"].append(
        {
            "name": "instance",
            "from": "body.instance",
            "default": "none",
            "pattern": "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
            "label": INSTANCE_LABEL,  # the listener refuses values that are not label values
            "description": "Which deployed objects the clean-up deletes",
        }
    )
    spec["poll"].update({"interval": "2s", "maxInterval": "2s"})
    spec["pipeline"]["concurrency"] = concurrency or {"limit": 1}
    spec["pipeline"]["finally"] = {
        "cleanup": {
            "timeout": "2m",
            "delete": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "labelsFromParams": {INSTANCE_LABEL: "instance"},
                },
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "labels": {"benchgen.dev/test": "cleanup"},
                    "labelsFromParams": {INSTANCE_LABEL: "instance"},
                },
            ],
        },
        "notify": {"urlSecretRef": {"name": SLACK_SECRET, "key": "url"}},
    }
    spec["observe"] = {"observer": {"sink": sink}}
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class Setup:
    def __init__(self, stack: Stack, app: Deployed, sink: CloudEventSink, slack: SlackHook):
        self.stack, self.app, self.sink, self.slack = stack, app, sink, slack

    @property
    def ns(self) -> str:
        return self.app.namespace

    def runs_by_instance(self) -> dict[str, Obj]:
        return {_param(r, "instance"): r for r in self.app.runs()}


def _param(run: Obj, name: str) -> str:
    return next(str(p["value"]) for p in run["spec"].get("params", []) if p["name"] == name)


@pytest.fixture
def setup(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> Iterator[Setup]:
    with CloudEventSink(host=real_cluster.node_ip) as sink:
        slack = SlackHook(host=real_cluster.node_ip)
        real_cluster.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": SLACK_SECRET, "namespace": namespace},
                "data": {"url": base64.b64encode(slack.url.encode()).decode()},
            }
        )
        app = deploy(real_cluster, namespace, _config(tmp_path, sink.url))
        from tests.cluster.addons import wait_available

        wait_available(real_cluster.cluster, namespace, OBSERVER, timeout=120)
        try:
            yield Setup(real_cluster, app, sink, slack)
        finally:
            slack.stop()


class Recorder:
    """Reads the runs every 0.2 s: the most runs Tekton had started and not yet
    finished at once, and any run that was ever cancelled."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.max_active = 0
        self.cancelled: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                runs = self.setup.app.runs()
            except KubeAPIError:
                continue
            active = 0
            for run in runs:
                st = run.get("status") or {}
                if st.get("startTime") and not st.get("completionTime"):
                    active += 1
                if str(run["spec"].get("status", "")).startswith("Cancelled"):
                    self.cancelled.add(run["metadata"]["name"])
            self.max_active = max(self.max_active, active)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _observer_pod(stack: Stack, ns: str) -> Obj | None:
    pods = stack.cluster.list_objects("v1", "Pod", ns, label_selector="benchgen.dev/role=observer")
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    ready = [
        p
        for p in live
        if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p.get("status", {}).get("conditions", [])
        )
    ]
    return ready[0] if ready else None


def _observer_metrics(
    stack: Stack, ns: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics of the observer's probes' port, through the API server's pod proxy
    (what a scrape reads), parsed as Prometheus does."""
    from prometheus_client.parser import text_string_to_metric_families

    pod = wait_for(lambda: _observer_pod(stack, ns), timeout=60, what="observer pod")
    path = f"/api/v1/namespaces/{ns}/pods/{pod['metadata']['name']}:8081/proxy/metrics"
    text = stack.cluster.request("GET", path)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(str(text))
        for s in family.samples
    }


def _expected_event_ids(app: Deployed, run: Obj) -> set[str]:
    """The ids the observer owes for a finished run: its start and end, and each
    step's states as Tekton recorded them in the TaskRuns' status."""
    uid = run["metadata"]["uid"]
    outcome = "succeeded" if _succeeded(run) else "failed"
    ids = {f"{uid}.started", f"{uid}.{outcome}"}
    for tr in app.task_runs(run["metadata"]["name"]).values():
        tr_uid = tr["metadata"]["uid"]
        for step in tr["status"].get("steps", []):
            term = step.get("terminated") or {}
            if "Skipped" in (step.get("terminationReason"), term.get("reason")):
                ids.add(f"{tr_uid}.{step['name']}.skipped")
                continue
            end = "succeeded" if term.get("exitCode") == 0 else "failed"
            ids |= {f"{tr_uid}.{step['name']}.started", f"{tr_uid}.{step['name']}.{end}"}
    return ids


def _succeeded(run: Obj) -> bool:
    cond = next(c for c in run["status"]["conditions"] if c["type"] == "Succeeded")
    return bool(cond["status"] == "True")


def test_limit_1_runs_one_at_a_time_in_arrival_order_and_observer_restart_loses_nothing(
    setup: Setup, orchestrator: Orchestrator
) -> None:
    app, stack = setup.app, setup.stack
    orchestrator.fake.plan = lambda: finishes("COMPLETED", after=3, total=3)
    recorder = Recorder(setup)
    order = ["first", "second", "third"]
    try:
        for instance in order:
            status, answer = app.send({**FIELDS, "instance": instance})
            assert status == 202, answer
            wait_for(
                lambda i=instance: i in setup.runs_by_instance(),
                timeout=30,
                interval=0.2,
                what=f"the run of {instance}",
            )
            # The gate orders by creationTimestamp (seconds), then by what it saw
            # first; a restarted observer has only the timestamp and the name.
            threading.Event().wait(1.1)

        # Restart the observer while the first run is active and two are pending.
        old = wait_for(lambda: _observer_pod(stack, setup.ns), timeout=60, what="observer pod")
        wait_for(
            lambda: (setup.runs_by_instance()["first"].get("status") or {}).get("startTime"),
            timeout=60,
            what="the first run to start",
        )
        stack.cluster.delete("v1", "Pod", old["metadata"]["name"], setup.ns)
        wait_for(
            lambda: (
                (p := _observer_pod(stack, setup.ns))
                and p["metadata"]["uid"] != old["metadata"]["uid"]
            ),
            timeout=90,
            what="a new observer pod",
        )

        finished = {
            i: app.wait_finished(setup.runs_by_instance()[i]["metadata"]["name"]) for i in order
        }
    finally:
        recorder.stop()

    for run in finished.values():
        assert _succeeded(run), app.describe(run["metadata"]["name"])
    starts = [finished[i]["status"]["startTime"] for i in order]
    assert starts == sorted(starts), f"runs did not start in arrival order: {starts}"
    for earlier, later in itertools.pairwise(order):
        assert (
            finished[later]["status"]["startTime"] >= finished[earlier]["status"]["completionTime"]
        )
    assert recorder.max_active == 1, recorder.max_active
    assert not recorder.cancelled, recorder.cancelled
    assert len(orchestrator.fake.posts()) == 3

    # Scenario 4: every run and step event reached the sink, once by its id, across
    # the observer's restart.
    expected = set().union(*(_expected_event_ids(app, r) for r in finished.values()))

    def all_acked() -> bool:
        return expected <= {e.id for e in setup.sink.acked}

    wait_for(all_acked, timeout=90, interval=0.5, what="every event at the sink")
    acked = [e.id for e in setup.sink.acked]
    repeated = {i for i in acked if acked.count(i) > 1}
    assert not repeated, f"delivered more than once: {sorted(repeated)}"
    assert set(acked) == expected, sorted(set(acked) ^ expected)

    # Its /metrics (issue 20): the restarted observer released the second and third
    # run and saw them finish (the first too, if it ended after the restart).
    samples = _observer_metrics(stack, setup.ns)
    assert 2 <= samples[("benchgen_runs_finished_total", (("outcome", "succeeded"),))] <= 3
    assert samples[("benchgen_queue_wait_seconds_count", ())] >= 2
    assert samples[("benchgen_queue_pending_runs", ())] == 0
    delivered = [
        v for (name, _), v in samples.items() if name == "benchgen_cloudevent_deliveries_total"
    ]
    assert sum(delivered) > 0


def test_a_failed_wait_runs_cleanup_through_real_finalizers_and_notifies(
    setup: Setup, orchestrator: Orchestrator
) -> None:
    app, cluster, ns = setup.app, setup.stack.cluster, setup.ns
    labels = {INSTANCE_LABEL: "doomed", "app": "doomed"}
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "doomed", "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "doomed"}},
                "template": {
                    "metadata": {"labels": {"app": "doomed"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 5,
                        "containers": [
                            {
                                "name": "sleep",
                                "image": PAUSE_IMAGE,
                                "imagePullPolicy": "Never",
                            }
                        ],
                    },
                },
            },
        }
    )
    for name, instance, test_label in (
        ("doomed", "doomed", "cleanup"),  # deleted
        ("other-instance", "kept", "cleanup"),  # another run's value: kept
        ("unlabelled", "doomed", "other"),  # not the configured fixed label: kept
    ):
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "labels": {INSTANCE_LABEL: instance, "benchgen.dev/test": test_label},
                },
            }
        )
    # The Deployment's Pod is running, so a Foreground delete waits for the real
    # garbage collector (ReplicaSet, then Pod, then the finalizer).
    wait_for(
        lambda: (cluster.get("apps/v1", "Deployment", "doomed", ns).get("status") or {}).get(
            "readyReplicas"
        ),
        timeout=60,
        what="Deployment doomed ready",
    )
    orchestrator.fake.plan = lambda: finishes("FAILED", after=1, total=2)
    status, answer = app.send({**FIELDS, "instance": "doomed", "submitted_by": "finally"})
    assert status == 202, answer
    run_name = wait_for(
        lambda: (r := setup.runs_by_instance().get("doomed")) and r["metadata"]["name"],
        timeout=30,
        what="the run",
    )
    run = app.wait_finished(run_name)
    assert not _succeeded(run), app.describe(run_name)

    trs = app.task_runs(run_name)
    for task in ("cleanup", "notify", "summary"):
        assert task in trs, sorted(trs)
        cond = next(c for c in trs[task]["status"]["conditions"] if c["type"] == "Succeeded")
        assert cond["status"] == "True", (task, cond, app.describe(run_name))
    cleanup_log = app.step_log(trs["cleanup"], "cleanup")
    assert cluster.get_or_none("apps/v1", "Deployment", "doomed", ns) is None, cleanup_log
    assert not cluster.list_objects("apps/v1", "ReplicaSet", ns, label_selector="app=doomed")
    assert not cluster.list_objects("v1", "Pod", ns, label_selector="app=doomed"), cleanup_log
    assert cluster.get_or_none("v1", "ConfigMap", "doomed", ns) is None
    assert cluster.get_or_none("v1", "ConfigMap", "other-instance", ns) is not None
    assert cluster.get_or_none("v1", "ConfigMap", "unlabelled", ns) is not None

    wait_for(lambda: setup.slack.received, timeout=30, what="the Slack message")
    (message,) = setup.slack.received
    text = yaml.safe_dump(message["body"])
    assert run_name in text and "FAILED" in text, text


# -- the queue: bounded (maxPending), replaced (supersede), visible (/status) -------

STATUS_SECRET = "bench-status"
STATUS_TOKEN = "queue-status-token-0123456789"


class Queue:
    """The gated example with a status API: events in, ``/status`` out."""

    def __init__(self, stack: Stack, app: Deployed, base: str, variant: str) -> None:
        self.stack, self.app, self.base, self.variant = stack, app, base, variant
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))

    def status(self, run: str) -> tuple[int, Obj]:
        auth = {"Authorization": f"Bearer {STATUS_TOKEN}"}
        resp = self.pool.request("GET", f"{self.base}/status/{run}", headers=auth)
        return resp.status, json.loads(resp.data)

    def run_of(self, instance: str) -> Obj:
        def found() -> Obj | None:
            # The label, not the param: without the clean-up no Task reads it.
            for run in self.app.runs():
                if (run["metadata"].get("labels") or {}).get(INSTANCE_LABEL) == instance:
                    return run
            return None

        try:
            return wait_for(found, timeout=30, interval=0.2, what=f"the run of {instance}")
        except TimeoutError:
            raise AssertionError(yaml.safe_dump(self.app.runs())) from None

    def get(self, name: str) -> Obj:
        return self.stack.cluster.get("tekton.dev/v1", "PipelineRun", name, self.app.namespace)


@pytest.fixture(params=["maxPending", "supersede"])
def queue(
    request: pytest.FixtureRequest, real_cluster: Stack, namespace: str, tmp_path: Path
) -> Iterator[Queue]:
    bound = {"maxPending": 1} if request.param == "maxPending" else {"supersede": True}
    with CloudEventSink(host=real_cluster.node_ip) as sink:
        path = _config(tmp_path, sink.url, {"limit": 1, **bound})
        config = yaml.safe_load(path.read_text())
        del config["spec"]["pipeline"]["finally"]  # no clean-up or Slack hook here
        config["spec"]["observe"]["statusApi"] = {
            "auth": {"type": "bearer", "secretRef": {"name": STATUS_SECRET, "key": "token"}}
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        real_cluster.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": STATUS_SECRET, "namespace": namespace},
                "data": {"token": base64.b64encode(STATUS_TOKEN.encode()).decode()},
            }
        )
        app = deploy(real_cluster, namespace, path)
        from tests.cluster.addons import wait_available

        wait_available(real_cluster.cluster, namespace, OBSERVER, timeout=120)
        wait_available(real_cluster.cluster, namespace, f"{NAME}-status", timeout=120)
        service = real_cluster.cluster.get("v1", "Service", f"{NAME}-status", namespace)
        base = f"http://{service['spec']['clusterIP']}:80"
        yield Queue(real_cluster, app, base, request.param)


def test_the_queue_is_bounded_or_superseded_and_visible_in_status(
    queue: Queue, orchestrator: Orchestrator
) -> None:
    """limit 1, three events: the first runs, the second waits (position 1 of 1),
    the third is refused (maxPending 1) or replaces the second (supersede). The
    real Tekton ends the taken-out run Cancelled without a TaskRun; the others
    run to success one after another; /status tells each."""
    app, variant = queue.app, queue.variant
    orchestrator.fake.plan = lambda: finishes("COMPLETED", after=10, total=3)
    runs: dict[str, str] = {}
    for instance in ("first", "second", "third"):
        status, answer = app.send({**FIELDS, "instance": instance})
        assert status == 202, answer
        runs[instance] = queue.run_of(instance)["metadata"]["name"]
        if instance == "first":
            wait_for(
                lambda: "status" not in queue.get(runs["first"])["spec"],
                timeout=60,
                what="the first run released",
            )
        else:
            threading.Event().wait(1.1)  # the next event in a later second

    waiting, out = ("third", "second") if variant == "supersede" else ("second", "third")
    annotation = "benchgen.dev/superseded-by" if variant == "supersede" else "benchgen.dev/refused"
    why = runs["third"] if variant == "supersede" else "queue full (maxPending 1)"
    wait_for(
        lambda: annotation in (queue.get(runs[out])["metadata"].get("annotations") or {}),
        timeout=60,
        what=f"the {out} run taken out of the queue",
    )
    taken = queue.get(runs[out])
    assert taken["metadata"]["annotations"][annotation] == why
    assert taken["spec"]["status"] == "Cancelled"

    code, body = queue.status(runs[waiting])
    assert (code, body["state"], body["queue"]) == (
        202,
        "pending",
        {"position": 1, "length": 1, "key": ""},
    ), body
    code, body = queue.status(runs[out])
    assert (code, body["state"]) == (409, "failed"), body
    if variant == "supersede":
        assert (body["reason"], body["message"]) == ("Superseded", f"superseded by {runs['third']}")
    else:
        assert (body["reason"], body["message"]) == (
            "QueueFull",
            "refused: queue full (maxPending 1)",
        )
    code, body = queue.status(runs["first"])
    assert (code, body["queue"]) == (202, None), body

    # Tekton ends the taken-out run itself (Cancelled), and starts nothing of it.
    ended = app.wait_finished(runs[out], timeout=60)
    cond = next(c for c in ended["status"]["conditions"] if c["type"] == "Succeeded")
    assert (cond["status"], cond["reason"]) == ("False", "Cancelled"), cond
    assert not app.task_runs(runs[out])
    assert queue.status(runs[out])[1]["reason"] in ("QueueFull", "Superseded")

    first = app.wait_finished(runs["first"])
    second = app.wait_finished(runs[waiting])
    assert _succeeded(first) and _succeeded(second), app.describe(runs[waiting])
    assert second["status"]["startTime"] >= first["status"]["completionTime"]
    assert len(orchestrator.fake.posts()) == 2  # the taken-out event submitted nothing
