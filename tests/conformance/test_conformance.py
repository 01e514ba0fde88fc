"""Conformance: the upstream Tekton / Triggers / Knative code accepts what we render.

Each golden case (tests/golden/<case>/config.yaml with an expected.yaml) and the
example config are rendered into a temp dir and checked by the Go harness
(tests/conformance/cmd/conformance: strict decode, upstream defaults + Validate,
CRD schemas, the trigger chain run on tests/golden/<case>/events/*.yaml) and by
tekton-lint. The hand-made fixtures under fixtures/ must pass too, and every
negative/<case>/ must fail with exactly the problems in its expected.txt.

Outside CI the tests skip with a how-to when Go (or npm) is missing, or when the
harness is not built yet and BENCHGEN_CONFORMANCE is not set (`make conformance`
sets it and builds). With CI=true they are mandatory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from generator.config.names import ROLE_LABEL
from generator.contract import env as var
from generator.contract.commands import EVENT_KEY, RECORD_REFUSALS
from tests.runtime.fake_refusals_api import FakeApi

pytestmark = pytest.mark.conformance

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOLDEN = ROOT / "tests" / "golden"
HOW = "run `make conformance` (needs Go >= 1.26 and Node >= 20; see tests/conformance/README.md)"
BUILD_TIMEOUT = 45 * 60


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def _may_build() -> bool:
    return _truthy("CI") or _truthy("BENCHGEN_CONFORMANCE")


def _unavailable(reason: str) -> None:
    if _truthy("CI"):
        pytest.fail(f"conformance tests must run in CI but cannot: {reason}", pytrace=False)
    pytest.skip(f"{reason}; {HOW}")


def _example_config() -> Path:
    root = ROOT / "benchmark.yaml.example"
    return root if root.exists() else ROOT / "generator" / "data" / "benchmark.yaml.example"


def rendered_cases() -> list[tuple[str, Path, Path]]:
    """(case id, config, events dir) for every case that renders."""
    cases = [("example", _example_config(), GOLDEN / "example" / "events")]
    for config in sorted(GOLDEN.glob("*/config.yaml")):
        case = config.parent
        if (case / "errors.txt").exists():
            continue  # a config that must not render
        cases.append((case.name, config, case / "events"))
    return cases


def negative_cases() -> list[Path]:
    return sorted(p for p in (HERE / "negative").iterdir() if p.is_dir())


def fixture_cases() -> list[Path]:
    return sorted(p for p in (HERE / "fixtures").iterdir() if p.is_dir())


@pytest.fixture(scope="session")
def harness() -> Path:
    override = os.environ.get("BENCHGEN_CONFORMANCE_BIN")
    if override:
        return Path(override)
    if shutil.which("go") is None:
        _unavailable("Go is not installed")
    cmd = ["bash", str(HERE / "build.sh")]
    if not _may_build():
        cmd.append("--cached-only")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    if proc.returncode == 4:
        _unavailable("the Go harness is not built yet (it takes ~10 min cold)")
    if proc.returncode != 0:
        pytest.fail(f"building the conformance harness failed:\n{proc.stderr}", pytrace=False)
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def tekton_lint() -> Path:
    lint = HERE / "node_modules" / ".bin" / "tekton-lint"
    if lint.exists():
        return lint
    if shutil.which("npm") is None:
        _unavailable("npm is not installed")
    if not _may_build():
        _unavailable("tekton-lint is not installed (npm ci in tests/conformance)")
    proc = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0 or not lint.exists():
        pytest.fail(f"npm ci in tests/conformance failed:\n{proc.stderr}", pytrace=False)
    return lint


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _interceptor_server(
    command: str, env: Mapping[str, str], log: Path | None = None
) -> Iterator[str]:
    """`benchgen-poller COMMAND` on loopback while the block runs: its URL. Its stderr
    (one line per request) goes to ``log`` when given."""
    port, health = _free_port(), _free_port()
    env = {**os.environ, **env, var.PORT: str(port), var.HEALTH_PORT: str(health)}
    with open(log or os.devnull, "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator.runtime", command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{health}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"benchgen-poller {command} did not start", pytrace=False)
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def interceptor_url() -> Iterator[str]:
    """`benchgen-poller event-key` on loopback: the listeners' deduplicating namespaced
    Interceptor, called by Triggers' own sink code in the harness's trigger chain."""
    with _interceptor_server(EVENT_KEY.name, {}) as url:
        yield url


@dataclass(frozen=True)
class Recorder:
    url: str
    log: Path  # its stderr: a line per checkpoint call, "... event <id> at <check>"


REFUSALS_NAMESPACE = "default"
REFUSALS_CONFIGMAP = "conformance-refusals"


@pytest.fixture(scope="session")
def refusals_recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """The real `benchgen-poller record-refusals` on loopback (the webhook listener's
    checkpoints when recordRefusals is on), its Kubernetes API a loopback fake. Events
    settle only after 30 s, so in a session it answers and logs, and rarely writes."""
    tmp = tmp_path_factory.mktemp("record-refusals")
    with FakeApi(REFUSALS_CONFIGMAP) as api:
        api.create_config_map(REFUSALS_NAMESPACE, REFUSALS_CONFIGMAP)
        env = {
            var.NAMESPACE: REFUSALS_NAMESPACE,
            var.REFUSALS_CONFIGMAP: REFUSALS_CONFIGMAP,
            "KUBECONFIG": str(api.kubeconfig(tmp / "kubeconfig")),
            # Run in a pod (CI), the in-cluster config would win over KUBECONFIG.
            "KUBERNETES_SERVICE_HOST": "",
        }
        log = tmp / "stderr.log"
        with _interceptor_server(RECORD_REFUSALS.name, env, log) as url:
            yield Recorder(url, log)


def interceptor_urls(manifests: Path, servers: Mapping[str, str]) -> list[str]:
    """``NAME=URL`` for each rendered Interceptor: the URL of the server for its role.

    An Interceptor carries no role label, but the Service its clientConfig names selects
    its pods by ``benchgen.dev/role``, the runtime command serving it (event-key,
    record-refusals): the same link a cluster follows to reach it."""
    docs = [
        d for f in sorted(manifests.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d
    ]
    roles = {
        d["metadata"]["name"]: d["spec"].get("selector", {}).get(ROLE_LABEL)
        for d in docs
        if d.get("kind") == "Service"
    }
    urls = []
    for d in docs:
        if d.get("kind") != "Interceptor":
            continue
        name = d["metadata"]["name"]
        role = roles.get(d["spec"]["clientConfig"]["service"]["name"])
        assert isinstance(role, str) and role in servers, (
            f"Interceptor {name}: no server for role {role!r}"
        )
        urls.append(f"{name}={servers[role]}")
    return urls


def run_harness(
    harness: Path,
    manifests: list[str],
    events: Path | None,
    interceptor: str | list[str] | None = None,
) -> tuple[int, list[str]]:
    """``interceptor``: one bare URL (every namespaced Interceptor) or a list of
    ``--interceptor-url`` values (``NAME=URL`` each)."""
    cmd = [str(harness)]
    if events is not None and events.is_dir():
        cmd += ["--events", str(events)]
    for url in [interceptor] if isinstance(interceptor, str) else interceptor or []:
        cmd += ["--interceptor-url", url]
    proc = subprocess.run(cmd + manifests, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode not in (0, 1):
        pytest.fail(f"harness usage error ({proc.returncode}):\n{proc.stderr}", pytrace=False)
    return proc.returncode, [line for line in proc.stdout.splitlines() if line.strip()]


def _results_read(spec: dict[str, object]) -> dict[str, set[str]]:
    """Pipeline task name -> the results of it that the Pipeline reads."""
    read: dict[str, set[str]] = {}
    for task, result in re.findall(r"\$\(tasks\.([^.)]+)\.results\.([^.)\[]+)", json.dumps(spec)):
        read.setdefault(task, set()).add(result)
    return read


def _custom_task_stubs(files: list[Path]) -> list[Path]:
    """tekton-lint knows no custom tasks (a ``taskRef`` with an ``apiVersion`` and no
    name: it reports the task missing and crashes on it). So, for lint only, each
    of benchgen's custom tasks becomes a reference to a Task declaring exactly the
    params and results the contract gives it (contract.customtask and the
    commands' results): lint then still checks that the Pipeline passes and reads
    them consistently. Tekton's own validation (the harness) sees the real thing."""
    from generator.contract import commands, customtask

    results = {customtask.SUBMIT_KIND: commands.SUBMIT, customtask.WAIT_KIND: commands.WAIT}
    out, stubs = [], {}
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        changed = False
        for doc in docs:
            if not doc or doc.get("kind") != "Pipeline":
                continue
            read = _results_read(doc["spec"])
            for task in doc["spec"].get("tasks", []):
                ref = task.get("taskRef") or {}
                if ref.get("resolver"):
                    # Likewise a resolver reference (the user's own Task, not fetched
                    # here): a Task declaring the params passed and the results read.
                    name = f"resolved-{task['name']}"
                    declared = [{"name": r} for r in sorted(read.get(task["name"], ()))]
                elif ref.get("apiVersion") == customtask.API_VERSION:
                    name = f"custom-task-{ref['kind'].lower()}"
                    declared = [{"name": r.name} for r in results[ref["kind"]].results]
                else:
                    continue
                task["taskRef"] = {"name": name, "kind": "Task"}
                params = [{"name": p["name"], "type": "string"} for p in task.get("params", [])]
                stubs[name] = {
                    "apiVersion": "tekton.dev/v1",
                    "kind": "Task",
                    "metadata": {"name": name},
                    "spec": {
                        "params": params,
                        "results": declared,
                        # The controller reads every param: so does the stub.
                        "steps": [
                            {
                                "name": "stub",
                                "image": "stub:1",
                                "command": ["true"],
                                "env": [
                                    {"name": f"P{i}", "value": f"$(params.{p['name']})"}
                                    for i, p in enumerate(params)
                                ],
                            }
                        ],
                    },
                }
                changed = True
        if changed:
            path = path.with_name(f"lint-{path.name}")
            path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        out.append(path)
    if stubs:
        stub_file = files[0].with_name("lint-custom-task-stubs.yaml")
        stub_file.write_text(yaml.safe_dump_all(list(stubs.values()), sort_keys=False))
        out.append(stub_file)
    return out


def run_lint(lint: Path, files: list[Path]) -> list[str]:
    """tekton-lint problems (errors and warnings), one line each."""
    files = _custom_task_stubs(files)
    proc = subprocess.run(
        [str(lint), "--config", str(HERE), "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=HERE,
    )
    if "No tekton definitions can be found" in proc.stdout + proc.stderr:
        return []  # nothing for tekton-lint to look at (e.g. Knative/CronJob only)
    try:
        problems = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"tekton-lint output is not JSON:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return [
        f"{Path(p['path']).name}:{p['loc']['startLine']}: {p['level']}: {p['message']} ({p['rule']})"
        for p in problems
    ]


def render(config: Path, out: Path) -> list[Path]:
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "render", str(config), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"benchgen render {config} failed:\n{proc.stderr}"
    files = sorted(out.glob("*.yaml"))
    assert files, f"benchgen render {config} wrote nothing"
    return files


def with_cluster(config: Path, out: Path) -> list[Path]:
    """Add what the cluster already has (tests/golden/<case>/cluster/*.yaml: the user's own
    Tasks that spec.pipeline.tasks names) to the rendered directory, as if applied with it,
    so that Tekton's checks see the Task each pipeline task references."""
    added = []
    for source in sorted((config.parent / "cluster").glob("*.yaml")):
        target = out / f"cluster-{source.name}"
        shutil.copyfile(source, target)
        added.append(target)
    if added:
        kustomization = out / "kustomization.yaml"
        text = kustomization.read_text().rstrip("\n") + "\n"
        kustomization.write_text(text + "".join(f"- {f.name}\n" for f in added))
    return added


# The record-refusals case: for each sample event, the checks its checkpoint calls name,
# in order (the check that comes next; "the end" after the last one). Its log must show
# exactly these, so the case cannot pass without the calls reaching the recorder.
CHECKPOINTS = {
    "signed-push": ["verify-github", "validate-payload", "delivery-key", "the end"],
    "bad-signature": ["verify-github"],
    "wrong-type": ["verify-github", "validate-payload"],
}


def checkpoints_logged(log: Path, events: Path) -> dict[str, list[str]]:
    """Event file stem -> the checks named in the recorder's log lines for its event
    (the harness gives each event the id ``conformance-<stem>``)."""
    logged: dict[str, list[str]] = {}
    for stem in (f.stem for f in sorted(events.glob("*.yaml"))):
        pattern = re.compile(rf'"POST /" 200 event conformance-{re.escape(stem)} at (.+)$', re.M)
        logged[stem] = pattern.findall(log.read_text())
    return logged


@pytest.mark.parametrize(("case", "config", "events"), rendered_cases(), ids=lambda v: str(v))
def test_rendered_case(
    case: str,
    config: Path,
    events: Path,
    harness: Path,
    tekton_lint: Path,
    interceptor_url: str,
    refusals_recorder: Recorder,
    tmp_path: Path,
) -> None:
    files = render(config, tmp_path / "out")
    outcomes = {
        m.group(1)
        for f in events.glob("*.yaml")
        for m in [re.search(r"^expect:\s*(accepted|rejected)\s*$", f.read_text(), re.M)]
        if m
    }
    assert outcomes == {"accepted", "rejected"}, (
        f"{case} needs sample events that are accepted and ones that are rejected in "
        f"{events.relative_to(ROOT)}/*.yaml (format in tests/conformance/README.md); "
        f"found: {sorted(outcomes) or 'none'}"
    )
    cluster = with_cluster(config, tmp_path / "out")
    servers = {EVENT_KEY.name: interceptor_url, RECORD_REFUSALS.name: refusals_recorder.url}
    urls = interceptor_urls(tmp_path / "out", servers)
    rc, problems = run_harness(harness, [str(tmp_path / "out")], events, urls)
    assert problems == [], "conformance problems:\n" + "\n".join(problems)
    assert rc == 0
    if case == "record-refusals":
        assert checkpoints_logged(refusals_recorder.log, events) == CHECKPOINTS
    lint = run_lint(tekton_lint, [f for f in files if f.name != "kustomization.yaml"] + cluster)
    assert lint == [], "tekton-lint problems:\n" + "\n".join(lint)


def test_stream_output_is_checked_too(harness: Path, interceptor_url: str, tmp_path: Path) -> None:
    """`benchgen render CONFIG` (one YAML stream on stdout) gets the same verdict (the
    example's webhook chain ends at its event-key interceptor, for deduplication)."""
    stream = subprocess.run(
        [sys.executable, "-m", "generator.cli", "render", str(_example_config())],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    ).stdout
    path = tmp_path / "stream.yaml"
    path.write_text(stream)
    rc, problems = run_harness(harness, [str(path)], GOLDEN / "example" / "events", interceptor_url)
    assert problems == [], "\n".join(problems)
    assert rc == 0


@pytest.mark.parametrize("case", fixture_cases(), ids=lambda p: p.name)
def test_fixture_passes(case: Path, harness: Path, tekton_lint: Path) -> None:
    rc, problems = run_harness(harness, [str(case / "manifests.yaml")], case / "events")
    assert problems == [], "\n".join(problems)
    assert rc == 0
    lint = run_lint(tekton_lint, [case / "manifests.yaml"])
    assert lint == [], "\n".join(lint)


def expected_patterns(case: Path) -> list[re.Pattern[str]]:
    lines = (case / "expected.txt").read_text().splitlines()
    return [re.compile(line) for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("case", negative_cases(), ids=lambda p: p.name)
def test_negative_case_fails_precisely(case: Path, harness: Path) -> None:
    patterns = expected_patterns(case)
    assert patterns, f"{case}/expected.txt has no regex"
    rc, problems = run_harness(harness, [str(case / "manifests.yaml")], case / "events")
    assert rc == 1, f"the harness accepted {case.name}"
    missing = [p.pattern for p in patterns if not any(p.search(line) for line in problems)]
    unexpected = [line for line in problems if not any(p.search(line) for p in patterns)]
    assert not missing and not unexpected, (
        f"expected (regex) but not reported: {missing}\n"
        f"reported but not expected: {unexpected}\nall output:\n" + "\n".join(problems)
    )


def test_expressions_agree_with_go(harness: Path) -> None:
    """benchgen's verdicts on patterns, field paths and CESQL filters are Go's (issue 14).

    expressions.yaml holds them; tests/test_expressions.py checks benchgen gives
    them. Here every accepted pattern is compiled with Go's regexp and run through
    Triggers' CEL interceptor on each listed value, field paths are parsed by
    cel-go, CESQL filters by the CloudEvents Go SDK (Knative's parser), and each
    refused entry is as Go sees it (go: invalid or go: valid).
    """
    proc = subprocess.run(
        [str(harness), "--expressions", str(HERE / "expressions.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    problems = [line for line in proc.stdout.splitlines() if line.strip()]
    assert problems == [], "Go disagrees with benchgen:\n" + "\n".join(problems)
    assert proc.returncode == 0, proc.stderr


OVERLAY_BUILDS = sorted((ROOT / "tests" / "plugin" / "expected").glob("*.yaml"))


@pytest.mark.parametrize("build", OVERLAY_BUILDS, ids=lambda p: p.stem)
def test_overlay_build(build: Path, harness: Path, interceptor_url: str, tekton_lint: Path) -> None:
    """Each overlay as kustomize builds it (tests/plugin checks these files equal real builds).

    The overlays patch benchgen's output (listener resources, labels), so the
    result is checked again, with the example's sample events: every overlay
    keeps the base's params contract and webhook secret.
    """
    rc, problems = run_harness(
        harness, [str(build)], GOLDEN / "example" / "events", interceptor_url
    )
    assert problems == [], "conformance problems:\n" + "\n".join(problems)
    assert rc == 0
    lint = run_lint(tekton_lint, [build])
    assert lint == [], "tekton-lint problems:\n" + "\n".join(lint)
