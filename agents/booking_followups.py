"""Follow-ups that point at the slots just offered, and why a search came back empty.

After "Here's what's free friday: 8:00, 10:00, 1:00", a resident says "anything later that day?",
"what about the day after", "11", "till what time?" or "and on weekends?". None of these names a
slot or a full window: each is read against the offered slots (`reference_day`) or answered
from when visits actually run (`find_slots`' `schedule`, read from the slots themselves), so an
empty search says why ("visits are on weekdays only") instead of offering the same slots again.
Pure functions over the resident's words and the flow's JSON state, split from agents/booking.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from callcenter_agents.booking_moves import on_side
from callcenter_agents.booking_requests import MAX_OPTIONS, visit_noun
from callcenter_agents.extract.day_phrases import RELATIVE_DAY
from callcenter_agents.extract.polite import answer_text, fix_typos
from callcenter_agents.extract.when import parse_when
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.booking_windows import starts_within, widened_windows

# "anything later that day?", "something earlier?", "a bit later in the day": relative to the offer,
# not "later this month" (a date) nor "later than 3" (a time).
_LATER: Final = re.compile(
    r"\b(later|earlier)\b(?!\s+than\b)(?!\s+(?:this|next|in\s+the)\s+(?:week|month)\b)(?!\s+on\s+in\s+the\s+(?:week|month))"
)
# "till what time?", "how late do they come", "what are your hours": when visits run.
_HOURS: Final = re.compile(
    r"\b(?:(?:till|until|til|up\s+to)\s+what\s+time|how\s+(?:late|early)\b|what\s+(?:are\s+)?(?:the|your|their)\s+hours"
    r"|what\s+hours|what\s+time\s+do\s+(?:you|they|the\s+\w+|techs?|technicians?)\s+(?:start|stop|finish|close|open"
    r"|come|end)|latest\s+(?:time|slot|appointment|visit|you\s+(?:have|do))|earliest\s+(?:time|you\s+(?:have|do))"
    r"|(?:do|does|can)\s+(?:you|they|the\s+\w+)\s+(?:come|work|do\s+visits)\s+(?:late|early))"
)
# A bare hour answering a numbered list ("11", "how about 11?") when there is no option 11.
# "the 10", "the 8 one pls": the hour of an opening on the list (booking._offer_answer picks it).
_BARE_HOUR: Final = re.compile(
    r"^(?:(?:how|what)\s+\w+\s+|maybe\s+|at\s+|ok\s+|the\s+)?(\d{1,2})(?::00)?\s*(?:o'?clock\s*)?(?:one\s*)?"
    r"(?:please|pls|plz|porfa|por favor)?\??$"
)
_DAY_WORDS: Final = {0: "Monday", 1: "Tuesday", 2: "Wednesday", 3: "Thursday", 4: "Friday", 5: "Saturday", 6: "Sunday"}


def _local_start(option: dict[str, Any]) -> datetime | None:
    raw = option.get("starts_at")
    return datetime.fromisoformat(str(raw)).astimezone(BUSINESS_TZ) if raw else None


def counts_from_a_day(text: str) -> bool:
    """Whether the message counts from a day already talked about ("the day after", "a week later")."""
    return bool(RELATIVE_DAY.search(fix_typos(text)))


def reference_day(state: dict[str, Any]) -> date | None:
    """The day a follow-up like "the day after" or "later that day" counts from: the day asked for
    when it was one day, else the day of the offered slots when they share one, else the first's."""
    window = state.get("window") or {}
    if window.get("date_from") and window.get("date_from") == window.get("date_to"):
        return date.fromisoformat(str(window["date_from"]))
    starts = [s for s in (_local_start(o) for o in state.get("options", [])) if s is not None]
    if starts:
        return starts[0].date()
    return date.fromisoformat(str(window["date_from"])) if window.get("date_from") else None


def relative_window(text: str, state: dict[str, Any]) -> dict[str, Any] | None:
    """ "anything later that day?" / "earlier?" as a window on the reference day, after the last
    (before the first) offered slot of that day; None when the message says no such thing."""
    m = _LATER.search(fix_typos(text))
    day = reference_day(state)
    if m is None or day is None:
        return None
    starts = sorted(s for s in (_local_start(o) for o in state.get("options", [])) if s and s.date() == day)
    label = f"{'later' if m[1] == 'later' else 'earlier'} on {day:%a %b} {day.day}"
    window: dict[str, Any] = {"date_from": day.isoformat(), "date_to": day.isoformat(), "text": label}
    if m[1] == "later":
        last = starts[-1] if starts else None
        window["earliest"] = time(last.hour + 1).isoformat() if last is not None and last.hour < 23 else None
        window["latest"] = None
    else:
        first = starts[0] if starts else None
        window["earliest"] = None
        window["latest"] = time(first.hour, first.minute).isoformat() if first is not None else None
    return window


def bare_hour(text: str, n_options: int) -> int | None:
    """An hour said bare to a numbered list it cannot be a position in: "11" to options 1-3."""
    m = _BARE_HOUR.match(answer_text(text).strip(" .!"))
    if m is None:
        return None
    value = int(m[1])
    return value if n_options < value <= 12 else None


def asks_hours(text: str) -> bool:
    """Whether the resident asks when visits run ("till what time?", "how late do they come?")."""
    return bool(_HOURS.search(fix_typos(text)))


# Words of another request: the office's hours, the pool, the rent are not questions about openings.
_ELSEWHERE: Final = re.compile(
    r"\b(office|leasing|pool|gym|package|parcel|mail|rent|pay\w*|balance|bill|invoice|fee|parking|trash|garbage"
    r"|laundry|amenit\w*|quiet|guests?|pets?|smell|gas|fire|smoke|flood\w*|leak\w*|emergenc\w*|person|human|agent)\b"
)


_GRIEVANCE: Final = re.compile(r"\b(complain\w*|complaint|manager|ridiculous|unacceptable|lawyer|attorney|sue)\b")


def answers_what_needs_fixing(text: str) -> bool:
    """Whether a message answers "What needs fixing?" ("it's hard to explain", "the thing on the
    wall"), rather than asking for something else (the rent, a person, a complaint)."""
    t = fix_typos(text)
    return not (_ELSEWHERE.search(t) or _GRIEVANCE.search(t))


# "it's hard to expalin", "not sure how to describe it": no answer yet about the repair, said to the openings.
_VAGUE: Final = re.compile(
    r"\b((hard|difficult|tough|tricky) to (explain|describe|say)|not sure (what|how)|"
    r"(can'?t|cannot|don'?t know how to) (really )?(explain|describe))\b"
)


def is_vague_answer(text: str) -> bool:
    """A resident who cannot say what is wrong, while openings are on offer: still the booking's turn
    (the classifier hears a slipped "expalin" as a grievance and offered a complaint)."""
    t = fix_typos(text, ("explain", "describe", "difficult"))
    return bool(_VAGUE.search(t)) and answers_what_needs_fixing(text)


def is_about_openings(text: str, now: datetime) -> bool:
    """Whether a message answers or questions the openings on offer ("do you do saturdays?",
    "anything later?", "till what time?", "11") rather than asking for something else."""
    t = fix_typos(text)
    if _ELSEWHERE.search(t):
        return False
    if asks_hours(t) or _LATER.search(t) or _BARE_HOUR.match(answer_text(text).strip(" .!")):
        return True
    return parse_when(text, now.astimezone(BUSINESS_TZ)) is not None


def _days_phrase(weekdays: list[int]) -> str:
    if weekdays == [0, 1, 2, 3, 4]:
        return "weekdays"
    if weekdays == list(range(7)):
        return "every day"
    names = [_DAY_WORDS[d] + "s" for d in weekdays]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def hours_sentence(schedule: dict[str, Any], noun: str) -> str:
    """ "Maintenance visits are on weekdays, starting between 8:00 AM and 3:00 PM (done by 5:00 PM)." """
    days = _days_phrase([int(d) for d in schedule.get("weekdays", [])])
    return (
        f"{noun[0].upper()}{noun[1:]}s are on {days}, starting between {schedule['first_start']} and "
        f"{schedule['last_start']} (done by {schedule['last_end']})."
    )


Plan = list[tuple[dict[str, Any], str]]


def explain_empty(
    window: dict[str, Any] | None, schedule: dict[str, Any], noun: str, today: date
) -> tuple[str, Plan] | None:
    """Why nothing is free in the window asked for, when the schedule says so, and where to look
    instead: days visits never run on (a weekend), a time of day outside their hours (evenings),
    or dates past the last bookable day. None when the window is one visits do run in."""
    if not window:
        return None
    wanted = str(window.get("text") or "then")
    low = date.fromisoformat(window["date_from"]) if window.get("date_from") else None
    high = date.fromisoformat(window["date_to"]) if window.get("date_to") else None
    earliest = time.fromisoformat(window["earliest"]) if window.get("earliest") else None
    latest = time.fromisoformat(window["latest"]) if window.get("latest") else None
    weekdays = {int(d) for d in schedule.get("weekdays", [])}
    first = time.fromisoformat(schedule["first_start_time"])
    last = time.fromisoformat(schedule["last_start_time"])
    last_date = date.fromisoformat(schedule["last_date"])
    times = {k: window[k] for k in ("earliest", "latest") if window.get(k)}
    hours = hours_sentence(schedule, noun)
    if low is not None and high is not None and (high - low).days < 7 and weekdays:
        days = [low + timedelta(days=i) for i in range((high - low).days + 1)]
        if not any(d.weekday() in weekdays for d in days):
            after = high + timedelta(days=1)
            plan: Plan = [
                ({"date_from": after.isoformat(), "date_to": (after + timedelta(days=7)).isoformat(), **times}, ""),
                ({"date_from": after.isoformat(), "date_to": (after + timedelta(days=14)).isoformat()}, ""),
                ({}, ""),
            ]
            return f"{hours} So nothing is free {wanted}; here's the nearest after that:", plan
    off_hours = (earliest is not None and earliest > last and earliest != latest) or (
        latest is not None and latest <= first and earliest != latest
    )
    if off_hours or (earliest is not None and earliest == latest and not first <= earliest <= last):
        dates = {k: window[k] for k in ("date_from", "date_to") if window.get(k)}
        late = earliest is not None and earliest > last
        clamp = {"earliest": last.isoformat()} if late else {"earliest": first.isoformat(), "latest": first.isoformat()}
        which = "latest" if late else "earliest"
        start = low or today
        plan = [
            ({**dates, **clamp}, ""),
            ({"date_from": start.isoformat(), "date_to": (start + timedelta(days=14)).isoformat(), **clamp}, ""),
            ({}, ""),
        ]
        return f"{hours} So nothing is free {wanted}; here are the {which} ones I have:", plan
    if low is not None and low > last_date:
        plan = [
            (
                {
                    "date_from": max(today, last_date - timedelta(days=6)).isoformat(),
                    "date_to": last_date.isoformat(),
                    **times,
                    "latest_first": True,
                },
                "",
            ),
            ({"date_from": max(today, last_date - timedelta(days=6)).isoformat(), "latest_first": True}, ""),
        ]
        return (
            f"I can only book up to {schedule['last_day']} so far, so nothing is free {wanted} yet; "
            "here are the latest openings I have:",
            plan,
        )
    return None


async def find_openings(
    t: ToolTurn, state: dict[str, Any], kind: str, category: str | None, today: date
) -> tuple[list[dict[str, Any]], str, str]:
    """The openings to offer for the flow's window (at most `MAX_OPTIONS`, in time order), the note
    saying the search was widened, and the reason nothing was free where asked (see `explain_empty`).

    Searches the window as asked, then gradually relaxed (`widened_windows`); openings the resident
    turned down (`exclude`) and, when a visit is moved, those on the wrong side of it stay out.
    """
    exclude = {opt["slot_id"] for opt in state.get("exclude", [])}
    not_days = set(state.get("not_days") or [])  # "not monday tho": never offered (excluded_days.py)
    direction, visit = state.get("direction"), (state.get("appointment") or {}).get("starts_at")
    slots: list[dict[str, Any]] = []
    reason = ""
    plan = widened_windows(state.get("window"), today)
    step = 0
    while step < len(plan):
        bounds, widened_note = plan[step]
        step += 1
        args: dict[str, Any] = {"kind": kind, "limit": 10, **bounds}
        args.pop("latest", None)  # the tool bounds a slot's end; the resident's "before 5" bounds its start
        if category:
            args["category"] = category
        result = await t.call("find_slots", args)
        slots = [
            s
            for s in result.get("slots", [])
            if s.get("slot_id") not in exclude
            and starts_within(bounds, s)
            and on_side(direction, visit, s)
            and not (not_days and (start := _local_start(s)) is not None and start.weekday() in not_days)
        ][:MAX_OPTIONS]
        if bounds.get("latest_first"):
            slots.reverse()
        if slots:
            return slots, reason or widened_note, reason
        raw = result.get("slots", [])
        if not_days and len(raw) >= 10 and (last := _local_start(raw[-1])) is not None:
            # a page all on the days ruled out: the same window again, from the day after that page
            plan.insert(step, ({**bounds, "date_from": (last.date() + timedelta(days=1)).isoformat()}, widened_note))
            continue
        schedule = result.get("schedule")
        if not reason and isinstance(schedule, dict):
            # Nothing free where visits never run (a Saturday, the evening, past the last bookable
            # day): say why, and look where they do.
            why = explain_empty(state.get("window"), schedule, visit_noun(kind, category), today)
            if why is not None:
                reason, plan, step = why[0], why[1], 0
    return [], "", reason
