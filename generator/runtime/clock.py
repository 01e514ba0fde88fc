"""Time as the runtime sees it; tests and the benchmark substitute a simulated clock."""

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
