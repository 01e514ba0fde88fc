"""Keep the real cluster up for other test processes (a development loop):

    sudo .venv/bin/python -m tests.cluster.hold /tmp/stack.json &
    BENCHGEN_E2E_ATTACH=/tmp/stack.json .venv/bin/pytest -m cluster tests/cluster -k finally

Starts the stack as ``make e2e-cluster`` does, writes the state file, and stops
everything on SIGINT or SIGTERM (the state file is removed then).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from tests.cluster.stack import start_stack


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.cluster.hold STATE_FILE", file=sys.stderr)
        return 2
    state = Path(argv[0])
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = start_stack()
    try:
        stack.save(state)
        print(f"[cluster] held; BENCHGEN_E2E_ATTACH={state}", flush=True)
        stop.wait()
    finally:
        state.unlink(missing_ok=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
