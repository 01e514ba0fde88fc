"""Writing Tekton results: one small text file per result, no trailing newline."""

from pathlib import Path

from generator.runtime.errors import InfraError


def write_result(path: str | None, value: str) -> None:
    """Write ``value`` to ``path`` (a ``$(results.<name>.path)``); skip when no path was given."""
    if not path:
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value, encoding="utf-8")
    except OSError as exc:
        raise InfraError(f"cannot write result {path}: {exc.strerror or exc}") from exc
