"""The gitlab profile against the fake GitLab on loopback: what only GitLab's API has
(its body, its token, its statuses, a look-up through each pipeline's variables).
The scenarios every batch API must pass run over both fakes in test_submit.py,
test_wait.py, test_poller_schedule.py and test_custom_tasks.py (``@BOTH_APIS``)."""

import json
from pathlib import Path

import pytest

from generator.contract.orchestrator_api import GITLAB
from generator.runtime.__main__ import main
from generator.runtime.orchestrator import from_env
from tests.runtime.conftest import BOTH_APIS
from tests.runtime.fake_gitlab import STATUSES, FakeGitLab
from tests.runtime.fake_orchestrator import FakeClock, Fault, ScriptedPlan, View

KEY = "5f0c4a7e-0000-4000-8000-000000000001"
GITLAB_ONLY = pytest.mark.parametrize("fake", ["gitlab"], indirect=True)
NAMES = ("final-status", "total-jobs", "completed-jobs", "failed-jobs")


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


def wait(fake: FakeGitLab, clock: FakeClock, tmp: Path, batch: int, *extra: str) -> int:
    paths = [f"--{n}-path={tmp / n}" for n in NAMES]
    return main(
        ["wait", "--interval=10s", "--max-interval=1m", "--timeout=10m", *paths, *extra],
        env={**fake.env(), "BENCHGEN_BATCH_ID": str(batch)},
        clock=clock,
    )


def read(tmp: Path, name: str) -> str:
    return (tmp / name).read_text()


@GITLAB_ONLY
def test_the_pipeline_is_created_with_gitlabs_body_and_token(
    fake, submit_env, clock, tmp_path, capsys
):
    assert submit(submit_env, clock, tmp_path) == 0
    assert (read(tmp_path, "batch-id"), read(tmp_path, "submit-status")) == ("12", "PROCESSING")
    [post] = fake.posts()
    assert post.path == "/api/v4/projects/42/pipeline"
    assert post.headers["private-token"] == fake.token
    assert post.headers["content-type"] == "application/json"

    def var(key: str, value: str) -> dict[str, str]:
        return {"key": key, "value": value, "variable_type": "env_var"}

    # Every value a string (GitLab's variables are), the run's key last.
    assert post.json() == {
        "ref": "main",
        "variables": [
            var("DVC_DATA_VERSION", "v1.0.0"),
            var("PROMPTS_VERSION", "v1.1.0"),
            var("SAST_AI_IMAGE", "quay.io/ecosystem-appeng/sast-ai-workflow:v2.1.0"),
            var("USE_KNOWN_FALSE_POSITIVE_FILE", "true"),
            var("BENCHGEN_RUN_KEY", KEY),
        ],
    }
    out = capsys.readouterr()
    assert fake.token not in out.out + out.err
    # Every request carried the token; none had it in its URL.
    assert all(r.headers.get("private-token") == fake.token for r in fake.requests)
    assert all(fake.token not in r.path + json.dumps(r.query) for r in fake.requests)


@GITLAB_ONLY
def test_the_look_up_lists_the_refs_api_pipelines_since_the_lookback(fake, submit_env):
    orchestrator = from_env(submit_env)
    orchestrator.wall = lambda: 1_790_000_000.0
    assert orchestrator.list_url(1, 100) == (
        f"{fake.url}/api/v4/projects/42/pipelines?ref=main&source=api"
        "&updated_after=2026-09-14T14%3A13%3A20Z&order_by=id&sort=desc&per_page=100&page=1"
    )
    assert GITLAB.lookback == 7 * 24 * 3600  # 2026-09-21T14:13:20Z minus a week


@GITLAB_ONLY
@pytest.mark.parametrize(
    ("posts", "vars_faults"),
    [
        # The 201 is lost; reading the new pipeline's variables fails twice: retried.
        pytest.param([Fault.create_then_drop()], [Fault.http(502), Fault.drop()], id="vars"),
        pytest.param([Fault.garbage(201, "<html>proxy</html>")], [], id="201"),
        pytest.param([Fault.slow(0.5)], [Fault.http(429, "slow down", Retry_After="3")], id="429"),
    ],
)
def test_a_lost_201_is_found_by_its_variable_and_never_sent_twice(
    fake, submit_env, clock, tmp_path, capsys, posts, vars_faults
):
    for i in range(5):  # other runs' pipelines, and one without the variable
        fake.add_batch(**({"BENCHGEN_RUN_KEY": f"other-{i}"} if i else {}))
    fake.add_fault("POST", *posts)
    fake.add_fault("VARS", *vars_faults)
    assert submit(submit_env, clock, tmp_path, "--request-timeout=0.1s") == 0
    assert fake.created == 6
    assert len(fake.posts()) == 1
    assert read(tmp_path, "batch-id") == "17"
    assert "adopting" in capsys.readouterr().out


@GITLAB_ONLY
def test_adoption_among_many_pipelines_reads_newest_first(fake, submit_env, clock, tmp_path):
    for i in range(250):
        fake.add_batch(BENCHGEN_RUN_KEY=f"other-{i}")
    fake.add_fault("POST", Fault.create_then_drop())
    assert submit(submit_env, clock, tmp_path) == 0
    assert fake.created == 251
    assert read(tmp_path, "batch-id") == str(12 + 250)
    lists = [r.query["page"][0] for r in fake.requests if r.path.endswith("/pipelines")]
    variables = [r for r in fake.requests if r.path.endswith("/variables")]
    # Before the POST: all three pages, every pipeline's variables; after it, the newest
    # pipeline (the run's own) on the first page is the first one read.
    assert lists == ["1", "2", "3", "1"]
    assert len(variables) == 250 + 1


@GITLAB_ONLY
def test_a_key_read_failing_on_a_later_page_is_retried_from_that_page(
    fake, submit_env, clock, tmp_path
):
    ids = [fake.add_batch(BENCHGEN_RUN_KEY=f"other-{i}") for i in range(250)]
    # Newest first: page 2 holds ids[149] down to ids[50]; one of them fails to answer.
    fake.add_variables_fault(ids[120], Fault.http(500, "500 Internal Server Error"))
    assert submit(submit_env, clock, tmp_path) == 0
    assert fake.created == 251 and len(fake.posts()) == 1
    lists = [r.query["page"][0] for r in fake.requests if r.path.endswith("/pipelines")]
    assert lists == ["1", "2", "2", "3"]  # page 2 again, not the whole list, not an error


@GITLAB_ONLY
def test_a_second_process_finds_the_pipeline_of_the_first(fake, submit_env, clock, tmp_path):
    assert submit(submit_env, clock, tmp_path) == 0
    assert submit(submit_env, clock, tmp_path) == 0
    assert fake.created == 1 and len(fake.posts()) == 1


@GITLAB_ONLY
def test_a_wrong_token_is_exit_4_at_once_and_nothing_is_sent(
    fake, submit_env, clock, tmp_path, capsys
):
    Path(submit_env["BENCHGEN_ORCHESTRATOR_TOKEN_FILE"]).write_text("glpat-wrong\n")
    assert submit(submit_env, clock, tmp_path) == 4
    assert "401" in capsys.readouterr().err
    assert fake.posts() == [] and clock.sleeps == []
    batch = fake.add_batch()
    assert wait(fake, clock, tmp_path, batch) == 4
    assert read(tmp_path, "final-status") == "UNKNOWN"


@GITLAB_ONLY
def test_a_token_the_variables_refuse_is_exit_4_before_any_post(
    fake, submit_env, clock, tmp_path, capsys
):
    fake.add_batch(BENCHGEN_RUN_KEY="other")
    fake.add_fault("VARS", Fault.http(403, "403 Forbidden"))
    assert submit(submit_env, clock, tmp_path) == 4
    assert "403" in capsys.readouterr().err
    assert fake.posts() == []


@GITLAB_ONLY
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BENCHGEN_ORCHESTRATOR_TOKEN_FILE": ""}, "BENCHGEN_ORCHESTRATOR_TOKEN_FILE"),
        ({"BENCHGEN_ORCHESTRATOR_API": '{"profile":"gitlab","statusMap":{}}'}, "statusMap"),
        ({"BENCHGEN_ORCHESTRATOR_API": '{"profile":"jenkins"}'}, "jenkins"),
    ],
)
def test_bad_api_settings_exit_2_and_send_nothing(
    fake, submit_env, clock, tmp_path, capsys, env, message
):
    assert submit({**submit_env, **env}, clock, tmp_path) == 2
    assert message in capsys.readouterr().err
    assert fake.requests == []


@GITLAB_ONLY
def test_an_unknown_ref_is_a_rejection(fake, submit_env, clock, tmp_path, capsys):
    api = json.dumps({"profile": "gitlab", "constants": {"ref": "no-such-branch"}})
    assert submit({**submit_env, "BENCHGEN_ORCHESTRATOR_API": api}, clock, tmp_path) == 1
    assert "Reference not found" in capsys.readouterr().err
    assert fake.created == 0


# Every status GitLab documents, and the outcome the profile maps it to.
OUTCOMES = {
    "created": "PROCESSING",
    "waiting_for_resource": "PROCESSING",
    "preparing": "PROCESSING",
    "pending": "PROCESSING",
    "running": "PROCESSING",
    "manual": "PROCESSING",
    "scheduled": "PROCESSING",
    "success": "COMPLETED",
    "failed": "FAILED",
    "canceled": "CANCELLED",
    "skipped": "COMPLETED_EMPTY",
}


def test_every_gitlab_status_is_mapped() -> None:
    assert set(OUTCOMES) == set(STATUSES)
    assert {s: GITLAB.outcome(s) for s in STATUSES} == OUTCOMES


@GITLAB_ONLY
@pytest.mark.parametrize("status", STATUSES)
def test_every_gitlab_status_as_the_wait_sees_it(fake, clock, tmp_path, capsys, status):
    outcome = OUTCOMES[status]
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING"), View(status)]))
    code = wait(fake, clock, tmp_path, batch, "--timeout=2m")
    running = outcome == "PROCESSING"
    assert code == (3 if running else 1 if outcome in ("FAILED", "CANCELLED") else 0)
    assert read(tmp_path, "final-status") == ("TIMEOUT" if running else outcome)
    out = capsys.readouterr().out
    # The outcome, and GitLab's own word for it, in the poll's line.
    assert f"{outcome} ({status})" in out
    if not running:
        assert f"ended {outcome} ({status})" in out


@GITLAB_ONLY
def test_a_pipeline_goes_created_pending_running_then_ends(fake, clock, tmp_path, capsys):
    # POST answers "created"; the first GET "pending", then "running", then the end.
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING")] * 3 + [View("COMPLETED")]))
    assert fake.pipelines[batch].status == "created"
    assert wait(fake, clock, tmp_path, batch) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert [line.split()[3] for line in lines] == [
        "(pending)",
        "(running)",
        "(running)",
        "(success)",
    ]


@GITLAB_ONLY
def test_a_pipeline_has_no_counts_so_the_blind_cap_holds(fake, clock, tmp_path):
    # Counts in the plan never reach the poller: a pipeline carries none.
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING", 10, 5, 0)]))
    assert wait(fake, clock, tmp_path, batch, "--max-interval=10m", "--timeout=30m") == 3
    assert max(clock.sleeps) == 90
    assert [read(tmp_path, n) for n in NAMES[1:]] == ["0", "0", "0"]


@BOTH_APIS
def test_a_pipeline_and_a_batch_end_the_same_way(fake, clock, tmp_path):
    """One scenario, either API: 429 then 5xx while it runs, then FAILED, exit 1."""
    batch = fake.add_batch(ScriptedPlan([View("PROCESSING")] * 2 + [View("FAILED")]))
    fake.add_fault("GET", Fault.http(429, "", Retry_After="20"), Fault.http(503))
    assert wait(fake, clock, tmp_path, batch) == 1
    assert read(tmp_path, "final-status") == "FAILED"
    assert clock.sleeps[0] >= 20
