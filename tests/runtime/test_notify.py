"""``benchgen-poller notify`` as a process against a Slack-compatible loopback
webhook: 200 ``ok``, faults on demand (5xx, 429 with Retry-After, Slack's 4xx
error texts, a dropped connection), and the URL never printed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.runtime.__main__ import main
from generator.runtime.notify import build_message
from tests.runtime.fake_orchestrator import FakeClock
from tests.runtime.slack_hook import TOKEN_PATH, SlackHook

POLLER = Path(sys.executable).with_name("benchgen-poller")


@pytest.fixture
def hook() -> Iterator[SlackHook]:
    h = SlackHook()
    yield h
    h.stop()


RUN_ENV = {
    "BENCHGEN_PIPELINE_RUN": "sast-run-<1>",
    "BENCHGEN_AGGREGATE_STATUS": "Succeeded",
    "BENCHGEN_SUBMIT_STATUS": "Succeeded",
    "BENCHGEN_WAIT_STATUS": "Succeeded",
    "BENCHGEN_BATCH_ID": "42",
    "BENCHGEN_FINAL_STATUS": "COMPLETED",
    "BENCHGEN_TOTAL_JOBS": "10",
    "BENCHGEN_COMPLETED_JOBS": "10",
    "BENCHGEN_FAILED_JOBS": "0",
}


def notify(
    tmp_path: Path, url: str | None, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    full = {"PATH": "/usr/bin:/bin", **RUN_ENV, **env}
    if url is not None:
        (tmp_path / "url").write_text(url + "\n")
        full["BENCHGEN_NOTIFY_URL_FILE"] = str(tmp_path / "url")
    status = tmp_path / "results" / "notify-status"
    proc = subprocess.run(
        [str(POLLER), "notify", "--backoff", "50ms", "--status-path", str(status), *args],
        env=full, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert TOKEN_PATH.split("/")[-1] not in proc.stdout + proc.stderr
    return proc, status.read_text() if status.exists() else ""


def test_the_summary_is_posted_as_slack_json(tmp_path: Path, hook: SlackHook) -> None:
    proc, status = notify(tmp_path, hook.url)
    assert proc.returncode == 0, proc.stderr
    assert status == "sent" and "sent (attempt 1)" in proc.stdout
    [req] = hook.received
    assert req["path"] == TOKEN_PATH
    assert req["headers"]["Content-Type"].startswith("application/json")
    text = req["body"]["text"]
    assert set(req["body"]) == {"text"}
    # Slack's control characters escaped; the summary's lines in a code block.
    assert text.startswith("*Benchmark run sast-run-&lt;1&gt;: Succeeded*\n```\n")
    assert "10 of 10 completed" in text and text.endswith("```")


def test_5xx_and_429_are_retried_honouring_retry_after(
    tmp_path: Path, hook: SlackHook, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.script = [(503, "", {}), (429, "rate_limited", {"Retry-After": "1"}), (200, "ok", {})]
    hook.drop_next = 0
    (tmp_path / "url").write_text(hook.url + "\n")
    env = {**RUN_ENV, "BENCHGEN_NOTIFY_URL_FILE": str(tmp_path / "url")}
    status = tmp_path / "notify-status"
    clock = FakeClock()  # the waits are checked, not slept
    args = ["notify", "--backoff", "50ms", "--status-path", str(status)]
    assert main(args, env=env, clock=clock) == 0
    assert status.read_text() == "sent"
    assert len(hook.received) == 3
    assert clock.sleeps == [0.05, 1.0]  # Retry-After beat the doubled 50ms backoff
    out = capsys.readouterr().out
    assert "retrying in 1.0s" in out
    assert "sent (attempt 3)" in out


def test_a_dropped_connection_is_retried(tmp_path: Path, hook: SlackHook) -> None:
    hook.drop_next = 1
    proc, status = notify(tmp_path, hook.url)
    assert proc.returncode == 0 and status == "sent", proc.stdout + proc.stderr
    assert "no answer (" in proc.stdout


def test_an_outage_is_reported_not_failed_unless_asked(tmp_path: Path, hook: SlackHook) -> None:
    hook.script = [(500, "", {})] * 3
    proc, status = notify(tmp_path, hook.url, "--attempts", "3")
    assert proc.returncode == 0
    assert status == "failed: HTTP 500 after 3 attempts"
    assert "notify: not delivered: HTTP 500 after 3 attempts" in proc.stderr
    assert len(hook.received) == 3
    hook.script = [(500, "", {})] * 2
    proc, _ = notify(tmp_path, hook.url, "--attempts", "2", "--on-failure", "fail")
    assert proc.returncode == 1


def test_slack_refusals_are_not_retried(tmp_path: Path, hook: SlackHook) -> None:
    hook.script = [(403, "invalid_token", {})]
    proc, status = notify(tmp_path, hook.url)
    assert proc.returncode == 0 and status == "failed: refused: HTTP 403: invalid_token"
    assert len(hook.received) == 1


def test_retry_after_past_the_deadline_stops_early(tmp_path: Path, hook: SlackHook) -> None:
    hook.script = [(429, "rate_limited", {"Retry-After": "120"})]
    proc, status = notify(tmp_path, hook.url, "--timeout", "5s")
    assert proc.returncode == 0 and "would pass --timeout" in status
    assert len(hook.received) == 1


def test_nothing_listening_is_reported_without_the_url(tmp_path: Path) -> None:
    proc, status = notify(
        tmp_path, f"http://127.0.0.1:1{TOKEN_PATH}", "--attempts", "2", "--timeout", "5s"
    )
    assert proc.returncode == 0
    assert status.startswith("failed: no answer (") and "127.0.0.1" not in status


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "BENCHGEN_NOTIFY_URL_FILE is required"),
        ("", "must hold exactly one URL (found 0 lines)"),
        ("ftp://example.invalid/x", "does not hold an http(s) URL"),
        ("https://a.invalid/1\nhttps://b.invalid/2", "found 2 lines"),
    ],
)
def test_bad_input_exits_2_without_the_content(
    tmp_path: Path, content: str | None, message: str
) -> None:
    env = {}
    if content is not None:
        (tmp_path / "f").write_text(content)
        env["BENCHGEN_NOTIFY_URL_FILE"] = str(tmp_path / "f")
    proc, status = notify(tmp_path, None, **env)
    assert proc.returncode == 2 and message in proc.stderr
    assert "example.invalid" not in proc.stderr and "a.invalid" not in proc.stderr
    assert status.startswith("failed: ")


def test_message_without_a_batch() -> None:
    env = {"BENCHGEN_PIPELINE_RUN": "r", "BENCHGEN_AGGREGATE_STATUS": "Failed"}
    text = build_message({**env, "BENCHGEN_SUBMIT_STATUS": "Failed"})
    assert text["text"].startswith("*Benchmark run r: Failed*")
    assert "no batch was created" in text["text"]
    # A Pipeline of the user's own Tasks passes no submit status: no batch story.
    text = build_message(env)
    assert "no batch was created" not in text["text"]
    assert "the run's own Tasks decide it" in text["text"]
