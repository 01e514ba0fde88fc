"""Commit statuses back to the source (runtime/observe/commit_status.py), reported to
loopback fakes of GitHub's and GitLab's commit status APIs (fake_commit_status.py):
transitions once each, an expired token and its rotation, rate limits, 5xx, the
deadline, and the observer never waiting for any of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.contract import commit_status as cs
from generator.contract.errors import ContractError
from generator.contract.observe import decode as load_config
from generator.contract.observe import encode as dump_config
from generator.runtime.observe.commit_status import Reporter, outcome, report_for
from generator.runtime.observe.controller import Observer
from generator.runtime.observe.events import PIPELINE_RUN
from tests.runtime import fake_commit_status as fake
from tests.runtime.fake_commit_status import FakeStatuses
from tests.runtime.observe_sink import CloudEventSink

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "89abcdef0123456789abcdef0123456789abcdef"
T1, T2 = "ghs_expiring_1", "ghs_rotated_2"
WALL0 = float(int(time.time()))  # the wall clock at import: the observer test reads the real one


class FakeClock:
    """Monotonic and wall time that a sleep advances at once (and records)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += max(seconds, 0.0)

    def wall(self) -> float:
        return WALL0 + self.t


def stamp(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(WALL0 + offset))


def pipeline_run(
    name: str,
    done: str | None = None,
    reason: str = "",
    *,
    started: bool = False,
    sha: str | None = SHA,
    repository: str | None = "octo/bench",
    completed: float | None = None,
) -> dict[str, Any]:
    notes = {}
    if sha is not None:
        notes[cs.SHA_ANNOTATION] = sha
    if repository is not None:
        notes[cs.REPOSITORY_ANNOTATION] = repository
    status: dict[str, Any] = {}
    if done is not None:
        status["conditions"] = [{"type": "Succeeded", "status": done, "reason": reason}]
    if started:
        status["startTime"] = stamp(-60)
    if completed is not None:
        status["completionTime"] = stamp(completed)
    return {
        "metadata": {"name": name, "namespace": "ci", "uid": f"uid-{name}", "annotations": notes},
        "spec": {},
        "status": status,
    }


def pending(name: str = "r1", **kw: Any) -> dict[str, Any]:
    return pipeline_run(name, "Unknown", "PipelineRunPending", **kw)


def running(name: str = "r1", **kw: Any) -> dict[str, Any]:
    return pipeline_run(name, "Unknown", "Running", started=True, **kw)


def succeeded(name: str = "r1", **kw: Any) -> dict[str, Any]:
    return pipeline_run(name, "True", "Succeeded", started=True, completed=-5, **kw)


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def server() -> Iterator[FakeStatuses]:
    with FakeStatuses({T1}) as s:
        yield s


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(T1 + "\n")
    return path


class Harness:
    """A Reporter with its threads, a fake clock, and the lines it logged."""

    def __init__(self, spec: cs.CommitStatusSpec, token_file: Path, **kw: Any) -> None:
        self.clock = FakeClock()
        self.stop = threading.Event()
        self.lines: list[str] = []
        self.reporter = Reporter(
            spec, str(token_file), self.stop, self.lines.append,
            clock=self.clock, now=self.clock.wall, **kw,
        )  # fmt: skip
        self.threads = [threading.Thread(target=self.reporter.loop, daemon=True) for _ in range(2)]
        for t in self.threads:
            t.start()

    def settle(self) -> None:
        wait_for(self.reporter.idle)

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)


@pytest.fixture
def harness(token_file: Path) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(spec: cs.CommitStatusSpec, **kw: Any) -> Harness:
        h = Harness(spec, token_file, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


def github(server: FakeStatuses, **kw: Any) -> cs.CommitStatusSpec:
    return cs.CommitStatusSpec(
        provider=cs.GITHUB, api_url=server.url, context="benchgen/sast",
        status_url="https://ci.example.com/benchgen", **kw,
    )  # fmt: skip


def gitlab(server: FakeStatuses, **kw: Any) -> cs.CommitStatusSpec:
    return cs.CommitStatusSpec(
        provider=cs.GITLAB, api_url=f"{server.url}/api/v4", context="benchgen/sast", **kw
    )


# -- pure: the outcome, the mapping, the contract ------------------------------------


def test_outcome_of_a_run_follows_tekton() -> None:
    assert outcome(pipeline_run("a")) == cs.PENDING
    assert outcome(pending()) == cs.PENDING
    assert outcome(pipeline_run("a", "Unknown", "Running")) == cs.RUNNING
    assert outcome(running()) == cs.RUNNING
    # Cancelled while finally tasks still run: not finished yet.
    assert outcome(pipeline_run("a", "Unknown", "CancelledRunFinally", started=True)) == cs.RUNNING
    assert outcome(succeeded()) == cs.SUCCEEDED
    assert outcome(pipeline_run("a", "False", "Failed")) == cs.FAILED
    assert outcome(pipeline_run("a", "False", "PipelineRunTimeout")) == cs.FAILED
    assert outcome(pipeline_run("a", "False", "Cancelled")) == cs.CANCELLED
    assert outcome(pipeline_run("a", "False", "StoppedRunFinally")) == cs.CANCELLED


def test_every_outcome_has_a_documented_state_of_each_provider() -> None:
    for o in cs.OUTCOMES:
        assert cs.state_for(cs.GITHUB, o) in fake.GITHUB_STATES
        assert cs.state_for(cs.GITLAB, o) in fake.GITLAB_STATES
    assert [cs.state_for(cs.GITHUB, o) for o in cs.OUTCOMES] == [
        "pending", "pending", "success", "failure", "error",
    ]  # fmt: skip
    assert [cs.state_for(cs.GITLAB, o) for o in cs.OUTCOMES] == [
        "pending", "running", "success", "failed", "canceled",
    ]  # fmt: skip
    assert all(len(d) <= cs.MAX_DESCRIPTION for d in cs.DESCRIPTION.values())


def test_the_spec_round_trips_through_the_observer_env() -> None:
    spec = cs.CommitStatusSpec(
        provider=cs.GITLAB,
        api_url="https://gitlab.example.com/api/v4",
        context="benchgen/sast",
        repository="group/sub/project",
        status_url="https://ci.example.com/benchgen",
    )
    base = load_config(
        {
            "BENCHGEN_NAMESPACES": "ci",
            "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=sast",
            "BENCHGEN_SINK": "tekton",
            "BENCHGEN_EVENT_SOURCE": "/benchgen/ci/sast",
        }
    )
    from dataclasses import replace

    cfg = replace(base, commit_status=spec, commit_status_token_file="/var/run/x/token")
    env = dict(dump_config(cfg))
    assert load_config(env) == cfg
    # GitHub and GitLab take a status only with a token: both or neither.
    del env["BENCHGEN_COMMIT_STATUS_TOKEN_FILE"]
    with pytest.raises(ContractError, match="BENCHGEN_COMMIT_STATUS_TOKEN_FILE go together"):
        load_config(env)
    # The public API is the default of each provider.
    assert cs.decode('{"provider":"github","context":"c"}', "X").api_url == (
        "https://api.github.com"
    )


def test_a_bad_spec_names_every_problem() -> None:
    with pytest.raises(ContractError) as info:
        cs.decode(
            '{"provider":"bitbucket","apiUrl":"ftp://x","context":"","statusUrl":"https://a/?q=1",'
            '"extra":1}',
            "BENCHGEN_COMMIT_STATUS",
        )
    text = str(info.value)
    for expected in (
        "unknown key 'extra'",
        "'bitbucket' is not one of github, gitlab",
        "apiUrl: 'ftp://x' is not an http(s):// URL",
        "context: 1..255 characters",
        "must not carry a query or fragment",
    ):
        assert expected in text
    with pytest.raises(ContractError, match=r"repository: '\.\./x' is not a GitHub repository"):
        cs.decode('{"provider":"github","context":"c","repository":"../x"}', "X")


def test_a_run_without_a_usable_commit_is_not_reported(server: FakeStatuses) -> None:
    spec = github(server)
    for pr, why in (
        (running(sha=None), "commit '' is not a commit SHA"),
        (running(sha="main"), "commit 'main' is not a commit SHA"),
        (running(repository="a/b/c"), "repository 'a/b/c' is not a GitHub repository"),
        (running(repository=None), "repository '' is not a GitHub repository"),
    ):
        report, note = report_for(spec, pr, WALL0)
        assert report is None and note is not None and why in note
    # A fixed repository needs no annotation; a long-finished run is not re-reported.
    fixed = github(server, repository="octo/fixed")
    report, _ = report_for(fixed, running(repository=None), WALL0)
    assert report is not None and report.repository == "octo/fixed"
    old = pipeline_run("old", "True", "Succeeded", completed=-7200)
    assert report_for(spec, old, WALL0) == (None, None)


# -- GitHub ------------------------------------------------------------------------------


def test_github_gets_each_transition_once(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    h = harness(github(server))
    for pr in (pending(), pending(), running(), running(), succeeded(), succeeded(), running()):
        h.reporter.notice(pr)
        h.settle()
    assert server.states() == ["pending", "pending", "success"]
    posts = server.accepted()
    assert [p.body["description"] for p in posts] == [
        "benchgen: queued", "benchgen: running", "benchgen: succeeded",
    ]  # fmt: skip
    first = posts[0]
    assert (first.project, first.sha, first.token) == ("octo/bench", SHA, T1)
    assert first.body["context"] == "benchgen/sast"
    assert first.body["target_url"] == "https://ci.example.com/benchgen/status/r1"
    assert len(server.posts) == 3  # nothing repeated
    assert any("commit status success (succeeded) of ci/r1" in line for line in h.lines)


def test_a_run_that_ended_while_it_was_being_retried_reports_its_end(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    gate = threading.Event()
    h = harness(github(server))
    original = h.clock.sleep

    def slow_sleep(seconds: float) -> None:
        gate.wait(5)  # the run ends during the back-off
        original(seconds)

    h.clock.sleep = slow_sleep  # type: ignore[method-assign]
    server.fail(fake.server_error(502))
    h.reporter.notice(running())
    wait_for(lambda: len(server.posts) == 1)
    h.reporter.notice(succeeded())
    gate.set()
    h.settle()
    assert [p.status for p in server.posts] == [502, 201]
    assert server.states() == ["success"]  # "running" is stale by then: never sent


def test_an_expired_token_is_read_again_and_the_rotated_one_used(
    server: FakeStatuses, token_file: Path, harness: Callable[..., Harness]
) -> None:
    server.tokens = {T2}
    server.expire(T1)
    # What a token refresher does: the Secret gets a new installation token.
    server.on_unauthorized = lambda: token_file.write_text(T2)
    h = harness(github(server))
    h.reporter.notice(running())
    h.settle()
    assert [(p.status, p.token) for p in server.posts] == [(401, T1), (201, T2)]
    # Every later report reads the file again: the new token from then on.
    h.reporter.notice(succeeded())
    h.settle()
    assert server.posts[-1].token == T2 and server.states() == ["pending", "success"]


def test_a_token_refused_twice_gives_up_that_report_and_not_the_next(
    server: FakeStatuses, token_file: Path, harness: Callable[..., Harness]
) -> None:
    server.expire(T1)
    h = harness(github(server))
    h.reporter.notice(running())
    h.settle()
    assert [p.status for p in server.posts] == [401, 401]
    assert any("refused twice" in line and "gave up" in line for line in h.lines)
    server.tokens = {T2}
    token_file.write_text(T2)
    h.reporter.notice(succeeded())
    h.settle()
    assert server.states() == ["success"]


def test_a_secondary_rate_limit_waits_its_retry_after(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    server.fail(fake.secondary(37))
    h = harness(github(server))
    h.reporter.notice(running())
    h.settle()
    assert [p.status for p in server.posts] == [403, 201]
    assert h.clock.sleeps and h.clock.sleeps[0] >= 37


def test_the_primary_rate_limit_waits_until_its_reset(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    h = harness(github(server))
    server.now = h.clock.wall  # the fake's reset is on the test's clock
    server.fail(fake.primary(120))
    h.reporter.notice(running())
    h.settle()
    assert [p.status for p in server.posts] == [403, 201]
    assert 120 <= sum(h.clock.sleeps) <= 125


def test_server_errors_and_dropped_connections_are_retried(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    server.fail(fake.server_error(502), fake.drop(), fake.server_error(503))
    h = harness(github(server))
    h.reporter.notice(running())
    h.settle()
    assert [p.status for p in server.posts] == [502, 0, 503, 201]


def test_a_failing_provider_is_given_up_at_the_deadline(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    server.fail(*[fake.server_error(500)] * 50)
    h = harness(github(server), deadline=60.0, max_backoff=8.0)
    h.reporter.notice(running())
    h.settle()
    assert 3 <= len(server.posts) < 20
    assert h.clock.t <= 60.0
    assert any("gave up (HTTP 500" in line for line in h.lines)
    # A rate limit that lifts after the deadline is not waited for at all.
    server.faults.clear()
    server.fail(fake.secondary(3600))
    h.reporter.notice(succeeded())
    h.settle()
    assert server.posts[-1].status == 403 and "gave up" in h.lines[-1]


def test_a_refusal_is_not_retried(server: FakeStatuses, harness: Callable[..., Harness]) -> None:
    server.fail(fake.forbidden())
    h = harness(github(server))
    h.reporter.notice(running())
    h.settle()
    # A SHA-256 commit id GitHub does not have: 422, not retried either.
    h.reporter.notice(succeeded(sha="ab" * 32))
    h.settle()
    assert [p.status for p in server.posts] == [403, 422]
    assert any("gave up (HTTP 403: Resource not accessible by integration" in x for x in h.lines)
    assert any("gave up (HTTP 422: No commit found" in x for x in h.lines)


# -- GitLab ------------------------------------------------------------------------------


def test_gitlab_gets_pending_running_success_on_one_job(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    h = harness(gitlab(server))
    for pr in (
        pending(repository="group/sub/project"),
        running(repository="group/sub/project"),
        succeeded(repository="group/sub/project"),
    ):
        h.reporter.notice(pr)
        h.settle()
    assert server.states() == ["pending", "running", "success"]
    assert {p.project for p in server.posts} == {"group/sub/project"}  # one URL-encoded :id
    assert server.posts[0].body["name"] == "benchgen/sast"
    assert "target_url" not in server.posts[0].body  # no statusUrl configured
    jobs = server.gitlab_jobs("group/sub/project", SHA)
    assert [(j.name, j.status) for j in jobs] == [("benchgen/sast", "success")]


def test_gitlab_after_a_restart_the_same_state_counts_as_reported(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    first = harness(gitlab(server))
    first.reporter.notice(running(repository="42"))
    first.settle()
    first.close()
    restarted = harness(gitlab(server))  # nothing remembered
    restarted.reporter.notice(running(repository="42"))
    restarted.settle()
    assert [p.status for p in server.posts] == [201, 400]  # not retried
    assert list(restarted.reporter.sent) == [("uid-r1", cs.RUNNING)]
    restarted.reporter.notice(succeeded(repository="42"))
    restarted.settle()
    assert [(j.status) for j in server.gitlab_jobs("42", SHA)] == ["success"]


def test_gitlab_expired_oauth_token_then_rotated(
    server: FakeStatuses,
    token_file: Path,
    harness: Callable[..., Harness],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.tokens = {T2}
    server.expire(T1)
    server.on_unauthorized = lambda: token_file.write_text(T2)
    h = harness(gitlab(server))
    h.reporter.notice(running(repository="42"))
    h.settle()
    assert [(p.status, p.token) for p in server.posts] == [(401, T1), (201, T2)]
    announced = capsys.readouterr().out  # the retry's line names GitLab's reason
    assert "HTTP 401: Token is expired. You can either do re-authorization" in announced


def test_gitlab_429_waits_its_retry_after(
    server: FakeStatuses, harness: Callable[..., Harness]
) -> None:
    server.fail(fake.secondary(20))
    h = harness(gitlab(server))
    h.reporter.notice(running(repository="42"))
    h.settle()
    assert [p.status for p in server.posts] == [429, 201]
    assert h.clock.sleeps[0] >= 20


# -- in the observer --------------------------------------------------------------------


def test_the_observer_reports_and_a_failing_provider_never_holds_its_events(
    server: FakeStatuses, token_file: Path
) -> None:
    with CloudEventSink() as sink:
        env = {
            "BENCHGEN_NAMESPACES": "ci",
            "BENCHGEN_SELECTOR": "benchgen.dev/benchmark=sast",
            "BENCHGEN_SINK": sink.url,
            "BENCHGEN_EVENT_SOURCE": "/benchgen/ci/sast",
            "BENCHGEN_COMMIT_STATUS": cs.encode(github(server)),
            "BENCHGEN_COMMIT_STATUS_TOKEN_FILE": str(token_file),
        }
        stop = threading.Event()
        obs = Observer(load_config(env), None, stop)  # type: ignore[arg-type]
        assert obs.reporter is not None
        obs._record = lambda kind, obj: True  # type: ignore[method-assign]  # no API server
        threads = [obs._spawn("worker", obs._work), obs._spawn("cs", obs.reporter.loop)]
        try:
            # GitHub is down: the run's events still go out at once.
            server.fail(fake.server_error(503), fake.server_error(503))
            obs._apply(PIPELINE_RUN, "ADDED", running("a"))
            wait_for(lambda: any(r.type == "dev.benchgen.run.started.v1" for r in sink.acked))
            obs._apply(PIPELINE_RUN, "MODIFIED", succeeded("a"))
            wait_for(lambda: any(r.type == "dev.benchgen.run.succeeded.v1" for r in sink.acked))
            wait_for(lambda: server.states()[-1:] == ["success"], timeout=30)
            assert server.states() in (["success"], ["pending", "success"])
            obs._apply(PIPELINE_RUN, "DELETED", succeeded("a"))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
