"""``benchgen-poller watch-releases``: one event per new GitHub release and configuration.

A CronJob runs it. For each project it asks GitHub for the latest (matching)
release (releases_github.py), compares it with what the state ConfigMap says
was already fired (releases_state.py), and sends what is due through
``send``'s code. Only a 2xx from the listener is recorded, at once, with a
patch carrying the ConfigMap's resourceVersion (a ``409`` re-reads and
merges), so a failed fire is retried on the next run and a release seen twice
fires nothing. The event id ``<repo>-<tag>-<configuration>-<hash>`` names the
PipelineRun: an event that was accepted but could not be recorded is sent
again next time with the same id, and the API server refuses the second run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.runtime import releases_state as state
from generator.runtime.clock import Clock, SystemClock
from generator.runtime.errors import EXIT_FAILED, EXIT_OK, InfraError, InputError
from generator.runtime.releases_github import GitHub, GitHubError, Lookup, Release
from generator.runtime.send import (
    Event,
    IdField,
    ListenerConfig,
    RefusedError,
    Sender,
    SendOptions,
    load_event,
    load_id_field,
    load_listener,
    put,
    source_problem,
)
from generator.webhook_auth import header_value_problem

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

DEFAULT_API = "https://api.github.com"
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
# How often a conflicting state write is re-read and merged before giving up.
MAX_CONFLICTS = 10


@dataclass(frozen=True)
class Project:
    """One entry of ``BENCHGEN_RELEASES``."""

    repo: str
    name: str
    configurations: list[str]  # [""] when the project has none
    pattern: re.Pattern[str] | None
    fields: dict[str, str]


@dataclass(frozen=True)
class ReleaseFields:
    """``BENCHGEN_RELEASE_FIELDS``: where project, version and configuration go."""

    project: str
    version: str
    configuration: str | None


@dataclass(frozen=True)
class WatchConfig:
    projects: list[Project]
    fields: ReleaseFields
    base_event: Event
    listener: ListenerConfig
    id_field: IdField
    api_url: str
    token: str | None = field(repr=False)
    namespace: str
    config_map: str


def _load_json(env: Mapping[str, str], name: str, problems: list[str]) -> Any:
    text = env.get(name, "")
    if not text.strip():
        problems.append(f"{name} is required")
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        problems.append(f"{name}: not JSON ({exc})")
        return None


def parse_projects(value: Any, problems: list[str]) -> list[Project]:
    """The projects of ``BENCHGEN_RELEASES`` (a JSON list); problems are appended."""
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        problems.append("BENCHGEN_RELEASES: must be a non-empty JSON list")
        return []
    projects: list[Project] = []
    seen: set[str] = set()
    known = {"repo", "name", "configurations", "tagPattern", "fields"}
    for i, item in enumerate(value):
        where = f"BENCHGEN_RELEASES[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        for extra in sorted(set(item) - known):
            problems.append(f"{where}.{extra}: unknown key; known: {', '.join(sorted(known))}")
        repo = item.get("repo")
        if not isinstance(repo, str) or not _REPO.fullmatch(repo):
            problems.append(f"{where}.repo: {repo!r} is not owner/name")
            continue
        if repo.lower() in seen:
            problems.append(f"{where}.repo: {repo} is listed twice")
        seen.add(repo.lower())
        name = item.get("name", repo.split("/")[1])
        if not isinstance(name, str) or not name or header_value_problem(name):
            problems.append(f"{where}.name: must be a non-empty one-line string")
        configs = item.get("configurations") or []
        if not isinstance(configs, list) or not all(isinstance(c, str) and c for c in configs):
            problems.append(f"{where}.configurations: must be a list of non-empty strings")
            configs = []
        if len(set(configs)) != len(configs):
            problems.append(f"{where}.configurations: a configuration is listed twice")
        pattern = None
        if "tagPattern" in item:
            try:
                pattern = re.compile(str(item["tagPattern"]))
            except re.error as exc:
                problems.append(f"{where}.tagPattern: {exc}")
        static = item.get("fields") or {}
        if not isinstance(static, dict) or not all(isinstance(v, str) for v in static.values()):
            problems.append(f"{where}.fields: must map body.<path>/header.<Name> to strings")
            static = {}
        for source in static:
            problem = source_problem(source)
            if problem:
                problems.append(f"{where}.fields: {problem}")
        projects.append(Project(repo, str(name), list(configs) or [""], pattern, dict(static)))
    return projects


def parse_fields(value: Any, problems: list[str]) -> ReleaseFields:
    """``BENCHGEN_RELEASE_FIELDS``: ``{"project", "version", "configuration"?}`` as sources."""
    result = ReleaseFields("", "", None)
    if value is None:
        return result
    if not isinstance(value, dict):
        problems.append("BENCHGEN_RELEASE_FIELDS: must be a JSON object")
        return result
    for extra in sorted(set(value) - {"project", "version", "configuration"}):
        problems.append(f"BENCHGEN_RELEASE_FIELDS.{extra}: unknown key")
    found: dict[str, str | None] = {}
    for key in ("project", "version", "configuration"):
        source = value.get(key)
        if source is None and key == "configuration":
            found[key] = None
            continue
        problem = source_problem(source) if isinstance(source, str) else "required"
        if problem:
            problems.append(f"BENCHGEN_RELEASE_FIELDS.{key}: {problem}")
        found[key] = source if isinstance(source, str) else ""
    return ReleaseFields(found["project"] or "", found["version"] or "", found["configuration"])


def load_config(env: Mapping[str, str]) -> WatchConfig:
    """Everything from the env, or one InputError listing every problem."""
    problems: list[str] = []
    projects = parse_projects(_load_json(env, "BENCHGEN_RELEASES", problems), problems)
    fields = parse_fields(_load_json(env, "BENCHGEN_RELEASE_FIELDS", problems), problems)
    if fields.configuration is None and any(p.configurations != [""] for p in projects):
        problems.append(
            "BENCHGEN_RELEASE_FIELDS.configuration is required when a project has configurations"
        )
    base = load_event(env, problems, required=False)
    listener = load_listener(env, problems)
    id_field = load_id_field(env, problems)
    if id_field is None:
        problems.append(
            "BENCHGEN_EVENT_ID_FIELD is required: the event id is what keeps a re-fired"
            " release from starting a second run"
        )
        id_field = IdField("", 0)
    api_url = env.get("BENCHGEN_GITHUB_API", "").strip() or DEFAULT_API
    if not api_url.startswith(("http://", "https://")) or any(c.isspace() for c in api_url):
        problems.append(f"BENCHGEN_GITHUB_API: {api_url!r} is not an http(s) URL")
    token = None
    token_file = env.get("BENCHGEN_GITHUB_TOKEN_FILE", "").strip()
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"BENCHGEN_GITHUB_TOKEN_FILE {token_file}: {exc}")
        else:
            if not token or not token.isprintable() or " " in token:
                problems.append(
                    f"BENCHGEN_GITHUB_TOKEN_FILE {token_file}: must hold one token on one line"
                )
    namespace = env.get("BENCHGEN_NAMESPACE", "").strip()
    config_map = env.get("BENCHGEN_STATE_CONFIGMAP", "").strip()
    for name, value in (
        ("BENCHGEN_NAMESPACE", namespace),
        ("BENCHGEN_STATE_CONFIGMAP", config_map),
    ):
        if not value:
            problems.append(f"{name} is required")
    if problems:
        raise InputError("bad input, nothing checked or sent:\n  " + "\n  ".join(problems))
    return WatchConfig(
        projects, fields, base, listener, id_field, api_url, token, namespace, config_map
    )


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
        (cfg.fields.project, project.name),
        (cfg.fields.version, release.tag),
    ]
    if cfg.fields.configuration is not None and configuration:
        values.append((cfg.fields.configuration, configuration))
    values.append((cfg.id_field.source, ident))
    for source, value in values:
        problem = put(event, source, value)
        if problem:
            raise RefusedError(f"cannot build the event: {problem}")
    return event, ident


class StateStore:
    """The state ConfigMap: the data last read, its resourceVersion, and writes that
    merge on conflict (the operations are applied again to a fresh read)."""

    def __init__(self, api: ApiClient, namespace: str, name: str) -> None:
        self.api, self.namespace, self.name = api, namespace, name
        self.data: dict[str, str] = {}
        self.version = ""

    def read(self) -> None:
        from generator.runtime.kube import read_state_config_map

        self.data, self.version = read_state_config_map(self.api, self.namespace, self.name)

    def save(self, ops: list[state.Op], clock: Clock) -> None:
        """Write ``ops``; KubeError when it cannot be done."""
        from generator.runtime.kube import KubeError, patch_state_config_map

        conflicts = failures = 0
        while True:
            changes = state.apply(self.data, ops)
            if not changes:
                return
            try:
                self.version = patch_state_config_map(
                    self.api, self.namespace, self.name, self.version, changes
                )
                self.data.update(changes)
                return
            except KubeError as exc:
                if exc.status == 409 and conflicts < MAX_CONFLICTS:
                    conflicts += 1
                    print(f"state: {self.name} changed meanwhile; re-reading and merging")
                elif (exc.status == 0 or exc.status == 429 or exc.status >= 500) and failures < 5:
                    failures += 1
                    print(f"state: {exc}; retrying in {2**failures}s", flush=True)
                    clock.sleep(2**failures)
                else:
                    raise
            self.read()


@dataclass
class Report:
    fired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    checked: int = 0


def run_watch_releases(
    opts: SendOptions,
    max_rate_limit_wait: float,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> int:
    """Check every project, fire what is due; the exit code."""
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    cfg = load_config(env)

    from generator.runtime.kube import KubeError, api_client

    try:
        store = StateStore(api_client(), cfg.namespace, cfg.config_map)
        store.read()
    except KubeError as exc:
        if exc.status in (401, 403, 404):
            raise InputError(
                f"state ConfigMap {cfg.namespace}/{cfg.config_map}: {exc}"
                + (" (the rendered manifests create it)" if exc.status == 404 else "")
            ) from exc
        raise InfraError(f"state ConfigMap {cfg.namespace}/{cfg.config_map}: {exc}") from exc
    except Exception as exc:  # the kubeconfig loaders raise their own types
        if type(exc).__module__.startswith("kubernetes"):
            raise InputError(f"no Kubernetes credentials: {exc}") from exc
        raise

    github = GitHub(cfg.api_url, cfg.token, opts, clock, max_wait=max_rate_limit_wait)
    sender = Sender(cfg.listener, opts, clock)
    report = Report()
    stop_asking = ""  # why GitHub is asked no more (rate limit, bad token)
    stop_firing = ""  # why no more events are sent (listener down, state not writable)
    for project in cfg.projects:
        entry = state.load_repo(store.data, project.repo)
        release = state.stored_release(entry)
        query = github.url_for(project.repo, project.pattern)
        if stop_asking:
            report.failed.append(f"{project.repo}: not checked: {stop_asking}")
        else:
            lookup: Lookup | None = None
            try:
                lookup = github.latest(
                    project.repo, project.pattern, state.stored_etag(entry, query)
                )
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
                    except KubeError as exc:
                        stop_firing = stop_firing or f"state not writable: {exc}"
                        report.failed.append(f"{project.repo}: state not saved: {exc}")
                entry = state.load_repo(store.data, project.repo)
        if release is None:
            continue
        for configuration in state.due(entry, release, project.configurations):
            what = f"{project.repo} {release.tag}" + (
                f" [{configuration}]" if configuration else ""
            )
            if stop_firing:
                report.failed.append(f"{what}: not fired: {stop_firing}")
                continue
            try:
                event, ident = build_event(cfg, project, release, configuration)
                done = sender.send(event, label=f"event {ident}")
            except RefusedError as exc:
                report.failed.append(f"{what}: refused by the listener: {exc}")
                print(f"{what}: refused by the listener: {exc}", flush=True)
                continue
            except InfraError as exc:
                stop_firing = str(exc)
                report.failed.append(f"{what}: not fired: {exc}")
                print(f"{what}: not fired: {exc}", flush=True)
                continue
            print(f"{what}: fired event {ident} (HTTP {done.status})", flush=True)
            try:
                store.save([state.Fired(project.repo, configuration, release.tag)], clock)
            except KubeError as exc:
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
