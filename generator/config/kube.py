"""What Kubernetes accepts as names, label keys and label values.

Checked at config time so that a bad name is a located config error, not an
apply-time surprise.
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
