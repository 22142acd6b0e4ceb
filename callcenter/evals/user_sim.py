"""The user side of a conversation: scripted turns, a rule-based simulator, or an LLM playing the user.

All three answer the same question — "given the agent's last reply, what does the user say
next, or are they done?" — so the runner does not care which one it drives. The rule-based
simulator is deterministic (CI needs that); the LLM one follows τ-bench's user simulator: a
system prompt with the goal and the facts, and a stop token when the goal is met.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from callcenter.evals.scenario import Scenario, SimulatedUser
from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.client import ModelClient
from callcenter.types import StepType, Tier

STOP_TOKEN = "###STOP###"
GREETING = "Hello, how can I help?"
_NUMBERED = re.compile(r"(?m)^\s*1[.)]\s")
_YES_NO = re.compile(
    r"\b(shall i|should i|do you want me to|would you like me to|want me to|go ahead|confirm|is that right|"
    r"okay to|ok to|proceed)\b[^?]*\?",
    re.I,
)


_OPEN_WORDS = re.compile(r"^\W*(which|what|how|when|where|who|why|or)\b", re.I)


def _closed_question(reply: str) -> bool:
    """The reply ends on a yes/no question ("Pay $120.00 with Visa ending 4242?")."""
    text = reply.strip()
    if not text.endswith("?"):
        return False
    last = re.split(r"(?<=[.!?])\s+", text)[-1]
    return not _OPEN_WORDS.search(last)


@dataclass(frozen=True)
class UserTurn:
    text: str
    difficulty: float


class UserSimulator(Protocol):
    async def next_turn(self, agent_reply: str | None) -> UserTurn | None:
        """The next user message after `agent_reply` (None before the first turn), or None when done."""
        ...


@dataclass
class ScriptedUser:
    scenario: Scenario
    _index: int = 0

    async def next_turn(self, agent_reply: str | None) -> UserTurn | None:
        turns = self.scenario.user.turns or []
        if self._index >= len(turns):
            return None
        turn = turns[self._index]
        self._index += 1
        return UserTurn(turn.text, self.scenario.turn_difficulty(turn))


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text, re.I) is not None
    except re.error:
        return pattern.lower() in text.lower()


@dataclass
class RuleBasedUser:
    """Answers what it is asked from its facts; otherwise confirms, picks the first option, or stops.

    Order of rules for each agent reply: stop pattern -> a known fact whose pattern the reply
    matches (and that was not given already) -> an unknown fact the agent asks about ("I don't
    know") -> a yes/no confirmation ("yes") -> numbered options ("the first one") -> done.
    """

    scenario: Scenario
    spec: SimulatedUser
    turns: int = 0
    used: set[str] = field(default_factory=set)

    def _difficulty(self) -> float:
        return self.spec.difficulty if self.spec.difficulty is not None else self.scenario.difficulty

    def reply_to(self, agent_reply: str | None) -> str | None:
        if agent_reply is None:
            return self.spec.opening or self.spec.goal
        if any(_matches(p, agent_reply) for p in self.spec.stop_when):
            return None
        for pattern, answer in self.spec.known_facts.items():
            if pattern not in self.used and _matches(pattern, agent_reply):
                self.used.add(pattern)
                return answer
        for topic in self.spec.unknown_facts:
            if _matches(topic, agent_reply) and "?" in agent_reply:
                return "I'm not sure, I don't know that."
        if _YES_NO.search(agent_reply) or _closed_question(agent_reply):
            return "Yes, please."
        if _NUMBERED.search(agent_reply):
            return "The first one, please."
        return None

    async def next_turn(self, agent_reply: str | None) -> UserTurn | None:
        if self.turns >= self.spec.max_turns:
            return None
        text = self.reply_to(agent_reply)
        if text is None:
            return None
        self.turns += 1
        return UserTurn(text, self._difficulty())


DEFAULT_PERSONA = "You are a customer contacting a company's help line by chat."
"""Who the LLM plays when the business gives no `EVAL_USER_PERSONA` in its agents module."""


def user_system_prompt(spec: SimulatedUser, persona: str = DEFAULT_PERSONA) -> str:
    known = "\n".join(f"- when asked about {k!r}: {v}" for k, v in spec.known_facts.items()) or "- (none)"
    unknown = "\n".join(f"- {u}" for u in spec.unknown_facts) or "- (none)"
    return (
        f"{persona} Play the customer, never the agent. Write one short message at a time, in your own words.\n"
        f"Your goal: {spec.goal}\n"
        f"Facts you know (give them only when asked):\n{known}\n"
        f"Facts you do not know (say you don't know if asked):\n{unknown}\n"
        f"When your goal is met, or it clearly cannot be met, reply with exactly {STOP_TOKEN}."
    )


@dataclass
class LLMUser:
    """An LLM plays the customer through the provider layer (live runs with keys only)."""

    scenario: Scenario
    spec: SimulatedUser
    client: ModelClient
    tier: Tier = Tier.MID
    persona: str = DEFAULT_PERSONA
    transcript: list[ChatMessage] = field(default_factory=list)
    turns: int = 0

    async def next_turn(self, agent_reply: str | None) -> UserTurn | None:
        if self.turns >= self.spec.max_turns:
            return None
        difficulty = self.spec.difficulty if self.spec.difficulty is not None else self.scenario.difficulty
        if agent_reply is None and self.spec.opening:
            text = self.spec.opening
            # Anthropic wants the first message from the "user" (here: the agent's greeting).
            self.transcript.append(ChatMessage(role="user", text=GREETING))
        else:
            # Roles are mirrored: the agent's words are the "user" message of the simulator.
            self.transcript.append(ChatMessage(role="user", text=agent_reply or GREETING))
            request = ModelRequest(
                system=user_system_prompt(self.spec, self.persona),
                messages=list(self.transcript),
                step_type=StepType.USER_SIMULATION,
                agent="user-simulator",
            )
            response = await self.client.complete(request, self.tier)
            text = response.text.strip()
        if not text or STOP_TOKEN in text:
            return None
        self.transcript.append(ChatMessage(role="assistant", text=text))
        self.turns += 1
        return UserTurn(text, difficulty)


def make_user(scenario: Scenario, *, llm: ModelClient | None = None, persona: str | None = None) -> UserSimulator:
    """The scenario's customer: its scripted turns, an LLM playing `persona` (the business's
    `EVAL_USER_PERSONA`), or rules over the scenario's facts."""
    sim = scenario.user.simulated
    if sim is None:
        return ScriptedUser(scenario)
    if llm is not None:
        return LLMUser(scenario, sim, llm, persona=persona or DEFAULT_PERSONA)
    return RuleBasedUser(scenario, sim)
