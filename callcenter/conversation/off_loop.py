"""Reading a long message in a worker thread, so other conversations keep their turns (red team R6).

The business's rules and detectors are pure Python over the message's words: linear in its length,
but a 2,000-character message (what CALLCENTER_UNDERSTAND_MAX_CHARS lets them read) costs ~150 ms
of CPU against ~8 ms for a short one. Run on the event loop, 18 sockets of such messages from one
address held every other customer's turn for ~5 s. Past LONG_TEXT_CHARS the work runs in a
worker thread (asyncio.to_thread, as routing's classifier already does): the event loop keeps
answering pings and short turns between the thread's slices instead of waiting for all of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

LONG_TEXT_CHARS = 500  # below this a worker thread's hand-off costs more than the reading saves


async def read_long(text: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """fn(*args, **kwargs): inline for a short `text`, in a worker thread for a long one."""
    if len(text) < LONG_TEXT_CHARS:
        return fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)
