"""A detector's low-battery chirp is a battery to change; an alarm or a symptom is still an emergency.

The outsider's trial (#30): "My carbon monoxide detector is beeping" got the evacuation steps (fair on
those words), then "its just a chirp every minute or so, i think the battery is low" got "What needs
fixing?" and "can someone come change it? i cant reach the ceiling, im 82" the evacuation script again.
Tried as the resident through the orchestrator on a seeded database, each wording roughened by the eval
generator: a chirp reported first, or said after the report, gets the chirp explained against the alarm's
pattern and one maintenance ticket for the battery, with no handoff and the emergency hold released;
"can someone come change it?" then lands on that ticket. An alarm going off, or a chirp with a headache
or dizziness, is dispatched as before.
"""

from __future__ import annotations

import uuid

from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.orchestrator import Orchestrator, TurnResult
from callcenter.routing.emergency import DEFAULT_EMERGENCY_TERMS, detect_emergency
from callcenter.runtime import Runtime

EVACUATE = ("get everyone, including pets, out", "leave your home now", "Get everyone, pets too, out")

_CHIRPS = (
    "my CO detector keeps chirping every minute",
    "my carbon monoxide detector chirps every minute or so, i think the battery is low",
    "the smoke detector in the hallway keeps chirping, needs a new battery",
    "carbon monoxide alarm beeps every 30 seconds, battery must be low",
    "my smoke alarm chirps once a minute, low battery i guess. can someone change it",
)
_SAID_AFTER = (
    "its just a chirp every minute or so, i think the battery is low",
    "oh wait it's only chirping, probably the low battery",
    "actually it just chirps every minute, the battery needs changing",
)
_DANGER = (
    "my co alarm is going off and i have a headache",
    "the carbon monoxide detector keeps chirping and now i feel dizzy",
    "CO detector is sounding, four beeps then a pause, over and over",
    "my carbon monoxide alarm went off and my kids feel nauseous",
    "carbon monoxide detector going off",
)


async def converse(orch: Orchestrator, customer: int, turns: list[str]) -> tuple[str, list[TurnResult]]:
    session = await orch.open_session(channel="test", customer_id=customer)
    return session.id, [await orch.handle_turn(session.id, said) for said in turns]


async def rows(rt: Runtime, session_id: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(category, priority) of the session's tickets, and the queues of its handoffs to a person."""
    sid = uuid.UUID(session_id)
    tickets = await rt.store.pool.fetch("SELECT category, priority FROM tickets WHERE session_id = $1 ORDER BY id", sid)
    queues = await rt.store.pool.fetch("SELECT queue FROM handoffs WHERE session_id = $1 AND kind = 'human'", sid)
    return [(r["category"], r["priority"]) for r in tickets], [r["queue"] for r in queues]


def test_the_router_dispatches_an_alarm_not_a_chirp() -> None:
    terms = (*DEFAULT_EMERGENCY_TERMS, "carbon monoxide", "co alarm", "co detector", "fire")
    for said in _CHIRPS:
        assert detect_emergency(said, terms) is None, said
    for said in _DANGER:
        assert detect_emergency(said, terms) is not None, said
    # a chirp beside real danger is still that danger
    assert detect_emergency("the co detector chirps every minute and water is pouring through the ceiling", terms)
    assert detect_emergency("smoke detector chirping for a battery but i smell gas", terms) == "gas"


async def test_a_chirp_gets_the_difference_explained_and_a_battery_ticket(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_CHIRPS):
        for said in variants(spec, wording, 3, seed=i):
            session_id, (result,) = await converse(orch, 15, [said])
            tickets, queues = await rows(night_runtime, session_id)
            assert queues == [] and not result.human_handoff, (said, result.text)
            assert "low-battery warning" in result.text and "911" in result.text, result.text
            assert not any(e in result.text for e in EVACUATE), result.text
            ticket = await night_runtime.store.pool.fetchrow(
                "SELECT * FROM tickets WHERE id = $1", int(result.text.split("ticket #")[1].split()[0])
            )
            assert ticket is not None and (ticket["category"], ticket["priority"], ticket["customer_id"]) == (
                "maintenance",
                "high",
                15,
            )
            assert tickets in ([], [("maintenance", "high")])  # a repeat from the resident is added to the open one


async def test_a_chirp_said_after_the_report_releases_the_emergency(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, after in enumerate(_SAID_AFTER):
        for said in variants(spec, after, 2, seed=i):
            session_id, results = await converse(
                orch,
                16 + i,
                [
                    "My carbon monoxide detector is beeping",
                    said,
                    "can someone come change it? i cant reach the ceiling, im 82",
                ],
            )
            report, chirp, visit = results
            assert report.human_handoff and any(e in report.text for e in EVACUATE)  # on those words: conservative
            assert "low-battery warning" in chirp.text and not any(e in chirp.text for e in EVACUATE), chirp.text
            assert "Yes: a technician will come" in visit.text and not any(e in visit.text for e in EVACUATE)
            tickets, queues = await rows(night_runtime, session_id)
            assert queues == ["emergency"]  # the first report stays with the team; nobody is woken twice
            assert [t for t in tickets if t[0] == "maintenance"] in ([("maintenance", "high")], [])
            state = await night_runtime.store.pool.fetchval(
                "SELECT state FROM sessions WHERE id = $1", uuid.UUID(session_id)
            )
            assert "emergency" not in (state if isinstance(state, dict) else {}), state


async def test_an_alarm_or_a_symptom_is_still_an_emergency(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_DANGER):
        for said in variants(spec, wording, 3, seed=i):
            session_id, (result,) = await converse(orch, 17, [said])
            tickets, queues = await rows(night_runtime, session_id)
            assert queues == ["emergency"] and ("emergency", "urgent") in tickets, (said, result.text)
            assert any(e in result.text for e in EVACUATE), result.text
    # and after a chirp: a symptom brings the emergency back
    session_id, results = await converse(
        orch, 18, ["my CO detector keeps chirping every minute", "now my head hurts and i feel dizzy"]
    )
    tickets, queues = await rows(night_runtime, session_id)
    assert queues == ["emergency"], [r.text for r in results]
