"""The oracle header: how a test or an eval tells the fake provider the correct answer.

One codec for both sides: `encode_oracle` is what a client puts in `x-fake-oracle`, `decode_oracle`
what the server reads. `x-fake-difficulty` carries the turn's difficulty in [0, 1].
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callcenter.fakellm.script import ToolCall

ORACLE_HEADER = "x-fake-oracle"
DIFFICULTY_HEADER = "x-fake-difficulty"


@dataclass(frozen=True)
class Oracle:
    """The correct answer for a request, sent by a test in the `x-fake-oracle` header."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


def decode_oracle(header: str | None) -> Oracle | None:
    """base64(JSON {"text": ..., "tool_calls": [{"name":..,"arguments":{..}}]}) -> Oracle."""
    if not header:
        return None
    padded = header.strip() + "=" * (-len(header.strip()) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"x-fake-oracle is not base64 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("x-fake-oracle must encode a JSON object")
    calls = tuple(ToolCall(name=str(c["name"]), arguments=c.get("arguments", {})) for c in data.get("tool_calls") or [])
    return Oracle(text=str(data.get("text") or ""), tool_calls=calls)


def encode_oracle(text: str = "", tool_calls: Sequence[ToolCall] = ()) -> str:
    """Header value for `x-fake-oracle` (what a test puts on its request)."""
    payload = {"text": text, "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in tool_calls]}
    return encode_oracle_payload(payload)


def encode_oracle_payload(payload: Mapping[str, Any]) -> str:
    """Header value for an answer already shaped as {"text", "tool_calls": [{"name", "arguments"}]}."""
    return base64.b64encode(json.dumps(payload, default=str).encode("utf-8")).decode("ascii")
