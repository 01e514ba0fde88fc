"""``BENCHGEN_REQUEST_SPEC``: which param goes into which field of the
orchestrator's JSON body, and as what type.

Compact JSON with sorted keys: ``{"fields": [{"param", "path", "type",
"required", "repository"?}]}``; ``path`` is dotted (``jobSettings.x``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from generator.contract.env import REQUEST_SPEC
from generator.contract.errors import ContractError

TYPES = ("string", "boolean", "integer", "image")
_PATH_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Field:
    """One ``fields[]`` entry: which param goes where in the body, and how."""

    param: str
    path: tuple[str, ...]
    type: str
    required: bool
    repository: str | None = None  # only for type "image"


def encode(fields: list[Field]) -> str:
    out = []
    for f in fields:
        entry: dict[str, object] = {
            "param": f.param,
            "path": ".".join(f.path),
            "required": f.required,
            "type": f.type,
        }
        if f.repository is not None:
            entry["repository"] = f.repository
        out.append(entry)
    return json.dumps({"fields": out}, sort_keys=True, separators=(",", ":"))


def decode(text: str | None) -> list[Field]:
    """The fields; a ContractError naming the first malformed part."""
    if not text or not text.strip():
        raise ContractError(f"{REQUEST_SPEC} is empty")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ContractError(f"{REQUEST_SPEC} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ContractError(f'{REQUEST_SPEC} must be an object with a "fields" list')
    fields: list[Field] = []
    seen: dict[tuple[str, ...], str] = {}
    for i, item in enumerate(data["fields"]):
        where = f"{REQUEST_SPEC} fields[{i}]"
        if not isinstance(item, dict):
            raise ContractError(f"{where}: must be an object")
        param, path, ftype = item.get("param"), item.get("path"), item.get("type", "string")
        required, repository = item.get("required", False), item.get("repository")
        if not isinstance(param, str) or not param:
            raise ContractError(f"{where}.param: must be a non-empty string")
        if not isinstance(path, str) or not all(_PATH_PART.fullmatch(p) for p in path.split(".")):
            raise ContractError(f"{where}.path: {path!r} is not a dotted field path")
        if ftype not in TYPES:
            raise ContractError(f"{where}.type: {ftype!r} is not one of {', '.join(TYPES)}")
        if not isinstance(required, bool):
            raise ContractError(f"{where}.required: must be true or false")
        if ftype == "image" and (not isinstance(repository, str) or not repository):
            raise ContractError(f"{where}.repository: an image field needs a repository")
        parts = tuple(path.split("."))
        for other, other_param in seen.items():
            shorter = min(len(other), len(parts))
            if other[:shorter] == parts[:shorter]:
                raise ContractError(
                    f"{where}.path: {path!r} collides with param {other_param!r}"
                    f" ({'.'.join(other)!r})"
                )
        seen[parts] = param
        fields.append(
            Field(param, parts, ftype, required, repository if ftype == "image" else None)
        )
    return fields
