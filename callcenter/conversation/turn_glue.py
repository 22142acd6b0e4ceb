"""Before and after the specialist: which agent answers what, and what the session remembers.

`routing_text` is what the router reads (the request without the business's courtesy around it).
`plan_turn` decides who answers and with which words and state: an accepted follow-up offer
brings back the queued request; courtesy does not count when telling an answer from a new
request; the business's rules (a legal threat, a lockout) pick an agent outright; a message of
two requests is cut in two. `close_turn` records what stays open and appends the follow-up offer
when the agent is done.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from callcenter.app import App
from callcenter.conversation.follow_ups import DEFAULT_MAX_CUTS, offer_text, queued_note, split_requests
from callcenter.conversation.memory import GlueMemory
from callcenter.conversation.off_loop import read_long
from callcenter.conversation.rules import ruled
from callcenter.providers.client import CallContext
from callcenter.routing.router import Router
from callcenter.routing.second_opinion import SecondOpinionRouter
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.store.conversations import SessionRecord
from callcenter.types import RouteDecision

# Below this the router's verdict does not pull the customer out of a flow in progress.
SWITCH_CONFIDENCE = 0.75
# A message shorter than this (courtesy aside) is an answer to the open question, not a new request.
MIN_NEW_REQUEST_WORDS = 4
# What a fresh flow's state carries when the same agent finished last turn: the state it closed with.
FINISHED_KEY = "finished"
# What the fallback agent's state carries when the classifier's guess did not fit the message.
UNRECOGNISED_KEY = "unrecognised"


@dataclass(slots=True)
class TurnPlan:
    """Who answers this turn, the words they answer, the flow state they start from, and the glue's memory."""

    text: str
    decision: RouteDecision
    agent: AgentSpec
    switched: bool
    state: dict[str, Any]
    memory: GlueMemory
    queued_now: str | None = None  # the second request this turn's message was cut from, said back now


async def plan_turn(
    app: App,
    router: Router,
    session: SessionRecord,
    text: str,
    history: Sequence[tuple[str, str]],
    decision: RouteDecision,
    now: datetime,
    *,
    context: CallContext | None = None,
    foreign: bool = False,
    max_cuts: int = DEFAULT_MAX_CUTS,
) -> TurnPlan:
    """Who answers the turn and with what. `foreign`: another language's step took the turn
    (callcenter/language/): the agent it chose stands, and nothing is split or re-routed."""
    memory = GlueMemory.load(session.state)
    if foreign:
        agent, switched = choose_agent(app, session, decision, text, forced=True)
        kept = {} if switched else dict(session.state.get("agent_state", {}))
        return TurnPlan(text, decision, agent, switched, kept, memory)
    recent_agent, recent_state = memory.recent_agent, memory.recent_state
    memory.recent_agent, memory.recent_state = None, {}  # read once: the next turn only
    offered, memory.offered = memory.offered, None
    handed, memory.handed = memory.handed, None
    if handed and app.after_handoff is not None and not decision.emergency and offered is None:
        vertical, about_it = app.after_handoff
        if about_it(text):  # "is someone coming?" after "a person will join": about that, never a booking
            memory.handed = handed
            about = replace(decision, vertical=vertical, confidence=1.0, reason="after handoff")
            return TurnPlan(text, about, app.agent_for(vertical), True, {FINISHED_KEY: {"handed": handed}}, memory)
    if offered is not None and not decision.emergency:
        if app.yes_no is not None and app.yes_no(text) is True:  # "yes" to "You also mentioned…"
            taken = await local_router(router).route(offered.text, history, context=context)
            taken = replace(taken, vertical=offered.vertical)
            return TurnPlan(offered.text, taken, app.agent_for(offered.vertical), True, {}, memory)
        memory.queued = []  # declined, or on to something else: the offer is not repeated
    core = app.courtesy(text) if app.courtesy is not None else text
    forced = False
    fallback = app.fallback_vertical
    if (
        fallback is not None
        and not decision.emergency
        and session.active_agent is None
        and _bare_ack(app, text)
        and not _offered_something(history)
    ):
        # "sure go ahead" with no question open: nothing to go ahead with, whatever the classifier
        # guessed ("What needs fixing?" or a handbook answer); the fallback agent asks what they need.
        acked = replace(decision, vertical=fallback, confidence=1.0, reason="acknowledgement")
        return TurnPlan(text, acked, app.agent_for(fallback), True, {}, memory)
    if not decision.emergency:
        decision, forced = await read_long(text, ruled, app, text, decision)  # the turn's costliest reading
        continues = app.continuations.get(recent_agent or "")
        if not forced and recent_agent and continues is not None and continues(text, recent_state, now):
            # "can you move it to friday?" right after "You're booked": the booking it changes.
            vertical = app.agents[recent_agent].vertical
            decision, forced = replace(decision, vertical=vertical, confidence=1.0, reason="continuation"), True
        stays = app.continuations.get(session.active_agent or "")
        open_state = dict(session.state.get("agent_state", {}))
        if not forced and session.active_agent in app.agents and stays is not None and stays(text, open_state, now):
            # "do you do saturdays?" to a list of openings: about them, whatever the classifier guessed.
            vertical = app.agents[str(session.active_agent)].vertical
            decision, forced = replace(decision, vertical=vertical, confidence=1.0, reason="continuation"), True
    agent, switched = choose_agent(app, session, decision, core or text, forced)
    queued_now = None
    if switched and not decision.emergency and decision.reason != "continuation":
        # A rule may have fired for one of two requests ("pay my bill and book a visit"): cut first.
        split = await split_requests(app, local_router(router), core or text, history, context, max_cuts=max_cuts)
        if split is not None:
            text, decision, queued = split
            agent = app.agent_for(decision.vertical)
            memory.queued.append(queued)
            queued_now = queued.text
    state: dict[str, Any] = {} if switched else dict(session.state.get("agent_state", {}))
    if switched and recent_agent == agent.name and recent_state:
        state = {FINISHED_KEY: recent_state}
    if switched and not forced and not decision.emergency and not _fits(app, decision, text):
        # "did i get a package?" guessed as a booking: "What needs fixing?" would answer a question
        # never asked; the front desk says it did not understand, and what it can do.
        decision = replace(decision, vertical=str(fallback), reason="unrecognised")
        agent, state = app.agent_for(str(fallback)), {UNRECOGNISED_KEY: True}
    return TurnPlan(text, decision, agent, switched, state, memory, queued_now)


def _fits(app: App, decision: RouteDecision, text: str) -> bool:
    """Whether the message shows what the business requires of the agent the classifier chose."""
    fits = app.route_fits.get(decision.vertical)
    return fits is None or app.fallback_vertical is None or fits(routing_text(app, text))


def _bare_ack(app: App, text: str) -> bool:
    return app.bare_ack is not None and app.bare_ack(text)


_GENERIC_CLOSE = re.compile(r"(anything else|what can i (help|do)|how can i help)[^?]*\?\s*$", re.I)


def _offered_something(history: Sequence[tuple[str, str]]) -> bool:
    """Whether our last reply ended with a question of its own ("Would you like to book one?"), not the
    generic "Anything else I can help with?": a yes then answers it, through the router as before."""
    last = next((said for role, said in reversed(history) if role == "assistant"), "")
    return last.rstrip().endswith("?") and not _GENERIC_CLOSE.search(last)


def routing_text(app: App, text: str) -> str:
    """What the router reads: the request without the courtesy around it ("um hey, pay it, thank you"
    is routed as "pay it", not as a thank-you); the whole text when it is nothing but courtesy."""
    core = app.courtesy(text) if app.courtesy is not None else ""
    return core or text


def local_router(router: Router) -> Router:
    """The router without its model second opinion: cutting a message in two or taking up an offer
    asks the classifier about fragments, which is worth no model call."""
    return router.inner if isinstance(router, SecondOpinionRouter) else router


def choose_agent(
    app: App, session: SessionRecord, decision: RouteDecision, core: str, forced: bool = False
) -> tuple[AgentSpec, bool]:
    """Stay with the agent whose question is open unless the customer clearly moved on.

    Emergencies and the business's rules always move; otherwise moving needs a confident verdict
    for another (non-fallback) agent and a message long enough to be a request rather than an
    answer, counted without the courtesy around it ("hi there. yes please, thanks" is one word),
    that is not a yes to the open question.
    """
    routed = app.agent_for(decision.vertical)
    active = app.agents.get(session.active_agent or "")
    if active is None:
        return routed, True
    if decision.emergency or forced:
        return routed, routed.name != active.name
    moved_on = (
        routed.name != active.name
        and decision.vertical != app.fallback_vertical
        and decision.confidence >= SWITCH_CONFIDENCE
        and len(core.split()) >= MIN_NEW_REQUEST_WORDS
        # "yeah whichever one, doesnt matter" to "Pay $97.25 with Discover?" is a yes, however long
        and not (app.yes_no is not None and app.yes_no(core) is True)
    )
    return (routed, True) if moved_on else (active, False)


def close_turn(
    app: App,
    plan: TurnPlan,
    text: str,
    closing_state: dict[str, Any],
    *,
    done: bool,
    human: HumanHandoffRequest | None,
) -> tuple[str, dict[str, Any]]:
    """The reply (with the follow-up offer when the agent is done) and the glue's memory to store.
    `human`: the handoff to a person the turn asked for; its queue is remembered for the next turns."""
    memory = plan.memory
    if human is not None:  # a person takes the conversation over, queue and all; what comes next is about them
        handed = human.queue if human.queue != app.emergency_queue else None  # emergency mode follows those up
        return text, GlueMemory(handed=handed).to_json()
    if not done:
        memory.pending = plan.agent.name
        if plan.queued_now:  # the second request is said back at once, so it is never silently dropped
            text = f"{text} {queued_note(app, plan.queued_now)}"
        return text, memory.to_json()
    memory.pending = None
    if closing_state:
        memory.recent_agent, memory.recent_state = plan.agent.name, closing_state
    if memory.queued:
        memory.offered = memory.queued.pop(0)
        text = f"{text} {offer_text(app, memory.offered)}"
    return text, memory.to_json()
