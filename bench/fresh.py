"""Peak memory and CPU time of one command, measured in a fresh process.

``ru_maxrss`` of a child started from the bench process is not the child's own:
Linux carries the high-water mark of the address space a child replaces at
exec into its maximum RSS, and Python's subprocess forks (or vforks) from the
bench process, which holds the fake orchestrator and every result so far (tens
of MB). So a small launcher (``python -S -I``, a few MB) is started instead: it
forks and execs the command, and reports ``wait4``'s usage of that one child.
What the child inherits is the launcher's few MB; :func:`floor` measures it
(``/bin/true`` through the same launcher), so a figure far above the floor is
the command's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Runs with -S -I: nothing is imported but os and sys.
LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}"
              f" {os.waitstatus_to_exitcode(status)}")
"""


@dataclass(frozen=True)
class Usage:
    peak_mb: float  # maximum resident set size
    cpu_s: float  # user + system
    code: int


def run_fresh(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: int | None = subprocess.DEVNULL,
) -> Usage:
    """Run ``argv`` (``argv[0]`` an absolute path) through the launcher."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "usage")
        subprocess.run(
            [sys.executable, "-S", "-I", "-c", LAUNCHER, str(out), *argv],
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=stdout,
            check=True,
        )
        maxrss_kb, cpu, code = out.read_text().split()
    return Usage(int(maxrss_kb) / 1024, float(cpu), int(code))


def floor() -> float:
    """MB that any command measured by :func:`run_fresh` shows at least."""
    true = next(p for p in ("/bin/true", "/usr/bin/true") if os.path.exists(p))
    return run_fresh([true]).peak_mb
