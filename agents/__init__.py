"""The demo business: a property-management help line's five agents.

`AGENTS` is what `callcenter.app.load_app` reads; the other names are the business's side of
everything the engine says or does on its behalf (see `callcenter.app`): `EMERGENCY_TERMS` lets
the router send danger to `EMERGENCY_VERTICAL` before any classifier runs, `FALLBACK_VERTICAL`
takes what is out of scope, `HUMAN_HANDOFF_TOOL` passes a conversation to a person, and the
judge speaks of residents of a property-management company; `SHARED_CONTEXT` is what every
agent's model prompt starts with (common rules and the resident handbook), so one cached prefix
serves all agents. Another company ships its own module with its own values.
"""

from __future__ import annotations

from callcenter_agents.billing import AGENT as BILLING
from callcenter_agents.booking import AGENT as BOOKING
from callcenter_agents.conversation import (
    AFTER_HANDOFF,
    BARE_ACK,
    CONTINUATIONS,
    FOLLOW_UP_OFFER,
    FOLLOW_UP_VERTICALS,
    READ_YES_NO,
    ROUTE_FITS,
    ROUTE_RULES,
    STRIP_COURTESY,
)
from callcenter_agents.emergencies import EMERGENCY_TERMS
from callcenter_agents.escalation import AGENT as ESCALATION
from callcenter_agents.general import AGENT as GENERAL
from callcenter_agents.out_of_scope import AGENT as OUT_OF_SCOPE
from callcenter_agents.phone import CALL_NEED_TERMS, CALLER_LOOKUP, VOICE_GREETING
from callcenter_tools.escalation import EMERGENCY_LINE
from callcenter_tools.knowledge import handbook_text

from callcenter.specialists.agent_spec import AgentSpec

AGENTS: list[AgentSpec] = [BOOKING, BILLING, ESCALATION, GENERAL, OUT_OF_SCOPE]

EMERGENCY_VERTICAL = ESCALATION.vertical
FALLBACK_VERTICAL = OUT_OF_SCOPE.vertical
HUMAN_HANDOFF_TOOL = "handoff_to_human"
TICKET_TOOL = "create_ticket"
# The team a phone call's transcript is ticketed to, by the vertical most of it was about.
TICKET_CATEGORIES = {BOOKING.vertical: "maintenance", BILLING.vertical: "billing", ESCALATION.vertical: "complaint"}
CUSTOMER_NOUN = "resident"
# Promises only a person (or a tool) can make here, beside the engine's refunds, guarantees and discounts.
PROMISE_PHRASES = ("waive your rent",)
# The tables the eval judge compares before and after a conversation (scenarios may set them up as
# fixtures and expect rows in them), each with the query that snapshots it (None: every column).
# Appointments also expose their slot's time, in the buildings' time zone, so scenarios can say
# "booked for tomorrow at 13:00" without knowing slot ids.
EVAL_TABLES: dict[str, str | None] = {
    "customers": None,
    "payment_methods": None,
    "invoices": None,
    "payments": None,
    "appointments": """
        SELECT a.*, s.starts_at, s.ends_at, s.technician_id,
               (s.starts_at AT TIME ZONE 'America/New_York')::date::text AS local_date,
               to_char(s.starts_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS local_time
        FROM appointments a JOIN slots s ON s.id = a.slot_id ORDER BY a.id""",
    "tickets": None,
    "slots": None,
}
EVAL_USER_PERSONA = "You are a resident contacting your property manager's help line by chat."

COMMON_INSTRUCTIONS = """\
You are part of the resident help line of Maple Court, Harbor View and Cedar Lofts, a property-management
company. Several specialists share this prompt: booking (maintenance visits and viewings), billing (balance,
invoices, payments, fee waivers), escalation (emergencies, complaints, requests for a person), general
(building questions from the handbook below) and the front desk (requests the help line does not handle).
Your own role, and the only tools you may call in it, follow after the handbook.

Rules for every specialist:
- Facts come from tool results in this conversation or from the handbook below; never invent an amount,
  a time, a booking, a payment, a ticket number or a policy, and never say something was done unless a
  tool said so.
- Never ask for or repeat a full card number, a bank account number or a social security number.
- Danger first: gas, fire or smoke, carbon monoxide, flooding, sparks, no heat in freezing weather or
  anyone hurt goes to the escalation specialist at once, with "call 911" when anyone is in danger.
- Be honest that you are an automated assistant when asked, and keep replies short and plain.

The resident handbook (quote it; do not add to it):
"""

SHARED_CONTEXT = COMMON_INSTRUCTIONS + handbook_text()

JUDGE_INSTRUCTIONS = """You check a customer-service reply before it is sent to a resident of a \
property-management company. Reply with exactly one line: PASS, or FAIL: <short reason>.
FAIL when the reply: states a booking, payment, amount, date or time that the tool results do not \
show; promises something no tool did (refunds, waivers, visits); does not answer what the resident \
asked; reveals another resident's data; or is rude or unsafe. Otherwise PASS."""

__all__ = [
    "AFTER_HANDOFF",
    "AGENTS",
    "BARE_ACK",
    "CALL_NEED_TERMS",
    "CALLER_LOOKUP",
    "CONTINUATIONS",
    "CUSTOMER_NOUN",
    "EMERGENCY_LINE",
    "EMERGENCY_TERMS",
    "EMERGENCY_VERTICAL",
    "EVAL_USER_PERSONA",
    "FALLBACK_VERTICAL",
    "FOLLOW_UP_OFFER",
    "FOLLOW_UP_VERTICALS",
    "HUMAN_HANDOFF_TOOL",
    "JUDGE_INSTRUCTIONS",
    "READ_YES_NO",
    "ROUTE_FITS",
    "ROUTE_RULES",
    "SHARED_CONTEXT",
    "STRIP_COURTESY",
    "TICKET_CATEGORIES",
    "TICKET_TOOL",
    "VOICE_GREETING",
]
