"""Prompt caching as the two providers do it, simulated: which part of a prompt is read from cache.

Anthropic caches explicit breakpoints (prefixes over a per-model minimum); OpenAI caches
automatically, by the longest common prefix of recent prompts with the same routing key.
"""

from __future__ import annotations

import hashlib

from callcenter.fakellm.prompt import CHARS_PER_TOKEN, Prompt

OPENAI_CACHE_MIN_TOKENS = 1024
OPENAI_CACHE_INCREMENT = 128
_OPENAI_PROMPTS_KEPT = 32  # previous prompts remembered per cache key


def anthropic_cache_min_tokens(model: str) -> int:
    """Shortest prefix Anthropic will cache for this model (its published table)."""
    m = model.lower()
    if "haiku-4" in m or "opus-4-5" in m or "opus-4-6" in m:
        return 4096
    if "haiku" in m or "opus-4-7" in m:
        return 2048
    return 1024


class PromptCache:
    """The prefixes one fake server has seen, per model; lives as long as its server."""

    def __init__(self) -> None:
        self._anthropic: set[tuple[str, bytes]] = set()
        self._openai: dict[tuple[str, str], list[str]] = {}

    def clear(self) -> None:
        self._anthropic.clear()
        self._openai.clear()

    def anthropic(self, prompt: Prompt) -> tuple[int, int]:
        """Explicit breakpoints: the longest already-cached breakpoint prefix is read,
        the rest up to the last breakpoint is written. Prefixes under the model's minimum
        are not cached at all."""
        minimum = anthropic_cache_min_tokens(prompt.model)
        h = hashlib.sha256()
        chars = 0
        boundaries: list[tuple[int, bytes, bool]] = []  # (tokens, prefix hash, is breakpoint)
        for seg in prompt.segments:
            h.update(seg.text.encode("utf-8"))
            h.update(b"\x00")
            chars += len(seg.text)
            boundaries.append((chars // CHARS_PER_TOKEN, h.copy().digest(), seg.breakpoint))
        points = [(t, d) for t, d, bp in boundaries if bp and t >= minimum]
        if not points:
            return 0, 0
        last_tokens, last_digest = points[-1]
        read = 0
        for tokens, digest, _bp in boundaries:
            if tokens > last_tokens:
                break
            if (prompt.model, digest) in self._anthropic:
                read = max(read, tokens)
        for _tokens, digest in points:
            self._anthropic.add((prompt.model, digest))
        if read >= last_tokens:
            return last_tokens, 0
        return read, last_tokens - read

    def openai(self, prompt: Prompt, total_tokens: int) -> int:
        """Automatic caching: prompts of 1024+ tokens sharing a routing key (prompt_cache_key
        or the first 1024 tokens) reuse the longest common prefix, in 128-token steps."""
        if total_tokens < OPENAI_CACHE_MIN_TOKENS:
            return 0
        text = prompt.text
        key = (
            prompt.cache_key
            or hashlib.sha256(text[: OPENAI_CACHE_MIN_TOKENS * CHARS_PER_TOKEN].encode("utf-8")).hexdigest()
        )
        seen = self._openai.setdefault((prompt.model, key), [])
        best = max((_common_prefix_len(text, prev) for prev in seen), default=0)
        seen.append(text)
        del seen[:-_OPENAI_PROMPTS_KEPT]
        tokens = best // CHARS_PER_TOKEN
        if tokens < OPENAI_CACHE_MIN_TOKENS:
            return 0
        return min(total_tokens, tokens - tokens % OPENAI_CACHE_INCREMENT)


def _common_prefix_len(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    # Compare in blocks first: prompts share long prefixes.
    step = 256
    while i + step <= n and a[i : i + step] == b[i : i + step]:
        i += step
    while i < n and a[i] == b[i]:
        i += 1
    return i
