"""How much benchgen adds to a `kustomize build` (run by `make bench`).

Compares medians, in the same run, of:
  static  kustomize build of the already-rendered manifests (no plugin)
  cold    the same objects through the benchgen plugin, render cache off
          (what the first build after a change costs)
  warm    the plugin answering from its render cache (nothing changed)
and times rendering 10, 100 and 1,000 objects in-process (emission dominates).
Targets (issue 6): cold adds <= 150 ms, warm adds <= 20 ms, 1,000 objects < 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "21"))


def medians_ms(runs: dict[str, tuple[list[str], dict[str, str]]], cwd: Path) -> dict[str, float]:
    """Median wall time of each command, sampled round-robin.

    Interleaving puts every variant under the same load: on a machine shared
    with other work, measuring one variant after another lets a burst of load
    land on one of them and shift the difference the targets are about.
    """
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(RUNS):
        for name, (cmd, env) in runs.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def render_scaling() -> list[tuple[int, float]]:
    from generator.render.emit import dump_stream
    from generator.render.pipeline import render_bytes

    manifests = render_bytes((ROOT / "benchmark.yaml.example").read_bytes(), "x").manifests
    out = []
    for count in (10, 100, 1000):
        objects = [manifests[i % len(manifests)] for i in range(count)]
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            dump_stream(objects, "bench")
            samples.append((time.perf_counter() - start) * 1000)
        out.append((count, statistics.median(samples)))
    return out


def main() -> int:
    kustomize = tools.ensure_kustomize()
    if kustomize is None:
        print("kustomize is not available (needs Go): skipping the plugin benchmark")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = tools.plugin_env(work / "xdg", work / "cache")
        static = work / "static"
        subprocess.run(
            [sys.executable, "-m", "generator.cli", "render", "-o", str(static)],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        generated = work / "generated"
        generated.mkdir()
        (generated / "benchmark.yaml").write_bytes((ROOT / "benchmark.yaml.example").read_bytes())
        (generated / "kustomization.yaml").write_text("generators:\n  - benchmark.yaml\n")

        build = [str(kustomize), "build", "--enable-alpha-plugins"]
        subprocess.run(
            [*build, str(generated)], env=env, check=True, capture_output=True
        )  # warm the cache
        load_before = os.getloadavg()[0]
        medians = medians_ms(
            {
                "static": ([*build, str(static)], env),
                "warm": ([*build, str(generated)], env),
                "cold": ([*build, str(generated)], {**env, "BENCHGEN_NO_CACHE": "1"}),
            },
            work,
        )
        static_ms, warm_ms, cold_ms = medians["static"], medians["warm"], medians["cold"]
        load_after = os.getloadavg()[0]

    print(
        f"kustomize {tools.KUSTOMIZE_VERSION}, {RUNS} runs each (interleaved), medians;"
        f" 1-min load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs:"
    )
    print(f"  static build of the rendered objects   {static_ms:7.1f} ms")
    print(
        f"  benchgen plugin, warm (cache hit)      {warm_ms:7.1f} ms   adds {warm_ms - static_ms:+6.1f} ms (target <= 20)"
    )
    print(
        f"  benchgen plugin, cold (no cache)       {cold_ms:7.1f} ms   adds {cold_ms - static_ms:+6.1f} ms (target <= 150)"
    )
    print("rendering (in-process YAML emission), medians of 5:")
    for count, ms in render_scaling():
        print(f"  {count:5d} objects   {ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
