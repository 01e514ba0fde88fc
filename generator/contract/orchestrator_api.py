"""``BENCHGEN_ORCHESTRATOR_API``: which batch API submit and wait speak, as data.

benchgen's own vocabulary stays the sast-ai orchestrator's statuses
(``contract.orchestrator``: PROCESSING and the terminal ones), so ``failOn``,
the results, the summary, the gate and notify read the same words whatever the
API. An :class:`OrchestratorApi` says where the submit goes, where the id is in
its answer, where a status is read, how the API's own status values map onto
those outcomes, which fields (if any) count jobs, and how a retried submit
finds the batch an earlier attempt created (the idempotency look-up).

Two built-in profiles: ``sast-ai`` (``/api/v1/mlops-batch``, the default) and
``gitlab`` (GitLab's Pipelines API: trigger a pipeline, poll it). The env
value is compact JSON with sorted keys: ``{"profile": NAME}`` plus every key
that differs from that profile; an unset or empty variable is ``sast-ai`` as
it always was. Paths are relative to ``{url}{endpoint}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from generator.contract.env import ORCHESTRATOR_API
from generator.contract.errors import ContractError
from generator.contract.orchestrator import PROCESSING, REQUIRED_FIELDS, SUBMITTED_BY_MAX, TERMINAL
from generator.contract.orchestrator import TOKEN_FIELD as SAST_AI_KEY_FIELD

# What an API status may map to: benchgen's outcomes (running, then the terminal ones).
OUTCOMES: tuple[str, ...] = (PROCESSING, *TERMINAL)
# The outcome at least one API value must map to: without it no batch could succeed.
SUCCEEDED = "COMPLETED"
SUBMIT_METHODS = ("POST", "PUT")
# fields: each request field is a dotted path in a JSON body (sast-ai);
# variables: the body is the constants plus ``variables: [{key, value, variable_type}]``
# (GitLab's create-pipeline body), each request field naming a variable.
REQUEST_STYLES = ("fields", "variables")
# The placeholders a list query may hold besides the constants' keys.
LIST_PLACEHOLDERS = ("page", "size", "since")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class OrchestratorApi:
    """Everything submit and wait need to know about one batch API."""

    profile: str
    submit_method: str
    submit_path: str  # "" (the endpoint itself) or "/..."
    id_field: str  # dotted path of the (integer) id in an answer
    status_path: str  # "/..." holding "{id}"
    status_field: str  # dotted path of the status in an answer
    status_map: Mapping[str, str]  # the API's value -> an outcome (OUTCOMES)
    total_field: str | None  # job counts; None: the API reports none
    completed_field: str | None
    failed_field: str | None
    request_style: str  # REQUEST_STYLES
    constants: Mapping[str, str]  # fixed top-level body fields (GitLab: ref)
    required_fields: tuple[str, ...]  # body fields the API refuses blank
    # fields style: the body field that carries the run's marker (appended to its text);
    # variables style: the variable whose value is the run's key.
    key_field: str
    key_max: int | None  # the longest text the key field stores (None: no limit known)
    list_path: str  # "" or "/...": the list of batches
    list_query: str  # "{page}", "{size}", "{since}" and the constants' "{key}"s
    first_page: int  # 0 or 1
    page_size: int
    # Where a listed batch's key is read when the list does not show it ("/...{id}...":
    # GitLab's pipeline variables); None: key_field of the listed item.
    key_lookup_path: str | None
    # How far back {since} looks (seconds; None: no bound): a batch made for this run
    # is younger than the run itself.
    lookback: float | None
    auth_header: str | None  # the header carrying the token (BENCHGEN_ORCHESTRATOR_TOKEN_FILE)

    def outcome(self, value: str | None) -> str | None:
        """The outcome ``value`` maps to; None when the API's value is not mapped."""
        return None if value is None else self.status_map.get(value)

    @property
    def counts(self) -> bool:
        """Whether the API reports job counts at all (else the poller's blind schedule)."""
        return self.total_field is not None


# Where the sast-ai orchestrator is (the config's default url and batchEndpoint).
SAST_AI_URL = "http://sast-ai-orchestrator.{namespace}.svc.cluster.local:80"
SAST_AI_ENDPOINT = "/api/v1/mlops-batch"
SAST_AI = OrchestratorApi(
    profile="sast-ai",
    submit_method="POST",
    submit_path="",
    id_field="batchId",
    status_path="/{id}",
    status_field="status",
    status_map=MappingProxyType({s: s for s in OUTCOMES}),
    total_field="totalJobs",
    completed_field="completedJobs",
    failed_field="failedJobs",
    request_style="fields",
    constants=MappingProxyType({}),
    required_fields=REQUIRED_FIELDS,
    key_field=SAST_AI_KEY_FIELD,
    key_max=SUBMITTED_BY_MAX,
    list_path="",
    list_query="page={page}&size={size}",
    first_page=0,
    # One page is one query, so a list that fits in it is one consistent answer
    # whatever its order; 1,000 DTOs are about 0.5 MB.
    page_size=1000,
    key_lookup_path=None,
    lookback=None,
    auth_header=None,
)

# GitLab's Pipelines API (docs.gitlab.com/api/pipelines): the endpoint is the
# project, /api/v4/projects/<id or url-encoded path>.
GITLAB_RUN_KEY = "BENCHGEN_RUN_KEY"
GITLAB = OrchestratorApi(
    profile="gitlab",
    submit_method="POST",
    submit_path="/pipeline",
    id_field="id",
    status_path="/pipelines/{id}",
    status_field="status",
    status_map=MappingProxyType(
        {
            # Not ended yet: manual (a job waits to be played) and scheduled (a delayed
            # job) can still run; canceling ends as canceled.
            **dict.fromkeys(
                (
                    "created",
                    "waiting_for_resource",
                    "waiting_for_callback",
                    "preparing",
                    "pending",
                    "running",
                    "manual",
                    "scheduled",
                    "canceling",
                ),
                PROCESSING,
            ),
            "success": "COMPLETED",
            "failed": "FAILED",
            "canceled": "CANCELLED",
            # Every job skipped: the pipeline ran nothing.
            "skipped": "COMPLETED_EMPTY",
        }
    ),
    total_field=None,
    completed_field=None,
    failed_field=None,
    request_style="variables",
    constants=MappingProxyType({"ref": "main"}),
    required_fields=(),
    key_field=GITLAB_RUN_KEY,
    key_max=None,
    list_path="/pipelines",
    # Newest first, only pipelines created through the API for this ref and touched
    # since the run could have begun; GitLab's pages start at 1 and hold at most 100.
    list_query=(
        "ref={ref}&source=api&updated_after={since}&order_by=id&sort=desc"
        "&per_page={size}&page={page}"
    ),
    first_page=1,
    page_size=100,
    key_lookup_path="/pipelines/{id}/variables",
    lookback=7 * 24 * 3600.0,
    auth_header="PRIVATE-TOKEN",
)

PROFILES: dict[str, OrchestratorApi] = {api.profile: api for api in (SAST_AI, GITLAB)}
DEFAULT_PROFILE = SAST_AI.profile

# JSON key (camelCase, as in benchmark.yaml's spec.orchestrator.api) -> attribute.
KEY_ATTRIBUTES: dict[str, str] = {
    re.sub(r"_([a-z])", lambda m: m.group(1).upper(), f.name): f.name
    for f in fields(OrchestratorApi)
    if f.name != "profile"
}
KEYS: tuple[str, ...] = tuple(sorted(KEY_ATTRIBUTES))
_OPTIONAL = {"total_field", "completed_field", "failed_field", "key_max", "key_lookup_path",
             "lookback", "auth_header"}  # fmt: skip


def _as_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(sorted(value.items()))
    if isinstance(value, tuple):
        return list(value)
    return value


def encode(api: OrchestratorApi) -> str:
    """``{"profile": ...}`` plus the keys where ``api`` differs from its profile."""
    base = PROFILES[api.profile]
    out: dict[str, Any] = {"profile": api.profile}
    for key, attr in KEY_ATTRIBUTES.items():
        if getattr(api, attr) != getattr(base, attr):
            out[key] = _as_json(getattr(api, attr))
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _typed(attr: str, value: Any) -> tuple[Any, str | None]:
    """``value`` as ``attr``'s type, or a problem."""
    if value is None or (value == "" and attr in _OPTIONAL):
        if attr in _OPTIONAL:
            return None, None
        return None, "must be set"
    if attr in ("status_map", "constants"):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return None, "must be an object of strings"
        return dict(value), None
    if attr == "required_fields":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of strings"
        return tuple(value), None
    if attr in ("first_page", "page_size", "key_max"):
        if not isinstance(value, int) or isinstance(value, bool):
            return None, "must be a whole number"
        return value, None
    if attr == "lookback":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None, "must be a number of seconds"
        return float(value), None
    if not isinstance(value, str):
        return None, "must be a string"
    return value, None


def _path_problem(value: str, *, empty: bool, holds: str | None = None) -> str | None:
    if value == "" and empty:
        return None
    if not value.startswith("/"):
        return f"{value!r} must start with '/'" + (" (or be empty)" if empty else "")
    if any(c in value for c in "?#") or any(c.isspace() for c in value):
        return f"{value!r} must be a plain path (no query, no spaces)"
    names = _PLACEHOLDER.findall(value)
    if holds is not None and holds not in names:
        return f"{value!r} must hold '{{{holds}}}' (where the batch id goes)"
    if any(name != "id" for name in names):
        return f"{value!r}: '{{id}}' is the only placeholder a path may hold"
    return None


def problems(api: OrchestratorApi) -> list[tuple[str, str]]:
    """Every problem of ``api``, each with its key (camelCase, as written in config)."""
    out: list[tuple[str, str]] = []

    def add(attr: str, message: str | None) -> None:
        if message:
            key = next(k for k, a in KEY_ATTRIBUTES.items() if a == attr)
            out.append((key, message))

    if api.submit_method not in SUBMIT_METHODS:
        add("submit_method", f"{api.submit_method!r} is not one of {', '.join(SUBMIT_METHODS)}")
    add("submit_path", _path_problem(api.submit_path, empty=True))
    add("status_path", _path_problem(api.status_path, empty=False, holds="id"))
    add("list_path", _path_problem(api.list_path, empty=True))
    if api.key_lookup_path is not None:
        add("key_lookup_path", _path_problem(api.key_lookup_path, empty=False, holds="id"))
    for attr in ("id_field", "status_field", "total_field", "completed_field", "failed_field"):
        value = getattr(api, attr)
        if value is not None and not _DOTTED.fullmatch(value):
            add(attr, f"{value!r} is not a dotted field path (like status or data.status)")
    counts = [api.total_field, api.completed_field, api.failed_field]
    if api.total_field is None and any(c is not None for c in counts):
        add("total_field", "completed and failed counts mean nothing without the total")
    bad = sorted({v for v in api.status_map.values() if v not in OUTCOMES})
    if bad:
        add(
            "status_map",
            f"{', '.join(map(repr, bad))} is not an outcome; map each API value to one of"
            f" {', '.join(OUTCOMES)}",
        )
    elif SUCCEEDED not in api.status_map.values():
        add("status_map", f"no API value maps to {SUCCEEDED}: no batch could ever succeed")
    if any(not k for k in api.status_map):
        add("status_map", "an API value must not be empty")
    if api.request_style not in REQUEST_STYLES:
        add("request_style", f"{api.request_style!r} is not one of {', '.join(REQUEST_STYLES)}")
    if not _DOTTED.fullmatch(api.key_field) or "." in api.key_field:
        add("key_field", f"{api.key_field!r} is not a top-level field name")
    if api.first_page not in (0, 1):
        add("first_page", "must be 0 or 1")
    if not 1 <= api.page_size <= 10000:
        add("page_size", "must be in 1..10000")
    if api.key_max is not None and api.key_max < 1:
        add("key_max", "must be positive")
    if api.lookback is not None and api.lookback <= 0:
        add("lookback", "must be positive")
    known = {*LIST_PLACEHOLDERS, *api.constants}
    names = _PLACEHOLDER.findall(api.list_query)
    unknown = [n for n in names if n not in known]
    if unknown:
        add(
            "list_query",
            f"'{{{unknown[0]}}}' is neither {', '.join(LIST_PLACEHOLDERS)} nor a constant",
        )
    elif "page" not in names or "size" not in names:
        add("list_query", "must hold '{page}' and '{size}' so the whole list can be read")
    if api.list_query.startswith("?") or any(c in api.list_query for c in "# "):
        add("list_query", "is the query without '?', like page={page}&size={size}")
    if api.auth_header is not None and not _HEADER.fullmatch(api.auth_header):
        add("auth_header", f"{api.auth_header!r} is not a header name")
    return out


def build(
    profile: str, overrides: Mapping[str, Any]
) -> tuple[OrchestratorApi, list[tuple[str, str]]]:
    """A profile with ``overrides`` (camelCase keys) applied; the api and every problem."""
    found: list[tuple[str, str]] = []
    base = PROFILES.get(profile)
    if base is None:
        return SAST_AI, [("profile", f"{profile!r} is not one of {', '.join(PROFILES)}")]
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        attr = KEY_ATTRIBUTES.get(key)
        if attr is None:
            found.append((key, f"unknown key; known: {', '.join(KEYS)}"))
            continue
        typed, problem = _typed(attr, value)
        if problem:
            found.append((key, problem))
        else:
            changes[attr] = typed
    api = replace(base, **changes)
    return api, found or problems(api)


def decode(text: str | None) -> OrchestratorApi:
    """The API; sast-ai when unset; a ContractError naming the first problem."""
    if not text or not text.strip():
        return SAST_AI
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ContractError(f"{ORCHESTRATOR_API} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContractError(f"{ORCHESTRATOR_API} must be a JSON object")
    profile = data.pop("profile", DEFAULT_PROFILE)
    if not isinstance(profile, str):
        raise ContractError(f"{ORCHESTRATOR_API} profile: must be a string")
    api, found = build(profile, data)
    if found:
        key, message = found[0]
        raise ContractError(f"{ORCHESTRATOR_API} {key}: {message}")
    return api
