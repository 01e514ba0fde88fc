"""``benchgen-poller send`` against a loopback listener that checks signatures like Triggers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.runtime.__main__ import main
from generator.runtime.send import bounded_event_id
from tests.runtime.fake_orchestrator import FakeClock
from tests.runtime.fake_pipelineruns import FakePipelineRuns
from tests.runtime.webhook_listener import Interceptor, WebhookListener

SECRET = b"s3cr3t-webhook-value"
BODY = {"dvc_data_version": "v1.0.0", "image_version": "v2.1.0", "note": '$(rm -rf /) `x` "q"'}
POLLER = Path(sys.executable).with_name("benchgen-poller")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_bytes(SECRET)  # a Secret key, mounted as a file: its exact bytes
    return path


@pytest.fixture
def github_listener() -> Iterator[WebhookListener]:
    with WebhookListener(
        Interceptor("github", SECRET, event_types=["push"]), id_path="event.id"
    ) as listener:
        yield listener


def env_for(
    listener: WebhookListener, secret_file: Path, event_id: str = "", id_max: int = 0, **extra: str
) -> dict[str, str]:
    """The job's environment; with event_id, the id goes into the body's event.id."""
    ids = {"EVENT_ID_FIELD": "body.event.id", "EVENT_ID": event_id, "EVENT_ID_MAX": str(id_max)}
    return {
        "BENCHGEN_LISTENER_URL": listener.url,
        "BENCHGEN_EVENT_BODY": json.dumps(BODY),
        "BENCHGEN_AUTH_TYPE": "github",
        "BENCHGEN_AUTH_FILE": str(secret_file),
        "BENCHGEN_EVENT_TYPE": "push",
        **({f"BENCHGEN_{k}": v for k, v in ids.items()} if event_id else {}),
        **extra,
    }


def send(env: dict[str, str], *args: str, clock: FakeClock | None = None) -> int:
    return main(["send", *args], env=env, clock=FakeClock() if clock is None else clock)


def test_github_signed_event_with_the_job_name_as_id(
    github_listener: WebhookListener, secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for(github_listener, secret_file, "sast-nightly-29012345", 40)
    assert send(env) == 0
    [received] = github_listener.received
    assert received.accepted, received.reason
    assert json.loads(received.body) == {**BODY, "event": {"id": "sast-nightly-29012345"}}
    assert "sent event sast-nightly-29012345: HTTP 202" in capsys.readouterr().out


def test_a_retried_job_sends_the_same_id_and_starts_no_second_run(
    github_listener: WebhookListener, secret_file: Path
) -> None:
    env = env_for(
        github_listener, secret_file, "sast-nightly-with-a-very-long-cronjob-name-29012345", 20
    )
    assert send(env) == 0
    assert send(env) == 0
    assert len(github_listener.runs) == 1
    [run] = github_listener.runs
    assert len(run) <= 20 and run == bounded_event_id(env["BENCHGEN_EVENT_ID"], 20)
    assert github_listener.duplicates == [run]


def test_transient_failures_are_retried_within_the_deadline(
    github_listener: WebhookListener, secret_file: Path
) -> None:
    github_listener.fail(503, 0, 429)
    clock = FakeClock()
    assert send(env_for(github_listener, secret_file), "--timeout", "1m", clock=clock) == 0
    assert len(github_listener.accepted()) == 1
    assert len(clock.sleeps) == 3


def test_unreachable_past_the_deadline_exits_4(
    github_listener: WebhookListener, secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github_listener.fail(*[503] * 100)
    clock = FakeClock()
    assert send(env_for(github_listener, secret_file), "--timeout", "30s", clock=clock) == 4
    assert "listener unreachable, gave up after 30s" in capsys.readouterr().err
    assert clock.monotonic() - 1000 == pytest.approx(30, abs=0.01)


def test_a_refusal_exits_1_without_retrying(secret_file: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"not-the-secret")
    with WebhookListener(Interceptor("github", SECRET), reject_status=403) as listener:
        assert send(env_for(listener, wrong)) == 1
        assert [r.reason for r in listener.received] == ["signature mismatch"]


@pytest.mark.parametrize("kind", ["gitlab", "token"])
def test_gitlab_and_token_auth(kind: str, secret_file: Path) -> None:
    interceptor = Interceptor(
        kind,
        SECRET,
        header="X-Benchgen-Token",
        event_types=["Push Hook"] if kind == "gitlab" else [],
    )
    with WebhookListener(interceptor, reject_status=403) as listener:
        env = {
            **env_for(listener, secret_file),
            "BENCHGEN_AUTH_TYPE": kind,
            "BENCHGEN_AUTH_HEADER": "X-Benchgen-Token",
            "BENCHGEN_EVENT_TYPE": "Push Hook",
            "BENCHGEN_EVENT_HEADERS": json.dumps({"X-Run-Note": "nightly"}),
        }
        assert send(env) == 0
        [received] = listener.received
        assert received.accepted and received.headers["X-Run-Note"] == "nightly"


def test_a_github_secret_is_used_byte_for_byte_trailing_newline_included(
    tmp_path: Path,
) -> None:
    """Triggers' github interceptor signs with the Secret's bytes as they are: so must send."""
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET + b"\n")  # `kubectl create secret --from-file` keeps it
    with WebhookListener(Interceptor("github", SECRET + b"\n")) as listener:
        assert send(env_for(listener, secret)) == 0
        [received] = listener.received
        assert received.accepted
    with WebhookListener(Interceptor("github", SECRET), reject_status=403) as listener:
        # A listener whose Secret has no newline refuses that signature.
        assert send(env_for(listener, secret)) == 1


@pytest.mark.parametrize("kind", ["gitlab", "token"])
def test_a_token_with_a_trailing_newline_is_refused_with_the_fix(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The listener compares the whole Secret, which no header can carry: say how to fix it."""
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET + b"\n")
    env = {
        "BENCHGEN_LISTENER_URL": "http://127.0.0.1:9",
        "BENCHGEN_EVENT_BODY": "{}",
        "BENCHGEN_AUTH_TYPE": kind,
        "BENCHGEN_AUTH_FILE": str(secret),
        "BENCHGEN_AUTH_HEADER": "X-Benchgen-Token",
    }
    assert send(env) == 2
    err = capsys.readouterr().err
    assert "ends with a line break" in err and "recreate it without one" in err


def test_bad_input_lists_every_problem_and_sends_nothing(
    github_listener: WebhookListener, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "BENCHGEN_LISTENER_URL": "ftp://x",
        "BENCHGEN_EVENT_BODY": "[1]",
        "BENCHGEN_AUTH_TYPE": "github",
        "BENCHGEN_AUTH_FILE": str(tmp_path / "missing"),
        "BENCHGEN_EVENT_HEADERS": json.dumps({"X-Hub-Signature-256": "forged", "Bad Name": "x"}),
        "BENCHGEN_EVENT_ID_FIELD": "query.id",
    }
    assert send(env) == 2
    err = capsys.readouterr().err
    for text in (
        "BENCHGEN_LISTENER_URL: 'ftp://x' is not an http(s) URL",
        "BENCHGEN_EVENT_BODY: must be a JSON object",
        "No such file or directory",
        "X-Hub-Signature-256: set by benchgen-poller itself",
        "'Bad Name' is not a valid HTTP header name",
        "'query.id' is not body.<field>",
        "BENCHGEN_EVENT_ID_MAX is required",
    ):
        assert text in err
    assert github_listener.received == []


def test_event_id_into_a_body_value_that_is_not_an_object_is_bad_input(
    github_listener: WebhookListener, secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_for(github_listener, secret_file, "x1", 30, BENCHGEN_EVENT_ID_FIELD="body.note.id")
    assert send(env) == 2
    assert "note is already a str" in capsys.readouterr().err


def test_bounded_event_id() -> None:
    assert bounded_event_id("nightly-1", 20) == "nightly-1"
    long = bounded_event_id("a" * 40, 20)
    assert len(long) == 20 and long.startswith("a" * 11 + "-")
    # Not DNS-safe: made safe, and two ids that differ only by case never collide.
    upper, lower = bounded_event_id("Nightly-1", 20), bounded_event_id("nightly-1", 20)
    assert upper != lower and upper.startswith("nightly-1-")


def test_the_process_never_prints_the_secret(
    github_listener: WebhookListener, secret_file: Path
) -> None:
    proc = subprocess.run(
        [str(POLLER), "send", "--timeout", "10s"],
        env=env_for(github_listener, secret_file), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert SECRET.decode() not in proc.stdout + proc.stderr
    assert github_listener.received[0].accepted


# -- waiting for the run (BENCHGEN_RUN_PREFIX): Triggers answers 202 before creating it --

PREFIX, NS = "nightly-run-", "bench"
TICK = "nightly-sweep-29012345"  # a Job's name: <cronjob>-<minutes since the epoch>


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePipelineRuns]:
    """The API server the pod's ServiceAccount reaches (here through a kubeconfig)."""
    with FakePipelineRuns() as server:
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KUBECONFIG", str(server.kubeconfig(tmp_path / "kubeconfig")))
        yield server


def creates_runs(
    listener: WebhookListener, api: FakePipelineRuns, *, lose: int = 0, pending: bool = False
) -> list[str]:
    """Play Triggers behind the listener's 202: create PipelineRun <prefix><id>, except
    for the first ``lose`` accepted events (gone after the 202, as in the flaky tick).
    The returned list names each event's id as it arrives."""
    seen: list[str] = []

    def accept(body: dict[str, Any]) -> None:
        seen.append(body["event"]["id"])
        if len(seen) > lose:
            api.create(NS, PREFIX + body["event"]["id"], pending=pending)

    listener.on_accept = accept
    return seen


def waiting_env(listener: WebhookListener, secret_file: Path, **extra: str) -> dict[str, str]:
    return env_for(
        listener, secret_file, TICK, 63 - len(PREFIX),
        BENCHGEN_RUN_PREFIX=PREFIX, BENCHGEN_NAMESPACE=NS, **extra,
    )  # fmt: skip


def test_a_tick_whose_run_never_appeared_is_sent_again_and_starts_exactly_one_run(
    github_listener: WebhookListener,
    secret_file: Path,
    api: FakePipelineRuns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen = creates_runs(github_listener, api, lose=1)
    clock = FakeClock()
    assert send(waiting_env(github_listener, secret_file), clock=clock) == 0
    # The same event twice (same id, same signed bytes); the first got its 202 and no run.
    assert seen == [TICK, TICK]
    first, second = github_listener.received
    assert first.accepted and second.accepted and first.body == second.body
    assert api.names() == [PREFIX + TICK]
    # It looked for the run by its name, in its namespace, for --run-wait (75s) the first time.
    assert set(api.gets) == {(NS, PREFIX + TICK)} and len(api.gets) > 2
    assert sum(clock.sleeps) == pytest.approx(75, abs=0.01)
    out = capsys.readouterr().out
    assert f"PipelineRun {NS}/{PREFIX}{TICK}: no such run 1m15s after send 1;" in out
    assert "sending the same event again" in out
    assert f"PipelineRun {NS}/{PREFIX}{TICK} exists (after 2 times)" in out


def test_a_run_that_appears_at_once_costs_one_send_and_one_look(
    github_listener: WebhookListener, secret_file: Path, api: FakePipelineRuns
) -> None:
    creates_runs(github_listener, api)
    clock = FakeClock()
    assert send(waiting_env(github_listener, secret_file), clock=clock) == 0
    assert len(github_listener.received) == 1
    assert api.gets == [(NS, PREFIX + TICK)] and clock.sleeps == []


def test_a_gated_run_created_pending_counts_as_started(
    github_listener: WebhookListener, secret_file: Path, api: FakePipelineRuns
) -> None:
    """spec.pipeline.concurrency: the run exists, pending until the observer starts it."""
    creates_runs(github_listener, api, pending=True)
    assert send(waiting_env(github_listener, secret_file)) == 0
    assert len(github_listener.received) == 1
    assert api.runs[(NS, PREFIX + TICK)]["spec"]["status"] == "PipelineRunPending"


def test_a_retried_pod_finds_the_run_and_the_listener_refuses_the_duplicate(
    github_listener: WebhookListener, secret_file: Path, api: FakePipelineRuns
) -> None:
    creates_runs(github_listener, api)
    env = waiting_env(github_listener, secret_file)
    assert send(env) == 0
    assert send(env) == 0  # the Job's next pod: the same id
    assert api.names() == [PREFIX + TICK]
    assert github_listener.duplicates == [TICK]


def test_an_event_the_interceptor_refuses_is_sent_a_bounded_number_of_times_then_fails(
    secret_file: Path,
    tmp_path: Path,
    api: FakePipelineRuns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong secret: Triggers answers 202 anyway; sending again cannot help, so --sends
    bounds it, and the Job fails (exit 1: podFailurePolicy FailJob) saying why."""
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"not-the-secret")
    with WebhookListener(Interceptor("github", SECRET), id_path="event.id") as listener:
        creates_runs(listener, api)
        clock = FakeClock()
        assert send(waiting_env(listener, wrong), "--sends", "2", clock=clock) == 1
        assert [r.reason for r in listener.received] == ["signature mismatch"] * 2
    assert api.names() == []
    assert sum(clock.sleeps) == pytest.approx(2 * 75, abs=0.01)
    err = capsys.readouterr().err
    assert f"the listener accepted it 2 times (HTTP 202), but PipelineRun {NS}/{PREFIX}" in err
    assert "did not appear within 1m15s of any" in err and "interceptors refused" in err


def test_a_forbidden_look_fails_at_once_naming_the_missing_permission(
    github_listener: WebhookListener,
    secret_file: Path,
    api: FakePipelineRuns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    creates_runs(github_listener, api)
    api.forbidden = True
    assert send(waiting_env(github_listener, secret_file)) == 1
    assert len(github_listener.received) == 1 and len(api.gets) == 1
    err = capsys.readouterr().err
    assert "HTTP 403" in err and "needs get on pipelineruns" in err


def test_an_api_server_that_never_answers_leaves_it_unknown_exit_4(
    github_listener: WebhookListener,
    secret_file: Path,
    api: FakePipelineRuns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 4, so the Job's next pod tries again (the same id: never a second run)."""
    creates_runs(github_listener, api)
    api.fail(*[503] * 1000)
    env = waiting_env(github_listener, secret_file)
    assert send(env, "--run-wait", "20s", "--sends", "2") == 4
    assert len(github_listener.received) == 2
    err = capsys.readouterr().err
    assert "is unknown: the API server did not answer: HTTP 503: etcd is not answering" in err


def test_a_look_that_fails_for_a_while_still_finds_the_run(
    github_listener: WebhookListener, secret_file: Path, api: FakePipelineRuns
) -> None:
    creates_runs(github_listener, api)
    api.fail(503, 0, 503)
    assert send(waiting_env(github_listener, secret_file)) == 0
    assert len(github_listener.received) == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"BENCHGEN_NAMESPACE": ""}, "BENCHGEN_NAMESPACE is required with BENCHGEN_RUN_PREFIX"),
        ({"BENCHGEN_NAMESPACE": "Bench"}, "BENCHGEN_NAMESPACE: 'Bench' is not a valid name"),
        ({"BENCHGEN_RUN_PREFIX": "x" * 20}, "is 71 characters long; Kubernetes allows at most 63"),
        ({"BENCHGEN_RUN_PREFIX": "Run-"}, "BENCHGEN_RUN_PREFIX 'Run-' with BENCHGEN_EVENT_ID_MAX"),
        ({"BENCHGEN_EVENT_ID_FIELD": ""}, "BENCHGEN_RUN_PREFIX needs BENCHGEN_EVENT_ID_FIELD"),
    ],
)
def test_a_run_that_cannot_be_named_is_bad_input_and_nothing_is_sent(
    github_listener: WebhookListener,
    secret_file: Path,
    api: FakePipelineRuns,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str],
    problem: str,
) -> None:
    env = {**waiting_env(github_listener, secret_file), **change}
    if not env["BENCHGEN_EVENT_ID_FIELD"]:
        env["BENCHGEN_EVENT_ID"] = ""
    assert send(env) == 2
    assert problem in capsys.readouterr().err
    assert github_listener.received == [] and api.gets == []


def test_without_credentials_nothing_is_sent(
    github_listener: WebhookListener,
    secret_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The run could not be looked for: exit 2 before the event goes out."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    monkeypatch.setenv("HOME", "/nonexistent")
    assert send(waiting_env(github_listener, secret_file)) == 2
    assert "no Kubernetes credentials" in capsys.readouterr().err
    assert github_listener.received == []


def test_sends_must_be_at_least_one(
    github_listener: WebhookListener, secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert send(waiting_env(github_listener, secret_file), "--sends", "0") == 2
    assert "--sends: 0 must be at least 1" in capsys.readouterr().err
    assert github_listener.received == []


def test_the_job_deadline_holds_every_send_and_wait_of_a_pod() -> None:
    """The CronJob's activeDeadlineSeconds covers a pod that uses all its sends, each
    retried for --timeout and followed by --run-wait."""
    from generator.compile.schedule import SEND_DEADLINE
    from generator.contract.commands import SEND
    from generator.contract.durations import parse_duration

    sends = int(SEND.default("--sends"))
    per_send = parse_duration(SEND.default("--timeout")) + parse_duration(
        SEND.default("--run-wait")
    )
    assert sends * per_send <= SEND_DEADLINE
