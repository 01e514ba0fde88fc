"""``benchgen-poller send`` against a loopback listener that checks signatures like Triggers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.runtime.__main__ import main
from generator.runtime.send import bounded_event_id
from tests.runtime.fake_orchestrator import FakeClock
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
