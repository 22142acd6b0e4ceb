"""Modelled behaviour of the fake provider: what a model "does" when no reply is scripted.

Everything is deterministic given (seed, request): token counts come from text length,
prompt caching from an in-memory cache of prefixes this server has seen, and whether the
model gets the turn right from a hash-seeded draw against the model's competence. That is
enough for routing, cost and verifier code to be exercised end to end without a provider.

Success rule (documented because eval tests depend on it)::

    skill      = 0.45 (tier 1: haiku/mini/nano), 0.70 (tier 2: sonnet, gpt-5),
                 0.88 (tier 3: opus, *-pro), 0.65 otherwise
    p_success  = 1 / (1 + exp(12 * (difficulty - skill)))
    success    = u < p_success,  u = uniform[0,1) from sha256(seed, model, request fingerprint)

A model is reliable on work below its skill and unreliable above it, the shape routing
studies report (a cheap model matches a frontier one on easy steps and collapses on hard
ones): at difficulty 0.1 tier 1 succeeds 98 % of the time, at 0.5 only 35 %; tier 3 stays
above 99 % up to 0.5 and falls to 73 % at 0.8.

`difficulty` comes from the `x-fake-difficulty` header (0..1, default 0.3); the request
fingerprint is the canonical JSON body without its streaming options, so a streamed and a
non-streamed copy of one request get the same answer.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from callcenter.fakellm.failures import HEDGE_TEXT, fail_reply, fail_tool_step
from callcenter.fakellm.oracle import Oracle
from callcenter.fakellm.prompt import CHARS_PER_TOKEN, Completion, Prompt, count_tokens, split_tokens
from callcenter.fakellm.prompt_cache import PromptCache
from callcenter.fakellm.script import Reply, ToolCall
from callcenter.types import Usage

DEFAULT_DIFFICULTY = 0.3
DEFAULT_TEXT = "OK."


_STOP_ALIASES = {
    "end_turn": "end",
    "stop": "end",
    "end": "end",
    "tool_use": "tool",
    "tool_calls": "tool",
    "tool": "tool",
    "max_tokens": "length",
    "length": "length",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
    "content_filter": "refusal",
}


def neutral_stop(stop_reason: str | None, has_tool_calls: bool) -> str:
    """Either API's stop vocabulary -> the neutral one; None -> natural default."""
    if stop_reason is None:
        return "tool" if has_tool_calls else "end"
    try:
        return _STOP_ALIASES[stop_reason]
    except KeyError:
        raise ValueError(f"unknown stop_reason {stop_reason!r}") from None


# --------------------------------------------------------------------------- model table


def model_tier(model: str) -> int:
    """1 = small (haiku/mini/nano), 3 = frontier (opus, *-pro), 2 = everything else."""
    m = model.lower()
    if any(w in m for w in ("haiku", "mini", "nano")):
        return 1
    if "opus" in m or "-pro" in m:
        return 3
    return 2


def competence(model: str) -> float:
    """The difficulty at which the model succeeds half the time."""
    m = model.lower()
    tier = model_tier(m)
    if tier == 1:
        return 0.45
    if tier == 3:
        return 0.88
    if "sonnet" in m or m.startswith("gpt-5"):
        return 0.70
    return 0.65


SKILL_SLOPE = 12.0


def success_probability(model: str, difficulty: float) -> float:
    d = min(1.0, max(0.0, difficulty))
    return 1.0 / (1.0 + math.exp(SKILL_SLOPE * (d - competence(model))))


def base_latency_s(model: str) -> float:
    return {1: 0.005, 2: 0.01, 3: 0.02}[model_tier(model)]


def supports_logprobs(model: str) -> bool:
    m = model.lower()
    return not (m.startswith("claude") or m.startswith("gpt-5"))


def output_tokens(text: str, tool_calls: Sequence[ToolCall]) -> int:
    body = text + "".join(c.name + c.arguments_json() for c in tool_calls)
    return max(1, count_tokens(body))


def _digest(*parts: str) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.digest()


def uniform(*parts: str) -> float:
    """A deterministic draw in [0, 1) from the given strings."""
    return int.from_bytes(_digest(*parts)[:8], "big") / 2.0**64


# --------------------------------------------------------------------------- behaviour


class ModelledBehaviour:
    """Token counting, prompt caching and success/failure for unscripted requests.

    Holds the prompt caches, so one instance lives as long as its server.
    """

    def __init__(self, seed: int = 0, latency_scale: float = 1.0) -> None:
        self.seed = seed
        self.latency_scale = latency_scale
        self.cache = PromptCache()

    def reset(self) -> None:
        self.cache.clear()

    # ---- caching --------------------------------------------------------------------

    def input_usage(self, prompt: Prompt) -> Usage:
        """Input side of usage (output_tokens=0), updating the prompt cache."""
        total = count_tokens(prompt.text)
        if prompt.api == "anthropic":
            read, write = self.cache.anthropic(prompt)
        else:
            read, write = self.cache.openai(prompt, total), 0
        return Usage(input_tokens=max(0, total - read - write), cache_read_tokens=read, cache_write_tokens=write)

    # ---- replies --------------------------------------------------------------------

    def scripted(self, prompt: Prompt, reply: Reply) -> Completion:
        """A scripted reply with modelled usage, overridden by `reply.usage` keys."""
        calls = tuple(reply.tool_calls)
        usage = self.input_usage(prompt)
        counts = {
            "input_tokens": usage.input_tokens,
            "output_tokens": output_tokens(reply.text, calls),
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        }
        for k, v in (reply.usage or {}).items():
            if k not in counts:
                raise ValueError(f"unknown usage key {k!r}; use {sorted(counts)}")
            counts[k] = int(v)
        if reply.logprobs is not None:
            tokens = split_tokens(reply.text, len(reply.logprobs))
            logprobs: tuple[float, ...] | None = tuple(reply.logprobs)
        else:
            tokens, logprobs = split_tokens(reply.text), None
        return Completion(
            text=reply.text,
            tool_calls=calls,
            stop=neutral_stop(reply.stop_reason, bool(calls)),
            usage=Usage(**counts),
            tokens=tokens,
            logprobs=logprobs,
            delay_s=reply.delay_s,
            ttft_s=reply.ttft_s,
        )

    def succeeds(self, prompt: Prompt, difficulty: float) -> bool:
        u = uniform(str(self.seed), prompt.model, prompt.fingerprint, f"{difficulty:.6f}")
        return u < success_probability(prompt.model, difficulty)

    def respond(self, prompt: Prompt, *, difficulty: float | None, oracle: Oracle | None) -> Completion:
        """The modelled reply to an unscripted request."""
        d = DEFAULT_DIFFICULTY if difficulty is None else difficulty
        ok = self.succeeds(prompt, d)
        text, calls, stop = self._content(prompt, ok, oracle)
        if prompt.max_tokens is not None and not calls and count_tokens(text) > prompt.max_tokens:
            text, stop = text[: prompt.max_tokens * CHARS_PER_TOKEN], "length"
        usage = self.input_usage(prompt)
        usage = Usage(
            input_tokens=usage.input_tokens,
            output_tokens=output_tokens(text, calls),
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
        )
        tokens = split_tokens(text)
        logprobs: tuple[float, ...] | None = None
        if prompt.want_logprobs and supports_logprobs(prompt.model):
            logprobs = tuple(self._logprob(prompt, i, ok) for i in range(len(tokens)))
        return Completion(
            text=text,
            tool_calls=calls,
            stop=stop,
            usage=usage,
            tokens=tokens,
            logprobs=logprobs,
            delay_s=base_latency_s(prompt.model) * self.latency_scale,
        )

    def _content(self, prompt: Prompt, ok: bool, oracle: Oracle | None) -> tuple[str, tuple[ToolCall, ...], str]:
        """(text, tool calls, neutral stop): the oracle's answer on success, else one of the
        failure modes in failures.py (a hedge when there is no oracle to get wrong)."""
        if oracle is None:
            return (DEFAULT_TEXT if ok else HEDGE_TEXT), (), "end"
        if ok:
            return oracle.text, oracle.tool_calls, "tool" if oracle.tool_calls else "end"
        u = uniform(str(self.seed), prompt.fingerprint, "failure-mode")
        if oracle.tool_calls:
            failed = fail_tool_step(oracle.tool_calls, prompt.required_keys, u)
        else:
            failed = fail_reply(oracle.text, u)
        return failed.text, failed.tool_calls, failed.stop

    def _logprob(self, prompt: Prompt, index: int, ok: bool) -> float:
        """Confident (~-0.05) tokens on success, unsure (~-1.5) on failure."""
        jitter = uniform(str(self.seed), prompt.fingerprint, "logprob", str(index)) - 0.5
        value = (-0.05 + 0.04 * jitter) if ok else (-1.5 + 0.6 * jitter)
        return round(min(0.0, value), 6)
