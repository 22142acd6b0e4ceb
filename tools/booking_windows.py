"""Search windows for booking: how a resident's requested time widens, and whether a slot starts inside one.

Windows are JSON dicts (ISO `date_from`, `date_to`, `earliest`, `latest`) so they ride in a
flow's state; times are the business's local time (`BUSINESS_TZ`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from callcenter_tools.booking import BUSINESS_TZ

_WEEKDAY = re.compile(r"\b(?:mon|tue|wed|thu|fri|sat|sun)", re.I)

WIDEN_DAYS = 14
"""How far ahead a widened search looks, in days."""


def widened_windows(window: dict[str, Any] | None, today: date) -> list[tuple[dict[str, Any], str]]:
    """Search windows to try in order: as asked, then gradually relaxed, then soonest.

    A named weekday ("tuesday") moves a week at a time first (same weekday, same time of day);
    any other single day ("today", "the 3rd") the days right after it first, as a resident who
    asked for today wants tomorrow rather than a week later. Then the time of day is kept over
    two weeks, then dropped. Each entry carries a phrase telling
    the resident the search was widened: offering Thursday when they asked for Tuesday
    without saying so reads as a mistake.
    """
    if not window:
        return [({}, "")]
    asked = {k: window[k] for k in ("date_from", "date_to", "earliest", "latest") if window.get(k)}
    times = {k: window[k] for k in ("earliest", "latest") if window.get(k)}
    wanted = window.get("text") or "then"
    out: list[tuple[dict[str, Any], str]] = [(asked, "")]
    start = date.fromisoformat(window["date_from"]) if window.get("date_from") else today
    single_day = bool(window.get("date_from")) and window.get("date_from") == window.get("date_to")
    if single_day and not _WEEKDAY.search(str(wanted)):
        after = start + timedelta(days=1)
        out.append(
            (
                {"date_from": after.isoformat(), "date_to": (after + timedelta(days=6)).isoformat(), **times},
                f"Nothing is free {wanted}, so I looked at the days right after.",
            )
        )
    elif single_day:
        for weeks in (1, 2):
            day = (start + timedelta(weeks=weeks)).isoformat()
            later = "a week later" if weeks == 1 else f"{weeks} weeks later"
            out.append(
                (
                    {"date_from": day, "date_to": day, **times},
                    f"Nothing is free {wanted}, so I looked at the same day {later}.",
                )
            )
    span = {"date_from": start.isoformat(), "date_to": (start + timedelta(days=WIDEN_DAYS)).isoformat()}
    if times:
        if single_day or window.get("date_to"):
            out.append(
                (
                    {**span, **times},
                    f"Nothing is free {wanted}, so I looked over the next two weeks at that time of day.",
                )
            )
        out.append((span, f"Nothing is free {wanted}, so I widened the search to any time in the next two weeks."))
    elif window.get("date_from") or window.get("date_to"):
        out.append((span, f"Nothing is free {wanted}, so I widened the search to the next two weeks."))
    out.append(({}, f"Nothing is free {wanted}, so here are the soonest openings."))
    return out


def starts_within(bounds: dict[str, Any], slot: dict[str, Any]) -> bool:
    """DateWindow time semantics on a slot's local start: earliest inclusive, latest exclusive,
    earliest == latest meaning that exact time."""
    raw = slot.get("starts_at")
    if not raw or not (bounds.get("earliest") or bounds.get("latest")):
        return True
    start = datetime.fromisoformat(str(raw)).astimezone(BUSINESS_TZ).time().replace(tzinfo=None)
    earliest = time.fromisoformat(bounds["earliest"]) if bounds.get("earliest") else None
    latest = time.fromisoformat(bounds["latest"]) if bounds.get("latest") else None
    if earliest is not None and earliest == latest:
        return start == earliest
    if earliest is not None and start < earliest:
        return False
    return not (latest is not None and start >= latest)
