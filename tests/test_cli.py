"""The benchgen command, run as users run it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import tools
from tests.conftest import EXAMPLE, GOLDEN, ROOT

HEAVY = ("pydantic", "jinja2", "ruamel", "kubernetes")


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def loaded_modules(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    line = proc.stderr.rsplit("MODULES ", 1)[1]
    return {m.split(".")[0] for m in line.split()}


def test_version_imports_nothing_heavy() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("benchgen ")
    assert not loaded_modules("--version") & set(HEAVY)


def test_render_never_imports_kubernetes() -> None:
    modules = loaded_modules("render")
    assert "kubernetes" not in modules
    assert "generator" in modules and "yaml" in modules  # it did render


def test_render_of_a_valid_config_takes_the_fast_path() -> None:
    """No pydantic, no ruamel: the generated lite.py and PyYAML's C parser suffice."""
    assert not loaded_modules("render") & {"pydantic", "pydantic_core", "ruamel"}
    # validate always asks pydantic, and an invalid config falls back to it for the messages.
    assert "pydantic" in loaded_modules("validate", str(EXAMPLE))
    assert "pydantic" in loaded_modules("render", str(GOLDEN / "errors-fields" / "config.yaml"))


def test_console_script_renders_the_example() -> None:
    # The entry point installed beside the interpreter running the tests (the venv's
    # bin/), whether or not that directory is on PATH.
    exe = Path(sys.executable).with_name("benchgen")
    if not exe.exists():
        tools.unavailable(f"{exe} is not installed: pip install -e . into this environment")
    proc = subprocess.run([exe, "render"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (GOLDEN / "example" / "expected.yaml").read_text()


def test_render_embedded_example_equals_the_file() -> None:
    assert run("render").stdout == run("render", str(EXAMPLE)).stdout


def test_render_is_identical_under_any_hash_seed() -> None:
    outputs = {run("render", env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "4242")}
    assert len(outputs) == 1


def test_render_namespace_flag() -> None:
    proc = run("render", "--namespace", "bench")
    assert "namespace: bench\n" in proc.stdout
    assert "http://sast-ai-orchestrator.bench.svc.cluster.local:80" in proc.stdout
    assert "namespace: default" not in proc.stdout


def test_render_to_directory_and_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("render", str(EXAMPLE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files[-1] == "kustomization.yaml"
    assert files[0] == "01-serviceaccount-benchmark-mlop-listener.yaml"
    # 22 objects (8 are the event-key interceptor and its dedup record), + kustomization.yaml
    assert len(files) == 23
    kustomization = (out / "kustomization.yaml").read_text()
    for name in files[:-1]:
        assert f"\n- {name}\n" in kustomization

    assert run("check", str(EXAMPLE), str(out)).returncode == 0

    edited = out / "10-configmap-benchmark-config.yaml"
    edited.write_text(edited.read_text().replace("/api/v1/mlops-batch", "/api/v1/other"))
    (out / "99-stray.yaml").write_text("kind: Stray\n")
    drift = run("check", str(EXAMPLE), str(out))
    assert drift.returncode == 1
    assert (
        "-  api-batch-endpoint: /api/v1/other\n+  api-batch-endpoint: /api/v1/mlops-batch"
        in drift.stdout
    )
    assert "--- " + str(out / "99-stray.yaml") in drift.stdout
    assert "differs from what" in drift.stderr

    # Re-rendering replaces the directory wholesale: the stray file goes.
    assert run("render", str(EXAMPLE), "-o", str(out)).returncode == 0
    assert run("check", str(EXAMPLE), str(out)).returncode == 0
    assert not (out / "99-stray.yaml").exists()


def test_render_error_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("interval: 10s", "interval: soon"))
    out = tmp_path / "out"
    proc = run("render", str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no staging directory left behind

    # An existing render is left untouched by a failed one.
    assert run("render", str(EXAMPLE), "-o", str(out)).returncode == 0
    before = {p.name: p.read_text() for p in out.iterdir()}
    assert run("render", str(bad), "-o", str(out)).returncode == 2
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_render_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    proc = run("render", "-o", str(tmp_path))
    assert proc.returncode == 2
    assert "holds files benchgen did not write" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_validate_reports_located_problems_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text(EXAMPLE.read_text().replace("    maxInterval: 10m", "    maxinterval: 10m"))
    proc = run("validate", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:" in proc.stderr and "spec.poll.maxinterval: unknown field" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe\x00",
        b"a: [\n",
        b"a: 1\na: 2\n",
        b"a:\n\tb: 1\n",
        b"apiVersion: v1\nkind: Pod\n",
    ],
)
def test_bad_files_exit_2_fast(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_bytes(content)
    started = time.monotonic()
    proc = run("validate", str(bad))
    assert time.monotonic() - started < 5  # a generous bound for a loaded CI machine
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{bad}")
    assert "Traceback" not in proc.stderr


def test_alias_bomb_exits_2_within_a_second(tmp_path: Path) -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 30):
        prev = chr(96 + i) if i < 27 else "z" + str(i)
        cur = chr(97 + i) if i < 26 else "z" + str(i + 1)
        lines.append(f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines[:25]) + "\n")
    started = time.monotonic()
    proc = run("validate", str(bomb))
    assert proc.returncode == 2
    assert time.monotonic() - started < 5
    assert "anchors and aliases" in proc.stderr


def test_missing_file_and_usage_errors(tmp_path: Path) -> None:
    proc = run("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{tmp_path / 'nope.yaml'}: no such file")
    assert run("render", "--bogus").returncode == 2
    assert run().returncode == 2


def test_warning_for_unauthenticated_webhook() -> None:
    proc = run("render", str(GOLDEN / "no-auth" / "config.yaml"))
    assert proc.returncode == 0
    assert "benchgen: warning: webhook authentication is off" in proc.stderr
    assert "benchgen.dev/warning: " in proc.stdout


def test_init_writes_a_valid_starter_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "benchmark.yaml"
    assert run("init", str(target)).returncode == 0
    first, _, rest = target.read_text().partition("\n")
    assert first == "# yaml-language-server: $schema=benchmark.schema.json"
    assert rest == EXAMPLE.read_text().partition("\n")[2]
    assert (tmp_path / "benchmark.schema.json").read_text() == (
        ROOT / "schemas" / "benchmark.schema.json"
    ).read_text()
    assert run("validate", str(target)).returncode == 0
    target.write_text("mine")
    proc = run("init", str(target))
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert target.read_text() == "mine"
    assert run("init", str(target), "--force").returncode == 0


def test_schema_check(tmp_path: Path) -> None:
    assert run("schema", "--check").returncode == 0  # the committed schema is current
    assert run("schema", "--check", "--dir", str(tmp_path)).returncode == 1
    assert run("schema", "--dir", str(tmp_path)).returncode == 0
    assert run("schema", "--check", "--dir", str(tmp_path)).returncode == 0


def test_renaming_the_config_is_not_drift(tmp_path: Path) -> None:
    """The output names the Benchmark (metadata.name), never the config's file name."""
    config = tmp_path / "benchmark.yaml"
    config.write_bytes(EXAMPLE.read_bytes())
    out = tmp_path / "deploy"
    assert run("render", str(config), "-o", str(out)).returncode == 0
    moved = tmp_path / "renamed.yaml"
    config.rename(moved)
    proc = run("check", str(moved), str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert run("render", str(moved)).stdout == run("render").stdout


def test_check_against_a_stream_file_or_nothing_is_a_usage_error(tmp_path: Path) -> None:
    stream = tmp_path / "out.yaml"
    stream.write_text(run("render").stdout)
    for target in (stream, tmp_path / "missing"):
        proc = run("check", str(EXAMPLE), str(target))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"benchgen: error: {target}: ")
        assert "check expects the directory that 'benchgen render" in proc.stderr
        assert "-o DIR' writes" in proc.stderr
    assert "is a file" in run("check", str(EXAMPLE), str(stream)).stderr


def schema_of(config: Path) -> tuple[str, dict[str, object]]:
    """The schema a config's first line names, loaded the way yaml-language-server does:
    the value after `$schema=`, relative to the config's own URI, read from disk."""
    import urllib.parse
    import urllib.request

    first = config.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), first
    ref = first.split("$schema=", 1)[1].strip()
    uri = urllib.parse.urljoin(config.resolve().as_uri(), ref)
    assert uri.startswith("file://"), f"{ref} is not a local file: it would not resolve offline"
    return ref, json.loads(
        Path(urllib.request.url2pathname(urllib.parse.urlparse(uri).path)).read_text()
    )


@pytest.mark.parametrize(
    ("schema_arg", "ref"),
    [(None, "benchmark.schema.json"), ("schemas/benchmark.json", "../schemas/benchmark.json")],
)
def test_init_points_the_editor_at_a_schema_that_resolves_offline(
    tmp_path: Path, schema_arg: str | None, ref: str
) -> None:
    import jsonschema
    from ruamel.yaml import YAML

    config = tmp_path / "deploy" / "benchmark.yaml"
    extra = ["--schema", str(tmp_path / schema_arg)] if schema_arg else []
    proc = run("init", str(config), *extra)
    assert proc.returncode == 0, proc.stderr
    found, schema = schema_of(config)
    assert found == ref
    assert schema == json.loads((ROOT / "schemas" / "benchmark.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(YAML(typ="safe").load(config))) == []
    config.write_text(config.read_text().replace("    maxInterval: 10m", "    maxinterval: 10m"))
    errors = [e.message for e in validator.iter_errors(YAML(typ="safe").load(config))]
    assert any("'maxinterval' was unexpected" in e for e in errors), errors


def test_the_repository_example_names_the_committed_schema() -> None:
    """Opened from generator/data/ (where the root's symlink leads), in this repository."""
    ref, schema = schema_of(EXAMPLE.resolve())
    assert ref == "../../schemas/benchmark.schema.json"
    assert schema == json.loads((ROOT / "schemas" / "benchmark.schema.json").read_text())


def test_init_keeps_a_file_that_is_not_its_schema(tmp_path: Path) -> None:
    mine = tmp_path / "benchmark.schema.json"
    mine.write_text("{}\n")
    proc = run("init", str(tmp_path / "benchmark.yaml"))
    assert proc.returncode == 2
    assert "exists and is not benchgen's schema" in proc.stderr
    assert mine.read_text() == "{}\n" and not (tmp_path / "benchmark.yaml").exists()
    # An earlier benchgen's schema is brought up to date.
    old = (ROOT / "schemas" / "benchmark.schema.json").read_text().replace("Benchmark", "Old")
    mine.write_text(old)
    assert run("init", str(tmp_path / "benchmark.yaml")).returncode == 0
    assert mine.read_text() == (ROOT / "schemas" / "benchmark.schema.json").read_text()
