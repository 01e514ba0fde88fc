"""What the release watcher remembers, as pure functions over the ConfigMap's ``data``.

One data key per repository (``<owner>.<repo>``, lower-cased: GitHub names are
case-insensitive, and owners cannot contain dots), holding compact JSON:

```json
{"query": "<url asked>", "etag": "\\"abc\\"", "latest": {"tag": "0.37.0", "id": 1, ...},
 "fired": {"ebpf": ["0.37.0", "0.36.2"], "": ["0.37.0"]}}
```

``latest`` is the release that ``etag`` stands for, so a ``304`` still knows
which release is current (and fires what is still due for it). ``fired`` lists,
per configuration (``""`` when the project has none), the tags already fired,
newest first, at most :data:`FIRED_KEPT`: a release that comes back as the
latest (a newer one deleted) is not fired again.

Changes are kept as operations and applied to whatever was read last, so a
concurrent write (``409``) is merged by re-reading and applying them again:
fired tags are a union, and the newest lookup wins for ``latest``/``etag``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from generator.runtime.releases.github import Release

FIRED_KEPT = 20


def state_key(repo: str) -> str:
    """The data key of ``owner/name``."""
    return repo.lower().replace("/", ".", 1)


@dataclass(frozen=True)
class Seen:
    """A lookup's result: remember the release and the ETag of the query."""

    repo: str
    query: str
    etag: str | None
    release: Release | None


@dataclass(frozen=True)
class Fired:
    """An event for ``tag`` and ``configuration`` was accepted by the listener."""

    repo: str
    configuration: str
    tag: str


Op = Seen | Fired


def load_repo(data: dict[str, str], repo: str) -> dict[str, Any]:
    """The repo's entry (empty when missing or unreadable: then it is rebuilt)."""
    text = data.get(state_key(repo))
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stored_release(entry: dict[str, Any]) -> Release | None:
    latest = entry.get("latest")
    if not isinstance(latest, dict):
        return None
    try:
        return Release(
            tag=str(latest["tag"]),
            id=int(latest["id"]),
            url=str(latest.get("url", "")),
            published_at=latest.get("published_at"),
        )
    except (KeyError, TypeError, ValueError):
        return None


def stored_etag(entry: dict[str, Any], query: str) -> str | None:
    """The ETag to send with ``query``: only one obtained for that same URL (and
    only with the release it stands for)."""
    etag = entry.get("etag")
    if entry.get("query") == query and isinstance(etag, str) and stored_release(entry):
        return etag
    return None


def fired_tags(entry: dict[str, Any], configuration: str) -> list[str]:
    fired = entry.get("fired")
    tags = fired.get(configuration) if isinstance(fired, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def due(entry: dict[str, Any], release: Release, configurations: Sequence[str]) -> list[str]:
    """The configurations not yet fired for ``release``."""
    return [c for c in configurations if release.tag not in fired_tags(entry, c)]


def apply(data: dict[str, str], ops: list[Op]) -> dict[str, str]:
    """The data keys ``ops`` change, computed from ``data`` (what was read last)."""
    entries: dict[str, dict[str, Any]] = {}
    for op in ops:
        key = state_key(op.repo)
        entry = entries.setdefault(key, load_repo(data, op.repo))
        if isinstance(op, Seen):
            entry["query"] = op.query
            if op.release is None:
                entry.pop("etag", None)
                entry.pop("latest", None)
            else:
                entry["latest"] = asdict(op.release)
                if op.etag:
                    entry["etag"] = op.etag
                else:
                    entry.pop("etag", None)
        else:
            fired = entry.get("fired")
            if not isinstance(fired, dict):
                fired = entry["fired"] = {}
            tags = fired_tags(entry, op.configuration)
            if op.tag not in tags:
                fired[op.configuration] = [op.tag, *tags][:FIRED_KEPT]
    out = {}
    for key, entry in entries.items():
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        if data.get(key) != text:
            out[key] = text
    return out
