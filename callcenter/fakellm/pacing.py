"""Modelled speed of the fake provider: time to first token and output tokens per second, per tier.

The figures are modelled, not measured: round numbers in the range public latency
dashboards report for small, mid and frontier models in 2025–26 (a small model answers
first and streams fastest). They exist so that streaming is visible in tests, benches and
eval latencies — a reply of several sentences arrives over a second or more, not at once —
and every report that uses them says they are modelled.

`scale` multiplies all of it: 0 is instant (the default for tests), 1 is modelled real
time (`callcenter fake-llm`'s default), 0.1 ten times faster (the evals' default).
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.fakellm.modelled import model_tier

TTFT_S: dict[int, float] = {1: 0.35, 2: 0.7, 3: 1.2}
"""Modelled time to first token, by tier (1 small, 2 mid, 3 frontier)."""
TOKENS_PER_S: dict[int, float] = {1: 160.0, 2: 80.0, 3: 50.0}
"""Modelled output speed, by tier."""


@dataclass(frozen=True)
class Pace:
    scale: float = 0.0

    def ttft_s(self, model: str) -> float:
        return TTFT_S[model_tier(model)] * self.scale

    def token_s(self, model: str) -> float:
        """Seconds between two output tokens."""
        return self.scale / TOKENS_PER_S[model_tier(model)]

    def total_s(self, model: str, output_tokens: int) -> float:
        """How long the whole answer takes when not streamed."""
        return self.ttft_s(model) + output_tokens * self.token_s(model)
