"""The complaint just logged, remembered: "can you do something about it?" is answered with that ticket.

Outsider trial (conv 13): right after "I've recorded your noise complaint … as ticket #6", the resident
asked "can you do something about it? I have work at 6" and was offered "I can log it as a complaint";
a second ticket for the same noise, or a resident who thinks nothing was logged. A push for action
("do something", "what are you going to do", "when will it stop", "so what now") while the ticket is
open gets the ticket's number, what happens next and the person still on offer.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.desk_tickets import next_step_for
from callcenter_agents.extract.polite import fix_typos

from callcenter.specialists.flow import FlowReply

_PUSH_WORDS = ("something", "anything", "about", "going", "happens", "stop", "deal", "handle")
_PRESSES = re.compile(
    r"\b((can|could|will|would|are) (you|u|they|y'?all|someone|anyone|somebody|the (office|management|manager))"
    r"( guys)?( (please|just|actually))? (do|doing) (something|anything)|do something|"
    r"what (are|r|will|can) (you|u|they|y'?all)( (guys|going to|gonna))? (do|doing)|"
    r"what (happens|now|next)|so what now|now what|then what|"
    r"(when|how soon) (will|is|does) (it|this|that|the noise|someone|anyone|something)( \w+)? "
    r"(stop|end|be (fixed|handled|dealt with|sorted)|get (fixed|handled|dealt with|sorted)|happen|(do|deal|talk)\w*)|"
    r"(make|get) (it|them|him|her|this) (to )?stop|(deal|handle|sort out) (it|this|that|them)|"
    r"(is|are) (anyone|someone|somebody|you|they) (going to|gonna) (do|deal|handle|talk|say)\w*|"
    r"i (need|want) (this|it|the noise|them) to stop|please help)\b"
)


def presses_for_action(text: str) -> bool:
    """ "can you do something about it? I have work at 6", "what are you going to do", "so what now"."""
    return bool(_PRESSES.search(fix_typos(text, _PUSH_WORDS)))


def ticket_in_hand(state: dict[str, Any]) -> FlowReply:
    """The open offer's ticket, what happens next with it, and the offer of a person kept open."""
    label = str(state.get("reason") or "complaint")
    then = next_step_for(label)
    then = f" {then}" if then else " The management team will follow it up."
    return FlowReply(
        text=f"It's already logged as ticket #{state['ticket_id']} ({label.lower()}), so you don't need to report "
        f"it again.{then} Would you like me to connect you with a person now as well?",
        state=state,
    )
