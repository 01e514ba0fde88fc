"""The KRM function over stdin, and the plugin's render cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import EXAMPLE, ROOT

ITEM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep-me  # a comment that must survive
data:
  ratio: '01'
  flag: "yes"
"""


def resource_list(config: str, items: str = ITEM) -> str:
    indented_config = "".join(f"  {line}\n" for line in config.splitlines())
    indented_items = "".join(f"  {line}\n" for line in items.splitlines())
    return (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- "
        + indented_items[2:]
        + "functionConfig:\n"
        + indented_config
    )


def krm(stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_krm_appends_objects_and_passes_items_through() -> None:
    proc = krm(resource_list(EXAMPLE.read_text()))
    assert proc.returncode == 0, proc.stderr
    assert "name: keep-me  # a comment that must survive" in proc.stdout
    assert "ratio: '01'" in proc.stdout and 'flag: "yes"' in proc.stdout
    out = yaml.safe_load(proc.stdout)
    assert out["kind"] == "ResourceList"
    kinds = [item["kind"] for item in out["items"]]
    assert kinds[0] == "ConfigMap" and out["items"][0]["metadata"]["name"] == "keep-me"
    assert kinds[1:].count("Task") == 3 and kinds[-1] == "EventListener"
    assert "results" not in out


def test_krm_reports_problems_with_field_paths_and_exit_1() -> None:
    bad = (
        EXAMPLE.read_text()
        .replace("interval: 10s", "interval: soon")
        .replace("  name: benchmark-mlop\n", "  name: Benchmark\n", 1)
    )
    proc = krm(resource_list(bad))
    assert proc.returncode == 1
    out = yaml.safe_load(proc.stdout)
    assert [i["metadata"]["name"] for i in out["items"]] == ["keep-me"]  # nothing half-generated
    fields = {r["field"]["path"]: r for r in out["results"]}
    assert set(fields) == {"metadata.name", "spec.poll.interval"}
    assert fields["spec.poll.interval"]["severity"] == "error"
    assert "'soon' is not a duration" in fields["spec.poll.interval"]["message"]
    assert "spec.poll.interval" in proc.stderr


def test_krm_warnings_are_results() -> None:
    config = (ROOT / "tests" / "golden" / "no-auth" / "config.yaml").read_text()
    proc = krm(resource_list(config))
    assert proc.returncode == 0
    (result,) = yaml.safe_load(proc.stdout)["results"]
    assert result["severity"] == "warning" and "authentication is off" in result["message"]


def test_krm_without_function_config() -> None:
    proc = krm("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
    assert proc.returncode == 1
    (result,) = yaml.safe_load(proc.stdout)["results"]
    assert result["field"]["path"] == "functionConfig"


def plugin(
    config: Path, cache: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "generator.plugin.fast", str(config)],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "BENCHGEN_CACHE_DIR": str(cache), **(extra_env or {})},
        timeout=60,
    )


def keyed(cache: Path) -> list[Path]:
    """The full-key entries (plain ones, for the shell shim, are tested below)."""
    return [p for p in cache.iterdir() if not p.name.startswith("plain-")]


def test_cache_hits_are_identical_and_never_stale(tmp_path: Path) -> None:
    config = tmp_path / "kustomize-plugin-config-123"
    config.write_text(EXAMPLE.read_text())
    cache = tmp_path / "cache"
    first = plugin(config, cache)
    assert first.returncode == 0
    entries = keyed(cache)
    assert len(entries) == 1
    second = plugin(config, cache)
    assert second.stdout == first.stdout
    # A different temporary name from kustomize is the same answer.
    other = tmp_path / "kustomize-plugin-config-456"
    other.write_text(EXAMPLE.read_text())
    assert plugin(other, cache).stdout == first.stdout
    assert len(keyed(cache)) == 1
    # A changed config is a different key: never a stale answer.
    config.write_text(EXAMPLE.read_text().replace("timeout: 8h\n", "timeout: 7h\n"))
    changed = plugin(config, cache)
    assert changed.stdout != first.stdout and b"- 7h\n" in changed.stdout
    assert len(keyed(cache)) == 2
    # A damaged entry is a miss and is rewritten.
    for entry in keyed(cache):
        entry.write_bytes(b"garbage")
    assert plugin(config, cache).stdout == changed.stdout


def test_cache_keeps_warnings_and_skips_failures(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    config = ROOT / "tests" / "golden" / "no-auth" / "config.yaml"
    first = plugin(config, cache)
    second = plugin(config, cache)
    assert b"authentication is off" in first.stderr and second.stderr == first.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Nope\n")
    assert plugin(bad, cache).returncode == 2
    assert len(keyed(cache)) == 1  # only the good answer


def test_cache_can_be_disabled(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = plugin(EXAMPLE, cache, {"BENCHGEN_NO_CACHE": "1"})
    assert proc.returncode == 0 and not cache.exists()


def plugin_modules(env: dict[str, str], stdin: str | None = None) -> list[str]:
    """Modules loaded by one plugin call on the example (KRM mode when given stdin)."""
    args = [] if stdin is not None else [str(EXAMPLE)]
    code = (
        "import sys\nfrom generator.plugin.fast import main\n"
        f"code = main({args!r})\n"
        "sys.stderr.write(f'EXIT {code} MODULES ' + ' '.join(sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
    )
    assert "EXIT 0 MODULES " in proc.stderr, proc.stderr
    return proc.stderr.rsplit("MODULES ", 1)[1].split()


def test_plugin_never_imports_kubernetes() -> None:
    modules = plugin_modules({"BENCHGEN_NO_CACHE": "1"})
    assert "generator.compile" in modules
    assert not [m for m in modules if m.split(".")[0] == "kubernetes"]


def test_successful_plugin_render_imports_no_pydantic() -> None:
    """The cold path validates with the generated lite.py; pydantic is only for errors."""
    exec_mode = {m.split(".")[0] for m in plugin_modules({"BENCHGEN_NO_CACHE": "1"})}
    assert "generator" in exec_mode and "yaml" in exec_mode  # it did render
    # The legacy plugin needs neither pydantic nor ruamel.yaml (parsed by PyYAML's C parser).
    assert not exec_mode & {"pydantic", "pydantic_core", "ruamel", "kubernetes"}
    krm_mode = plugin_modules({"BENCHGEN_NO_CACHE": "1"}, resource_list(EXAMPLE.read_text()))
    assert not {m.split(".")[0] for m in krm_mode} & {"pydantic", "pydantic_core"}


def test_cache_hit_imports_nothing_heavy(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert plugin(EXAMPLE, cache).returncode == 0
    modules = {m.split(".")[0] for m in plugin_modules({"BENCHGEN_CACHE_DIR": str(cache)})}
    assert not modules & {"pydantic", "ruamel", "yaml", "kubernetes"}


def test_both_shim_forms_answer(tmp_path: Path) -> None:
    """The #! shim, and the /bin/sh one for interpreter paths a #! line cannot hold."""
    from generator.plugin.install import shim_text

    spaced = tmp_path / "a dir" / "python"
    spaced.parent.mkdir()
    spaced.symlink_to(sys.executable)
    expected = plugin(EXAMPLE, tmp_path / "c0", {"BENCHGEN_NO_CACHE": "1"}).stdout.decode()
    for name, python in (("direct", sys.executable), ("via-sh", str(spaced))):
        shim = tmp_path / name
        shim.write_text(shim_text(python, shell_hits=False))
        shim.chmod(0o755)
        first = shim.read_text().splitlines()[0]
        assert first == ("#!/bin/sh" if name == "via-sh" else f"#!{sys.executable} -SI")
        proc = subprocess.run(
            [str(shim), str(EXAMPLE)],
            capture_output=True,
            text=True,
            env={**os.environ, "BENCHGEN_NO_CACHE": "1"},
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected


def _shell_shim(tmp_path: Path, package: Path, python: str) -> Path:
    from generator.plugin.install import shim_text

    shim = tmp_path / "shim"
    shim.write_text(shim_text(python, package=str(package), shell_hits=True))
    shim.chmod(0o755)
    return shim


def _run(shim: Path, config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(shim), str(config)], capture_output=True, env=env, timeout=60)


def test_shell_shim_serves_a_hit_without_python(tmp_path: Path) -> None:
    """A warm build costs a shell, sha256sum and cat: with no Python to run it still answers."""
    cache = tmp_path / "cache"
    env = {**os.environ, "BENCHGEN_CACHE_DIR": str(cache)}
    config = tmp_path / "benchmark.yaml"
    config.write_bytes(EXAMPLE.read_bytes())
    package = tmp_path / "package"
    package.mkdir()
    (package / "models.py").write_text("# stands in for the compiler's files\n")

    first = _run(_shell_shim(tmp_path, package, sys.executable), config, env)
    assert first.returncode == 0, first.stderr
    plain = [p.name for p in cache.iterdir() if p.name.startswith("plain-")]
    assert len(plain) == 1

    no_python = _shell_shim(tmp_path, package, str(tmp_path / "no-such-python"))
    hit = _run(no_python, config, env)
    assert hit.returncode == 0, hit.stderr
    assert hit.stdout == first.stdout


def test_shell_shim_never_serves_a_stale_answer(tmp_path: Path) -> None:
    """Changed config bytes, a changed compiler file, or BENCHGEN_NO_CACHE: Python answers."""
    cache = tmp_path / "cache"
    env = {**os.environ, "BENCHGEN_CACHE_DIR": str(cache)}
    config = tmp_path / "benchmark.yaml"
    config.write_bytes(EXAMPLE.read_bytes())
    package = tmp_path / "package"
    (package / "compile").mkdir(parents=True)
    source = package / "compile" / "tekton.py"
    source.write_text("# v1\n")
    assert _run(_shell_shim(tmp_path, package, sys.executable), config, env).returncode == 0
    no_python = _shell_shim(tmp_path, package, str(tmp_path / "no-such-python"))
    assert _run(no_python, config, env).returncode == 0  # the hit

    # Each change below must reach Python, which here does not exist: exit 127.
    assert _run(no_python, config, {**env, "BENCHGEN_NO_CACHE": "1"}).returncode == 127
    config.write_bytes(EXAMPLE.read_bytes() + b"\n# edited\n")
    assert _run(no_python, config, env).returncode == 127
    config.write_bytes(EXAMPLE.read_bytes())
    assert _run(no_python, config, env).returncode == 0
    # A compiler file put back with an OLD mtime (tar, cp -p) still has a new ctime.
    old = source.stat().st_mtime_ns - 10**12
    source.write_text("# v2\n")
    os.utime(source, ns=(old, old))
    assert _run(no_python, config, env).returncode == 127
    # Files under __pycache__ (written by every import) do not count.
    assert _run(_shell_shim(tmp_path, package, sys.executable), config, env).returncode == 0
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "tekton.cpython-311.pyc").write_bytes(b"")
    assert _run(no_python, config, env).returncode == 0


def test_shell_shim_does_not_cache_answers_with_warnings(tmp_path: Path) -> None:
    """The plain entry holds stdout only: an answer with stderr (warnings) is Python's to give."""
    cache = tmp_path / "cache"
    env = {**os.environ, "BENCHGEN_CACHE_DIR": str(cache)}
    config = tmp_path / "benchmark.yaml"
    # auth none renders with a warning on stderr
    config.write_bytes((ROOT / "tests" / "golden" / "no-auth" / "config.yaml").read_bytes())
    package = tmp_path / "package"
    package.mkdir()
    first = _run(_shell_shim(tmp_path, package, sys.executable), config, env)
    assert first.returncode == 0 and first.stderr
    assert not [p for p in cache.iterdir() if p.name.startswith("plain-")]
