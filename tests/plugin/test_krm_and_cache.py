"""The KRM function over stdin, and the plugin's render cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, ROOT

NO_AUTH = ROOT / "tests" / "golden" / "no-auth" / "config.yaml"

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
    # The example's objects follow the passed-through item, in apply order: the
    # listener after its Interceptor, the event-key interceptor's Deployment and Service last.
    assert kinds[1:].count("Task") == 3
    assert kinds.index("Interceptor") < kinds.index("EventListener")
    assert kinds[-2:] == ["Deployment", "Service"]
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
    config = NO_AUTH.read_text()
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
    config = NO_AUTH
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


@pytest.mark.parametrize(
    ("mode", "heavy"),
    [
        # The cold path validates with the generated lite.py (pydantic is only for errors)
        # and parses with PyYAML's C parser: no ruamel.yaml either, and never kubernetes.
        ("exec", {"pydantic", "pydantic_core", "ruamel", "kubernetes"}),
        ("krm", {"pydantic", "pydantic_core"}),
        ("cache-hit", {"pydantic", "ruamel", "yaml", "kubernetes"}),
    ],
)
def test_successful_plugin_render_imports_nothing_heavy(
    tmp_path: Path, mode: str, heavy: set[str]
) -> None:
    env = {"BENCHGEN_NO_CACHE": "1"}
    if mode == "cache-hit":
        assert plugin(EXAMPLE, tmp_path / "cache").returncode == 0
        env = {"BENCHGEN_CACHE_DIR": str(tmp_path / "cache")}
    modules = plugin_modules(env, resource_list(EXAMPLE.read_text()) if mode == "krm" else None)
    tops = {m.split(".")[0] for m in modules}
    assert not tops & heavy
    if mode == "exec":
        assert "generator.compile" in modules and "yaml" in tops  # it did render


def test_both_shim_forms_answer(tmp_path: Path) -> None:
    """The #! shim, and the /bin/sh one for interpreter paths a #! line cannot hold."""
    from generator.plugin.install import shim_text

    spaced = tmp_path / "a dir" / "python"
    spaced.parent.mkdir()
    spaced.symlink_to(sys.executable)
    expected = plugin(EXAMPLE, tmp_path / "c0", {"BENCHGEN_NO_CACHE": "1"}).stdout
    for name, python in (("direct", sys.executable), ("via-sh", str(spaced))):
        shim = tmp_path / name
        shim.write_text(shim_text(python, shell_hits=False))
        shim.chmod(0o755)
        first = shim.read_text().splitlines()[0]
        assert first == ("#!/bin/sh" if name == "via-sh" else f"#!{sys.executable} -SI")
        proc = _run(shim, EXAMPLE, BENCHGEN_NO_CACHE="1")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected


def _shell_shim(tmp: Path, python: str = sys.executable, name: str = "shim") -> Path:
    """tmp/<name> with shell hits, over the compiler files in tmp/package."""
    from generator.plugin.install import shim_text

    shim = tmp / name
    shim.write_text(shim_text(python, package=str(tmp / "package"), shell_hits=True))
    shim.chmod(0o755)
    return shim


def _no_python(tmp: Path) -> Path:
    """tmp/no-python: a shell shim whose Python does not exist (exit 127 if it is reached)."""
    return _shell_shim(tmp, str(tmp / "no-such-python"), "no-python")


def _run(shim: Path, config: Path | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    """The shim on config (its tmp/benchmark.yaml), with the cache in tmp/cache."""
    env = {**os.environ, "BENCHGEN_CACHE_DIR": str(shim.parent / "cache"), **env}
    config = config or shim.parent / "benchmark.yaml"
    return subprocess.run([str(shim), str(config)], capture_output=True, env=env, timeout=60)


@pytest.fixture
def shell(tmp_path: Path) -> Path:
    """tmp_path with benchmark.yaml (the example) and an empty package/."""
    (tmp_path / "benchmark.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "package").mkdir()
    return tmp_path


def _render(shell: Path) -> subprocess.CompletedProcess[bytes]:
    """A render by Python through tmp/shim, as after a real compiler edit.

    Editing the stand-in tmp/package leaves Python's key (the real compiler's
    files) unchanged, and a full-key hit does not rewrite the plain entry: the
    full-key entries are removed so that Python renders.
    """
    for entry in keyed(shell / "cache") if (shell / "cache").exists() else []:
        entry.unlink()
    proc = _run(_shell_shim(shell))
    assert proc.returncode == 0, proc.stderr
    return proc


def _plain(shell: Path) -> list[str]:
    """The plain entries' files (for the shell shim) in tmp/cache, sorted."""
    return sorted(p.name for p in (shell / "cache").iterdir() if p.name.startswith("plain-"))


def test_shell_shim_serves_a_hit_without_python(shell: Path) -> None:
    """A warm build costs a shell, sha256sum, find and cat: with no Python to run it still answers."""
    (shell / "package" / "models.py").write_text("# stands in for the compiler's files\n")
    first = _run(_shell_shim(shell))
    assert first.returncode == 0, first.stderr
    assert first.stderr == b""
    plain = _plain(shell)
    assert [name.rsplit(".", 1)[1] for name in plain] == ["err", "out"]
    assert (shell / "cache" / plain[0]).read_bytes() == b""  # no warnings: an empty .err
    hit = _run(_no_python(shell))
    assert hit.returncode == 0, hit.stderr
    assert hit.stdout == first.stdout and hit.stderr == b""


def test_shell_shim_never_serves_a_stale_answer(shell: Path) -> None:
    """Changed config bytes, a changed compiler file, or BENCHGEN_NO_CACHE: Python answers."""
    config = shell / "benchmark.yaml"
    (shell / "package" / "compile").mkdir()
    source = shell / "package" / "compile" / "tekton.py"
    source.write_text("# v1\n")
    assert _run(_shell_shim(shell)).returncode == 0
    no_python = _no_python(shell)
    assert _run(no_python).returncode == 0  # the hit

    # Each change below must reach Python, which here does not exist: exit 127.
    assert _run(no_python, BENCHGEN_NO_CACHE="1").returncode == 127
    config.write_bytes(EXAMPLE.read_bytes() + b"\n# edited\n")
    assert _run(no_python).returncode == 127
    config.write_bytes(EXAMPLE.read_bytes())
    assert _run(no_python).returncode == 0
    # A compiler file put back with an OLD mtime (tar, cp -p) still has a new ctime.
    old = source.stat().st_mtime_ns - 10**12
    source.write_text("# v2\n")
    os.utime(source, ns=(old, old))
    assert _run(no_python).returncode == 127
    # A new file in a new directory counts too.
    _render(shell)
    assert _run(no_python).returncode == 0
    (shell / "package" / "render").mkdir()
    (shell / "package" / "render" / "emit.py").write_text("# new\n")
    assert _run(no_python).returncode == 127
    # Directories do not count (creating package/__pycache__ changes package/'s
    # ctime), nor do files under __pycache__ (written by every import).
    _render(shell)
    assert _run(no_python).returncode == 0
    (shell / "package" / "__pycache__").mkdir()
    (shell / "package" / "__pycache__" / "tekton.cpython-311.pyc").write_bytes(b"")
    (shell / "package" / "compile" / "__pycache__").mkdir()
    assert _run(no_python).returncode == 0


EXAMPLE_AUTH = """\
      auth:
        type: github
        secretRef:
          name: benchmark-mlop-webhook
          key: token
"""


def _with_auth_off(config: Path) -> None:
    """The example with webhook authentication off: renders, with a warning."""
    text = EXAMPLE.read_text()
    assert EXAMPLE_AUTH in text
    config.write_text(text.replace(EXAMPLE_AUTH, "      auth: {type: none}\n"))


def test_shell_shim_serves_warnings_as_python_prints_them(shell: Path) -> None:
    """A config whose render warns is served by the shell too: same stderr, byte for byte."""
    config = shell / "benchmark.yaml"
    _with_auth_off(config)
    python = plugin(config, shell / "uncached", {"BENCHGEN_NO_CACHE": "1"})
    assert python.returncode == 0 and b"benchgen: warning: " in python.stderr
    first = _run(_shell_shim(shell))  # the render, by Python
    assert (first.returncode, first.stdout, first.stderr) == (0, python.stdout, python.stderr)
    hit = _run(_no_python(shell))  # no Python to start: the shell answered
    assert (hit.returncode, hit.stdout, hit.stderr) == (0, python.stdout, python.stderr)
    # Python's own cache hit prints the same.
    again = _run(_shell_shim(shell), BENCHGEN_NO_CACHE="")
    assert (again.stdout, again.stderr) == (python.stdout, python.stderr)

    # The config edited so it no longer warns: no stale warning, from Python or the shell.
    config.write_bytes(EXAMPLE.read_bytes())
    fixed = _run(_shell_shim(shell))
    assert fixed.returncode == 0 and fixed.stderr == b""
    fixed_hit = _run(_no_python(shell))
    assert (fixed_hit.returncode, fixed_hit.stdout, fixed_hit.stderr) == (0, fixed.stdout, b"")
    # And back: the warning config's entry is still there, warnings included.
    _with_auth_off(config)
    back = _run(_no_python(shell))
    assert (back.returncode, back.stdout, back.stderr) == (0, python.stdout, python.stderr)


def test_shell_shim_pairs_stdout_with_its_own_stderr(shell: Path) -> None:
    """A .err older than a compiler change is stale even when .out is fresh; no .err, no hit."""
    (shell / "package" / "models.py").write_text("# v1\n")
    assert _run(_shell_shim(shell)).returncode == 0  # the example: no warnings
    no_python = _no_python(shell)
    err, out = (shell / "cache" / name for name in _plain(shell))
    # A .err left by a render of an older compiler (a warning this one no longer
    # gives), next to a fresh .out: Python answers.
    err.write_bytes(b"benchgen: warning: from an older compiler\n")
    old = (shell / "package" / "models.py").stat().st_ctime_ns - 10**9
    os.utime(err, ns=(old, old))
    proc = _run(no_python)
    assert proc.returncode == 127 and proc.stdout == b"" and b"older compiler" not in proc.stderr
    # Python's next render rewrites both (an empty .err), and the shell serves again.
    (shell / "package" / "models.py").write_text("# v2\n")
    _render(shell)
    assert err.read_bytes() == b""
    assert _run(no_python).stderr == b""
    # Without its .err, the .out alone is not served.
    err.unlink()
    proc = _run(no_python)
    assert proc.returncode == 127 and proc.stdout == b""
    assert out.exists()


def test_shell_shim_writes_stdout_once(shell: Path) -> None:
    """Once the entry is open, a failing cat is the answer: the shell never goes on to Python."""
    assert _run(_shell_shim(shell)).returncode == 0
    with open(os.devnull, "rb") as stdin, open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [str(_no_python(shell)), str(shell / "benchmark.yaml")],
            stdin=stdin,
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "BENCHGEN_CACHE_DIR": str(shell / "cache")},
            timeout=60,
        )
    assert proc.returncode == 1, proc.stderr  # cat's write error; 127 would be Python
