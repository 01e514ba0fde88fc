"""What the look-up before the first POST costs a real `benchgen-poller submit`.

`submit` given BENCHGEN_IDEMPOTENCY_KEY (the TaskRun uid) reads the batch list
before its first POST (issue 14: a Tekton retry or a re-created pod must not
create a second batch). This measures a real process against the fake
orchestrator (tests/runtime/fake_orchestrator.py, loopback HTTP) holding N
batches of other runs: list requests, bytes read, wall time (median) and peak
RSS, against the same submit without a key (no look-up). The fake's own work
(building N DTOs in Python) is part of the wall time; a real orchestrator
answers one page with one SELECT.

Needs GNU time (/usr/bin/time). Run: `python bench/submit_lookup_bench.py` (options: --sizes 0,1000,... --runs N).
"""

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from multiprocessing.connection import Connection
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.runtime.submitter import LIST_PAGE_SIZE  # noqa: E402
from tests.runtime.conftest import SPEC  # noqa: E402
from tests.runtime.fake_orchestrator import FakeOrchestrator  # noqa: E402

KEY = "5f0c4a7e-0000-4000-8000-000000000001"
PARAMS = {
    "BENCHGEN_PARAM_DVC_DATA_VERSION": "v1.0.0",
    "BENCHGEN_PARAM_PROMPTS_VERSION": "v1.1.0",
    "BENCHGEN_PARAM_KNOWN_NON_ISSUES_VERSION": "v1.2.0",
    "BENCHGEN_PARAM_IMAGE_VERSION": "v2.1.0",
    "BENCHGEN_PARAM_SUBMITTED_BY": "eventlistener-webhook",
}


def command() -> list[str]:
    exe = shutil.which("benchgen-poller")
    return [exe] if exe else [sys.executable, "-m", "generator.runtime"]


def serve(n: int, conn: Connection) -> None:
    """The fake with n batches, in its own process: the measured submit is started by
    a small parent (a child's peak RSS counts what it inherited at fork)."""
    with FakeOrchestrator() as fake:
        for i in range(n):
            fake.add_batch(submittedBy=f"eventlistener-webhook (run other-{i:08d})")
        conn.send((fake.url, fake.endpoint))
        while conn.recv() == "lists":
            conn.send(
                sum(1 for r in fake.requests if r.method == "GET" and r.path == fake.endpoint)
            )


def listed_bytes(url: str) -> int:
    """Bytes of the list answers one look-up reads (every page to the short one)."""
    total, page = 0, 0
    while True:
        with urllib.request.urlopen(f"{url}?page={page}&size={LIST_PAGE_SIZE}") as resp:
            body = resp.read()
        total += len(body)
        if len(json.loads(body)) < LIST_PAGE_SIZE:
            return total
        page += 1


def one_submit(base: str, endpoint: str, key: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one real submit process."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BENCHGEN_ORCHESTRATOR_URL": base,
        "BENCHGEN_BATCH_ENDPOINT": endpoint,
        **PARAMS,
        "BENCHGEN_REQUEST_SPEC": json.dumps(SPEC, sort_keys=True, separators=(",", ":")),
        "BENCHGEN_IDEMPOTENCY_KEY": key,
    }
    with tempfile.TemporaryDirectory() as tmp:
        args = ["submit", "--timeout=1m", f"--batch-id-path={tmp}/id"]
        # GNU time forks the command from itself: a child of this (larger) process
        # would report the RSS it inherited at fork as its peak.
        timer = ["/usr/bin/time", "-f", "%M", "-o", f"{tmp}/rss"]
        start = time.perf_counter()
        subprocess.run([*timer, *command(), *args], env=env, check=True, cwd=ROOT, stdout=DEVNULL)
        wall = time.perf_counter() - start
        rss_kb = int(Path(tmp, "rss").read_text().split()[-1])
    return wall, rss_kb / 1024


def measure(n: int, runs: int) -> tuple[str, ...]:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(n, child))
    server.start()
    try:
        base, endpoint = parent.recv()
        size = listed_bytes(base + endpoint)
        plain = [one_submit(base, endpoint, "") for _ in range(runs)]
        parent.send("lists")
        before = parent.recv()
        # A new key per run: every run reads the whole list, then posts.
        keyed = [one_submit(base, endpoint, f"{KEY[:-4]}{i:04d}") for i in range(runs)]
        parent.send("lists")
        lists = (parent.recv() - before) / runs
    finally:
        parent.send("stop")
        server.join()
    return (
        f"{n:,}",
        f"{lists:g}",
        f"{size / 1e6:.2f} MB",
        f"{statistics.median(w for w, _ in plain) * 1000:.0f} ms",
        f"{statistics.median(w for w, _ in keyed) * 1000:.0f} ms",
        f"{max(r for _, r in plain):.1f} MB",
        f"{max(r for _, r in keyed):.1f} MB",
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,1000,10000,50000")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    header = (
        "batches in the orchestrator",
        "list requests",
        "list bytes",
        "submit, no key",
        "submit, key (look-up first)",
        "peak RSS, no key",
        "peak RSS, key",
    )
    rows = [measure(int(n), a.runs) for n in a.sizes.split(",")]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
