"""Reading numbers and durations from a command's env: a problem is collected, not raised, so
one InputError can name every bad setting at once. Defaults are the contract's."""

from collections.abc import Mapping

from generator.contract import env as var
from generator.contract.commands import Command
from generator.runtime import args
from generator.runtime.errors import InputError


def number(
    env: Mapping[str, str],
    command: Command,
    name: str,
    problems: list[str],
    *,
    low: int = 1,
    high: int = 2**31,
    what: str = "",
) -> int:
    """``env[name]`` as a whole number in ``low..high``; ``command``'s default when unset
    or bad."""
    default = int(command.default(name))
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    problems.append(f"{name} {raw!r} is not {what or f'a number in {low}..{high}'}")
    return default


def ports(env: Mapping[str, str], command: Command, problems: list[str]) -> tuple[int, int]:
    """A listener's BENCHGEN_PORT and BENCHGEN_HEALTH_PORT (``command``'s defaults), different."""
    port, health = (
        number(env, command, name, problems, high=65535, what="a port number")
        for name in (var.PORT, var.HEALTH_PORT)
    )
    if port == health:
        problems.append(
            f"{var.HEALTH_PORT} {health} is {var.PORT}: the probes need a port of their own"
        )
    return port, health


def duration(env: Mapping[str, str], command: Command, name: str, problems: list[str]) -> float:
    """``env[name]`` as a Go duration (``command``'s default when unset)."""
    default = command.default(name)
    try:
        return args.duration(env.get(name, "").strip() or default, name)
    except InputError as exc:
        problems.append(str(exc))
        return args.duration(default, name)
