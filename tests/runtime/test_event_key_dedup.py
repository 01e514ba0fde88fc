"""Deduplication by delivery id and the dedup record (issue 20).

The keys (generator/contract/event_key.py), the record's codec
(generator/contract/deliveries.py), and ``benchgen-poller event-key`` with a record
(generator/runtime/interceptor.py, generator/runtime/dedup.py): a real aiohttp
server on loopback, spoken to as Triggers does (POST of the InterceptorRequest
JSON, ``interceptor_params`` from the trigger's interceptor params), against a
loopback fake of the Kubernetes API (tests/runtime/fake_deliveries.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.contract import deliveries
from generator.contract.event_key import (
    DELIVERY_EXTENSION,
    EXTENSION,
    delivery_key,
    event_key,
)
from generator.runtime.dedup import RecordConfig
from generator.runtime.errors import InputError
from generator.runtime.interceptor import (
    ALREADY_EXISTS,
    INVALID_ARGUMENT,
    BadRequest,
    KeyConfig,
    answer,
    load_config,
    serve,
)
from tests.runtime.fake_deliveries import FakeApi

HEX32 = re.compile(r"[0-9a-f]{32}")
NS = "bench"
RECORD = "bench-deliveries"
PREFIX = "bench-run-"


# --- the keys ---------------------------------------------------------------------------


def test_delivery_key_is_stable_and_per_provider() -> None:
    guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert delivery_key("github", guid) == delivery_key("github", guid)
    assert delivery_key("github", guid) != delivery_key("gitlab", guid)
    assert HEX32.fullmatch(delivery_key("github", guid))
    # Another version tag: never the key of a CloudEvent with the same text.
    assert delivery_key("github", guid) != event_key("github", guid)
    # Length-prefixed: the split between provider and id matters.
    assert delivery_key("git", "hubx") != delivery_key("gith", "ubx")


def test_delivery_key_is_pinned() -> None:
    """Changing the encoding renames every future run (a redelivery across it runs twice)."""
    assert delivery_key("github", "d-1") == "b53e7279a9a1f0a0c08af1ab696892ba"
    data = b"benchgen.dev/delivery-key/v1\x00"
    for part in (b"github", b"d-1"):
        data += len(part).to_bytes(8, "big") + part
    assert delivery_key("github", "d-1") == hashlib.sha256(data).hexdigest()[:32]


# --- the record's codec -------------------------------------------------------------------


def test_record_round_trip_and_lenient_parse() -> None:
    a, b = "a" * 32, "b" * 32
    text = deliveries.render({b: 200, a: 100})
    assert text == f"{a} 100\n{b} 200\n"  # oldest first
    assert deliveries.parse(text + "garbage line\n" + "c" * 31 + " 5\n") == {a: 100, b: 200}
    assert deliveries.parse(None) == {}


def test_record_is_bounded_by_age_and_count() -> None:
    now = 10_000_000
    old = "0" * 32
    text = deliveries.with_keys(None, {old: now - deliveries.MAX_AGE - 1}, now)
    assert text is None  # too old to keep: nothing to write
    keys = {f"{i:032x}": now - i for i in range(deliveries.MAX_KEYS + 5)}
    full = deliveries.with_keys(None, keys, now)
    assert full is not None
    kept = deliveries.parse(full)
    assert len(kept) == deliveries.MAX_KEYS
    assert f"{0:032x}" in kept and f"{deliveries.MAX_KEYS + 4:032x}" not in kept  # newest kept
    # Well under the 1 MiB an object may hold.
    assert len(full.encode()) < 1024 * 1024 // 2
    # Nothing new: no write.
    assert deliveries.with_keys(full, {f"{0:032x}": now}, now) is None


# --- answer(): the webhook mode ---------------------------------------------------------


def _request(
    headers: dict[str, list[str]], provider: str | None = None, **extra: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "body": "{}",
        "header": {"Content-Type": ["application/json"], **headers},
        "extensions": {},
        "interceptor_params": {"provider": provider} if provider else {},
        "context": {"event_url": "http://el:8080/", "event_id": "e-1", "trigger_id": "t"},
    }
    request.update(extra)
    return request


def test_github_delivery_names_the_run() -> None:
    got = answer(_request({"X-Github-Delivery": ["d-1"]}, "github"))
    assert got == {
        "extensions": {DELIVERY_EXTENSION: delivery_key("github", "d-1")},
        "continue": True,
    }


def test_gitlab_is_keyed_on_its_idempotency_key() -> None:
    got = answer(_request({"Idempotency-Key": ["k-1"], "X-Gitlab-Event-Uuid": ["u"]}, "gitlab"))
    assert got["extensions"] == {DELIVERY_EXTENSION: delivery_key("gitlab", "k-1")}


def test_no_delivery_header_is_a_run_of_its_own() -> None:
    first = answer(_request({}, "github"))
    second = answer(_request({}, "github"))
    assert first["continue"] and second["continue"]
    one, two = first["extensions"][DELIVERY_EXTENSION], second["extensions"][DELIVERY_EXTENSION]
    assert HEX32.fullmatch(one) and one != two


def test_two_delivery_headers_are_refused() -> None:
    got = answer(_request({"X-GitHub-Delivery": ["d-1", "d-2"]}, "github"))
    assert got["continue"] is False and got["status"]["code"] == INVALID_ARGUMENT
    assert "2 X-GitHub-Delivery values" in got["status"]["message"]


def test_unknown_provider_or_params_are_bad_requests() -> None:
    with pytest.raises(BadRequest, match="'provider' is 'bitbucket'"):
        answer(_request({}, "bitbucket"))
    with pytest.raises(BadRequest, match="interceptor_params"):
        answer(_request({}, interceptor_params=["provider"]))


def test_webhook_mode_ignores_cloudevent_headers() -> None:
    """A caller of the webhook listener cannot pick the run's name with Ce-* headers."""
    got = answer(_request({"Ce-Source": ["/s"], "Ce-Id": ["1"]}, "github"))
    assert EXTENSION not in got["extensions"]


# --- configuration ----------------------------------------------------------------------


def test_record_env_is_all_or_nothing() -> None:
    assert load_config({}).record is None
    env = {
        "BENCHGEN_DEDUP_CONFIGMAP": RECORD,
        "BENCHGEN_NAMESPACE": NS,
        "BENCHGEN_RUN_PREFIX": PREFIX,
    }
    assert load_config(env).record == RecordConfig(RECORD, NS, PREFIX)
    with pytest.raises(InputError, match="BENCHGEN_RUN_PREFIX required"):
        load_config({k: v for k, v in env.items() if k != "BENCHGEN_RUN_PREFIX"})


# --- the server with its record, against the fake API ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    def __init__(self, port: int, api: FakeApi) -> None:
        self.port = port
        self.api = api

    def post(self, request: dict[str, Any]) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/", json.dumps(request), {"Content-Type": "application/json"})
            res = conn.getresponse()
            assert res.status == 200
            body: dict[str, Any] = json.loads(res.read())
            return body
        finally:
            conn.close()

    def recorded(self) -> dict[str, int]:
        return deliveries.parse(self.api.data(NS, RECORD).get(deliveries.RECORD_KEY))


def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    with FakeApi(allowed=(RECORD,)) as server:
        server.create_config_map(NS, RECORD, None)  # rendered without data
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KUBECONFIG", str(server.kubeconfig(tmp_path / "kubeconfig")))
        yield server


@pytest.fixture
def server(api: FakeApi) -> Iterator[Running]:
    record = RecordConfig(
        RECORD, NS, PREFIX, confirm_window=1.5, confirm_interval=0.1, cache_seconds=0.0
    )
    config = KeyConfig(_free_port(), _free_port(), 64 * 1024, request_deadline=5.0, record=record)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(config, stop))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", config.port), timeout=1).close()
            return True
        except OSError:
            return False

    _until(up)
    try:
        yield Running(config.port, api)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def _github(delivery: str) -> dict[str, Any]:
    return _request({"X-GitHub-Delivery": [delivery]}, "github")


def test_redelivery_after_the_run_was_pruned_starts_nothing(server: Running) -> None:
    key = delivery_key("github", "d-1")
    first = server.post(_github("d-1"))
    assert first["continue"] is True
    server.api.create_run(NS, PREFIX + key)  # Triggers creates the run
    _until(lambda: key in server.recorded())
    server.api.delete_run(NS, PREFIX + key)  # pruned
    again = server.post(_github("d-1"))
    assert again["continue"] is False
    assert again["status"]["code"] == ALREADY_EXISTS
    assert f"already started run {PREFIX}{key}" in again["status"]["message"]
    # Another delivery is another event.
    assert server.post(_github("d-2"))["continue"] is True


def test_cloudevent_keys_are_recorded_too(server: Running) -> None:
    key = event_key("/ci", "42")
    request = _request({"Ce-Source": ["/ci"], "Ce-Id": ["42"]})
    assert server.post(request)["continue"] is True
    server.api.create_run(NS, PREFIX + key)
    _until(lambda: key in server.recorded())
    refused = server.post(request)
    assert refused["continue"] is False and refused["status"]["code"] == ALREADY_EXISTS


def test_an_event_whose_run_never_appeared_is_not_recorded(server: Running) -> None:
    """A later check or the API server refused it: its redelivery must still start it."""
    key = delivery_key("github", "d-lost")
    assert server.post(_github("d-lost"))["continue"] is True
    time.sleep(2.0)  # past the confirm window (1.5 s)
    assert key not in server.recorded()
    assert server.post(_github("d-lost"))["continue"] is True


def test_random_keys_are_never_recorded(server: Running) -> None:
    got = server.post(_request({}, "github"))
    key = got["extensions"][DELIVERY_EXTENSION]
    server.api.create_run(NS, PREFIX + key)
    time.sleep(1.0)
    assert server.recorded() == {}
    assert server.api.patches == 0


def test_a_concurrent_writer_is_merged_not_overwritten(server: Running) -> None:
    """Two replicas write the record: a 409 re-reads and merges, keeping both keys."""
    other = "f" * 32
    server.api.meddle({deliveries.RECORD_KEY: f"{other} {int(time.time())}\n"})
    key = delivery_key("github", "d-3")
    assert server.post(_github("d-3"))["continue"] is True
    server.api.create_run(NS, PREFIX + key)
    _until(lambda: key in server.recorded())
    assert other in server.recorded()
    assert server.api.conflicts == 1
    assert all("fieldManager=benchgen-event-key" in q for q in server.api.field_managers)


def test_an_unreadable_record_lets_the_event_through(server: Running) -> None:
    """Fail open: while the run exists its name still refuses a copy."""
    server.api.fail(503, 503, 503)
    assert server.post(_github("d-4"))["continue"] is True
