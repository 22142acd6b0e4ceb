"""The fake provider's neutral view of a request and a reply, independent of either wire format.

Both wire modules translate into `Prompt` and out of `Completion`; token counts are ~4
characters per token everywhere, so usage, caching and streaming agree.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callcenter.fakellm.script import ToolCall
from callcenter.types import Usage

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class PromptSegment:
    """One cacheable unit of the prompt, in prefix order (tools, system, messages).
    `breakpoint` marks an Anthropic `cache_control` on this unit."""

    text: str
    breakpoint: bool = False


@dataclass(frozen=True)
class Prompt:
    """What the modelled behaviour needs from a request, independent of the wire format."""

    api: str  # "anthropic" | "openai"
    model: str
    segments: tuple[PromptSegment, ...]
    fingerprint: str  # canonical request, without streaming options
    required_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # tool -> required args
    max_tokens: int | None = None
    cache_key: str | None = None  # OpenAI prompt_cache_key
    want_logprobs: bool = False
    top_logprobs: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Completion:
    """A resolved model turn, ready for either wire format. `stop` is neutral:
    "end" | "tool" | "length" | "stop_sequence" | "refusal"."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    stop: str
    usage: Usage
    tokens: tuple[str, ...]  # the text as output tokens (stream chunks, logprob units)
    logprobs: tuple[float, ...] | None  # one per token, or None when not offered
    delay_s: float = 0.0
    ttft_s: float = 0.0
    token_s: float = 0.0  # pause before each streamed output token (see pacing.py)


def count_tokens(text: str) -> int:
    """~4 characters per token; any non-empty text is at least one token."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def split_tokens(text: str, n: int | None = None) -> tuple[str, ...]:
    """The text as output tokens: 4-character pieces, or exactly `n` near-equal pieces."""
    if n is None:
        return tuple(text[i : i + CHARS_PER_TOKEN] for i in range(0, len(text), CHARS_PER_TOKEN))
    if n <= 0:
        return ()
    q, r = divmod(len(text), n)
    out: list[str] = []
    pos = 0
    for i in range(n):
        size = q + (1 if i < r else 0)
        out.append(text[pos : pos + size])
        pos += size
    return tuple(out)


def canonical_fingerprint(body: Mapping[str, Any]) -> str:
    """The request as canonical JSON, minus options that only change delivery (or, like cache
    diagnostics' previous message id, depend on what ran before)."""
    kept = {k: v for k, v in body.items() if k not in ("stream", "stream_options", "diagnostics")}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), default=str)
