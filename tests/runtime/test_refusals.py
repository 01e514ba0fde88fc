"""`benchgen-poller record-refusals`: the webhook listener's checkpoints.

The server (generator/runtime/refusals.py) runs on loopback and is spoken to as
Triggers' sink does (v0.37.0 pkg/sink ExecuteInterceptors: POST of the
InterceptorRequest JSON, ``context.event_id`` the same for every trigger and
interceptor of one request, the interceptor's params in ``interceptor_params``);
it writes to a loopback fake of the Kubernetes API (tests/runtime/fake_refusals_api.py).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from generator.contract import refusals
from generator.runtime import kube
from generator.runtime.__main__ import main
from generator.runtime.clock import SystemClock
from generator.runtime.errors import InputError
from generator.runtime.refusals import (
    EVENT_ID_LABEL,
    Book,
    Recorder,
    RecorderConfig,
    load_config,
    serve,
)
from tests.runtime.fake_refusals_api import FakeApi

NS, CM = "bench", "bench-refusals"
SIGNATURE = "sha256=" + "ab" * 32
HEADERS = {
    "Content-Type": ["application/json"],
    "X-Github-Event": ["push"],
    "X-Github-Delivery": ["d-1"],
    "X-Hub-Signature-256": [SIGNATURE],
    "Authorization": ["Bearer not-to-be-kept"],
    "User-Agent": ["GitHub-Hookshot/abc"],
}
BODY = '{"data":"d-1","image":"bad tag"}'
CHAIN = [
    ("verify-github", "the signature"),
    ("validate-payload", "the params contract"),
    (refusals.PASSED, ""),
]


def _checkpoint(event: str, position: int, **extra: Any) -> dict[str, Any]:
    check, reason = CHAIN[position]
    params: dict[str, Any] = {"position": position, "check": check, **extra}
    if reason:
        params["reason"] = reason
    return {
        "body": BODY,
        "header": HEADERS,
        "extensions": {},
        "interceptor_params": params,
        "context": {"event_id": event, "trigger_id": "namespaces/bench/triggers/webhook"},
    }


# --- the contract --------------------------------------------------------------------


def test_kept_headers_never_keep_a_secret() -> None:
    keep = [*refusals.DEFAULT_HEADERS, "Authorization", "X-Hub-Signature-256", "X-Param"]
    kept = refusals.kept_headers({**HEADERS, "x-param": ["v"]}, keep)
    assert kept == {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/abc",
        "X-GitHub-Delivery": "d-1",
        "X-GitHub-Event": "push",
        "X-Param": "v",
    }


def test_record_is_bounded_by_count_and_bytes() -> None:
    def record(i: int, body: str = "{}") -> dict[str, Any]:
        return refusals.new_record(f"id-{i}", "2026-12-03T14:00:00Z", "c", "r", {}, body)

    text = refusals.with_records(None, [record(i) for i in range(10)], max_records=4)
    assert [r["id"] for r in refusals.parse(text)] == ["id-6", "id-7", "id-8", "id-9"]
    # An id already there is not added twice.
    again = refusals.with_records(text, [record(9)], max_records=4)
    assert [r["id"] for r in refusals.parse(again)] == ["id-6", "id-7", "id-8", "id-9"]
    # Bytes: the oldest go until the value fits.
    big = "x" * (refusals.MAX_BODY_BYTES - 10)
    many = refusals.with_records(None, [record(i, big) for i in range(20)], max_records=500)
    assert len(many.encode()) <= refusals.MAX_RECORD_BYTES
    kept = [r["id"] for r in refusals.parse(many)]
    assert kept[-1] == "id-19" and 0 < len(kept) < 20
    # A body over the limit is not kept; the record says how big it was.
    huge = record(1, "y" * (refusals.MAX_BODY_BYTES + 1))
    assert huge["body"] is None and huge["bodyBytes"] == refusals.MAX_BODY_BYTES + 1


def test_parse_skips_what_is_not_a_record() -> None:
    good = refusals.new_record("a", "t", "c", "r", {"X": "1"}, "{}")
    text = json.dumps([good, {"id": 1}, "junk", {**good, "headers": {"X": 2}}])
    assert refusals.parse(text) == [good]
    assert refusals.parse("not json") == []
    assert refusals.parse('{"a": 1}') == []


def test_find_by_id_or_unique_prefix() -> None:
    records = [
        refusals.new_record(i, "t", "c", "r", {}, "{}")
        for i in ("0a1b2c3d-1111", "0a1b2c3d-2222", "99887766-0000")
    ]
    assert refusals.find(records, "99887766-0000") is records[2]
    assert refusals.find(records, "99887766") is records[2]
    assert refusals.find(records, "0a1b2c3d") is None  # two match
    assert refusals.find(records, "9988") is None  # too short to be a prefix


# --- the book: verdicts without I/O -------------------------------------------------


def test_the_furthest_checkpoint_names_the_check_that_refused() -> None:
    book = Book(refusals.DEFAULT_HEADERS, settle=5)
    book.checkpoint(_checkpoint("e1", 0), 0.0, 0.0)
    book.checkpoint(_checkpoint("e2", 0), 0.0, 0.0)
    book.checkpoint(_checkpoint("e2", 1), 0.0, 0.0)
    assert book.settled(4.9) == []
    done = dict(book.settled(5.0))
    assert done["e1"].check == "verify-github" and done["e1"].reason == "the signature"
    assert done["e2"].check == "validate-payload" and not done["e2"].passed
    assert book.events == {}


def test_an_event_any_trigger_passed_is_not_refused() -> None:
    """spec.triggers.select: one trigger per Pipeline, each refusing the others' values."""
    book = Book(refusals.DEFAULT_HEADERS, settle=5)
    for position in (0, 1, 2):
        book.checkpoint(_checkpoint("e", position), 0.0, 0.0)
    book.checkpoint(_checkpoint("e", 0), 0.0, 0.0)  # the other trigger, refused early
    (ident, event), *_ = book.settled(10)
    assert ident == "e" and event.passed


def test_malformed_checkpoints_are_ignored() -> None:
    book = Book(refusals.DEFAULT_HEADERS)
    assert "not recorded" in book.checkpoint({"context": {}}, 0, 0)
    assert "not recorded" in book.checkpoint(
        {**_checkpoint("e", 0), "interceptor_params": []}, 0, 0
    )
    bad = _checkpoint("e", 0)
    bad["interceptor_params"]["position"] = "0"
    assert "not recorded" in book.checkpoint(bad, 0, 0)
    assert book.events == {}


# --- config ---------------------------------------------------------------------------


def test_config_defaults_and_problems() -> None:
    config = load_config({"BENCHGEN_NAMESPACE": NS, "BENCHGEN_REFUSALS_CONFIGMAP": CM})
    assert (config.port, config.health_port, config.max_records) == (8080, 8081, 50)
    assert config.headers == refusals.DEFAULT_HEADERS
    with pytest.raises(InputError) as err:
        load_config({"BENCHGEN_REFUSALS_HEADERS": "X-GitHub-Event,X-Gitlab-Token"})
    message = str(err.value)
    assert "BENCHGEN_NAMESPACE is not set" in message
    assert "BENCHGEN_REFUSALS_CONFIGMAP is not set" in message
    assert "secret headers: X-Gitlab-Token" in message


def test_bad_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record-refusals"], env={"BENCHGEN_PORT": "0"}) == 2
    assert "BENCHGEN_PORT '0'" in capsys.readouterr().err


# --- the server, on loopback, writing to the fake API ---------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    def __init__(self, config: RecorderConfig, api: FakeApi) -> None:
        self.config, self.api = config, api

    def post(self, body: bytes, method: str = "POST") -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.config.port, timeout=10)
        try:
            conn.request(method, "/", body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            return res.status, json.loads(res.read() or b"{}")
        finally:
            conn.close()

    def checkpoint(self, event: str, position: int, **extra: Any) -> None:
        status, out = self.post(json.dumps(_checkpoint(event, position, **extra)).encode())
        assert (status, out) == (200, {"continue": True})

    def records(self, count: int) -> list[dict[str, Any]]:
        """The recorded events, once there are ``count`` (settle and flush are short)."""
        deadline = time.monotonic() + 10
        while True:
            records = refusals.parse(self.api.data(NS, CM).get(refusals.RECORD_KEY))
            if len(records) >= count or time.monotonic() > deadline:
                return records
            time.sleep(0.05)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    with FakeApi(CM) as api:
        api.create_config_map(NS, CM)
        monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig(tmp_path / "kubeconfig")))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        config = RecorderConfig(
            _free_port(),
            _free_port(),
            64 * 1024,
            NS,
            CM,
            refusals.DEFAULT_HEADERS,
            max_records=3,
            settle=0.3,
            flush_interval=0.05,
        )
        recorder = Recorder(config, kube.api_client(), SystemClock())
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        result: list[int] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            result.append(loop.run_until_complete(serve(config, recorder, stop)))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", config.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "record-refusals did not start"
                time.sleep(0.05)
        try:
            yield Running(config, api)
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)
            assert result == [0]


def test_a_refused_event_is_recorded_with_its_reason_and_no_secret(server: Running) -> None:
    server.checkpoint("ev-1", 0)
    server.checkpoint("ev-1", 1)
    (record,) = server.records(1)
    assert record["id"] == "ev-1"
    assert record["check"] == "validate-payload"
    assert record["reason"] == "refused by validate-payload: the params contract"
    assert record["eventType"] == "push"
    assert record["body"] == BODY and record["bodyBytes"] == len(BODY)
    assert record["headers"] == {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/abc",
        "X-GitHub-Delivery": "d-1",
        "X-GitHub-Event": "push",
    }
    stored = server.api.data(NS, CM)[refusals.RECORD_KEY]
    assert SIGNATURE not in stored and "not-to-be-kept" not in stored
    assert server.api.queries == ["fieldManager=benchgen-record-refusals"]


def test_passed_events_are_recorded_only_when_no_run_was_created(server: Running) -> None:
    server.api.create_run(NS, "bench-run-1", {EVENT_ID_LABEL: "ran"})
    for event in ("ran", "lost"):
        for position in (0, 1, 2):
            server.checkpoint(event, position)
    (record,) = server.records(1)
    time.sleep(0.5)  # "ran" settled too, and was not recorded
    assert server.records(1) == [record]
    assert record["id"] == "lost" and record["check"] == "create-run"
    assert "no PipelineRun was created" in record["reason"]


def test_a_probe_stopped_on_purpose_is_not_recorded(server: Running) -> None:
    server.checkpoint("ping", 0)
    server.checkpoint("ping", 1, answered=True)
    server.checkpoint("bad", 0)
    (record,) = server.records(1)
    time.sleep(0.5)
    assert [r["id"] for r in server.records(1)] == ["bad"]
    assert record["check"] == "verify-github"


def test_records_are_bounded_and_merged_with_another_writer(server: Running) -> None:
    other = refusals.new_record("hand-added", "2026-12-03T13:00:00Z", "c", "r", {}, "{}")
    server.api.meddle({refusals.RECORD_KEY: refusals.render([other])})
    server.checkpoint("a", 0)
    assert [r["id"] for r in server.records(2)] == ["hand-added", "a"]
    assert server.api.conflicts == 1
    for event in ("b", "c", "d"):
        server.checkpoint(event, 0)
    deadline = time.monotonic() + 10
    while [r["id"] for r in server.records(3)] != ["b", "c", "d"]:
        assert time.monotonic() < deadline, server.records(3)
        time.sleep(0.05)


def test_the_answer_is_always_continue(server: Running) -> None:
    assert server.post(b"{}") == (200, {"continue": True})
    assert server.post(b"not json")[0] == 400
    assert server.post(b"[]")[0] == 400
    assert server.post(b"", method="GET")[0] == 405
    big = json.dumps({**_checkpoint("huge", 0), "body": "x" * (70 * 1024)}).encode()
    assert server.post(big) == (200, {"continue": True})


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    """A 1 s request deadline for the server started after it."""
    monkeypatch.setattr("generator.runtime.refusals.REQUEST_DEADLINE", 1.0)
    return 1.0


def test_a_body_that_never_comes_is_cut_at_the_deadline(
    short_deadline: float, server: Running
) -> None:
    """The deadline covers the body too (BodyListener): a client that promises
    bytes and sends one is answered 408 and closed, not waited for."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.config.port), timeout=30) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert time.monotonic() - started < short_deadline + 5
    assert server.post(b"{}") == (200, {"continue": True})  # the next caller is served


def test_a_forbidden_config_map_is_logged_not_raised(
    server: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    config = replace(server.config, config_map="someone-elses")
    recorder = Recorder(config, kube.api_client(), SystemClock())
    recorder.book.checkpoint(_checkpoint("x", 0), 0.0, 0.0)
    assert asyncio.run(recorder.flush(10.0)) == []
    assert "refusals: not recorded (HTTP 403" in capsys.readouterr().err
