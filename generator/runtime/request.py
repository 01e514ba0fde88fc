"""Building the orchestrator's JSON body from ``BENCHGEN_REQUEST_SPEC`` and the params.

The body is a dict serialised by ``json``; no value is ever pasted into a
string template, so quotes, ``$(...)`` and backticks arrive verbatim.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.runtime.errors import InputError

# The orchestrator rejects a blank value in these (MlOpsBatchSubmissionDto).
ORCHESTRATOR_REQUIRED = (
    "testingDataNvrsVersion",
    "promptsVersion",
    "knownNonIssuesVersion",
    "sastAiImage",
)
# The one free-text field the orchestrator stores and returns: it carries the
# idempotency key so a retried submit can find the batch it already created.
TOKEN_FIELD = "submittedBy"  # noqa: S105 - a field name, not a secret
# Its column holds 255 characters (MlOpsBatch.submittedBy, JPA's default
# length): the value and the marker must fit, or the orchestrator refuses the
# batch, or a cut marker lets the look-up miss it. The compiler's twin is
# generator/config/checks.py SUBMITTED_BY_MAX.
SUBMITTED_BY_MAX = 255

_TYPES = ("string", "boolean", "integer", "image")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PATH_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Field:
    """One ``fields[]`` entry: which param goes where in the body, and how."""

    param: str
    path: tuple[str, ...]
    type: str
    required: bool
    repository: str | None


def param_env(param: str) -> str:
    """``dvc-data-version`` -> ``BENCHGEN_PARAM_DVC_DATA_VERSION``."""
    return "BENCHGEN_PARAM_" + param.upper().replace("-", "_")


# The listener escapes '%' as %25 and '$' as %24 in every param value
# (compile/cel.py, PARAM_ESCAPES), so that Triggers', Tekton's and the kubelet's
# `$(...)`/`$$` expansions find nothing to expand on the way to the step's env.
_ESCAPE = re.compile("%2[45]")
_UNESCAPED = {"%24": "$", "%25": "%"}


def unescape(value: str) -> str:
    """A param value as the event carried it (one left-to-right pass)."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group()], value)


def read_param(env: Mapping[str, str], param: str) -> str | None:
    """The value of ``param`` from BENCHGEN_PARAM_<NAME>, unescaped; None if unset."""
    raw = env.get(param_env(param))
    return None if raw is None else unescape(raw)


def parse_spec(text: str | None) -> list[Field]:
    """The fields of ``BENCHGEN_REQUEST_SPEC``; an InputError for anything malformed."""
    if not text or not text.strip():
        raise InputError("BENCHGEN_REQUEST_SPEC is empty")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"BENCHGEN_REQUEST_SPEC is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise InputError('BENCHGEN_REQUEST_SPEC must be an object with a "fields" list')
    fields: list[Field] = []
    seen: dict[tuple[str, ...], str] = {}
    for i, item in enumerate(data["fields"]):
        where = f"BENCHGEN_REQUEST_SPEC fields[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: must be an object")
        param, path, ftype = item.get("param"), item.get("path"), item.get("type", "string")
        required, repository = item.get("required", False), item.get("repository")
        if not isinstance(param, str) or not param:
            raise InputError(f"{where}.param: must be a non-empty string")
        if not isinstance(path, str) or not all(_PATH_PART.fullmatch(p) for p in path.split(".")):
            raise InputError(f"{where}.path: {path!r} is not a dotted field path")
        if ftype not in _TYPES:
            raise InputError(f"{where}.type: {ftype!r} is not one of {', '.join(_TYPES)}")
        if not isinstance(required, bool):
            raise InputError(f"{where}.required: must be true or false")
        if ftype == "image" and (not isinstance(repository, str) or not repository):
            raise InputError(f"{where}.repository: an image field needs a repository")
        parts = tuple(path.split("."))
        for other, other_param in seen.items():
            shorter = min(len(other), len(parts))
            if other[:shorter] == parts[:shorter]:
                raise InputError(
                    f"{where}.path: {path!r} collides with param {other_param!r}"
                    f" ({'.'.join(other)!r})"
                )
        seen[parts] = param
        fields.append(
            Field(param, parts, ftype, required, repository if ftype == "image" else None)
        )
    return fields


def _convert(field: Field, value: str) -> Any:
    name = f"param {field.param!r} ({param_env(field.param)})"
    if field.type == "string":
        return value
    if field.type == "boolean":
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise InputError(f"{name}: {value!r} is not true or false")
        return lowered == "true"
    if field.type == "integer":
        if not _INTEGER.fullmatch(value.strip()):
            raise InputError(f"{name}: {value!r} is not a whole number")
        return int(value.strip())
    # image: a tag or a digest, appended to the configured repository.
    assert field.repository is not None
    if _DIGEST.fullmatch(value):
        return f"{field.repository}@{value}"
    if _TAG.fullmatch(value):
        return f"{field.repository}:{value}"
    raise InputError(
        f"{name}: {value!r} is neither an image tag (like v2.1.0) nor a digest (sha256:<64 hex>)"
    )


def build_body(fields: list[Field], env: Mapping[str, str], token: str) -> dict[str, Any]:
    """The JSON body for POST ``{endpoint}``; every problem with the params in one InputError."""
    body: dict[str, Any] = {}
    problems: list[str] = []
    for field in fields:
        value = read_param(env, field.param) or ""
        if not value.strip():
            if field.required:
                problems.append(
                    f"param {field.param!r} ({param_env(field.param)}) is required but empty"
                )
            continue
        try:
            converted = _convert(field, value)
        except InputError as exc:
            problems.append(str(exc))
            continue
        node = body
        for part in field.path[:-1]:
            node = node.setdefault(part, {})
        node[field.path[-1]] = converted
    if not problems:
        by_path = {".".join(f.path): f.param for f in fields}
        for name in ORCHESTRATOR_REQUIRED:
            if name not in body:
                if name not in by_path:
                    problems.append(
                        f"the orchestrator requires {name!r} but BENCHGEN_REQUEST_SPEC maps"
                        " no param to it"
                    )
                else:
                    # Mapped but left out: an optional param that was empty.
                    param = by_path[name]
                    problems.append(
                        f"param {param!r} ({param_env(param)}) is empty but the orchestrator"
                        f" requires {name!r}"
                    )
    if problems:
        raise InputError("; ".join(problems))
    if TOKEN_FIELD in body and not isinstance(body[TOKEN_FIELD], str):
        raise InputError(f"{TOKEN_FIELD!r} must be a string field")
    given: str | None = body.get(TOKEN_FIELD)
    body[TOKEN_FIELD] = tag_submitted_by(given, token)
    if len(body[TOKEN_FIELD]) > SUBMITTED_BY_MAX:
        room = SUBMITTED_BY_MAX - len(tag_submitted_by("x", token)) + 1
        param = next(f.param for f in fields if f.path == (TOKEN_FIELD,))
        raise InputError(
            f"param {param!r} ({param_env(param)}) is {len(given or '')} characters long;"
            f" {TOKEN_FIELD} carries it plus {' ' + token_marker(token)!r} (the run's key)"
            f" and the orchestrator stores at most {SUBMITTED_BY_MAX}, so the param may hold"
            f" at most {room} characters (set its maxLength in benchmark.yaml so the"
            " listener refuses longer values)"
        )
    return body


def token_marker(token: str) -> str:
    """The text that identifies this run's batch in ``submittedBy``."""
    return f"(run {token})"


def tag_submitted_by(value: str | None, token: str) -> str:
    """``submittedBy`` with the run's idempotency key appended."""
    return f"{value} {token_marker(token)}" if value else token_marker(token)
