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

    def stream_s(self, model: str, output_tokens: int, first_tokens: int) -> tuple[float, float]:
        """Seconds from the request to the `first_tokens`-th output token and to the last one, streamed.

        The first token comes after the time to first token, token k (from 0) k intervals later.
        """
        first = self.ttft_s(model) + (max(1, first_tokens) - 1) * self.token_s(model)
        return first, self.ttft_s(model) + (max(1, output_tokens) - 1) * self.token_s(model)


def first_sentence_share(model: str, reply_tokens: int, first_tokens: int, before_s: float = 0.0) -> float:
    """The share of the time to the final message at which a reply's first sentence can be sent, at
    modelled real time: the first sentence is complete at its `first_tokens`-th token, the reply at its
    last; `before_s` is the turn's own work before the model request (it counts in both times).

    With no work after the last token and none between a token and its delta, this is the floor of
    any sentence streaming: (350 + 5 x 6.25) / (350 + 74 x 6.25) = 47 % for a 75-token Haiku reply
    whose first sentence is 6 tokens. In token intervals (T = (TTFT + before_s) / interval: 56 for
    Haiku and Sonnet, 60 for Opus, with nothing before), 40 % needs reply - 1 >= 1.5 T + 2.5 (first - 1).
    """
    first, last = Pace(1.0).stream_s(model, reply_tokens, first_tokens)
    return (before_s + first) / (before_s + last)
