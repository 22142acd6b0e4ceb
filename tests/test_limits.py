"""The in-memory abuse limits: sliding windows and connection counts (pure, with a fake clock)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcenter.channels.limits import ConnectionCounter, SlidingWindow, retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_the_limit_then_says_when_to_retry() -> None:
    clock = FakeClock()
    window = SlidingWindow(limit=3, window_s=60, clock=clock)
    assert [window.hit("s") for _ in range(3)] == [None, None, None]
    clock.now += 10
    wait = window.hit("s")
    assert wait is not None and abs(wait - 50) < 1e-6
    assert window.hit("other") is None  # keys are independent
    clock.now += 50.01
    assert window.hit("s") is None


@given(st.lists(st.floats(min_value=0, max_value=5), max_size=200), st.integers(min_value=1, max_value=30))
def test_never_more_than_the_limit_in_any_window(gaps: list[float], limit: int) -> None:
    clock = FakeClock()
    window = SlidingWindow(limit=limit, window_s=60, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.now += gap
        if window.hit("k") is None:
            allowed.append(clock.now)
    for i, t in enumerate(allowed):
        assert sum(1 for u in allowed[i:] if u < t + 60) <= limit


def test_invented_keys_cannot_grow_memory() -> None:
    window = SlidingWindow(limit=1, max_keys=100)
    for i in range(10_000):
        window.hit(f"addr{i}")
    assert len(window._events) == 100


def test_connection_counter() -> None:
    counter = ConnectionCounter(limit=2)
    assert counter.acquire("a") and counter.acquire("a") and not counter.acquire("a")
    assert counter.acquire("b")
    counter.release("a")
    assert counter.acquire("a")
    counter.release("a"), counter.release("a"), counter.release("b")
    assert counter.count("a") == 0 and counter._open == {}


def test_retry_after_is_rounded_up() -> None:
    assert retry_after(0.0001) == 0.1 and retry_after(1.21) == 1.3


def test_a_heavy_event_takes_its_weight_and_waits_for_room() -> None:
    now = [0.0]
    window = SlidingWindow(limit=10, window_s=60.0, clock=lambda: now[0])
    assert window.hit("a", 5) is None and window.hit("a", 5) is None
    assert window.hit("a") == 60.0  # full: room again when the first five leave
    now[0] = 30.0
    assert window.hit("a", 1) == 30.0
    now[0] = 60.0
    assert window.hit("a", 5) is None  # all ten left at 60 s
    assert window.hit("a", 50) == 60.0  # heavier than the budget: waits for the window to empty, then gets in alone
    now[0] = 121.0
    assert window.hit("a", 50) is None
