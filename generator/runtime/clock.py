"""Time as the runtime sees it; tests and the benchmark substitute a simulated clock."""

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds and a way to wait; nothing else in the runtime reads time."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Stopped(Exception):
    """The process was asked to stop (SIGTERM) while it waited."""


class StoppableClock(SystemClock):
    """The real clock whose ``sleep`` ends early, raising :class:`Stopped`, once
    ``stop`` is set: the long-running commands' waits end at SIGTERM."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(max(seconds, 0.0)):
            raise Stopped("stopping")
