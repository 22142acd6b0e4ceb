"""Handbook questions that name a section's topic indirectly get that section's answer, from the resident's side.

Whole turns through the orchestrator (router, flow, verifier) with the pleasantries and hesitations
residents wrap questions in: "can I park a second car?" is a Parking question even though the
Parking section never says "second"; "what happens if I pay rent on the 7th?" asks about late fees,
not how to pay, and not this resident's ledger.
"""

from __future__ import annotations

import re

import pytest
from callcenter_agents.extract.lead_in import strip_lead_in

from callcenter.runtime import Runtime

WRAPS = ("{q}", "hi, {q}", "um so {q} thanks", "good morning, quick question, {q}")
CASES = (
    ("can I park a second car?", r"\$60|\$95|permit"),
    ("what happens if I pay rent on the 7th?", r"late fee"),
    ("what if my rent is late?", r"late fee|grace period"),
    ("is there a grace period for rent?", r"grace period"),
    ("can i reserve the community room", r"community room"),
)


@pytest.mark.parametrize(("question", "answer"), CASES)
async def test_indirect_handbook_questions_find_their_section(runtime: Runtime, question: str, answer: str) -> None:
    orch = runtime.orchestrator
    for wrap in WRAPS:
        session = await orch.open_session(channel="test", customer_id=1)
        out = await orch.handle_turn(session.id, wrap.format(q=question))
        assert re.search(answer, out.text, re.I), (wrap.format(q=question), out.text)
        assert not out.human_handoff and "couldn't find" not in out.text
        assert "Your balance is" not in out.text and "How much would you like to pay" not in out.text


def test_lead_ins_are_not_the_request() -> None:
    assert strip_lead_in("hey, quick question, is there a grace period for rent? thanks") == (
        "is there a grace period for rent?"
    )
    assert strip_lead_in("hlelo, yes thx") == "yes"  # a typed-in-a-hurry greeting
    assert strip_lead_in("thanks") == "thanks" and strip_lead_in("hi there") == "hi there"
    assert strip_lead_in("please do") == "do" and strip_lead_in("so the sink leaks") == "the sink leaks"
