"""Pod mode against controller mode (`spec.poll.mode`, issue 18) for 1, 100 and
1,000 concurrent 8-hour batches, in the same run.

The batches: all submitted at the same moment, each running 8 h +- 30 min
(uniform; TimedPlan, 480 lumpy jobs on 8 workers, a seed per batch), served by
the fake orchestrator (tests/runtime/fake_orchestrator.py) over loopback HTTP
on a simulated clock. Batch i is the same in both modes and in every size.
Both modes poll with the example's settings (interval 10s, maxInterval 10m).

Pod mode, as the Pipeline's Tasks run it: per batch a submit pod (one look-up
of the list by the TaskRun's uid, one POST) and a wait pod polling until the
end. It is simulated in this process, not with N processes: a Submitter and a
Poller per batch (the modules `submit` and `wait` run), all on one clock, each
poll made when that batch's own schedule says, so the orchestrator receives
what N `benchgen-poller wait` processes would send. The 1-batch case is also
watched by the real `wait` loop (run_wait) and must give the same polls and
delay. Memory: N x the peak RSS of a real `benchgen-poller wait` process,
measured in a fresh process (bench/fresh.py).

Controller mode: the real reconciler of `benchgen-poller custom-tasks` in a
fresh child process (bench/custom_tasks_child.py, started through
bench/fresh.py's launcher, so its peak RSS is its own), against the fake
orchestrator in this process; the two share the simulated clock through a
memory-mapped file. The child also plays Tekton and the API server
(see its docstring), so its memory and CPU are upper bounds of the controller's.
CPU share = the child's CPU seconds (user + system, start-up included) divided
by the simulated seconds it covered: the share of one core it needs in real
time.

Reported per size and mode: pods and pod-hours (a wait pod lives from its
start until it notices the end; submit pods live seconds, counted as 0 h here;
the controller is one pod, always on, stated apart), orchestrator requests
from the fake's log (POST / list pages / GETs of one batch), memory held while
waiting, CPU, and the detection delay (batch end -> noticed): mean, median,
maximum. Targets: zero pod-hours for waiting; at 1,000 batches the controller
under 100 MB and under 5% of one core; its delay no worse than pod mode's.

Run: `python bench/custom_tasks_bench.py` (or `make bench`); --sizes 1,100.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import custom_tasks_child as child  # noqa: E402
from fresh import floor, run_fresh  # noqa: E402
from poller_bench import peak_rss_mb  # noqa: E402

from generator.contract import customtask as ct  # noqa: E402
from generator.contract import request  # noqa: E402
from generator.contract.commands import SUBMIT  # noqa: E402
from generator.contract.env import param_env  # noqa: E402
from generator.runtime.args import duration  # noqa: E402
from generator.runtime.http import Unavailable  # noqa: E402
from generator.runtime.orchestrator import Orchestrator  # noqa: E402
from generator.runtime.poller import Poller, WaitOptions, parse_fail_on  # noqa: E402
from generator.runtime.request import build_body  # noqa: E402
from generator.runtime.retry import Deadline, RetryOptions  # noqa: E402
from generator.runtime.submitter import Submitter  # noqa: E402
from generator.runtime.wait import run_wait  # noqa: E402
from tests.runtime.conftest import SPEC  # noqa: E402
from tests.runtime.fake_orchestrator import (  # noqa: E402
    FakeClock,
    FakeOrchestrator,
    Received,
    TimedPlan,
)

HOUR = 3600.0
NOMINAL, SPREAD, JOBS = 8 * HOUR, 0.5 * HOUR, 480
SPEC_JSON = json.dumps(SPEC, sort_keys=True, separators=(",", ":"))
RSS_TARGET_MB, CPU_TARGET = 100.0, 0.05


def batch_plan(i: int) -> TimedPlan:
    """Batch i: the same in every size and mode."""
    length = NOMINAL + random.Random(1000 + i).uniform(-SPREAD, SPREAD)
    return TimedPlan(duration=length, total=JOBS, seed=i)


def wait_options() -> WaitOptions:
    """`wait`'s options in both modes: the example's interval and maxInterval, the
    flags' defaults for the rest (the Wait custom task's params default the same)."""
    return WaitOptions(
        interval=duration(child.INTERVAL, "interval"),
        max_interval=duration(child.MAX_INTERVAL, "max-interval"),
        timeout=duration(child.TIMEOUT, "timeout"),
        fail_on=parse_fail_on(ct.wait_default("fail-on")),
        on_unknown=ct.wait_default("on-unknown-status"),
        request_timeout=duration(ct.wait_default("request-timeout"), "request-timeout"),
        not_found_grace=duration(ct.wait_default("not-found-grace"), "not-found-grace"),
        error_budget=duration(ct.wait_default("error-budget"), "error-budget"),
    )


@dataclass
class Mode:
    """One mode at one size."""

    delays: list[float]  # per batch, in batch order
    requests: Counter[str]
    pods: int
    wait_pod_hours: float
    span: float  # simulated seconds from the submits to the last end noticed
    finals: Counter[str]
    peak_mb: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def kind(r: Received, endpoint: str) -> str:
    if r.method == "POST":
        return "POST"
    return "list" if r.path == endpoint else "GET"


def ends(fake: FakeOrchestrator) -> list[float]:
    """When each batch ended, in batch order (ids are given in submit order)."""
    batches = [fake.batches[i] for i in sorted(fake.batches)]
    return [b.created_at + b.plan.duration for b in batches]  # type: ignore[attr-defined]


def pod_mode(n: int) -> Mode:
    started = time.perf_counter()
    clock = FakeClock(child.START)
    plans = iter(batch_plan(i) for i in range(n))
    opts = wait_options()
    with FakeOrchestrator(clock=clock, plan=lambda: next(plans)) as fake:
        # One client for all "pods": the same requests, without N connections.
        api = Orchestrator(fake.url + fake.endpoint)
        fields = request.decode(SPEC_JSON)
        env = {param_env(k): v for k, v in child.PARAMS.items()}
        pollers = []
        for i in range(n):
            uid = f"taskrun-uid-{i}"  # BENCHGEN_IDEMPOTENCY_KEY: the submit TaskRun's uid
            submitter = Submitter(
                api,
                build_body(fields, env, uid),
                uid,
                look_first=True,
                deadline=Deadline(RetryOptions.defaults(SUBMIT), clock),
            )
            with contextlib.redirect_stdout(io.StringIO()):  # the pod's log
                batch = submitter.attempt()
            pollers.append(Poller(api, batch.batch_id, opts, clock, clock.monotonic()))
        due = [(clock.monotonic(), i) for i in range(n)]
        noticed: dict[int, float] = {}
        finals: Counter[str] = Counter()
        while due:
            at, i = heapq.heappop(due)
            clock.sleep(at - clock.monotonic())
            poller = pollers[i]
            try:
                outcome = poller.poll()
            except Unavailable as exc:
                heapq.heappush(due, (clock.monotonic() + poller.next_delay(exc), i))
                continue
            if outcome is None:
                heapq.heappush(due, (clock.monotonic() + poller.next_delay(None), i))
                continue
            assert outcome.exit_code == 0, outcome
            noticed[i] = clock.monotonic()
            finals[outcome.final_status] += 1
        end_times = ends(fake)
        requests = Counter(kind(r, fake.endpoint) for r in fake.requests)
    return Mode(
        delays=[noticed[i] - end_times[i] for i in range(n)],
        requests=requests,
        pods=2 * n,
        wait_pod_hours=sum(noticed[i] - pollers[i].start for i in range(n)) / HOUR,
        span=max(noticed.values()) - child.START,
        finals=finals,
        wall_s=time.perf_counter() - started,
    )


def real_wait_loop() -> tuple[int, float]:
    """Batch 0 watched by the real `wait` loop (tenacity and all): GETs and delay."""
    clock = FakeClock(child.START)
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(batch_plan(0))
        env = {**fake.env(), "BENCHGEN_BATCH_ID": str(batch)}
        with contextlib.redirect_stdout(io.StringIO()):
            assert run_wait(wait_options(), env, clock) == 0
        return len(fake.gets(batch)), clock.monotonic() - ends(fake)[0]


def controller_mode(n: int) -> Mode:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        clock = child.SharedClock.create(f"{tmp}/clock", child.START)
        plans = iter(batch_plan(i) for i in range(n))
        with FakeOrchestrator(clock=clock, plan=lambda: next(plans)) as fake:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "BENCHGEN_REQUEST_SPEC": SPEC_JSON,
            }
            argv = [sys.executable, str(ROOT / "bench" / "custom_tasks_child.py")]
            argv += [str(n), fake.url + fake.endpoint, f"{tmp}/clock", f"{tmp}/out"]
            usage = run_fresh(argv, env=env, cwd=ROOT)
            assert usage.code == 0, f"the controller child exited {usage.code}"
            seen = json.loads(Path(tmp, "out").read_text())
            end_times = ends(fake)
            ids = sorted(fake.batches)
            requests = Counter(kind(r, fake.endpoint) for r in fake.requests)
    noticed = [seen["noticed"][str(i)] for i in ids]
    return Mode(
        delays=[t - e for t, e in zip(noticed, end_times, strict=True)],
        requests=requests,
        pods=1,
        wait_pod_hours=0.0,
        span=seen["end"] - seen["start"],
        finals=Counter(seen["final"].values()),
        peak_mb=usage.peak_mb,
        cpu_s=usage.cpu_s,
        wall_s=time.perf_counter() - started,
        extra={
            "vmhwm_mb": seen["vmhwm_kb"] / 1024,
            "after_imports_mb": seen["after_imports_kb"] / 1024,
            "log_lines": seen["log_lines"],
            "relists": seen["relists"],
            "relist_cpu_s": seen["relist_cpu_s"],
        },
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = " | ".join(f"{{:>{w}}}" for w in widths)
    lines = [fmt.format(*header), "-+-".join("-" * w for w in widths)]
    return "\n".join([*lines, *(fmt.format(*r) for r in rows)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,100,1000", help="batch counts (1,100,1000)")
    sizes = [int(s) for s in ap.parse_args().sizes.split(",")]
    started = time.perf_counter()

    wait_peaks, _ = peak_rss_mb(runs=3)
    wait_mb = statistics.median(wait_peaks)
    results: dict[int, tuple[Mode, Mode]] = {}
    # Pod mode runs in a forked worker, side by side with the controller (its own
    # process, and the fake it polls in this one): on two cores that saves about a
    # third of the time. Forked here, before any server thread exists.
    with multiprocessing.get_context("fork").Pool(1) as pool:
        for n in sizes:
            pending = pool.apply_async(pod_mode, (n,))
            ctl = controller_mode(n)
            pod = pending.get()
            assert ctl.finals == pod.finals and sum(ctl.finals.values()) == n, (
                pod.finals,
                ctl.finals,
            )
            results[n] = (pod, ctl)
            if n == 1:
                # The simulation of pod mode polls as the real `wait` loop does.
                gets, delay = real_wait_loop()
                assert (pod.requests["GET"], pod.delays[0]) == (gets, delay), (pod, gets, delay)

    print(
        f"{', '.join(f'{n:,}' for n in sizes)} concurrent batches of 8 h +- 30 min"
        f" ({JOBS} jobs each), interval {child.INTERVAL}, maxInterval {child.MAX_INTERVAL};"
        " simulated time\n"
    )
    header = (
        "batches",
        "mode",
        "pods",
        "pod-hours waiting",
        "requests POST / list / GET",
        "memory while waiting",
        "CPU, share of 1 core",
        "delay s: mean",
        "median",
        "max",
    )
    rows = []
    for n, (pod, ctl) in results.items():
        for name, mode in (("pod", pod), ("controller", ctl)):
            r = mode.requests
            if name == "pod":
                memory = f"{n:,} x {wait_mb:.1f} MB = {n * wait_mb:,.0f} MB"
                cpu = ""
            else:
                memory = f"{mode.peak_mb:.1f} MB (1 process)"
                cpu = (
                    f"{mode.cpu_s:.1f} s / {mode.span / HOUR:.1f} h = {mode.cpu_s / mode.span:.3%}"
                )
            rows.append(
                (
                    f"{n:,}",
                    name,
                    f"{mode.pods:,}",
                    f"{mode.wait_pod_hours:,.0f}",
                    f"{r['POST']:,} / {r['list']:,} / {r['GET']:,}",
                    memory,
                    cpu,
                    f"{statistics.mean(mode.delays):.1f}",
                    f"{statistics.median(mode.delays):.1f}",
                    f"{max(mode.delays):.1f}",
                )
            )
    print(table(header, rows))

    print(
        "\npod mode: a submit pod and a wait pod per batch (submit pods live seconds, counted"
        f" as 0 h); memory: the median peak RSS of {len(wait_peaks)} real `benchgen-poller wait`"
        f" processes, {min(wait_peaks):.1f}-{max(wait_peaks):.1f} MB, per wait pod."
    )
    for n, (pod, ctl) in results.items():
        x = ctl.extra
        print(
            f"controller, {n:,} batches: its own pod for the {ctl.span / HOUR:.2f} h simulated;"
            f" peak RSS {ctl.peak_mb:.1f} MB (wait4; its VmHWM {x['vmhwm_mb']:.1f} MB), of which"
            f" {x['after_imports_mb']:.1f} MB once its modules are loaded; CPU {ctl.cpu_s:.1f} s, of"
            f" which {x['relist_cpu_s']:.1f} s the {x['relists']} relists of the stand-in API"
            f" server; {x['log_lines']:,} log lines; wall {ctl.wall_s:.0f} s (pod mode {pod.wall_s:.0f} s)"
        )
    print(f"(any process measured through the launcher shows at least {floor():.1f} MB)")

    print("\ntargets:")
    largest = max(results)
    pod, ctl = results[largest]
    same = all(
        abs(a - b) < 1e-6
        for p, c in results.values()
        for a, b in zip(p.delays, c.delays, strict=True)
    )
    checks = [
        (
            "zero pod-hours for waiting (controller)",
            all(c.wait_pod_hours == 0 for _, c in results.values()),
        ),
        (
            f"controller RSS < {RSS_TARGET_MB:g} MB at {largest:,} batches",
            ctl.peak_mb < RSS_TARGET_MB,
        ),
        (
            f"controller CPU < {CPU_TARGET:.0%} of one core at {largest:,} batches",
            ctl.cpu_s / ctl.span < CPU_TARGET,
        ),
        (
            "controller delay no worse than pod mode (mean and max, every size)",
            all(
                statistics.mean(c.delays) <= statistics.mean(p.delays) + 1e-6
                and max(c.delays) <= max(p.delays) + 1e-6
                for p, c in results.values()
            ),
        ),
    ]
    for text, ok in checks:
        print(f"  {text}: {'met' if ok else 'NOT MET'}")
    print(f"  (every batch noticed at the same moment in both modes: {'yes' if same else 'no'})")
    print(f"\n(bench ran in {time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
