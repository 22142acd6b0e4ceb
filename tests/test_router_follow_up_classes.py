"""Class A of the outsider trial, from the resident's side: a follow-up is read with the conversation.

Before, "what time again" right after a visit was read back or booked got "outside what I can help
with", and "is the note about calling before arriving still on there?" right after a move got the
package-room text. Now both go back to the visit just named: its time, and its description with the
resident's note, as the database holds them. Wordings are generated (the trial's line, paraphrases,
the eval generator's slips and courtesy).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 12, 1, 19, 30, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def rt(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as runtime:
        yield runtime


def local_time(starts: datetime) -> str:
    """How a reply writes a visit's time: 'Tue Dec 8, 10:00 AM'."""
    at = starts.astimezone(TZ)
    return f"{at:%a %b} {at.day}, {at.hour % 12 or 12}:{at:%M %p}"


@pytest.mark.parametrize("again", ["what time again", "when again?", "what day is it again", "sorry what time again"])
async def test_the_time_asked_again_after_a_read_back_is_the_visits_time(rt: Runtime, spec: Spec, again: str) -> None:
    orch = clocked(rt, EVENING)
    row = await rt.store.pool.fetchrow(
        "SELECT a.id, a.customer_id, s.starts_at FROM appointments a JOIN slots s ON s.id = a.slot_id "
        "WHERE a.status = 'booked' AND a.category = 'electrical' AND s.starts_at > $1 "
        "AND (SELECT count(*) FROM appointments b JOIN slots t ON t.id = b.slot_id WHERE b.customer_id = a.customer_id "
        "AND b.status = 'booked' AND t.starts_at > $1) = 1 ORDER BY a.id LIMIT 1",
        EVENING,
    )
    assert row is not None
    for said in variants(spec, again, 3, seed=12):
        session = await orch.open_session(channel="test", customer_id=row["customer_id"])
        first = await orch.handle_turn(session.id, "is my electrician still coming next week?")
        assert f"(#{row['id']})" in first.text, first.text
        result = await orch.handle_turn(session.id, said)
        assert result.agent == "booking", (said, result.agent, result.text)
        assert local_time(row["starts_at"]) in result.text and f"(#{row['id']})" in result.text, (said, result.text)


@pytest.mark.parametrize(
    "asked",
    [
        "and is the note about calling before arriving still on there?",
        "is my note still on it",
        "are the instructions still on there?",
    ],
)
async def test_the_note_asked_after_a_move_is_read_from_the_visit(rt: Runtime, spec: Spec, asked: str) -> None:
    orch = clocked(rt, EVENING)
    for n, said in enumerate(variants(spec, asked, 2, seed=31)):
        row = await rt.store.pool.fetchrow(
            "SELECT a.id, a.customer_id, a.description FROM appointments a JOIN slots s ON s.id = a.slot_id "
            "WHERE a.status = 'booked' AND a.description ILIKE '%call before%' AND s.starts_at > $1 "
            "ORDER BY a.id LIMIT 1 OFFSET $2",
            EVENING,
            n,
        )
        assert row is not None
        session = await orch.open_session(channel="test", customer_id=row["customer_id"])
        first = await orch.handle_turn(session.id, f"i need to move appointment #{row['id']}")
        assert "Which one works" in first.text, first.text
        pick = await orch.handle_turn(session.id, "the second")
        done = await orch.handle_turn(session.id, "yes") if "Shall I" in pick.text else pick
        assert re.search(r"moved", done.text), (pick.text, done.text)
        result = await orch.handle_turn(session.id, said)
        note = str(row["description"])
        assert result.agent == "booking" and "call before" in result.text.lower(), (said, note, result.text)
        assert "Packages" not in result.text, result.text


async def late_fee_rows(rt: Runtime, cid: int) -> list[str]:
    rows = await rt.store.pool.fetch(
        "SELECT description FROM invoices WHERE customer_id = $1 AND description ILIKE 'late fee%' ORDER BY due_on",
        cid,
    )
    return [str(r["description"]) for r in rows]


@pytest.mark.parametrize("then", ["which months were they for", "what months were those", "when were they"])
async def test_which_months_the_late_fees_were_for_comes_from_the_charges(rt: Runtime, spec: Spec, then: str) -> None:
    orch = clocked(rt, EVENING)
    cid = int(
        await rt.store.pool.fetchval(
            "SELECT customer_id FROM invoices WHERE description ILIKE 'late fee%' GROUP BY customer_id "
            "HAVING count(*) >= 2 ORDER BY customer_id LIMIT 1"
        )
    )
    fees = await late_fee_rows(rt, cid)
    for said in variants(spec, then, 2, seed=41):
        session = await orch.open_session(channel="test", customer_id=cid)
        first = await orch.handle_turn(session.id, "why do i have 2 late fees on my account?? i paid on time")
        assert first.agent == "billing" and all(f in first.text for f in fees), (fees, first.text)
        result = await orch.handle_turn(session.id, said)
        assert result.agent == "billing" and all(f in result.text for f in fees), (said, fees, result.text)
        assert "guest" not in result.text, result.text


async def test_whether_there_was_a_late_fee_in_a_month_is_answered_from_the_charges(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, EVENING)
    cid = int(
        await rt.store.pool.fetchval(
            "SELECT customer_id FROM invoices WHERE description ILIKE 'late fee%' ORDER BY customer_id LIMIT 1"
        )
    )
    fees = await late_fee_rows(rt, cid)
    for month in calendar.month_name[6:12]:  # June to November
        for said in variants(spec, f"and the one before that, was there a late fee in {month.lower()} too?", 2, seed=3):
            session = await orch.open_session(channel="test", customer_id=cid)
            result = await orch.handle_turn(session.id, said)
            had = [f for f in fees if month in f]
            assert result.agent == "billing", (said, result.agent, result.text)
            if had:
                assert result.text.startswith("Yes") and had[0] in result.text, (said, had, result.text)
            else:
                assert result.text.startswith(f"No, there was no late fee for {month}"), (said, result.text)
