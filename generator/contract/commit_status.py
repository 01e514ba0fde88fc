"""``BENCHGEN_COMMIT_STATUS``: the observer reports each run to the commit that
caused it, as a GitHub or GitLab commit status (issue 20).

The compiler encodes :class:`CommitStatusSpec` (compact JSON, sorted keys); the
observer decodes it. The run's repository (unless fixed) and commit come from
two annotations the TriggerTemplate sets on every PipelineRun from the params
``benchmark.yaml`` names (the listener has checked them); the token from a
mounted Secret file (``BENCHGEN_COMMIT_STATUS_TOKEN_FILE``).

The state mapping is here, once: a benchgen outcome (the PipelineRun's) ->
each provider's state word, per their documented APIs:

- GitHub ``POST /repos/{owner}/{repo}/statuses/{sha}``: ``error``, ``failure``,
  ``pending``, ``success`` (no "running": a started run is ``pending`` with the
  description "running");
- GitLab ``POST /projects/:id/statuses/:sha``: ``pending``, ``running``,
  ``success``, ``failed``, ``canceled``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.contract.errors import ContractError

GITHUB, GITLAB = "github", "gitlab"
PROVIDERS = (GITHUB, GITLAB)
DEFAULT_API_URL = {GITHUB: "https://api.github.com", GITLAB: "https://gitlab.com/api/v4"}

# The PipelineRun annotations the TriggerTemplate fills from the params.
REPOSITORY_ANNOTATION = "benchgen.dev/commit-repository"
SHA_ANNOTATION = "benchgen.dev/commit-sha"

# benchgen's outcomes of a run, in the order a run goes through them.
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "pending",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
OUTCOMES = (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

# outcome -> (provider state, description)
PROVIDER_STATE: dict[str, dict[str, str]] = {
    GITHUB: {
        PENDING: "pending",
        RUNNING: "pending",
        SUCCEEDED: "success",
        FAILED: "failure",
        CANCELLED: "error",
    },
    GITLAB: {
        PENDING: "pending",
        RUNNING: "running",
        SUCCEEDED: "success",
        FAILED: "failed",
        CANCELLED: "canceled",
    },
}
DESCRIPTION = {
    PENDING: "benchgen: queued",
    RUNNING: "benchgen: running",
    SUCCEEDED: "benchgen: succeeded",
    FAILED: "benchgen: failed",
    CANCELLED: "benchgen: cancelled",
}
# GitHub's description is "a short description"; 140 characters is what its UI shows.
MAX_DESCRIPTION = 140
MAX_CONTEXT = 255  # GitLab's name column; GitHub takes as long
# A git object id: SHA-1 (40 hex digits) or SHA-256 (64).
SHA = re.compile(r"[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?")
# GitHub: owner/name. GitLab: a numeric project id or a (nested) namespace path.
_GITHUB_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")
_GITLAB_REPO = re.compile(r"[0-9]+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+")
# Every report of one state is retried in the background for at most this long.
REPORT_DEADLINE = 600.0

_KEYS = ("provider", "apiUrl", "repository", "context", "statusUrl")


def state_for(provider: str, outcome: str) -> str:
    """The provider's word for ``outcome``."""
    return PROVIDER_STATE[provider][outcome]


def repository_problem(provider: str, value: str) -> str | None:
    """Why ``value`` is not a repository of ``provider``, or None."""
    pattern = _GITHUB_REPO if provider == GITHUB else _GITLAB_REPO
    if not pattern.fullmatch(value) or any(part in (".", "..") for part in value.split("/")):
        if provider == GITHUB:
            return "is not a GitHub repository 'owner/name'"
        return "is neither a GitLab project id nor a project path 'group/project'"
    return None


def sha_problem(value: str) -> str | None:
    if not SHA.fullmatch(value):
        return "is not a commit SHA (40 or 64 hex digits)"
    return None


def url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s):// URL"
    if parts.query or parts.fragment:
        return "must not carry a query or fragment"
    return None


@dataclass(frozen=True)
class CommitStatusSpec:
    provider: str  # GITHUB | GITLAB
    api_url: str  # e.g. https://api.github.com, https://gitlab.example.com/api/v4
    context: str  # GitHub's context, GitLab's name
    repository: str | None = None  # fixed; None: the run's REPOSITORY_ANNOTATION
    status_url: str | None = None  # the status API's public base: target_url <base>/status/<run>

    def target_url(self, run: str) -> str | None:
        if self.status_url is None:
            return None
        return f"{self.status_url.rstrip('/')}/status/{run}"


def encode(spec: CommitStatusSpec) -> str:
    value: dict[str, str] = {
        "provider": spec.provider,
        "apiUrl": spec.api_url,
        "context": spec.context,
    }
    if spec.repository is not None:
        value["repository"] = spec.repository
    if spec.status_url is not None:
        value["statusUrl"] = spec.status_url
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def decode(raw: str, where: str) -> CommitStatusSpec:
    """The spec in ``raw``; ContractError naming every problem (``where``: the env name)."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ContractError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise ContractError(f"{where}: not a JSON object")
    errs = [f"{where}: unknown key {k!r}" for k in sorted(value) if k not in _KEYS]
    texts: dict[str, str | None] = {}
    for key in _KEYS:
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            errs.append(f"{where}.{key}: not a string")
            item = None
        texts[key] = item
    provider = texts["provider"] or ""
    if provider not in PROVIDERS:
        errs.append(f"{where}.provider: {provider!r} is not one of {', '.join(PROVIDERS)}")
    api = texts["apiUrl"] or DEFAULT_API_URL.get(provider, "")
    if api and url_problem(api):
        errs.append(f"{where}.apiUrl: {api!r} {url_problem(api)}")
    context = texts["context"] or ""
    if not context or len(context) > MAX_CONTEXT:
        errs.append(f"{where}.context: 1..{MAX_CONTEXT} characters")
    repository = texts["repository"]
    if repository is not None and provider in PROVIDERS:
        problem = repository_problem(provider, repository)
        if problem:
            errs.append(f"{where}.repository: {repository!r} {problem}")
    status_url = texts["statusUrl"]
    if status_url is not None and url_problem(status_url):
        errs.append(f"{where}.statusUrl: {status_url!r} {url_problem(status_url)}")
    if errs:
        raise ContractError("; ".join(errs))
    return CommitStatusSpec(
        provider=provider,
        api_url=api.rstrip("/"),
        context=context,
        repository=repository,
        status_url=status_url,
    )
