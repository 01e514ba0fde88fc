"""The controller side of bench/custom_tasks_bench.py, run as its own fresh process.

`python bench/custom_tasks_child.py N URL CLOCK OUT` drives the real
:class:`~generator.runtime.customtasks.reconcile.Reconciler` through N batches
against the fake orchestrator at URL (in the bench's process) on a simulated
clock shared through the memory-mapped file CLOCK, then writes what it saw to
OUT (JSON). It imports what `benchgen-poller custom-tasks` imports (its
modules, the kubernetes client its ApiClient loads, the probe server), so the
peak RSS and CPU time of this process stand for the controller's.

It also plays the parts around the controller, in memory: Tekton (a Submit
CustomRun per batch at the start, a Wait CustomRun with the batch id once the
Submit succeeded) and the API server (stores the CustomRuns, refuses a stale
resourceVersion, sends each write back as a watch event; the informer's relist
every RESYNC seconds is a JSON round trip of every object). Those parts cost
memory and CPU a real controller does not spend, so the figures are upper
bounds. Steps run in place, one at a time (the real process runs them on
BENCHGEN_MAX_REQUESTS worker threads; on a simulated clock the order is the
same and nothing waits on the network).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.runtime.fake_customruns import CustomRunStore, ended, results  # noqa: E402

START = 1000.0  # simulated seconds, as FakeClock starts
EPOCH = 1_790_000_000  # wall time of START, for the status timestamps
TIMEOUT = "10h0m0s"  # each CustomRun's spec.timeout: batches run 7.5-8.5 h
# The example's poll settings (benchmark.yaml.example: poll.interval, maxInterval).
INTERVAL, MAX_INTERVAL = "10s", "10m"
PARAMS = {
    "dvc-data-version": "v1.0.0",
    "prompts-version": "v1.1.0",
    "known-non-issues-version": "v1.2.0",
    "image-version": "v2.1.0",
    "submitted-by": "bench",
}


class SharedClock:
    """Simulated seconds in 8 bytes of a memory-mapped file: the controller advances
    it, the fake orchestrator in the other process reads it. Every request is
    answered before the clock moves again, so no read races a write."""

    def __init__(self, path: str) -> None:
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), 8)

    @staticmethod
    def create(path: str, start: float) -> SharedClock:
        Path(path).write_bytes(struct.pack("d", start))
        return SharedClock(path)

    def monotonic(self) -> float:
        return float(struct.unpack_from("d", self._map)[0])

    def sleep(self, seconds: float) -> None:
        struct.pack_into("d", self._map, 0, self.monotonic() + max(0.0, seconds))


class ApiServer(CustomRunStore):
    """The CustomRuns (tests/runtime/fake_customruns.py), noting when each Wait run ended."""

    def __init__(self, clock: SharedClock) -> None:
        super().__init__(on_write=self._noticed)
        self.clock = clock
        self.noticed: dict[str, float] = {}  # batch id -> when its Wait run ended
        self.final: dict[str, str] = {}  # batch id -> final-status

    def _noticed(self, obj: dict[str, Any]) -> None:
        if obj["metadata"]["name"].startswith("wait-") and ended(obj):
            batch = _param(obj, "batch-id")
            self.noticed[batch] = self.clock.monotonic()
            self.final[batch] = results(obj).get("final-status", "?")


def _param(obj: dict[str, Any], name: str) -> str:
    return str(next(p["value"] for p in obj["spec"]["params"] if p["name"] == name))


def run(n: int, url: str, clock_path: str) -> dict[str, Any]:
    # What `benchgen-poller custom-tasks` has loaded once it runs (kube.api_client
    # imports the kubernetes client; the probes are bounded_http's).
    import kubernetes.client
    import kubernetes.config  # noqa: F401

    import generator.runtime.customtasks as command
    from generator.contract import customtask as ct
    from generator.contract import request
    from generator.runtime.bounded_http import ProbeServer  # noqa: F401
    from generator.runtime.customtasks.reconcile import Reconciler
    from generator.runtime.orchestrator import Orchestrator

    after_imports_kb = _status_kb("VmRSS")
    clock = SharedClock(clock_path)
    server = ApiServer(clock)
    log_lines = 0
    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run

    def log(message: str) -> None:
        nonlocal log_lines
        log_lines += 1
        print(f"custom-tasks: {message}", file=devnull, flush=True)

    reconciler = Reconciler(
        store=server,
        api=Orchestrator(url),
        fields=request.decode(os.environ["BENCHGEN_REQUEST_SPEC"]),
        clock=clock,
        wall=lambda: EPOCH + clock.monotonic() - START,
        log=log,
    )
    for i in range(n):
        server.create(f"submit-{i}", ct.SUBMIT_KIND, PARAMS, timeout=TIMEOUT)
    resync_at = clock.monotonic() + command.RESYNC
    relists, relist_cpu = 0, 0.0
    while True:
        wait = reconciler.dispatch_due()
        events, server.events = server.events, []
        for obj in events:
            reconciler.observe(obj)
            name = obj["metadata"]["name"]
            if name.startswith("submit-") and ended(obj):
                # Tekton: the Pipeline's next task starts with the submit's result.
                [cond] = obj["status"]["conditions"]
                assert cond["status"] == "True", cond
                wait_params = {
                    "batch-id": results(obj)["batch-id"],
                    "interval": INTERVAL,
                    "max-interval": MAX_INTERVAL,
                }
                wait_name = "wait-" + name.removeprefix("submit-")
                server.create(wait_name, ct.WAIT_KIND, wait_params, timeout=TIMEOUT)
        if events:
            continue
        if reconciler.active() == 0:
            break
        now = clock.monotonic()
        if now + wait >= resync_at:
            clock.sleep(resync_at - now)
            cpu = time.process_time()
            for obj in json.loads(json.dumps(list(server.objs.values()))):
                reconciler.observe(obj)
            relist_cpu += time.process_time() - cpu
            resync_at += command.RESYNC
            relists += 1
            continue
        clock.sleep(wait)
    return {
        "start": START,
        "end": clock.monotonic(),
        "noticed": server.noticed,
        "final": server.final,
        "log_lines": log_lines,
        "relists": relists,
        "relist_cpu_s": relist_cpu,
        "after_imports_kb": after_imports_kb,
        # This process's own peak RSS since exec: a cross-check of wait4's.
        "vmhwm_kb": _status_kb("VmHWM"),
    }


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    n, url, clock_path, out = sys.argv[1:5]
    Path(out).write_text(json.dumps(run(int(n), url, clock_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
