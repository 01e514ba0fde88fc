"""observe's configuration (exit 2) and its delivery to a real loopback CloudEvents sink."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from generator.contract.errors import ContractError
from generator.contract.observe import decode as load_config
from generator.runtime.__main__ import main
from generator.runtime.clock import Stopped
from generator.runtime.observe.delivery import Deliverer, DeliveryError
from generator.runtime.observe.events import Due
from tests.runtime.observe_sink import CloudEventSink

GOOD = {
    "BENCHGEN_NAMESPACES": "ci, ci-2",
    "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=sast",
    "BENCHGEN_SINK": "http://broker-ingress.knative-eventing.svc.cluster.local/ci/default",
    "BENCHGEN_EVENT_SOURCE": "/benchgen/ci/sast",
}


def test_config_defaults() -> None:
    cfg = load_config(GOOD)
    assert cfg.namespaces == ("ci", "ci-2")
    assert (cfg.log_tail_bytes, cfg.health_port, cfg.resync, cfg.delivery_timeout) == (
        4096,
        8081,
        300.0,
        30.0,
    )
    assert cfg.tekton_namespace == "tekton-pipelines"
    tekton = load_config({**GOOD, "BENCHGEN_SINK": "tekton", "BENCHGEN_TEKTON_NAMESPACE": "tp"})
    assert (tekton.sink_url, tekton.tekton_namespace) == (None, "tp")


def test_every_config_problem_is_reported_at_once() -> None:
    env = {
        "BENCHGEN_NAMESPACES": "ok,Not_A_Namespace",
        "BENCHGEN_SINK": "ftp://x",
        "BENCHGEN_LOG_TAIL_BYTES": "70000",
        "BENCHGEN_HEALTH_PORT": "http",
        "BENCHGEN_RESYNC_PERIOD": "soon",
    }
    with pytest.raises(ContractError) as info:
        load_config(env)
    message = str(info.value)
    for expected in (
        "'Not_A_Namespace' is not a namespace name",
        "BENCHGEN_SELECTOR is required",
        "'ftp://x' is neither an http(s):// URL nor 'tekton'",
        "BENCHGEN_EVENT_SOURCE is required",
        "BENCHGEN_LOG_TAIL_BYTES: 70000 is outside 0..65536",
        "BENCHGEN_HEALTH_PORT: 'http' is not an integer",
        "BENCHGEN_RESYNC_PERIOD: 'soon' is not a duration",
    ):
        assert expected in message


def test_cli_exits_2_on_bad_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["observe"], env={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("benchgen-poller observe: error: BENCHGEN_NAMESPACES is required")


def test_cli_exits_2_without_a_kubeconfig(tmp_path: object) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator.runtime", "observe"],
        env={**GOOD, "KUBECONFIG": "/nonexistent/kubeconfig", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "no usable kubeconfig" in proc.stderr


def due(**over: object) -> Due:
    fields: dict[str, object] = {
        "kind": "TaskRun",
        "namespace": "ns",
        "name": "run-1-build",
        "uid": "tr-uid",
        "key": "build.succeeded",
        "type": "dev.benchgen.step.succeeded.v1",
        "subject": "run-1-build/build",
        "id": "tr-uid.build.succeeded",
        "time": "2025-01-01T00:00:02Z",
        "data": {"step": {"name": "build", "image": "x"}, "log": "done\n"},
    }
    fields.update(over)
    return Due(**fields)  # type: ignore[arg-type]


def test_binary_mode_event_reaches_the_sink() -> None:
    with CloudEventSink() as sink:
        attempts = Deliverer("/benchgen/ns/sast", 5.0, threading.Event()).send(sink.url, due())
        assert attempts == 1
        [got] = sink.acked
    assert got.headers["content-type"] == "application/json"
    assert got.headers["ce-specversion"] == "1.0"
    assert got.attributes["id"] == "tr-uid.build.succeeded"
    assert got.attributes["type"] == "dev.benchgen.step.succeeded.v1"
    assert got.attributes["source"] == "/benchgen/ns/sast"
    assert got.attributes["subject"] == "run-1-build/build"
    assert got.attributes["time"].isoformat() == "2025-01-01T00:00:02+00:00"
    assert got.data == {"step": {"name": "build", "image": "x"}, "log": "done\n"}


def test_5xx_and_429_are_retried_until_acknowledged() -> None:
    with CloudEventSink() as sink:
        sink.fail_next(2, status=503)
        sink.fail_next(1, status=429)
        attempts = Deliverer("/s", 20.0, threading.Event()).send(sink.url, due())
        assert attempts == 4
        assert [r.status for r in sink.requests] == [503, 503, 429, 202]
        assert {r.id for r in sink.requests} == {"tr-uid.build.succeeded"}


def test_a_4xx_is_not_retried() -> None:
    with CloudEventSink() as sink:
        sink.fail_next(1, status=400)
        with pytest.raises(DeliveryError, match="HTTP 400"):
            Deliverer("/s", 20.0, threading.Event()).send(sink.url, due())
        assert len(sink.requests) == 1


def test_retries_stop_at_the_budget() -> None:
    with CloudEventSink() as sink:
        sink.failing = 500
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="HTTP 500"):
            Deliverer("/s", 2.0, threading.Event()).send(sink.url, due())
        assert time.monotonic() - started < 6
        assert 2 <= len(sink.requests) <= 6
        assert not sink.acked


def test_an_unreachable_sink_is_retried_then_reported() -> None:
    with pytest.raises(DeliveryError):
        Deliverer("/s", 1.0, threading.Event()).send("http://127.0.0.1:9/", due())


def test_stop_interrupts_the_backoff() -> None:
    stop = threading.Event()
    with CloudEventSink() as sink:
        sink.failing = 500
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(Stopped):
            Deliverer("/s", 60.0, stop).send(sink.url, due())
        assert time.monotonic() - started < 3
