"""Emergency mode: after an emergency handoff the session remembers it, on any node.

A customer who reported gas or a flood and then asks "what should I do now?" or "is anyone
coming?" is still in that emergency: the question must reach the emergency agent with what
was reported and which ticket holds it, not the router's guess at a three-word sentence
(which is how "is anyone coming?" became a new booking). The mode lives in the session's
stored state (PostgreSQL), so whichever process answers the next turn continues it; it ends
when the customer clearly asks for something else, or after `EMERGENCY_MODE_HOURS`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from callcenter.app import App
from callcenter.specialists.flow import EMERGENCY_OVER, HumanHandoffRequest
from callcenter.types import Priority, RouteDecision

EMERGENCY_MODE_HOURS = 12
STATE_KEY = "emergency"
DETAILS_KEY = "emergency_mode"

# Words of someone waiting for help or reporting the same danger again: in emergency mode they
# are a follow-up, whatever vertical the router would give them on their own.
_FOLLOW_UP = re.compile(
    r"\b(help|com(e|ing)|some(one|body)|any(one|body)|now|what (do|should|now|next|can)|how long|when will"
    r"|should|leave|safe|wait\w*|still|worse|again|stronger|spread\w*|rising|hurry|here|arriv\w*|sen[dt]\w*"
    r"|ok(ay)?|thanks?|status|update|ticket|reference|ref|case|happening|smell\w*|water|smoke|fire|gas|flood\w*|alarm|911"
    r"|chirp\w*|batter(y|ies)|beep\w*|detector"
    # what the customer did (outsider trial 2, conv 9): "i turned off the breaker", "we opened the windows"
    r"|turned (it )?off|shut (it )?off|switched off|breakers?|valves?|opened|went out|got out|outside"
    r"|we'?re out|were out|i'?m out|fire ?(dept|department|fighters?|truck)|firefighters?)\b",
    re.I,
)


def active(state: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The session's emergency (what was reported, its ticket, when), while it lasts."""
    mode = state.get(STATE_KEY)
    if not isinstance(mode, dict):
        return None
    try:
        since = datetime.fromisoformat(str(mode.get("since")))
    except ValueError:
        return None
    return mode if now - since <= timedelta(hours=EMERGENCY_MODE_HOURS) else None


_WORD = re.compile(r"[a-z]{3,}")
_VOCABULARY: dict[int, dict[str, frozenset[str]]] = {}


def _topic_words(app: App) -> dict[str, frozenset[str]]:
    """Per vertical, the words of its agent's examples that name its topics ("balance", "refill").

    A word counts when the emergency agent's examples never use it and at most two verticals do:
    "when can I go back in?" has none, so the router's confident guess at it is not trusted.
    """
    cached = _VOCABULARY.get(id(app))
    if cached is None:
        said: dict[str, set[str]] = {}
        for text, vertical in app.training_examples():
            said.setdefault(vertical, set()).update(_WORD.findall(text.lower()))
        spread = Counter(w for words in said.values() for w in words)
        emergency = said.get(str(app.emergency_vertical), set())
        cached = {v: frozenset(w for w in ws if w not in emergency and spread[w] <= 2) for v, ws in said.items()}
        _VOCABULARY[id(app)] = cached
    return cached


def steer(app: App, mode: dict[str, Any] | None, decision: RouteDecision, text: str, switch: float) -> RouteDecision:
    """In emergency mode a turn goes to the emergency agent unless it clearly asks for something else.

    "Clearly": the router is at least `switch` confident of another agent's vertical, the message
    names one of that vertical's topics (`_topic_words`), and it has none of the words of someone
    waiting for help. The router alone is not enough: it is confident about "when can I go back
    in?" too, a sentence it was never taught.
    """
    if mode is None or decision.emergency or app.emergency_vertical is None:
        return decision
    topic = _topic_words(app).get(decision.vertical, frozenset())
    elsewhere = (
        decision.vertical not in (app.emergency_vertical, app.fallback_vertical)
        and decision.confidence >= switch
        and any(w in topic for w in _WORD.findall(text.lower()))
        and not _FOLLOW_UP.search(text)
    )
    if elsewhere:
        return decision
    return replace(decision, vertical=app.emergency_vertical, emergency=True, reason=str(mode.get("reason", "")))


def details(mode: dict[str, Any] | None) -> dict[str, Any]:
    """What the emergency agent's flow or model needs to answer a follow-up (HandoffContext.details)."""
    return {DETAILS_KEY: dict(mode)} if mode is not None else {}


def remember(
    mode: dict[str, Any] | None,
    human: HumanHandoffRequest | None,
    handoff: dict[str, Any] | None,
    said: str,
    now: datetime,
    closing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The session state's emergency entry after this turn: kept, opened by an urgent handoff, or none.
    `closing`: the flow's closing state; `EMERGENCY_OVER` in it (the report was a false alarm) ends the mode."""
    if human is None and (closing or {}).get(EMERGENCY_OVER):
        return {}
    if human is not None and human.priority is Priority.URGENT:
        ticket = (handoff or {}).get("ticket_id") or (mode or {}).get("ticket_id")
        opened = {
            "since": (mode or {}).get("since") or now.isoformat(),
            "said": (mode or {}).get("said") or said[:300],
            "reason": (mode or {}).get("reason") or human.reason[:300],
            "queue": human.queue,
            "ticket_id": ticket,
            "reports": int((mode or {}).get("reports", 0)) + 1,
        }
        return {STATE_KEY: opened}
    return {STATE_KEY: mode} if mode is not None else {}
