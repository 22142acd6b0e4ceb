"""Confidence signals that send a step one tier up. Pure functions over a model response.

Claude and the GPT-5 family return no token logprobs, so for them the signals are
behavioural: hedges, refusals, tool arguments that fail validation, tool errors and the
verifier's verdict. Where the catalog says a model returns logprobs, a low mean token
probability is a signal too.
"""

from __future__ import annotations

from callcenter.providers.base import ModelResponse
from callcenter.specialists.verifier import is_hedge


def response_escalation_reason(response: ModelResponse, *, logprob_threshold: float) -> str | None:
    """Why this response should be re-run one tier up, or None when it looks confident."""
    if response.stop_reason == "refusal":
        return "refusal"
    for call in response.tool_calls:
        if call.arguments is None:
            return f"invalid tool arguments for {call.name}"
    if response.text and not response.tool_calls and is_hedge(response.text):
        return "hedge"
    if response.logprob_confidence is not None and response.logprob_confidence < logprob_threshold:
        return f"low logprob confidence {response.logprob_confidence:.2f}"
    if not response.text.strip() and not response.tool_calls:
        return "empty response"
    return None
