"""Card numbers and SSNs written the ordinary ways the red team used never reach storage (red-team R1).

Stored verbatim before: "4111~1111~1111~1111", "card number is 4111-1111-1111-111 and last digit 1",
"my card starts 4111 1111" then "and ends 1111 1111", "my ss# is 123456789", "exp 12/27 cvv 123".
The generators here spell numbers the ways people and attackers do (any non-alphanumeric separator,
unicode digits, words between the groups, split over messages, other languages), and the end-to-end
test sends them through the real chat websocket and reads every row the session left.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcenter.privacy.card_talk import everyday_number
from callcenter.redaction import digits_of, luhn_ok, redact, redact_continuation
from callcenter.runtime import Runtime
from tests.desk_helpers import customer_token

# Every printable non-alphanumeric character a keyboard or a phone produces, bar the ones with
# rules of their own (commas, semicolons and line breaks join only card-shaped groups; brackets are
# our masks).
PUNCTUATION = [ch for ch in "~`!@#$%^&*()_-+={}|\\:'\"<>.?/ \t\u00a0\u2013\u2014\u00b7\u2022\u2219\uff5e\u30fb"]
DIGIT_SETS = {
    "ascii": "0123456789",
    "fullwidth": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "devanagari": "०१२३४५६७८९",
}
CARD_WORDS = ["card", "credit card", "visa", "mastercard", "amex", "tarjeta", "debit card", "CARD NUMBER"]
FILLERS = ["and", "and last digit", "then", "y", "and the rest is", "luego", "plus", "and finally"]


def luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


cards = st.sampled_from([16, 16, 16, 15, 13, 19]).flatmap(  # issuers' first digits: 3 (Amex), 4, 5, 6
    lambda n: st.tuples(st.sampled_from("3456"), st.text("0123456789", min_size=n - 2, max_size=n - 2)).map(
        lambda t: luhn_complete(t[0] + t[1])
    )
)


def leaks(card: str, text: str) -> bool:
    """The card's digits beyond its last four can still be read from `text` (any digit script)."""
    return card[:-4] in digits_of(text) or card[:8] in digits_of(text)


def in_script(digits: str, script: str) -> str:
    table = DIGIT_SETS[script]
    return "".join(table[int(d)] for d in digits)


@st.composite
def card_shaped(draw: st.DrawFn) -> tuple[str, str]:
    """A 16-digit card in groups of four, each gap any punctuation (mixed), in any digit script."""
    card = luhn_complete(draw(st.text("0123456789", min_size=15, max_size=15)))
    script = draw(st.sampled_from(sorted(DIGIT_SETS)))
    groups = [in_script(card[i : i + 4], script) for i in range(0, 16, 4)]
    typed = groups[0]
    for g in groups[1:]:
        typed += "".join(draw(st.lists(st.sampled_from(PUNCTUATION), min_size=1, max_size=3))) + g
    return card, typed


@st.composite
def one_separator(draw: st.DrawFn) -> tuple[str, str]:
    """A card of any length cut anywhere, joined by one punctuation character throughout."""
    card = draw(cards)
    sep = draw(st.sampled_from(PUNCTUATION))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(card) - 1), min_size=1, max_size=5)))
    groups = [card[a:b] for a, b in zip([0, *cuts], [*cuts, len(card)], strict=True)]
    return card, sep.join(groups)


words = st.sampled_from(["", "pay with", "my number:", "here", "ok", "use", "charge it to", "number es"])


@settings(max_examples=300)
@given(st.one_of(card_shaped(), one_separator()), words, words)
def test_any_separator_and_any_digit_script_is_masked(typed: tuple[str, str], before: str, after: str) -> None:
    card, spelled = typed
    text = f"{before} {spelled} {after}".strip()
    out = redact(text)
    assert not leaks(card, out), (text, out)


@st.composite
def split_by_words(draw: st.DrawFn) -> tuple[str, str]:
    """A card cut in two or three parts with a few words between, one part at least 8 digits."""
    card = draw(cards)
    first = draw(st.integers(min_value=8, max_value=len(card) - 1))
    parts = [card[:first], card[first:]]
    if len(parts[1]) >= 2 and draw(st.booleans()):
        cut = draw(st.integers(min_value=1, max_value=len(parts[1]) - 1))
        parts = [parts[0], parts[1][:cut], parts[1][cut:]]
    sep = draw(st.sampled_from([" ", "-", ".", "~", ""]))
    spelled = [sep.join(p[i : i + 4] for i in range(0, len(p), 4)) for p in parts]
    # Known limit: an unbroken ten digits that dial as a North American phone number is read as one.
    assume(not any(everyday_number(s, 0, s) for s in spelled))
    text = spelled[0]
    for part in spelled[1:]:
        text += f" {draw(st.sampled_from(FILLERS))} {part}"
    return card, text


@settings(max_examples=200)
@given(split_by_words(), words)
def test_a_card_split_by_words_in_one_message_is_masked(typed: tuple[str, str], before: str) -> None:
    card, spelled = typed
    text = f"{before} {spelled}".strip()
    out = redact(text)
    assert not leaks(card, out), (text, out)


@settings(max_examples=200)
@given(cards, st.sampled_from(CARD_WORDS), st.sampled_from(FILLERS), st.sampled_from([" ", "-", ".", "~"]))
def test_a_card_named_then_split_over_two_messages_with_words_is_masked(
    card: str, word: str, filler: str, sep: str
) -> None:
    rng = random.Random(card)
    cut = rng.randint(6, len(card) - 6)
    first = sep.join(card[:cut][i : i + 4] for i in range(0, cut, 4))
    second = sep.join(card[cut:][i : i + 4] for i in range(0, len(card) - cut, 4))
    opener = rng.choice([f"my {word} starts {first}", f"{word}: {first}", f"the {word} is {first} ok?"])
    said_first = redact_continuation([], opener).text
    later = redact_continuation([said_first], f"{filler} {second}")
    stored_first = later.earlier.get(0, said_first)
    assert not leaks(card, stored_first + " " + later.text), (opener, stored_first, later.text)
    assert card[:cut] not in digits_of(stored_first), stored_first  # the first part is never kept


def test_the_red_team_spellings_are_masked() -> None:
    for text in (
        "4111~1111~1111~1111",
        "card number is 4111-1111-1111-111 and last digit 1",
        "4111|1111|1111|1111",
        "4111 1111 1111 111 and last digit 1",
        "４１１１－１１１１－１１１１－１１１１",
    ):
        assert not leaks("4111111111111111", redact(text)), (text, redact(text))
    first = redact_continuation([], "my card starts 4111 1111")
    second = redact_continuation([first.text], "and ends 1111 1111")
    assert "4111" not in first.text and "1111 1111" not in second.text, (first, second)


SSN_KEYWORDS = ["my ss# is", "ss # ", "SS#:", "social:", "my social is", "SSN:", "ssn", "S.S.N.", "seguro social"]
SSN_GROUPINGS = [(9,), (3, 2, 4), (3, 3, 3), (2, 3, 4), (4, 5), (1, 8)]


@settings(max_examples=200)
@given(
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from(SSN_KEYWORDS),
    st.sampled_from(SSN_GROUPINGS),
    st.sampled_from([" ", "-", ".", "/", "~", "_", " - "]),
)
def test_an_ssn_named_any_way_in_any_grouping_is_masked(
    digits: str, keyword: str, shape: tuple[int, ...], sep: str
) -> None:
    parts, at = [], 0
    for n in shape:
        parts.append(digits[at : at + n])
        at += n
    text = f"{keyword} {sep.join(parts)} thanks"
    out = redact(text)
    assert digits not in digits_of(out), (text, out)
    asked = redact_continuation([keyword], sep.join(parts))  # "my ss# is", then the number on its own
    assert digits not in digits_of(asked.text), (keyword, asked)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111 exp 12/27 cvv 123",
        "card 4111 1111 1111 1111, expires 12/2027, security code 1234",
        "visa [card ending 1111] exp: 01-29 cvc 987",
        "tarjeta 4111111111111111 vence 12/27 código de seguridad 123",
        "my card expiry is 12/27 and the cvv is 123",
    ],
)
def test_the_security_code_and_expiry_beside_a_card_are_masked(text: str) -> None:
    out = redact(text)
    for detail in ("12/27", "12/2027", "01-29", "123", "1234", "987"):
        assert detail not in out.replace("ending 1111", ""), (text, out)


PHONES = ["617-555-0100", "(617) 555-0100", "6175550100", "+1 617 555 0100", "617.555.0100", "1-617-555-0100"]
EVERYDAY = [
    "pay $1,250.00 on 12/01/2026",
    "appointment #13 on Fri Dec 4, 3:00 PM",
    "invoice 1042 and invoice 1043",
    "meeting 2026-12-01 10:30:45",
    "the gate code is 4821",
    "reschedule appointment 7 to 12/15 at 10:30",
    "between 8:00-12:00 or 13:00-17:00",
    "I paid $125000 in total",
    "my unit is 4B, zip 02139",
    "tracking 1Z999AA10123456784",
    "appointment 123456 please",
    "my ticket 204512 is still open",
    "ip 192.168.100.200:8080",
]


@pytest.mark.parametrize("phone", PHONES)
@pytest.mark.parametrize(
    "frame",
    ["call me at {}", "my number is {} thanks", "my card was declined, call me at {}", "{} is my cell"],
)
def test_phone_numbers_stay_even_beside_the_word_card(frame: str, phone: str) -> None:
    text = frame.format(phone)
    assert redact(text) == text
    assert redact_continuation(["my card number is on file"], text).text == text


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_numbers_stay_with_or_without_a_card_named(text: str) -> None:
    assert redact(text) == text
    assert redact(f"{text} with my card ending 4242") == f"{text} with my card ending 4242"
    assert redact_continuation(["can I pay by card?"], text).text == text


HOSTILE = {
    "digits": "1" * 10_000,
    "spaced digits": "1 " * 5_000,
    "tilde digits": "1~" * 5_000,
    "40-digit runs": ("1 " * 40 + "a ") * 120,
    "card words and numbers": "card 123456 " * 830,
    "cvv": "cvv 123 " * 1_250,
    "expiry": "card exp 12/27 " * 660,
    "ssn": "ssn 123456789 " * 700,
    "split": "4111 1111 1111 111 and 1 " * 400,
    "brackets": "[1]" * 3_300,
    "fullwidth": "１～" * 5_000,
    "mixed": "".join(random.Random(7).choice("0123456789 -./~_|:,;ab") for _ in range(10_000)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_costs_linear_time(name: str) -> None:
    """10k and 40k characters of hostile input: bounded, and four times the input costs about four times
    the time (quadratic would be ~16x; the 8x bound leaves room for a loaded machine's noise)."""
    text = HOSTILE[name][:10_000]

    def cost(t: str) -> float:
        started = time.perf_counter()
        redact_continuation(["my card starts " + t[:2_000], t[:5_000]], t)
        return time.perf_counter() - started

    small, big = min(cost(text) for _ in range(3)), min(cost(text * 4) for _ in range(3))
    assert small < 1.5, (name, small)
    assert big < 8 * small + 0.1, (name, small, big)


# --- end to end: the attacker's messages through the real chat websocket ------------------------

SPLIT_CONVERSATIONS = [
    ["my card starts 4111 1111", "and ends 1111 1111"],
    ["my credit card number is", "4111 1111 1111 1111"],
    ["41111111", "11111111"],
    ["I want to talk to a person, my visa starts 4111-1111", "the rest is 1111-1111"],
    ["4111 1111", "and 1111 1111 is my card"],
    ["my ss# is", "123 45 6789"],
    ["mi tarjeta empieza 4111 1111", "y termina 1111 1111"],
]


def attacker_messages(n: int, seed: int) -> list[tuple[str, str]]:
    """(secret digits, message): generated spellings of one card and one SSN, each in one message."""
    rng = random.Random(seed)
    card = "4111111111111111"
    out: list[tuple[str, str]] = []
    for _ in range(n):
        kind = rng.choice(["sep", "script", "words", "ssn", "details"])
        if kind == "sep":
            sep = rng.choice(PUNCTUATION)
            text = sep.join(card[i : i + 4] for i in range(0, 16, 4))
        elif kind == "script":
            script = rng.choice(sorted(DIGIT_SETS))
            sep = rng.choice(["~", " ", "-", "·", "／"])
            text = sep.join(in_script(card[i : i + 4], script) for i in range(0, 16, 4))
        elif kind == "words":
            text = f"4111 1111 1111 111 {rng.choice(FILLERS)} 1"
        elif kind == "ssn":
            text = (
                f"{rng.choice(SSN_KEYWORDS)} {rng.choice(['123456789', '123 45 6789', '123-456-789', '12 345 6789'])}"
            )
            out.append(("123456789", f"{rng.choice(['hi', 'please', 'ok'])} {text}"))
            continue
        else:
            text = f"card {card} exp 12/27 cvv 123"
        out.append((card, f"{rng.choice(['pay with', 'my card:', 'here', 'use', ''])} {text}".strip()))
    return out


async def session_rows(runtime: Runtime, sid: str) -> str:
    """Everything the session left in the database, as one text: messages, tool calls, tickets, handoffs, state."""
    text: str = await runtime.pool.fetchval(
        """SELECT concat_ws(' ', (SELECT string_agg(text, ' ') FROM messages WHERE session_id = $1),
                  (SELECT string_agg(summary || ' ' || context::text, ' ') FROM handoffs WHERE session_id = $1),
                  (SELECT string_agg(subject || ' ' || body, ' ') FROM tickets WHERE session_id = $1),
                  (SELECT string_agg(arguments::text || ' ' || coalesce(result::text, ''), ' ')
                     FROM tool_calls WHERE session_id = $1),
                  (SELECT state::text FROM sessions WHERE id = $1))""",
        uuid.UUID(sid),
    )
    return text or ""


async def chat(client: TestClient, token: str | None, texts: list[str]) -> str:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello", **({"token": token} if token else {})})
        session: dict[str, Any] = await ws.receive_json(timeout=30)
        for text in texts:
            await ws.send_json({"type": "message", "text": text})
            while (await ws.receive_json(timeout=90))["type"] == "delta":
                pass
        return str(session["session_id"])


async def test_no_card_or_ssn_digits_reach_any_row_or_log_line(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = customer_token(runtime.settings.secret.get_secret_value(), 3)
    secrets = {"4111111111111111": "41111111", "123456789": "123456789"}
    sessions = await asyncio.gather(*(chat(client, token, c) for c in SPLIT_CONVERSATIONS))
    singles = attacker_messages(40, seed=5)
    sessions += await asyncio.gather(
        *(chat(client, token if i % 2 else None, [m, "I want to talk to a person"]) for i, (_, m) in enumerate(singles))
    )
    logged = capsys.readouterr()
    for sid in sessions:
        rows = await session_rows(runtime, sid)
        for part in secrets.values():
            assert not readable(part, rows), (sid, rows)
    assert not readable("41111111", logged.err + logged.out)
    assert not readable("123456789", logged.err + logged.out)


def readable(digits: str, text: str) -> bool:
    """`digits` can be read from `text`: in one stretch without letters (separators, any digit script)."""
    return any(digits in digits_of(piece) for piece in re.split(r"[^\W\d_]+", text))


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_traceback_quoting_a_card_is_masked_in_the_log(tmp_path: Any, json_lines: bool) -> None:
    """An exception's message may quote what the customer wrote; the traceback is masked like any value."""
    import logging

    import structlog

    from callcenter.logging_setup import configure_logging

    path = tmp_path / "server.log"
    configure_logging(file=path, json=json_lines)
    try:
        try:
            raise ValueError("could not read 'pay with 4111~1111~1111~1111, my ss# is 123 45 6789'")
        except ValueError:
            structlog.get_logger("test").error("turn.failed", exc_info=True)
            logging.getLogger("aiohttp.server").exception("Error handling request")
    finally:
        configure_logging()
    logged = path.read_text()
    assert logged.count("ValueError: could not read") == 2, logged
    assert "[card ending 1111]" in logged and "[SSN]" in logged, logged
    assert not readable("41111111", logged) and not readable("123456789", logged), logged
