"""Stored sessions become scenarios with their observed end state."""

from __future__ import annotations

from pathlib import Path

from callcenter.evals.export import export_session
from callcenter.evals.scenario import dump_scenarios, load_file
from callcenter.runtime import Runtime


async def test_export_booking_session_round_trips(runtime: Runtime, tmp_path: Path) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="chat", customer_id=1)
    for text in ("My kitchen sink is leaking, can someone come tomorrow?", "1", "yes"):
        await orch.handle_turn(session.id, text)
    async with runtime.pool.acquire() as conn:
        scenario = await export_session(conn, session.id)
    assert scenario.customer == 1
    assert [t.text for t in scenario.user.turns or []][0].startswith("My kitchen sink")
    booked = [e for e in scenario.expect.db if e.table == "appointments"]
    assert booked and booked[0].new and booked[0].match["category"] == "plumbing"
    assert booked[0].match["status"] == "booked" and booked[0].match["local_date"]
    assert scenario.expect.handoff is False
    path = tmp_path / "exported.yaml"
    path.write_text(dump_scenarios([scenario]))
    (again,) = load_file(path)
    assert again.expect.db == scenario.expect.db and again.id == scenario.id


async def test_export_handoff_session(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="chat", customer_id=1)
    await orch.handle_turn(session.id, "I smell gas in my kitchen")
    async with runtime.pool.acquire() as conn:
        scenario = await export_session(conn, session.id)
    assert scenario.expect.handoff == "urgent"
    assert any(e.table == "tickets" and e.match.get("priority") == "urgent" for e in scenario.expect.db)
