"""The optional model judge: a tier-1 second opinion after the verifier's rules pass.

Rules catch what can be checked mechanically; the judge catches replies that are
consistent with the tools but miss the question or overstep policy. It answers with one
line, `PASS` or `FAIL: reason`, so its verdict costs a few output tokens.
"""

from __future__ import annotations

import json
from typing import Any

from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.types import StepType, Tier, Verdict

DEFAULT_JUDGE_INSTRUCTIONS = """You check a customer-service reply before it is sent to a customer. \
Reply with exactly one line: PASS, or FAIL: <short reason>.
FAIL when the reply: states an action, amount, date or time that the tool results do not show; \
promises something no tool did; does not answer what the customer asked; reveals another \
customer's data; or is rude or unsafe. Otherwise PASS."""
"""The judge's instructions when the business gives none (its agents module's `JUDGE_INSTRUCTIONS`)."""


class ModelJudge:
    def __init__(
        self,
        client: ModelClient,
        tier: Tier = Tier.CHEAP,
        *,
        instructions: str | None = None,
        customer_noun: str = "customer",
    ) -> None:
        self.client = client
        self.tier = tier
        self.instructions = instructions or DEFAULT_JUDGE_INSTRUCTIONS
        self.customer_noun = customer_noun

    async def check(
        self, *, user_text: str, reply: str, tool_results: list[dict[str, Any]], context: CallContext, agent: str
    ) -> Verdict:
        evidence = json.dumps(tool_results, default=str)[:6000]
        request = ModelRequest(
            system=self.instructions,
            messages=[
                ChatMessage(
                    role="user",
                    text=f"{self.customer_noun.capitalize()} said: {user_text}\n"
                    f"Tool results: {evidence}\nProposed reply: {reply}",
                )
            ],
            step_type=StepType.VERIFICATION,
            agent=agent,
            max_tokens=60,
            cache_key="callcenter:judge",
        )
        try:
            response = await self.client.complete(request, self.tier, context=context)
        except AllProvidersFailed:
            return Verdict(True, reasons=["judge unavailable: rules only"])  # the rules already passed
        return parse_verdict(response.text, response.call_id)


def parse_verdict(text: str, call_id: int | None = None) -> Verdict:
    """`PASS` anywhere at the start passes; anything else fails with the judge's words as reason."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if line.upper().startswith("PASS"):
        return Verdict(True, call_id=call_id)
    reason = line.split(":", 1)[1].strip() if ":" in line else (line or "empty verdict")
    return Verdict(False, 0.0, [reason], call_id)
