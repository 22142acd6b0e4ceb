"""Money said the way residents say it, from their side (an outsider's trial, class A).

Before: an amount without "$" or "dollars" ("pay 75", "just a thousand", "fifteen hundred") or a
share of the balance ("half of it") was not heard, the flow asked "How much?", and the next "yes"
proposed the WHOLE balance; a correction at the confirmation ("wait no, just a thousand") left the
old amount pending and the next "yes" charged it; "ok waive it" after "Would you like to pay…?"
was an ok to pay. Each case here is generated (amount wordings x lead-ins x slips) and checked
against the payments table: money moves only after a yes to a question naming that exact amount.
"""

from __future__ import annotations

import itertools

import asyncpg
import pytest
from callcenter_agents.billing import AGENT
from flow_convo import Convo
from test_agents_billing import NOW, paid, resident_with_bills

# The resident owes $1,550.00 (rent $1,500 and a $50 late fee), Visa 4242 by default.
AMOUNTS = {
    "75": 7500,
    "250.50": 25050,
    "one thousand": 100000,
    "a thousand": 100000,
    "fifteen hundred": 150000,
    "1k": 100000,
    "two hundred and fifty": 25000,
}
ASKS = ["pay {a}", "i wanna pay {a}", "can I pay {a} today", "pls pay {a} now", "id like to make a payment of {a}"]


@pytest.mark.parametrize(
    ("ask", "said", "cents"),
    [(ask, a, c) for (a, c), ask in zip(AMOUNTS.items(), itertools.cycle(ASKS), strict=False)]
    + [(ask, "75", 7500) for ask in ASKS],
)
async def test_an_amount_without_a_currency_word_is_heard(pool: asyncpg.Pool, ask: str, said: str, cents: int) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask.format(a=said))
    dollars = f"${cents // 100:,}.{cents % 100:02d}"
    assert r.text == f"Pay {dollars} with Visa ending 4242?", (ask, said, r.text)
    r = await c.say("yes")
    assert [p["amount_cents"] for p in await paid(pool, ids["customer"])] and sum(
        p["amount_cents"] for p in await paid(pool, ids["customer"])
    ) == cents, r.text


SHARES = {"half of it": 77500, "half my balance": 77500, "a quarter of what I owe": 38750, "a third of it": 51666}


@pytest.mark.parametrize(
    ("lead", "share"),
    list(
        zip(
            ["can i pay {s} now", "pay {s} today and the rest on the 15th", "just {s} please", "{s}"],
            SHARES,
            strict=True,
        )
    ),
)
async def test_a_share_of_the_balance_is_that_share(pool: asyncpg.Pool, lead: str, share: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("what's my balance")
    r = await c.say(lead.format(s=share))
    cents = SHARES[share]
    assert f"Pay ${cents // 100:,}.{cents % 100:02d} with Visa" in r.text, (lead, share, r.text)
    assert await paid(pool, ids["customer"]) == []


CORRECTIONS = ["wait no, just a thousand", "actually make it 1000", "no, only one thousand", "hmm, a thousand instead"]


@pytest.mark.parametrize("correction", CORRECTIONS)
async def test_a_correction_at_the_confirmation_changes_the_amount(pool: asyncpg.Pool, correction: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay everything")
    assert r.text == "Pay $1,550.00 with Visa ending 4242?"
    r = await c.say(correction)
    assert r.text == "Pay $1,000.00 with Visa ending 4242?", (correction, r.text)
    await c.say("yes")
    assert [p["amount_cents"] for p in await paid(pool, ids["customer"])] == [100000]


WAIVES = ["ok waive it", "ok waive the late fee", "can you waive the fee instead", "sure, just remove the late fee"]


@pytest.mark.parametrize(("opener", "waive"), list(itertools.product(["show my invoices", "pay everything"], WAIVES)))
async def test_a_waiver_request_is_never_an_ok_to_pay(pool: asyncpg.Pool, opener: str, waive: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say(opener)
    r = await c.say(waive)
    assert "waive" in r.text.lower() and not r.text.startswith("Pay $"), (opener, waive, r.text)
    await c.say("yes")
    assert await paid(pool, ids["customer"]) == [], (opener, waive)


@pytest.mark.parametrize("question", ["whats left", "now whats my balance", "ok how much do i owe now", "balance"])
async def test_a_question_at_the_confirmation_is_answered_and_pays_nothing(pool: asyncpg.Pool, question: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("pay 500")
    r = await c.say(question)
    assert "$1,550.00" in r.text and "(yes or no)" not in r.text, (question, r.text)
    assert await paid(pool, ids["customer"]) == []


INVOICE_ASKS = ["show me invoice {n}", "what about invoice {n}", "invoice #{n}?", "can i see invoice number {n}"]


@pytest.mark.parametrize("ask", INVOICE_ASKS)
async def test_an_invoice_number_after_how_much_is_not_an_amount(pool: asyncpg.Pool, ask: str) -> None:
    """Red team 3: after "Would you like to pay now?", "show me invoice 12" was offered as "Pay $12.00?",
    and "pay 300 on invoice 12" as $12 ("300 on invoice" read as a count of invoices)."""
    ids = await resident_with_bills(pool)
    for n in (ids["rent"], ids["fee"], ids["rent"] + 7919):  # theirs, and one that is not
        c = await Convo(pool, AGENT, ids["customer"], NOW).open()
        await c.say("how much do i owe?")
        r = await c.say(ask.format(n=n))
        assert f"${n}.00" not in r.text and f"${n:,}.00" not in r.text, (ask, n, r.text)
        await c.say("yes")
        assert await paid(pool, ids["customer"]) == [], (ask, n, r.text)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("how much do i owe?")
    r = await c.say(f"pay 300 on invoice {ids['rent']}")
    assert "$300.00" in r.text, r.text
