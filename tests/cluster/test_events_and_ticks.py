"""Scenarios 1, 2 and 6 of the real-cluster suite, on one deployment (fixture
``ticks``, tests/cluster/ticks.py): CloudEvents through a real Knative Broker,
schedules fired by the real CronJob controller and by Knative's PingSource
adapter, and ``watch-releases`` run by the rendered CronJob against the
loopback GitHub stand-in. The deployment is made when the session starts and
these tests run last, so the minutes they wait for pass while the other
scenarios run.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import urllib3

from tests.cluster.flow import render
from tests.cluster.ticks import (
    CE,
    CONFIGURATIONS,
    FIELDS,
    GITHUB_TOKEN,
    NAME,
    PING,
    REQUESTED,
    RUN_PREFIX,
    Obj,
    Ticks,
)
from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.cluster


def _annotation(run: Obj, what: str) -> str | None:
    return (run["metadata"].get("annotations") or {}).get(CE.format(what))


def _label(run: Obj, name: str) -> str | None:
    """The params that only label the run (project, config): bench/<name>."""
    return (run["metadata"].get("labels") or {}).get(f"bench/{name}")


def _param(run: Obj, name: str) -> str:
    return next(str(p["value"]) for p in run["spec"]["params"] if p["name"] == name)


def _post_event(url: str, *, ident: str, source: str, kind: str, data: Obj) -> int:
    """A binary-mode CloudEvent: attributes in Ce-* headers, the data as the body."""
    resp = urllib3.request(
        "POST",
        url,
        body=json.dumps(data).encode(),
        headers={
            "Ce-Specversion": "1.0",
            "Ce-Id": ident,
            "Ce-Source": source,
            "Ce-Type": kind,
            "Content-Type": "application/json",
        },
        timeout=urllib3.Timeout(connect=5, read=30),
        retries=False,
    )
    return resp.status


def _events_runs(t: Ticks) -> list[Obj]:
    return [r for r in t.runs() if _annotation(r, "type") == REQUESTED]


def test_cloudevents_through_the_broker_start_one_run_per_source_and_id(ticks: Ticks) -> None:
    url = ticks.broker_url()
    ident = f"ev-{uuid.uuid4().hex[:8]}"
    first = ("/ci/gitlab", ident)
    assert _post_event(url, ident=ident, source=first[0], kind=REQUESTED, data=FIELDS) == 202

    run = wait_for(
        lambda: next(iter(_events_runs(ticks)), None), timeout=60, what="the CloudEvent's run"
    )
    assert (_annotation(run, "source"), _annotation(run, "id")) == first
    assert run["metadata"]["name"].startswith(RUN_PREFIX)
    done = ticks.app.wait_finished(run["metadata"]["name"])
    assert _ready_run(done), ticks.app.describe(run["metadata"]["name"])

    # The same event again (a redelivery), an event no Trigger accepts, and the same
    # id from another source (a different event); then a sentinel that must arrive.
    assert _post_event(url, ident=ident, source=first[0], kind=REQUESTED, data=FIELDS) == 202
    unaccepted = f"no-{uuid.uuid4().hex[:8]}"
    other = "com.example.benchmark.other.v1"
    assert _post_event(url, ident=unaccepted, source="/ci/x", kind=other, data=FIELDS) == 202
    assert _post_event(url, ident=ident, source="/ci/github", kind=REQUESTED, data=FIELDS) == 202
    sentinel = f"zz-{uuid.uuid4().hex[:8]}"
    assert _post_event(url, ident=sentinel, source="/ci/x", kind=REQUESTED, data=FIELDS) == 202

    def identities() -> set[tuple[str | None, str | None]]:
        return {(_annotation(r, "source"), _annotation(r, "id")) for r in _events_runs(ticks)}

    wait_for(
        lambda: {("/ci/github", ident), ("/ci/x", sentinel)} <= identities(),
        timeout=60,
        what="the runs of the other source and of the sentinel",
    )
    time.sleep(5)  # deliveries are concurrent: give a duplicate time to show up
    runs = _events_runs(ticks)
    assert sorted((_annotation(r, "source"), _annotation(r, "id")) for r in runs) == sorted(
        [first, ("/ci/github", ident), ("/ci/x", sentinel)]
    ), [r["metadata"]["name"] for r in runs]
    assert not any(_annotation(r, "id") == unaccepted for r in ticks.runs())


def _ready_run(run: Obj) -> bool:
    cond = next(c for c in run["status"]["conditions"] if c["type"] == "Succeeded")
    return bool(cond["status"] == "True")


def _jobs(t: Ticks, cronjob: str) -> list[Obj]:
    jobs = t.stack.cluster.list_objects("batch/v1", "Job", t.ns)
    owned = [
        j
        for j in jobs
        if any(o["name"] == cronjob for o in j["metadata"].get("ownerReferences", []))
    ]
    return sorted(owned, key=lambda j: j["metadata"]["name"])


def _complete(job: Obj) -> bool:
    return any(
        c["type"] == "Complete" and c["status"] == "True"
        for c in job.get("status", {}).get("conditions", []) or []
    )


def test_the_cronjob_fires_each_minute_and_each_tick_starts_one_run_named_by_its_job(
    ticks: Ticks,
) -> None:
    from generator.runtime.send import bounded_event_id

    cronjob = f"{NAME}-tick"
    assert ticks.stack.cluster.get("batch/v1", "CronJob", cronjob, ticks.ns)

    def two_ticks() -> list[Obj] | None:
        jobs = _jobs(ticks, cronjob)
        return jobs if len([j for j in jobs if _complete(j)]) >= 2 else None

    jobs = wait_for(
        two_ticks, timeout=200, interval=2, what="two ticks of the CronJob, each Job complete"
    )
    done = [j for j in jobs if _complete(j)][:2]
    # Forbid: a tick never overlaps the previous one.
    assert done[0]["status"]["completionTime"] <= done[1]["status"]["startTime"]
    scheduled = [r for r in ticks.runs() if _param(r, "dvc-data-version") == "scheduled"]
    room = 63 - len(RUN_PREFIX)
    for job in done:
        ident = bounded_event_id(job["metadata"]["name"], room)
        mine = [r for r in scheduled if r["metadata"]["name"] == RUN_PREFIX + ident]
        assert len(mine) == 1, (job["metadata"]["name"], [r["metadata"]["name"] for r in scheduled])
        assert (mine[0]["metadata"].get("annotations") or {})["benchgen.dev/run-id"] == ident
        assert job["status"].get("succeeded") == 1 and not job["status"].get("failed")
    # Every scheduled run is named after a tick's Job, <cronjob>-<minutes since the
    # epoch>: at most one run per tick (names are unique), none for a tick to come.
    # (The controller keeps only the last Jobs, so older runs outlive theirs.)
    now = int(time.time() // 60)
    for run in scheduled:
        m = re.fullmatch(
            re.escape(f"{RUN_PREFIX}{cronjob}-") + r"([0-9]+)", run["metadata"]["name"]
        )
        assert m and int(m[1]) <= now, run["metadata"]["name"]
    for run in scheduled[:2]:
        assert _ready_run(ticks.app.wait_finished(run["metadata"]["name"]))


def test_the_pingsource_fires_each_minute_through_the_broker(ticks: Ticks) -> None:
    def pinged() -> list[Obj]:
        return [r for r in ticks.runs() if _annotation(r, "type") == PING]

    def two_pings() -> list[Obj] | None:
        runs = pinged()
        return runs if len(runs) >= 2 else None

    runs = wait_for(
        two_pings,
        timeout=200,
        interval=2,
        what="two ticks of the PingSource",
    )
    minutes = [r["metadata"]["creationTimestamp"][:16] for r in runs]
    assert len(set(minutes)) == len(minutes), f"two runs in one minute: {minutes}"
    assert {_param(r, "dvc-data-version") for r in runs} == {"pinged"}
    assert len({_annotation(r, "id") for r in runs}) == len(runs)
    assert _ready_run(ticks.app.wait_finished(runs[0]["metadata"]["name"]))


def _release_runs(t: Ticks) -> list[Obj]:
    return [r for r in t.runs() if _label(r, "project") != "none"]


def test_a_new_release_starts_one_run_per_configuration_once_and_the_state_survives_reapply(
    ticks: Ticks,
) -> None:
    cronjob = f"{NAME}-releases"
    state_name = f"{NAME}-releases-state"
    cluster = ticks.stack.cluster
    wait_for(
        lambda: any(_complete(j) for j in _jobs(ticks, cronjob)),
        timeout=150,
        interval=2,
        what="the first release check",
    )
    runs = _release_runs(ticks)
    got = sorted(
        (_label(r, "project"), _param(r, "dvc-data-version"), _label(r, "config")) for r in runs
    )
    assert got == [("falco", "0.39.0", c) for c in CONFIGURATIONS], got
    state = cluster.get("v1", "ConfigMap", state_name, ticks.ns).get("data")
    assert state and "0.39.0" in json.dumps(state), state

    # Re-apply the manifests as a GitOps sync would: the state stays.
    ticks.stack.run_kubectl(
        "apply",
        "--server-side",
        "-f",
        "-",
        input=render(ticks.config, ticks.ns),
        namespace=ticks.ns,
    )
    assert cluster.get("v1", "ConfigMap", state_name, ticks.ns).get("data") == state

    # The next tick after the re-apply starts nothing.
    reapplied = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def checked_since() -> bool:
        return any(
            _complete(j) and j["status"].get("startTime", "") > reapplied
            for j in _jobs(ticks, cronjob)
        )

    wait_for(checked_since, timeout=150, interval=2, what="a release check after the re-apply")
    assert len(_release_runs(ticks)) == len(CONFIGURATIONS)
    assert cluster.get("v1", "ConfigMap", state_name, ticks.ns).get("data") == state
    for run in runs:
        assert _ready_run(ticks.app.wait_finished(run["metadata"]["name"]))
    gets = [r for r in ticks.github.requests if re.search(r"/releases", r.path)]
    assert gets and all(
        {k.lower(): v for k, v in r.headers.items()}.get("authorization")
        == f"Bearer {GITHUB_TOKEN}"
        for r in gets
    )
