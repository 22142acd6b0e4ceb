"""General: building questions answered from the resident handbook, plus small talk.

Answers quote the one or two handbook sentences that match the question rather than the
whole section: short replies, and every claim traceable to the search result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from callcenter_agents.conversation import follows_up_handbook, is_lockout
from callcenter_agents.courtesy_close import THANKS
from callcenter_agents.desk_requests import asks_for_document, is_tenancy_legal_question
from callcenter_agents.extract import is_affirmative, is_cancel, is_negative
from callcenter_agents.extract.lead_in import strip_lead_in
from callcenter_agents.handbook_follow_ups import (
    OFFICE_ARTICLE,
    OFFICE_CUE,
    asks_to_sign_up,
    asks_who_handles,
    carries_own_question,
    for_their_building,
    leans_on_answer,
    pick_article,
    request_ticket,
    stray_hit,
    two_questions,
    unrepeated,
)
from callcenter_agents.replies import (
    CAPABILITIES,
    PROBE_REFUSAL,
    best_sentences,
    is_prompt_probe,
    split_requests,
    summarize_history,
    words,
)
from callcenter_agents.small_talk import small_talk
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.escalation import EMERGENCY_LINE, ESCALATION_TOOLS, handoff_eta
from callcenter_tools.knowledge import GENERAL_TOOLS, topic_words

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority, Tier

# BM25 score under which the best handbook section is not trusted to answer the question.
MIN_SCORE = 2.0

_TAIL = " Anything else I can help with?"
_ACCOUNT_CUE = re.compile(
    r"\b(my (balance|bill|invoice|rent|account|payment)|how much do i owe|pay (my|the|it|\$)|"
    r"charge|fee waiv\w*|waive)\b",
    re.I,
)
_BOOKING_CUE = re.compile(
    r"\b(book|schedule|reschedule|cancel|appointment|repair|fix|technician|plumber|"
    r"electrician|viewing|tour|leak\w*|broken)\b",
    re.I,
)


# The office's opening hours by weekday (Monday = 0), as the handbook's "Office hours" section says.
OFFICE_HOURS: dict[int, tuple[int, int]] = {0: (9, 18), 1: (9, 18), 2: (9, 18), 3: (9, 18), 4: (9, 18), 5: (10, 16)}
_LOCKOUT_QUERY = "locked out lockout keys"
# How the front desk names the human teams a conversation can be handed to.
TEAMS = {
    "general": "our resident services team",
    "billing": "our billing team",
    "maintenance": "our maintenance team",
    "leasing": "our leasing team",
    "spanish": "our Spanish-speaking team",
}
# The handbook section on notices, eviction and withholding rent (tools/knowledge_base.md).
LEGAL_ARTICLE = "notices-and-legal-questions"
_WITHHOLDS = re.compile(
    r"\b(withh\w*|hold(ing)? back|stop paying|not (going to |gonna )?pay|refuse to pay|escrow|strike)\b", re.I
)
_WITHHOLD_CUE = "rent withheld unpaid repair open escalate property manager"
_NOTICE_CUE = "receive eviction notice contact office right away resolved"
_DOCUMENT_CUE = "copy documents portal"


def office_open(now: datetime) -> bool:
    """Whether the leasing office is open at `now` (public holidays aside)."""
    local = now.astimezone(BUSINESS_TZ)
    hours = OFFICE_HOURS.get(local.weekday())
    return hours is not None and hours[0] <= local.hour < hours[1]


def other_request_note(rest: str) -> str | None:
    """What to say about a second request another specialist handles; None for a handbook one."""
    if _ACCOUNT_CUE.search(rest):
        return "I can also check your balance and payments — ask me next."
    if _BOOKING_CUE.search(rest):
        return "I can also book or change a visit for you — ask me next."
    return None


_REFERS_BACK = re.compile(r"\b(that|it|this|those|them|there)\b", re.I)


def with_antecedent(question: str, history: Sequence[tuple[str, str]]) -> str:
    """ "how much does that cost?" after "lost my keys, can you let me in": a question of two content
    words or fewer that points back is searched together with the resident's previous message."""
    if len(words(question)) > 2 or not _REFERS_BACK.search(question):
        return question
    before = next((said for role, said in reversed(history) if role == "user"), "")
    return f"{before[:200]} {question}" if before else question


def _missed(reply: FlowReply) -> bool:
    """Whether `reply` is the handbook's honest miss (with the office offered)."""
    return reply.state.get("stage") == "offer_human"


class GeneralFlow:
    """Answer building questions from the handbook; small talk without tools."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        text = turn.text.strip()
        state = dict(turn.state)
        finished = state.pop("finished", None)  # the handbook question answered last turn, if any
        if isinstance(finished, dict) and finished.get("handed"):
            return await self._after_handoff(turn, text, str(finished["handed"]))
        if isinstance(finished, dict) and finished.get("stage") == "offer_human" and not carries_own_question(text):
            state = finished  # "yes" to "Would you like me to connect you with the office?" asked last turn
        if isinstance(finished, dict) and finished.get("asked"):
            follow_up = await self._follow_up(turn, text, finished)
            if follow_up is not None:
                return follow_up
        if state.get("stage") == "offer_human":
            if is_affirmative(text) and not is_negative(text):
                return self._to_human(turn, str(state.get("question") or text))
            if is_negative(text) or is_cancel(text):
                return FlowReply(text="Okay. Is there anything else I can help with?", done=True)
        if is_prompt_probe(text):
            return FlowReply(text=f"{PROBE_REFUSAL}{CAPABILITIES} What can I do for you?", done=True)
        if is_lockout(text):
            return await self._lockout(turn)
        if is_tenancy_legal_question(text):
            return await self._legal(turn, text)
        if asks_for_document(text):  # "where's my lease": its copy, not the rules that name a lease
            return await self._answer(turn, f"{strip_lead_in(text) or text} {_DOCUMENT_CUE}")
        canned = small_talk(text, turn.context.customer_name, turn.history)
        if canned is not None:
            return FlowReply(text=canned, done=True)
        first, rest = split_requests(text)
        if not rest:  # "is the gym open 24/7? and is there a pool": two questions, both answered
            first, rest = two_questions(text)
        if rest and other_request_note(first) is not None and other_request_note(rest) is None:
            # "what's my balance, and also the office hours?" landed here: answer the handbook
            # part and say where the other goes, rather than searching the handbook for a balance.
            reply = await self._answer(turn, rest)
            return FlowReply(
                text=f"{reply.text} {other_request_note(first)}",
                state=reply.state,
                done=reply.done,
                tool_results=reply.tool_results,
            )
        if rest:
            reply = await self._answer(turn, first)
            note = other_request_note(rest)
            if note is None and reply.done and not _missed(reply):
                second = await self._answer(turn, rest)
                if _missed(second):  # said plainly rather than dropped
                    second = FlowReply(
                        text=f'I couldn\'t find anything in the resident handbook about "{rest.strip(" ?.!")}"; '
                        "the office can tell you.",
                        done=True,
                        tool_results=second.tool_results,
                    )
                if second.done:  # two handbook questions: answer both
                    return FlowReply(
                        text=f"{reply.text.removesuffix(_TAIL)} {second.text}",
                        done=True,
                        tool_results=[*reply.tool_results, *second.tool_results],
                    )
            note = note or "I can help with your other question too — ask me next."
            return FlowReply(
                text=f"{reply.text} {note}", state=reply.state, done=reply.done, tool_results=reply.tool_results
            )
        # "hello, just checking, would you mind a rabbit, thank you": the handbook is searched for the
        # question, not for the courtesy around it ("checking" is a payment word there).
        return await self._answer(turn, with_antecedent(strip_lead_in(text) or text, turn.history))

    async def _follow_up(self, turn: FlowTurn, text: str, finished: dict[str, Any]) -> FlowReply | None:
        """A message that leans on the handbook answer just given (agents/handbook_follow_ups.py), else None."""
        asked, article = str(finished["asked"]), str(finished.get("article") or "")
        if asks_who_handles(text):  # "ok who do I talk to about that": the office, its hours and how to reach it
            reply = await self._answer(turn, OFFICE_CUE, OFFICE_ARTICLE)
            return (
                replace(reply, text=f"The leasing office handles that. {reply.text}") if not _missed(reply) else reply
            )
        if asks_to_sign_up(text) and article:  # "sign me up" after parking's prices: a request to the office
            return await self._request(turn, text, asked, article)
        if follows_up_handbook(text):  # "till what time?": the same question, narrowed
            return await self._answer(turn, f"{asked} {text}", article)
        if not leans_on_answer(text):
            return None
        # "what about two cats instead": the same section unless the follow-up names another on its own
        alone = await turn.call_tool("search_knowledge_base", {"query": text[:300], "limit": 3})
        other = pick_article(alone.get("articles", []), article)
        if other is not None:
            return await self._answer(turn, text, other)
        said_before = next((said for role, said in reversed(turn.history) if role == "assistant"), "")
        return await self._answer(turn, f"{asked} {text}", article, focus=text, said_before=said_before)

    async def _request(self, turn: FlowTurn, text: str, asked: str, article: str) -> FlowReply:
        """ "sign me up": what the section just described, asked of the office as a ticket."""
        res = await turn.call_tool("search_knowledge_base", {"query": asked[:300] or "help", "limit": 5})
        found = next((a for a in res.get("articles", []) if a.get("id") == article), None)
        title = str(found.get("title")) if found else "Request"
        try:
            ticket = await turn.call_tool("create_ticket", request_ticket(article, title, asked, text))
        except ToolError:
            return FlowReply(
                text="Sorry, I couldn't pass that to the office just now. Would you like me to connect you with them?",
                state={"stage": "offer_human", "question": f"{asked} {text}"[:300]},
                tool_results=[res],
            )
        return FlowReply(
            text=f"I've sent your request to the office as ticket #{ticket['ticket_id']} ({title}); they'll contact "
            f"you to set it up.{_TAIL}",
            done=True,
            tool_results=[res, ticket],
        )

    async def _answer(
        self, turn: FlowTurn, text: str, article: str | None = None, *, focus: str = "", said_before: str = ""
    ) -> FlowReply:
        """The handbook's answer to one question, or an honest miss with an offer of the office;
        `article`: the one a follow-up is about ("what about sundays" after the pool's hours)."""
        try:
            res = await turn.call_tool(
                "search_knowledge_base", {"query": text[:300] or "help", "limit": 5 if article else 3}
            )
        except ToolError:
            return FlowReply(
                text="Sorry, I can't look that up right now. Would you like me to connect you with the office?",
                state={"stage": "offer_human", "question": text[:300]},
            )
        articles: list[dict[str, Any]] = res.get("articles", [])
        best = next((a for a in articles if article and a.get("id") == article), articles[0] if articles else None)
        if (
            best is None
            or float(best.get("score", 0.0)) < MIN_SCORE
            or not (best.get("matched") or words(text) & words(f"{best.get('title', '')} {best.get('text', '')}"))
            or (not article and stray_hit(best))
        ):
            # done: the offer stays one turn (a "yes" takes it up, conversation.continues_general), and a
            # message about something else is routed afresh ("whats the weather like tomorrow")
            return FlowReply(
                text="I couldn't find an answer to that in the resident handbook. Would you like me to connect "
                "you with the office?",
                state={"stage": "offer_human", "question": text[:300]},
                done=True,
                tool_results=[res],
            )
        body, topic = str(best.get("text", "")), topic_words(str(best.get("id", "")))
        quote = best_sentences(focus, body, limit=2, topic=topic) if focus and words(focus) & words(body) else ""
        quote = quote or best_sentences(text, body, limit=2, topic=topic)
        quote = for_their_building(unrepeated(quote, said_before), res.get("building"), text)
        # the question stays for one turn: "till what time?", "and on weekends?" are about it
        return FlowReply(
            text=f"{quote}{_TAIL}",
            state={"asked": text[:200], "article": best.get("id")},
            done=True,
            tool_results=[res],
        )

    async def _lockout(self, turn: FlowTurn) -> FlowReply:
        """The handbook's lockout procedure for the hour it is: the office by day, the emergency line after hours."""
        res = await turn.call_tool("search_knowledge_base", {"query": _LOCKOUT_QUERY, "limit": 3})
        articles: list[dict[str, Any]] = res.get("articles", [])
        article = next((a for a in articles if "lock" in str(a.get("title", "")).lower()), None)
        if article is None:  # the handbook lost its section: the emergency line is still the way in
            return FlowReply(
                text=f"I'm sorry you're locked out. Please call our 24/7 emergency line {EMERGENCY_LINE}.",
                done=True,
                tool_results=[res],
            )
        open_now = office_open(turn.now)
        cue = "during office hours" if open_now else "after hours"
        quote = best_sentences(cue, str(article.get("text", "")), limit=1)
        tail = "" if EMERGENCY_LINE in quote or open_now else f" Our 24/7 emergency line is {EMERGENCY_LINE}."
        if open_now:
            return FlowReply(text=f"I'm sorry you're locked out. {quote}{tail}", done=True, tool_results=[res])
        # After hours (trial5 #12, "its freezing out here"): the line, and the on-call team alerted at once,
        # so "can someone come let me in?" is already under way instead of a repair booking for the morning.
        return FlowReply(
            text=f"I'm sorry you're locked out. {quote}{tail} I'm also alerting our on-call team now so someone can "
            "help you get back in; if you're somewhere unsafe or too cold, call 911.",
            done=True,
            human=HumanHandoffRequest(
                queue="maintenance",
                priority=Priority.HIGH,
                summary=summarize_history(turn.history, turn.text),
                reason=f"After-hours lockout: {turn.text[:200]}",
            ),
            tool_results=[res],
        )

    async def _legal(self, turn: FlowTurn, text: str) -> FlowReply:
        """An eviction notice, withholding rent: what the handbook says about notices, that we give no
        legal advice, and a person offered; the resident decides whether to be connected."""
        offer = {"stage": "offer_human", "question": text[:300]}
        try:
            res = await turn.call_tool("search_knowledge_base", {"query": text[:300], "limit": 3})
        except ToolError:
            res = {}
        articles: list[dict[str, Any]] = res.get("articles", [])
        article = next((a for a in articles if a.get("id") == LEGAL_ARTICLE), None)
        quote = ""
        if article is not None:  # the sentences for what was asked: holding rent back, or a notice received
            cue = _WITHHOLD_CUE if _WITHHOLDS.search(text) else _NOTICE_CUE
            quote = best_sentences(cue, str(article.get("text", "")), limit=2, topic=topic_words(LEGAL_ARTICLE))
        advice = "" if "legal advice" in quote else " I can't give legal advice."
        return FlowReply(
            text=f"{quote}{advice} Would you like me to connect you with a person on our team about it?".strip(),
            state=offer,
            tool_results=[res] if res else [],
        )

    async def _after_handoff(self, turn: FlowTurn, text: str, queue: str) -> FlowReply:
        """A message about the handoff just made ("is someone coming?", "ok thanks"): where it
        stands, from `handoff_status`; never a new flow's question ("What needs fixing?")."""
        try:
            status = await turn.call_tool("handoff_status", {"queue": queue})
        except ToolError:
            status = {}
        team = TEAMS.get(queue, "our team")
        ticket = f" (ticket #{status['ticket_id']})" if status.get("ticket_id") else ""
        if status.get("status") == "held":
            where = f"A person from {team} has your conversation{ticket} and will reply here."
        elif status.get("open") is False:
            where = f"Your request to {team}{ticket} has been dealt with; if you still need a person, just say so."
        else:
            eta = str(status.get("eta") or handoff_eta(queue, "normal"))
            where = f"Your conversation is with {team}{ticket}; {eta}. They'll see everything you wrote here."
        thanks = "You're welcome. " if THANKS.search(text) else ""
        return FlowReply(
            text=f"{thanks}{where} If anything becomes urgent, call our 24/7 emergency line {EMERGENCY_LINE}.",
            done=True,
            tool_results=[status] if status else [],
        )

    def _to_human(self, turn: FlowTurn, question: str) -> FlowReply:
        return FlowReply(
            text=f"I'm connecting you with the office team; {handoff_eta('general', 'normal')}. They'll see "
            "this conversation, so you won't need to repeat yourself.",
            done=True,
            human=HumanHandoffRequest(
                queue="general",
                priority=Priority.NORMAL,
                summary=summarize_history(turn.history, turn.text),
                reason=f"Question not answered by the handbook: {question}"[:300],
            ),
        )


GENERAL_INSTRUCTIONS = """\
You are the general assistant of the resident help line for Maple Court, Harbor View and Cedar
Lofts. You answer residents' questions about living in the buildings: office hours and contact
details, pets, parking, packages, amenities, guests, quiet hours, trash, pest control, renters
insurance, lease renewal, move-out and the security deposit, smoking, decorating and lease
copies. You also greet residents, say what you can help with and close conversations politely.

How you work:
- For any factual question about the buildings or policies, call search_knowledge_base and answer
  only from the returned handbook text. Quote or closely paraphrase the one or two sentences that
  answer the question; do not paste the whole section and do not add facts that are not there.
- If the search returns nothing relevant, say you don't have that information and offer to connect
  the resident with the office (or open a ticket with create_ticket if they want it logged).
- Greetings, thanks, goodbyes and "what can you do" need no tools: reply briefly and mention what you
  can help with (maintenance visits and viewings, rent and billing, building questions).
- You never change bookings or take payments yourself: hand repairs, viewings and appointments to the
  booking agent and money questions to the billing agent.
- Emergencies (gas smell, fire or smoke, flooding, sparks, carbon monoxide, no heat in freezing
  weather, anyone in danger) go to the escalation agent at once; tell the resident to call 911 if
  anyone is in danger.
- Eviction or withholding rent: quote the handbook, say you give no legal advice, offer a person.
- Just after a handoff to a person, "is someone coming?" gets handoff_status; start nothing new.
- Be honest that you are an automated assistant if asked.
- Keep replies short: one to three sentences.
"""

GENERAL_EXAMPLES: tuple[str, ...] = (
    "hi",
    "hello there",
    "good morning",
    "hey, how are you?",
    "thanks!",
    "thank you so much, that's all",
    "bye",
    "what can you do?",
    "what can you help me with",
    "are you a real person?",
    "what are the office hours",
    "is the office open on Saturday",
    "when does the leasing office close today",
    "what's the office phone number",
    "where is the management office",
    "can I have a dog",
    "can I keep a cat in my apartment?",
    "am I allowed to have a pet in my unit",
    "is there a gym in the building",
    "do you allow pets in the apartments",
    "are cats allowed",
    "how much is pet rent",
    "what's the pet deposit",
    "do I need to register my cat",
    "is there a breed restriction for dogs",
    "how do I get a parking permit",
    "how much does parking cost",
    "where can my guests park",
    "is there EV charging",
    "can I park a second car",
    "where do I pick up packages",
    "what are the package room hours",
    "I got a package notification but no code",
    "how long do you hold packages",
    "what amenities are there",
    "when is the pool open",
    "is the gym open 24 hours",
    "can I reserve the community room",
    "is there bike storage",
    "how do I give notice to move out",
    "how much notice do I need before moving out",
    "when do I get my security deposit back",
    "what do I need to do before move-out inspection",
    "how does lease renewal work",
    "can I switch to month to month",
    "what are the quiet hours",
    "how long can a guest stay",
    "can my boyfriend stay for a month",
    "where does recycling go",
    "how do I get rid of an old couch",
    "do I need renters insurance",
    "how much liability coverage do I need",
    "I'm locked out, what do I do",
    "how much is a replacement key fob",
    "when is pest control in the building",
    "is internet included",
    "who do I contact for electricity service",
    "what's the emergency maintenance number",
    "how do I apply for an apartment",
    "what's the application fee",
    "can I smoke on the balcony",
    "how do I update my contact info",
    "is there a rooftop terrace",
    "can I paint my walls",
    "do you allow grills on the patio",
    "where is the laundry room",
    "how do I submit a maintenance request online",
    "what's the wifi at Cedar Lofts",
    "what's your pet policy",
    "tell me about the pet policy",
    "what is the parking fee",
    "how much is a parking space per month",
    "how do I pay rent",
    "what are the ways to pay rent",
    "when is rent due",
    "what day of the month is rent due",
    "what time does the pool open",
    "what are the gym hours",
    "is there a fitness center",
    "when does the rooftop close",
    "what are the office hours, and also where do I pick up packages",
)

AGENT = AgentSpec(
    name="general",
    vertical="general",
    description="Building questions from the resident handbook, greetings and what the assistant can do.",
    instructions=GENERAL_INSTRUCTIONS,
    tools=(*GENERAL_TOOLS, *(t for t in ESCALATION_TOOLS if t.name in ("create_ticket", "handoff_status"))),
    default_tier=Tier.CHEAP,
    handoff_targets=("booking", "billing", "escalation"),
    examples=GENERAL_EXAMPLES,
    flow=GeneralFlow,
    # Handbook answers quote the handbook article the search finds; the flow passes every shipped eval
    # and every handbook conversation of the held-out generated sets (seeds 777 and 4242).
    flow_first=True,
)
