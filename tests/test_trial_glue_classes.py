"""Short, everyday messages an outsider's trial found misread, from the resident's side.

Whole conversations through the orchestrator on a seeded runtime: the resident's own appointments
asked for in a few words ("whats booked"), and the time of a visit asked again right after booking
it. Each class is tried in wordings generated here (courtesy, hesitation, one-letter slips from the
eval generator), not only in the trial's sentences. The database is seeded for Monday 2026-11-30 and
the clock is that evening in New York, as in the trial.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, converse, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 30, 20, 45, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
LISTED = re.compile(r"Your upcoming appointments|no upcoming appointments")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def glue_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as rt:
        yield rt


_WHAT_IS_BOOKED = (
    "whats booked",
    "whats booked for me",
    "what do i have booked",
    "what have i got booked?",
    "anything scheduled for me",
    "what do i have coming up",
    "what did i book",
)


@pytest.mark.parametrize("wording", _WHAT_IS_BOOKED)
async def test_the_residents_appointments_asked_in_a_few_words_are_listed(
    glue_runtime: Runtime, spec: Spec, wording: str
) -> None:
    orch = clocked(glue_runtime, EVENING)
    for said in variants(spec, wording, 3, seed=11):
        [(agent, reply)] = await converse(orch, 4, [said])
        assert agent == "booking" and LISTED.search(reply), (said, agent, reply)


_AGAIN = (
    ("wait what time was that again", "any time friday morning"),
    ("when was that again?", "thursday afternoon"),
    ("sorry what time did you say", "wednesday"),
    ("what day was it", "next tuesday"),
)


@pytest.mark.parametrize(("again", "day"), _AGAIN)
async def test_the_time_of_a_visit_just_booked_is_read_back(
    glue_runtime: Runtime, spec: Spec, again: str, day: str
) -> None:
    orch = clocked(glue_runtime, EVENING)
    session = await orch.open_session(channel="test", customer_id=36)
    offer = await orch.handle_turn(session.id, f"need someone for the toilet, it runs constantly. {day}")
    if "Shall I book" not in offer.text:
        await orch.handle_turn(session.id, "ok the first")
    done = await orch.handle_turn(session.id, "sure")
    booked = re.search(r"You're booked: .* on (\w{3} \w{3} \d+, \d+:\d\d [AP]M).*number is (#\d+)", done.text)
    assert booked, (offer.text, done.text)
    said = variants(spec, again, 2, seed=5)[-1]  # with a slip or courtesy of the generator's
    result = await orch.handle_turn(session.id, said)
    # read back, not moved or booked again: the same appointment, at the time just booked
    reply = result.text
    assert result.agent == "booking" and f"{booked[1]} with" in reply and f"({booked[2]})" in reply, (said, reply)


# (a handbook question, words its answer has, short follow-ups meaningless on their own)
_HANDBOOK_FOLLOW_UPS = (
    ("when is the office open", "office is open", ("till what time?", "and on weekends?", "what about saturdays")),
    ("is the pool open", "[Pp]ool", ("until when?", "what about sundays", "and on holidays?")),
    ("when are quiet hours", "[Qq]uiet hours", ("and on weekends?", "what about friday nights")),
    ("when can i pick up packages", "package room", ("till what time", "and sundays?")),
)


@pytest.mark.parametrize("case", _HANDBOOK_FOLLOW_UPS, ids=lambda c: c[0].split()[-2])
async def test_a_short_follow_up_to_a_handbook_answer_is_about_its_topic(
    glue_runtime: Runtime, spec: Spec, case: tuple[str, str, tuple[str, ...]]
) -> None:
    question, topic, follow_ups = case
    orch = clocked(glue_runtime, EVENING)
    for follow_up in follow_ups:
        for said in variants(spec, follow_up, 2, seed=3):
            (_, first), (agent, reply) = await converse(orch, 4, [question, said])
            assert re.search(topic, first), first
            assert agent == "general" and re.search(topic, reply), (said, agent, reply)


@pytest.mark.parametrize("wording", ["i need help", "I need some help please", "hi, i need help", "need assistance"])
async def test_a_bare_request_for_help_gets_the_menu(glue_runtime: Runtime, spec: Spec, wording: str) -> None:
    orch = clocked(glue_runtime, EVENING)
    for said in variants(spec, wording, 3, seed=7):
        [(agent, reply)] = await converse(orch, 4, [said])
        assert agent == "general" and "What can I do for you?" in reply and "guest" not in reply, (said, reply)
    [(agent, reply)] = await converse(orch, 4, ["i need help with my sink, it leaks"])
    assert agent == "booking", reply  # help with something named is that request, not the menu
