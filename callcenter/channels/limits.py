"""Abuse limits kept in memory: message and session rates, connections per address.

Each limit is a named setting (docs/security.md). They protect one process: a flood on one
connection or from one address is slowed down with `rate_limited` and a `retry_after_s`,
and nobody else notices. Memory stays bounded however many keys an attacker invents.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass
class SlidingWindow:
    """At most `limit` events per key in any `window_s` seconds.

    `hit(key)` records an event and returns None when it is allowed, else the seconds until
    one would be (nothing is recorded for a refused event, so a client that waits gets in).
    The oldest keys are forgotten past `max_keys`, so invented keys cannot exhaust memory.
    """

    limit: int
    window_s: float = 60.0
    max_keys: int = 100_000
    clock: Clock = time.monotonic
    _events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict, repr=False)

    def hit(self, key: str, weight: int = 1) -> float | None:
        """Record `weight` events at once (a long message counts several, docs/security.md)."""
        return self.wait(key, weight, record=True)

    def wait(self, key: str, weight: int = 1, *, record: bool = False) -> float | None:
        """Seconds until `weight` more events would be allowed; None when they are now (recorded if `record`)."""
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        horizon = now - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        weight = max(1, min(weight, self.limit))  # one event heavier than the whole budget still gets in, alone
        if len(events) + weight > self.limit:
            return max(0.001, events[weight - 1 + len(events) - self.limit] + self.window_s - now)
        if record:
            events.extend([now] * weight)
        return None


@dataclass
class ConnectionCounter:
    """Open connections per key, refused past `limit` (a websocket costs memory while open)."""

    limit: int
    _open: dict[str, int] = field(default_factory=dict, repr=False)

    def acquire(self, key: str) -> bool:
        count = self._open.get(key, 0)
        if count >= self.limit:
            return False
        self._open[key] = count + 1
        return True

    def release(self, key: str) -> None:
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)

    def count(self, key: str) -> int:
        return self._open.get(key, 0)


def retry_after(seconds: float) -> float:
    """The `retry_after_s` a client is told: rounded up to a tenth of a second."""
    return max(0.1, round(seconds + 0.05, 1))
