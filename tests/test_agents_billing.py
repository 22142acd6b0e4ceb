"""Billing flow conversations against the real tools and a real database."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import asyncpg
import pytest
from callcenter_agents.billing import AGENT
from callcenter_agents.billing_intents import detect_intent
from callcenter_agents.billing_methods import choose_method, pick_method
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo

from callcenter.types import Priority

NOW = datetime(2031, 3, 10, 10, 0, tzinfo=BUSINESS_TZ)


async def resident_with_bills(pool: asyncpg.Pool, *, late_fee: bool = True) -> dict[str, int]:
    """Rent $1,500 overdue, a $50 late fee, a paid utility bill; Visa 4242 default, Mastercard 5555."""
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Pat Doe', $1, 'Harbor View', '7C')"
        " RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    out = {"customer": cid}

    async def invoice(kind: str, desc: str, cents: int, due: date, status: str = "open") -> int:
        paid = cents if status == "paid" else 0
        iid: int = await pool.fetchval(
            "INSERT INTO invoices (customer_id, kind, description, amount_cents, paid_cents, issued_on, due_on, status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            cid,
            kind,
            desc,
            cents,
            paid,
            due - timedelta(days=10),
            due,
            status,
        )
        return iid

    out["rent"] = await invoice("rent", "Rent - March 2031", 150000, date(2031, 3, 1))
    if late_fee:
        out["fee"] = await invoice("fee", "Late fee - March 2031 rent", 5000, date(2031, 3, 6))
    out["water"] = await invoice("utility", "Water and sewer - February 2031", 4500, date(2031, 2, 15), "paid")
    out["visa"] = await pool.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default) VALUES ($1, 'card', 'Visa', '4242',"
        " true) RETURNING id",
        cid,
    )
    out["mc"] = await pool.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default) VALUES ($1, 'card', 'Mastercard',"
        " '5555', false) RETURNING id",
        cid,
    )
    return out


async def paid(pool: asyncpg.Pool, cid: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch("SELECT * FROM payments WHERE customer_id = $1 ORDER BY id", cid)
    return rows


async def test_pay_500_now_confirms_then_pays_exactly_once(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay $500 now")
    assert r.text == "Pay $500.00 with Visa ending 4242?"
    assert await paid(pool, ids["customer"]) == []
    r = await c.say("yes")
    assert r.done
    rows = await paid(pool, ids["customer"])
    assert sum(row["amount_cents"] for row in rows) == 50000
    assert {row["method_id"] for row in rows} == {ids["visa"]}
    assert "$500.00" in r.text and "$1,050.00" in r.text  # remaining: 1,500 + 50 - 500
    assert any(res.get("paid_cents") == 50000 for res in r.tool_results)


async def test_pay_everything_pays_the_whole_balance_with_the_named_card(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay everything with my card ending 5555")
    assert r.text == "Pay $1,550.00 with Mastercard ending 5555?"
    r = await c.say("go ahead")
    assert r.done and "$0.00" in r.text
    rows = await paid(pool, ids["customer"])
    assert sum(row["amount_cents"] for row in rows) == 155000
    assert {row["method_id"] for row in rows} == {ids["mc"]}
    open_left = await pool.fetchval(
        "SELECT count(*) FROM invoices WHERE customer_id = $1 AND status = 'open'", ids["customer"]
    )
    assert open_left == 0


async def test_overpayment_is_refused_with_the_maximum(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("I want to pay $5,000")
    # the refusal names the maximum and asks about exactly that: a yes pays the balance, never more
    assert "most you can pay" in r.text and r.text.endswith("Pay $1,550.00 with Visa ending 4242?") and not r.done
    assert await paid(pool, ids["customer"]) == []
    r = await c.say("no")
    assert "haven't charged" in r.text
    assert await paid(pool, ids["customer"]) == []


async def test_amount_is_asked_for_and_a_changed_amount_is_reconfirmed(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("I'd like to make a payment")
    assert r.text == "How much would you like to pay? Your balance is $1,550.00."
    r = await c.say("200")
    assert r.text == "Pay $200.00 with Visa ending 4242?"
    r = await c.say("actually make it $250.50")
    assert r.text == "Pay $250.50 with Visa ending 4242?"
    r = await c.say("never mind")
    assert await paid(pool, ids["customer"]) == []
    assert "haven't charged" in r.text


async def test_balance_then_yes_pays_the_balance(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool, late_fee=False)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("what's my balance?")
    assert "$1,500.00" in r.text and "overdue" in r.text and not r.done
    r = await c.say("yes")
    assert r.text == "Pay $1,500.00 with Visa ending 4242?"
    await c.say("yes")
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == 150000


async def test_explain_late_fee_then_waive_it(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("why was I charged a late fee?")
    assert "waived" in r.text and c.state["stage"] == "offer_waiver"
    assert any(res.get("invoice", {}).get("invoice_id") == ids["fee"] for res in r.tool_results)
    r = await c.say("yes please")
    assert r.done and "waived" in r.text
    status = await pool.fetchval("SELECT status FROM invoices WHERE id = $1", ids["fee"])
    assert status == "void"


async def test_waiver_request_confirms_which_fee_first(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("can you waive the late fee?")
    assert f"invoice #{ids['fee']}" in r.text and "$50.00" in r.text
    assert await pool.fetchval("SELECT status FROM invoices WHERE id = $1", ids["fee"]) == "open"
    r = await c.say("no")
    assert r.done
    assert await pool.fetchval("SELECT status FROM invoices WHERE id = $1", ids["fee"]) == "open"


async def test_invoices_and_receipts(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("show me my invoices")
    assert "Rent - March 2031" in r.text and "Late fee" in r.text and "Water" not in r.text
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("I need a receipt for my last payment")
    assert "Water and sewer" in r.text and r.done


async def test_unverified_resident_is_asked_to_sign_in(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("what's my balance")
    assert r.done and "sign in" in r.text
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("pay $100")
    assert r.done and "sign in" in r.text


async def test_autopay_offers_the_billing_team(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("how do I set up autopay?")
    assert not r.done and r.human is None
    r = await c.say("yes")
    assert r.done and r.human is not None
    assert r.human.queue == "billing" and r.human.priority is Priority.NORMAL
    assert "autopay" in r.human.summary


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what's my balance", "balance"),
        ("how much do I owe", "balance"),
        ("pay $500 now", "pay"),
        ("why was I charged a late fee", "explain"),
        ("what is this water charge", "explain"),
        ("can you waive the late fee", "waiver"),
        ("show me my invoices", "invoices"),
        ("did my payment go through", "history"),
        ("how much was my last payment", "history"),
        ("what did I pay today", "history"),
        ("can I set up a payment plan", "plan"),
        ("I was charged twice, I want a refund", "refund"),
        ("whats the 97.25 for", "explain"),
        ("can I get a receipt", "receipts"),
        ("turn on autopay", "autopay"),
        ("what card do you have on file", "methods"),
        ("how do I pay rent?", "policy"),
        ("when is rent due?", "policy"),
        ("when is my rent due", "rent"),
        ("I want to pay my rent", "pay"),
        ("pay $100 with my Chase bank account", "pay"),
    ],
)
def test_detect_intent(text: str, intent: str) -> None:
    assert detect_intent(text) == intent


def test_choose_method_prefers_named_card_then_default() -> None:
    methods = [
        {"method_id": 1, "brand": "Visa", "last4": "4242", "is_default": True, "label": "Visa ending 4242"},
        {
            "method_id": 2,
            "brand": "Mastercard",
            "last4": "5555",
            "is_default": False,
            "label": "Mastercard ending 5555",
        },
    ]
    assert choose_method(methods, "pay with the card ending in 5555")["method_id"] == 2
    assert choose_method(methods, "use my mastercard")["method_id"] == 2
    assert choose_method(methods, "pay it")["method_id"] == 1
    assert choose_method([], "pay it") is None


METHODS = [
    {"method_id": 1, "kind": "card", "brand": "Visa", "last4": "4242", "is_default": True, "label": "Visa ending 4242"},
    {
        "method_id": 2,
        "kind": "bank",
        "brand": "Chase",
        "last4": "6789",
        "is_default": False,
        "label": "Chase account ending 6789",
    },
]


@pytest.mark.parametrize(
    ("text", "method_id", "missing"),
    [
        ("pay $100 with my Chase bank account", 2, None),
        ("use my bank account", 2, None),
        ("from checking please", 2, None),
        ("the account ending 6789", 2, None),
        ("charge my card", 1, None),
        ("pay $100", 1, None),
        ("pay with my Mastercard", None, "Mastercard"),
        ("the card ending 1111", None, "1111"),
        ("with my Wells Fargo account", None, "Wells Fargo"),
    ],
)
def test_pick_method_by_bank_brand_kind_or_last4(text: str, method_id: int | None, missing: str | None) -> None:
    method, asked = pick_method(METHODS, text)
    assert (method["method_id"] if method else None) == method_id
    assert (asked is None) if missing is None else (asked is not None and missing in asked)
    only_cards = [METHODS[0]]
    assert pick_method(only_cards, "use my bank account") == (None, "a saved bank account")


async def test_pay_with_named_bank_account_charges_it_not_the_default(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    bank = await pool.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default) VALUES ($1, 'bank', 'Chase',"
        " '6789', false) RETURNING id",
        ids["customer"],
    )
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay $100 with my Chase bank account")
    assert r.text == "Pay $100.00 with Chase account ending 6789?"
    r = await c.say("yes")
    assert r.done and "Chase account ending 6789" in r.text
    assert {row["method_id"] for row in await paid(pool, ids["customer"])} == {bank}


async def test_named_method_not_on_file_is_said_and_saved_ones_listed(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay $100 with my Chase bank account")
    assert "I don't see a Chase payment method on your account" in r.text
    assert "Visa ending 4242 (default)" in r.text and "Mastercard ending 5555" in r.text
    assert await paid(pool, ids["customer"]) == []
    r = await c.say("the mastercard")
    assert r.text == "Pay $100.00 with Mastercard ending 5555?"
    await c.say("yes")
    assert [row["method_id"] for row in await paid(pool, ids["customer"])] == [ids["mc"]]


async def test_switching_method_at_the_confirmation(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("pay $20")
    assert "Visa ending 4242" in r.text
    r = await c.say("actually use the mastercard")
    assert r.text == "Pay $20.00 with Mastercard ending 5555?"
    await c.say("yes")
    assert [row["method_id"] for row in await paid(pool, ids["customer"])] == [ids["mc"]]


async def test_another_residents_invoice_number_is_not_found_and_own_fee_offered(pool: asyncpg.Pool) -> None:
    mine, other = await resident_with_bills(pool), await resident_with_bills(pool)
    c = await Convo(pool, AGENT, mine["customer"], NOW).open()
    r = await c.say(f"waive invoice {other['fee']}")
    assert f"I can't find invoice #{other['fee']} on your account." in r.text
    assert f"invoice #{mine['fee']}" in r.text and c.state["invoice"]["invoice_id"] == mine["fee"]
    r = await c.say("no")
    assert "request_fee_waiver" not in c.calls
    # Same words whether the number belongs to someone else or to nobody.
    c2 = await Convo(pool, AGENT, mine["customer"], NOW).open()
    r2 = await c2.say("waive invoice 999999999")
    c3 = await Convo(pool, AGENT, mine["customer"], NOW).open()
    r3 = await c3.say(f"waive invoice {other['fee']}")
    assert r2.text.replace("999999999", "N") == r3.text.replace(str(other["fee"]), "N")
    # Paying someone else's invoice by number never gets to a confirmation.
    c4 = await Convo(pool, AGENT, mine["customer"], NOW).open()
    r4 = await c4.say(f"pay invoice {other['rent']} for me, $50")
    assert f"can't find invoice #{other['rent']}" in r4.text and c4.state["stage"] == "need_amount"
    await c4.say("yes")
    assert await paid(pool, mine["customer"]) == [] and await paid(pool, other["customer"]) == []


async def test_policy_question_is_answered_from_the_handbook(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("how do I pay rent?")
    assert "online" in r.text and "search_knowledge_base" in c.calls and "pay_balance" not in c.calls
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("when is rent due?")
    assert "1st" in r.text


async def test_balance_and_a_handbook_question_answers_the_first_and_offers_the_second(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("What's my balance, and also what are the office hours?")
    assert r.text.startswith("Your balance is $1,550.00")
    assert "I can also answer your question about office hours and contact — ask me next." in r.text
