"""`benchgen-poller serve` and the observer's probes under hostile clients, on
loopback (issue 14): bounded connections, bounded time, memory under the pod's
limit, and the probes answered throughout.

Before the fix (stdlib ``ThreadingHTTPServer``, per-read timeout, up to 100
header lines of 64 KiB): 20 connections holding 6 MB of headers each took the
process from 67 to 290 MiB (past the rendered 256Mi), slow clients were never
cut while they kept sending, and 80 of them left ``/health`` answering 503.
The figures of each attack alone: ``python -m tests.runtime.hostile_clients``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.runtime.bounded_http import ProbeServer
from generator.runtime.serve import REQUEST_DEADLINE, SPARE_CONNECTIONS
from tests.runtime.hostile_clients import (
    TOKEN,
    Client,
    MiB,
    Prober,
    Sampler,
    free_port,
    get,
    header_bomb,
    idle_flood,
    serve,
    slow_clients,
)

pytestmark = pytest.mark.slow

POD_MEMORY_LIMIT = 256 * MiB  # the rendered default (spec.observe.resources.memoryLimit)
MAX_STREAMS = 8  # BENCHGEN_MAX_STREAMS: the API port then takes 8 + 32 connections
SLACK = 3.0  # a shared 2-core machine: scheduling, not the server


def _all_at_once(*attacks: tuple[str, Callable[[], list[Client]]]) -> dict[str, list[Client]]:
    """Run the attacks concurrently; each is bounded in count and time by itself."""
    results: dict[str, list[Client]] = {}

    def run(name: str, attack: Callable[[], list[Client]]) -> None:
        results[name] = attack()

    threads = [threading.Thread(target=run, args=a, daemon=True) for a in attacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(results) == {name for name, _ in attacks}, "an attack did not end in 60 s"
    return results


def test_serve_under_hostile_clients(tmp_path: Path) -> None:
    with serve(tmp_path, BENCHGEN_MAX_STREAMS=str(MAX_STREAMS)) as server:
        port = server.port
        with Prober(server.health_port) as probes, Sampler(server.pid) as memory:
            results = _all_at_once(
                # Each connection 6 MB of headers in 63 KB lines, then held open.
                ("bomb", lambda: header_bomb(port, clients=20, hold=15.0)),
                # Lines under every limit, 0.5 MB each, held open: the most a
                # connection can make the server keep.
                (
                    "under limits",
                    lambda: header_bomb(port, clients=60, megabytes=0.5, line=8000, hold=15.0),
                ),
                ("slow", lambda: slow_clients(port, clients=15, every=3.0, bound=20.0)),
                ("idle", lambda: idle_flood(port, connections=100, bound=20.0)),
            )
        output = server.output()
        everyone = [c for clients in results.values() for c in clients]

        # Bounded time: the server cut every one of them, none later than the deadline.
        assert all(c.cut_by_server for c in everyone), output[-2000:]
        assert max(c.held for c in everyone) < REQUEST_DEADLINE + SLACK
        oversized = results["bomb"]
        # Refused: 400 at the first line over the limit (or 503 when over the cap).
        assert all(c.answer.split(b" ")[1:2] in ([b"400"], [b"503"]) for c in oversized)
        assert any(c.answer.split(b" ")[1:2] == [b"400"] for c in oversized)
        assert max(c.sent for c in oversized) < 4 * MiB  # refused at the first 63 KB line
        # Bounded connections: beyond the cap, refused at once with 503.
        cap = MAX_STREAMS + SPARE_CONNECTIONS
        held = [c for c in everyone if c.held > 1.0]
        refused = [c for c in everyone if b" 503 " in c.answer[:13]]
        assert len(held) <= cap, (len(held), cap)
        assert refused and all(c.held < 1.0 + SLACK for c in refused)
        # Memory: under the pod's limit, with room to spare.
        assert memory.peak_rss < POD_MEMORY_LIMIT, memory.summary()
        assert memory.peak_rss - memory.start_rss < 128 * MiB, memory.summary()
        # The probes' port answered 200 throughout, well within the kubelet's 5 s.
        assert len(probes.answers) >= 10
        assert not probes.failures, probes.summary()
        assert probes.slowest < 1.0 + SLACK, probes.summary()

        print(f"hostile clients: {memory.summary()}; probes: {probes.summary()}")

        # And the API serves again at once: credentials checked, the (absent)
        # API server reported as such.
        assert get(port, "/health") == 200
        assert get(port, "/status/some-run") == 401
        assert get(port, "/status/some-run", timeout=30, token=TOKEN) == 503


def test_a_complete_request_sent_slowly_within_the_deadline_is_served(tmp_path: Path) -> None:
    with serve(tmp_path) as server, socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(REQUEST_DEADLINE)
        for part in (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            s.sendall(part)
            time.sleep(1.0)
        assert s.recv(100).startswith(b"HTTP/1.1 200 OK\r\n")


def test_the_observers_probes_are_bounded_too() -> None:
    port = free_port()
    probes = ProbeServer(port, {"/healthz": lambda: True, "/readyz": lambda: False}).start()
    try:
        assert (get(port, "/healthz"), get(port, "/readyz"), get(port, "/metrics")) == (
            200,
            503,
            404,
        )
        started = time.monotonic()
        slow = slow_clients(port, clients=20, every=1.0, bound=15.0)
        bombs = header_bomb(port, clients=5, hold=10.0)
        assert time.monotonic() - started < ProbeServer.DEADLINE + 2 * SLACK
        assert all(c.cut_by_server for c in slow + bombs)
        assert max(c.held for c in slow) < ProbeServer.DEADLINE + SLACK
        held = [c for c in slow if c.held > 1.0]
        assert len(held) <= ProbeServer.MAX_CONNECTIONS
        assert get(port, "/healthz") == 200  # and free again at once
    finally:
        probes.stop()
