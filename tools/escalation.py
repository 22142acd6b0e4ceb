"""Escalation tools: open a ticket, or hand the conversation to a human queue.

Neither needs a verified resident: a caller reporting a gas smell or a flood must reach a
person even if they can't sign in, so the customer id is recorded only when known.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

import structlog
from callcenter_tools.same_issue import issue_match
from pydantic import AfterValidator, Field

from callcenter.language.packs import language_queues
from callcenter.tooling.args import Args
from callcenter.tooling.toolkit import ToolContext, ToolError, tool

log = structlog.get_logger(__name__)

EMERGENCY_LINE = "555-0100"

PriorityName = Literal["low", "normal", "high", "urgent"]
TEAMS = ("emergency", "billing", "maintenance", "leasing", "general")


def known_queue(name: str) -> str:
    """Our teams, or the people who speak a language the business has a file for ("spanish")."""
    if name in TEAMS or name in language_queues():
        return name
    raise ValueError(f"unknown queue {name!r}; use one of {', '.join([*TEAMS, *sorted(language_queues())])}")


Queue = Annotated[str, AfterValidator(known_queue)]

_QUEUE_CATEGORY = {
    "emergency": "emergency",
    "billing": "billing",
    "maintenance": "maintenance",
    "leasing": "leasing",
    "general": "other",
}
_ETA_MINUTES = {"high": 5, "normal": 15, "low": 60}


def handoff_eta(queue: str, priority: str) -> str:
    """What to promise the caller: emergencies and urgent requests get a person at once."""
    if queue == "emergency" or priority == "urgent":
        return (
            "a human will join immediately; if anyone is in danger or there is fire, gas, or flooding, "
            f"call 911 or the 24/7 emergency line {EMERGENCY_LINE} now"
        )
    return f"a human will join within {_ETA_MINUTES.get(priority, 15)} minutes"


def effective_priority(queue: str, priority: str) -> str:
    """The emergency queue is always urgent, whatever the caller's wording suggested."""
    return "urgent" if queue == "emergency" else priority


def session_uuid(session_id: str) -> uuid.UUID | None:
    """The session id as a UUID, or None when the caller has no session row."""
    try:
        return uuid.UUID(session_id)
    except ValueError:
        return None


async def _insert_ticket(ctx: ToolContext, *, category: str, priority: str, subject: str, body: str) -> int:
    ticket_id: int = await ctx.conn.fetchval(
        """
        INSERT INTO tickets (customer_id, session_id, category, priority, subject, body, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
        """,
        ctx.customer_id,
        session_uuid(ctx.session_id),
        category,
        priority,
        subject,
        body,
        ctx.now,
    )
    return ticket_id


class CreateTicketArgs(Args):
    category: Literal[
        "maintenance",
        "billing",
        "complaint",
        "noise",
        "package",
        "parking",
        "reservation",
        "leasing",
        "request",
        "other",
    ] = Field(
        description="What the ticket is about: a repair, a charge, a complaint, a neighbour's noise, a package, a "
        "parking permit, a reservation (freight elevator, community room), a lease matter (notice to move out), "
        "another request for the office (a message for the manager, an exception), or other."
    )
    priority: PriorityName = Field(
        default="normal",
        description="'urgent' only for safety issues (leak, no heat in winter, gas, fire, lockout at night).",
    )
    subject: str = Field(min_length=1, max_length=120, description="One-line summary.")
    body: str = Field(default="", max_length=2000, description="Details: what, where (unit/area), since when.")


@tool(writes=True, vertical="escalation")
async def create_ticket(ctx: ToolContext, args: CreateTicketArgs) -> dict[str, Any]:
    """Open a ticket for the property team (complaint, noise, maintenance issue, billing question).

    Works even when the caller is not signed in. Use handoff_to_human instead when a person
    must take over the conversation now.
    """
    same = await _same_open_ticket(ctx, args)
    if same is not None:
        return same
    ticket_id = await _insert_ticket(
        ctx, category=args.category, priority=args.priority, subject=args.subject, body=args.body
    )
    log.info("tool.ticket.created", ticket_id=ticket_id, category=args.category, priority=args.priority)
    return {"ticket_id": ticket_id, "priority": args.priority, "status": "open"}


SAME_COMPLAINT_OVERLAP = 0.6  # share of subject words two open tickets of one resident share to be one complaint
SAME_ISSUE_DAYS = 30  # an open ticket older than this is not added to: a new report of it is a new ticket


async def _same_open_ticket(ctx: ToolContext, args: CreateTicketArgs) -> dict[str, Any] | None:
    """The open ticket this one repeats, brought up to date; None when it is new.

    "log a complaint" said twice (a retry, a resident unsure it worked) must not file the complaint
    twice, nor "the noise upstairs again" after "upstairs neighbours still stomping at night": an open ticket
    of the same category from the last SAME_ISSUE_DAYS about the same issue (same_issue.py: the same kind of
    trouble, no other place), or, when a subject names no kind, one open in this conversation or with mostly
    the same words, gets the new words appended and, if more urgent, its priority raised. Different issues
    (a leak, a noise) are never merged. A ticket too full to take all of the new words is not reused: they go
    on a new ticket instead of being cut.
    """
    session_id = session_uuid(ctx.session_id)
    await ctx.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1::text))", f"ticket:{ctx.customer_id}:{session_id}")
    rows = await ctx.conn.fetch(
        """
        SELECT id, priority, subject, session_id FROM tickets
        WHERE category = $1 AND status <> 'closed'
          AND (session_id = $2 OR ($3::bigint IS NOT NULL AND customer_id = $3)) AND created_at > $4
        ORDER BY id DESC LIMIT 20
        """,
        args.category,
        session_id,
        ctx.customer_id,
        ctx.now - timedelta(days=SAME_ISSUE_DAYS),
    )
    wanted = _words(args.subject)
    scored = []
    for row in rows:  # newest first; the surest match wins (the same place over a place unsaid)
        same = issue_match(args.subject, str(row["subject"]))
        if same is None:
            had = _words(str(row["subject"]))
            overlap = len(wanted & had) / max(1, min(len(wanted), len(had)))
            in_session = session_id is not None and row["session_id"] == session_id
            same = 1 if in_session or overlap >= SAME_COMPLAINT_OVERLAP else 0
        scored.append((same, row))
    for same, row in sorted(scored, key=lambda s: -s[0]):
        if same:
            raised = args.priority if _RANK[args.priority] > _RANK[row["priority"]] else row["priority"]
            if not await _append_to_ticket(ctx, row["id"], raised, args.body or args.subject):
                log.info("tool.ticket.full", ticket_id=row["id"], category=args.category)
                return None
            log.info("tool.ticket.repeated", ticket_id=row["id"], category=args.category, priority=raised)
            return {"ticket_id": row["id"], "priority": raised, "status": "open", "already_open": True}
    return None


async def _append_to_ticket(ctx: ToolContext, ticket_id: int, priority: str, words: str) -> bool:
    """Append a repeat report's words, whole, to an open ticket and set its priority; False (nothing
    changed) when the ticket has no room for all of them (MAX_TICKET_BODY bounds what one repeat flood
    can pile onto one ticket)."""
    updated: int | None = await ctx.conn.fetchval(
        """UPDATE tickets SET priority = $2, body = body || E'\nAgain: ' || $3
           WHERE id = $1 AND length(body) + length(E'\nAgain: ' || $3) <= $4 RETURNING id""",
        ticket_id,
        priority,
        words,
        MAX_TICKET_BODY,
    )
    return updated is not None


class HandoffArgs(Args):
    queue: Queue = Field(
        description="Which human team: 'emergency' for danger to people or property (always urgent), 'billing', "
        "'maintenance', 'leasing', 'general', or 'spanish' for a resident who writes in Spanish."
    )
    priority: PriorityName = Field(default="normal", description="How fast a person is needed.")
    summary: str = Field(
        min_length=1,
        max_length=1000,
        description="What the person taking over needs to know, in two or three sentences.",
    )
    reason: str = Field(default="", max_length=300, description="Why a human is needed.")


@tool(writes=True, vertical="escalation")
async def handoff_to_human(ctx: ToolContext, args: HandoffArgs) -> dict[str, Any]:
    """Hand the conversation to a human team now (emergencies, requests to speak to a person,
    anything the tools can't resolve). Opens a ticket and tells the caller when someone will join.
    Works even when the caller is not signed in."""
    session_id = session_uuid(ctx.session_id)
    if session_id is None:
        raise ToolError(
            f"No conversation to hand over; call the office, or {EMERGENCY_LINE} for emergencies.",
            code="no_session",
        )
    priority = effective_priority(args.queue, args.priority)
    repeat = await _open_handoff(ctx, session_id, args, priority)
    if repeat is None:
        repeat = await _customer_open_handoff(ctx, session_id, args, priority)
    if repeat is not None:
        return repeat
    ticket_id = await _insert_ticket(
        ctx,
        category=_QUEUE_CATEGORY.get(args.queue, "other"),
        priority=priority,
        subject=f"Handoff to {args.queue}: {args.summary[:80]}",
        body=f"{args.summary}\nReason: {args.reason}",
    )
    handoff_id = await ctx.conn.fetchval(
        """
        INSERT INTO handoffs
            (session_id, from_agent, to_agent, kind, priority, queue, summary, context, created_at)
        VALUES ($1, $2, $3, 'human', $4, $5, $6, $7::text::jsonb, $8) RETURNING id
        """,
        session_id,
        ctx.agent or "router",
        f"human:{args.queue}",
        priority,
        args.queue,
        args.summary,
        json.dumps({"reason": args.reason, "ticket_id": ticket_id}),
        ctx.now,
    )
    await ctx.conn.execute("UPDATE sessions SET status = 'human', updated_at = $2 WHERE id = $1", session_id, ctx.now)
    log.info("tool.handoff.human", handoff_id=handoff_id, queue=args.queue, priority=priority)
    return {
        "handoff_id": handoff_id,
        "ticket_id": ticket_id,
        "queue": args.queue,
        "priority": priority,
        "eta": handoff_eta(args.queue, priority),
    }


_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
MAX_TICKET_BODY = 8000
MAX_HANDOFF_SUMMARY = 4000  # what a queue entry's summary grows to with repeats from other conversations
MAX_ALSO_SESSIONS = 50  # other conversations listed on one open handoff (a flood lists the first ones)


async def _open_handoff(
    ctx: ToolContext, session_id: uuid.UUID, args: HandoffArgs, priority: str
) -> dict[str, Any] | None:
    """The session's open handoff to the same queue, brought up to date; None when there is none.

    A second "I smell gas" in a conversation a person is already taking over must not open a
    second ticket (a flood would open hundreds): the open ticket gets the new words appended
    and, if the new request is more urgent, its priority raised.
    """
    await ctx.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1::text))", str(session_id))
    row = await ctx.conn.fetchrow(
        """
        SELECT h.id AS handoff_id, t.id AS ticket_id, t.priority
        FROM handoffs h JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
        WHERE h.session_id = $1 AND h.kind = 'human' AND h.queue = $2 AND t.status <> 'closed'
        ORDER BY h.id DESC LIMIT 1
        """,
        session_id,
        args.queue,
    )
    if row is None:
        return None
    raised = priority if _RANK[priority] > _RANK[row["priority"]] else row["priority"]
    if not await _append_to_ticket(ctx, row["ticket_id"], raised, args.summary):  # full: the person has the chat
        await ctx.conn.execute("UPDATE tickets SET priority = $2 WHERE id = $1", row["ticket_id"], raised)
    await ctx.conn.execute("UPDATE handoffs SET priority = $2 WHERE id = $1", row["handoff_id"], raised)
    log.info("tool.handoff.repeated", handoff_id=row["handoff_id"], ticket_id=row["ticket_id"], priority=raised)
    return {
        "handoff_id": row["handoff_id"],
        "ticket_id": row["ticket_id"],
        "queue": args.queue,
        "priority": raised,
        "eta": handoff_eta(args.queue, raised),
        "already_open": True,
    }


async def _customer_open_handoff(
    ctx: ToolContext, session_id: uuid.UUID, args: HandoffArgs, priority: str
) -> dict[str, Any] | None:
    """The signed-in resident's open handoff from another conversation, brought up to date, when they
    already have as many open as CALLCENTER_OPEN_HANDOFFS_PER_CUSTOMER allows; None otherwise.

    One resident's token once opened 210 urgent handoffs in 17 s, one per new chat, and buried another
    resident's gas leak below the desk's 200-entry frame (red-team R3). Past the budget a new request
    changes no queue length: the open handoff (the same team's if any, else the most pressing) gets the
    new words, the higher priority and, when more urgent, the new team; this conversation is listed in
    its context (`also_sessions`) so `handoff_status` here finds it and the operator sees where else the
    resident wrote. The customer's lock makes racing sessions count one another.
    """
    if ctx.customer_id is None:
        return None
    await ctx.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1::text))", f"handoffs:customer:{ctx.customer_id}")
    rows = await ctx.conn.fetch(
        """
        SELECT h.id AS handoff_id, h.queue, h.priority AS handoff_priority, h.context->>'ticket_id' AS ticket_id,
               t.priority
        FROM handoffs h JOIN sessions s ON s.id = h.session_id
        LEFT JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
        WHERE s.customer_id = $1 AND h.kind = 'human' AND h.status IN ('waiting', 'held')
        ORDER BY h.id DESC
        """,
        ctx.customer_id,
    )
    if len(rows) < ctx.limits.open_handoffs_per_customer:
        return None
    row = min(rows, key=lambda r: (r["queue"] != args.queue, -_RANK.get(str(r["handoff_priority"]), 0)))
    had = str(row["handoff_priority"])
    raised = priority if _RANK[priority] > _RANK.get(had, 0) else had
    queue = args.queue if _RANK[priority] > _RANK.get(had, 0) else str(row["queue"])
    await ctx.conn.execute(
        """UPDATE handoffs SET priority = $2, queue = $3, to_agent = 'human:' || $3,
               summary = CASE WHEN length(summary) < $5 THEN left(summary || E'\nAgain: ' || $4, $5) ELSE summary END,
               context = CASE WHEN COALESCE(context->'also_sessions', '[]') ? $6
                                   OR jsonb_array_length(COALESCE(context->'also_sessions', '[]')) >= $7
                              THEN context
                              ELSE jsonb_set(context, '{also_sessions}',
                                             COALESCE(context->'also_sessions', '[]') || to_jsonb($6::text)) END
           WHERE id = $1""",
        row["handoff_id"],
        raised,
        queue,
        args.summary,
        MAX_HANDOFF_SUMMARY,
        str(session_id),
        MAX_ALSO_SESSIONS,
    )
    ticket = int(row["ticket_id"]) if row["ticket_id"] is not None else None
    if ticket is not None and not await _append_to_ticket(ctx, ticket, raised, args.summary):  # full: summary has it
        await ctx.conn.execute("UPDATE tickets SET priority = $2 WHERE id = $1", ticket, raised)
    log.warning(
        "tool.handoff.customer_budget", handoff_id=row["handoff_id"], customer_id=ctx.customer_id, priority=raised
    )
    return {
        "handoff_id": row["handoff_id"],
        "ticket_id": ticket,
        "queue": queue,
        "priority": raised,
        "eta": handoff_eta(queue, raised),
        "already_open": True,
    }


class HandoffStatusArgs(Args):
    queue: Queue | None = Field(default=None, description="Only a handoff to this team (None: the latest).")


_WAITING = {
    "waiting": "waiting for the next person on the team",
    "held": "a person has taken the conversation",
    "released": "a person looked at it and handed the conversation back",
    "closed": "closed",
}


@tool(vertical="escalation")
async def handoff_status(ctx: ToolContext, args: HandoffStatusArgs) -> dict[str, Any]:
    """Where this conversation's handoff to a person stands: its ticket, team, priority and whether a
    person has taken it yet. Use it when the caller asks "is anyone coming?" after a handoff."""
    session_id = session_uuid(ctx.session_id)
    row = await ctx.conn.fetchrow(
        """
        SELECT h.id, h.queue, h.priority, h.status, h.created_at, t.id AS ticket_id, t.status AS ticket_status
        FROM (SELECT id FROM handoffs WHERE session_id = $1 AND kind = 'human'
              UNION ALL  -- a request folded into the resident's open handoff of another conversation
              SELECT o.id FROM handoffs o JOIN sessions s ON s.id = o.session_id
              WHERE s.customer_id = $3 AND o.kind = 'human' AND o.context->'also_sessions' ? $1::text) ids
        JOIN handoffs h ON h.id = ids.id LEFT JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
        WHERE $2::text IS NULL OR h.queue = $2
        ORDER BY h.id DESC LIMIT 1
        """,
        session_id,
        args.queue,
        ctx.customer_id,
    )
    if row is None:
        return {"open": False}
    minutes = max(0, int((ctx.now - row["created_at"]).total_seconds() // 60))
    return {
        "open": row["status"] in ("waiting", "held") and row["ticket_status"] != "closed",
        "handoff_id": row["id"],
        "ticket_id": row["ticket_id"],
        "queue": row["queue"],
        "priority": row["priority"],
        "status": row["status"],
        "status_text": _WAITING.get(str(row["status"]), str(row["status"])),
        "minutes_ago": minutes,
        "eta": handoff_eta(str(row["queue"]), str(row["priority"])),
    }


class TicketStatusArgs(Args):
    about: str = Field(
        default="",
        max_length=200,
        description="Words of what was reported ('gas leak', 'noise upstairs'); empty: the latest tickets.",
    )


MAX_TICKETS_LISTED = 3  # a status answer names the best few, not the resident's whole history
_TICKETS_READ = 50  # how many of the newest tickets are read to find the one asked about
_STATUS_TEXT = {"open": "open", "in_progress": "being worked on", "closed": "closed"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _NOT_TOPIC}


_NOT_TOPIC = frozenset(
    ("the", "and", "for", "you", "your", "about", "with", "that", "this", "user", "assistant", "handoff", "reason")
    + ("ticket", "report", "reported", "status", "update", "what", "whats", "any", "there", "was", "have", "has")
    + ("complaint", "complain", "log", "file", "want", "like", "would", "please", "just", "need", "can")
)


@tool(vertical="escalation")
async def ticket_status(ctx: ToolContext, args: TicketStatusArgs) -> dict[str, Any]:
    """The caller's earlier tickets (complaints, reports, handoffs to a person), those about `about`
    first, newest first: number, team, priority, status and whether a person has taken it. Use it when
    the caller asks about something they reported before ("any update on the leak I reported?").
    A signed-in caller sees their own tickets from any conversation, anyone else only this one's."""
    session_id = session_uuid(ctx.session_id)
    rows = await ctx.conn.fetch(
        """
        SELECT t.id, t.category, t.priority, t.status, t.subject, t.body,
               (SELECT h.status FROM handoffs h WHERE h.kind = 'human'
                  AND (h.context->>'ticket_id')::bigint = t.id ORDER BY h.id DESC LIMIT 1) AS handoff_status,
               (SELECT h.queue FROM handoffs h WHERE h.kind = 'human'
                  AND (h.context->>'ticket_id')::bigint = t.id ORDER BY h.id DESC LIMIT 1) AS queue
        FROM tickets t
        WHERE CASE WHEN $1::bigint IS NOT NULL THEN t.customer_id = $1 ELSE t.session_id = $2 END
        ORDER BY t.id DESC LIMIT $3
        """,
        ctx.customer_id,
        session_id,
        _TICKETS_READ,
    )
    wanted = _words(args.about)
    scored = [(len(wanted & _words(f"{r['subject']} {r['body']}")), r) for r in rows]
    # What the words name first; among those, an open emergency (what a resident asking is most likely
    # waiting on), then the closest match, then the newest.
    matched = any(score for score, _ in scored) or not wanted
    best = sorted(  # nothing about those words: the newest open ones, said as such ("matched": False)
        (x for x in scored if x[0] or not matched),
        key=lambda x: (x[1]["queue"] != "emergency" or x[1]["status"] == "closed", -x[0], -int(x[1]["id"])),
    )
    if not matched:
        best = [x for x in best if x[1]["status"] != "closed"]
    tickets = [
        {
            "ticket_id": r["id"],
            "category": r["category"],
            "priority": r["priority"],
            "status": r["status"],
            "status_text": _WAITING.get(str(r["handoff_status"]), "")
            if r["handoff_status"] and r["status"] != "closed"
            else _STATUS_TEXT.get(str(r["status"]), str(r["status"])),
            "queue": r["queue"],
            "subject": r["subject"],
        }
        for _, r in best[:MAX_TICKETS_LISTED]
    ]
    return {"found": bool(tickets), "matched": matched and bool(tickets), "tickets": tickets}


ESCALATION_TOOLS = (create_ticket, handoff_to_human, handoff_status, ticket_status)
