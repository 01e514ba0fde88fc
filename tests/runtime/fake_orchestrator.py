"""A loopback stand-in for sast-ai-orchestrator's MLOps batch API, with fault injection.

It follows /work/shared/contracts/orchestrator-mlops-batch.md: ``POST
{endpoint}`` answers 201 with the batch (compact Jackson-style JSON) or 400
with a plain-text message; ``GET {endpoint}/{id}`` 200 / 404 (text);
``GET {endpoint}?page=N&size=M`` a JSON array; the six ``BatchStatus``
values. Every request is recorded (method, path, headers, raw body) so tests
can assert on exactly what the server received.

The list takes ``page`` and ``size`` and nothing else: the contract names no
order and no filter, so none is offered. Its order is a constructor choice
(``list_order``): ``oldest`` or ``newest`` first, or ``shuffled`` anew on every
request (the sources page ``findAll()`` without a sort, so PostgreSQL may
answer in any order). ``submittedBy`` is refused with a 400 beyond 255
characters, as the sources' column (``@Column(name = "submitted_by")``, JPA's
default length) makes the real service do.

Reusable by any test (the rendered Tasks' wiring test uses it too)::

    with FakeOrchestrator() as fake:
        fake.add_fault("POST", Fault.create_then_drop())
        ...  # run `benchgen-poller submit` with BENCHGEN_ORCHESTRATOR_URL=fake.url
        assert fake.created == 1

Batches follow a plan: ``ScriptedPlan`` (one step per GET of that batch) or
``TimedPlan`` (progress as a function of a ``FakeClock``; the benchmark drives
the server and the poller from the same simulated clock).

Run it by hand from the repository root: ``python -m tests.runtime.fake_orchestrator --port 8080``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from tests.runtime.fake_server import LoopbackServer, QuietHandler

STATUSES = (
    "PROCESSING",
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "COMPLETED_EMPTY",
    "FAILED",
    "CANCELLED",
)
TERMINAL = STATUSES[1:]
REQUIRED = ("testingDataNvrsVersion", "promptsVersion", "knownNonIssuesVersion", "sastAiImage")
ENDPOINT = "/api/v1/mlops-batch"
# MlOpsBatch.submittedBy: a varchar(255) column.
SUBMITTED_BY_MAX = 255
ListOrder = Literal["oldest", "newest", "shuffled"]


class FakeClock:
    """Simulated monotonic time: ``sleep`` advances it instantly. Thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    advance = sleep


class RealClock:
    """Real time, for servers driven by wall-clock tests."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class Clock(Protocol):
    def monotonic(self) -> float: ...


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class View:
    """What a GET shows of a batch at one moment."""

    status: str
    total: int | None = None
    completed: int | None = None
    failed: int | None = None


class Plan(Protocol):
    def view(self, polls: int, elapsed: float) -> View:
        """The batch as seen by the ``polls``-th GET (0-based), ``elapsed`` s after creation."""
        ...


@dataclass
class ScriptedPlan:
    """One step per GET; the last step repeats."""

    steps: list[View]

    def view(self, polls: int, elapsed: float) -> View:
        return self.steps[min(polls, len(self.steps) - 1)]


def finishes(status: str = "COMPLETED", *, after: int = 1, total: int = 4) -> ScriptedPlan:
    """``after`` PROCESSING polls (null counts first, then progress), then ``status``."""
    steps = [
        View("PROCESSING") if i == 0 else View("PROCESSING", total, i * total // after, 0)
        for i in range(after)
    ]
    if status == "COMPLETED_EMPTY":
        steps.append(View(status, 0, 0, 0))
    elif status == "COMPLETED_WITH_ERRORS":
        steps.append(View(status, total, total - 1, 1))
    elif status == "COMPLETED":
        steps.append(View(status, total, total, 0))
    else:
        steps.append(View(status, total, 1, 0))
    return ScriptedPlan(steps)


def never_finishes() -> ScriptedPlan:
    return ScriptedPlan([View("PROCESSING", 10, 3, 0)])


@dataclass
class TimedPlan:
    """A batch of ``total`` jobs run by ``workers`` workers; the last one ends at ``duration``.

    Job durations are random (log-normal), so progress is lumpy and the tail is
    uneven, as on a real cluster. Counts are null for the first ``counts_after``
    seconds (jobs not created yet).
    """

    duration: float
    total: int = 100
    workers: int = 8
    final_status: str = "COMPLETED"
    fail_rate: float = 0.02
    counts_after: float = 30.0
    seed: int = 0
    ends: list[float] = field(init=False)
    fails: list[bool] = field(init=False)
    failed_before: list[int] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        free = [0.0] * self.workers
        ends: list[float] = []
        for _ in range(self.total):
            w = min(range(self.workers), key=free.__getitem__)
            free[w] += rng.lognormvariate(0.0, 0.6)
            ends.append(free[w])
        scale = (self.duration - self.counts_after) / max(ends)
        self.ends = sorted(self.counts_after + e * scale for e in ends)
        self.fails = [rng.random() < self.fail_rate for _ in ends]
        # Failures among the first i jobs to end: a view is two lookups (the
        # controller bench views 1,000 batches on every list page).
        self.failed_before = list(itertools.accumulate(self.fails, initial=0))

    def view(self, polls: int, elapsed: float) -> View:
        if elapsed < self.counts_after:
            return View("PROCESSING")
        done = bisect.bisect_right(self.ends, elapsed)
        failed = self.failed_before[done]
        if elapsed >= self.duration:
            status = self.final_status
            if status == "COMPLETED" and failed:
                status = "COMPLETED_WITH_ERRORS"
            return View(status, self.total, done - failed, failed)
        return View("PROCESSING", self.total, done - failed, failed)


# ---------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour, consumed by the next matching request."""

    kind: str  # status | drop | create_then_drop | garbage | slow
    status: int = 503
    body: str = "Service Unavailable"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0

    @staticmethod
    def http(status: int, body: str = "", **headers: str) -> Fault:
        """Answer ``status`` with a plain-text ``body`` (headers: ``Retry_After="1"``)."""
        hdrs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
        return Fault("status", status, body or f"HTTP {status}", hdrs)

    @staticmethod
    def drop() -> Fault:
        """Read the request, then close the connection without answering (nothing created)."""
        return Fault("drop")

    @staticmethod
    def create_then_drop() -> Fault:
        """POST only: create the batch, then close the connection without answering."""
        return Fault("create_then_drop")

    @staticmethod
    def garbage(status: int = 200, body: str = "<html>upstream hiccup</html>") -> Fault:
        """Answer ``status`` with a body that is not JSON (POST: the batch is still created)."""
        return Fault("garbage", status, body)

    @staticmethod
    def slow(seconds: float) -> Fault:
        """Wait ``seconds`` of real time, then answer normally (POST: created before the wait)."""
        return Fault("slow", delay=seconds)


# ---------------------------------------------------------------- server


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeBatch:
    batch_id: int
    submission: dict[str, Any]
    plan: Plan
    created_at: float
    submitted_at: str
    polls: int = 0


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class RecordingServer(LoopbackServer):
    """What this fake and fake_gitlab.py's keep alike, so that one scenario runs against
    both: every request recorded (``requests``), and faults queued per route, each taken
    by the next request of that route."""

    # Tests start and stop one per case: stop() must not wait out the default half second.
    poll_interval = 0.01

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], routes: tuple[str, ...], host: str, port: int
    ) -> None:
        self.requests: list[Received] = []
        self._faults: dict[str, list[Fault]] = {route: [] for route in routes}
        self._lock = threading.RLock()
        super().__init__(handler, host, port)

    def add_fault(self, route: str, *faults: Fault) -> None:
        """Queue faults for ``route``: ``POST`` (create), ``GET`` (one batch), ``LIST``
        (GitLab's ``VARS`` too)."""
        with self._lock:
            self._faults[route].extend(faults)

    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults[route]
            return queue.pop(0) if queue else None


class RecordingHandler(QuietHandler):
    """The handler base of :class:`RecordingServer`'s fakes."""

    server: RecordingServer
    # One write per answer: no Nagle / delayed-ACK stalls on loopback.
    disable_nagle_algorithm = True

    def _record(self) -> tuple[str, dict[str, list[str]], bytes]:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qs(parts.query)
        with self.server._lock:
            self.server.requests.append(Received(self.command, parts.path, query, headers, body))
        return parts.path, query, body

    def _drop(self) -> None:
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(2)


class FakeOrchestrator(RecordingServer):
    """The API on ``127.0.0.1:<free port>`` in a daemon thread; use as a context manager."""

    has_counts = True  # totalJobs, completedJobs, failedJobs
    profile = "sast-ai"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        plan: Callable[[], Plan] = lambda: finishes("COMPLETED", after=1),
        endpoint: str = ENDPOINT,
        first_id: int = 12,
        list_order: ListOrder = "oldest",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """``host``: where to listen; the real-cluster suite uses the node's address,
        which its pods reach."""
        self.clock: Clock = clock or RealClock()
        self.plan = plan
        self.endpoint = endpoint.rstrip("/")
        self.list_order = list_order
        self._shuffle = random.Random(0)
        self.batches: dict[int, FakeBatch] = {}
        self._next_id = first_id
        # Last: the handler reads the endpoint, and the port is bound from here on.
        super().__init__(_handler(self), ("POST", "GET", "LIST"), host, port)

    def env(self) -> dict[str, str]:
        """The two common env vars pointing at this server."""
        return {"BENCHGEN_ORCHESTRATOR_URL": self.url, "BENCHGEN_BATCH_ENDPOINT": self.endpoint}

    # -- test controls
    def add_batch(self, plan: Plan | None = None, **submission: Any) -> int:
        """Create a batch directly (as if submitted); its id."""
        body = {
            "testingDataNvrsVersion": "v1",
            "promptsVersion": "v1",
            "knownNonIssuesVersion": "v1",
            "sastAiImage": "quay.io/x/y:latest",
            "submittedBy": "test",
        }
        body.update(submission)
        with self._lock:
            return self._create(body, plan).batch_id

    @property
    def created(self) -> int:
        """How many batches exist."""
        return len(self.batches)

    def gets(self, batch_id: int | None = None) -> list[Received]:
        suffix = f"/{batch_id}" if batch_id is not None else None
        return [
            r
            for r in self.requests
            if r.method == "GET"
            and r.path != self.endpoint
            and (suffix is None or r.path.endswith(suffix))
        ]

    # -- model
    def _create(self, body: dict[str, Any], plan: Plan | None = None) -> FakeBatch:
        batch = FakeBatch(
            self._next_id,
            body,
            plan or self.plan(),
            self.clock.monotonic(),
            _iso(dt.datetime.now(dt.UTC)),
        )
        self.batches[batch.batch_id] = batch
        self._next_id += 1
        return batch

    def dto(self, batch: FakeBatch, view: View) -> dict[str, Any]:
        sub = batch.submission
        return {
            "batchId": batch.batch_id,
            "testingDataNvrsVersion": sub.get("testingDataNvrsVersion"),
            "promptsVersion": sub.get("promptsVersion"),
            "knownNonIssuesVersion": sub.get("knownNonIssuesVersion"),
            "sastAiImage": sub.get("sastAiImage"),
            "submittedBy": sub.get("submittedBy"),
            "submittedAt": batch.submitted_at,
            "lastUpdatedAt": _iso(dt.datetime.now(dt.UTC)),
            "status": view.status,
            "totalJobs": view.total,
            "completedJobs": view.completed,
            "failedJobs": view.failed,
        }

    def _listed(self) -> list[int]:
        """Batch ids in the order the list shows them."""
        ids = sorted(self.batches, reverse=self.list_order == "newest")
        if self.list_order == "shuffled":
            self._shuffle.shuffle(ids)
        return ids

    def _view(self, batch: FakeBatch, count_poll: bool) -> View:
        view = batch.plan.view(batch.polls, self.clock.monotonic() - batch.created_at)
        if count_poll:
            batch.polls += 1
        return view


def _handler(fake: FakeOrchestrator) -> type[BaseHTTPRequestHandler]:
    item = re.compile(re.escape(fake.endpoint) + r"/([^/]+)(/detailed)?")

    class Handler(RecordingHandler):  # HTTP/1.1 keep-alive, like Quarkus
        wbufsize = 1 << 16

        def _send(
            self, status: int, body: bytes, ctype: str, extra: tuple[tuple[str, str], ...] = ()
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _text(self, status: int, text: str, extra: tuple[tuple[str, str], ...] = ()) -> None:
            self._send(status, text.encode(), "text/plain;charset=UTF-8", extra)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, _compact(obj), "application/json;charset=UTF-8")

        def _apply(self, fault: Fault | None) -> bool:
            """Apply a fault that needs no batch; True if the request is done."""
            if fault is None:
                return False
            if fault.kind == "status":
                self._text(fault.status, fault.body, fault.headers)
                return True
            if fault.kind == "drop":
                self._drop()
                return True
            if fault.kind == "slow":
                time.sleep(fault.delay)
            return False

        def do_POST(self) -> None:
            path, _, body = self._record()
            if path != fake.endpoint:
                return self._text(404, "Not Found")
            fault = fake._take_fault("POST")
            if fault is not None and fault.kind in ("status", "drop"):
                self._apply(fault)
                return None
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                return self._text(415, "Unsupported Media Type")
            try:
                data = json.loads(body)
            except ValueError:
                return self._text(400, "Unable to parse the request body as JSON")
            if not isinstance(data, dict):
                return self._text(400, "Request body must be a JSON object")
            blank = [f for f in REQUIRED if not isinstance(data.get(f), str) or not data[f].strip()]
            if blank:
                return self._text(400, f"Validation failed: {blank[0]} must not be blank")
            by = data.get("submittedBy")
            if isinstance(by, str) and len(by) > SUBMITTED_BY_MAX:
                return self._text(
                    400,
                    "Error submitting MLOps batch: could not execute statement [ERROR: value too"
                    f" long for type character varying({SUBMITTED_BY_MAX})]",
                )
            with fake._lock:
                batch = fake._create(data)
                # A batch is born PROCESSING, counts unknown; plans start at the first GET.
                dto = fake.dto(batch, View("PROCESSING"))
            if fault is not None and fault.kind == "create_then_drop":
                return self._drop()
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "garbage":
                return self._text(fault.status, fault.body)
            return self._json(201, dto)

        def do_GET(self) -> None:
            path, query, _ = self._record()
            if path == fake.endpoint:
                if self._apply(fault := fake._take_fault("LIST")):
                    return None
                if fault is not None and fault.kind == "garbage":
                    return self._text(fault.status, fault.body)
                try:
                    page = int(query.get("page", ["0"])[0])
                    size = int(query.get("size", ["20"])[0])
                except ValueError:
                    return self._text(400, "page and size must be integers")
                with fake._lock:
                    ids = fake._listed()
                    chosen = ids[page * size : (page + 1) * size]
                    items = [
                        fake.dto(fake.batches[i], fake._view(fake.batches[i], count_poll=False))
                        for i in chosen
                    ]
                return self._json(200, items)
            match = item.fullmatch(path)
            if match is None:
                return self._text(404, "Not Found")
            if self._apply(fault := fake._take_fault("GET")):
                return None
            if fault is not None and fault.kind == "garbage":
                return self._text(fault.status, fault.body)
            raw = match.group(1)
            if not re.fullmatch(r"-?\d{1,19}", raw):
                return self._text(404, "Not Found")
            with fake._lock:
                batch = fake.batches.get(int(raw))
                if batch is None:
                    return self._text(404, f"Batch not found with id: {raw}")
                dto = fake.dto(batch, fake._view(batch, count_poll=True))
            return self._json(200, dto)

        def do_PUT(self) -> None:
            self._record()
            self._text(405, "Method Not Allowed")

        do_DELETE = do_PATCH = do_PUT

    return Handler


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--polls", type=int, default=3, help="polls before COMPLETED")
    a = ap.parse_args()
    server = FakeOrchestrator(port=a.port, plan=lambda: finishes("COMPLETED", after=a.polls))
    print(f"fake orchestrator on {server.url}{server.endpoint}", flush=True)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
