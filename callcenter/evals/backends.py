"""Which specialist backend and routing policy an eval trial runs, and the difficulty it is told.

`local` is the deterministic flows; the model policies run the product's tier policies, offline
against the fake provider's modelled tiers, each turn's difficulty taken from the scenario label.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import replace

from callcenter.providers.client import CallContext
from callcenter.routing.router import Router
from callcenter.specialists.seam import SpecialistTurn
from callcenter.specialists.tier_policy import POLICIES
from callcenter.types import RouteDecision

LOCAL = "local"
MODEL_POLICIES = tuple(POLICIES)
ALL_POLICIES = (LOCAL, *MODEL_POLICIES)

# The labelled difficulty of the turn being handled, per scenario task (contextvars follow asyncio tasks).
TURN_DIFFICULTY: contextvars.ContextVar[float | None] = contextvars.ContextVar("eval_turn_difficulty", default=None)


def base_policy(name: str) -> str:
    """`routed#t0.5-e1` -> `routed`: calibration runs variants of a policy side by side."""
    return name.split("#", 1)[0]


class LabelledDifficultyRouter:
    """The product's router, with each turn's difficulty taken from the scenario's label when
    the router predicts none (no difficulty model configured) — or always, with `force`.

    The label is also what the fake provider uses as the turn's true difficulty, so this is
    the routed policy with a perfect difficulty predictor; `--difficulty model` measures the
    trained predictor instead, `none` routes without difficulty.
    """

    def __init__(self, inner: Router, *, mode: str = "auto") -> None:
        self.inner = inner
        self.mode = mode

    async def route(
        self, text: str, history: Sequence[tuple[str, str]] = (), context: CallContext | None = None
    ) -> RouteDecision:
        decision = await self.inner.route(text, history, context=context)
        label = TURN_DIFFICULTY.get()
        if self.mode == "none":
            return replace(decision, difficulty=None)
        if self.mode == "labels" or (self.mode == "auto" and decision.difficulty is None):
            return replace(decision, difficulty=label)
        return decision


def labelled_difficulty(turn: SpecialistTurn) -> float | None:
    return TURN_DIFFICULTY.get()
