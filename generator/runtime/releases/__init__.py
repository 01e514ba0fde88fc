"""``benchgen-poller watch-releases``: one event per new GitHub release and configuration.

A CronJob runs it. For each project it asks GitHub for the latest (matching)
release (github.py), compares it with what the state ConfigMap says
was already fired (state.py), and sends what is due through
``webhook.Sender`` (as ``send`` does). Only a 2xx from the listener is recorded, at once, with a
patch carrying the ConfigMap's resourceVersion (a ``409`` re-reads and
merges), so a failed fire is retried on the next run and a release seen twice
fires nothing. With ``BENCHGEN_RUN_PREFIX`` a 2xx is not enough: the event is
recorded once its PipelineRun exists (``webhook.Starter``, sending it again
while it does not), since the listener answers before it creates the run.
The event id ``<repo>-<tag>-<configuration>-<hash>`` names the PipelineRun: an
event that was accepted but could not be recorded is sent again next time with
the same id, and the API server refuses the second run.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.contract import env as var
from generator.contract import releases
from generator.contract.commands import WATCH_RELEASES
from generator.contract.releases import Project
from generator.runtime import kube
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.errors import EXIT_FAILED, EXIT_OK, InfraError, InputError, RejectedError
from generator.runtime.http import Refused
from generator.runtime.releases import state
from generator.runtime.releases.github import GitHub, GitHubError, Lookup, Release
from generator.runtime.retry import RetryOptions, deadline_retrying, retrying_in
from generator.runtime.webhook import (
    Event,
    IdField,
    ListenerConfig,
    NotStarted,
    RunCheck,
    RunWait,
    Sender,
    Starter,
    load_event,
    load_id_field,
    load_listener,
    load_run_check,
    put,
)

DEFAULT_API = "https://api.github.com"
# How often a conflicting state write is re-read and merged before giving up.
MAX_CONFLICTS = 10


@dataclass(frozen=True)
class WatchConfig:
    projects: list[Project]
    fields: releases.Fields
    base_event: Event
    listener: ListenerConfig
    id_field: IdField
    api_url: str
    token: str | None = field(repr=False)
    namespace: str
    config_map: str
    run_check: RunCheck | None = None  # with it, an event counts once its run exists


def load_config(env: Mapping[str, str]) -> WatchConfig:
    """Everything from the env, or one InputError listing every problem."""
    problems: list[str] = []
    projects = releases.decode_projects(env.get(var.RELEASES), problems)
    fields = releases.decode_fields(env.get(var.RELEASE_FIELDS), problems)
    if fields.configuration is None and any(p.configurations for p in projects):
        problems.append(
            f"{var.RELEASE_FIELDS}.configuration is required when a project has configurations"
        )
    base = load_event(env, problems, required=False)
    listener = load_listener(env, problems)
    id_field = load_id_field(env, problems)
    if id_field is None:
        problems.append(
            f"{var.EVENT_ID_FIELD} is required: the event id is what keeps a re-fired"
            " release from starting a second run"
        )
        id_field = IdField("", 0)
    api_url = env.get(var.GITHUB_API, "").strip() or DEFAULT_API
    if not api_url.startswith(("http://", "https://")) or any(c.isspace() for c in api_url):
        problems.append(f"{var.GITHUB_API}: {api_url!r} is not an http(s) URL")
    token = None
    token_file = env.get(var.GITHUB_TOKEN_FILE, "").strip()
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{var.GITHUB_TOKEN_FILE} {token_file}: {exc}")
        else:
            if not token or not token.isprintable() or " " in token:
                problems.append(
                    f"{var.GITHUB_TOKEN_FILE} {token_file}: must hold one token on one line"
                )
    namespace = env.get(var.NAMESPACE, "").strip()
    config_map = env.get(var.STATE_CONFIGMAP, "").strip()
    for name, value in ((var.NAMESPACE, namespace), (var.STATE_CONFIGMAP, config_map)):
        if not value:
            problems.append(f"{name} is required")
    run_check = load_run_check(env, problems, id_field)
    if problems:
        raise InputError("bad input, nothing checked or sent:\n  " + "\n  ".join(problems))
    return WatchConfig(
        projects, fields, base, listener, id_field, api_url, token, namespace, config_map,
        run_check,
    )  # fmt: skip


def release_event_id(repo: str, tag: str, configuration: str, room: int) -> str:
    """``<name>-<tag>-<configuration>`` made DNS-safe, cut to fit ``room``, always ending
    in 8 hex digits of a hash of the exact (repo, tag, configuration): readable,
    deterministic, and never shared by two releases or configurations."""
    raw = "\0".join((repo.lower(), tag, configuration))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    readable = "-".join(p for p in (repo.split("/")[1], tag, configuration) if p)
    stem = re.sub(r"[^a-z0-9]+", "-", readable.lower()).strip("-")[: room - 9].rstrip("-")
    return f"{stem}-{digest}" if stem else digest


def build_event(
    cfg: WatchConfig, project: Project, release: Release, configuration: str
) -> tuple[Event, str]:
    """The event for one release and configuration, and its id."""
    event = Event(copy.deepcopy(cfg.base_event.body), dict(cfg.base_event.headers))
    ident = release_event_id(project.repo, release.tag, configuration, cfg.id_field.room)
    values: list[tuple[str, str]] = [
        *project.fields.items(),
        (cfg.fields.project, project.name or project.repo.split("/")[1]),
        (cfg.fields.version, release.tag),
    ]
    if cfg.fields.configuration is not None and configuration:
        values.append((cfg.fields.configuration, configuration))
    values.append((cfg.id_field.source, ident))
    for source, value in values:
        problem = put(event, source, value)
        if problem:
            raise Refused(f"cannot build the event: {problem}")
    return event, ident


class StateStore:
    """The state ConfigMap: the data last read, its resourceVersion, and writes that
    merge on conflict (the operations are applied again to a fresh read)."""

    def __init__(self, api: kube.ApiClient, namespace: str, name: str) -> None:
        self.api, self.namespace, self.name = api, namespace, name
        self.data: dict[str, str] = {}
        self.version = ""

    def read(self) -> None:
        self.data, self.version = kube.read_config_map(self.api, self.namespace, self.name)

    def save(self, ops: list[state.Op], clock: Clock) -> None:
        """Write ``ops``, merging with what others wrote meanwhile; KubeError when it
        cannot be done."""
        retrying = deadline_retrying(
            clock,
            initial=2.0,
            max_backoff=32.0,
            attempts=6,
            retry_on=kube.Unavailable,
            announce=retrying_in(lambda _, exc: f"state: {exc}"),
        )
        for conflicts in range(MAX_CONFLICTS + 1):
            changes = state.apply(self.data, ops)
            if not changes:
                return
            try:
                self.version = retrying(
                    kube.patch_config_map,
                    self.api,
                    self.namespace,
                    self.name,
                    self.version,
                    changes,
                )
                self.data.update(changes)
                return
            except kube.Conflict:
                if conflicts == MAX_CONFLICTS:
                    raise
                print(f"state: {self.name} changed meanwhile; re-reading and merging")
            self.read()


@dataclass
class Report:
    fired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    checked: int = 0


DESCRIPTION = (
    f"Ask the GitHub REST API ({var.GITHUB_API}, token in"
    f" {var.GITHUB_TOKEN_FILE}) for the latest release of each project in"
    f" {var.RELEASES}, and send one event per release and configuration not yet fired"
    f" (body from {var.EVENT_BODY} and {var.RELEASE_FIELDS}; listener and auth as for"
    f" send; {var.EVENT_ID_FIELD} and {var.EVENT_ID_MAX} required). What was fired is"
    f" kept in ConfigMap {var.STATE_CONFIGMAP} in {var.NAMESPACE}; with {var.RUN_PREFIX}"
    " an event is fired once PipelineRun <prefix><id> exists (--run-wait after each send,"
    " --sends at most, as for send); a failed fire is"
    " retried on the next run. Exit 0 all checked and fired, 1 some API call or fire failed"
    " or the rate limit stopped the run (the rest done, state saved), 2 bad input."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    RetryOptions.add_arguments(parser, WATCH_RELEASES, "retry budget per GitHub call or event")
    RunWait.add_arguments(parser, WATCH_RELEASES)
    add_flag(
        parser,
        WATCH_RELEASES,
        "--max-rate-limit-wait",
        "wait for a rate limit that lifts this soon; a later one stops the run",
        metavar="D",
    )


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Check every project, fire what is due; the exit code."""
    opts = RetryOptions.from_args(args)
    max_wait = duration(args.max_rate_limit_wait, "--max-rate-limit-wait")
    cfg = load_config(env)

    api = kube.api_client()
    store = StateStore(api, cfg.namespace, cfg.config_map)
    try:
        store.read()
    except kube.KubeError as exc:
        if exc.status in (401, 403, 404):
            raise InputError(
                f"state ConfigMap {cfg.namespace}/{cfg.config_map}: {exc}"
                + (" (the rendered manifests create it)" if exc.status == 404 else "")
            ) from exc
        raise InfraError(f"state ConfigMap {cfg.namespace}/{cfg.config_map}: {exc}") from exc

    github = GitHub(cfg.api_url, cfg.token, opts, clock, max_wait=max_wait)
    sender = Sender(cfg.listener, opts, clock)
    wait = RunWait.from_args(args)
    starter = None if cfg.run_check is None else Starter(sender, cfg.run_check, wait, api)
    report = Report()
    stop_asking = ""  # why GitHub is asked no more (rate limit, bad token)
    stop_firing = ""  # why no more events are sent (listener down, state not writable)
    for project in cfg.projects:
        entry = state.load_repo(store.data, project.repo)
        release = state.stored_release(entry)
        pattern = None if project.tag_pattern is None else re.compile(project.tag_pattern)
        query = github.url_for(project.repo, pattern)
        if stop_asking:
            report.failed.append(f"{project.repo}: not checked: {stop_asking}")
        else:
            lookup: Lookup | None = None
            try:
                lookup = github.latest(project.repo, pattern, state.stored_etag(entry, query))
            except GitHubError as exc:
                report.failed.append(f"{project.repo}: {exc}")
                print(f"{project.repo}: {exc}", flush=True)
                if exc.fatal:
                    stop_asking = str(exc)
            if lookup is not None:
                report.checked += 1
                if lookup.not_modified:
                    print(
                        f"{project.repo}: unchanged (304), latest {release.tag if release else '-'}"
                    )
                else:
                    release = lookup.release
                    shown = release.tag if release else f"none ({lookup.note})"
                    print(f"{project.repo}: latest {shown}", flush=True)
                    try:
                        store.save([state.Seen(project.repo, query, lookup.etag, release)], clock)
                    except kube.KubeError as exc:
                        stop_firing = stop_firing or f"state not writable: {exc}"
                        report.failed.append(f"{project.repo}: state not saved: {exc}")
                entry = state.load_repo(store.data, project.repo)
        if release is None:
            continue
        for configuration in state.due(entry, release, project.runs):
            what = f"{project.repo} {release.tag}" + (
                f" [{configuration}]" if configuration else ""
            )
            if stop_firing:
                report.failed.append(f"{what}: not fired: {stop_firing}")
                continue
            try:
                event, ident = build_event(cfg, project, release, configuration)
                if starter is None:
                    done = sender.send(event, label=f"event {ident}")
                else:
                    done = starter.start(event, ident, label=f"event {ident}").delivered
            except Refused as exc:
                report.failed.append(f"{what}: refused by the listener: {exc}")
                print(f"{what}: refused by the listener: {exc}", flush=True)
                continue
            except NotStarted as exc:
                # Not recorded: the next run sends it again (a refusal by the listener's
                # interceptors is then reported again, never lost).
                report.failed.append(f"{what}: no run started: {exc}")
                print(f"{what}: no run started: {exc}", flush=True)
                continue
            except (InfraError, RejectedError) as exc:
                # The listener or the API server is out of reach, or the run may not be
                # looked for (RBAC): every other event would meet the same.
                stop_firing = str(exc)
                report.failed.append(f"{what}: not fired: {exc}")
                print(f"{what}: not fired: {exc}", flush=True)
                continue
            print(f"{what}: fired event {ident} (HTTP {done.status})", flush=True)
            try:
                store.save([state.Fired(project.repo, configuration, release.tag)], clock)
            except kube.KubeError as exc:
                # Sent but not recorded: the next run sends it again with the same id,
                # which the API server refuses as a second run. Send nothing more now.
                stop_firing = f"state not writable: {exc}"
                report.failed.append(f"{what}: fired but not recorded: {exc}")
                continue
            report.fired.append(f"{what} ({ident})")

    print(
        f"watch-releases: {report.checked}/{len(cfg.projects)} projects checked,"
        f" {len(report.fired)} events fired, {len(report.failed)} problems;"
        f" {github.requests} GitHub requests",
        flush=True,
    )
    for line in report.failed:
        print(f"  problem: {line}", flush=True)
    return EXIT_FAILED if report.failed else EXIT_OK
