"""`benchgen-poller submit` against the fake orchestrator on loopback."""

import json
import socket
from pathlib import Path

import pytest

from generator.runtime.__main__ import main
from tests.runtime.conftest import BOTH_APIS
from tests.runtime.fake_orchestrator import FakeClock, FakeOrchestrator, Fault

KEY = "5f0c4a7e-0000-4000-8000-000000000001"


def submit(env: dict[str, str], clock: FakeClock, tmp: Path, *extra: str) -> int:
    return main(
        [
            "submit",
            f"--batch-id-path={tmp / 'batch-id'}",
            f"--status-path={tmp / 'submit-status'}",
            "--timeout=2m",
            "--request-timeout=0.3s",
            *extra,
        ],
        env=env,
        clock=clock,
    )


def results(tmp: Path) -> tuple[str, str]:
    return (tmp / "batch-id").read_text(), (tmp / "submit-status").read_text()


def test_creates_the_batch_with_the_exact_body(fake, submit_env, clock, tmp_path):
    assert submit(submit_env, clock, tmp_path) == 0
    assert results(tmp_path) == ("12", "PROCESSING")
    [post] = fake.posts()
    assert post.headers["content-type"] == "application/json"
    assert post.json() == {
        "testingDataNvrsVersion": "v1.0.0",
        "promptsVersion": "v1.1.0",
        "knownNonIssuesVersion": "v1.2.0",
        "sastAiImage": "quay.io/ecosystem-appeng/sast-ai-workflow:v2.1.0",
        "submittedBy": f"ci (run {KEY})",
        "jobSettings": {"useKnownFalsePositiveFile": True},
    }
    # A JSON boolean, not the string "true".
    assert b'"useKnownFalsePositiveFile":true' in post.body
    assert fake.created == 1


def test_hostile_strings_pass_through_verbatim_and_never_run(
    fake, submit_env, clock, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    hostile = {
        "BENCHGEN_PARAM_DVC_DATA_VERSION": "$(touch x)",
        "BENCHGEN_PARAM_PROMPTS_VERSION": "`touch y` \"q\" 'single' ; rm -rf / && echo $HOME",
        "BENCHGEN_PARAM_KNOWN_NON_ISSUES_VERSION": ' v1\n\t\\n{"a":1} ',
        "BENCHGEN_PARAM_SUBMITTED_BY": 'ci"}, {"x": "',
    }
    assert submit({**submit_env, **hostile}, clock, tmp_path) == 0
    body = fake.posts()[0].json()
    assert body["testingDataNvrsVersion"] == "$(touch x)"
    assert body["promptsVersion"] == hostile["BENCHGEN_PARAM_PROMPTS_VERSION"]
    assert body["knownNonIssuesVersion"] == hostile["BENCHGEN_PARAM_KNOWN_NON_ISSUES_VERSION"]
    assert body["submittedBy"] == f'ci"}}, {{"x": " (run {KEY})'
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "y").exists()


@pytest.mark.parametrize(
    ("value", "expected"), [("FALSE", False), ("True", True), (" false ", False)]
)
def test_booleans_become_json_booleans(fake, submit_env, clock, tmp_path, value, expected):
    env = {**submit_env, "BENCHGEN_PARAM_USE_KNOWN_FALSE_POSITIVE_FILE": value}
    assert submit(env, clock, tmp_path) == 0
    assert fake.posts()[0].json()["jobSettings"] == {"useKnownFalsePositiveFile": expected}


def test_optional_empty_params_are_left_out(fake, submit_env, clock, tmp_path):
    env = {
        **submit_env,
        "BENCHGEN_PARAM_USE_KNOWN_FALSE_POSITIVE_FILE": "",
        "BENCHGEN_PARAM_SUBMITTED_BY": "",
    }
    assert submit(env, clock, tmp_path) == 0
    body = fake.posts()[0].json()
    assert "jobSettings" not in body
    assert body["submittedBy"] == f"(run {KEY})"


def test_image_digest(fake, submit_env, clock, tmp_path):
    digest = "sha256:" + "ab" * 32
    assert submit({**submit_env, "BENCHGEN_PARAM_IMAGE_VERSION": digest}, clock, tmp_path) == 0
    assert fake.posts()[0].json()["sastAiImage"] == (
        f"quay.io/ecosystem-appeng/sast-ai-workflow@{digest}"
    )


@pytest.mark.parametrize(
    ("env_name", "value", "message"),
    [
        ("BENCHGEN_PARAM_DVC_DATA_VERSION", "", "'dvc-data-version'"),
        ("BENCHGEN_PARAM_DVC_DATA_VERSION", "   ", "'dvc-data-version'"),
        ("BENCHGEN_PARAM_IMAGE_VERSION", "", "'image-version'"),
        ("BENCHGEN_PARAM_IMAGE_VERSION", "evil/repo:tag", "'image-version'"),
        ("BENCHGEN_PARAM_IMAGE_VERSION", "v1 ;ls", "'image-version'"),
        ("BENCHGEN_PARAM_USE_KNOWN_FALSE_POSITIVE_FILE", "yes", "'use-known-false-positive-file'"),
        ("BENCHGEN_REQUEST_SPEC", "{not json", "BENCHGEN_REQUEST_SPEC"),
        ("BENCHGEN_REQUEST_SPEC", '{"fields":[{"param":"a","path":"x..y"}]}', "fields[0].path"),
        ("BENCHGEN_REQUEST_SPEC", '{"fields":[]}', "testingDataNvrsVersion"),
        ("BENCHGEN_ORCHESTRATOR_URL", "", "BENCHGEN_ORCHESTRATOR_URL"),
        ("BENCHGEN_ORCHESTRATOR_URL", "file:///etc/passwd", "BENCHGEN_ORCHESTRATOR_URL"),
        ("BENCHGEN_BATCH_ENDPOINT", "/api?x=1", "BENCHGEN_BATCH_ENDPOINT"),
    ],
)
def test_bad_input_exits_2_naming_it_and_sends_nothing(
    fake, submit_env, clock, tmp_path, capsys, env_name, value, message
):
    assert submit({**submit_env, env_name: value}, clock, tmp_path) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert fake.requests == []
    assert not (tmp_path / "batch-id").exists()


def test_integer_type(fake, submit_env, clock, tmp_path):
    spec = json.loads(submit_env["BENCHGEN_REQUEST_SPEC"])
    spec["fields"].append({"param": "retries", "path": "jobSettings.retries", "type": "integer"})
    env = {**submit_env, "BENCHGEN_REQUEST_SPEC": json.dumps(spec), "BENCHGEN_PARAM_RETRIES": "7"}
    assert submit(env, clock, tmp_path) == 0
    assert fake.posts()[0].json()["jobSettings"]["retries"] == 7
    env["BENCHGEN_PARAM_RETRIES"] = "7.5"
    assert submit(env, clock, tmp_path) == 2


def test_400_fails_at_once_with_the_orchestrators_message(
    fake, submit_env, clock, tmp_path, capsys
):
    fake.add_fault("POST", Fault.http(400, "Validation failed: promptsVersion is unknown"))
    assert submit(submit_env, clock, tmp_path) == 1
    assert "Validation failed: promptsVersion is unknown" in capsys.readouterr().err
    assert len(fake.posts()) == 1
    assert clock.sleeps == []


@BOTH_APIS
def test_503_then_success_creates_one_batch(fake, submit_env, clock, tmp_path):
    fake.add_fault("POST", Fault.http(503), Fault.http(502, "Bad Gateway"))
    assert submit(submit_env, clock, tmp_path) == 0
    assert len(fake.posts()) == 3
    assert fake.created == 1
    assert results(tmp_path) == ("12", "PROCESSING")
    # Exponential backoff with jitter: the second wait is longer than the first's floor.
    assert len(clock.sleeps) == 2
    assert 1 <= clock.sleeps[0] <= 2
    assert 2 <= clock.sleeps[1] <= 3


@BOTH_APIS
def test_429_honours_retry_after(fake, submit_env, clock, tmp_path):
    fake.add_fault("POST", Fault.http(429, "slow down", Retry_After="7"))
    assert submit(submit_env, clock, tmp_path) == 0
    assert clock.sleeps[0] >= 7
    assert fake.created == 1
    # Rejected outright: nothing to look for before sending again (the one
    # look-up is the first process's, before its first POST).
    assert [r.method for r in fake.requests] == ["GET", "POST", "POST"]


def _requests(fake: FakeOrchestrator) -> str:
    """The requests fake received, in order: 'GET0' is a list of the first page (GitLab
    numbers it 1); reading a listed pipeline's variables (GitLab) is left out."""
    out = []
    for r in fake.requests:
        if r.path.endswith("/variables"):
            continue
        page = r.query.get("page", [""])[0]
        out.append(r.method + (str(int(page) - 1) if page and fake.profile == "gitlab" else page))
    return " ".join(out)


def _first_page(fake: FakeOrchestrator, r) -> bool:
    """``r`` lists the first page of the most a page holds."""
    if fake.profile == "gitlab":
        return r.path.endswith("/pipelines") and (r.query["page"], r.query["per_page"]) == (
            ["1"],
            ["100"],
        )
    return (r.path, r.query) == (fake.endpoint, PAGE_0)


CREATE_THEN_DROP = [Fault.create_then_drop()]
PAGE_0 = {"page": ["0"], "size": ["1000"]}
LOOK_UPS_FAIL = [Fault.http(500, "db down"), Fault.garbage()]


@BOTH_APIS
@pytest.mark.parametrize(
    ("posts", "lists", "key", "requests"),
    [
        # With a key, the first request is one look-up.
        pytest.param([], [], KEY, "GET0 POST", id="no-fault"),
        # A dropped connection without a batch: look it up, then send again.
        pytest.param([Fault.drop()], [], KEY, "GET0 POST GET0 POST", id="dropped"),
        # The first look-up failing is retried, never skipped.
        pytest.param([], [Fault.drop(), Fault.http(503)], KEY, "GET0 GET0 GET0 POST", id="list"),
        # An unreadable 201 is resolved by looking it up.
        pytest.param(
            [Fault.garbage(201, "<html>proxy</html>")], [], KEY, "GET0 POST GET0", id="201"
        ),
        # Look-up failures never lead to a blind resend (without a key, all after the POST).
        pytest.param(CREATE_THEN_DROP, LOOK_UPS_FAIL, KEY, "GET0 GET0 GET0 POST GET0", id="looks"),
        pytest.param(CREATE_THEN_DROP, LOOK_UPS_FAIL, "", "POST GET0 GET0 GET0", id="no-key"),
        # No key, no look-up before the POST; a 404 on the one after it is retried.
        pytest.param(
            CREATE_THEN_DROP, [Fault.http(404, "Not Found")], "", "POST GET0 GET0", id="404"
        ),
    ],
)
def test_faults_end_in_exactly_one_batch(
    fake, submit_env, clock, tmp_path, posts, lists, key, requests
):
    fake.add_fault("POST", *posts)
    fake.add_fault("LIST", *lists)
    assert submit({**submit_env, "BENCHGEN_IDEMPOTENCY_KEY": key}, clock, tmp_path) == 0
    assert fake.created == 1
    assert results(tmp_path) == ("12", "PROCESSING")
    assert _requests(fake) == requests
    for r in fake.requests:  # every GET a look-up of the first page (and its variables)
        if r.method == "POST":
            assert r.query == {}
        elif not r.path.endswith("/variables"):
            assert _first_page(fake, r)


@BOTH_APIS
def test_batch_created_then_connection_dropped_is_adopted(
    fake, submit_env, clock, tmp_path, capsys
):
    fake.add_fault("POST", Fault.create_then_drop())
    assert submit(submit_env, clock, tmp_path) == 0
    assert fake.created == 1
    assert len(fake.posts()) == 1
    assert results(tmp_path) == ("12", "PROCESSING")
    assert "adopting" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("order", "others", "decoy", "requests"),
    [
        # Issue 14: 1,000 older batches and a dropped answer made a duplicate (50 pages of 20).
        ("oldest", 1000, False, "GET0 GET1 POST GET0 GET1"),
        ("newest", 1000, False, "GET0 GET1 POST GET0"),
        # The contract names no order, not even a stable one: a list that fits one page is
        # read by one request, one consistent answer, so its order cannot hide the batch.
        ("shuffled", 998, False, "GET0 POST GET0"),
        # Every page is read (a short page ends the list), before the POST and after it;
        # other runs' keys, and one naming ours but not at the end, are ignored.
        ("oldest", 2500, True, "GET0 GET1 GET2 POST GET0 GET1 GET2"),
    ],
)
def test_adoption_finds_the_batch_among_many(
    submit_env, clock, tmp_path, order, others, decoy, requests
):
    with FakeOrchestrator(clock=clock, list_order=order) as fake:
        for i in range(others):
            by = f"(run {KEY}) was here" if decoy and i == 7 else f"ci (run other-{i})"
            fake.add_batch(submittedBy=by)
        fake.add_fault("POST", Fault.create_then_drop())
        assert submit({**submit_env, **fake.env()}, clock, tmp_path) == 0
        assert fake.created == others + 1
        assert results(tmp_path) == (str(12 + others), "PROCESSING")
        assert _requests(fake) == requests


def test_a_list_that_ignores_page_ends_the_submit_without_a_blind_post(
    fake, submit_env, clock, tmp_path, capsys, monkeypatch
):
    from generator.runtime.orchestrator import Orchestrator

    original = Orchestrator.list_page
    monkeypatch.setattr(
        Orchestrator,
        "list_page",
        lambda self, page, size, timeout: original(self, 0, size, timeout),
    )
    for i in range(1000):
        fake.add_batch(submittedBy=f"ci (run other-{i})")
    assert submit(submit_env, clock, tmp_path) == 4
    assert "page" in capsys.readouterr().err
    assert fake.posts() == []


@BOTH_APIS
def test_a_second_process_with_the_same_key_adopts_instead_of_posting(
    fake, submit_env, clock, tmp_path, capsys
):
    """Issue 14: a Tekton retry, or the pod Tekton creates again when one is deleted,
    runs submit afresh with the same TaskRun uid; it must not create a second batch."""
    assert submit(submit_env, clock, tmp_path) == 0
    (tmp_path / "batch-id").unlink()  # the first pod's results died with it
    assert submit(submit_env, clock, tmp_path) == 0
    assert fake.created == 1
    assert len(fake.posts()) == 1
    assert results(tmp_path) == ("12", "PROCESSING")
    assert "adopted batch 12" in capsys.readouterr().out


@BOTH_APIS
def test_slow_answer_times_out_and_the_batch_is_adopted(fake, submit_env, clock, tmp_path):
    fake.add_fault("POST", Fault.slow(0.5))
    assert submit(submit_env, clock, tmp_path, "--request-timeout=0.1s") == 0
    assert fake.created == 1
    assert len(fake.posts()) == 1


@BOTH_APIS
def test_keeps_failing_until_the_deadline_then_exits_4(fake, submit_env, clock, tmp_path, capsys):
    fake.add_fault("POST", *[Fault.http(503)] * 200)
    start = clock.monotonic()
    assert submit(submit_env, clock, tmp_path, "--timeout=1m") == 4
    assert clock.monotonic() - start <= 60 + 1e-6
    assert "gave up" in capsys.readouterr().err
    assert fake.created == 0
    assert not (tmp_path / "batch-id").exists()


def test_connection_refused_retries_then_exits_4(submit_env, clock, tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**submit_env, "BENCHGEN_ORCHESTRATOR_URL": f"http://127.0.0.1:{port}"}
    assert submit(env, clock, tmp_path, "--timeout=20s") == 4
    out = capsys.readouterr()
    assert "cannot connect" in out.err
    assert out.out.count("attempt ") >= 3


@BOTH_APIS
@pytest.mark.parametrize(("key", "first"), [(KEY, "GET"), ("", "POST")])
def test_wrong_endpoint_is_not_retried(fake, submit_env, clock, tmp_path, capsys, key, first):
    env = {
        **submit_env,
        "BENCHGEN_BATCH_ENDPOINT": fake.endpoint[:-1] + "x",
        "BENCHGEN_IDEMPOTENCY_KEY": key,
    }
    assert submit(env, clock, tmp_path) == 4
    assert "404" in capsys.readouterr().err
    # With a key, the first look-up finds the endpoint wrong, before anything is sent.
    assert [r.method for r in fake.requests] == [first]


def test_without_an_idempotency_key_a_fresh_one_is_used(fake, submit_env, clock, tmp_path):
    env = {k: v for k, v in submit_env.items() if k != "BENCHGEN_IDEMPOTENCY_KEY"}
    fake.add_fault("POST", Fault.create_then_drop())
    assert submit(env, clock, tmp_path) == 0
    assert fake.created == 1
    assert fake.batches[12].submission["submittedBy"].startswith("ci (run ")
    # A key nobody had before: nothing to look for before the first POST.
    assert [r.method for r in fake.requests] == ["POST", "GET"]


# " (run <36-character uid>)"
MARKER = len(f" (run {KEY})")


def test_submitted_by_fills_the_orchestrators_column_with_the_marker(
    fake, submit_env, clock, tmp_path
):
    room = 255 - MARKER
    assert room == 212
    env = {**submit_env, "BENCHGEN_PARAM_SUBMITTED_BY": "é" * room}
    assert submit(env, clock, tmp_path) == 0
    assert fake.batches[12].submission["submittedBy"] == "é" * room + f" (run {KEY})"


@pytest.mark.parametrize("key", [KEY, "k" * 128])
def test_submitted_by_too_long_for_the_marker_is_refused_before_sending(
    fake, submit_env, clock, tmp_path, capsys, key
):
    """Issue 14: a 256-character submitted_by plus ' (run <uid>)' passed the 255-character
    column; the orchestrator rejected it, or cut the marker off and a duplicate followed."""
    room = 255 - len(f" (run {key})")
    env = {
        **submit_env,
        "BENCHGEN_IDEMPOTENCY_KEY": key,
        "BENCHGEN_PARAM_SUBMITTED_BY": "x" * (room + 1),
    }
    assert submit(env, clock, tmp_path) == 2
    err = capsys.readouterr().err
    assert "'submitted-by'" in err
    assert f"at most {room} characters" in err
    assert "255" in err
    assert "Traceback" not in err
    assert fake.requests == []
