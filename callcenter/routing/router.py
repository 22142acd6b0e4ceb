"""The Tier-1 router seam: text (and the conversation so far) in, a `RouteDecision` out.

`LocalRouter` is the offline default: emergency rules first (they never wait for a model),
then the local classifier trained from the agents' example utterances.

Routing is CPU work, so it must not hold the event loop: the classifier and the difficulty
model read only the first ROUTE_PREFIX_CHARS of each text (what a message is about shows at its
start), the emergency rules read all of it (a gas smell may come last), and anything longer
than INLINE_CHARS is decided in a worker thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from callcenter.providers.client import CallContext
from callcenter.routing.classifier import VerticalClassifier
from callcenter.routing.difficulty import DifficultyModel
from callcenter.routing.emergency import detect_emergency
from callcenter.types import RouteDecision, Vertical

ROUTE_PREFIX_CHARS = 2_000


def clip_long_text(text: str, limit: int) -> str:
    """What the flows, the glue and the verifier read of a message: all of it, or its head and tail.

    A 10,000-character paste costs every regex in the turn five times a 2,000-character one, on
    the event loop, while what it asks shows at its start or its end (red-team F4: 18 sockets of
    such pastes took another customer's turn from 30 ms to 4 s). The stored message keeps every
    character, and the emergency rules still read all of it (LocalRouter.decide).
    """
    if len(text) <= limit:
        return text
    head = limit * 4 // 5
    return text[:head] + " … " + text[len(text) - (limit - head) :]


INLINE_CHARS = 1_000


class Router(Protocol):
    async def route(
        self, text: str, history: Sequence[tuple[str, str]] = (), context: CallContext | None = None
    ) -> RouteDecision:
        """The turn's vertical. `context` names the session and turn a model call made for it belongs to."""
        ...


class LocalRouter:
    def __init__(
        self,
        classifier: VerticalClassifier,
        emergency_terms: Sequence[str] = (),
        difficulty: DifficultyModel | None = None,
        min_confidence: float | None = None,
        emergency_vertical: Vertical | None = None,
        slips: Callable[[str], str] | None = None,
    ) -> None:
        self.classifier = classifier
        self.slips = slips  # fixes typed slips in danger words (routing/emergency_slips.py)
        self.emergency_terms = tuple(emergency_terms)
        self.emergency_vertical = emergency_vertical  # None: the business takes no emergencies
        self.difficulty = difficulty
        self.min_confidence = min_confidence

    def decide(self, text: str, history: Sequence[tuple[str, str]] = ()) -> RouteDecision:
        started = time.perf_counter()
        if self.emergency_vertical is not None:
            kind = self.emergency_kind(text)
            if kind:
                elapsed = (time.perf_counter() - started) * 1000
                return RouteDecision(self.emergency_vertical, 1.0, elapsed, emergency=True, reason=kind)
        head = text[:ROUTE_PREFIX_CHARS]
        decision = self.classifier.predict(head, self.min_confidence)
        score = None
        if self.difficulty is not None:
            said = [t[:ROUTE_PREFIX_CHARS] for role, t in history if role == "user"][-4:]
            score = self.difficulty.score(head, said)
        return replace(decision, latency_ms=(time.perf_counter() - started) * 1000, difficulty=score)

    def emergency_kind(self, text: str) -> str | None:
        """The emergency the rules find in `text` (typed slips in danger words fixed), else None."""
        kind = self._emergency(text)
        if kind is None and self.slips is not None:
            fixed = self.slips(text)
            kind = self._emergency(fixed) if fixed != text.lower() else None
        return kind

    def _emergency(self, text: str) -> str | None:
        return detect_emergency(text, self.emergency_terms) if self.emergency_terms else detect_emergency(text)

    async def route(
        self, text: str, history: Sequence[tuple[str, str]] = (), context: CallContext | None = None
    ) -> RouteDecision:
        recent = [(role, t) for role, t in history][-8:]
        if len(text) + sum(len(t) for _, t in recent) <= INLINE_CHARS:
            return self.decide(text, recent)
        return await asyncio.to_thread(self.decide, text, recent)
