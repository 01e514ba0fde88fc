"""``BENCHGEN_RELEASES`` and ``BENCHGEN_RELEASE_FIELDS``: which GitHub projects
``watch-releases`` follows, and where a release goes in the event it sends.

``BENCHGEN_RELEASES`` is a JSON list of ``{"repo": "owner/name", "name"?,
"configurations": [...], "tagPattern"?, "fields"?}``; ``BENCHGEN_RELEASE_FIELDS``
is ``{"project", "version", "configuration"?}``, each a source such as
``body.version`` or ``header.X-Version``. Both compact JSON with sorted keys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from generator.contract.env import RELEASE_FIELDS, RELEASES
from generator.contract.signing import header_value_problem, source_problem

_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")
_PROJECT_KEYS = ("repo", "name", "configurations", "tagPattern", "fields")
_FIELD_KEYS = ("project", "version", "configuration")


@dataclass(frozen=True)
class Project:
    repo: str  # owner/name
    # What the event calls it: the repo's name unless set (decode always sets it).
    name: str | None = None
    configurations: tuple[str, ...] = ()  # empty: the project has none
    tag_pattern: str | None = None  # a release counts only if its tag matches
    fields: dict[str, str] = field(default_factory=dict)  # source -> fixed value

    @property
    def runs(self) -> tuple[str, ...]:
        """One event per configuration; one, with no configuration, if there are none."""
        return self.configurations or ("",)


@dataclass(frozen=True)
class Fields:
    project: str
    version: str
    configuration: str | None = None


def _compact(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def encode_projects(projects: list[Project]) -> str:
    out = []
    for p in projects:
        entry: dict[str, object] = {"repo": p.repo, "configurations": list(p.configurations)}
        if p.name is not None:
            entry["name"] = p.name
        if p.tag_pattern is not None:
            entry["tagPattern"] = p.tag_pattern
        if p.fields:
            entry["fields"] = dict(p.fields)
        out.append(entry)
    return _compact(out)


def encode_fields(fields: Fields) -> str:
    out = {"project": fields.project, "version": fields.version}
    if fields.configuration is not None:
        out["configuration"] = fields.configuration
    return _compact(out)


def _load(text: str | None, name: str, problems: list[str]) -> object:
    if text is None or not text.strip():
        problems.append(f"{name} is required")
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        problems.append(f"{name}: not JSON ({exc})")
        return None


def decode_projects(text: str | None, problems: list[str]) -> list[Project]:
    """The projects; every problem is appended to ``problems``."""
    value = _load(text, RELEASES, problems)
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"{RELEASES}: must be a non-empty JSON list")
        return []
    projects: list[Project] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"{RELEASES}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        for extra in sorted(set(item) - set(_PROJECT_KEYS)):
            known = ", ".join(sorted(_PROJECT_KEYS))
            problems.append(f"{where}.{extra}: unknown key; known: {known}")
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
        pattern = item.get("tagPattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
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
        projects.append(
            Project(
                repo,
                str(name),
                tuple(configs),
                None if pattern is None else str(pattern),
                dict(static),
            )
        )
    return projects


def decode_fields(text: str | None, problems: list[str]) -> Fields:
    """Where project, version and configuration go; problems are appended."""
    value = _load(text, RELEASE_FIELDS, problems)
    result = Fields("", "", None)
    if value is None:
        return result
    if not isinstance(value, dict):
        problems.append(f"{RELEASE_FIELDS}: must be a JSON object")
        return result
    for extra in sorted(set(value) - set(_FIELD_KEYS)):
        problems.append(f"{RELEASE_FIELDS}.{extra}: unknown key")
    found: dict[str, str | None] = {}
    for key in _FIELD_KEYS:
        source = value.get(key)
        if source is None and key == "configuration":
            found[key] = None
            continue
        problem = source_problem(source) if isinstance(source, str) else "required"
        if problem:
            problems.append(f"{RELEASE_FIELDS}.{key}: {problem}")
        found[key] = source if isinstance(source, str) else ""
    return Fields(found["project"] or "", found["version"] or "", found["configuration"])
