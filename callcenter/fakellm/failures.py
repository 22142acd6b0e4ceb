"""How a modelled model gets a step wrong: the failure modes of small models in the routing literature.

When the fake's draw says a model fails a step it knows the right answer to (the
`x-fake-oracle` header), it does not merely hedge: it fails the way function-calling and
agent benchmarks (BFCL's error taxonomy, τ-bench's failure analysis, RouteLLM's weak-model
mistakes) report small models failing —

* a tool step: the wrong tool, a wrong argument value, a missing required argument, a
  hedge or a refusal;
* a reply: a hallucinated amount, an over-long reply, a hedge or a refusal.

The mode is drawn from the same seeded hash as the success draw, with the weights below
(modelled, not measured). Every mode is detectable: a wrong tool or argument differs from
what the flow proposed, a hallucinated amount is one no tool returned, an over-long reply
differs from the right one and may run out of `max_tokens`, and hedges and refusals are
escalation signals of their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callcenter.fakellm.script import ToolCall

HEDGE_TEXT = "I'm not sure I can help with that."
REFUSAL_TEXT = "I can't help with that request."
TOOL_FAILURES: tuple[tuple[str, float], ...] = (
    ("wrong_tool", 0.25),
    ("wrong_argument", 0.30),
    ("missing_argument", 0.20),
    ("hedge", 0.15),
    ("refusal", 0.10),
)
TEXT_FAILURES: tuple[tuple[str, float], ...] = (
    ("hallucinated_amount", 0.30),
    ("over_long", 0.25),
    ("hedge", 0.25),
    ("refusal", 0.20),
)
_MONEY = re.compile(r"\$(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{2}))?")


@dataclass(frozen=True)
class Failure:
    mode: str
    text: str
    tool_calls: tuple[ToolCall, ...]
    stop: str  # neutral: "end" | "tool" | "refusal"


def pick(weights: Sequence[tuple[str, float]], u: float) -> str:
    """The mode whose cumulative weight first exceeds `u` in [0, 1)."""
    total = sum(w for _, w in weights)
    acc = 0.0
    for mode, w in weights:
        acc += w / total
        if u < acc:
            return mode
    return weights[-1][0]


def fail_tool_step(calls: Sequence[ToolCall], tools: Mapping[str, Sequence[str]], u: float) -> Failure:
    """A wrong version of the expected tool calls. `tools` maps each offered tool to its required args."""
    mode = pick(TOOL_FAILURES, u)
    first = calls[0]
    args = _args(first)
    if mode == "wrong_tool":
        others = sorted(name for name in tools if name != first.name)
        if others:
            other = others[int(u * 1_000_003) % len(others)]
            return Failure(mode, "", (ToolCall(other, args), *calls[1:]), "tool")
        mode = "wrong_argument"
    if mode == "wrong_argument" and args:
        key = sorted(args)[int(u * 1_000_033) % len(args)]
        changed = dict(args, **{key: _other_value(args[key])})
        return Failure(mode, "", (ToolCall(first.name, changed), *calls[1:]), "tool")
    if mode in ("wrong_argument", "missing_argument") and args:
        required = [k for k in tools.get(first.name, ()) if k in args] or sorted(args)
        kept = {k: v for k, v in args.items() if k != required[0]}
        return Failure("missing_argument", "", (ToolCall(first.name, json.dumps(kept)), *calls[1:]), "tool")
    if mode == "refusal":
        return Failure(mode, REFUSAL_TEXT, (), "refusal")
    return Failure("hedge", HEDGE_TEXT, (), "end")


def fail_reply(text: str, u: float) -> Failure:
    """A wrong version of the expected reply text."""
    mode = pick(TEXT_FAILURES, u)
    if mode == "hallucinated_amount":
        if _MONEY.search(text):
            return Failure(mode, _MONEY.sub(_inflate, text, count=1), (), "end")
        return Failure(mode, f"{text.rstrip()} There is also a $25.00 service fee.", (), "end")
    if mode == "over_long":
        padding = " To be thorough, here is everything again in full detail: " + text
        return Failure(mode, text + padding * 3, (), "end")
    if mode == "refusal":
        return Failure(mode, REFUSAL_TEXT, (), "refusal")
    return Failure("hedge", HEDGE_TEXT, (), "end")


def _args(call: ToolCall) -> dict[str, Any]:
    if isinstance(call.arguments, dict):
        return dict(call.arguments)
    try:
        value = json.loads(call.arguments)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _other_value(value: Any) -> Any:
    """A plausible but wrong value of the same type: the mistake a model makes, not garbage."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return round(value * 1.1, 2)
    if isinstance(value, str):
        digits = re.search(r"\d+", value)
        if digits:  # a date, an id, a time: off by one
            n = digits.group()
            return value[: digits.start()] + str(int(n) + 1).zfill(len(n)) + value[digits.end() :]
        return value + " (other)"
    if isinstance(value, list):
        return value[1:] if value else ["other"]
    return None


def _inflate(match: re.Match[str]) -> str:
    cents = int(match.group(1).replace(",", "")) * 100 + int(match.group(2) or 0)
    wrong = cents + 1000  # ten dollars off
    return f"${wrong // 100:,}.{wrong % 100:02d}"
