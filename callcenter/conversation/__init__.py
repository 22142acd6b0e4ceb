"""Conversation glue: what holds one turn to the next beyond the flow in progress.

A flow remembers its own stage; this package remembers the rest, in the session's state in
PostgreSQL (so any node continues the conversation): which agent has a question open (an answer
wrapped in courtesy stays with it), requests the customer made in the same breath and that wait
their turn (`follow_ups`), and the closing note of the flow that just finished (so "actually make
it friday" right after a booking reaches the booking it corrects). `plan_turn` runs before the
specialist and `close_turn` after it; the business supplies the words (`callcenter.app`).
"""

from callcenter.conversation.turn_glue import (
    SWITCH_CONFIDENCE,
    UNRECOGNISED_KEY,
    TurnPlan,
    close_turn,
    plan_turn,
    routing_text,
)

__all__ = ["SWITCH_CONFIDENCE", "UNRECOGNISED_KEY", "TurnPlan", "close_turn", "plan_turn", "routing_text"]
