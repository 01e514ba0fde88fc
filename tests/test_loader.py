"""Hostile files meet one located line and exit 2, within a second (issue 14, "The loader").

Each case runs as users run it, `benchgen validate` and `benchgen render`
in a subprocess (render takes the fast path first), and the parser's own
time is measured in-process on CPU time, which the machine's load does not
inflate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.config.fullload import load_bytes
from generator.errors import ConfigError, Problem
from tests.conftest import EXAMPLE, ROOT

DEEP_FLOW = b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"


def benchgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=20,
        check=False,
    )


def one_problem(path: Path | str, *commands: str) -> list[str]:
    """The problem line of each command; each must exit 2 with exactly that line."""
    lines = []
    for command in commands or ("validate", "render"):
        proc = benchgen(command, str(path))
        assert proc.returncode == 2, proc.stderr
        out = proc.stderr.splitlines()
        assert len(out) == 2 and out[1] == "benchgen: 1 problem found", proc.stderr
        assert proc.stdout == ""
        lines.append(out[0])
    assert len(set(lines)) == 1, lines  # both paths word it the same
    return lines[:1]


def cpu_seconds_to_refuse(data: bytes) -> tuple[float, list[Problem]]:
    start = time.process_time()
    with pytest.raises(ConfigError) as caught:
        load_bytes(data, "b.yaml")
    return time.process_time() - start, caught.value.problems


def test_deep_flow_sequences_are_refused_while_parsing(tmp_path: Path) -> None:
    """10,000 nested flow sequences took 52 s: the depth is checked as events arrive."""
    seconds, found = cpu_seconds_to_refuse(DEEP_FLOW)
    assert [str(p) for p in found] == ["b.yaml:1:36: is nested too deeply (more than 32 levels)"]
    assert seconds < 1.0
    config = tmp_path / "deep.yaml"
    config.write_bytes(DEEP_FLOW)
    assert one_problem(config) == [f"{config}:1:36: is nested too deeply (more than 32 levels)"]


def test_deep_block_mappings_are_refused_while_parsing() -> None:
    text = "".join("  " * i + "a:\n" for i in range(700))
    seconds, found = cpu_seconds_to_refuse(text.encode())
    assert [str(p) for p in found] == ["b.yaml:34:67: is nested too deeply (more than 32 levels)"]
    assert seconds < 1.0


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_without_reading_them(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    start = time.monotonic()
    assert one_problem(device) == [
        f"{device}: is a character device, not a config file: give the path of a regular file"
    ]
    assert time.monotonic() - start < 10  # two interpreters; reading /dev/zero never ends


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    assert one_problem(fifo) == [
        f"{fifo}: is a FIFO (named pipe), not a config file: give the path of a regular file"
    ]
    plugin = subprocess.run(
        [sys.executable, "-m", "generator.plugin.fast", str(fifo)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=20,
        check=False,
    )
    assert plugin.returncode == 2
    assert plugin.stderr == (
        f"benchgen: {fifo}: cannot use it as the plugin config: is a FIFO (named pipe), not a"
        " config file: give the path of a regular file\n"
    )


def test_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    assert one_problem(tmp_path) == [
        f"{tmp_path}: is a directory, not a config file: give the path of a regular file"
    ]
    assert one_problem(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file"]


def test_a_file_over_the_limit_is_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as out:
        out.truncate(50 * 1024 * 1024)  # sparse: 50 MB that cost nothing to write
    assert one_problem(big) == [f"{big}: is 52428800 bytes; a benchmark config is at most 1048576"]


def test_a_tag_on_a_collection() -> None:
    text = "apiVersion: benchgen.dev/v1alpha1\nkind: Benchmark\nmetadata: !x [a]\nspec: {}\n"
    found = cpu_seconds_to_refuse(text.encode())[1]
    assert [str(p) for p in found] == [
        "b.yaml:3:11: YAML tags (!name, !!type) are not supported: drop it (quote a value to"
        " keep it text)"
    ]
    for other in ("metadata: !!set {a}\n", "metadata: !x {name: a}\n", "a: !!str x\n"):
        assert "YAML tags" in str(cpu_seconds_to_refuse(other.encode())[1][0])


def test_a_tag_in_a_krm_function_config_is_located() -> None:
    from generator.config.fullload import load_node, load_resource_list

    text = EXAMPLE.read_text().replace("  name: benchmark-mlop\n", "  name: !x [a]\n")
    config = "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())
    resource_list = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
        f"functionConfig:\n{config}"
    )
    root = load_resource_list(resource_list.encode(), "stdin")
    with pytest.raises(ConfigError) as caught:
        load_node(root["functionConfig"], "stdin")
    line = resource_list.splitlines().index("    name: !x [a]") + 1
    assert [str(p) for p in caught.value.problems] == [
        f"stdin:{line}:5: metadata.name: YAML tags (!name, !!type) are not supported: drop it"
        " (quote a value to keep it text)"
    ]


@pytest.mark.parametrize(
    ("data", "line", "col", "code"),
    [
        (b"a: 1\nb: x\x01y\n", 2, 5, "0001"),
        (b"a: 1\n  \x1b[2J: 1\n", 2, 3, "001B"),
        (b"a: 'x\x7f'\n", 1, 6, "007F"),
        (b"a: \xc2\x9b\n", 1, 4, "009B"),
    ],
)
def test_control_characters_have_a_line_and_column(
    data: bytes, line: int, col: int, code: str
) -> None:
    found = cpu_seconds_to_refuse(data)[1]
    assert len(found) == 1
    assert str(found[0]).startswith(
        f"b.yaml:{line}:{col}: control character U+{code} is not allowed in YAML: remove it"
    )
    assert "\n" not in str(found[0])


def test_a_key_holding_a_newline_prints_on_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    text = EXAMPLE.read_text().replace("  name: benchmark-mlop\n", '  "na\\nme": x\n')
    config.write_text(text)
    line = text.splitlines().index('  "na\\nme": x') + 1
    proc = benchgen("validate", str(config))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert f"{config}:{line}:3: metadata[\"na\\nme\"]: unknown field 'na\\nme'" in lines[1]
    assert len(lines) == 3, lines  # that one, the missing name, and the count


def test_problem_lines_never_break() -> None:
    problem = Problem("a\nb.yaml", 1, 2, 'x["a\\nb"]', "bad\nvalue \x1b[2J\u2028")
    assert str(problem) == 'a\\nb.yaml:1:2: x["a\\nb"]: bad\\nvalue \\x1b[2J\\u2028'


def test_an_escaped_surrogate_is_refused_not_a_crash(tmp_path: Path) -> None:
    """YAML's "\\ud800" is half a UTF-16 pair: no character, and writing it would fail."""
    text = EXAMPLE.read_text().replace(
        "      description: Trigger source identifier\n",
        '      description: "Trigger \\ud800 source"\n',
    )
    config = tmp_path / "c.yaml"
    config.write_text(text)
    line = text.splitlines().index('      description: "Trigger \\ud800 source"') + 1
    assert one_problem(config) == [
        f"{config}:{line}:7: spec.params[0].description: holds \\ud800, half of a UTF-16"
        " surrogate pair, which is no character: write the character itself (or its \\U escape)"
    ]
