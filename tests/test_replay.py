"""spec.triggers.webhook.recordRefusals (compile/refusals.py) and `benchgen replay`
(generator/replay.py): the checkpoints in the webhook chain, the recorder's objects,
and listing and re-sending a recorded event to a loopback listener that checks
GitHub's signature as Triggers' interceptor does (tests/runtime/webhook_listener.py).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.contract import refusals
from tests.runtime.webhook_listener import Interceptor, WebhookListener

SECRET = b"s3cret\n"
CONFIG = """\
apiVersion: benchgen.dev/v1alpha1
kind: Benchmark
metadata:
  name: rr
  namespace: bench
spec:
  orchestrator:
    request:
      - {field: testingDataNvrsVersion, param: data}
      - {field: promptsVersion, param: prompts}
      - {field: knownNonIssuesVersion, param: known}
      - {field: sastAiImage, param: image, imageRepository: quay.io/org/workflow}
  params:
    - {name: data, from: body.data, required: true}
    - {name: prompts, from: body.prompts, default: p}
    - {name: known, from: header.X-Known, default: k}
    - {name: image, from: body.image, default: latest}
  triggers:
    webhook:
      auth: AUTH
      recordRefusals: {enabled: ENABLED, maxRecords: 20}
  pipeline:
    image: quay.io/benchgen/poller:0.1.0
"""
GITHUB = "{type: github, secretRef: {name: rr-webhook}}"
NO_SECRET = {"BENCHGEN_WEBHOOK_SECRET": ""}


def _config(tmp_path: Path, auth: str = GITHUB, enabled: bool = True) -> Path:
    path = tmp_path / "benchmark.yaml"
    text = CONFIG.replace("AUTH", auth).replace("ENABLED", "true" if enabled else "false")
    path.write_text(text)
    return path


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def _render(config: Path) -> list[dict[str, Any]]:
    out = _cli("render", str(config))
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


# --- the compiled objects ------------------------------------------------------------


def test_a_checkpoint_before_each_check_and_after_the_last(tmp_path: Path) -> None:
    docs = _render(_config(tmp_path))
    (listener,) = [d for d in docs if d["kind"] == "EventListener"]
    for trigger in listener["spec"]["triggers"]:
        chain = trigger["interceptors"]
        checks = chain[1::2]
        checkpoints = chain[0::2]
        assert len(checkpoints) == len(checks) + 1
        assert checks[0]["name"] == "verify-github"
        for position, point in enumerate(checkpoints):
            assert point["ref"] == {"name": "rr-refusals", "kind": "NamespacedInterceptor"}
            params = {p["name"]: p["value"] for p in point["params"]}
            assert params["position"] == position
            if position < len(checks):
                assert params["check"] == checks[position]["name"]
                assert params["reason"]
            else:
                assert params == {"position": position, "check": refusals.PASSED}
    kinds = sorted(d["kind"] for d in docs if d["metadata"]["name"] == "rr-refusals")
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Interceptor",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    (config_map,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "rr-refusals"
    ]
    assert "data" not in config_map  # applying the manifests never resets the record
    (deployment,) = [
        d for d in docs if d["kind"] == "Deployment" and "refusals" in d["metadata"]["name"]
    ]
    assert deployment["spec"]["replicas"] == 1
    env = {
        e["name"]: e["value"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    kept = env["BENCHGEN_REFUSALS_HEADERS"].split(",")
    assert "X-Known" in kept and "X-GitHub-Event" in kept
    assert not {h.lower() for h in kept} & refusals.SECRET_HEADERS
    assert env["BENCHGEN_REFUSALS_MAX"] == "20"
    (role,) = [d for d in docs if d["kind"] == "Role" and d["metadata"]["name"] == "rr-refusals"]
    assert role["rules"][0]["resourceNames"] == ["rr-refusals"]
    assert role["rules"][0]["verbs"] == ["get", "patch"]
    (policy,) = [
        d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "rr-refusals"
    ]
    assert policy["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"eventlistener": "rr-listener"}}}
    ]


def test_the_token_header_is_never_kept(tmp_path: Path) -> None:
    auth = "{type: token, header: X-Known, secretRef: {name: rr-webhook}}"
    docs = _render(_config(tmp_path, auth))
    (deployment,) = [
        d for d in docs if d["kind"] == "Deployment" and "refusals" in d["metadata"]["name"]
    ]
    env = {
        e["name"]: e["value"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert "X-Known" not in env["BENCHGEN_REFUSALS_HEADERS"].split(",")


def test_off_by_default_nothing_changes(tmp_path: Path) -> None:
    docs = _render(_config(tmp_path, enabled=False))
    assert not [d for d in docs if "refusals" in d["metadata"]["name"]]
    (listener,) = [d for d in docs if d["kind"] == "EventListener"]
    names = [i["name"] for t in listener["spec"]["triggers"] for i in t["interceptors"]]
    assert not [n for n in names if n.startswith("checkpoint-")]


# --- benchgen replay ------------------------------------------------------------------

BODY = '{"data":"d-1","image":"v1"}'


def _records(tmp_path: Path, body: str | None = BODY) -> Path:
    record = refusals.new_record(
        "5e0f6c0a-1b2c-4d5e-8f90-0123456789ab",
        "2026-12-03T14:00:00Z",
        "verify-github",
        "refused by verify-github: the signature",
        {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-Known": "k-7"},
        body or "x",
    )
    if body is None:
        record["body"] = None
    path = tmp_path / "refusals.json"
    path.write_text(refusals.render([record]))
    return path


def test_list_from_a_file(tmp_path: Path) -> None:
    out = _cli("replay", str(_config(tmp_path)), "--from-file", str(_records(tmp_path)))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        "5e0f6c0a-1b2  2026-12-03T14:00:00Z  push  verify-github"
        "  refused by verify-github: the signature\n"
    )


def test_replay_is_signed_afresh_and_keeps_the_recorded_headers(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    records = _records(tmp_path)
    with WebhookListener(Interceptor("github", SECRET, event_types=["push"])) as listener:

        def replay() -> subprocess.CompletedProcess[str]:
            return _cli(
                "replay",
                str(_config(tmp_path)),
                "5e0f6c0a",
                "--from-file",
                str(records),
                "--url",
                listener.url,
                "--secret-file",
                str(secret),
            )

        out = replay()
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("HTTP 202")
        (received,) = listener.received
        assert received.accepted, received.reason
        assert received.body == BODY.encode()
        headers = {k.lower(): v for k, v in received.headers.items()}
        assert headers["x-github-event"] == "push" and headers["x-known"] == "k-7"
        # The wrong secret: sent, and the listener refuses it again.
        secret.write_bytes(b"wrong")
        again = replay()
        assert again.returncode == 0  # Triggers answers 202 and refuses afterwards
        assert not listener.received[-1].accepted


def test_replay_reads_the_config_map_with_kubectl(tmp_path: Path) -> None:
    """`kubectl get configmap rr-refusals -n bench -o json`, answered by a stand-in."""
    data = {"data": {refusals.RECORD_KEY: _records(tmp_path).read_text()}}
    (tmp_path / "cm.json").write_text(json.dumps(data))
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\ncat "{tmp_path}/cm.json"\n')
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    out = _cli("replay", str(_config(tmp_path)), "--list", "--kubectl", str(kubectl))
    assert out.returncode == 0, out.stderr
    assert "verify-github" in out.stdout
    assert (tmp_path / "args").read_text().split() == [
        "get",
        "configmap",
        "rr-refusals",
        "-n",
        "bench",
        "-o",
        "json",
    ]


def test_the_id_may_follow_the_options(tmp_path: Path) -> None:
    records = str(_records(tmp_path))
    config = str(_config(tmp_path))
    out = _cli("replay", config, "--from-file", records, "5e0f6c0a", "--dry-run", env=NO_SECRET)
    assert out.returncode == 2  # got as far as the secret: the id was found
    assert "the listener authenticates callers (github)" in out.stderr
    bogus = _cli("replay", config, "--from-file", records, "--bogus")
    assert bogus.returncode == 2 and "unrecognized arguments: --bogus" in bogus.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope-nope-nope"], "no recorded event 'nope-nope-nope'"),
        (["5e0f6c0a", "--dry-run"], "the listener authenticates callers (github)"),
    ],
)
def test_bad_replays_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    records = str(_records(tmp_path))
    out = _cli("replay", str(_config(tmp_path)), *args, "--from-file", records, env=NO_SECRET)
    assert out.returncode == 2
    assert message in out.stderr


def test_a_body_not_kept_cannot_be_replayed(tmp_path: Path) -> None:
    records = _records(tmp_path, body=None)
    out = _cli("replay", str(_config(tmp_path)), "5e0f6c0a", "--from-file", str(records))
    assert out.returncode == 2
    assert "cannot be replayed" in out.stderr


def test_replay_needs_record_refusals(tmp_path: Path) -> None:
    out = _cli("replay", str(_config(tmp_path, enabled=False)), "--from-file", "x")
    assert out.returncode == 2
    assert "recordRefusals.enabled is not true" in out.stderr


def test_a_name_too_long_for_the_recorder_is_a_located_problem(tmp_path: Path) -> None:
    config = _config(tmp_path)
    long_name = "rr-" + "a" * 53  # <name>-listener fits in 63; <name>-refusals does not
    text = config.read_text().replace("name: rr\n", f"name: {long_name}\n")
    text = text.replace(
        "  pipeline:\n", "  names: {listener: l, pipeline: p, runPrefix: r-}\n  pipeline:\n"
    )
    config.write_text(text)
    out = _cli("validate", str(config))
    assert out.returncode == 2
    assert (
        "spec.triggers.webhook.recordRefusals.enabled: derived name"
        f" '{long_name}-refusals' is 65 characters long"
    ) in out.stderr, out.stderr
