from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from callcenter.app import load_app
from callcenter.specialists.verifier import claim_index, is_hedge, verify_reply
from callcenter.tooling.toolkit import ToolContext, tool

CLAIMS = load_app().claims  # the demo business's tools declare what their success lets a reply say

SLOT = {"slots": [{"slot_id": 7, "label": "Tue Dec 1, 3:00 PM"}]}
BOOKED = {"appointment_id": 9, "label": "Tue Dec 1, 3:00 PM", "status": "booked"}
PAID = {"paid_cents": 50000, "paid": "$500.00", "remaining_balance_cents": 12000}


def test_reply_backed_by_tools_passes() -> None:
    v = verify_reply(
        "You're booked for Tue Dec 1, 3:00 PM.",
        user_text="yes",
        tool_results=[BOOKED],
        tools_called=["book_appointment"],
        claims=CLAIMS,
    )
    assert v.ok and v.confidence == 1.0


def test_claimed_booking_without_a_write_fails() -> None:
    v = verify_reply(
        "You're booked for Tue Dec 1, 3:00 PM.",
        user_text="yes",
        tool_results=[SLOT],
        tools_called=["find_slots"],
        claims=CLAIMS,
    )
    assert not v.ok and any("booked" in r for r in v.reasons)


def test_amount_and_time_must_come_from_tools_or_user() -> None:
    assert verify_reply(
        "I've paid $500.00; you owe $120.00.",
        user_text="pay $500",
        tool_results=[PAID],
        tools_called=["pay_balance"],
        claims=CLAIMS,
    ).ok
    bad = verify_reply(
        "You owe $999.99 and we come at 4:00 PM.",
        user_text="balance?",
        tool_results=[PAID],
        tools_called=["get_balance"],
        claims=CLAIMS,
    )
    assert not bad.ok and len(bad.reasons) == 2


def test_failed_write_cannot_be_claimed() -> None:
    v = verify_reply(
        "Your payment of $500.00 has been paid.",
        user_text="pay $500",
        tool_results=[],
        tools_called=["pay_balance"],
        tools_failed=["pay_balance"],
        claims=CLAIMS,
    )
    assert not v.ok


def test_promises_and_hedges() -> None:
    assert not verify_reply("We'll refund you.", user_text="hi", tool_results=[], tools_called=[], claims=CLAIMS).ok
    assert is_hedge("I'm not sure I can help with that.")
    assert not verify_reply("", user_text="hi", tool_results=[], tools_called=[], claims=CLAIMS).ok


def test_the_demo_tools_declare_the_claims_the_verifier_checks() -> None:
    assert CLAIMS == {
        "payment of": ("pay_balance",),
        "paid": ("pay_balance",),
        "waived": ("request_fee_waiver",),
        "booked": ("book_appointment", "reschedule_appointment"),
        "rescheduled": ("reschedule_appointment",),
        "cancelled": ("cancel_appointment",),
        "noted": ("add_appointment_note",),
    }


class _Empty(BaseModel):
    pass


@tool(writes=True, claims=("refilled",))
async def refill_prescription(ctx: ToolContext, args: _Empty) -> dict[str, Any]:
    """Another business's write tool: its success backs the claim "refilled"."""
    return {"refilled": True}


def test_another_business_s_claims_come_from_its_tool_declarations() -> None:
    claims = claim_index([refill_prescription])
    reply = "Good news: I've refilled your prescription."
    unbacked = verify_reply(reply, user_text="refill please", tool_results=[], tools_called=[], claims=claims)
    assert not unbacked.ok and unbacked.reasons == ["claims 'refilled' without a successful refill_prescription"]
    backed = verify_reply(
        reply,
        user_text="refill please",
        tool_results=[{"refilled": True}],
        tools_called=["refill_prescription"],
        claims=claims,
    )
    assert backed.ok
    # The demo's phrases mean nothing to this business: "booked" is not one of its claims.
    assert verify_reply("You're booked.", user_text="hi", tool_results=[], tools_called=[], claims=claims).ok


def test_a_business_adds_its_own_promises_to_the_engines() -> None:
    """'We'll waive your rent' is the demo's promise to refuse; the engine itself knows only generic ones."""
    from callcenter.specialists.verifier import GENERIC_PROMISES

    promises = load_app("callcenter_agents").promises
    assert set(GENERIC_PROMISES) < set(promises) and "waive your rent" in promises
    asked = "my heater broke, can you do something?"

    def ok(reply: str, promises: tuple[str, ...] = GENERIC_PROMISES) -> bool:
        return verify_reply(reply, user_text=asked, tool_results=[], tools_called=[], claims={}, promises=promises).ok

    assert not ok("Good news: we'll waive your rent for December.", promises)
    assert ok("Good news: we'll waive your rent for December.")  # another business: not a promise it forbids
    assert not ok("You'll get a full refund.")
