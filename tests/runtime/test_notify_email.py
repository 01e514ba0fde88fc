"""``benchgen-poller notify``'s e-mail channel as a process, against a real SMTP
server on loopback (aiosmtpd): STARTTLS and implicit TLS with a login, a server
that offers no STARTTLS, 4xx and 5xx replies (RFC 5321), header injection
through a run's values, and Slack and e-mail side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.contract import notify as contract
from tests.runtime.slack_hook import SlackHook
from tests.runtime.smtp_server import PASSWORD, USERNAME, SmtpServer

POLLER = Path(sys.executable).with_name("benchgen-poller")

RUN_ENV = {
    "BENCHGEN_PIPELINE_RUN": "bench-run-7",
    "BENCHGEN_AGGREGATE_STATUS": "Succeeded",
    "BENCHGEN_NAMESPACE": "bench",
}
TO = ("perf@example.org", "releases@example.org")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    s = SmtpServer(tmp_path)
    yield s
    s.stop()


def spec(
    port: int, security: str = "starttls", params: tuple[str, ...] = (), to: tuple[str, ...] = TO
) -> str:
    email = contract.Email("127.0.0.1", port, security, "bench@example.org", to)
    return contract.encode(contract.Spec(params, "", email))


def notify(
    tmp_path: Path,
    server: SmtpServer | None,
    notify_spec: str,
    *args: str,
    login: bool = True,
    templates: dict[str, str] | None = None,
    **env: str,
) -> tuple[subprocess.CompletedProcess[str], str]:
    full = {"PATH": "/usr/bin:/bin", **RUN_ENV, "BENCHGEN_NOTIFY_SPEC": notify_spec, **env}
    if server is not None:
        full["SSL_CERT_FILE"] = str(server.cert_file)  # the fake's certificate is trusted
    if login:
        creds = tmp_path / "smtp"
        creds.mkdir(exist_ok=True)
        (creds / "username").write_text(USERNAME + "\n")
        (creds / "password").write_text(PASSWORD + "\n")
        full["BENCHGEN_NOTIFY_SMTP_CREDENTIALS"] = str(creds)
    if templates:
        folder = tmp_path / "templates"
        folder.mkdir(exist_ok=True)
        for key, text in templates.items():
            (folder / key).write_text(text)
        full["BENCHGEN_NOTIFY_TEMPLATES"] = str(folder)
    status = tmp_path / "notify-status"
    status.unlink(missing_ok=True)
    proc = subprocess.run(
        [str(POLLER), "notify", "--backoff", "50ms", "--status-path", str(status), *args],
        env=full, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert PASSWORD not in proc.stdout + proc.stderr
    return proc, status.read_text() if status.exists() else ""


def test_the_summary_is_mailed_over_starttls_with_the_login(
    tmp_path: Path, server: SmtpServer
) -> None:
    proc, status = notify(tmp_path, server, spec(server.port))
    assert proc.returncode == 0, proc.stderr
    assert status == "sent"
    assert "notify: sent to 2 recipient(s) (attempt 1)" in proc.stdout
    [mail] = server.received
    assert mail.tls and mail.login == USERNAME
    assert mail.mail_from == "bench@example.org" and mail.rcpt_tos == list(TO)
    msg = mail.message
    assert msg["From"] == "bench@example.org"
    assert msg["To"] == "perf@example.org, releases@example.org"
    assert msg["Subject"] == "Benchmark run bench-run-7: Succeeded"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
    body = msg.get_content().replace("\r\n", "\n")  # CRLF on the wire
    # The default body: the summary's lines, plain text (no Slack escaping, no mrkdwn).
    assert body.startswith("Benchmark run bench-run-7: Succeeded\n")
    assert "the run's own Tasks decide it" in body


def test_implicit_tls(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, starttls=False, implicit_tls=True)
    try:
        proc, status = notify(tmp_path, server, spec(server.port, "tls"))
    finally:
        server.stop()
    assert proc.returncode == 0 and status == "sent", proc.stderr
    [mail] = server.received
    assert mail.tls and mail.login == USERNAME


def test_no_starttls_offered_means_nothing_is_sent(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, starttls=False)
    try:
        proc, status = notify(tmp_path, server, spec(server.port))
    finally:
        server.stop()
    assert proc.returncode == 0  # reported, not failed (--on-failure report)
    assert status == "failed: refused: the server does not offer STARTTLS (nothing was sent" \
        " in clear text)"  # fmt: skip
    assert server.commands == [] and server.received == []


def test_an_untrusted_certificate_is_refused_not_retried(
    tmp_path: Path, server: SmtpServer
) -> None:
    proc, status = notify(tmp_path, None, spec(server.port))  # no SSL_CERT_FILE
    assert proc.returncode == 0
    assert status.startswith("failed: TLS: ") and "certificate" in status
    assert "retrying" not in proc.stdout
    assert server.received == []


def test_a_wrong_password_is_refused_not_retried(tmp_path: Path, server: SmtpServer) -> None:
    creds = tmp_path / "bad"
    creds.mkdir()
    (creds / "username").write_text(USERNAME)
    (creds / "password").write_text("wrong")
    proc, status = notify(
        tmp_path,
        server,
        spec(server.port),
        login=False,
        BENCHGEN_NOTIFY_SMTP_CREDENTIALS=str(creds),
    )
    assert proc.returncode == 0
    assert status.startswith("failed: refused: SMTP 535"), status
    assert "retrying" not in proc.stdout and server.received == []


def test_4xx_is_retried_for_those_recipients_only_and_5xx_is_reported(
    tmp_path: Path, server: SmtpServer
) -> None:
    server.rcpt = {
        "perf@example.org": ["450 4.2.1 mailbox busy, try later"],
        "gone@example.org": ["550 5.1.1 no such user"],
    }
    to = ("perf@example.org", "releases@example.org", "gone@example.org")
    proc, status = notify(tmp_path, server, spec(server.port, to=to))
    assert proc.returncode == 0
    assert status == "failed: refused: gone@example.org: 550 5.1.1 no such user"
    assert "email: attempt 1: SMTP: perf@example.org deferred (4xx); retrying" in proc.stdout
    first, second = server.received
    assert first.rcpt_tos == ["releases@example.org"]
    assert second.rcpt_tos == ["perf@example.org"]  # again, to the deferred one alone
    # One message: the same Message-ID both times.
    assert first.message["Message-ID"] == second.message["Message-ID"]
    server.rcpt = {"gone@example.org": ["550 5.1.1 no such user"]}
    proc, status = notify(
        tmp_path, server, spec(server.port, to=("gone@example.org",)), "--on-failure", "fail"
    )
    assert proc.returncode == 1 and status.startswith("failed: refused: ")


def test_a_4xx_at_data_is_retried(tmp_path: Path, server: SmtpServer) -> None:
    server.data = ["451 4.3.0 local error, try again"]
    proc, status = notify(tmp_path, server, spec(server.port))
    assert status == "sent", proc.stdout + proc.stderr
    assert "email: attempt 1: SMTP 451 4.3.0 local error, try again; retrying" in proc.stdout
    assert len(server.received) == 1


def test_nothing_listening_is_reported_after_the_attempts(
    tmp_path: Path, server: SmtpServer
) -> None:
    port = server.port
    server.stop()
    proc, status = notify(tmp_path, None, spec(port), "--attempts", "2")
    assert proc.returncode == 0
    assert status == "failed: no answer (ConnectionRefusedError) after 2 attempts"


def test_header_injection_through_a_param_stays_in_the_subject(
    tmp_path: Path, server: SmtpServer
) -> None:
    hostile = "1.0\r\nBcc: victim@evil.example\r\n\r\nforged body\u2028X-Evil: 1"
    templates = {
        contract.SUBJECT_KEY: "[bench] {{ params.version }}: {{ status }}",
        contract.BODY_KEY: "Version {{ params.version }}\n{{ summary | join('\\n') }}\n",
    }
    proc, status = notify(
        tmp_path,
        server,
        spec(server.port, params=("version",)),
        templates=templates,
        BENCHGEN_PARAM_VERSION=hostile,
    )
    assert status == "sent", proc.stderr
    [mail] = server.received
    assert mail.rcpt_tos == list(TO)  # no Bcc recipient was added
    msg = mail.message
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "[bench] 1.0 Bcc: victim@evil.example forged body X-Evil: 1: Succeeded"
    # In the body the value is text, line breaks and all: it is not a header there.
    assert "forged body" in msg.get_content()
    assert b"\r\nBcc:" not in mail.raw.split(b"\r\n\r\n", 1)[0]


def test_slack_and_email_each_reported(tmp_path: Path, server: SmtpServer) -> None:
    hook = SlackHook()
    try:
        (tmp_path / "url").write_text(hook.url)
        server.rcpt = {"perf@example.org": ["550 5.1.1 no such user"]}
        proc, status = notify(
            tmp_path, server, spec(server.port), BENCHGEN_NOTIFY_URL_FILE=str(tmp_path / "url")
        )
    finally:
        hook.stop()
    assert proc.returncode == 0
    assert "notify: slack: sent (attempt 1)" in proc.stdout
    assert status == "failed: email: refused: perf@example.org: 550 5.1.1 no such user"
    [req] = hook.received
    assert req["body"]["text"].startswith("*Benchmark run bench-run-7: Succeeded*")
    assert [m.rcpt_tos for m in server.received] == [["releases@example.org"]]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{", "BENCHGEN_NOTIFY_SPEC: not JSON"),
        (
            json.dumps({"email": {"from": "a@b.example", "host": "h\nBcc: x", "port": 25,
                                  "security": "none", "to": ["c@d.example"]},
                        "params": [], "statusUrl": ""}),
            "email.host",
        ),
        (
            json.dumps({"email": {"from": "A <a@b.example>", "host": "h", "port": 25,
                                  "security": "none", "to": ["c@d.example"]},
                        "params": [], "statusUrl": ""}),
            "is not a plain address",
        ),
    ],
)  # fmt: skip
def test_a_bad_spec_exits_2(tmp_path: Path, value: str, message: str) -> None:
    proc, status = notify(tmp_path, None, value, login=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert status.startswith("failed: ")


def test_unreadable_credentials_exit_2_without_their_content(tmp_path: Path) -> None:
    creds = tmp_path / "c"
    creds.mkdir()
    (creds / "username").write_text(USERNAME)
    proc, status = notify(
        tmp_path, None, spec(1), login=False, BENCHGEN_NOTIFY_SMTP_CREDENTIALS=str(creds)
    )
    assert proc.returncode == 2 and "SMTP credentials: cannot read" in proc.stderr
    assert USERNAME not in proc.stderr and status.startswith("failed: ")
