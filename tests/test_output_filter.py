"""Replies never carry another customer's name, unit, email or phone: pure checks over generated
spellings, and a scripted model (the fake provider over the real SDK) that tries to leak."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_models import on_fake_models
from hypothesis import given
from hypothesis import strategies as st

from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.runtime import Runtime
from callcenter.specialists.output_filter import Customer, Directory, scrub_reply

ALEX = Customer(1, "Alex Rivera", "alex.rivera@example.com", "+1-617-555-0142", "Maple Court", "4B")
JORDAN = Customer(2, "Jordan Lee", "jordan.lee@example.com", "+1-617-555-7731", "Harbor View", "2C")
DIRECTORY = Directory.of([ALEX, JORDAN])

phones = st.sampled_from(["+1-617-555-7731", "(617) 555-7731", "617.555.7731", "6175557731", "+1 617 555 7731"])
names = st.sampled_from(["Jordan Lee", "jordan lee", "JORDAN LEE", "Jordan  Lee"])
places = st.sampled_from(["Harbor View 2C", "Harbor View, unit 2C", "harbor view #2C", "unit 2C", "apt 2C"])
emails = st.sampled_from(["jordan.lee@example.com", "Jordan.Lee@Example.com"])


@given(names, places, emails, phones)
def test_other_residents_details_are_removed(name: str, place: str, email: str, phone: str) -> None:
    reply = f"Your neighbour {name} in {place} ({email}, {phone}) already reported it."
    out = scrub_reply(reply, ALEX.id, DIRECTORY)
    low = out.text.lower()
    assert "jordan" not in low and "2c" not in low and "7731" not in low, out.text
    assert set(out.removed) == {"name", "unit", "email", "phone"}


def test_the_customers_own_details_and_ordinary_text_stay() -> None:
    own = "Alex Rivera, your visit at Maple Court 4B is booked; we'll text +1-617-555-0142 (ticket #12, invoice 1042)."
    assert scrub_reply(own, ALEX.id, DIRECTORY).text == own
    anonymous = scrub_reply("Jordan Lee lives in unit 2C.", None, DIRECTORY)
    assert "Jordan" not in anonymous.text and "2C" not in anonymous.text


def test_a_removed_name_is_marked_in_the_business_s_own_word() -> None:
    assert scrub_reply("Ask Jordan Lee.", ALEX.id, DIRECTORY).text == "Ask [another customer]."
    patients = Directory.of([ALEX, JORDAN], noun="patient")
    assert scrub_reply("Ask Jordan Lee.", ALEX.id, patients).text == "Ask [another patient]."


@pytest.fixture
async def leaky_model(runtime: Runtime) -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=5, latency_scale=0.0) as fake, on_fake_models(runtime, fake):
        yield fake


async def test_a_model_that_names_another_resident_is_filtered(runtime: Runtime, leaky_model: FakeLLMServer) -> None:
    other = await runtime.pool.fetchrow(
        "SELECT full_name, email, phone, building, unit FROM customers WHERE id <> 1 ORDER BY id LIMIT 1"
    )
    leak = (
        f"Our office is open weekdays from 9 to 5. By the way, {other['full_name']} in {other['building']} "
        f"{other['unit']} ({other['email']}, {other['phone']}) asked the same."
    )
    leaky_model.script([Reply(text=leak)] * 4)
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=1)
    deltas: list[str] = []

    async def on_delta(piece: str) -> None:
        deltas.append(piece)

    result = await runtime.orchestrator.handle_turn(session.id, "what are your office hours?", on_delta=on_delta)
    sent = "".join(deltas) + result.text
    for detail in (other["full_name"], other["email"], other["phone"][-4:], f"{other['building']} {other['unit']}"):
        assert detail not in sent, (detail, sent)
    stored = await runtime.pool.fetchval(
        "SELECT text FROM messages WHERE session_id=$1::uuid AND role='assistant'", session.id
    )
    assert other["email"] not in stored and other["full_name"] not in stored
    assert "[another resident]" in stored  # the demo's CUSTOMER_NOUN
