"""How much benchgen adds to a `kustomize build` (run by `make bench`).

Compares, in the same run, sampled round-robin (minimum, median, maximum):
  static       kustomize build of the already-rendered manifests (no plugin)
  cold         the same objects through the benchgen plugin, render cache off
               (what the first build after a change costs)
  warm         the plugin answering from its render cache (nothing changed)
  warm, warns  the same for a config whose render has warnings (webhook auth
               off): the shell shim prints the stored warnings, then the
               objects; timed against the static build of its own objects
and times the whole `benchgen render CONFIG` process (start-up, load, check,
build, emit to /dev/null) for the example (22 objects) and the example with
schedules added (each one CronJob) up to 100 and 1,000 objects.
Targets (issue 6): cold adds <= 150 ms, warm adds <= 20 ms, 1,000 objects < 1 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "21"))
RENDER_RUNS = 7
EXAMPLE = ROOT / "benchmark.yaml.example"
EXAMPLE_AUTH = """\
      auth:
        type: github
        secretRef:
          name: benchmark-mlop-webhook
          key: token
"""


def samples_ms(
    runs: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, rounds: int
) -> dict[str, list[float]]:
    """Wall times of each command, sampled round-robin.

    Interleaving puts every variant under the same load: on a machine shared
    with other work, measuring one variant after another lets a burst of load
    land on one of them and shift the difference the targets are about.
    """
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (cmd, env) in runs.items():
            start = time.perf_counter()
            subprocess.run(
                cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def spread(values: Sequence[float], digits: int = 1) -> str:
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{lo:.{digits}f} / {mid:.{digits}f} / {hi:.{digits}f}"


def warning_config() -> str:
    """The example with webhook authentication off: renders, with one warning."""
    text = EXAMPLE.read_text()
    assert EXAMPLE_AUTH in text, "the example's webhook auth block moved: update the bench"
    return text.replace(EXAMPLE_AUTH, "      auth: {type: none}\n")


def scaled_config(schedules: int) -> str:
    """The example plus ``schedules`` cron schedules (one CronJob each)."""
    if not schedules:
        return EXAMPLE.read_text()
    values = "{dvc-data-version: v1, prompts-version: v1, known-non-issues-version: v1}"
    items = "".join(
        f'      - {{name: s{i:04d}, cron: "{i % 60} {i % 24} * * *", values: {values}}}\n'
        for i in range(schedules)
    )
    text = EXAMPLE.read_text()
    assert "\n  triggers:\n" in text
    return text.replace("\n  triggers:\n", "\n  triggers:\n    schedule:\n" + items, 1)


def benchgen() -> list[str]:
    exe = shutil.which("benchgen", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "generator.cli"]


def render_process(work: Path) -> list[tuple[int, list[float]]]:
    """Wall time of the whole `benchgen render CONFIG` process, per object count."""
    configs = {}

    def objects_of(schedules: int) -> int:
        path = work / f"scaled-{schedules}.yaml"
        path.write_text(scaled_config(schedules))
        out = subprocess.run([*benchgen(), "render", str(path)], check=True, capture_output=True)
        objects = sum(1 for line in out.stdout.splitlines() if line.startswith(b"kind:"))
        configs[objects] = ([*benchgen(), "render", str(path)], dict(os.environ))
        return objects

    # One CronJob per schedule: the example's own objects, then 100 and 1,000 in all.
    base = objects_of(0)
    for schedules in (100 - base, 1000 - base):
        objects_of(schedules)
    samples = samples_ms({str(n): run for n, run in configs.items()}, work, RENDER_RUNS)
    return [(n, samples[str(n)]) for n in configs]


def main() -> int:
    kustomize = tools.ensure_kustomize()
    if kustomize is None:
        print("kustomize is not available (needs Go): skipping the plugin benchmark")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = tools.plugin_env(work / "xdg", work / "cache")
        build = [str(kustomize), "build", "--enable-alpha-plugins"]
        dirs = {}
        for name, config in (("plain", EXAMPLE.read_text()), ("warns", warning_config())):
            static = work / f"static-{name}"
            source = work / f"{name}.yaml"
            source.write_text(config)
            rendered = subprocess.run(
                [*benchgen(), "render", str(source), "-o", str(static)],
                env=env,
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            if name == "warns":
                assert b"warning" in rendered.stderr, "the warning config renders no warning"
            generated = work / f"generated-{name}"
            generated.mkdir()
            (generated / "benchmark.yaml").write_text(config)
            (generated / "kustomization.yaml").write_text("generators:\n  - benchmark.yaml\n")
            # Warm the cache.
            subprocess.run([*build, str(generated)], env=env, check=True, capture_output=True)
            dirs[name] = (static, generated)
        load_before = os.getloadavg()[0]
        samples = samples_ms(
            {
                "static": ([*build, str(dirs["plain"][0])], env),
                "warm": ([*build, str(dirs["plain"][1])], env),
                "cold": ([*build, str(dirs["plain"][1])], {**env, "BENCHGEN_NO_CACHE": "1"}),
                "static, warns": ([*build, str(dirs["warns"][0])], env),
                "warm, warns": ([*build, str(dirs["warns"][1])], env),
            },
            work,
            RUNS,
        )
        load_after = os.getloadavg()[0]
        render = render_process(work)

    med = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"kustomize {tools.KUSTOMIZE_VERSION}, {RUNS} runs each (interleaved), ms min / median / max;"
        f" 1-min load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs:"
    )
    rows: list[tuple[str, str, str | None, float]] = [
        ("static build of the rendered objects", "static", None, 0),
        ("benchgen plugin, warm (cache hit)", "warm", "static", 20),
        ("benchgen plugin, cold (no cache)", "cold", "static", 150),
        ("static build, warning config", "static, warns", None, 0),
        ("benchgen plugin, warm, warning config", "warm, warns", "static, warns", 20),
    ]
    for label, name, base, target in rows:
        line = f"  {label:<40} {spread(samples[name]):>24} ms"
        if base is not None:
            added = med[name] - med[base]
            verdict = "met" if added <= target else "NOT MET"
            line += f"   adds {added:+6.1f} ms (medians; target <= {target:g}: {verdict})"
        print(line)
    print(
        f"whole `benchgen render CONFIG > /dev/null` process, {RENDER_RUNS} runs each, ms min / median / max:"
    )
    for count, values in render:
        line = f"  {count:5d} objects   {spread(values, 0):>16} ms"
        if count == 1000:
            verdict = "met" if statistics.median(values) < 1000 else "NOT MET"
            line += f"   (median; target < 1000: {verdict})"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
