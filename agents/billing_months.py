"""Payments of a month: "what did I pay last month?", then "and the month before?", "what about october?".

A resident who asks about a month means the calendar month, not the latest payment (trial 2026-12-01
#13: "what did i pay last month" read back a payment of this month, and "and the month before?" got
the lease-renewal paragraph). The month asked about is remembered in the closing state, so a short
follow-up moves from it ("the month before", "before that", "and october?").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from callcenter_agents.billing_payment import payment_line
from callcenter_agents.billing_questions import MONTHS, months_named
from callcenter_agents.extract.polite import fix_typos, polite_core
from callcenter_agents.replies import numbered
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.booking import BUSINESS_TZ

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents

_THIS = re.compile(r"\b(?:this|current)\s+month\b")
# A follow-up that moves from the month just read back: "the month before?", "and before that".
_BEFORE = re.compile(
    r"\b(?:(?:the\s+)?month\s+before(?:\s+that)?|before\s+that|(?:the\s+)?one\s+before(?:\s+that)?|"
    r"(?:the\s+)?previous\s+one|(?:the\s+)?month\s+prior|a\s+month\s+earlier)\b"
)
_AFTER = re.compile(r"\b(?:(?:the\s+)?month\s+after(?:\s+that)?|after\s+that|(?:the\s+)?following\s+month)\b")
_SHORT_FOLLOW_UP = 8  # words (courtesy aside): longer is a request of its own


def _first(day: date) -> date:
    return day.replace(day=1)


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def today_of(t: ToolTurn) -> date:
    return t.turn.now.astimezone(BUSINESS_TZ).date()


def month_asked(text: str, today: date) -> date | None:
    """The month a question about payments names: "last month" is the calendar month before today's,
    "in october" the latest October that has begun; None when it names no month."""
    t = fix_typos(text, ("month", "previous", *MONTHS))
    if _THIS.search(t):
        return _first(today)
    if re.search(r"\b(?:last|previous|past|prior)\s+month\b", t):
        return _shift(_first(today), -1)
    named = months_named(t)
    if len(named) != 1:
        return None
    month = date(today.year, MONTHS.index(named[0]) + 1, 1)
    return month if month <= today else _shift(month, -12)


def other_month(text: str, shown: str | None, today: date) -> date | None:
    """The month a short follow-up moves to from the one just read back (`shown`, ISO), else None."""
    if not shown:
        return None
    core = polite_core(fix_typos(text, ("month", "before", "previous", *MONTHS))) or text.lower()
    if len(core.split()) > _SHORT_FOLLOW_UP:
        return None
    month = date.fromisoformat(shown)
    if _BEFORE.search(core):
        return _shift(month, -1)
    if _AFTER.search(core):
        after = _shift(month, 1)
        return after if after <= today else None
    return month_asked(core, today) if months_named(core) else None


async def month_payments(t: ToolTurn, month: date, *, lead: str = "") -> FlowReply:
    """The payments made in `month`, each with its day, method and what it paid for."""
    end = _shift(month, 1)
    found = await t.call("list_payments", {"limit": 24, "since": month.isoformat()})
    payments: list[dict[str, Any]] = [
        p for p in found.get("payments", []) if month.isoformat() <= str(p.get("paid_on")) < end.isoformat()
    ]
    label = f"{month:%B %Y}"
    total = sum(int(p["amount_cents"]) for p in payments)
    closing = {
        "payments": {"last": payments[0] if payments else None, "month": month.isoformat(), "total_cents": total}
    }
    if not payments:
        earlier = (await t.call("list_payments", {"limit": 24})).get("payments", [])
        before = [p for p in earlier if str(p.get("paid_on")) < month.isoformat()]
        seen = f" Your last payment before then was {payment_line(before[0])}." if before else ""
        return t.reply(f"{lead}I don't see any payment from you in {label}.{seen}", closing, done=True)
    if len(payments) == 1:
        return t.reply(f"{lead}In {label} you paid {payment_line(payments[0])}.", closing, done=True)
    lines = numbered([payment_line(p) for p in reversed(payments)])  # in the order they were made
    return t.reply(
        f"{lead}In {label} you made {len(payments)} payments, {format_cents(total)} in all:\n{lines}",
        closing,
        done=True,
    )
