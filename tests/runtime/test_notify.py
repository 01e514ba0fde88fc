"""``benchgen-poller notify`` as a process against a Slack-compatible loopback
webhook: 200 ``ok``, faults on demand (5xx, 429 with Retry-After, Slack's 4xx
error texts, a dropped connection), and the URL never printed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator.runtime.notify import build_message

POLLER = Path(sys.executable).with_name("benchgen-poller")
TOKEN_PATH = "/services/T0000/B0000/s3cr3t-t0ken-in-the-path"


@dataclass
class SlackHook:
    """A loopback incoming webhook answering like Slack's."""

    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    drop_next: int = 0

    def __post_init__(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.drop_next:
                    hook.drop_next -= 1
                    self.connection.close()  # no answer at all
                    return
                hook.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)}
                )
                status, text, headers = hook.script.pop(0) if hook.script else (200, "ok", {})
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}{TOKEN_PATH}"


@pytest.fixture
def hook() -> Iterator[SlackHook]:
    h = SlackHook()
    yield h
    h.server.shutdown()


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


def test_5xx_and_429_are_retried_honouring_retry_after(tmp_path: Path, hook: SlackHook) -> None:
    hook.script = [(503, "", {}), (429, "rate_limited", {"Retry-After": "1"}), (200, "ok", {})]
    hook.drop_next = 0
    proc, status = notify(tmp_path, hook.url)
    assert proc.returncode == 0 and status == "sent"
    assert len(hook.received) == 3
    assert "retrying in 1.0s" in proc.stdout  # Retry-After beat the 50ms backoff
    assert "sent (attempt 3)" in proc.stdout


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
    text = build_message({"BENCHGEN_PIPELINE_RUN": "r", "BENCHGEN_AGGREGATE_STATUS": "Failed"})
    assert text["text"].startswith("*Benchmark run r: Failed*")
    assert "no batch was created" in text["text"]
