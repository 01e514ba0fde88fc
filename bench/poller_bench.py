"""Benchmark of `benchgen-poller wait` against the seed's fixed 30-second curl loop.

Part 1 (simulated time): batches that finish after about 10 minutes, 1 hour and
8 hours, served by the fake orchestrator (tests/runtime/fake_orchestrator.py)
over real loopback HTTP. The server's batch progress and the poller's sleeps
run on one FakeClock, so an 8-hour batch takes a second or two. For each
duration and seed, the same batch is watched twice: by the poller and by the
seed's loop (GET, then `sleep 30`, until a terminal status). Reported: requests
made, and delay between the batch finishing and the watcher noticing.

Part 2 (real time): peak memory (max RSS, from wait4) of a real
`benchgen-poller wait` process that polls a batch to completion, and the wall
time of `benchgen-poller --help`.

Run: `python bench/poller_bench.py` (or `make bench`). Options: --trials N.
"""

import argparse
import contextlib
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.runtime.wait import WaitOptions, run_wait  # noqa: E402
from tests.runtime.fake_orchestrator import (  # noqa: E402
    TERMINAL,
    FakeClock,
    FakeOrchestrator,
    ScriptedPlan,
    TimedPlan,
    View,
)

SEED_INTERVAL = 30.0
CASES = (("10 min", 600.0, 24), ("1 hour", 3600.0, 120), ("8 hours", 28800.0, 480))


@dataclass
class Run:
    requests: int
    delay: float


def poller_run(duration: float, jobs: int, seed: int, interval: float, max_interval: float) -> Run:
    clock = FakeClock()
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(TimedPlan(duration=duration, total=jobs, seed=seed))
        end = clock.monotonic() + duration
        opts = WaitOptions(
            interval=interval,
            max_interval=max_interval,
            timeout=duration * 2 + 3600,
            fail_on=frozenset({"FAILED", "CANCELLED"}),
            on_unknown="fail",
            request_timeout=10.0,
            not_found_grace=120.0,
            error_budget=900.0,
        )
        env = {**fake.env(), "BENCHGEN_BATCH_ID": str(batch)}
        with contextlib.redirect_stdout(io.StringIO()):
            code = run_wait(opts, env, clock)
        assert code == 0, code
        return Run(len(fake.gets(batch)), clock.monotonic() - end)


def seed_loop_run(duration: float, jobs: int, seed: int) -> Run:
    """The seed's loop: curl the batch, grep the status, sleep 30, repeat."""
    import json

    import urllib3

    clock = FakeClock()
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(TimedPlan(duration=duration, total=jobs, seed=seed))
        end = clock.monotonic() + duration
        pool = urllib3.PoolManager()
        url = f"{fake.url}{fake.endpoint}/{batch}"
        while json.loads(pool.request("GET", url).data)["status"] not in TERMINAL:
            clock.sleep(SEED_INTERVAL)
        return Run(len(fake.gets(batch)), clock.monotonic() - end)


def simulate(trials: int, interval: float, max_interval: float) -> list[tuple[str, ...]]:
    rows = []
    rng = random.Random(42)
    for label, nominal, jobs in CASES:
        ours, theirs = [], []
        for t in range(trials):
            # A finish time that is not a multiple of 30 s: the loop's phase varies.
            duration = nominal + rng.uniform(0, 60)
            ours.append(poller_run(duration, jobs, t, interval, max_interval))
            theirs.append(seed_loop_run(duration, jobs, t))
        req_o = statistics.mean(r.requests for r in ours)
        req_t = statistics.mean(r.requests for r in theirs)
        rows.append(
            (
                label,
                f"{req_t:.0f}",
                f"{req_o:.0f}",
                f"{req_t / req_o:.1f}x",
                f"{statistics.mean(r.delay for r in theirs):.1f}",
                f"{statistics.mean(r.delay for r in ours):.1f}",
                f"{max(r.delay for r in ours):.1f}",
            )
        )
    return rows


def command() -> list[str]:
    exe = shutil.which("benchgen-poller")
    return [exe] if exe else [sys.executable, "-m", "generator.runtime"]


def peak_rss_mb() -> tuple[float, int]:
    """Max RSS of a real `benchgen-poller wait` polling a batch to COMPLETED."""
    steps = [View("PROCESSING")] + [View("PROCESSING", 10, i, 0) for i in range(10)]
    with (
        FakeOrchestrator(plan=lambda: ScriptedPlan([*steps, View("COMPLETED", 10, 10, 0)])) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        batch = fake.add_batch()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **fake.env(),
            "BENCHGEN_BATCH_ID": str(batch),
        }
        args = ["wait", "--interval=0.05s", "--max-interval=0.05s", "--timeout=30s"]
        args += [f"--{n}-path={tmp}/{n}" for n in ("final-status", "total-jobs")]
        proc = subprocess.Popen([*command(), *args], env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0, proc.returncode
        assert Path(tmp, "final-status").read_text() == "COMPLETED"
        return usage.ru_maxrss / 1024, len(fake.gets(batch))


def startup_ms(argv: list[str], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = " | ".join(f"{{:>{w}}}" for w in widths)
    lines = [fmt.format(*header), "-+-".join("-" * w for w in widths)]
    return "\n".join([*lines, *(fmt.format(*r) for r in rows)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10, help="batches per duration (10)")
    ap.add_argument("--interval", type=float, default=10.0, help="--interval, seconds (10)")
    ap.add_argument("--max-interval", type=float, default=600.0, help="--max-interval, s (600)")
    a = ap.parse_args()

    started = time.perf_counter()
    print(
        f"Simulated batches, {a.trials} per duration; poller --interval {a.interval:g}s"
        f" --max-interval {a.max_interval:g}s; seed loop: fixed {SEED_INTERVAL:g}s\n"
    )
    header = (
        "batch",
        "requests (30s loop)",
        "requests (poller)",
        "fewer",
        "mean delay s (30s loop)",
        "mean delay s (poller)",
        "max delay s (poller)",
    )
    print(table(header, simulate(a.trials, a.interval, a.max_interval)))

    rss, polls = peak_rss_mb()
    bare = startup_ms([sys.executable, "-c", "pass"])
    help_ms = startup_ms([*command(), "--help"])
    print()
    print(
        table(
            ("process", "figure"),
            [
                (f"`benchgen-poller wait` peak RSS ({polls} polls)", f"{rss:.1f} MB"),
                ("`benchgen-poller --help` wall time (median)", f"{help_ms:.0f} ms"),
                ("bare `python -c pass` (reference)", f"{bare:.0f} ms"),
            ],
        )
    )
    print(f"\n(bench ran in {time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
