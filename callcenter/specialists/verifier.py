"""Check a specialist's reply before it is sent: cheap rules first.

The rules catch the failures that cost a call center money or trust: a reply that
claims a booking or payment no tool made, quotes an amount or a time that no tool
returned, or promises what the tools did not do. An optional model judge (tier 1) can
be layered on top by the model backend; these rules always run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from callcenter.tooling.toolkit import Tool
from callcenter.types import Verdict

_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{2}))?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\s?([AaPp][Mm])\b")
_HEDGES = (
    "i'm not sure",
    "i am not sure",
    "i'm not certain",
    "i cannot help",
    "i can't help",
    "i don't know",
    "i do not know",
    "as an ai",
    "i'm unable to",
    "i am unable to",
)
_CLAIM_LEAD = r"\b(i've|i have|we've|we have|is now|has been|you're|you are|successfully)\b"
# Promises no reply may make unless a tool result (or the customer) said it first; a business adds
# its own in its agents module (`PROMISE_PHRASES`, read by `callcenter.app`).
GENERIC_PROMISES: tuple[str, ...] = ("refund", "guarantee", "free of charge", "discount")


Claims = Mapping[str, Sequence[str]]
"""Claim phrase -> the tools whose success supports it, as the business's tools declare them."""


def claim_index(tools: Iterable[Tool[Any]]) -> dict[str, tuple[str, ...]]:
    """Which tools support each claim phrase, from the tools' own `claims` declarations, in tool order."""
    index: dict[str, tuple[str, ...]] = {}
    for t in tools:
        for phrase in t.claims:
            index[phrase] = (*index.get(phrase, ()), t.name)
    return index


def _amounts(text: str) -> set[int]:
    out = set()
    for whole, cents in _MONEY.findall(text):
        out.add(int(whole.replace(",", "")) * 100 + int(cents or 0))
    return out


def _clock_times(text: str) -> set[str]:
    return {f"{int(h)}:{m}{ap.upper()}" for h, m, ap in _CLOCK.findall(text)}


def _evidence_text(tool_results: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(tool_results), default=str)


def _cent_values(obj: Any) -> set[int]:
    """Every integer under a key ending in `_cents`, anywhere in the tool results."""
    found: set[int] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, int) and k.endswith("_cents"):
                found.add(v)
            else:
                found |= _cent_values(v)
    elif isinstance(obj, list):
        for item in obj:
            found |= _cent_values(item)
    return found


def is_non_answer(reply: str, *, user_text: str, consulted_tools: bool, acts_on_account: bool) -> bool:
    """An account question answered with neither a tool's result nor a question back ("OK.").

    An agent that acts on the customer's account can only answer from its tools, or ask what it
    needs to know; anything else answers nothing, however harmless it reads. Small talk is not an
    account question: a message of three words or fewer without a question mark ("thanks") is let be.
    """
    if not acts_on_account or consulted_tools or "?" in reply:
        return False
    return "?" in user_text or len(user_text.split()) > 3


def is_hedge(text: str) -> bool:
    low = text.lower()
    return any(h in low for h in _HEDGES)


def verify_reply(
    reply: str,
    *,
    user_text: str,
    tool_results: Sequence[dict[str, Any]],
    tools_called: Sequence[str],
    tools_failed: Sequence[str] = (),
    claims: Claims,
    facts: Collection[str] = (),
    promises: Collection[str] = GENERIC_PROMISES,
) -> Verdict:
    """Rule checks on one reply against the turn's tool results. Pure and fast.

    `claims` (see `claim_index`) says which successful tools back a phrase such as "booked";
    `facts` are the phrases this turn's results state as facts (`Tool.facts`: a $0 balance backs
    "paid up"), so the product reading the truth back is never taken for an unbacked action.
    The verifier itself knows no business's tools.
    """
    reasons: list[str] = []
    low = reply.lower()
    if not reply.strip():
        return Verdict(False, 0.0, ["empty reply"])
    evidence = _evidence_text(tool_results)
    known_cents = _cent_values(list(tool_results)) | _amounts(evidence) | _amounts(user_text)
    for amount in _amounts(reply):
        if amount not in known_cents:
            reasons.append(f"amount ${amount / 100:.2f} not backed by a tool result")
    ev_times = _clock_times(evidence)
    for t in _clock_times(reply):
        if t not in ev_times:
            reasons.append(f"time {t} not backed by a tool result")
    ok_tools = set(tools_called) - set(tools_failed)
    for phrase, needs in claims.items():
        if phrase in facts or ok_tools.intersection(needs):
            continue
        if re.search(_CLAIM_LEAD + rf"[^.?!]*\b{phrase}\b", low):
            reasons.append(f"claims '{phrase}' without a successful {'/'.join(needs)}")
    for promise in promises:
        if promise in low and promise not in evidence.lower() and promise not in user_text.lower():
            reasons.append(f"promises '{promise}' that no tool made")
    if is_hedge(reply):
        reasons.append("hedge")
    confidence = max(0.0, 1.0 - 0.4 * len(reasons))
    return Verdict(not reasons, confidence, reasons)
