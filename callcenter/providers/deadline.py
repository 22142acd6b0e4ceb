"""The turn's deadline, visible to every model call inside the turn without threading it through.

The orchestrator opens `turn_deadline(seconds)` around the specialist; `ModelClient` caps each
attempt's timeout and its retry waits by `remaining_s()`, so retries never outlive the turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("turn_deadline", default=None)


@contextmanager
def turn_deadline(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left in the current turn, None outside a turn (no deadline)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
