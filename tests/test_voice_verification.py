"""Caller verification by PIN, from the caller's side of the phone: real server, database, relay socket.

Residents' numbers and PINs come from the demo seed (`demo_pin(id)`); each test calls from its
own resident's number, since a lockout is per number and the database is shared by the module.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from relay_caller import RELAY, press, recv, reply, say, setup

from callcenter.channels.voice_numbers import speak_numbers
from callcenter.channels.voice_verification import digits_in
from callcenter.runtime import Runtime
from callcenter.store.pin_hash import demo_pin
from callcenter.store.voice_pins import VoicePinStore
from callcenter.types import format_cents

BALANCE_QUESTIONS = ["what is my current balance?", "How much do I owe?", "whats my balance", "check my rent balance"]


async def _resident(runtime: Runtime, *, owing: bool = True) -> tuple[int, str]:
    """A new resident of our own with a unique number and a voice PIN (`demo_pin(id)`), set through the store.

    owing: with an open invoice, so the balance spoken is not zero. Each test calls from its own
    number: a lockout is per number, and the database is shared by the module.
    """
    tag = uuid.uuid4().int
    number = f"+1212{tag % 10_000_000:07d}"
    customer_id: int = await runtime.pool.fetchval(
        "INSERT INTO customers (full_name, email, phone, building, unit) VALUES ($1, $2, $3, 'Test Tower', $4)"
        " RETURNING id",
        "Test Caller",
        f"caller-{tag:x}@example.com",
        number,
        f"{tag % 900 + 100}{'ABCDEFGH'[tag % 8]}",
    )
    assert await VoicePinStore(runtime.pool).set_pin(customer_id, demo_pin(customer_id))
    if owing:
        await runtime.pool.execute(
            "INSERT INTO invoices (customer_id, kind, description, amount_cents, issued_on, due_on)"
            " VALUES ($1, 'rent', 'Rent', $2, current_date, current_date + 20)",
            customer_id,
            150_000 + tag % 9_999,
        )
    return customer_id, number


async def _spoken_balance(runtime: Runtime, customer_id: int) -> str:
    cents = await runtime.pool.fetchval(
        "SELECT coalesce(sum(amount_cents - paid_cents), 0) FROM invoices WHERE customer_id=$1 AND status='open'",
        customer_id,
    )
    return speak_numbers(format_cents(int(cents)))


async def _session(runtime: Runtime, call_sid: str) -> Any:
    return await runtime.pool.fetchrow(
        "SELECT id, customer_id FROM sessions WHERE channel='voice' AND external_id=$1", call_sid
    )


async def _audit(runtime: Runtime, call_sid: str) -> list[str]:
    rows = await runtime.pool.fetch("SELECT outcome FROM voice_pin_attempts WHERE call_sid=$1 ORDER BY id", call_sid)
    return [r["outcome"] for r in rows]


@pytest.mark.parametrize("question", BALANCE_QUESTIONS[:2])
async def test_resident_keys_the_pin_and_hears_their_balance(
    client: TestClient,
    runtime: Runtime,
    question: str,  # type: ignore[type-arg]
) -> None:
    customer_id, number = await _resident(runtime)
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_=number)
        asked = await say(ws, question)
        assert "PIN" in asked and "keypad" in asked, asked  # the word PIN is spoken
        assert "$" not in asked and "dollar" not in asked  # nothing of the account before the PIN
        await press(ws, demo_pin(customer_id) + "#")
        thanks, _ = await reply(ws)
        answer, _ = await reply(ws)
    assert "verified" in thanks.lower()
    assert await _spoken_balance(runtime, customer_id) in answer, answer
    session = await _session(runtime, call_sid)
    assert session["customer_id"] == customer_id  # verified for this call
    assert await _audit(runtime, call_sid) == ["verified"]
    # The question asked before the PIN is in the record, answered once verified.
    texts = [
        r["text"]
        for r in await runtime.pool.fetch(
            "SELECT text FROM messages WHERE session_id=$1 AND role='user' ORDER BY seq", session["id"]
        )
    ]
    assert texts == [question]


@pytest.mark.parametrize("spoken", ["{0} {1} {2} {3}", "my pin is {0}{1}{2}{3}", "WORDS"])
async def test_spoken_digits_verify_too(client: TestClient, runtime: Runtime, spoken: str) -> None:  # type: ignore[type-arg]
    customer_id, number = await _resident(runtime)
    pin = demo_pin(customer_id)
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    said = " ".join(names[int(d)] for d in pin) if spoken == "WORDS" else spoken.format(*pin)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_=number)
        assert "PIN" in await say(ws, BALANCE_QUESTIONS[2])
        assert "verified" in (await say(ws, said)).lower()
        answer, _ = await reply(ws)
    assert await _spoken_balance(runtime, customer_id) in answer


async def test_a_pause_ends_keypad_entry_without_pound(
    client: TestClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.setattr(runtime.settings, "voice_pin_digit_timeout_s", 0.3)
    customer_id, number = await _resident(runtime)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_=number)
        await say(ws, BALANCE_QUESTIONS[3])
        await press(ws, demo_pin(customer_id))
        assert "verified" in (await reply(ws))[0].lower()
        answer, _ = await reply(ws)
    assert await _spoken_balance(runtime, customer_id) in answer


async def test_three_wrong_pins_lock_the_number_and_offer_a_person(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    customer_id, number = await _resident(runtime, owing=False)
    right = demo_pin(customer_id)
    wrongs = [f"{(int(right) + k * 1111) % 10000:04d}" for k in (1, 2, 3)]
    call_sid = "CA" + uuid.uuid4().hex
    heard: list[str] = []
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_=number)
        await say(ws, "what is my balance")
        for wrong in wrongs:
            await press(ws, wrong + "#")
            heard.append((await reply(ws))[0])
        assert "didn't match" in heard[0] and "2 more tries" in heard[0]
        assert "one more try" in heard[1]
        assert "15 minutes" in heard[2] and "person" in heard[2]
        assert not any("dollar" in h for h in heard)
        # Locked: even the right PIN is refused now.
        await press(ws, right + "#")
        await say(ws, "yes please")  # accept the person
        end = await recv(ws)
    assert end["type"] == "end"
    data = json.loads(end["handoffData"])
    assert data["queue"] == "general" and data["customer_id"] is None
    assert data["caller_id_match"] == {"customer_id": customer_id, "verified": False}
    assert (await _session(runtime, call_sid))["customer_id"] is None
    assert await _audit(runtime, call_sid) == ["wrong", "wrong", "wrong", "locked"]

    # Calling back within 15 minutes from the same number: still locked, offered a person again.
    async with client.ws_connect(RELAY) as ws:
        again = "CA" + uuid.uuid4().hex
        await setup(ws, again, from_=number)
        heard_again = await say(ws, "what is my balance")
        assert "paused" in heard_again and "person" in heard_again and "PIN on the keypad" not in heard_again
        assert "anything else" in (await say(ws, "no thanks")).lower()
    assert await _audit(runtime, again) == ["refused_locked"]


async def test_rotating_caller_ids_cannot_guess_a_residents_pin(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """Red-team F3, as the attacker ran it: new spoofed number per call, the victim's unit, three guesses each."""
    victim, _ = await _resident(runtime)
    unit = await runtime.pool.fetchval("SELECT unit FROM customers WHERE id=$1", victim)
    right = demo_pin(victim)
    budget = runtime.settings.voice_pin_customer_max_failures
    guesses = (f"{(int(right) + k * 37) % 10000:04d}" for k in range(1, 100))
    spent = 0
    while spent < budget:
        async with client.ws_connect(RELAY) as ws:
            await setup(ws, "CA" + uuid.uuid4().hex, from_=f"+1202{uuid.uuid4().int % 10_000_000:07d}")
            await say(ws, "how much do I owe")
            await say(ws, f"unit {unit}")
            for _ in range(min(3, budget - spent)):
                await press(ws, next(guesses) + "#")
                await reply(ws)
                spent += 1
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_="+12025550199")
        await say(ws, "how much do I owe")
        await say(ws, f"unit {unit}")
        await press(ws, right + "#")  # the right PIN, found at last: too late
        heard = (await reply(ws))[0]
    assert "can't verify this account by PIN" in heard and "person" in heard and "dollar" not in heard
    assert (await _session(runtime, call_sid))["customer_id"] is None
    assert await _audit(runtime, call_sid) == ["customer_locked"]


async def test_unknown_number_gives_unit_then_pin(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    customer_id, _ = await _resident(runtime)
    unit = await runtime.pool.fetchval("SELECT unit FROM customers WHERE id=$1", customer_id)
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_="+18005550123")
        assert "unit number" in (await say(ws, "how much do I owe")).lower()
        assert "PIN" in await say(ws, f"it's unit {unit[:-1]} {unit[-1]}")
        await press(ws, demo_pin(customer_id) + "#")
        assert "verified" in (await reply(ws))[0].lower()
        answer, _ = await reply(ws)
    assert await _spoken_balance(runtime, customer_id) in answer
    assert (await _session(runtime, call_sid))["customer_id"] == customer_id


async def test_emergencies_and_general_questions_never_wait_for_a_pin(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    _, number = await _resident(runtime, owing=False)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_=number)
        hours = await say(ws, "what are your office hours?")
        assert "PIN" not in hours
        await ws.send_json({"type": "prompt", "voicePrompt": "I smell gas in the kitchen", "last": True})
        gas, _ = await reply(ws)
        end = await recv(ws)
    assert "PIN" not in gas and end["type"] == "end" and json.loads(end["handoffData"])["queue"] == "emergency"


async def test_a_token_verified_caller_is_never_asked(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    from callcenter.web.auth import issue_token

    token = issue_token(1, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, token=token)
        answer = await say(ws, "what is my balance")
    assert "PIN" not in answer and await _spoken_balance(runtime, 1) in answer


async def test_pin_digits_never_reach_the_logs(
    client: TestClient,
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],  # type: ignore[type-arg]
) -> None:
    customer_id, number = await _resident(runtime, owing=False)
    pin = demo_pin(customer_id)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_=number)
        await say(ws, "what is my balance")
        await press(ws, pin + "#")
        await reply(ws)
        await reply(ws)
    logged = "".join(capsys.readouterr())
    assert "voice.pin_checked" in logged  # the attempt is logged ...
    assert not re.search(r"digits?=['\"]?[0-9]", logged) and "pin=" not in logged.lower()  # ... without digits


async def test_wrong_frames_during_pin_entry_do_not_break_the_call(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    customer_id, number = await _resident(runtime)
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_=number)
        await say(ws, "what is my balance")
        for bad in (
            '{"type":"dtmf"}',
            '{"type":"dtmf","digit":"**********"}',
            "garbage",
            '{"type":"dtmf","digit":"*"}',
        ):
            await ws.send_str(bad)
        await press(ws, "12#")  # too short: explained, not counted
        assert "4 to 6 digits" in (await reply(ws))[0]
        await press(ws, demo_pin(customer_id) + "#")
        assert "verified" in (await reply(ws))[0].lower()
        answer, _ = await reply(ws)
    assert await _spoken_balance(runtime, customer_id) in answer


async def test_the_demo_residents_pin_from_the_picker_works_on_the_phone(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    resp = await client.get("/v1/demo/residents")
    alex = next(r for r in (await resp.json())["residents"] if r["id"] == 1)
    assert alex["voice_pin"] == demo_pin(1)
    phone = await runtime.pool.fetchval("SELECT phone FROM customers WHERE id=1")
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex, from_="+" + "".join(c for c in phone if c.isdigit()))
        assert "PIN" in await say(ws, "what's my balance?")
        await press(ws, alex["voice_pin"] + "#")
        assert "verified" in (await reply(ws))[0].lower()
        answer, _ = await reply(ws)
    assert await _spoken_balance(runtime, 1) in answer


async def test_an_emergency_in_the_middle_of_pin_entry_is_answered_at_once(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    _, number = await _resident(runtime, owing=False)
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_=number)
        assert "PIN" in await say(ws, "what's my balance")
        await ws.send_json({"type": "prompt", "voicePrompt": "4 5 6 7, wait, I smell gas", "last": True})
        heard, _ = await reply(ws)
        end = await recv(ws)
    assert end["type"] == "end" and json.loads(end["handoffData"])["queue"] == "emergency", heard
    assert await _audit(runtime, call_sid) == []  # it was not taken as a PIN attempt


async def test_another_question_during_unit_entry_is_answered_not_counted(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_="+18005550124")
        assert "unit number" in (await say(ws, "I want to pay my rent")).lower()
        hours = await say(ws, "actually, what are your office hours?")
        assert "unit" not in hours.lower() and "PIN" not in hours
    assert await _audit(runtime, call_sid) == []


# --- digits as callers say them (pure) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("4827", "4827"),
        ("4 8 2 7", "4827"),
        ("48-27", "4827"),
        ("four eight two seven", "4827"),
        ("My PIN is four, eight, two, seven.", "4827"),
        ("oh five nine one", "0591"),
        ("cuatro ocho dos siete", "4827"),
        ("I want to talk to someone", ""),
        ("for the account", ""),
    ],
)
def test_spoken_digits_are_read(said: str, digits: str) -> None:
    assert digits_in(said) == digits


def test_every_four_digit_pin_round_trips_through_words() -> None:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    for combo in itertools.islice(itertools.product(range(10), repeat=4), 0, 10_000, 97):
        pin = "".join(map(str, combo))
        assert digits_in(" ".join(words[d] for d in combo)) == pin
        assert digits_in(", ".join(pin)) == pin
