"""Load the business: its agents and tools, from configurable module names.

The demo ships as `callcenter_agents` / `callcenter_tools` (the repository's `agents/`
and `tools/` folders, installed under prefixed names so nothing collides with the
`agents` package of openai-agents). Another company sets CALLCENTER_AGENTS_MODULE.
An agents module exposes `AGENTS: list[AgentSpec]`; everything else the engine says or
does on the business's behalf is optional and named there too:

| name | meaning |
|---|---|
| `EMERGENCY_TERMS` | phrases that mean danger: the turn goes to `EMERGENCY_VERTICAL` before any classifier |
| `EMERGENCY_VERTICAL` | the vertical of the agent that takes emergencies |
| `FALLBACK_VERTICAL` | where an out-of-scope or too-uncertain turn goes |
| `HUMAN_HANDOFF_TOOL` | the tool that hands a conversation to a person |
| `EMERGENCY_LINE` | the phone number a customer is told when the handoff itself fails |
| `JUDGE_INSTRUCTIONS`, `CUSTOMER_NOUN` | the model judge's wording, and what the business calls its customers |
| `TICKET_TOOL`, `TICKET_CATEGORIES` | a posted call's follow-up: the ticket tool, and vertical -> category |
| `EVAL_USER_PERSONA` | who an LLM plays when it simulates a customer in evals |
| `EVAL_TABLES` | the tables the eval judge snapshots (table -> query, None for every column) |
| `PROMISE_PHRASES` | promises a reply may not make unless a tool did (beside the engine's refund, guarantee…) |
| `SHARED_CONTEXT` | the text every agent's model prompt starts with (one cached prefix for all agents) |
| `CALLER_LOOKUP` | a `CallerLookup`: how a phone call asks an unknown caller for their place and a PIN |
| `CALL_NEED_TERMS` | words that make a posted call's sentence its reason, beside the engine's generic ones |
| `VOICE_GREETING` | what a phone call hears when it connects (the setting `voice_greeting` overrides it) |
| `EMERGENCY_QUEUE` | the human queue emergencies go to (default `emergency`) |
| `BASE_LANGUAGE` | the language the flows speak (default `en`) |
| `LANGUAGE_DIRS` | folders of language files (default: the module's `languages/`; see `callcenter/language/`) |
| `STRIP_COURTESY` | text -> the request without greetings and thanks around it ("" when only courtesy) |
| `READ_YES_NO` | text -> True (a yes), False (a no) or None: how a follow-up offer is answered |
| `BARE_ACK` | text -> bool: a bare yes / ok / go-ahead / no; with no question open it goes to `FALLBACK_VERTICAL` |
| `ROUTE_RULES` | (vertical, text -> bool) pairs that pick an agent outright (a legal threat, a lockout) |
| `FOLLOW_UP_VERTICALS` | agents whose requests may be queued when one message asks for two things |
| `FOLLOW_UP_OFFER` | how the queued request is offered once the first is done (`{request}`: its words) |
| `CONTINUATIONS` | agent -> (text, state it closed with, now) -> bool: back to the agent that just finished |
| `AFTER_HANDOFF` | (vertical, text -> bool): after a handoff to a person, a message about it goes to that agent |
| `REQUEST_JOINERS` | a compiled regex of the words that join two requests (default: English "and", "also"…) |

A `flow_reliability.json` beside the module is the routed policy's tier 0: how each agent's flow did on
a held-out split (`callcenter/specialists/flow_tiers.py`); without it every turn goes to models.

It may also have a `difficulty` submodule with `HARD_EXAMPLES` / `EASY_EXAMPLES` for the
difficulty prior.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from callcenter.language.packs import Languages, load_languages
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow_tiers import FILE_NAME as FLOW_RELIABILITY_FILE
from callcenter.specialists.flow_tiers import FlowReliability
from callcenter.specialists.verifier import GENERIC_PROMISES, claim_index
from callcenter.tooling.toolkit import Tool
from callcenter.types import Vertical


@dataclass(frozen=True, slots=True)
class CallerLookup:
    """What a phone call says while it finds an unknown caller's account and asks for their PIN.

    An unknown number is asked for the customer's place (the `unit` of the customers table, any
    building); these are the engine's neutral words, and a business names its own in `CALLER_LOOKUP`
    ("Which suite is your office in?"). `filler` are the business's words a caller puts around the place
    ("apartment 4 B") that are not part of it.
    """

    ask: str = (
        "I can help with that once I know who you are. What is the number of your address with us? "
        "You can say it or key it in."
    )
    again: str = "I couldn't find that. Could you say it again?"
    not_found: str = "I couldn't find that."
    no_pin: str = (
        "Your account doesn't have a phone PIN yet, so I can't open it on this call. "
        "Would you like me to connect you to a person instead?"
    )
    filler: tuple[str, ...] = ()


@dataclass(frozen=True)
class App:
    agents: dict[str, AgentSpec]
    emergency_terms: tuple[str, ...] = ()
    hard_examples: tuple[str, ...] = ()
    easy_examples: tuple[str, ...] = ()
    shared_context: str = ""
    emergency_vertical: Vertical | None = None
    fallback_vertical: Vertical | None = None
    human_handoff_tool: str | None = None
    emergency_line: str | None = None
    judge_instructions: str | None = None
    customer_noun: str = "customer"
    ticket_tool: str | None = None
    ticket_categories: dict[Vertical, str] = field(default_factory=dict)
    user_persona: str | None = None
    emergency_queue: str = "emergency"
    caller_lookup: CallerLookup = field(default_factory=CallerLookup)
    voice_greeting: str = "Thanks for calling. How can I help you today?"
    call_need_terms: frozenset[str] = frozenset()
    languages: Languages = field(default_factory=Languages)
    eval_tables: dict[str, str | None] = field(default_factory=dict)
    promises: tuple[str, ...] = GENERIC_PROMISES
    courtesy: Callable[[str], str] | None = None
    yes_no: Callable[[str], bool | None] | None = None
    bare_ack: Callable[[str], bool] | None = None
    route_rules: tuple[tuple[Vertical, Callable[[str], bool]], ...] = ()
    # vertical -> what a message must show for the classifier's verdict for it to stand (else: not understood)
    route_fits: dict[Vertical, Callable[[str], bool]] = field(default_factory=dict)
    follow_up_verticals: tuple[Vertical, ...] = ()
    follow_up_offer: str = "You also mentioned: {request}. Would you like me to help with that now?"
    request_joiners: re.Pattern[str] | None = None
    continuations: dict[str, Callable[[str, dict[str, Any], datetime], bool]] = field(default_factory=dict)
    after_handoff: tuple[Vertical, Callable[[str], bool]] | None = None
    flow_reliability: FlowReliability = field(default_factory=FlowReliability)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verticals(self) -> tuple[Vertical, ...]:
        """The verticals the business's agents declare, in declaration order."""
        return tuple(dict.fromkeys(a.vertical for a in self.agents.values()))

    def agent_for(self, vertical: Vertical) -> AgentSpec:
        for agent in self.agents.values():
            if agent.vertical == vertical:
                return agent
        raise KeyError(f"no agent serves vertical {vertical}")

    @property
    def tools(self) -> dict[str, Tool[Any]]:
        return {t.name: t for a in self.agents.values() for t in a.tools}

    @property
    def claims(self) -> dict[str, tuple[str, ...]]:
        """Claim phrase -> tools whose success backs it, from the tools' declarations (for the verifier)."""
        return claim_index(self.tools.values())

    @property
    def account_verticals(self) -> frozenset[Vertical]:
        """Verticals whose agents act on the customer's own account (a caller proves who they are first)."""
        return frozenset(a.vertical for a in self.agents.values() if a.acts_on_account)

    def training_examples(self) -> list[tuple[str, Vertical]]:
        """(utterance, vertical) pairs from every agent's examples, for the local router."""
        return [(text, a.vertical) for a in self.agents.values() for text in a.examples]


@cache
def load_app(agents_module: str = "callcenter_agents") -> App:
    mod = importlib.import_module(agents_module)
    agents = {a.name: a for a in mod.AGENTS}
    try:  # optional: hard/easy turns that train the difficulty prior
        difficulty = importlib.import_module(agents_module + ".difficulty")
    except ModuleNotFoundError:
        difficulty = None
    app = App(
        agents=agents,
        emergency_terms=tuple(getattr(mod, "EMERGENCY_TERMS", ())),
        hard_examples=tuple(getattr(difficulty, "HARD_EXAMPLES", ())),
        easy_examples=tuple(getattr(difficulty, "EASY_EXAMPLES", ())),
        shared_context=str(getattr(mod, "SHARED_CONTEXT", "")),
        emergency_vertical=getattr(mod, "EMERGENCY_VERTICAL", None),
        fallback_vertical=getattr(mod, "FALLBACK_VERTICAL", None),
        human_handoff_tool=getattr(mod, "HUMAN_HANDOFF_TOOL", None),
        emergency_line=getattr(mod, "EMERGENCY_LINE", None),
        judge_instructions=getattr(mod, "JUDGE_INSTRUCTIONS", None),
        customer_noun=getattr(mod, "CUSTOMER_NOUN", "customer"),
        ticket_tool=getattr(mod, "TICKET_TOOL", None),
        ticket_categories=dict(getattr(mod, "TICKET_CATEGORIES", {})),
        user_persona=getattr(mod, "EVAL_USER_PERSONA", None),
        emergency_queue=str(getattr(mod, "EMERGENCY_QUEUE", "emergency")),
        caller_lookup=getattr(mod, "CALLER_LOOKUP", CallerLookup()),
        voice_greeting=str(getattr(mod, "VOICE_GREETING", App.voice_greeting)),
        call_need_terms=frozenset(getattr(mod, "CALL_NEED_TERMS", ())),
        languages=load_languages(_language_dirs(mod), base=str(getattr(mod, "BASE_LANGUAGE", "en"))),
        eval_tables=dict(getattr(mod, "EVAL_TABLES", {})),
        promises=(*GENERIC_PROMISES, *getattr(mod, "PROMISE_PHRASES", ())),
        courtesy=getattr(mod, "STRIP_COURTESY", None),
        yes_no=getattr(mod, "READ_YES_NO", None),
        bare_ack=getattr(mod, "BARE_ACK", None),
        route_rules=tuple(getattr(mod, "ROUTE_RULES", ())),
        route_fits=dict(getattr(mod, "ROUTE_FITS", {})),
        follow_up_verticals=tuple(getattr(mod, "FOLLOW_UP_VERTICALS", ())),
        follow_up_offer=str(getattr(mod, "FOLLOW_UP_OFFER", App.follow_up_offer)),
        request_joiners=getattr(mod, "REQUEST_JOINERS", None),
        continuations=dict(getattr(mod, "CONTINUATIONS", {})),
        after_handoff=getattr(mod, "AFTER_HANDOFF", None),
        flow_reliability=_flow_reliability(mod),
    )
    declared = set(app.verticals)
    for name in ("emergency_vertical", "fallback_vertical"):
        value = getattr(app, name)
        if value is not None and value not in declared:
            raise ValueError(
                f"{agents_module}.{name.upper()} is {value!r}, which no agent declares; "
                f"use one of {', '.join(app.verticals)}"
            )
    if app.emergency_terms and app.emergency_vertical is None:
        raise ValueError(
            f"{agents_module} has EMERGENCY_TERMS but no EMERGENCY_VERTICAL: name the agent that takes them"
        )
    handed_to = (app.after_handoff[0],) if app.after_handoff else ()
    for vertical in (*(v for v, _ in app.route_rules), *app.follow_up_verticals, *handed_to):
        if vertical not in declared:
            rules = "ROUTE_RULES / FOLLOW_UP_VERTICALS / AFTER_HANDOFF"
            raise ValueError(f"{agents_module} routes to {vertical!r} ({rules}), no agent's")
    if app.human_handoff_tool is not None and app.human_handoff_tool not in app.tools:
        raise ValueError(f"{agents_module}.HUMAN_HANDOFF_TOOL {app.human_handoff_tool!r} is no agent's tool")
    return app


def _flow_reliability(mod: Any) -> FlowReliability:
    """The held-out record of the flows beside the module (none: no flow is tier 0)."""
    where = getattr(mod, "__file__", None)
    return FlowReliability.load(Path(where).parent / FLOW_RELIABILITY_FILE) if where else FlowReliability()


def _language_dirs(mod: Any) -> list[Path]:
    """The module's LANGUAGE_DIRS, else the `languages/` folder beside it (absent: no other language)."""
    named = getattr(mod, "LANGUAGE_DIRS", None)
    if named is not None:
        return [Path(d) for d in named]
    where = getattr(mod, "__file__", None)
    return [Path(where).parent / "languages"] if where else []
