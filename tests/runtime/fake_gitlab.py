"""A loopback stand-in for GitLab's Pipelines API (REST v4), with fault injection.

It follows docs.gitlab.com's Pipelines API for what benchgen's ``gitlab``
profile uses, under ``/api/v4/projects/<id>``:

- ``POST .../pipeline`` with JSON ``{"ref", "variables": [{"key", "value",
  "variable_type"}]}`` -> ``201`` with the pipeline (``id``, ``iid``,
  ``project_id``, ``sha``, ``ref``, ``status: created``, ``source: api``,
  ``web_url``, timestamps, ...); ``400`` ``{"error": "ref is missing"}`` or
  ``{"message": {"base": ["Reference not found"]}}``;
- ``GET .../pipelines/:id`` -> ``200`` the pipeline, ``404`` ``{"message": "404 Not found"}``;
- ``GET .../pipelines?ref&source&updated_after&order_by&sort&per_page&page`` ->
  a JSON array (pages from 1, at most 100 a page, ``id`` descending by default)
  with ``X-Page``, ``X-Per-Page``, ``X-Total``, ``X-Next-Page``;
- ``GET .../pipelines/:id/variables`` -> ``[{"key", "variable_type", "value"}]``;
- every request needs ``PRIVATE-TOKEN`` (else ``401`` ``{"message": "401 Unauthorized"}``);
  errors are JSON ``{"message": ...}``; ``429`` carries ``Retry-After``.

A pipeline's status goes ``created`` (at the POST) -> ``pending`` (first GET)
-> ``running`` while its plan says PROCESSING -> its end. Plans are the sast-ai
fake's (:mod:`tests.runtime.fake_orchestrator`), so one scenario runs against
both: an outcome in a plan becomes GitLab's word for it (``COMPLETED`` ->
``success``, ``COMPLETED_EMPTY`` -> ``skipped``, ``FAILED`` -> ``failed``,
``CANCELLED`` -> ``canceled``), a lower-case status is sent as it is, and
counts are dropped (a pipeline has none). Faults: routes ``POST``, ``GET``,
``LIST`` and ``VARS``, the sast-ai fake's :class:`Fault` kinds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from generator.contract import orchestrator_api
from tests.runtime.fake_orchestrator import (
    Clock,
    Fault,
    Plan,
    RealClock,
    Received,
    RecordingHandler,
    RecordingServer,
    View,
    finishes,
)

PROJECT = "42"
ENDPOINT = f"/api/v4/projects/{PROJECT}"
TOKEN = "glpat-benchgen-test-token"
STATUSES = (
    "created",
    "waiting_for_resource",
    "preparing",
    "pending",
    "running",
    "success",
    "failed",
    "canceled",
    "skipped",
    "manual",
    "scheduled",
)
# An outcome in a plan -> the GitLab status that means it.
FROM_OUTCOME = {
    "COMPLETED": "success",
    "COMPLETED_WITH_ERRORS": "success",  # GitLab has no such status: allowed failures pass
    "COMPLETED_EMPTY": "skipped",
    "FAILED": "failed",
    "CANCELLED": "canceled",
}
MAX_PER_PAGE = 100


@dataclass
class FakePipeline:
    pipeline_id: int
    iid: int
    ref: str
    variables: list[dict[str, str]]
    plan: Plan
    created_at: float  # the clock's
    created_wall: dt.datetime
    updated_wall: dt.datetime
    polls: int = 0
    status: str = "created"
    # The sast-ai fake's name for the creation body, which tests read back.
    submission: dict[str, Any] = field(default_factory=dict)


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeGitLab(RecordingServer):
    """The API on ``127.0.0.1:<free port>`` in a daemon thread; use as a context manager.
    Its test surface is :class:`~tests.runtime.fake_orchestrator.FakeOrchestrator`'s."""

    has_counts = False
    profile = "gitlab"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        plan: Callable[[], Plan] = lambda: finishes("COMPLETED", after=1),
        first_id: int = 12,
        refs: tuple[str, ...] = ("main",),
        token: str = TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.clock: Clock = clock or RealClock()
        self.plan = plan
        self.endpoint = ENDPOINT
        self.refs = refs
        self.token = token
        self.pipelines: dict[int, FakePipeline] = {}
        self._variables_faults: dict[int, list[Fault]] = {}
        self._next_id = first_id
        self._dir = tempfile.TemporaryDirectory(prefix="fake-gitlab-")
        self.token_file = Path(self._dir.name) / "token"
        self.token_file.write_text(token + "\n")
        # Last: the handler reads the endpoint, and the port is bound from here on.
        super().__init__(_handler(self), ("POST", "GET", "LIST", "VARS"), host, port)

    def stop(self) -> None:
        super().stop()
        self._dir.cleanup()

    def env(self) -> dict[str, str]:
        """The env of a submit or wait speaking to this server with the gitlab profile."""
        return {
            "BENCHGEN_ORCHESTRATOR_URL": self.url,
            "BENCHGEN_BATCH_ENDPOINT": self.endpoint,
            "BENCHGEN_ORCHESTRATOR_API": orchestrator_api.encode(orchestrator_api.GITLAB),
            "BENCHGEN_ORCHESTRATOR_TOKEN_FILE": str(self.token_file),
        }

    # -- test controls
    def add_variables_fault(self, pipeline_id: int, *faults: Fault) -> None:
        """Queue faults for reading one pipeline's variables."""
        with self._lock:
            self._variables_faults.setdefault(pipeline_id, []).extend(faults)

    def add_batch(self, plan: Plan | None = None, **variables: str) -> int:
        """Create a pipeline directly (as if triggered through the API); its id."""
        with self._lock:
            pairs = [
                {"key": k, "value": v, "variable_type": "env_var"} for k, v in variables.items()
            ]
            return self._create(self.refs[0], pairs, plan).pipeline_id

    @property
    def created(self) -> int:
        return len(self.pipelines)

    @property
    def batches(self) -> dict[int, FakePipeline]:
        return self.pipelines

    def gets(self, batch_id: int | None = None) -> list[Received]:
        """GETs of one pipeline (not of the list, not of variables)."""
        one = re.compile(re.escape(self.endpoint) + r"/pipelines/(\d+)")
        return [
            r
            for r in self.requests
            if r.method == "GET"
            and (m := one.fullmatch(r.path)) is not None
            and (batch_id is None or int(m.group(1)) == batch_id)
        ]

    # -- model
    def _create(
        self, ref: str, variables: list[dict[str, str]], plan: Plan | None = None
    ) -> FakePipeline:
        now = dt.datetime.now(dt.UTC)
        pipeline = FakePipeline(
            self._next_id,
            self._next_id - 11,
            ref,
            variables,
            plan or self.plan(),
            self.clock.monotonic(),
            now,
            now,
            submission={"ref": ref, "variables": variables},
        )
        self.pipelines[pipeline.pipeline_id] = pipeline
        self._next_id += 1
        return pipeline

    def _advance(self, pipeline: FakePipeline) -> None:
        """One GET of the pipeline: its next status."""
        view: View = pipeline.plan.view(
            pipeline.polls, self.clock.monotonic() - pipeline.created_at
        )
        pipeline.polls += 1
        if view.status == "PROCESSING":
            status = "pending" if pipeline.polls == 1 else "running"
        else:
            status = FROM_OUTCOME.get(view.status, view.status)
        if status != pipeline.status:
            pipeline.status = status
            pipeline.updated_wall = dt.datetime.now(dt.UTC)

    def dto(self, p: FakePipeline, *, full: bool) -> dict[str, Any]:
        sha = hashlib.sha1(p.ref.encode()).hexdigest()
        out: dict[str, Any] = {
            "id": p.pipeline_id,
            "iid": p.iid,
            "project_id": int(PROJECT),
            "sha": sha,
            "ref": p.ref,
            "status": p.status,
            "source": "api",
            "created_at": _iso(p.created_wall),
            "updated_at": _iso(p.updated_wall),
            "web_url": f"https://gitlab.example.com/group/project/-/pipelines/{p.pipeline_id}",
        }
        if full:
            out.update(
                {
                    "before_sha": "0" * 40,
                    "tag": False,
                    "yaml_errors": None,
                    "user": {"id": 1, "username": "benchgen-bot", "name": "benchgen"},
                    "started_at": None,
                    "finished_at": None,
                    "committed_at": None,
                    "duration": None,
                    "queued_duration": None,
                    "coverage": None,
                    "detailed_status": {"text": p.status, "label": p.status},
                }
            )
        return out


def _handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    root = re.escape(fake.endpoint)
    one = re.compile(root + r"/pipelines/([^/]+)")
    variables = re.compile(root + r"/pipelines/([^/]+)/variables")

    class Handler(RecordingHandler):
        def _send(self, status: int, obj: Any, extra: tuple[tuple[str, str], ...] = ()) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a slow fault)

        def _raw(self, status: int, text: str) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _fault(self, fault: Fault | None) -> bool:
            """Apply a fault that needs no pipeline; True if the request is done."""
            if fault is None:
                return False
            if fault.kind == "status":
                self._send(fault.status, {"message": fault.body}, fault.headers)
                return True
            if fault.kind == "drop":
                self._drop()
                return True
            if fault.kind == "garbage":
                self._raw(fault.status, fault.body)
                return True
            if fault.kind == "slow":
                time.sleep(fault.delay)
            return False

        def _authorised(self) -> bool:
            if self.headers.get("PRIVATE-TOKEN") == fake.token:
                return True
            self._send(401, {"message": "401 Unauthorized"})
            return False

        def do_POST(self) -> None:
            path, _, body = self._record()
            if path != fake.endpoint + "/pipeline":
                return self._send(404, {"error": "404 Not Found"})
            if not self._authorised():
                return None
            fault = fake._take_fault("POST")
            if fault is not None and fault.kind in ("status", "drop"):
                self._fault(fault)
                return None
            try:
                data = json.loads(body)
            except ValueError:
                return self._send(400, {"error": "The request body is not valid JSON"})
            if not isinstance(data, dict) or not isinstance(data.get("ref"), str):
                return self._send(400, {"error": "ref is missing"})
            pairs = data.get("variables", [])
            if not isinstance(pairs, list) or not all(
                isinstance(v, dict)
                and isinstance(v.get("key"), str)
                and isinstance(v.get("value"), str)
                and v.get("variable_type", "env_var") in ("env_var", "file")
                for v in pairs
            ):
                return self._send(400, {"error": "variables is invalid"})
            if data["ref"] not in fake.refs:
                return self._send(400, {"message": {"base": ["Reference not found"]}})
            with fake._lock:
                pipeline = fake._create(data["ref"], pairs)
                dto = fake.dto(pipeline, full=True)
            if fault is not None and fault.kind == "create_then_drop":
                return self._drop()
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "garbage":
                return self._raw(fault.status, fault.body)
            return self._send(201, dto)

        def do_GET(self) -> None:
            path, query, _ = self._record()
            if not self._authorised():
                return None
            if path == fake.endpoint + "/pipelines":
                return self._list(query)
            if match := variables.fullmatch(path):
                if self._fault(fake._take_fault("VARS")):
                    return None
                with fake._lock:
                    queue = fake._variables_faults.get(int(match.group(1)), [])
                    fault = queue.pop(0) if queue else None
                if self._fault(fault):
                    return None
                with fake._lock:
                    pipeline = self._pipeline(match.group(1))
                    if pipeline is None:
                        return self._send(404, {"message": "404 Not found"})
                    return self._send(200, [dict(v) for v in pipeline.variables])
            if match := one.fullmatch(path):
                if self._fault(fake._take_fault("GET")):
                    return None
                with fake._lock:
                    pipeline = self._pipeline(match.group(1))
                    if pipeline is None:
                        return self._send(404, {"message": "404 Not found"})
                    fake._advance(pipeline)
                    return self._send(200, fake.dto(pipeline, full=True))
            return self._send(404, {"error": "404 Not Found"})

        def _pipeline(self, raw: str) -> FakePipeline | None:
            return fake.pipelines.get(int(raw)) if re.fullmatch(r"\d{1,18}", raw) else None

        def _list(self, query: dict[str, list[str]]) -> None:
            if self._fault(fake._take_fault("LIST")):
                return None

            def one(name: str, default: str = "") -> str:
                return query.get(name, [default])[0]

            try:
                page = max(int(one("page", "1")), 1)
                per_page = min(max(int(one("per_page", "20")), 1), MAX_PER_PAGE)
            except ValueError:
                return self._send(400, {"error": "page is invalid"})
            since: dt.datetime | None = None
            if one("updated_after"):
                try:
                    since = dt.datetime.fromisoformat(one("updated_after").replace("Z", "+00:00"))
                except ValueError:
                    return self._send(400, {"error": "updated_after is invalid"})
            with fake._lock:
                chosen = [
                    p
                    for p in fake.pipelines.values()
                    if (not one("ref") or p.ref == one("ref"))
                    and one("source") in ("", "api")
                    and (since is None or p.updated_wall > since)
                ]
                chosen.sort(key=lambda p: p.pipeline_id, reverse=one("sort", "desc") != "asc")
                total = len(chosen)
                items = [
                    fake.dto(p, full=False) for p in chosen[(page - 1) * per_page : page * per_page]
                ]
            more = page * per_page < total
            headers = (
                ("X-Page", str(page)),
                ("X-Per-Page", str(per_page)),
                ("X-Total", str(total)),
                ("X-Next-Page", str(page + 1) if more else ""),
            )
            return self._send(200, items, headers)

        def do_PUT(self) -> None:
            self._record()
            self._send(405, {"error": "405 Not Allowed"})

        do_DELETE = do_PATCH = do_PUT

    return Handler
