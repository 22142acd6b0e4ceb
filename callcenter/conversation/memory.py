"""The glue's part of a session's state: a plain JSON object under one key.

Kept apart from the flow's own `agent_state` because it outlives flows: a queued request waits
while another flow runs, and a finished flow's closing note is read by the next turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KEY = "glue"


@dataclass(slots=True)
class Queued:
    """A request the customer made alongside another one, waiting its turn."""

    vertical: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"vertical": self.vertical, "text": self.text}


@dataclass(slots=True)
class GlueMemory:
    """What the conversation waits for beyond the active flow's own stage.

    `pending`: the agent whose question is open (None: nothing is asked, a bare "yes" means nothing).
    `queued`: requests still to do, oldest first. `offered`: the queued request the last reply
    offered to do now (a "yes" takes it up). `recent`: the agent that finished last turn and the
    state it closed with (its next fresh turn reads it, once). `handed`: the human queue the
    conversation was just handed to, while the customer's messages are about that handoff.
    """

    pending: str | None = None
    queued: list[Queued] = field(default_factory=list)
    offered: Queued | None = None
    recent_agent: str | None = None
    recent_state: dict[str, Any] = field(default_factory=dict)
    handed: str | None = None

    @classmethod
    def load(cls, state: dict[str, Any]) -> GlueMemory:
        raw = state.get(KEY)
        if not isinstance(raw, dict):
            return cls()
        offered = raw.get("offered")
        recent_raw = raw.get("recent")
        recent: dict[str, Any] = recent_raw if isinstance(recent_raw, dict) else {}
        return cls(
            pending=raw.get("pending") if isinstance(raw.get("pending"), str) else None,
            queued=[_queued(q) for q in raw.get("queued", []) if isinstance(q, dict)],
            offered=_queued(offered) if isinstance(offered, dict) else None,
            recent_agent=str(recent.get("agent")) if recent.get("agent") else None,
            recent_state=dict(recent.get("state") or {}),
            handed=str(raw["handed"])[:40] if raw.get("handed") else None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.pending:
            out["pending"] = self.pending
        if self.queued:
            out["queued"] = [q.to_json() for q in self.queued]
        if self.offered is not None:
            out["offered"] = self.offered.to_json()
        if self.recent_agent:
            out["recent"] = {"agent": self.recent_agent, "state": self.recent_state}
        if self.handed:
            out["handed"] = self.handed
        return out


def _queued(raw: dict[str, Any]) -> Queued:
    return Queued(vertical=str(raw.get("vertical", "")), text=str(raw.get("text", ""))[:500])
