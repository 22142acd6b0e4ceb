from __future__ import annotations

from callcenter.specialists.verifier import is_hedge, verify_reply

SLOT = {"slots": [{"slot_id": 7, "label": "Tue Dec 1, 3:00 PM"}]}
BOOKED = {"appointment_id": 9, "label": "Tue Dec 1, 3:00 PM", "status": "booked"}
PAID = {"paid_cents": 50000, "paid": "$500.00", "remaining_balance_cents": 12000}


def test_reply_backed_by_tools_passes() -> None:
    v = verify_reply(
        "You're booked for Tue Dec 1, 3:00 PM.",
        user_text="yes",
        tool_results=[BOOKED],
        tools_called=["book_appointment"],
    )
    assert v.ok and v.confidence == 1.0


def test_claimed_booking_without_a_write_fails() -> None:
    v = verify_reply(
        "You're booked for Tue Dec 1, 3:00 PM.", user_text="yes", tool_results=[SLOT], tools_called=["find_slots"]
    )
    assert not v.ok and any("booked" in r for r in v.reasons)


def test_amount_and_time_must_come_from_tools_or_user() -> None:
    assert verify_reply(
        "I've paid $500.00; you owe $120.00.", user_text="pay $500", tool_results=[PAID], tools_called=["pay_balance"]
    ).ok
    bad = verify_reply(
        "You owe $999.99 and we come at 4:00 PM.",
        user_text="balance?",
        tool_results=[PAID],
        tools_called=["get_balance"],
    )
    assert not bad.ok and len(bad.reasons) == 2


def test_failed_write_cannot_be_claimed() -> None:
    v = verify_reply(
        "Your payment of $500.00 has been paid.",
        user_text="pay $500",
        tool_results=[],
        tools_called=["pay_balance"],
        tools_failed=["pay_balance"],
    )
    assert not v.ok


def test_promises_and_hedges() -> None:
    assert not verify_reply("We'll refund you.", user_text="hi", tool_results=[], tools_called=[]).ok
    assert is_hedge("I'm not sure I can help with that.")
    assert not verify_reply("", user_text="hi", tool_results=[], tools_called=[]).ok
