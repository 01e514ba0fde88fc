"""`benchgen-poller event-key`: the CloudEvents listener's interceptor.

The key (generator/contract/event_key.py) and the HTTP server (generator/runtime/interceptor.py)
against a real aiohttp server on loopback, spoken to as Triggers' sink does
(pkg/interceptors.Execute in v0.37.0: POST of the InterceptorRequest JSON,
Content-Type application/json, anything but 200 is a failed interceptor).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from generator.contract.event_key import EXTENSION, KEY_LENGTH, event_key
from generator.runtime.__main__ import main
from generator.runtime.errors import InputError
from generator.runtime.interceptor import (
    INVALID_ARGUMENT,
    KeyConfig,
    answer,
    load_config,
    serve,
)

DNS_LABEL_TAIL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LIMIT = 64 * 1024
DEADLINE = 1.0


# --- the key -------------------------------------------------------------------


def test_same_event_same_key() -> None:
    assert event_key("/ci/gitlab", "42") == event_key("/ci/gitlab", "42")


def test_same_id_from_another_source_is_another_event() -> None:
    assert event_key("/ci/gitlab", "42") != event_key("/ci/github", "42")


def test_encoding_is_unambiguous() -> None:
    # Plain concatenation would give "abc" for both.
    assert event_key("a", "bc") != event_key("ab", "c")
    assert event_key("", "abc") != event_key("abc", "")
    # Nor does a separator character help an attacker: lengths come first.
    assert event_key("a\x00", "b") != event_key("a", "\x00b")


def test_key_is_dns_safe_and_fits_the_run_name_room() -> None:
    for source, ident in [
        ("/apis/v1/namespaces/bench/pingsources/nightly", "9f1c2d3e-0000-4000-8000-000000000001"),
        ("https://example.com/ÄÖÜ", "ID WITH SPACES AND UPPER CASE"),
        ("x" * 1024, "y" * 4096),
        ("\ud800", "lone surrogate from JSON"),
    ]:
        key = event_key(source, ident)
        assert len(key) == KEY_LENGTH == 32
        assert DNS_LABEL_TAIL.match(key), key
    # benchgen refuses a runPrefix leaving less than 36 characters (names.MIN_EVENT_ID_ROOM).
    assert KEY_LENGTH <= 36


def test_key_is_pinned() -> None:
    """The encoding is a contract (a change renames every run): version tag, then
    8-byte big-endian lengths of the UTF-8 bytes."""
    import hashlib

    data = (
        b"benchgen.dev/cloudevent-key/v1\x00"
        + (3).to_bytes(8, "big")
        + b"/ci"
        + (2).to_bytes(8, "big")
        + b"42"
    )
    assert event_key("/ci", "42") == hashlib.sha256(data).hexdigest()[:32]


# --- the answer ------------------------------------------------------------------


def _request(headers: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    """An InterceptorRequest as Triggers v0.37.0 marshals it."""
    return {
        "body": '{"data":"v1"}',
        "header": headers,
        "extensions": {"cloudevent": {"id": "42"}, "benchgen": {"data": "v1"}},
        "context": {
            "event_url": "http://el-bench-events.bench.svc.cluster.local:8080/",
            "event_id": "6b3e0b8a-1",
            "trigger_id": "namespaces/bench/triggers/cloudevent",
        },
        **extra,
    }


CE = {
    "Ce-Specversion": ["1.0"],
    "Ce-Id": ["42"],
    "Ce-Source": ["/ci/gitlab"],
    "Ce-Type": ["com.example.benchmark.requested.v1"],
    "Content-Type": ["application/json"],
}


def test_answer_sets_the_key_extension_and_continues() -> None:
    out = answer(_request(CE))
    assert out == {"extensions": {EXTENSION: event_key("/ci/gitlab", "42")}, "continue": True}


def test_header_names_match_without_case() -> None:
    out = answer(_request({"ce-id": ["42"], "CE-SOURCE": ["/ci/gitlab"]}))
    assert out["extensions"][EXTENSION] == event_key("/ci/gitlab", "42")


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Ce-Source": ["/ci"]}, "no Ce-Id header"),
        ({"Ce-Id": ["42"]}, "no Ce-Source header"),
        ({"Ce-Id": [""], "Ce-Source": ["/ci"]}, "no Ce-Id header"),
        ({"Ce-Id": [], "Ce-Source": ["/ci"]}, "no Ce-Id header"),
        ({"Ce-Id": ["1", "2"], "Ce-Source": ["/ci"]}, "2 Ce-Id values"),
        ({}, "no Ce-Source header; the event has no Ce-Id header"),
    ],
)
def test_missing_or_ambiguous_headers_stop_the_trigger(
    headers: dict[str, list[str]], why: str
) -> None:
    out = answer(_request(headers))
    assert out["continue"] is False
    assert out["status"]["code"] == INVALID_ARGUMENT
    assert why in out["status"]["message"]
    assert "extensions" not in out


def test_config_defaults_and_problems() -> None:
    assert load_config({}) == KeyConfig(8080, 8081, 1024 * 1024)
    with pytest.raises(InputError) as err:
        load_config(
            {
                "BENCHGEN_PORT": "x",
                "BENCHGEN_HEALTH_PORT": "8081",
                "BENCHGEN_MAX_REQUEST_BYTES": "1",
            }
        )
    assert "BENCHGEN_PORT 'x'" in str(err.value)
    assert "BENCHGEN_MAX_REQUEST_BYTES '1'" in str(err.value)
    with pytest.raises(InputError, match="a port of their own"):
        load_config({"BENCHGEN_PORT": "9000", "BENCHGEN_HEALTH_PORT": "9000"})


def test_bad_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["event-key"], env={"BENCHGEN_PORT": "0"}) == 2
    assert "benchgen-poller event-key: error: BENCHGEN_PORT" in capsys.readouterr().err


# --- the server, on loopback ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    def __init__(self, port: int, health_port: int) -> None:
        self.port = port
        self.health_port = health_port

    def post(
        self, body: bytes, path: str = "/", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(
                "POST", path, body, {"Content-Type": "application/json", **(headers or {})}
            )
            res = conn.getresponse()
            return res.status, json.loads(res.read() or b"{}")
        finally:
            conn.close()


@pytest.fixture
def server() -> Iterator[Running]:
    config = KeyConfig(_free_port(), _free_port(), LIMIT, request_deadline=DEADLINE)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    result: list[int] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        result.append(loop.run_until_complete(serve(config, stop)))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", config.health_port), timeout=1).close()
            socket.create_connection(("127.0.0.1", config.port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "event-key did not start"
            time.sleep(0.05)
    try:
        yield Running(config.port, config.health_port)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        assert result == [0]


def test_server_answers_an_interceptor_request(server: Running) -> None:
    status, out = server.post(json.dumps(_request(CE)).encode())
    assert status == 200
    assert out == {"extensions": {EXTENSION: event_key("/ci/gitlab", "42")}, "continue": True}
    # Stateless: the same event again gets the same key (the run name collides).
    assert server.post(json.dumps(_request(CE)).encode()) == (status, out)
    # The same id from another source: another key, another run.
    other = {**CE, "Ce-Source": ["/ci/github"]}
    _, out2 = server.post(json.dumps(_request(other)).encode())
    assert out2["extensions"][EXTENSION] != out["extensions"][EXTENSION]


def test_server_refuses_an_event_without_its_headers(server: Running) -> None:
    status, out = server.post(json.dumps(_request({"Ce-Id": ["42"]})).encode())
    # 200 with continue false: Triggers stops this trigger and logs the message.
    assert status == 200
    assert out["continue"] is False
    assert out["status"] == {"code": 3, "message": "the event has no Ce-Source header"}


def test_server_refuses_an_oversized_request(server: Running) -> None:
    big = _request(CE, body="x" * (LIMIT + 1))
    status, out = server.post(json.dumps(big).encode())
    assert status == 413
    assert out["continue"] is False and str(LIMIT) in out["status"]["message"]


def test_server_refuses_an_oversized_chunked_request(server: Running) -> None:
    """Without Content-Length the body is read up to the limit, never past it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 16384
        try:
            for _ in range(LIMIT // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed
        answer_bytes = sock.recv(65536)
    assert answer_bytes.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "the body is not JSON"),
        (b"[]", "the body is not a JSON object"),
        (b'{"header": ["Ce-Id"]}', "'header' is not an object"),
        (b'{"header": {"Ce-Id": "42"}}', "header 'Ce-Id' is not a list of strings"),
    ],
)
def test_server_answers_400_to_what_is_no_interceptor_request(
    server: Running, body: bytes, reason: str
) -> None:
    status, out = server.post(body)
    assert status == 400
    assert reason in out["error"]


def test_server_routes(server: Running) -> None:
    assert server.post(b"{}", path="/other")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/")
    res = conn.getresponse()
    assert res.status == 405 and res.getheader("Allow") == "POST"
    conn.close()
    probe = http.client.HTTPConnection("127.0.0.1", server.health_port, timeout=10)
    probe.request("GET", "/health")
    assert probe.getresponse().status == 200
    probe.close()


def test_server_cuts_a_request_whose_body_never_comes(server: Running) -> None:
    """The deadline covers the body too: a client that promises bytes and sends none
    is answered 408 and closed, not waited for."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert time.monotonic() - started < DEADLINE + 5
