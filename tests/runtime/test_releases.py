"""watch-releases: the GitHub client against the fake API, state merging, ids, config.

The whole command (ConfigMap state, listener) runs in tests/e2e/test_releases.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from generator.runtime.errors import InputError
from generator.runtime.releases import load_config, release_event_id, state
from generator.runtime.releases.github import GitHub, GitHubError, RateLimitedError, Release
from generator.runtime.retry import RetryOptions
from tests.runtime.fake_github import FakeGitHub, Fault
from tests.runtime.fake_orchestrator import FakeClock

REPO = "falcosecurity/falco"
EPOCH = 1_700_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gh(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(token="ghp_test", now=lambda: EPOCH + clock.monotonic()) as server:
        yield server


def client(
    gh: FakeGitHub, clock: FakeClock, token: str = "ghp_test", max_wait: float = 60
) -> GitHub:
    opts = RetryOptions(timeout=120, request_timeout=5, backoff=1, max_backoff=10)
    return GitHub(
        gh.url, token, opts, clock, max_wait=max_wait, now=lambda: EPOCH + clock.monotonic()
    )


def test_latest_then_304_costs_no_rate_limit(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.publish(REPO, "0.36.0")
    gh.publish(REPO, "0.37.0")
    gh.publish(REPO, "0.38.0-rc1", prerelease=True)
    api = client(gh, clock)
    first = api.latest(REPO, None, None)
    assert first.release is not None and first.release.tag == "0.37.0" and first.etag
    left = gh.remaining
    again = api.latest(REPO, None, first.etag)
    assert again.not_modified and again.release is None and gh.remaining == left
    assert gh.requests[-1].headers["If-None-Match"] == first.etag
    assert gh.requests[-1].headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert gh.requests[-1].headers["Authorization"] == "Bearer ghp_test"


def test_no_release_is_not_an_error(gh: FakeGitHub, clock: FakeClock) -> None:
    lookup = client(gh, clock).latest("nobody/nothing", None, None)
    assert lookup.release is None and "no published release" in lookup.note


def test_tag_pattern_reads_the_list(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.publish(REPO, "v0.37.0")
    gh.publish(REPO, "chart-4.2.0")  # GitHub's "latest" now
    lookup = client(gh, clock).latest(REPO, re.compile(r"v\d+\.\d+\.\d+"), None)
    assert lookup.release is not None and lookup.release.tag == "v0.37.0"
    assert gh.requests[-1].path.endswith("/releases?per_page=100")


def test_5xx_and_dropped_connections_are_retried(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.publish(REPO, "0.37.0")
    gh.fail(Fault.server_error(502), Fault.drop(), Fault.server_error(503))
    lookup = client(gh, clock).latest(REPO, None, None)
    assert lookup.release is not None and gh.statuses() == [502, 0, 503, 200]


def test_5xx_past_the_deadline_is_an_error(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.fail(*[Fault.server_error(500)] * 200)
    with pytest.raises(GitHubError, match="gave up after 2m00s") as info:
        client(gh, clock).latest(REPO, None, None)
    assert not info.value.fatal


def test_primary_rate_limit_stops_and_says_until_when(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.publish(REPO, "0.37.0")
    gh.fail(Fault.rate_limited(reset_in=1800))
    api = client(gh, clock)
    with pytest.raises(RateLimitedError, match=r"X-RateLimit-Remaining: 0\) until .* in 30m00s"):
        api.latest(REPO, None, None)
    sent = len(gh.requests)
    with pytest.raises(RateLimitedError):
        api.latest("other/repo", None, None)
    assert len(gh.requests) == sent  # never hammered


def test_a_short_retry_after_is_waited_out(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.publish(REPO, "0.37.0")
    gh.fail(Fault.retry_after(20))
    lookup = client(gh, clock).latest(REPO, None, None)
    assert lookup.release is not None and gh.statuses() == [429, 200]
    assert clock.monotonic() - 1000 >= 19.99


def test_a_long_retry_after_stops(gh: FakeGitHub, clock: FakeClock) -> None:
    gh.fail(Fault.retry_after(600))
    with pytest.raises(RateLimitedError, match="Retry-After"):
        client(gh, clock).latest(REPO, None, None)
    assert gh.statuses() == [429]


def test_the_last_allowed_request_blocks_the_next(clock: FakeClock) -> None:
    with FakeGitHub(rate_limit=1, now=lambda: EPOCH + clock.monotonic()) as gh:
        gh.publish(REPO, "0.37.0")
        api = client(gh, clock, token="")
        assert api.latest(REPO, None, None).release is not None
        with pytest.raises(RateLimitedError):
            api.latest(REPO, None, None)
        assert len(gh.requests) == 1


def test_bad_credentials_are_fatal(gh: FakeGitHub, clock: FakeClock) -> None:
    with pytest.raises(GitHubError, match="Bad credentials") as info:
        client(gh, clock, token="wrong").latest(REPO, None, None)
    assert info.value.fatal


R1 = Release("0.37.0", 1, "u1", None)
R2 = Release("0.38.0", 2, "u2", None)


def test_state_due_fired_and_merge_on_conflict() -> None:
    ops: list[state.Op] = [state.Seen(REPO, "q", 'W/"e1"', R1), state.Fired(REPO, "ebpf", "0.37.0")]
    data = state.apply({}, ops)
    entry = state.load_repo(data, REPO)
    assert list(data) == ["falcosecurity.falco"]
    assert state.due(entry, R1, ["ebpf", "kmod"]) == ["kmod"]
    assert state.stored_etag(entry, "q") == 'W/"e1"' and state.stored_etag(entry, "other") is None
    # Someone else recorded kmod meanwhile; replaying our op on their data keeps both.
    theirs = {**data, **state.apply(data, [state.Fired(REPO, "kmod", "0.37.0")])}
    merged = {**theirs, **state.apply(theirs, [state.Fired(REPO, "modern-ebpf", "0.37.0")])}
    assert state.due(state.load_repo(merged, REPO), R1, ["ebpf", "kmod", "modern-ebpf"]) == []
    # Nothing new: no write at all.
    assert state.apply(merged, [state.Fired(REPO, "kmod", "0.37.0")]) == {}
    # A new release is due everywhere; the old one, coming back as latest, is not.
    entry = state.load_repo(merged, REPO)
    assert state.due(entry, R2, ["ebpf"]) == ["ebpf"]
    assert state.due(entry, R1, ["ebpf"]) == []


def test_release_event_ids_are_safe_bounded_and_distinct() -> None:
    a = release_event_id("falcosecurity/falco", "0.37.0", "modern-ebpf", 30)
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", a) and len(a) <= 30
    assert a.startswith("falco-0-37-0-")
    assert a == release_event_id("falcosecurity/falco", "0.37.0", "modern-ebpf", 30)
    others = {
        release_event_id("falcosecurity/falco", "0.37.0", "kmod", 30),
        release_event_id("falcosecurity/falco", "0-37-0", "modern-ebpf", 30),
        release_event_id("other/falco", "0.37.0", "modern-ebpf", 30),
        release_event_id("falcosecurity/falco", "0.37.0", "", 30),
    }
    assert a not in others and len(others) == 4


def test_config_problems_are_all_reported() -> None:
    env = {
        "BENCHGEN_RELEASES": json.dumps([
            {"repo": "not-a-repo"},
            {"repo": "a/b", "configurations": ["x", "x"], "tagPattern": "(", "typo": 1},
        ]),
        "BENCHGEN_RELEASE_FIELDS": json.dumps({"project": "body.p"}),
        "BENCHGEN_LISTENER_URL": "http://127.0.0.1:1",
        "BENCHGEN_AUTH_TYPE": "none",
        "BENCHGEN_GITHUB_TOKEN_FILE": "/nonexistent/token",
    }  # fmt: skip
    with pytest.raises(InputError) as info:
        load_config(env)
    text = str(info.value)
    for part in (
        "BENCHGEN_RELEASES[0].repo: 'not-a-repo' is not owner/name",
        "BENCHGEN_RELEASES[1].typo: unknown key",
        "configurations: a configuration is listed twice",
        "tagPattern: missing ), unterminated subpattern",
        "BENCHGEN_RELEASE_FIELDS.version: required",
        "BENCHGEN_RELEASE_FIELDS.configuration is required",
        "BENCHGEN_EVENT_ID_FIELD is required",
        "BENCHGEN_GITHUB_TOKEN_FILE /nonexistent/token",
        "BENCHGEN_NAMESPACE is required",
        "BENCHGEN_STATE_CONFIGMAP is required",
    ):
        assert part in text, part
