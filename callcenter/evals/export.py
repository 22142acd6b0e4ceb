"""From trace to eval: a stored session becomes a scenario with its observed end state.

The user's turns come from `messages`; the expectations from what the session changed, read
from its successful tool calls by the business's own exporter (`<tools module>.eval_export`:
the demo's knows appointments, payments, waivers and tickets), plus whether a person was brought in. The
result is a regression test of what happened; edit it when what happened was wrong (a
complaint), so the test says what should have happened instead.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import asyncpg

from callcenter.evals.scenario import Scenario


def _slug(session_id: str) -> str:
    return f"export-{session_id[:8]}"


async def export_session(conn: asyncpg.Connection, session_id: str, tools_module: str = "callcenter_tools") -> Scenario:
    sid = uuid.UUID(session_id)
    session = await conn.fetchrow("SELECT * FROM sessions WHERE id = $1", sid)
    if session is None:
        raise LookupError(f"no session {session_id}")
    customer = session["customer_id"]
    texts = [
        r["text"]
        for r in await conn.fetch("SELECT text FROM messages WHERE session_id = $1 AND role = 'user' ORDER BY seq", sid)
    ]
    if not texts:
        raise LookupError(f"session {session_id} has no user messages")
    calls = [
        (r["tool"], dict(r["result"] or {}))
        for r in await conn.fetch(
            "SELECT tool, result FROM tool_calls WHERE session_id = $1 AND status = 'ok' ORDER BY id", sid
        )
    ]
    try:
        business = importlib.import_module(tools_module + ".eval_export")
    except ModuleNotFoundError:
        db, unchanged = [], []  # a business without an exporter: the turns and the handoff only
    else:
        db, unchanged = await business.expectations(conn, sid, calls)
    handoff = await conn.fetchval(
        "SELECT priority FROM handoffs WHERE session_id = $1 AND kind = 'human' ORDER BY id LIMIT 1", sid
    )
    doc: dict[str, Any] = {
        "id": _slug(session_id),
        "description": f"Exported from session {session_id} ({session['channel']}, "
        f"{session['created_at']:%Y-%m-%d %H:%M %Z}).",
        "tags": [str((session["state"] or {}).get("last_vertical") or "exported")],
        "customer": customer,
        "channel": session["channel"] if session["channel"] in ("chat", "voice") else "chat",
        "now": session["created_at"].isoformat(),
        "user": {"turns": texts},
        "expect": {"db": db, "handoff": handoff if handoff else False, "unchanged": unchanged},
    }
    return Scenario.model_validate(doc)


async def export_sessions(dsn: str, session_ids: list[str], tools_module: str = "callcenter_tools") -> list[Scenario]:
    from callcenter.store.db import connect

    conn = await connect(dsn)
    try:
        return [await export_session(conn, sid, tools_module) for sid in session_ids]
    finally:
        await conn.close()
