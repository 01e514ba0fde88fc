"""`benchgen-poller serve` refuses to start on bad configuration: one clear
line, exit 2, before it touches the network."""

import subprocess
import sys
from pathlib import Path

import pytest

from generator.runtime.errors import InputError
from generator.runtime.serve import load_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0123456789abcdef-token"


def _serve(env):
    return subprocess.run(
        [sys.executable, "-m", "generator.runtime", "serve"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "KUBECONFIG": "/nonexistent", **env},
        timeout=30,
    )


def _good(tmp_path, token=TOKEN):
    (tmp_path / "token").write_text(token)
    return {
        "BENCHGEN_NAMESPACE": "bench",
        "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=demo",
        "BENCHGEN_AUTH_TYPE": "bearer",
        "BENCHGEN_AUTH_FILE": str(tmp_path / "token"),
    }


@pytest.mark.parametrize(
    ("token", "messages"),
    [
        (None, ["BENCHGEN_NAMESPACE is required", "BENCHGEN_SELECTOR is required",
                "BENCHGEN_AUTH_TYPE must be 'bearer' or 'basic'", "there are no default credentials"]),
        ("\n", ["no credentials in it; refusing to start"]),
        (TOKEN, ["no Kubernetes credentials"]),
    ],
    ids=["no-configuration", "no-credentials", "no-cluster-credentials"],
)  # fmt: skip
def test_refuses_to_start_naming_every_problem_in_one_line(tmp_path, token, messages):
    proc = _serve({} if token is None else _good(tmp_path, token))
    assert proc.returncode == 2
    assert proc.stderr.startswith("benchgen-poller serve: error: ")
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line
    for needed in messages:
        assert needed in proc.stderr


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("BENCHGEN_PORT", "http", "BENCHGEN_PORT 'http' is not a port number"),
        ("BENCHGEN_PORT", "70000", "is not a port number"),
        ("BENCHGEN_HEALTH_PORT", "0", "BENCHGEN_HEALTH_PORT '0' is not a port number"),
        ("BENCHGEN_PORT", "8081", "BENCHGEN_HEALTH_PORT 8081 is BENCHGEN_PORT: the probes need"),
        ("BENCHGEN_NAMESPACE", "Bench!", "is not a namespace name"),
        ("BENCHGEN_MAX_STREAMS", "0", "BENCHGEN_MAX_STREAMS '0' is not a positive number"),
        ("BENCHGEN_POLL_INTERVAL", "soon", "BENCHGEN_POLL_INTERVAL: 'soon' is not a duration"),
    ],
)
def test_bad_values(tmp_path, key, value, message):
    with pytest.raises(InputError, match=message):
        load_config({**_good(tmp_path), key: value})


def test_defaults(tmp_path):
    config = load_config(_good(tmp_path))
    assert (config.port, config.poll_interval, config.max_streams) == (8080, 2.0, 32)
    assert config.health_port == 8081  # the probes' own port
    assert config.credentials.scheme == "bearer"
