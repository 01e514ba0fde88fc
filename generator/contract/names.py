"""What Kubernetes accepts as names, label keys and label values
(k8s.io/apimachinery/pkg/util/validation).

The compiler checks config with them, so a bad name is a located config error
rather than an apply-time surprise; the runtime checks what it decodes from its
env with the same functions. Each ``*_problem`` returns None or why not.
"""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
# The same rule as a string, for CEL checks compiled into the listener (Go's regexp:
# '$' is the end of the text there; Python's re matches it before a final newline
# too, so Python code must use fullmatch).
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_LABEL_VALUE = re.compile(LABEL_VALUE_PATTERN)


def dns1123_label_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"{value!r} is {len(value)} characters long; Kubernetes allows at most 63"
    if not _DNS1123_LABEL.fullmatch(value):
        return (
            f"{value!r} is not a valid name: use lower-case letters, digits and '-',"
            " starting and ending with a letter or digit"
        )
    return None


def dns1035_label_problem(value: str) -> str | None:
    """Service names: a DNS-1123 label that starts with a letter."""
    problem = dns1123_label_problem(value)
    if problem:
        return problem
    if not _DNS1035_LABEL.fullmatch(value):
        return f"{value!r} must start with a lower-case letter"
    return None


def dns1123_subdomain_problem(value: str) -> str | None:
    if len(value) > 253:
        return f"{value!r} is {len(value)} characters long; Kubernetes allows at most 253"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return (
            f"{value!r} is not a valid name: use lower-case letters, digits, '-' and '.',"
            " starting and ending with a letter or digit"
        )
    return None


def label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix:
        problem = dns1123_subdomain_problem(prefix)
        if problem:
            return f"label key prefix {problem}"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"{key!r} is not a valid label key: the name part must be 1-63 letters, digits,"
            " '-', '_' or '.', starting and ending with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        return (
            f"{value!r} is not a valid label value: at most 63 letters, digits, '-', '_' or '.',"
            " starting and ending with a letter or digit"
        )
    return None


def namespace_problem(value: str) -> str | None:
    """A namespace name is a DNS-1123 label."""
    return dns1123_label_problem(value)


def is_label_key(key: str) -> bool:
    return label_key_problem(key) is None


# Which objects a clean-up may name (the compiler's config rules and the
# runtime's spec decoder both use these).
_API_VERSION = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?")
_KIND = re.compile(r"[A-Z][A-Za-z0-9]*")
_PLURAL = re.compile(r"[a-z][a-z0-9]*")


def api_version_problem(value: str) -> str | None:
    if not _API_VERSION.fullmatch(value):
        return f"{value!r} is not an apiVersion like v1 or group/v1"
    return None


def kind_problem(value: str, example: str = "Service") -> str | None:
    if not _KIND.fullmatch(value):
        return f"{value!r} is not a Kubernetes kind (e.g. {example})"
    return None


def plural_problem(value: str) -> str | None:
    if not _PLURAL.fullmatch(value):
        return f"{value!r} is not a resource name like helmreleases"
    return None


# ConfigMap keys (validation.IsConfigMapKey): what the deploy step reads.
CONFIG_MAP_KEY_CHARS = "-._a-zA-Z0-9"
_CONFIG_MAP_KEY = re.compile(f"[{CONFIG_MAP_KEY_CHARS}]+")


def config_map_key_problem(value: str) -> str | None:
    if len(value) > 253:
        return f"{value!r} is {len(value)} characters long; Kubernetes allows at most 253"
    if not _CONFIG_MAP_KEY.fullmatch(value):
        return f"{value!r} is not a ConfigMap key: use letters, digits, '-', '_' and '.'"
    if value in (".", ".."):
        return f"{value!r} is not a ConfigMap key"
    return None


def run_name(prefix: str, event_id: str) -> str:
    """The PipelineRun an event with this id starts: ``<runPrefix><id>``. The
    TriggerTemplate names the run with it (the id a ``$(tt.params.*)``
    placeholder), and ``send`` and ``watch-releases`` look for the run by it."""
    return prefix + event_id
