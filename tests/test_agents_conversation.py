"""The demo's glue rules (agents/conversation.py): legal threats, lockouts, yes/no to an offer."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from callcenter_agents.conversation import continues_booking, is_legal_threat, is_lockout, read_yes_no

from callcenter.evals.paraphrase import load_spec, roughen

SPEC = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml")
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("America/New_York"))
BOOKED = {
    "booked": {"appointment_id": 4, "kind": "maintenance", "category": "plumbing", "label": "Wed Mar 11, 8:00 AM"}
}


def rough(text: str, n: int = 10) -> list[str]:
    rng = random.Random(text)
    return [text, *(roughen(text, SPEC, "en", rng)[0] for _ in range(n))]


@pytest.mark.parametrize(
    "text",
    [
        "my lawyer will be contacting you about the mold",
        "I'm calling an attorney about the heat",
        "expect a lawsuit over the leak",
        "I'll take you to small claims court",
        "I'm reporting you to the housing authority",
        "I'll see you in court over the rats",
    ],
)
def test_legal_threats_in_any_roughening(text: str) -> None:
    assert all(is_legal_threat(t) for t in rough(text))


@pytest.mark.parametrize(
    "text", ["my sister is a lawyer, what's the pet policy?", "is the basketball court open?", "what's the late fee?"]
)
def test_not_legal_threats(text: str) -> None:
    assert not is_legal_threat(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm locked out",
        "I locked myself out of my apartment",
        "I left my keys inside and the door locked",
        "my key fob stopped working and I can't get into my apartment",
        "I'm stuck outside my unit without my keys",
    ],
)
def test_lockouts_in_any_roughening(text: str) -> None:
    assert all(is_lockout(t) for t in rough(text))


@pytest.mark.parametrize(
    "text", ["can you waive my lockout fee?", "how much is a replacement key fob?", "the front door lock is broken"]
)
def test_not_lockouts(text: str) -> None:
    assert not is_lockout(text)


def test_yes_no_to_an_offer() -> None:
    assert all(read_yes_no(t) is True for t in rough("yes please") + rough("sure"))
    assert all(read_yes_no(t) is False for t in rough("no thanks") + rough("never mind"))
    assert read_yes_no("what are the office hours?") is None


@pytest.mark.parametrize(
    ("text", "moves"),
    [
        ("actually make it friday", True),
        ("can we do thursday instead?", True),
        ("friday works better actually", True),
        ("can you move it to the afternoon?", True),
        ("thanks!", False),
        ("what are the office hours on friday?", False),
    ],
)
def test_continues_booking(text: str, moves: bool) -> None:
    assert continues_booking(text, BOOKED, NOW) is moves
    assert continues_booking(text, {}, NOW) is False
