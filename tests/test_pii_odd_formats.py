"""SSNs split over messages, IBANs and bank numbers named in Spanish, typed as a resident (or an attacker
testing us) would type them (red team 3: all three were stored in clear).

Through the real /v1/chat websocket; the end state read is the database (every stored message of the
session and its handoffs' summaries) and the log lines written meanwhile: none holds the number.
Before: "my social security number is 219" / "09" / "9999" was stored as typed and the handoff summary
said "my social security number is 219 / 09 / 9999"; "IBAN DE89 3704 0044 0532 0130 00" and "mi cuenta
bancaria es 123456789012" were stored whole; so was a card whose groups a word joins ("4111 dash 1111
dash 1111 dash 1111", as speech-to-text writes a caller's "dash"; "4111x1111x1111x1111").
"""

from __future__ import annotations

import random
import uuid

import structlog
from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from callcenter.web.auth import issue_token
from tests.conftest import TEST_SECRET

Client = TestClient  # type: ignore[type-arg]

SSN_LEADS = ["my social security number is", "my ssn is", "SSN:", "ss# is", "mi seguro social es", "social security"]
IBANS = [  # valid check digits (ISO 13616 examples)
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "ES91 2100 0418 4502 0005 1332",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
]
ACCOUNT_LEADS = [
    "mi cuenta bancaria es",
    "el número de cuenta es",
    "cuenta de ahorros",
    "mi cuenta de cheques es la",
    "pueden sacar la renta de mi cuenta",
]


def _ssn_split(rng: random.Random) -> tuple[list[str], str]:
    """An SSN given in two or three messages, the keyword only in the first: (messages, its digits)."""
    area, group, serial = f"{rng.randint(1, 665):03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"
    lead = rng.choice(SSN_LEADS)
    if rng.random() < 0.5:
        return [f"{lead} {area}", group, serial], area + group + serial
    return [f"{lead} {area}-{group}", serial], area + group + serial


def _iban(rng: random.Random) -> tuple[list[str], str]:
    iban = rng.choice(IBANS)
    typed = rng.choice([iban, iban.replace(" ", ""), iban.lower(), iban.replace(" ", "-")])
    return [rng.choice(["my IBAN is", "IBAN:", "wire it to", "mi IBAN es"]) + f" {typed} thanks"], iban.replace(" ", "")


def _cuenta(rng: random.Random) -> tuple[list[str], str]:
    number = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(8, 12)))
    return [f"{rng.choice(ACCOUNT_LEADS)} {number} para pagar"], number


CARDS = ["4111111111111111", "5555555555554444", "4012888888881881", "6011000990139424"]
JOINS = [" dash ", " hyphen ", "x", " x ", " guion ", " guión ", " DASH "]


def _worded_card(rng: random.Random) -> tuple[list[str], str]:
    """A card whose groups a spoken or typed word joins, as speech-to-text or a hurried thumb writes it."""
    card = rng.choice(CARDS)
    groups = [card[i : i + 4] for i in range(0, 16, 4)]
    lead = rng.choice(["my card is", "card number", "mi tarjeta es la", "charge"])
    return [f"{lead} {rng.choice(JOINS).join(groups)} please"], card


async def _chat(client: Client, customer: int, messages: list[str]) -> str:
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello", "token": issue_token(customer, TEST_SECRET, ttl_seconds=600)})
        session = await ws.receive_json(timeout=30)
        assert session["type"] == "session", session
        for text in messages:
            await ws.send_json({"type": "message", "text": text})
            while (frame := await ws.receive_json(timeout=60))["type"] not in ("message", "error"):
                pass
            assert frame["type"] == "message", frame
        return str(session["session_id"])


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum()).upper()


async def test_split_ssns_ibans_and_spanish_account_numbers_are_never_stored(client: Client, runtime: Runtime) -> None:
    rng = random.Random(20261203)
    cases = [make(rng) for make in (_ssn_split, _iban, _cuenta, _worded_card) for _ in range(4)]
    with structlog.testing.capture_logs() as logs:
        for messages, secret in cases:
            session_id = await _chat(client, 12, messages)
            sid = uuid.UUID(session_id)
            stored = await runtime.pool.fetch("SELECT role, text FROM messages WHERE session_id = $1", sid)
            summaries = await runtime.pool.fetch("SELECT summary FROM handoffs WHERE session_id = $1", sid)
            everything = [r["text"] for r in stored] + [r["summary"] for r in summaries]
            joined = _digits(" ".join(everything))
            assert secret not in joined, (messages, everything)
            if len(messages) > 1:  # a split SSN: no stored piece keeps its digits either
                said = [r["text"] for r in stored if r["role"] == "user"]
                assert not any(ch.isdigit() for t in said for ch in t), said
    assert not any(secret in _digits(str(line)) for line in logs for _, secret in cases)


async def test_ordinary_numbers_in_a_row_are_left_alone(client: Client, runtime: Runtime) -> None:
    """Unit numbers, amounts, dates and a phone number said with "dash" over messages are no SSN or card."""
    messages = ["i live in unit 12", "i want to pay $45", "on 12/15", "call me at 617 dash 555 dash 0142"]
    session_id = await _chat(client, 12, messages)
    stored = await runtime.pool.fetch(
        "SELECT text FROM messages WHERE session_id = $1 AND role = 'user' ORDER BY seq", uuid.UUID(session_id)
    )
    assert [r["text"] for r in stored] == messages
