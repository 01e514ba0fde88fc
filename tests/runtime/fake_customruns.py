"""CustomRuns kept in memory as the API server keeps them, for what the custom-task
controller uses: a status patch is a JSON merge patch of the ``status``
subresource (``null`` deletes a field, a list replaces), it is refused with
409 when it carries a resourceVersion the object no longer has, and every
write bumps the resourceVersion and is queued as a watch event.

The unit tests (tests/runtime/test_custom_tasks.py) and the controller bench
(bench/custom_tasks_child.py) use it; on the real cluster the real API server
and Tekton play these parts (tests/cluster/test_custom_tasks.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from generator.contract import customtask as ct
from generator.runtime import kube

Obj = dict[str, Any]


class CustomRunStore:
    def __init__(self, on_write: Callable[[Obj], None] | None = None) -> None:
        self.objs: dict[str, Obj] = {}
        self.version = 100
        self.events: list[Obj] = []  # the watch: every write, not yet delivered
        self.patches: list[tuple[str, Obj]] = []
        self.fail_next: list[Exception] = []  # raised by the next status patches
        self.on_write = on_write

    def _bump(self, obj: Obj) -> Obj:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        if self.on_write is not None:
            self.on_write(obj)
        self.events.append(copy.deepcopy(obj))
        return copy.deepcopy(obj)

    def create(self, name: str, kind: str, params: dict[str, str], **spec: Any) -> Obj:
        """A CustomRun of benchgen's ``kind`` (what Tekton creates for a pipeline task)."""
        self.objs[name] = {
            "apiVersion": "tekton.dev/v1beta1",
            "kind": "CustomRun",
            "metadata": {"name": name, "namespace": "bench", "uid": f"uid-{name}"},
            "spec": {
                "customRef": {"apiVersion": ct.API_VERSION, "kind": kind},
                "params": [{"name": k, "value": v} for k, v in params.items()],
                **spec,
            },
        }
        return self._bump(self.objs[name])

    def update_spec(self, name: str, **spec: Any) -> Obj:
        """What Tekton writes: ``status: RunCancelled`` and its message."""
        self.objs[name]["spec"].update(spec)
        return self._bump(self.objs[name])

    def patch_status(self, name: str, resource_version: str, status: Obj) -> Obj:
        if self.fail_next:
            raise self.fail_next.pop(0)
        obj = self.objs[name]
        if obj["metadata"]["resourceVersion"] != resource_version:
            raise kube.Conflict(409, "the object has been modified")
        merged = dict(obj.get("status") or {})
        for key, value in status.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        obj["status"] = merged
        self.patches.append((name, copy.deepcopy(status)))
        return self._bump(obj)

    def condition(self, name: str) -> Obj:
        [cond] = self.objs[name]["status"]["conditions"]
        return dict(cond)


def results(obj: Obj) -> dict[str, str]:
    return {r["name"]: r["value"] for r in (obj.get("status") or {}).get("results", [])}


def ended(obj: Obj) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Succeeded" and c.get("status") != "Unknown" for c in conditions)
