"""Masking: card numbers in any separator style, SSNs, bank routing/account pairs, split messages.

Property tests generate the numbers and the ways people type them rather than hand-picking
a few spellings; the last tests check the masking end to end (stored messages, logs).
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.logging_setup import redact_text
from callcenter.redaction import (
    DASHES,
    ZERO_WIDTH,
    aba_ok,
    digits_of,
    luhn_ok,
    mask_card_numbers,
    redact,
    redact_continuation,
)
from callcenter.runtime import Runtime


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


cards = st.integers(min_value=13, max_value=19).flatmap(
    lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1).map(_luhn_complete)
)
separator_chars = st.sampled_from([" ", "  ", "-", " - ", ".", "/", " / ", "\u00a0", "_", *ZERO_WIDTH, *DASHES])
separators = st.lists(separator_chars, min_size=1, max_size=3).map("".join)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,!?ÁéñSPayCard:", max_size=30)


@st.composite
def typed_cards(draw: st.DrawFn) -> tuple[str, str]:
    """(card digits, the card as a person might type it): groups split at random, any separators."""
    card = draw(cards)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(card) - 1), max_size=6)))
    groups = [card[a:b] for a, b in zip([0, *cuts], [*cuts, len(card)], strict=True)]
    typed = groups[0]
    for group in groups[1:]:
        typed += draw(separators) + group
    return card, typed


def _leaks(card: str, text: str) -> bool:
    """True when the card's digits (beyond the last four) can still be read from `text`."""
    return card[:-4] in digits_of(text)


@given(typed_cards(), words, words)
def test_a_card_number_is_masked_however_it_is_typed(typed: tuple[str, str], before: str, after: str) -> None:
    card, spelled = typed
    text = f"{before} {spelled} {after}"
    out = redact(text)
    assert not _leaks(card, out), (text, out)
    assert f"[card ending {card[-4:]}]" in out


@given(typed_cards(), st.integers(min_value=1, max_value=3), st.data())
def test_a_card_number_split_over_messages_is_masked_in_every_part(
    typed: tuple[str, str], parts: int, data: st.DataObject
) -> None:
    card, spelled = typed
    groups = spelled.split(" ") if " " in spelled else [spelled]
    if len(groups) < 2:
        cut = data.draw(st.integers(min_value=1, max_value=len(card) - 1))
        groups = [card[:cut], card[cut:]]
    messages = [" ".join(groups[: len(groups) // 2]), " ".join(groups[len(groups) // 2 :])]
    if not messages[0].strip() or not messages[1].strip():
        return
    result = redact_continuation(["my card is " + messages[0]], messages[1] + " thanks")
    earlier = result.earlier.get(0, redact("my card is " + messages[0]))
    assert not _leaks(card, earlier + " " + result.text), (messages, earlier, result.text)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["-", " ", ".", " - "]))
def test_ssn_shaped_numbers_are_masked(digits: str, sep: str) -> None:
    from callcenter.redaction import ssn_ok

    spelled = f"{digits[:3]}{sep}{digits[3:5]}{sep}{digits[5:]}"
    out = redact(f"my social is {spelled}")
    if ssn_ok(digits):
        assert "[SSN]" in out and digits not in digits_of(out)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet="0123456789", min_size=6, max_size=12))
def test_routing_and_account_pairs_are_masked(routing_body: str, account: str) -> None:
    routing = next((routing_body + c for c in "0123456789" if aba_ok(routing_body + c)), "021000021")
    for text in (f"routing {routing} account {account}", f"{routing} / {account}", f"acct #{account}, aba {routing}"):
        out = redact(text)
        assert routing not in digits_of(out), (text, out)
        assert account not in digits_of(out), (text, out)


ordinary = st.sampled_from(
    [
        "unit 4B, invoice 1042, $1,250.00, call 555-0100",
        "my number is 555-123-4567",
        "pay $1,850.00 on 2026-12-01 at 10.30",
        "monday after 1pm, the 2nd slot",
        "invoice 1042 and invoice 1043",
        "I live at 1200 Oak St apt 12",
    ]
)


@given(ordinary)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_redaction_never_fails_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_examples_from_the_issue() -> None:
    for text in (
        "4111.1111.1111.1111",
        "4111 - 1111 - 1111 - 1111",
        "4\u200b111\u200b1111\u200b1111\u200b1111",
        "4111/1111/1111/1111",
        "4111  1111  1111  1111",
        "5500-0000-0000-0004",
    ):
        assert "[card ending" in redact(f"pay with {text} please"), text
    assert redact("ssn 123-45-6789") == "ssn [SSN]"
    assert redact("it is 123 45 6789") == "it is [SSN]"
    assert mask_card_numbers("call 4111111111111112") == "call 4111111111111112"  # fails Luhn
    assert redact_text("4111111111111111") == "[card ending 1111]"
    assert redact_text("ssn 123-45-6789") == "ssn [SSN]"


def test_a_huge_digit_run_is_masked_quickly() -> None:
    import time

    started = time.perf_counter()
    out = redact("1" * 10_000 + " and " + "2 " * 4_000)
    assert "1111111111" not in out and time.perf_counter() - started < 0.5


async def test_card_number_typed_in_chat_is_never_stored(runtime: Runtime) -> None:
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=1)
    result = await runtime.orchestrator.handle_turn(session.id, "please pay $100 using card 4111.1111.1111.1111")
    stored = await runtime.pool.fetch("SELECT text FROM messages WHERE session_id=$1", uuid.UUID(session.id))
    assert all("4111" not in r["text"].replace("ending 1111", "") for r in stored)
    assert "[card ending 1111]" in stored[0]["text"]
    assert "4111" not in result.text


async def test_a_card_split_over_two_chat_messages_is_masked_in_both(runtime: Runtime) -> None:
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=1)
    await runtime.orchestrator.handle_turn(session.id, "my card is 4111 1111")
    await runtime.orchestrator.handle_turn(session.id, "1111 1111")
    stored = await runtime.pool.fetch(
        "SELECT text FROM messages WHERE session_id=$1 AND role='user' ORDER BY seq", uuid.UUID(session.id)
    )
    joined = " ".join(r["text"] for r in stored)
    assert "4111111111111111" not in digits_of(joined), joined
    assert "[card ending 1111]" in stored[1]["text"]
