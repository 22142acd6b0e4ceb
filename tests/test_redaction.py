from __future__ import annotations

import uuid

from callcenter.logging_setup import redact_text
from callcenter.redaction import luhn_ok, mask_card_numbers
from callcenter.runtime import Runtime


def test_masks_valid_card_numbers_only() -> None:
    assert mask_card_numbers("pay with 4111 1111 1111 1111 please") == "pay with [card ending 1111] please"
    assert mask_card_numbers("card 5500-0000-0000-0004.") == "card [card ending 0004]."
    assert mask_card_numbers("call 4111111111111112") == "call 4111111111111112"  # fails Luhn
    ordinary = "unit 4B, invoice 1042, $1,250.00, 555-0100"
    assert mask_card_numbers(ordinary) == ordinary
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert redact_text("4111111111111111") == "[card ending 1111]"


async def test_card_number_typed_in_chat_is_never_stored(runtime: Runtime) -> None:
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=1)
    result = await runtime.orchestrator.handle_turn(session.id, "please pay $100 using card 4111111111111111")
    stored = await runtime.pool.fetch("SELECT text FROM messages WHERE session_id=$1", uuid.UUID(session.id))
    assert all("4111111111111111" not in r["text"] for r in stored)
    assert "[card ending 1111]" in stored[0]["text"]
    assert "4111111111111111" not in result.text
