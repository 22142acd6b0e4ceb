"""Prompt caching: make the stable part of every request a byte-identical prefix.

An agent sends the same tools and system prompt on every step, and each step of a
conversation repeats the earlier turns. Both providers cache such prefixes:

* Anthropic caches up to explicit `cache_control` breakpoints (at most 4 per request)
  and only when the prefix reaches the model's minimum cacheable length; a write costs
  1.25x input, a read 0.1x. So breakpoints go at the end of the tools, the system
  prompt and the conversation so far, only where the prefix is long enough to be cached.
* OpenAI caches automatically from 1024 tokens; we only have to keep the prefix stable
  (tools sorted, system first) and route an agent's requests together with
  `prompt_cache_key`.

In the shared layout (callcenter/specialists/prompt_layout.py) the breakpoints are the end of the shared
prefix, the end of the agent's instructions (where the cache plan says they pay) and the
conversation's tail through Anthropic's top-level automatic `cache_control`.

Everything here is a pure function over plain request dicts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from callcenter.providers.base import ModelRequest
from callcenter.tooling.toolkit import Tool

MAX_BREAKPOINTS = 4
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
CHARS_PER_TOKEN = 4
"""Rough size of a token in English text and JSON; only used to decide whether a prefix
is long enough to be worth a breakpoint, where an estimate is all that is needed."""


def estimate_tokens(obj: Any) -> int:
    """A cheap token estimate of a text or a JSON-able structure."""
    text = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"), sort_keys=True)
    return len(text) // CHARS_PER_TOKEN


def sorted_tools(tools: Sequence[Tool[Any]]) -> list[Tool[Any]]:
    """Tools in a deterministic order, so the same set always renders the same bytes."""
    return sorted(tools, key=lambda t: t.name)


def layout_tools(request: ModelRequest, *, shared: bool) -> list[Tool[Any]]:
    """The tools to send: all of them in the shared layout, else only the agent's allowed ones."""
    if shared or request.allowed_tools is None:
        return list(request.tools)
    allowed = set(request.allowed_tools)
    return [t for t in request.tools if t.name in allowed]


def apply_anthropic_cache(kwargs: dict[str, Any], min_cacheable_tokens: int) -> int:
    """Place `cache_control` breakpoints in Anthropic request kwargs; returns how many.

    The cacheable prefix is rendered in the order tools -> system -> messages. Candidates,
    in order: the last tool, the system prompt, the last message before the newest user
    input (so this request reads what the previous step wrote) and the final message (so
    the next step can read this one). A candidate is kept only when the prefix up to it
    reaches `min_cacheable_tokens`; at most four are kept, preferring the later ones,
    which cover more.
    """
    candidates: list[tuple[int, dict[str, Any]]] = []
    running = 0

    tools: list[dict[str, Any]] = kwargs.get("tools") or []
    if tools:
        running += sum(estimate_tokens(t) for t in tools)
        candidates.append((running, tools[-1]))

    system = kwargs.get("system")
    if isinstance(system, list) and system:
        running += sum(estimate_tokens(b.get("text", "")) for b in system)
        candidates.append((running, system[-1]))

    messages: list[dict[str, Any]] = kwargs.get("messages") or []
    sizes: list[int] = []
    for msg in messages:
        running += estimate_tokens(msg.get("content", ""))
        sizes.append(running)
    if messages:
        previous = _last_index_before_newest_user_input(messages)
        if previous is not None:
            block = _last_block(messages[previous])
            if block is not None:
                candidates.append((sizes[previous], block))
        block = _last_block(messages[-1])
        if block is not None:
            candidates.append((sizes[-1], block))

    eligible = [block for size, block in candidates if size >= max(min_cacheable_tokens, 1)]
    chosen = eligible[-MAX_BREAKPOINTS:]
    for block in chosen:
        block["cache_control"] = dict(EPHEMERAL)
    return len(chosen)


def apply_shared_layout_cache(
    kwargs: dict[str, Any], min_cacheable_tokens: int, *, shared: bool, agent: bool, tail: bool
) -> int:
    """Breakpoints for the shared layout (system = [shared prefix, agent instructions]); returns how many.

    `shared` / `agent` mark the two system blocks (the cache plan's decisions); `tail` sets the
    top-level automatic `cache_control`, which caches up to the last message block and moves
    forward as the conversation grows, so a follow-up step (a tool round, the next turn)
    reads this one. A marker is only placed where the prefix reaches the model's minimum.
    """
    running = sum(estimate_tokens(t) for t in kwargs.get("tools") or [])
    system: list[dict[str, Any]] = kwargs.get("system") or []
    placed = 0
    for block, wanted in zip(system, (shared, agent), strict=False):
        running += estimate_tokens(block.get("text", ""))
        if wanted and running >= max(min_cacheable_tokens, 1):
            block["cache_control"] = dict(EPHEMERAL)
            placed += 1
    running += sum(estimate_tokens(m.get("content", "")) for m in kwargs.get("messages") or [])
    if tail and running >= max(min_cacheable_tokens, 1):
        kwargs["cache_control"] = dict(EPHEMERAL)
        placed += 1
    return placed


def _last_index_before_newest_user_input(messages: list[dict[str, Any]]) -> int | None:
    """Index of the message just before the trailing run of user messages, if any."""
    i = len(messages) - 1
    while i >= 0 and messages[i].get("role") == "user":
        i -= 1
    # messages[i] is the latest assistant message; cache up to it.
    return i if 0 <= i < len(messages) - 1 else None


def _last_block(message: dict[str, Any]) -> dict[str, Any] | None:
    content = message.get("content")
    if isinstance(content, list) and content and isinstance(content[-1], dict):
        block: dict[str, Any] = content[-1]
        return block
    return None


def count_breakpoints(kwargs: dict[str, Any]) -> int:
    """How many `cache_control` markers a request carries (for tests and assertions)."""
    return json.dumps(kwargs).count('"cache_control"')
