"""Object metadata shared by every builder."""

from __future__ import annotations

from typing import Any

from generator.config.names import Names

Manifest = dict[str, Any]
# One line on an object a render warned about (the first warning), for kubectl users.
WARNING_ANNOTATION = "benchgen.dev/warning"


def metadata(names: Names, name: str, *, namespaced: bool = True, **extra: Any) -> Manifest:
    meta: Manifest = {"name": name}
    if namespaced:
        meta["namespace"] = names.namespace
    meta["labels"] = dict(names.labels)
    meta.update(extra)
    return meta


def manifest(api_version: str, kind: str, meta: Manifest, **body: Any) -> Manifest:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}
