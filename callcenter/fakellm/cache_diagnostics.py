"""Anthropic's cache diagnostics, modelled: why a request's prompt prefix differs from an earlier one.

A request carrying `diagnostics: {"previous_message_id": ...}` gets back
`diagnostics.cache_miss_reason` naming the first place its prompt diverged from the named
earlier request (model, system, tools, or an earlier message), or `null` when it only
appended to it; an unknown id is `previous_message_not_found`. Only requests that carry a
`diagnostics` object are remembered, as the API does.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callcenter.fakellm.prompt import count_tokens

KEPT = 10_000  # remembered requests (oldest forgotten first)


@dataclass(frozen=True)
class Shape:
    model: str
    system: str
    tools: str
    messages: tuple[str, ...]
    tokens: int


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _strip(value: Any) -> Any:
    """The value without cache_control markers (they do not change the prompt)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def shape_of(body: Mapping[str, Any]) -> Shape:
    messages = tuple(_digest(_strip(m)) for m in body.get("messages") or [])
    text = json.dumps(_strip([body.get("tools"), body.get("system"), body.get("messages")]), default=str)
    return Shape(
        str(body.get("model")),
        _digest(_strip(body.get("system"))),
        _digest(_strip(body.get("tools"))),
        messages,
        count_tokens(text),
    )


def miss_reason(previous: Shape | None, current: Shape) -> dict[str, Any] | None:
    if previous is None:
        return {"type": "previous_message_not_found"}
    missed = {"cache_missed_input_tokens": previous.tokens}
    if previous.model != current.model:
        return {"type": "model_changed", **missed}
    if previous.system != current.system:
        return {"type": "system_changed", **missed}
    if previous.tools != current.tools:
        return {"type": "tools_changed", **missed}
    if current.messages[: len(previous.messages)] != previous.messages:
        return {"type": "messages_changed", **missed}
    return None


class DiagnosticsLog:
    """The fingerprints of requests that asked for diagnostics, by response id."""

    def __init__(self) -> None:
        self._shapes: OrderedDict[str, Shape] = OrderedDict()

    def diagnose(self, body: Mapping[str, Any], message_id: str) -> dict[str, Any] | None:
        """The response's `diagnostics` object (None when the request did not ask or nothing diverged)."""
        asked = body.get("diagnostics")
        if not isinstance(asked, dict):
            return None
        current = shape_of(body)
        previous_id = asked.get("previous_message_id")
        reason = miss_reason(self._shapes.get(previous_id), current) if previous_id else None
        self._shapes[message_id] = current
        while len(self._shapes) > KEPT:
            self._shapes.popitem(last=False)
        return {"cache_miss_reason": reason} if reason else None
