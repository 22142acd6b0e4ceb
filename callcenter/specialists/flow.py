"""The contract of a deterministic specialist flow (the offline backend's specialists).

A flow is a small state machine over the same typed tools a model would call. The
orchestrator hands it one user turn, its persisted state and a `call_tool` function that
goes through the idempotent, capped tool executor; the flow returns the reply and its
new state. Flows live with the business (`agents/`), this module only says their shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from callcenter.types import HandoffContext, Priority

CallTool = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(slots=True)
class FlowTurn:
    text: str
    state: dict[str, Any]
    context: HandoffContext
    call_tool: CallTool
    now: datetime
    history: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class HumanHandoffRequest:
    """Ask the orchestrator to hand the conversation to a human queue."""

    queue: str
    priority: Priority
    summary: str
    reason: str


def clip_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters on a word boundary, with "…" when cut.

    For summaries and reasons a person reads: a word is cut only when the last space is in the
    first half (one 900-character pasted link).
    """
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


# A key of a flow's closing state: what was reported as an emergency turned out not to be one ("it's just
# the low-battery chirp"), so the session's emergency mode (callcenter/emergency_mode.py) ends with this turn.
EMERGENCY_OVER = "emergency_over"


@dataclass(slots=True)
class FlowReply:
    text: str
    state: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    human: HumanHandoffRequest | None = None
    tool_results: list[dict[str, Any]] = field(default_factory=list)


class Flow(Protocol):
    async def step(self, turn: FlowTurn) -> FlowReply: ...
