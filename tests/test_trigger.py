"""`benchgen trigger` against a real HTTP server on loopback, and the kubeconfig namespace."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from generator.contract.event_key import event_key
from tests.conftest import EXAMPLE, GOLDEN, ROOT
from tests.runtime.fake_server import LoopbackServer, QuietHandler

SECRET = "s3cret-value"


def fields(*pairs: str) -> list[str]:
    """``--field`` arguments, one per ``name=value``."""
    return [arg for pair in pairs for arg in ("--field", pair)]


REQUIRED = fields(
    "dvc-data-version=v1.0.0", "prompts-version=v1.0.0", "known-non-issues-version=v1.0.0"
)


class Recording(LoopbackServer):
    """Serves one test on loopback; records each POST: (method, path, version, headers, body)."""

    def __init__(self) -> None:
        super().__init__(Handler)
        self.requests: list[tuple[str, str, str, list[tuple[str, str]], bytes]] = []

    @property
    def received(self) -> list[tuple[dict[str, str], bytes]]:
        return [(dict(headers), body) for _, _, _, headers, body in self.requests]

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 202, {}, b"{}"


class Handler(QuietHandler):
    # HTTP/1.0, one request a connection: the answers carry no Content-Length, the closing
    # connection ends them.
    protocol_version = "HTTP/1.0"
    server: Recording

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = list(self.headers.items())
        self.server.requests.append((self.command, self.path, self.request_version, headers, body))
        status, answer_headers, answer = self.server.answer(dict(headers), body)
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)


S = TypeVar("S", bound=Recording)


def _serve(server_class: type[S]) -> Iterator[S]:
    """Serve on a thread for one test, recording what it received."""
    with server_class() as server:
        yield server


class Listener(Recording):
    """Answers like a Triggers EventListener: 202 with an eventID, 403 on a bad signature."""

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if headers.get("X-Hub-Signature-256") != want:
            return 403, {}, b"signature mismatch"
        answer = {"eventListener": "benchmark-mlop-listener", "eventID": "abc-123"}
        return 202, {"Content-Type": "application/json"}, json.dumps(answer).encode()


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from _serve(Listener)


def trigger(*args: str, secret: str | None = SECRET) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BENCHGEN_WEBHOOK_SECRET"}
    if secret is not None:
        env["BENCHGEN_WEBHOOK_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", "trigger", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_signed_event_is_accepted(listener: Listener) -> None:
    extra = fields("use-known-false-positive-file=false")
    proc = trigger(str(EXAMPLE), "--url", listener.url, *REQUIRED, *extra)
    assert proc.returncode == 0, proc.stderr
    assert "HTTP 202" in proc.stdout and "event id: abc-123" in proc.stderr
    ((headers, body),) = listener.received
    assert json.loads(body) == {
        "dvc_data_version": "v1.0.0",
        "known_non_issues_version": "v1.0.0",
        "prompts_version": "v1.0.0",
        "use_known_false_positive_file": False,  # a JSON boolean
    }
    assert headers["Content-Type"] == "application/json"


def test_wrong_secret_is_reported_as_failure(listener: Listener) -> None:
    proc = trigger(str(EXAMPLE), "--url", listener.url, *REQUIRED, secret="wrong")
    assert proc.returncode == 1
    assert "HTTP 403: signature mismatch" in proc.stdout


def test_missing_required_field_is_refused_locally(listener: Listener) -> None:
    proc = trigger(str(EXAMPLE), "--url", listener.url, "--field", "dvc-data-version=v1")
    assert proc.returncode == 2
    assert "prompts-version is required (body.prompts_version)" in proc.stderr
    assert "known-non-issues-version is required" in proc.stderr
    assert listener.received == []


def test_constraint_violations_are_refused_like_the_listener(listener: Listener) -> None:
    bad = fields("image-version=repo/evil:tag", "nope=1")
    proc = trigger(str(EXAMPLE), "--url", listener.url, *REQUIRED, *bad)
    assert proc.returncode == 2
    assert "--field nope: no such param" in proc.stderr
    assert "image-version: 'repo/evil:tag' is not an image tag" in proc.stderr
    bad = fields("known-non-issues-version=$(touch x)")
    proc = trigger(str(EXAMPLE), "--url", listener.url, *REQUIRED[:4], *bad)
    assert proc.returncode == 2
    assert "does not match pattern" in proc.stderr
    assert listener.received == []  # refused before anything is sent


def test_a_secret_file_is_the_key_byte_for_byte(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    proc = trigger(
        str(EXAMPLE), *REQUIRED, "--secret-file", str(secret_file), "--dry-run", secret=None
    )
    assert proc.returncode == 0
    headers, _, body = proc.stdout.partition("\n\n")
    # The file's exact bytes are the key, newline included: the listener's Secret,
    # created with `kubectl create secret --from-file`, holds the same bytes.
    key = (SECRET + "\n").encode()
    want = hmac.new(key, body.strip().encode(), hashlib.sha256).hexdigest()
    assert f"X-Hub-Signature-256: sha256={want}" in headers


TOKEN_FIELDS = fields("data-version=v1.2.3", "prompts-version=p1", "image=v2")


def test_token_auth_and_header_params() -> None:
    config = GOLDEN / "token-auth-labels" / "config.yaml"
    proc = trigger(str(config), "--dry-run", *TOKEN_FIELDS, *fields("team=perf"))
    assert proc.returncode == 0, proc.stderr
    assert f"X-Bench-Token: {SECRET}" in proc.stdout
    assert "X-Prompts-Version: p1" in proc.stdout
    assert '{"data":{"version":"v1.2.3"},"image":"v2","team":"perf"}' in proc.stdout


def test_a_boolean_header_param_is_sent_as_the_listener_reads_it(tmp_path: Path) -> None:
    """`--field flag=True` passes the local check, so it must travel as `true` (CEL's form)."""
    text = (GOLDEN / "token-auth-labels" / "config.yaml").read_text()
    anchor = "    - name: team\n"
    assert anchor in text
    config = tmp_path / "benchmark.yaml"
    config.write_text(
        text.replace(
            anchor,
            "    - {name: flag, from: header.X-Flag, type: boolean, default: 'false',"
            " annotation: benchgen.dev/flag}\n" + anchor,
        )
    )
    proc = trigger(str(config), "--dry-run", *TOKEN_FIELDS, *fields("flag=True"))
    assert proc.returncode == 0, proc.stderr
    assert "X-Flag: true" in proc.stdout.splitlines()


def test_namespace_comes_from_the_current_context(tmp_path: Path) -> None:
    from generator.cluster import current_namespace

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: b\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts:\n"
        "- {name: a, context: {cluster: c, user: u, namespace: alpha}}\n"
        "- {name: b, context: {cluster: c, user: u, namespace: bench-ns}}\n"
    )
    assert current_namespace(str(kubeconfig)) == "bench-ns"
    kubeconfig.write_text(
        kubeconfig.read_text().replace("current-context: b", "current-context: a")
    )
    assert current_namespace(str(kubeconfig)) == "alpha"
    kubeconfig.write_text(kubeconfig.read_text().replace(", namespace: alpha", ""))
    assert current_namespace(str(kubeconfig)) == "default"
    assert current_namespace(str(tmp_path / "missing")) == "default"


CE_CONFIG = GOLDEN / "cloudevents-observe" / "config.yaml"
CE_FIELDS = fields("data=d-1", "prompts=p-1", "known=k-1", "request-id=r-1")


class EventsListener(Recording):
    """Answers like Triggers' listener does a CloudEvent: 202 and a binary-mode reply event."""

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        answer = json.dumps({"eventListener": "ce-bench-events", "eventID": "el-42"}).encode()
        reply = {"Ce-Id": "el-42", "Ce-Type": "dev.tekton.event.triggers.accepted.v1"}
        return 202, {"Content-Type": "application/json", **reply}, answer


@pytest.fixture
def events_listener() -> Iterator[EventsListener]:
    yield from _serve(EventsListener)


def test_cloudevent_is_sent_in_binary_mode(events_listener: EventsListener) -> None:
    args = ("--url", events_listener.url, "--id", "ci-77", "--subject", "bench/a", *CE_FIELDS)
    proc = trigger(str(CE_CONFIG), "--cloudevent", *args, secret=None)
    assert proc.returncode == 0, proc.stderr
    assert "HTTP 202" in proc.stdout and "event id: el-42" in proc.stderr
    assert "cloudevent id: ci-77" in proc.stderr
    ((headers, body),) = events_listener.received
    # What /status/<run> and /logs/<run> take: the key of (source, id), as the
    # event-key interceptor computes it.
    key = event_key(headers["Ce-Source"], "ci-77")
    assert f"run: ce-bench-run-{key}" in proc.stderr
    assert headers["Ce-Specversion"] == "1.0"
    assert headers["Ce-Id"] == "ci-77"
    # The first accepted exact type, with the source that entry requires.
    assert headers["Ce-Type"] == "com.example.benchmark.requested.v1"
    assert headers["Ce-Source"] == "/ci/gitlab"
    assert headers["Ce-Subject"] == "bench/a"
    assert headers["Content-Type"] == "application/json"
    assert not any(h.lower().startswith("x-") for h in headers)  # no webhook credentials
    assert json.loads(body) == {
        "data": "d-1",
        "known": "k-1",
        "prompts": "p-1",
        "request_id": "r-1",
    }


def test_cloudevent_default_id_is_a_fresh_uuid() -> None:
    first, second = (
        trigger(str(CE_CONFIG), "--cloudevent", "--dry-run", *CE_FIELDS, secret=None)
        for _ in range(2)
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    ids = [
        next(line.split(": ", 1)[1] for line in p.stdout.splitlines() if line.startswith("Ce-Id:"))
        for p in (first, second)
    ]
    assert ids[0] != ids[1] and all(str(uuid.UUID(i)) == i for i in ids)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", ""], "--id is empty"),
        (["--id", "x" * 1025], "--id is longer than 1024 characters"),
        # Any non-empty id up to 1024 characters: it no longer forms the run name.
        (["--id", "A234-1234-1234"], None),
        (["--id", "urn:Event:" + "x" * 1014], None),
        (["--type", "dev.benchgen.run.started.v1"], "is reserved (dev.benchgen.*)"),
        (["--type", "com.example.other"], "is not accepted; accepted:"),
        (["--source", "/elsewhere"], "from source '/elsewhere' is not accepted"),
        (["--type", "com.example.benchmark.nightly.x", "--source", "any"], None),
    ],
)
def test_cloudevent_is_refused_locally_like_the_listener(
    events_listener: EventsListener, args: list[str], message: str | None
) -> None:
    args = ["--url", events_listener.url, *args, *CE_FIELDS]
    proc = trigger(str(CE_CONFIG), "--cloudevent", *args, secret=None)
    if message is None:
        assert proc.returncode == 0, proc.stderr
        assert len(events_listener.received) == 1
        return
    assert proc.returncode == 2
    assert "the listener would reject this event" in proc.stderr and message in proc.stderr
    assert events_listener.received == []


def test_webhook_event_id_param_is_checked_locally() -> None:
    proc = trigger(str(CE_CONFIG), "--dry-run", *CE_FIELDS[:6], "--field", "request-id=ci-4711")
    assert proc.returncode == 0, proc.stderr
    assert f"X-Benchgen-Token: {SECRET}" in proc.stdout


@pytest.fixture
def wire() -> Iterator[Recording]:
    """Answers 202 to anything."""
    yield from _serve(Recording)


def test_dry_run_prints_the_whole_request_that_is_sent(wire: Recording) -> None:
    """Method, URL, every header and the body, as a server receives them (issue 15)."""
    url = f"{wire.url}/hooks/bench"
    # A fixed delivery id: by default each request gets a new one (X-GitHub-Delivery).
    args = (str(EXAMPLE), "--url", url, *REQUIRED, "--delivery", "72d3162e-cc78-11e3-81ab")
    dry = trigger(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert wire.requests == []  # nothing sent
    head, _, body = dry.stdout.partition("\n\n")
    request_line, *header_lines = head.splitlines()
    assert request_line == f"POST {url} HTTP/1.1"
    headers = [tuple(line.split(": ", 1)) for line in header_lines]

    sent = trigger(*args)
    assert sent.returncode == 0, sent.stderr
    ((method, path, version, got_headers, got_body),) = wire.requests
    assert (method, path, version) == ("POST", "/hooks/bench", "HTTP/1.1")
    # Header names are case-insensitive (urllib capitalizes them on the way out).
    assert [(k.lower(), v) for k, v in got_headers] == [(k.lower(), v) for k, v in headers]
    assert got_body.decode() + "\n" == body


EX, CE = str(EXAMPLE), str(CE_CONFIG)


@pytest.mark.parametrize(
    ("args", "secret", "message"),
    [
        # The secret is required, and never a flag.
        ([EX, *REQUIRED], None, "set BENCHGEN_WEBHOOK_SECRET or pass --secret-file"),
        # A CloudEvent needs the required params and a config with CloudEvents.
        ([CE, "--cloudevent", "--dry-run", *CE_FIELDS[:6]], None, "request-id is required"),
        ([EX, "--cloudevent", "--dry-run", *REQUIRED], SECRET, "no spec.triggers.cloudEvents"),
        ([EX, "--type", "x", "--dry-run", *REQUIRED], SECRET, "--type describes a CloudEvent: add --cloudevent"),
        # The webhook event-id param is checked locally.
        ([CE, "--dry-run", *CE_FIELDS[:6], *fields("request-id=CI 4711")], SECRET, "request-id: 'CI 4711' is not DNS-safe"),
        # An unreachable listener is a clear error.
        ([EX, "--url", "http://127.0.0.1:9", *REQUIRED], SECRET, "cannot reach http://127.0.0.1:9"),
        # A dry run refuses a URL it could not send to.
        ([EX, "--url", "ftp://listener", *REQUIRED, "--dry-run"], SECRET, "--url 'ftp://listener': use an http:// or https:// URL"),
    ],
    ids=["no-secret", "ce-required", "ce-config", "type", "event-id", "unreachable", "ftp-url"],
)  # fmt: skip
def test_refused_with_exit_2(args: list[str], secret: str | None, message: str) -> None:
    proc = trigger(*args, secret=secret)
    assert proc.returncode == 2
    assert message in proc.stderr


# --- deduplication by delivery ------------------------------------------------------


def test_github_event_carries_a_delivery_and_prints_its_run(wire: Recording) -> None:
    """GitHub auth without eventIdParam: X-GitHub-Delivery names the run, as the event-key
    interceptor names it (generator.contract.event_key.delivery_key)."""
    from generator.config.load import load_file
    from generator.trigger import delivery_run_name

    sent = trigger(EX, "--url", wire.url, *REQUIRED, "--delivery", "d-42")
    assert sent.returncode == 0, sent.stderr
    ((*_, headers, _),) = wire.requests
    assert ("X-Github-Delivery", "d-42") in headers
    bench = load_file(EXAMPLE, fast=False).bench
    run = delivery_run_name(bench, "d-42")
    assert f"run: {run}" in sent.stderr.splitlines()
    assert re.fullmatch(r"[a-z0-9-]+-run-[0-9a-f]{32}", run)
    # Without --delivery a new UUID each time, so each call is an event of its own.
    again = trigger(EX, "--url", wire.url, *REQUIRED)
    other = [v for k, v in wire.requests[-1][3] if k.lower() == "x-github-delivery"]
    assert len(other) == 1 and other[0] != "d-42"
    assert f"run: {run}" not in again.stderr


def test_delivery_needs_github_or_gitlab_auth() -> None:
    # The CloudEvents config's webhook uses token auth: no provider delivery id to key on.
    proc = trigger(CE, "--dry-run", *CE_FIELDS, "--delivery", "d-1")
    assert proc.returncode == 2
    assert "--delivery: runs are keyed on a delivery id only with github or gitlab" in proc.stderr
    proc = trigger(CE, "--cloudevent", "--dry-run", *CE_FIELDS, "--delivery", "d-1")
    assert proc.returncode == 2 and "a CloudEvent's is --id" in proc.stderr


def test_blank_delivery_is_refused() -> None:
    proc = trigger(EX, "--dry-run", *REQUIRED, "--delivery", " ")
    assert proc.returncode == 2 and "--delivery" in proc.stderr
