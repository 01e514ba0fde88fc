"""Hostile HTTP clients on loopback, and what is measured while they attack.

`benchgen-poller serve` runs as a real process (``ServeProcess``; its API
server address is a dead loopback port: nothing here gets past the
credentials). The attacks, each bounded in count and in time:

    header_bomb(port, clients=20, megabytes=6)   # each connection sends 6 MB of headers
    slow_clients(port, clients=15, every=3.0)    # one header line every 3 s, never done
    idle_flood(port, connections=300)            # connect and send nothing

While one runs, ``Prober`` asks ``GET /health`` every 0.5 s with the kubelet's
5 s timeout and ``Sampler`` reads the server's RSS and open sockets from
/proc every 50 ms. Traffic goes to 127.0.0.1 only.

``python -m tests.runtime.hostile_clients`` prints the figures of every
attack (the README's before/after table comes from it).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hostile-test-token-0123456789"
REQUEST_LINE = b"GET /status/some-run HTTP/1.1\r\nHost: status\r\n"
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the server ------------------------------------------------------------


@dataclass
class ServeProcess:
    proc: subprocess.Popen[bytes]
    port: int
    health_port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve(tmp: Path, **env: str) -> Iterator[ServeProcess]:
    """`benchgen-poller serve` on two free loopback ports, healthy, stopped after."""
    token = tmp / "token"
    token.write_text(TOKEN + "\n")
    kubeconfig = tmp / "kubeconfig"
    dead = free_port()  # nothing listens: no request here reaches an API server
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{dead}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    port, health_port = free_port(), free_port()
    log = tmp / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator.runtime", "serve"],
            cwd=ROOT,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "KUBECONFIG": str(kubeconfig),
                "BENCHGEN_NAMESPACE": "bench",
                "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=demo",
                "BENCHGEN_AUTH_TYPE": "bearer",
                "BENCHGEN_AUTH_FILE": str(token),
                "BENCHGEN_PORT": str(port),
                "BENCHGEN_HEALTH_PORT": str(health_port),
                **env,
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = ServeProcess(proc, port, health_port, log)
    try:
        deadline = time.monotonic() + 30
        while get(port, "/health", timeout=1.0) != 200:
            assert proc.poll() is None, server.output()
            assert time.monotonic() < deadline, "serve did not answer /health in 30 s"
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str, timeout: float = 5.0, token: str | None = None) -> int | str:
    """One GET; its status, or what went wrong instead ('timeout', 'refused', 'reset')."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except (OSError, http.client.HTTPException):
        return "reset"
    finally:
        conn.close()


# -- measurements ------------------------------------------------------------


@dataclass
class Prober:
    """``GET path`` every ``interval`` with the kubelet's timeout, in a thread."""

    port: int
    path: str = "/health"
    interval: float = 0.5
    timeout: float = 5.0
    answers: list[tuple[int | str, float]] = field(default_factory=list)  # (status, seconds)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            status = get(self.port, self.path, self.timeout)
            self.answers.append((status, time.monotonic() - started))
            self._stop.wait(self.interval)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 1)

    @property
    def failures(self) -> list[tuple[int | str, float]]:
        return [a for a in self.answers if a[0] != 200]

    @property
    def slowest(self) -> float:
        return max((s for _, s in self.answers), default=0.0)

    def summary(self) -> str:
        ok = len(self.answers) - len(self.failures)
        bad = sorted({str(s) for s, _ in self.failures})
        return (
            f"{ok}/{len(self.answers)} answered 200"
            + (f" (others: {', '.join(bad)})" if bad else "")
            + f", slowest {self.slowest:.2f} s"
        )


def rss(pid: int, field: str = "VmRSS") -> int:
    """The process's resident memory, bytes (``VmHWM``: its peak so far, as the
    kernel counts it, so no short spike is missed between samples)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def sockets(pid: int) -> int:
    """Open sockets of the process (listening ones included)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


@dataclass
class Sampler:
    """The server's RSS and open sockets every 50 ms, in a thread: the peaks."""

    pid: int
    start_rss: int = 0
    peak_rss: int = 0
    peak_sockets: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with contextlib.suppress(OSError, AssertionError):
                self.peak_rss = max(self.peak_rss, rss(self.pid))
                self.peak_sockets = max(self.peak_sockets, sockets(self.pid))

    def __enter__(self) -> Sampler:
        self.start_rss = self.peak_rss = rss(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(2)
        with contextlib.suppress(OSError, AssertionError):
            self.peak_rss = max(self.peak_rss, rss(self.pid, "VmHWM"))

    def summary(self) -> str:
        return (
            f"RSS {self.start_rss / MiB:.0f} MiB -> peak {self.peak_rss / MiB:.0f} MiB,"
            f" peak open sockets {self.peak_sockets}"
        )


# -- attacks -----------------------------------------------------------------


@dataclass
class Client:
    """What one hostile connection achieved."""

    sent: int = 0  # bytes the server took before it closed or answered
    held: float = 0.0  # seconds from connect until the server closed or answered
    answer: bytes = b""  # the first bytes of the server's answer, if any
    cut_by_server: bool = False  # False: the attack's own bound ended it


def _attack(clients: int, one: Callable[[Client], None], bound: float) -> list[Client]:
    results = [Client() for _ in range(clients)]
    threads = [threading.Thread(target=one, args=(r,), daemon=True) for r in results]
    for t in threads:
        t.start()
    end = time.monotonic() + bound + 10
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    return results


def _answered(sock: socket.socket, result: Client, wait: float) -> bool:
    """True once the server answered or closed (recorded in ``result``)."""
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:
        result.answer = sock.recv(200)
    except OSError:
        result.answer = b""
    result.cut_by_server = True
    return True


def header_bomb(
    port: int,
    clients: int = 20,
    megabytes: float = 6,
    line: int = 63_000,
    hold: float = 10.0,
    bound: float = 20.0,
) -> list[Client]:
    """``clients`` connections at once, each sending ``megabytes`` of header lines of
    ``line`` bytes and then holding the connection for ``hold`` seconds without
    ending the headers, unless the server stops it first."""
    total = int(megabytes * 1_000_000)
    header = b"X-Pad-%06d: " + b"a" * (line - 16) + b"\r\n"

    def one(result: Client) -> None:
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.settimeout(2.0)
                try:
                    sock.sendall(REQUEST_LINE)
                    number = 0
                    while result.sent + line <= total and time.monotonic() - started < bound:
                        data = header % number
                        sock.sendall(data)
                        result.sent += len(data)
                        number += 1
                        if number % 16 == 0 and _answered(sock, result, 0):
                            break
                    else:
                        held = time.monotonic()
                        while time.monotonic() - held < hold:
                            if _answered(sock, result, 0.5):
                                break
                except OSError:
                    result.cut_by_server = True  # reset, or stopped reading: refused
                if result.cut_by_server and not result.answer:
                    with contextlib.suppress(OSError):
                        result.answer = sock.recv(200)
        except OSError:
            result.cut_by_server = True
        result.held = time.monotonic() - started

    return _attack(clients, one, bound)


def slow_clients(
    port: int, clients: int = 15, every: float = 3.0, bound: float = 36.0
) -> list[Client]:
    """``clients`` connections sending their headers one line every ``every``
    seconds and never finishing, until the server closes them or ``bound``."""

    def one(result: Client) -> None:
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(REQUEST_LINE)
                number = 0
                while time.monotonic() - started < bound:
                    if _answered(sock, result, every):
                        break
                    data = b"X-Slow-%d: x\r\n" % number
                    try:
                        sock.sendall(data)
                    except OSError:
                        result.cut_by_server = True
                        break
                    result.sent += len(data)
                    number += 1
        except OSError:
            result.cut_by_server = True
        result.held = time.monotonic() - started

    return _attack(clients, one, bound)


def idle_flood(port: int, connections: int = 300, bound: float = 20.0) -> list[Client]:
    """``connections`` connections that send nothing, until closed or ``bound``."""

    def one(result: Client) -> None:
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                while time.monotonic() - started < bound:
                    if _answered(sock, result, 0.5):
                        break
        except OSError:
            result.cut_by_server = True
        result.held = time.monotonic() - started

    return _attack(connections, one, bound)


def describe(results: list[Client]) -> str:
    cut = [r for r in results if r.cut_by_server]
    answers = sorted({r.answer.split(b"\r\n", 1)[0].decode(errors="replace") for r in cut})
    return (
        f"{len(cut)}/{len(results)} cut by the server"
        f" (answers: {', '.join(a or '(none)' for a in answers)}),"
        f" at most {max(r.sent for r in results) / MiB:.2f} MiB taken per connection,"
        f" held at most {max(r.held for r in results):.1f} s"
    )


def main() -> None:
    import tempfile

    attacks: list[tuple[str, Callable[[int], list[Client]]]] = [
        ("10 connections x 6 MB of headers (63 KB lines)", lambda p: header_bomb(p, clients=10)),
        ("20 connections x 6 MB of headers (63 KB lines)", lambda p: header_bomb(p)),
        ("20 connections x 6 MB of headers (8 KB lines)", lambda p: header_bomb(p, line=8000)),
        (
            "100 connections x 0.5 MB of headers (8 KB lines: under every limit), held",
            lambda p: header_bomb(p, clients=100, megabytes=0.5, line=8000, hold=15.0),
        ),
        ("15 slow clients, one header line every 3 s", lambda p: slow_clients(p)),
        ("80 slow clients, one header line every 3 s", lambda p: slow_clients(p, clients=80)),
        ("300 idle connections", lambda p: idle_flood(p)),
    ]
    wanted = sys.argv[1:]  # words: only the attacks whose name has one of them
    for name, attack in attacks:
        if wanted and not any(w in name for w in wanted):
            continue
        with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server:
            probes = [Prober(server.port)]
            if get(server.health_port, "/health") == 200:
                probes.append(Prober(server.health_port))
            with Sampler(server.pid) as sampler, contextlib.ExitStack() as stack:
                for probe in probes:
                    stack.enter_context(probe)
                started = time.monotonic()
                results = attack(server.port)
                elapsed = time.monotonic() - started
            print(f"## {name} ({elapsed:.1f} s)")
            print(f"  clients: {describe(results)}")
            print(f"  server: {sampler.summary()}")
            print(f"  /health on the API port: {probes[0].summary()}")
            if len(probes) > 1:
                print(f"  /health on the probe port: {probes[1].summary()}")
            print(f"  afterwards: /health {get(server.port, '/health')}", flush=True)


if __name__ == "__main__":
    main()
