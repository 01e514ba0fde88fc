"""Building the orchestrator's JSON body from ``BENCHGEN_REQUEST_SPEC`` (decoded by
``contract.request``) and the params, in the shape the API takes
(``OrchestratorApi.request_style``): fields of a JSON body (sast-ai), or the
constants plus a ``variables`` list (GitLab's create-pipeline body).

The body is a dict serialised by ``json``; no value is ever pasted into a
string template, so quotes, ``$(...)`` and backticks arrive verbatim.
"""

import re
from collections.abc import Mapping
from typing import Any

from generator.contract import env as var
from generator.contract.env import param_env
from generator.contract.orchestrator import tag_submitted_by, token_marker
from generator.contract.orchestrator_api import SAST_AI, OrchestratorApi
from generator.contract.params import read_param
from generator.contract.request import Field
from generator.runtime.errors import InputError

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_INTEGER = re.compile(r"[+-]?[0-9]+")


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


def build_body(
    fields: list[Field], env: Mapping[str, str], token: str, api: OrchestratorApi = SAST_AI
) -> dict[str, Any]:
    """The JSON body for the submit; every problem with the params in one InputError."""
    if api.request_style == "variables":
        return _variables_body(fields, env, token, api)
    key_field = api.key_field
    body: dict[str, Any] = dict(api.constants)
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
        for name in api.required_fields:
            if name not in body:
                if name not in by_path:
                    problems.append(
                        f"the orchestrator requires {name!r} but {var.REQUEST_SPEC} maps"
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
    if key_field in body and not isinstance(body[key_field], str):
        raise InputError(f"{key_field!r} must be a string field")
    given: str | None = body.get(key_field)
    body[key_field] = tag_submitted_by(given, token)
    key_max = api.key_max
    if key_max is not None and len(body[key_field]) > key_max:
        room = key_max - len(tag_submitted_by("x", token)) + 1
        param = next(f.param for f in fields if f.path == (key_field,))
        raise InputError(
            f"param {param!r} ({param_env(param)}) is {len(given or '')} characters long;"
            f" {key_field} carries it plus {' ' + token_marker(token)!r} (the run's key)"
            f" and the orchestrator stores at most {key_max}, so the param may hold"
            f" at most {room} characters (set its maxLength in benchmark.yaml so the"
            " listener refuses longer values)"
        )
    return body


def _variables_body(
    fields: list[Field], env: Mapping[str, str], token: str, api: OrchestratorApi
) -> dict[str, Any]:
    """``{<constants>, "variables": [{"key", "value", "variable_type": "env_var"}]}``: every
    value a string (GitLab's variables are), the run's key in ``api.key_field``."""
    variables: list[dict[str, str]] = []
    problems: list[str] = []
    for field in fields:
        key = ".".join(field.path)
        if key == api.key_field:
            problems.append(
                f"param {field.param!r} is mapped to {key}, which carries the run's key"
            )
            continue
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
        text = ("true" if converted else "false") if isinstance(converted, bool) else str(converted)
        variables.append({"key": key, "value": text, "variable_type": "env_var"})
    if problems:
        raise InputError("; ".join(problems))
    variables.append({"key": api.key_field, "value": token, "variable_type": "env_var"})
    return {**api.constants, "variables": variables}
