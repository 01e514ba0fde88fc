"""How a param value travels from an event to a step's env.

Three layers expand ``$`` on the way (Triggers, Tekton and the kubelet), so the
listener writes every param value with ``%`` as ``%25`` and then ``$`` as
``%24`` (compiled into its CEL by ``compile/cel.py``), and the runtime reads
``BENCHGEN_PARAM_<NAME>`` through :func:`read_param`, which undoes exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from generator.contract.env import param_env

# In the order the listener applies them ('%' first, so '%24' stays readable).
ESCAPES = (("%", "%25"), ("$", "%24"))
_ESCAPED = re.compile("|".join(re.escape(code) for _, code in ESCAPES))
_UNESCAPED = {code: char for char, code in ESCAPES}


def escape(value: str) -> str:
    """What the listener writes for ``value`` (tests and hand-started runs)."""
    for char, code in ESCAPES:
        value = value.replace(char, code)
    return value


def unescape(value: str) -> str:
    """A param value as the event carried it (one left-to-right pass)."""
    return _ESCAPED.sub(lambda m: _UNESCAPED[m.group()], value)


def read_param(env: Mapping[str, str], param: str) -> str | None:
    """The value of ``param`` from BENCHGEN_PARAM_<NAME>, unescaped; None if unset."""
    raw = env.get(param_env(param))
    return None if raw is None else unescape(raw)
