"""Scripted replies for the fake model server: what a test wants the "model" to say next.

A test queues `Reply` / `Fail` items; the server consumes one per request (FIFO, optionally
only for one model id) and falls back to modelled behaviour when nothing matches. The same
items load from a JSON file for `callcenter fake-llm --script FILE`, so users' CI can script
the fake without writing Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Fail", "Reply", "Script", "ScriptItem", "Slow", "ToolCall", "load_script", "parse_item"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model makes. `arguments` as a str is sent raw, so a test can
    hand the client malformed or schema-violating JSON on purpose."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)

    def arguments_json(self) -> str:
        """The arguments exactly as they go on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"))


@dataclass(frozen=True)
class Reply:
    """A successful model turn.

    `usage` overrides counts in the normalised names of `callcenter.types.Usage`
    (`input_tokens` = uncached input, `output_tokens`, `cache_read_tokens`,
    `cache_write_tokens`); keys left out keep their modelled value. `stop_reason` accepts
    either API's vocabulary (end_turn/stop, tool_use/tool_calls, max_tokens/length) and is
    translated per API. `delay_s` delays the whole response; `ttft_s` is an extra delay
    before the first content (for a stream: after the headers, before the first delta).
    `logprobs`, when given, is one logprob per output token; the text is split into that
    many tokens and the values go out on the OpenAI API (Anthropic has no logprobs).
    """

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, int] | None = None
    logprobs: list[float] | None = None
    delay_s: float = 0.0
    ttft_s: float = 0.0


@dataclass(frozen=True)
class Fail:
    """An HTTP error in the provider's error format (429 rate limit, 529 overloaded, 5xx).
    `retry_after` (seconds) becomes the `retry-after` / `retry-after-ms` headers the SDKs
    honour when they retry."""

    status: int
    retry_after: float | None = None
    message: str = ""


ScriptItem = Reply | Fail


def Slow(seconds: float, text: str = "OK.") -> Reply:  # noqa: N802 - reads as a constructor in scripts
    """A reply that takes `seconds` to arrive: for timeout and hedging tests."""
    return Reply(text=text, delay_s=seconds)


class Script:
    """FIFO of scripted items, each optionally pinned to one model id."""

    def __init__(self) -> None:
        self._items: list[tuple[str | None, ScriptItem]] = []

    def add(self, items: Iterable[ScriptItem], model: str | None = None) -> None:
        for item in items:
            if not isinstance(item, Reply | Fail):
                raise TypeError(f"script items must be Reply or Fail, got {type(item).__name__}")
            self._items.append((model, item))

    def take(self, model: str) -> ScriptItem | None:
        """The first queued item for `model` (or for any model), removed from the queue."""
        for i, (pinned, item) in enumerate(self._items):
            if pinned is None or pinned == model:
                del self._items[i]
                return item
        return None

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def parse_item(raw: Mapping[str, Any]) -> tuple[str | None, ScriptItem]:
    """One script-file entry -> (model or None, item).

    An entry with `status` is a `Fail`; anything else is a `Reply`, e.g.
    `{"text": "hi"}`, `{"tool_calls": [{"name": "lookup_order", "arguments": {"kind": "x"}}]}`,
    `{"status": 429, "retry_after": 1.0, "model": "claude-haiku-4-5"}`.
    """
    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        raise ValueError(f"script entry model must be a string: {raw!r}")
    if "status" in raw:
        retry = raw.get("retry_after")
        return model, Fail(
            status=int(raw["status"]),
            retry_after=None if retry is None else float(retry),
            message=str(raw.get("message", "")),
        )
    calls = [ToolCall(name=str(c["name"]), arguments=c.get("arguments", {})) for c in raw.get("tool_calls", [])]
    usage = raw.get("usage")
    logprobs = raw.get("logprobs")
    return model, Reply(
        text=str(raw.get("text", "")),
        tool_calls=calls,
        stop_reason=raw.get("stop_reason"),
        usage=None if usage is None else {str(k): int(v) for k, v in usage.items()},
        logprobs=None if logprobs is None else [float(x) for x in logprobs],
        delay_s=float(raw.get("delay_s", 0.0)),
        ttft_s=float(raw.get("ttft_s", 0.0)),
    )


def load_script(path: str | Path) -> list[tuple[str | None, ScriptItem]]:
    """Read a JSON script file: a list of entries (see `parse_item`)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: a script file holds a JSON list of replies")
    return [parse_item(entry) for entry in data]
