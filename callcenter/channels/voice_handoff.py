"""What the people behind a phone call are told: who the caller id may be, and the relay's handoffData.

Kept apart from the relay socket (voice_relay) so each stays readable: this is data for humans,
the relay is the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.channels.voice_protocol import phone_key
from callcenter.store.conversations import ConversationStore


@dataclass(slots=True)
class CallerMatch:
    """A customer whose phone number matches the caller id: a hint for humans, never an identity."""

    customer_id: int
    verified: bool = False


async def find_caller(store: ConversationStore, number: str) -> CallerMatch | None:
    """The one customer whose phone matches `number`; None when none or several do."""
    key = phone_key(number)
    if key is None:
        return None
    found = await store.customer_by_phone(key)
    return None if found is None else CallerMatch(found)


def handoff_data(
    *,
    session_id: str,
    call_sid: str,
    agent: str,
    customer_id: int | None,
    caller: CallerMatch | None,
    handoff: dict[str, Any],
    language: str | None = None,
) -> dict[str, Any]:
    """The `handoffData` for the human side: why, which queue, and where to read the conversation.

    No transcript or summary: Twilio asks that handoffData carry no payment data, and the
    session id is enough for the agent desk to load the whole conversation.
    """
    ticket = handoff.get("ticket_id")
    return {
        "reason": handoff.get("reason") or "human handoff",
        "queue": handoff.get("queue") or "general",
        "priority": handoff.get("priority") or "normal",
        "handoff_id": handoff.get("id"),
        "ticket_id": int(ticket) if ticket and str(ticket).isdigit() else None,
        "session_id": session_id,
        "call_sid": call_sid,
        "agent": agent,
        "customer_id": customer_id,
        "caller_id_match": ({"customer_id": caller.customer_id, "verified": False} if caller is not None else None),
        "language": language,  # the caller's language code when not the business's own (docs/languages.md)
    }
