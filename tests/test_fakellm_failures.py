"""The fake provider's failure modes and pacing, as pure functions."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from callcenter.app import load_app
from callcenter.fakellm.failures import (
    HEDGE_TEXT,
    REFUSAL_TEXT,
    TEXT_FAILURES,
    TOOL_FAILURES,
    fail_reply,
    fail_tool_step,
    pick,
)
from callcenter.fakellm.pacing import Pace
from callcenter.fakellm.script import ToolCall
from callcenter.specialists.verifier import verify_reply

TOOLS = {"pay_balance": ("invoice_id", "amount_cents"), "get_balance": (), "list_invoices": ()}
PAY = ToolCall("pay_balance", {"invoice_id": 211, "amount_cents": 12000, "method": "visa-4242"})
CLAIMS = load_app().claims
GRID = [i / 1000 for i in range(1000)]


def test_modes_follow_their_weights() -> None:
    for weights in (TOOL_FAILURES, TEXT_FAILURES):
        seen = Counter(pick(weights, u) for u in GRID)
        for mode, w in weights:
            assert seen[mode] / len(GRID) == pytest.approx(w / sum(x for _, x in weights), abs=0.01)


def test_every_tool_failure_differs_from_the_right_call() -> None:
    modes: Counter[str] = Counter()
    for u in GRID:
        f = fail_tool_step([PAY], TOOLS, u)
        modes[f.mode] += 1
        if f.tool_calls:
            wrong = f.tool_calls[0]
            same_args = wrong.arguments_json() == PAY.arguments_json()
            assert wrong.name != PAY.name or not same_args
        else:
            assert (f.text, f.stop) in ((HEDGE_TEXT, "end"), (REFUSAL_TEXT, "refusal"))
    assert set(modes) == {"wrong_tool", "wrong_argument", "missing_argument", "hedge", "refusal"}


def test_a_wrong_argument_is_plausible_not_garbage() -> None:
    f = next(fail_tool_step([PAY], TOOLS, u) for u in GRID if fail_tool_step([PAY], TOOLS, u).mode == "wrong_argument")
    args, right = f.tool_calls[0].arguments, PAY.arguments
    assert isinstance(args, dict) and isinstance(right, dict) and set(args) == set(right)
    changed = [k for k in args if args[k] != right[k]]
    assert len(changed) == 1 and type(args[changed[0]]) is type(right[changed[0]])


def test_a_missing_argument_drops_a_required_one() -> None:
    f = next(
        fail_tool_step([PAY], TOOLS, u) for u in GRID if fail_tool_step([PAY], TOOLS, u).mode == "missing_argument"
    )
    sent = json.loads(f.tool_calls[0].arguments_json())
    assert "invoice_id" not in sent and "amount_cents" in sent


def test_a_hallucinated_amount_is_caught_by_the_verifier() -> None:
    right = "Your balance is $120.00. Shall I pay it with your Visa?"
    evidence = [{"balance_cents": 12000}]
    assert verify_reply(
        right, user_text="what do I owe", tool_results=evidence, tools_called=["get_balance"], claims=CLAIMS
    ).ok
    for u in GRID:
        f = fail_reply(right, u)
        if f.mode == "hallucinated_amount":
            assert "$130.00" in f.text
            verdict = verify_reply(
                f.text, user_text="what do I owe", tool_results=evidence, tools_called=["get_balance"], claims=CLAIMS
            )
            assert not verdict.ok and "amount $130.00" in verdict.reasons[0]
        elif f.mode == "over_long":
            assert f.text.startswith(right) and len(f.text) > 4 * len(right)


def test_pace_scales_per_tier_speed() -> None:
    assert Pace().total_s("claude-opus-4-7", 500) == 0.0  # tests run instantly
    real = Pace(1.0)
    assert real.ttft_s("claude-haiku-4-5") < real.ttft_s("claude-sonnet-4-6") < real.ttft_s("claude-opus-4-7")
    assert real.token_s("claude-haiku-4-5") < real.token_s("claude-opus-4-7")
    assert Pace(0.1).total_s("claude-haiku-4-5", 160) == pytest.approx(0.1 * (0.35 + 1.0))
