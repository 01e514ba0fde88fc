"""The installed command as a process: start-up cost, import boundaries, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

from tests.runtime.fake_orchestrator import FakeOrchestrator, finishes

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("urllib3", "tenacity", "pydantic", "ruamel", "jinja2", "kubernetes", "yaml")
COMPILER = ("generator.config", "generator.compile", "generator.render", "generator.cli")

PROBE = """
import sys
from generator.runtime.__main__ import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("MODULES=" + ",".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=30,
    )


def modules(proc: subprocess.CompletedProcess[str]) -> set[str]:
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES="))
    return set(line.removeprefix("MODULES=").split(","))


def test_help_imports_nothing_heavy():
    proc = run("--help")
    assert proc.returncode == 0
    assert "exit codes" in proc.stdout
    loaded = modules(proc)
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_a_real_wait_never_loads_the_compiler_or_pydantic(tmp_path):
    with FakeOrchestrator(plan=lambda: finishes("COMPLETED", after=1)) as fake:
        batch = fake.add_batch()
        proc = run(
            "wait", "--interval=0.05s", "--max-interval=0.1s", "--timeout=5s",
            f"--final-status-path={tmp_path / 'final-status'}",
            env={**fake.env(), "BENCHGEN_BATCH_ID": str(batch)},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "final-status").read_text() == "COMPLETED"
    loaded = modules(proc)
    assert "urllib3" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("pydantic", "ruamel", "kubernetes")}
    assert not {m for m in loaded if m.startswith(COMPILER)}


def test_python_dash_m_and_usage_errors_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "generator.runtime", "frobnicate"],
        capture_output=True, text=True, cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_submit_bad_input_is_one_line_not_a_traceback():
    env = {
        "BENCHGEN_ORCHESTRATOR_URL": "http://x",
        "BENCHGEN_BATCH_ENDPOINT": "/a",
        "BENCHGEN_REQUEST_SPEC": json.dumps({"fields": "nope"}),
    }
    proc = run("submit", env=env)
    assert proc.returncode == 2
    err = [x for x in proc.stderr.splitlines() if not x.startswith("MODULES=")]
    assert err == [
        "benchgen-poller submit: error: BENCHGEN_REQUEST_SPEC must be an object"
        ' with a "fields" list'
    ]
