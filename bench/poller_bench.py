"""Benchmark of `benchgen-poller wait` against the seed's fixed 30-second curl loop.

Part 1 (simulated time): batches that finish after about 10 minutes, 1 hour and
8 hours, served by the fake orchestrator (tests/runtime/fake_orchestrator.py)
over real loopback HTTP. The server's batch progress and the poller's sleeps
run on one FakeClock, so an 8-hour batch takes a second or two. For each
duration and seed, the same batch is watched twice: by the poller and by the
seed's loop (GET, then `sleep 30`, until a terminal status). Reported: requests
made, and delay between the batch finishing and the watcher noticing (mean,
and the spread: minimum, median, maximum).

One more 8-hour case reports no job counts until it ends (the orchestrator may
leave them null): nothing predicts its end, so the poller caps its delay
(poller._BLIND_CAP; target: mean delay <= 60 s). It finishes 0-600 s after the
nominal time, a whole --max-interval, so the end falls at every phase of the
poll schedule; it is also watched with the cap lifted (the schedule before it).

Part 2 (real time): peak memory of a real `benchgen-poller wait` process that
polls a batch to completion, measured in a fresh process (bench/fresh.py: a
child of the bench process would report the bench's own high-water mark), and
the wall time of `benchgen-poller --help`; minimum, median and maximum of
several runs.

Run: `python bench/poller_bench.py` (or `make bench`). Options: --trials N.
"""

import argparse
import contextlib
import io
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import floor, run_fresh  # noqa: E402

from generator.runtime import poller  # noqa: E402
from generator.runtime.poller import WaitOptions  # noqa: E402
from generator.runtime.wait import run_wait  # noqa: E402
from tests.runtime.fake_orchestrator import (  # noqa: E402
    TERMINAL,
    FakeClock,
    FakeOrchestrator,
    ScriptedPlan,
    TimedPlan,
    View,
)

SEED_INTERVAL = 30.0
BLIND_TARGET = 60.0  # mean delay, seconds, for a batch without counts


@dataclass(frozen=True)
class Case:
    label: str
    nominal: float  # seconds
    jobs: int
    spread: float  # the batch ends 0..spread seconds after nominal
    counts: bool = True  # False: counts stay null until the end


CASES = (
    Case("10 min", 600.0, 24, 60.0),
    Case("1 hour", 3600.0, 120, 60.0),
    Case("8 hours", 28800.0, 480, 60.0),
    Case("8 hours, no counts", 28800.0, 480, 600.0, counts=False),
)


@dataclass
class Run:
    requests: int
    delay: float


def plan(case: Case, duration: float, seed: int) -> TimedPlan:
    # counts_after = duration: null counts while it runs, the final ones at the end.
    after = 30.0 if case.counts else duration
    return TimedPlan(duration=duration, total=case.jobs, seed=seed, counts_after=after)


def poller_run(batch_plan: TimedPlan, interval: float, max_interval: float) -> Run:
    clock = FakeClock()
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(batch_plan)
        end = clock.monotonic() + batch_plan.duration
        opts = WaitOptions(
            interval=interval,
            max_interval=max_interval,
            timeout=batch_plan.duration * 2 + 3600,
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


def seed_loop_run(batch_plan: TimedPlan) -> Run:
    """The seed's loop: curl the batch, grep the status, sleep 30, repeat."""
    import json

    import urllib3

    clock = FakeClock()
    with FakeOrchestrator(clock=clock) as fake:
        batch = fake.add_batch(batch_plan)
        end = clock.monotonic() + batch_plan.duration
        pool = urllib3.PoolManager()
        url = f"{fake.url}{fake.endpoint}/{batch}"
        while json.loads(pool.request("GET", url).data)["status"] not in TERMINAL:
            clock.sleep(SEED_INTERVAL)
        return Run(len(fake.gets(batch)), clock.monotonic() - end)


@contextlib.contextmanager
def no_blind_cap() -> Iterator[None]:
    """The schedule before the cap: a batch without counts backs off to --max-interval."""
    saved = poller._BLIND_CAP
    poller._BLIND_CAP = math.inf
    try:
        yield
    finally:
        poller._BLIND_CAP = saved


def spread(values: Sequence[float]) -> tuple[str, str, str, str]:
    """mean, min, median, max, one decimal."""
    return tuple(  # type: ignore[return-value]
        f"{v:.1f}"
        for v in (statistics.mean(values), min(values), statistics.median(values), max(values))
    )


def simulate(
    trials: int, interval: float, max_interval: float
) -> tuple[list[tuple[str, ...]], float]:
    """The table's rows, and the mean delay of the poller for the batch without counts."""
    rows: list[tuple[str, ...]] = []
    blind_mean = math.nan
    rng = random.Random(42)
    for case in CASES:
        # A finish time that is not a multiple of the poll period: the phase varies.
        plans = [plan(case, case.nominal + rng.uniform(0, case.spread), t) for t in range(trials)]
        watchers: list[tuple[str, Callable[[TimedPlan], Run]]] = [
            ("30 s loop", seed_loop_run),
            ("poller", lambda p: poller_run(p, interval, max_interval)),
        ]
        if not case.counts:

            def uncapped(p: TimedPlan) -> Run:
                with no_blind_cap():
                    return poller_run(p, interval, max_interval)

            watchers.append(("poller without the cap (before)", uncapped))
        loop_requests = 0.0
        for name, watch in watchers:
            runs = [watch(p) for p in plans]
            requests = statistics.mean(r.requests for r in runs)
            if name == "30 s loop":
                loop_requests = requests
            fewer = f"{loop_requests / requests:.1f}x" if name != "30 s loop" else ""
            delays = [r.delay for r in runs]
            rows.append((case.label, name, f"{requests:.0f}", fewer, *spread(delays)))
            if name == "poller" and not case.counts:
                blind_mean = statistics.mean(delays)
    return rows, blind_mean


def command() -> list[str]:
    exe = shutil.which("benchgen-poller")
    return [exe] if exe else [sys.executable, "-m", "generator.runtime"]


def peak_rss_mb(runs: int = 5) -> tuple[list[float], int]:
    """Peak RSS of real `benchgen-poller wait` processes polling a batch to COMPLETED,
    each measured in a fresh process (bench/fresh.py); and the polls each made."""
    steps = [View("PROCESSING")] + [View("PROCESSING", 10, i, 0) for i in range(10)]
    peaks, polls = [], 0
    with FakeOrchestrator(
        plan=lambda: ScriptedPlan([*steps, View("COMPLETED", 10, 10, 0)])
    ) as fake:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                batch = fake.add_batch()
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    **fake.env(),
                    "BENCHGEN_BATCH_ID": str(batch),
                }
                args = ["wait", "--interval=0.05s", "--max-interval=0.05s", "--timeout=30s"]
                args += [f"--{n}-path={tmp}/{n}" for n in ("final-status", "total-jobs")]
                usage = run_fresh([*command(), *args], env=env, cwd=ROOT)
                assert usage.code == 0, usage.code
                assert Path(tmp, "final-status").read_text() == "COMPLETED"
                peaks.append(usage.peak_mb)
                polls = len(fake.gets(batch))
    return peaks, polls


def startup_ms(argv: list[str], runs: int = 15) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
    return times


def min_median_max(values: Sequence[float], unit: str, digits: int = 0) -> str:
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{lo:.{digits}f} / {mid:.{digits}f} / {hi:.{digits}f} {unit}"


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
        f"Simulated batches, {a.trials} per case; poller --interval {a.interval:g}s"
        f" --max-interval {a.max_interval:g}s; seed loop: fixed {SEED_INTERVAL:g}s\n"
    )
    header = (
        "batch",
        "watcher",
        "requests (mean)",
        "fewer",
        "delay s: mean",
        "min",
        "median",
        "max",
    )
    rows, blind_mean = simulate(a.trials, a.interval, a.max_interval)
    print(table(header, rows))
    verdict = "met" if blind_mean <= BLIND_TARGET else "NOT MET"
    print(
        f"target for a batch without counts: mean delay <= {BLIND_TARGET:g} s:"
        f" {blind_mean:.1f} s, {verdict}"
    )

    peaks, polls = peak_rss_mb()
    base = floor()
    bare = startup_ms([sys.executable, "-c", "pass"])
    help_ms = startup_ms([*command(), "--help"])
    print()
    print(
        table(
            ("process (min / median / max)", "figure"),
            [
                (
                    f"`benchgen-poller wait` peak RSS ({polls} polls, {len(peaks)} fresh processes)",
                    min_median_max(peaks, "MB", 1),
                ),
                ("(any process measured this way shows at least)", f"{base:.1f} MB"),
                (
                    f"`benchgen-poller --help` wall time ({len(help_ms)} runs)",
                    min_median_max(help_ms, "ms"),
                ),
                (
                    f"bare `python -c pass` (reference, {len(bare)} runs)",
                    min_median_max(bare, "ms"),
                ),
            ],
        )
    )
    print(f"\n(bench ran in {time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
