"""Shared by the tests that run the runtime's long-running commands (``observe``,
``serve``) as real processes against the real API server: a kubeconfig holding a
ServiceAccount token, Tekton's status writes (played by the test, as Tekton's
controllers would write them), what a CloudEvents sink received, and a reader for
a streamed ``/logs`` response."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

from tests.e2e.cluster import Cluster, KubeAPIError, _free_port, wait_for
from tests.e2e.kubelet import create_pod
from tests.e2e.render import Obj
from tests.runtime.observe_sink import CloudEventSink, Received

TEKTON = "tekton.dev/v1"


def token_kubeconfig(
    cluster: Cluster,
    path: Path,
    token: str,
    *,
    namespace: str | None = None,
    server: str | None = None,
) -> Path:
    """A kubeconfig that authenticates with ``token`` (a ServiceAccount's, from
    TokenRequest), as the in-cluster config would; ``server`` points it elsewhere."""
    context: dict[str, str] = {"cluster": "e2e", "user": "sa"}
    if namespace:
        context["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "e2e",
                "cluster": {
                    "server": server or cluster.server,
                    "certificate-authority-data": base64.b64encode(
                        cluster.ca_file.read_bytes()
                    ).decode(),
                },
            }
        ],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "e2e", "context": context}],
        "current-context": "e2e",
    }
    path.write_text(json.dumps(config))
    return path


# -- Tekton's status writes -------------------------------------------------------


def now(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


WAITING: dict[str, Any] = {"waiting": {"reason": "PodInitializing"}}


def running(started: str | None = None) -> dict[str, Any]:
    return {"running": {"startedAt": started or now()}}


def terminated(code: int = 0, at: str | None = None) -> dict[str, Any]:
    at = at or now()
    return {
        "terminated": {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": at,
            "finishedAt": at,
            "containerID": "containerd://" + "1" * 64,
        }
    }


def set_run_condition(
    cluster: Cluster,
    ns: str,
    name: str,
    status: str,
    reason: str,
    message: str = "",
    *,
    start: str = "2025-06-01T10:00:00Z",
    completion: str = "2025-06-01T10:30:00Z",
) -> None:
    """The PipelineRun's ``Succeeded`` condition (and ``completionTime`` once it ended)."""
    st: dict[str, Any] = {
        "startTime": start,
        "conditions": [
            {
                "type": "Succeeded",
                "status": status,
                "reason": reason,
                "message": message,
                "lastTransitionTime": start,
            }
        ],
    }
    if status != "Unknown":
        st["completionTime"] = completion
    cluster.patch(TEKTON, "PipelineRun", name, {"status": st}, ns, subresource="status")


def create_task_run(
    cluster: Cluster,
    ns: str,
    run: str,
    task: str,
    steps: Sequence[str],
    *,
    labels: Mapping[str, str],
    spec: Mapping[str, Any] | None = None,
) -> str:
    """A TaskRun as the PipelineRun reconciler creates it (``<run>-<task>``, the run's
    labels plus Tekton's), and its Pod on the fake node as the TaskRun reconciler
    does; returns the TaskRun's name."""
    name = f"{run}-{task}"
    all_labels = {
        **labels,
        "tekton.dev/pipelineRun": run,
        "tekton.dev/pipelineTask": task,
        "tekton.dev/pipeline": "bench",
    }
    cluster.create(
        {
            "apiVersion": TEKTON,
            "kind": "TaskRun",
            "metadata": {"name": name, "namespace": ns, "labels": all_labels},
            "spec": dict(spec or {"taskRef": {"name": task}}),
        }
    )
    create_pod(cluster, ns, f"{name}-pod", [f"step-{s}" for s in steps], labels=all_labels)
    return name


def _step_state(state: str, start: str) -> dict[str, Any]:
    if state == "waiting":
        return WAITING
    if state == "running":
        return running(start)
    return terminated(0 if state == "succeeded" else 1, start)


def set_steps(
    cluster: Cluster,
    ns: str,
    task_run: str,
    start: str,
    states: Mapping[str, str],
    *,
    done: str | None = None,
    task_spec: Mapping[str, Any] | None = None,
) -> None:
    """The TaskRun's ``status.steps`` (per step: waiting/running/succeeded/failed,
    in Task order) and, with ``done`` ("True"/"False"), its end; ``task_spec`` is
    copied to ``status.taskSpec`` as Tekton does."""
    steps = [
        {"name": step, "container": f"step-{step}", **_step_state(state, start)}
        for step, state in states.items()
    ]
    status: dict[str, Any] = {
        "podName": f"{task_run}-pod",
        "startTime": start,
        "steps": steps,
        "conditions": [
            {
                "type": "Succeeded",
                "status": done or "Unknown",
                "reason": {"True": "Succeeded", "False": "Failed"}.get(done or "", "Running"),
                "lastTransitionTime": start,
            }
        ],
    }
    if task_spec is not None:
        status["taskSpec"] = dict(task_spec)
    if done:
        status["completionTime"] = start
    cluster.patch(TEKTON, "TaskRun", task_run, {"status": status}, ns, subresource="status")


# -- what the sink received ---------------------------------------------------------


def seen(events: list[Received]) -> list[tuple[str, str, str]]:
    """(short type, subject, id) of each event: the exact sequence a test asserts."""
    return [
        (e.type.removeprefix("dev.benchgen.").removesuffix(".v1"), e.subject, e.id) for e in events
    ]


# -- /logs ---------------------------------------------------------------------------


class LogReader:
    """Reads a /logs response in a thread, as `curl -N` would."""

    def __init__(self, resp: urllib3.BaseHTTPResponse) -> None:
        self.resp = resp
        self.data = b""
        self.error: Exception | None = None
        self.ended = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for chunk in self.resp.stream(4096):
                with self._lock:
                    self.data += chunk
        except Exception as exc:  # a cut transfer
            self.error = exc
        finally:
            self.ended.set()

    def text(self) -> str:
        with self._lock:
            return self.data.decode()

    def wait_for(self, expected: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.text().endswith(expected):
            if time.monotonic() > deadline or self.ended.is_set():
                raise AssertionError(
                    f"log stream is {self.text()!r}, expected it to end with {expected!r}"
                )
            time.sleep(0.05)


def open_logs(pool: urllib3.PoolManager, url: str, run: str, token: str) -> LogReader:
    """GET /logs/<run> with a bearer token; asserts a chunked text stream began."""
    resp = pool.request(
        "GET",
        f"{url}/logs/{run}",
        headers={"Authorization": f"Bearer {token}"},
        preload_content=False,
        timeout=urllib3.Timeout(connect=5, read=60),
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert resp.headers["Transfer-Encoding"] == "chunked"
    return LogReader(resp)


# -- the observer as a subprocess (test_observe, test_concurrency) -------------

SELECTOR = "benchgen.dev/benchmark=sast"
LABELS = {"benchgen.dev/benchmark": "sast"}
POLLER = Path(sys.executable).with_name("benchgen-poller")

# The contract's RBAC (docs/runtime-interface.md), and nothing more.
OBSERVER_RULES = [
    {
        "apiGroups": ["tekton.dev"],
        "resources": ["pipelineruns", "taskruns"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]


def grant(cluster: Cluster, ns: str, sa_ns: str, rules: list[dict[str, Any]]) -> None:
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "benchgen-observer", "namespace": ns},
            "rules": rules,
        }
    )
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "benchgen-observer", "namespace": ns},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "benchgen-observer",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "observer", "namespace": sa_ns}],
        }
    )


class ObserverProcess:
    """``benchgen-poller observe`` as a subprocess; its output goes to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = int(env["BENCHGEN_HEALTH_PORT"])
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> ObserverProcess:
        self.starts += 1
        out = self.log_path.open("ab")
        out.write(f"--- start {self.starts}\n".encode())
        out.flush()
        self.proc = subprocess.Popen(
            [str(POLLER), "observe"], env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        wait_for(lambda: self.probe("/readyz") == 200 or self._dead(), timeout=60, what="readyz")
        assert self.proc.poll() is None, self.output()
        return self

    def _dead(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def probe(self, path: str) -> int | None:
        try:
            resp = urllib3.request(
                "GET", f"http://127.0.0.1:{self.port}{path}", timeout=2.0, retries=False
            )
            return resp.status
        except urllib3.exceptions.HTTPError:
            return None

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to finish anything."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Env:
    cluster: Cluster
    ns: str
    sink: CloudEventSink
    kubeconfig: Path
    tmp: Path

    def observer(self, **extra: str) -> ObserverProcess:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")},
            "KUBECONFIG": str(self.kubeconfig),
            "BENCHGEN_NAMESPACES": self.ns,
            "BENCHGEN_SELECTOR": SELECTOR,
            "BENCHGEN_SINK": self.sink.url,
            "BENCHGEN_EVENT_SOURCE": f"/benchgen/{self.ns}/sast",
            "BENCHGEN_HEALTH_PORT": str(_free_port()),
            "BENCHGEN_RESYNC_PERIOD": "2s",
            "BENCHGEN_DELIVERY_TIMEOUT": "3s",
            **extra,
        }
        return ObserverProcess(
            env, self.tmp / f"observer-{len(list(self.tmp.glob('observer-*')))}.log"
        )


@contextlib.contextmanager
def observer_env(cluster: Cluster, namespace: str, tmp: Path) -> Iterator[Env]:
    """ServiceAccount ``observer`` granted ``OBSERVER_RULES`` in ``namespace``, a
    kubeconfig holding its token, and a CloudEvents sink open for the block."""
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "observer", "namespace": namespace},
        }
    )
    grant(cluster, namespace, namespace, OBSERVER_RULES)
    token = cluster.token_for(namespace, "observer", seconds=3600)
    kubeconfig = token_kubeconfig(cluster, tmp / "kubeconfig", token, namespace=namespace)
    with CloudEventSink() as sink:
        yield Env(cluster, namespace, sink, kubeconfig, tmp)


# -- Tekton's PipelineRun reconciler and the concurrency gate (test_concurrency) ----

KEY = "benchgen.dev/concurrency-key"
PENDING = "PipelineRunPending"


class Tekton:
    """What Tekton's PipelineRun reconciler writes, played by the test."""

    def __init__(self, cluster: Cluster, ns: str) -> None:
        self.c, self.ns = cluster, ns

    def create(self, name: str, key: str | None = None) -> dict[str, Any]:
        labels = dict(LABELS, **({KEY: key} if key else {}))
        return self.create_run(
            {
                "apiVersion": TEKTON,
                "kind": "PipelineRun",
                "metadata": {"name": name, "namespace": self.ns, "labels": labels},
                "spec": {
                    "status": PENDING,
                    "pipelineSpec": {
                        "tasks": [
                            {"name": "t", "taskSpec": {"steps": [{"name": "s", "image": "x:1"}]}}
                        ]
                    },
                },
            }
        )

    def create_run(self, run: dict[str, Any]) -> dict[str, Any]:
        """Create ``run`` (pending) as the listener would, then write what Tekton does."""
        assert run["spec"].get("status") == PENDING, run["spec"]
        pr = self.c.create(run)
        name = pr["metadata"]["name"]
        # reconcile(): pr.IsPending() -> MarkRunning(PipelineRunPending, ...), no startTime.
        self._status(
            name,
            {"conditions": [self._cond("Unknown", PENDING, f'PipelineRun "{name}" is pending')]},
        )
        return pr

    @staticmethod
    def _cond(status: str, reason: str, message: str = "") -> dict[str, str]:
        return {"type": "Succeeded", "status": status, "reason": reason, "message": message,
                "lastTransitionTime": now()}  # fmt: skip

    def _status(self, name: str, status: dict[str, Any]) -> None:
        self.c.patch(TEKTON, "PipelineRun", name, {"status": status}, self.ns, subresource="status")

    def get(self, name: str) -> dict[str, Any] | None:
        return self.c.get_or_none(TEKTON, "PipelineRun", name, self.ns)

    def released(self, name: str) -> bool:
        pr = self.get(name)
        return pr is not None and "status" not in pr["spec"]

    def start(self, name: str) -> None:
        assert self.released(name), f"{name} started while pending"
        self._status(name, {"startTime": now(), "conditions": [self._cond("Unknown", "Running")]})

    def finish(self, name: str, ok: bool = True) -> None:
        self._status(
            name,
            {"completionTime": now(),
             "conditions": [self._cond("True" if ok else "False", "Succeeded" if ok else "Failed")]},
        )  # fmt: skip

    def cancel(self, name: str) -> None:
        # What `tkn pipelinerun cancel` does: spec.status replaced.
        self.c.patch(TEKTON, "PipelineRun", name, {"spec": {"status": "Cancelled"}}, self.ns)


class Recorder:
    """Polls the runs: release order, and the most active at once per key."""

    def __init__(self, cluster: Cluster, ns: str) -> None:
        self.c, self.ns = cluster, ns
        self.order: list[str] = []
        self.max_active: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            active: dict[str, int] = {}
            try:
                runs = self.c.list_objects(TEKTON, "PipelineRun", self.ns)
            except KubeAPIError:  # e.g. 429 while a CRD's storage (re)initializes
                continue
            for pr in runs:
                name = pr["metadata"]["name"]
                done = any(
                    c.get("status") in ("True", "False")
                    for c in (pr.get("status") or {}).get("conditions") or []
                )
                if "status" not in pr["spec"]:
                    if name not in self.order:
                        self.order.append(name)
                    if not done:
                        key = pr["metadata"]["labels"].get(KEY, "")
                        active[key] = active.get(key, 0) + 1
            for key, n in active.items():
                self.max_active[key] = max(self.max_active.get(key, 0), n)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def stays_pending(t: Tekton, *names: str, seconds: float = 1.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name in names:
            pr = t.get(name)
            assert pr is not None and pr["spec"].get("status") in (PENDING, "Cancelled"), name
        time.sleep(0.2)


# -- Flux stand-ins (test_cleanup) --------------------------------------------------


def flux_crd(group: str, version: str, kind: str, plural: str) -> Obj:
    """A stand-in CRD with a Flux kind's group, version and names (Flux itself is not
    installed): enough to create, list and delete such objects."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                      "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [{"name": version, "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": {
                              "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
        },
    }  # fmt: skip


FLUX_FINALIZER = "finalizers.fluxcd.io"
HELMRELEASE_CRD = flux_crd("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases")
