"""What every generated pod shares: Pod Security "restricted", resources, /tmp.

Tekton steps, the observer and status Deployments, and the CronJobs all run the
runtime image as the same non-root user with the same container hardening.
"""

from __future__ import annotations

from generator.compile.meta import Manifest

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import ResourcesSpec

RUNTIME_USER = 65532

# The read-only root filesystem leaves Python nowhere to write temporary files.
TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108 - an emptyDir of its own


def pod_security(fs_group: bool = False) -> Manifest:
    out: Manifest = {"runAsNonRoot": True, "runAsUser": RUNTIME_USER}
    if fs_group:
        out["fsGroup"] = RUNTIME_USER  # Secret volume files are group-readable (0440)
    out["seccompProfile"] = {"type": "RuntimeDefault"}
    return out


def container_security() -> Manifest:
    # Pod Security "restricted": non-root, no escalation, no capabilities.
    return {
        "runAsNonRoot": True,
        "runAsUser": RUNTIME_USER,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_resources(res: ResourcesSpec) -> Manifest:
    return {
        "requests": {"cpu": res.cpu_request, "memory": res.memory_request},
        "limits": {"memory": res.memory_limit},
    }


def secret_volume(name: str, secret: str, key: str) -> Manifest:
    """One key of a Secret: referenced, never rendered; readable by the pod's fsGroup only."""
    return {
        "name": name,
        "secret": {
            "secretName": secret,
            "items": [{"key": key, "path": key}],
            "defaultMode": 0o440,
        },
    }
