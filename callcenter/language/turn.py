"""A turn in a language the business's flows don't speak: caught, answered in it, handed to its people.

The flows answer in the business's language; rather than half-answer a Spanish speaker in
English (or refuse them as out of scope), a turn in another language gets, in that language:

- an emergency (the language file's patterns, or the router's own rules): the safety text and the
  emergency line, and an urgent handoff to the emergency queue, exactly as in English;
- a follow-up while that emergency handoff is open: the answer to what it asks, from the file's
  `[follow_up]` (follow_up.py), and its status;
- anything else, a request for a person included: a handoff to the people who speak it (the
  file's `queue`, shown on the agent desk), and a reply saying so.

The language is decided per turn (`detect.py`) against the one recorded on the session, and
written to `sessions.language` when it changes, so the next turn, the desk and the phone relay
know it. An emergency caught by another language's patterns in a base-language turn ("help,
huele a gas") still dispatches: the router's verdict is raised and the flows answer it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from typing import Any

import structlog

from callcenter.app import App
from callcenter.handoff import HumanHandoff
from callcenter.language.detect import LanguageDetector
from callcenter.language.follow_up import Ask, answer, person_answer
from callcenter.language.packs import LanguagePack, fold, words
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.specialists.seam import SpecialistResult
from callcenter.store.conversations import ConversationStore, SessionRecord
from callcenter.store.desk import withdraw_waiting
from callcenter.tooling.toolkit import ToolError
from callcenter.types import HandoffContext, Priority, RouteDecision

log = structlog.get_logger(__name__)

NEGATION_WORDS = 3  # a negator this many words before a match, in the same clause, cancels it
_CLAUSE = re.compile(r"[,;.!?:()\n]")
_KIND_IN_REASON = re.compile(r"^Emergency reported \(([a-z_ ]+)\)")


@dataclass(frozen=True)
class Heard:
    """What the language step made of a turn, before any specialist runs."""

    language: str  # the language this turn is answered in
    pack: LanguagePack | None  # its file, when the flows don't speak it; None: the flows answer
    decision: RouteDecision  # the router's verdict, raised to an emergency the language caught
    emergency: str | None = None
    person: bool = False
    greeting: bool = False  # the whole message greets or asks for help: hello and the menu, no handoff
    spoken: LanguagePack | None = None  # a request its file lets the flows answer in it (spoken.py)
    text: str = ""  # what was said, for a follow-up's cues (follow_up.py)


def asks_for_person(pack: LanguagePack, folded: str, known: frozenset[str] = frozenset()) -> bool:
    if any(p.search(folded) for p in pack.ask):
        return True
    return pack.heard_in(folded, known) and any(p.search(pack.corrected(folded, known)) for p in pack.person)


def _negated(pack: LanguagePack, folded: str, start: int) -> bool:
    clause = _CLAUSE.split(folded[max(0, start - 120) : start])[-1]
    return any(w in pack.negators for w in words(clause)[-NEGATION_WORDS:])


def find_emergency(pack: LanguagePack, folded: str, known: frozenset[str] = frozenset()) -> str | None:
    """The first emergency kind of this language's file that the (folded) text reports, not negated.

    Slips are corrected first against the file's words ("se esat quemando"); `known` words (the
    base language's) are never corrected.
    """
    if not pack.heard_in(folded, known):
        return None
    folded = pack.corrected(folded, known)
    for rule in pack.emergencies:
        if rule.requires and not any(p.search(folded) for p in rule.requires):
            continue
        benign = [m.span() for p in rule.unless for m in p.finditer(folded)]
        for pattern in rule.patterns:
            for m in pattern.finditer(folded):
                if any(s < m.end() and m.start() < e for s, e in benign):
                    continue
                if not _negated(pack, folded, m.start()):
                    return rule.kind
    return None


class LanguageTurns:
    """The orchestrator's language step: `hear` before the specialist, `answer` instead of it."""

    def __init__(self, app: App, store: ConversationStore, handoff: HumanHandoff) -> None:
        self.app = app
        self.store = store
        self.handoff = handoff
        self.languages = app.languages
        self.detector = LanguageDetector(app.languages)

    def _emergency(self, folded: str) -> str | None:
        known = self.languages.base_words
        return next((k for p in self.languages.others if (k := find_emergency(p, folded, known))), None)

    def _raised(self, decision: RouteDecision, kind: str | None) -> RouteDecision:
        if not kind or decision.emergency or self.app.emergency_vertical is None:
            return decision
        return RouteDecision(self.app.emergency_vertical, 1.0, decision.latency_ms, emergency=True, reason=kind)

    def emergency_in(self, text: str) -> str | None:
        """The emergency another language's file finds in `text` (a held message), else None."""
        return self._emergency(fold(text)) if self.languages.others else None

    def with_emergencies(self, text: str, decision: RouteDecision) -> RouteDecision:
        """The router's verdict, raised to an emergency another language's file catches (posted call transcripts)."""
        return self._raised(decision, self._emergency(fold(text))) if self.languages.others else decision

    def glossed(self, text: str) -> str:
        """The text with other languages' glossary words in the base language, when it has any
        ("mi inodoro esta tapado, can you send someone" -> "my toilet is clogged, can you send
        someone"), for the router and the flows of a turn answered in the base language."""
        folded = fold(text)
        known = self.languages.base_words
        out = folded
        for pack in self.languages.others:
            if pack.glossary and pack.heard_in(folded, known):
                out = pack.glossed(out)
        return out if out != folded else text

    def _asked(self, folded: str) -> LanguagePack | None:
        """The language a message asks for by name ("do you speak Spanish?"), whatever it is written in."""
        return next((p for p in self.languages.others if any(a.search(folded) for a in p.ask)), None)

    def _greeted(self, folded: str) -> LanguagePack | None:
        """The language of a message that only greets ("hola", "buenos días, necesito ayuda"): its
        words are ones English speakers use too, so detection alone would answer it in English."""
        known = self.languages.base_words
        return next((p for p in self.languages.others if p.greets(folded, known)), None)

    async def language_of(self, text: str, current: str | None, *, in_flow: bool = False) -> str:
        """The language `text` is answered in, in a conversation so far in `current` (None: the base).

        The phone relay asks this before the turn too, to switch the call's voice in time.
        """
        if not self.languages.others:
            return self.languages.base
        if self.detector.needs_classifier(text) and not self.detector.classifier_loaded:
            await asyncio.to_thread(self.detector.classifier)  # seconds, once per process: not on the loop
        asked = self._asked(fold(text)) or self._greeted(fold(text))
        if asked is not None:
            return asked.code
        return self.detector.resolve(self.detector.detect(text), current, text, in_flow=in_flow)

    async def spoken_in(self, said: list[str], limit: int = 2_000) -> LanguagePack | None:
        """The language a finished call's caller spoke, when not the business's own (its first words)."""
        code = await self.language_of(" ".join(said)[:limit], None)
        return self.languages.get(code) if code != self.languages.base else None

    def locale(self, code: str) -> str | None:
        """The voice locale (es-US) of a language, from its file."""
        pack = self.languages.get(code)
        return pack.voice_locale if pack else None

    async def hear(self, session: SessionRecord, text: str, decision: RouteDecision) -> Heard:
        """Decide the turn's language (recording it on the session when it changes) and what it reports."""
        base = self.languages.base
        if not self.languages.others:
            return Heard(language=base, pack=None, decision=decision)
        folded = fold(text)
        language = await self.language_of(text, session.language, in_flow=session.active_agent is not None)
        asked = self._asked(folded)
        known = self.languages.base_words
        kind = self._emergency(folded)
        greeted = self._greeted(folded) if language != base else None
        # a bare "hola" is answered in Spanish but doesn't switch the conversation: "hi" next is English
        if language != (session.language or base) and not (greeted and greeted.code == language and not kind):
            await self.store.set_session_language(session.id, language)
            log.info("language.switched", session_id=session.id, language=language, was=session.language)
        decision = self._raised(decision, kind)
        pack = self.languages.get(language) if language != base else None
        if pack is None:
            return Heard(language=language, pack=None, decision=decision, emergency=kind)
        kind = decision.reason if decision.emergency else None
        spoken = self._spoken(pack, session, folded, decision, asked is not None)
        if spoken is not None:
            log.info("language.spoken_flow", session_id=session.id, language=pack.code, agent=spoken.vertical)
            return Heard(language=language, pack=None, decision=spoken, spoken=pack)
        if not decision.emergency and self.app.human_handoff_tool:  # their people answer: the handoff's agent
            owner = next(
                a for a in self.app.agents.values() if any(t.name == self.app.human_handoff_tool for t in a.tools)
            )
            decision = replace(decision, vertical=owner.vertical)
        person = asked is not None or asks_for_person(pack, folded, known)
        greeting = not person and pack.greets(folded, known)
        return Heard(
            language=language,
            pack=pack,
            decision=decision,
            emergency=kind or None,
            person=person,
            greeting=greeting,
            text=text,
        )

    def _spoken(
        self, pack: LanguagePack, session: SessionRecord, folded: str, decision: RouteDecision, asked: bool
    ) -> RouteDecision | None:
        """The decision for a request the file lets the flows answer in the language ("necesito cambiar
        mi cita del martes 8"), or a short answer to that flow's open question; else None (its people)."""
        flows, known = pack.flows, self.languages.base_words
        if flows is None or decision.emergency or asked or flows.agent not in self.app.agents:
            return None
        corrected = pack.corrected(folded, known)
        if asks_for_person(pack, folded, known) or pack.greets(folded, known):
            return None
        starts = flows.asks(folded) or flows.asks(corrected)
        if not (starts or (session.active_agent == flows.agent and flows.answers(folded))):
            return None
        vertical = self.app.agents[flows.agent].vertical
        return replace(decision, vertical=vertical, confidence=1.0, reason="spoken flow")

    async def served(self, heard: Heard, session: SessionRecord, result: SpecialistResult, vertical: str) -> None:
        """After a turn the flows served in the base language with the business's tools, a handoff to another
        language's people that nobody took yet is closed, with the reason ("cuanto debo?", then "ok in english
        then, how much do i owe" answered at once: the Spanish speaker would join a finished conversation).
        Only a served request counts: a "hello??" while waiting, a failure or a new handoff leaves it open."""
        queues = self.languages.queues
        if not queues or heard.pack is not None or heard.spoken is not None or heard.language != self.languages.base:
            return
        served = [r for r in result.tool_results if "handoff_id" not in r]  # a handoff's own status serves nothing
        if result.human is not None or result.outcome == "error" or not served:
            return
        if vertical == self.app.fallback_vertical:
            return
        base = self.languages.get(self.languages.base)
        language = base.name if base else self.languages.base
        reason = f"withdrawn: the {self.app.customer_noun} switched to {language} and the assistant served them"
        closed = await withdraw_waiting(self.store.pool, session.id, queues, reason)
        if closed:
            log.info("language.handoff_withdrawn", session_id=session.id, handoffs=closed, language=language)

    def flows_read(self, heard: Heard, text: str, glossed: str) -> str:
        """What the flows read of a turn: `glossed` when answered in the base language, the words and dates
        of a request they answer in another language in the base's (spoken.py), else the text as said."""
        pack = heard.spoken
        if pack is None or pack.flows is None:
            return glossed if heard.pack is None else text
        return pack.glossed(pack.flows.rewritten(fold(text)))  # uncorrected: "claro" is no slip of "carro"

    @staticmethod
    def spoken_reply(heard: Heard, text: str) -> str:
        """The flow's reply in the turn's language, as far as the file's phrasebook goes."""
        pack = heard.spoken
        return pack.flows.translate(text) if pack is not None and pack.flows is not None else text

    async def answer(
        self, heard: Heard, session: SessionRecord, ctx: HandoffContext, turn_id: int, agent: str
    ) -> SpecialistResult | None:
        """The reply and handoff of a turn in another language; None when the flows answer it."""
        pack = heard.pack
        if pack is None or pack.replies is None or pack.queue is None or not self.handoff.available:
            return None
        replies, line = pack.replies, self.app.emergency_line or "911"
        said = ctx.summary.rsplit(" / ", 1)[-1][:200]
        emergency_queue = self.app.emergency_queue
        prior = await self.store.latest_human_handoff(session.id)
        open_queue = prior["queue"] if prior and prior.get("status") in ("waiting", "held") else None
        if open_queue == emergency_queue and prior and pack.follow_up and pack.follow_up.replies:
            return await self._follow_up(heard, pack, session, ctx, turn_id, agent, prior)
        if heard.emergency:
            kind = heard.emergency
            text = replies.emergency.format(safety=pack.safety(kind), line=line)
            reason = f"Emergency reported ({kind.replace('_', ' ')}) in {pack.name}: {said}"
            request = HumanHandoffRequest(emergency_queue, Priority.URGENT, ctx.summary, reason)
        else:
            if open_queue == emergency_queue:
                found = _KIND_IN_REASON.match(str(prior and prior.get("reason") or ""))
                kind = found.group(1).replace(" ", "_") if found else "default"
                text = replies.emergency_waiting.format(safety=pack.safety(kind), line=line)
                reason = f"Emergency ({kind.replace('_', ' ')}) follow-up in {pack.name}: {said}"
                request = HumanHandoffRequest(emergency_queue, Priority.URGENT, ctx.summary, reason)
            elif heard.greeting and replies.greeting and open_queue is None:
                # "hola": nothing to hand over yet; hello, what we do, and how to reach their people
                log.info("language.greeted", session_id=session.id, language=pack.code)
                return SpecialistResult(text=replies.greeting.format(line=line), done=True, outcome="language")
            else:
                topic = None if heard.person else pack.topic(pack.corrected(fold(said), self.languages.base_words))
                if open_queue == pack.queue:
                    text = replies.waiting.format(line=line)
                elif heard.person:
                    text = replies.person
                elif topic is not None and replies.other_topic:
                    text = replies.other_topic.format(topic=topic.said)
                else:
                    text = replies.other
                why = "asked for a person" if heard.person else f"needs help ({topic.staff})" if topic else "needs help"
                reason = f"{pack.name}-speaking {self.app.customer_noun} {why}: {said}"
                urgency = Priority.HIGH if topic is not None and topic.priority == "high" else Priority.NORMAL
                request = HumanHandoffRequest(pack.queue, urgency, ctx.summary, reason)
        return await self._handed(heard, pack, session, request, turn_id, agent, text)

    async def _handed(
        self,
        heard: Heard,
        pack: LanguagePack,
        session: SessionRecord,
        request: HumanHandoffRequest,
        turn_id: int,
        agent: str,
        text: str,
        *,
        reference: bool = True,
    ) -> SpecialistResult:
        """`request` handed over and `text` with its ticket's reference; the line when no person can be reached."""
        assert pack.replies is not None
        replies, line = pack.replies, self.app.emergency_line or "911"
        try:  # handed over here so the reference is in their language; the orchestrator's call replays it
            out = await self.handoff.hand_over(
                request,
                session_id=session.id,
                customer_id=session.customer_id,
                turn_id=turn_id,
                agent=agent,
                idempotency_key=f"turn{turn_id}:human",
            )
        except ToolError as exc:
            log.error("language.handoff_failed", session_id=session.id, error=str(exc))
            unavailable = replies.unavailable.format(line=line)
            if heard.emergency:  # the safety steps first, whoever could be reached (red-team F13)
                unavailable = f"{pack.safety(heard.emergency)}. {unavailable}"
            return SpecialistResult(text=unavailable, done=True, outcome="error")
        ticket = (out or {}).get("ticket_id")
        if ticket and reference:
            text = f"{text} {replies.reference.format(ticket=ticket)}"
        log.info("language.answered", session_id=session.id, language=pack.code, queue=request.queue)
        return SpecialistResult(text=text, done=True, human=request, outcome="language")

    def _follow_up_asks(self, pack: LanguagePack, heard: Heard) -> tuple[Ask | None, bool]:
        """What a follow-up asks (by its file's cues, then the base file's on the glossed text for a message
        that mixes the base language in), and whether it also thanks."""
        known, folded = self.languages.base_words, fold(heard.text)
        said = (folded, pack.corrected(folded, known))
        base = self.languages.get(self.languages.base)
        cues = [(c, t) for c in (pack.follow_up,) if c for t in said]
        if base is not None and base.follow_up is not None:
            cues.append((base.follow_up, fold(self.glossed(heard.text))))
        asked = next((a for c, t in cues if (a := c.asked(t))), None)
        return asked, any(c.thanks(t) for c, t in cues)

    async def _follow_up(
        self,
        heard: Heard,
        pack: LanguagePack,
        session: SessionRecord,
        ctx: HandoffContext,
        turn_id: int,
        agent: str,
        prior: dict[str, Any],
    ) -> SpecialistResult:
        """A message while the emergency handoff is open: the answer to what it asks, as the English flow
        gives it (agents/emergency_follow_up.py), not the first safety script again; a new or worse report
        or a request for a person goes on the same urgent ticket."""
        assert pack.follow_up is not None and pack.follow_up.replies is not None
        replies, line = pack.follow_up.replies, self.app.emergency_line or "911"
        found = _KIND_IN_REASON.match(str(prior.get("reason") or ""))
        kind = heard.emergency or (found.group(1).replace(" ", "_") if found else "default")
        asked, thanked = self._follow_up_asks(pack, heard)
        said = ctx.summary.rsplit(" / ", 1)[-1][:200]
        if heard.emergency or heard.person or asked == "report":
            what = "asked for a person" if heard.person and not heard.emergency else "update"
            reason = f"Emergency ({kind.replace('_', ' ')}) {what} in {pack.name}: {said}"
            request = HumanHandoffRequest(self.app.emergency_queue, Priority.URGENT, ctx.summary, reason)
            if heard.person and not heard.emergency:
                text = person_answer(replies, kind, line)
            else:
                text = answer(replies, "report", kind, ticket=None, handoff="", line=line, thanked=False)
            return await self._handed(heard, pack, session, request, turn_id, agent, text)
        text = answer(
            replies,
            asked,
            kind,
            ticket=prior.get("ticket_id"),
            handoff=str(prior.get("status") or ""),
            line=line,
            thanked=thanked,
        )
        log.info("language.follow_up", session_id=session.id, language=pack.code, asked=asked or "steps")
        return SpecialistResult(text=text, done=True, outcome="language")
