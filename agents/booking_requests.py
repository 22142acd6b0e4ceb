"""What a booking request says: its intent, the visit it names, the repair, and the time window.

Pure functions over the resident's words and the flow's stored state, split from the booking flow
(agents/booking.py) so the state machine reads on its own; the time window is stored in the flow's
JSON state and read back here, and a correction keeps what it leaves out (`carry_window`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from callcenter_agents.booking_changes import RESCHEDULE
from callcenter_agents.desk_requests import is_rental_enquiry
from callcenter_agents.extract import DateWindow, detect_appointment_ref, detect_issue, detect_trade
from callcenter_agents.extract.polite import fix_typos
from callcenter_tools.booking import BUSINESS_TZ

CANCEL_WORDS = re.compile(
    r"\b(cancel\w*|call off|don'?t need (the|my|a|that) (visit|appointment|viewing|tour))\b", re.I
)
_LIST = re.compile(
    # "my shower has no hot water. also when is the office open?": the building's hours, not a visit's
    r"\b((when is|when's)(?! the (office|pool|gym|package|leasing|front desk|lobby|laundry|rooftop))|"
    r"what time is|do i have|list|show me|upcoming|my appointments|"
    r"any appointments|scheduled|is (the|my) \w+ (still )?coming|booked for)\b",
    re.I,
)
# "whats booked", "what do i have booked", "anything scheduled for me?": the resident's own
# appointments asked for in a few words, which the classifier reads as off-topic or a handbook question.
_WHAT_IS_BOOKED_WORDS = ("booked", "scheduled", "coming", "appointments", "appointment", "bookings", "visits", "still")
_WHAT_IS_BOOKED = re.compile(
    r"\b(what('?s| is| do i have| have i (got )?|'?ve i got| i have)? ?(got )?booked|what (did|have) i book(ed)?|"
    r"(do i have|have i got|got) (anything|something|any\w*) (booked|scheduled|coming up)|"
    r"(anything|something) (booked|scheduled) for me|what (do i have|have i got|'?s) coming up|"
    r"what (appointments?|visits?|bookings?) (do i have|have i got|are (booked|scheduled|coming up))|"
    r"(check|see|show) (me )?(my|what i have) (bookings?|booked|appointments?|visits?)|"
    # "is my appointment still on", "is the plumber still coming?": its status, read back from the visits
    r"(is|are) (my|the|our) (\w+ )?(appointments?|appt|visits?|viewings?|bookings?) still (on|happening|scheduled|"
    r"booked|confirmed|good|going ahead|a go)|do i still have (an?|my|the) (\w+ )?(appointment|visit|viewing|booking)|"
    r"(is|are) (my|the|our) (plumber|electrician|technician|tech|handyman|maintenance( guy| person)?|"
    r"repair ?(man|person)) still (coming|on)|(are|is) (they|he|she) still coming)\b"
)
# "wait what time was that again", "when was it again?": the time of the visit just booked or read back.
_BOOKED_TIME = re.compile(
    r"\b((what time|when|what day|which day)( is| was|'s|s)? (it|that|the (appointment|visit|viewing|booking)|"
    r"my (appointment|visit|viewing|booking))( again| for)?|what time did you (say|book)|"
    r"remind me (of )?(the )?(time|day|when|number)|"
    # "what time again", "when again?", "what day is it again": asked right after a visit is read back
    r"(what time|what day|which day|what date|when)( (is|was) (it|that))? again|"
    # "what was the appointment number again", "whats my booking number": its number, read back
    r"(what|which)( was| is|'s|s)? (the |my |that )?(appointment|appt|booking|visit|confirmation|reference)"
    r" (number|no)|"
    r"what number (was|is) (it|that)|"
    # "is it still on friday right?", "my visit is still for monday?": the time, confirmed
    r"(is )?(it|it's|its|that|that's|the (appointment|visit|viewing|booking)|my (appointment|visit|viewing|booking))"
    r" (is )?still (on|for|at|booked|happening|(mon|tue|wed|thu|fri|sat|sun)\w*))"
)
_VIEWING = re.compile(
    r"\b(viewings?|tours?|showings?|see (the|a|an|that) (unit|apartment|place|flat|\w+ bedroom)|"
    r"view (the|a|an) (unit|apartment))\b",
    re.I,
)

# "appointment #4", "appointment number 4", "visit 12", "#4": the number the resident names.
_APPT_NUMBER = re.compile(
    r"(?:\b(?:appointment|appt|visit|viewing|booking|tour|reservation|cita|visita)s?\s*"
    r"(?:number|num|no\.?|n[uú]mero|n[uú]m\.?|n[oº]\.?)?\s*#?\s*"
    r"|#\s*)(\d{1,9})\b(?!\s*(?:am|pm|a\.m|p\.m|:|st\b|nd\b|rd\b|th\b))",
    re.I,
)
# "cancel 1", "cancela el 3": a number right after the verb, said to a yes/no question about one visit
_VERB_NUMBER = re.compile(
    r"\b(?:cancel\w*|call off|move|reschedul\w*|mueve\w*|cambia\w*)\s+(?:(?:the|el|la|number|no\.?|n[uú]mero|one)\s+)*"
    r"#?\s*(\d{1,9})\b(?!\s*(?:am|pm|a\.m|p\.m|:|st\b|nd\b|rd\b|th\b|de\b|of\b))",
    re.I,
)

# A day named as the appointment's own ("the visit on the 14th"; "my visit for tuesday" may mean the new day).
NAMES_THE_VISIT = re.compile(
    r"\b(?:visit|appointment|appt|booking|viewing|tour)\s+on\s+(?:the\s+)?(?:\d|mon|tue|wed|thu|fri|sat|sun"
    r"|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|tomorrow|today)"
    r"(?![^.?!]*\b(?:to|for|until|till)\s+(?:the\s+)?(?:\d|mon|tue|wed|thu|fri|sat|sun|next|tomorrow|later))",
    re.I,
)

_NOUNS = {
    "plumbing": "plumbing visit",
    "electrical": "electrical visit",
    "hvac": "heating/AC (HVAC) visit",
    "appliance": "appliance repair visit",
    "general": "maintenance visit",
}
MAX_OPTIONS = 3


def visit_noun(kind: str, category: str | None) -> str:
    """`plumbing visit`, `unit viewing`: how the resident hears what is being booked."""
    if kind == "viewing":
        return "unit viewing"
    return _NOUNS.get(category or "general", "maintenance visit")


def with_article(noun: str) -> str:
    """`an electrical visit`, `a unit viewing` ("unit" sounds like "you")."""
    vowel = noun[:1].lower() in "aeiou" and not noun.lower().startswith(("uni", "use", "usu"))
    return f"an {noun}" if vowel else f"a {noun}"


_VIEWING_WORDS = ("viewing", "viewings", "showing", "showings", "apartment")
_MOVE_WORDS = ("switch", "change", "reschedule", "postpone", "plumbing", "plumber", "electrician", "technician")


def detect_intent(text: str) -> str:
    """book | reschedule | cancel | list | viewing, from the resident's first message."""
    if CANCEL_WORDS.search(text) or CANCEL_WORDS.search(fix_typos(text, ("cancel",))):  # "cancrl my visit"
        return "cancel"
    if RESCHEDULE.search(text) or RESCHEDULE.search(fix_typos(text, _MOVE_WORDS)):  # "swicth my sink reapir"
        return "reschedule"
    if _LIST.search(text) or asks_what_is_booked(text):
        return "list"
    viewing_words = fix_typos(text, _VIEWING_WORDS)  # "book me a viewimg"
    if _VIEWING.search(viewing_words) or detect_appointment_ref(viewing_words) == "viewing" or is_rental_enquiry(text):
        return "viewing"
    if asks_for_a_viewing(text):  # "I'd like to see one of your apartments"
        return "viewing"
    return "book"


def asks_what_is_booked(text: str) -> bool:
    """The resident's upcoming appointments asked for in a few words ("whats booked", "what do i
    have booked"): the booking flow lists them, whatever the classifier guessed."""
    return bool(_WHAT_IS_BOOKED.search(fix_typos(text, _WHAT_IS_BOOKED_WORDS)))


# "is my plumber still coming?", "the ac guy is coming monday right?", "what time is the electrician coming"
_THEIR_VISIT = re.compile(
    r"\b(what time|when)\b[^.?!]{0,40}\b(coming|arriving|showing up|getting here|coming by|stopping by|be here)\b|"
    r"\b(coming|arriving|showing up)\b[^.?!]{0,25}\bright\b|"
    r"\b(is|are)\s+(my|the|our)\b[^.?!]{0,25}\b(still )?(coming|arriving|showing up)\b",
    re.I,
)


def asks_about_their_visit(text: str) -> bool:
    """A question about a visit already booked (when, what time, still coming): read back, not rebooked."""
    return asks_booked_time(text) or bool(_THEIR_VISIT.search(text))


def asks_booked_time(text: str) -> bool:
    """ "what time was that again?": asked right after a booking or a read-back, the visit's time."""
    return bool(_BOOKED_TIME.search(fix_typos(text, ("again",))))


# A viewing asked for ("can I tour an apartment", "i'd like to see one of your units", "set me up with a
# showing"): the leasing calendar's openings, not the handbook's paragraph about viewings ("how long
# do viewings last?" stays a question for the handbook).
_UNIT_NOUN = (
    r"(apartments?|apts?|units?|places?|flats?|studios?|lofts?|rentals?|listings?|propert(y|ies)|homes?|condos?|"
    r"(one|two|three|1|2|3)[- ]?(bed(room)?s?|br|bd))"
)
_VIEWING_REQUEST = re.compile(
    r"\b(((can|could|may) (i|we)( please)?|(i'?d|i would|we'?d|we would) (love|like) to|"
    r"(i|we) (want|wanna|need|hope) to|"
    r"(i|we) (was|were|am|are) (hoping|looking|wanting) to|i'?m (hoping|looking|wanting) to|(let|help) (me|us)( to)?) "
    r"(come (and |to )?)?(tour|see|view|visit|look at|look around|check out|walk through|take a look at) "
    rf"(an?|the|this|that|your|one of (the|your)|any|some)( \w+)?( \w+)? {_UNIT_NOUN}|"
    r"(book|schedule|set|arrange|get|make|want|like|need|have|do|take)( me| us)?( up)?( with)? "
    r"(an?|the|one)( apartment| unit)? (viewing|tour|showing)|"
    r"(tour|viewing|showing) (of|for) (an?|the|this|that|your|one of your) (\w+ )?" + _UNIT_NOUN + r")\b"
)
_VIEWING_REQUEST_WORDS = ("apartment", "apartments", "viewing", "showing", "schedule", "units", "studio")


def asks_for_a_viewing(text: str) -> bool:
    """A viewing asked for, in so many words: the booking flow's openings for one, whatever the
    classifier guessed (it hears "can I tour an apartment" as the handbook's viewing policy)."""
    return bool(_VIEWING_REQUEST.search(fix_typos(text, _VIEWING_REQUEST_WORDS)))


_NUMBER_WORDS = ("appointment", "appointments", "booking", "reservation", "viewing", "number", "cancel", "numero")
# Any number said on its own: not a time ("8am", "8:30"), a day ("the 11th", "11 de") or a count of days.
_LOOSE_NUMBER = re.compile(
    r"(?<![\d:$.,])\b(\d{1,9})\b(?![.,:]\d)(?!\s*(?:am|pm|a\.m|p\.m|st\b|nd\b|rd\b|th\b|de\b|of\b|o'?clock"
    r"|days?\b|weeks?\b|min\w*|hours?\b|hrs?\b|%))",
    re.I,
)


def appointment_number(text: str) -> int | None:
    """The appointment number the resident names ("cancel appointment #4", "la cita número 4",
    "appointent 13"), else None."""
    m = _APPT_NUMBER.search(text) or _APPT_NUMBER.search(fix_typos(text, _NUMBER_WORDS))
    return int(m[1]) if m else None


def loose_numbers(text: str) -> list[int]:
    """Every number in the message that is not a time, a day of the month or a duration: to a
    yes/no question about visit #7, "yes, 13" or "cancel the 3 one" names some other visit."""
    return [int(n) for n in _LOOSE_NUMBER.findall(text)]


def named_number(text: str) -> int | None:
    """The appointment number a message names while a yes/no question about one visit is open:
    "cancel appointment 1" and also a bare "cancel 1" (there is no numbered list to pick from)."""
    found = appointment_number(text)
    if found is not None:
        return found
    m = _VERB_NUMBER.search(fix_typos(text, ("cancel", "reschedule")))  # "cacnel 11"
    return int(m[1]) if m else None


def describe_issue(issue: tuple[str, str] | None, text: str) -> str:
    """The work order's description: the detected issue, pests as a pest-control visit with the
    resident's words (bed bugs and mice are treated differently)."""
    if issue is None:
        return text[:500]
    if issue[1] == "pests":
        return f"pest control: {text}"[:500]
    return (issue[1] or text)[:500]


def window_to_state(window: DateWindow) -> dict[str, str | None]:
    """A DateWindow as JSON (ISO strings), so it can ride in the flow state."""

    def iso(v: date | time | None) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "date_from": iso(window.date_from),
        "date_to": iso(window.date_to),
        "earliest": iso(window.earliest),
        "latest": iso(window.latest),
        "text": window.text or "",
    }


def window_from_state(raw: dict[str, Any] | None) -> DateWindow | None:
    """The DateWindow `window_to_state` stored, or None."""
    if not raw:
        return None

    def day(v: Any) -> date | None:
        return date.fromisoformat(v) if v else None

    def hour(v: Any) -> time | None:
        return time.fromisoformat(v) if v else None

    return DateWindow(
        day(raw.get("date_from")),
        day(raw.get("date_to")),
        hour(raw.get("earliest")),
        hour(raw.get("latest")),
        str(raw.get("text") or ""),
    )


def _clock(at: time) -> str:
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{at.hour % 12 or 12}{minutes}{'pm' if at.hour >= 12 else 'am'}"


def _day_words(window: DateWindow) -> str:
    if window.date_from is not None and window.date_from == window.date_to:
        return window.date_from.strftime("%A %b ") + str(window.date_from.day)
    return window.text


def _time_words(window: DateWindow) -> str:
    low, high = window.earliest, window.latest
    if low is not None and low == high:
        return f"at {_clock(low)}"
    if low is not None and high is not None:
        return f"between {_clock(low)} and {_clock(high)}"
    return f"after {_clock(low)}" if low is not None else f"before {_clock(high)}" if high is not None else ""


_ANY_TIME = re.compile(r"\b(?:any\s*time|whenever|all\s+day)\b", re.I)


def carry_window(when: DateWindow, before: DateWindow | None, text: str) -> DateWindow:
    """The resident's new window with what it leaves out taken from the one asked before.

    "no wait, 2pm not 10" after "wednesday at 10am" still means Wednesday, and "thursday then"
    after "wednesday at 10am" still means 10am: a change of only the time keeps the day, a change
    of only the day keeps the time ("thursday any time" drops it)."""
    if before is None:
        return when
    has_day = when.date_from is not None or when.date_to is not None
    has_time = when.earliest is not None or when.latest is not None
    had_day = before.date_from is not None or before.date_to is not None
    had_time = before.earliest is not None or before.latest is not None
    if has_time and not has_day and had_day:  # "what about 4?": "Thursday Mar 12 at 4pm", not "… 12 4"
        said = _time_words(when) if re.fullmatch(r"\s*\d{1,2}(:\d\d)?\s*", when.text) else when.text
        phrase = f"{_day_words(before)} {said}"
        return DateWindow(before.date_from, before.date_to, when.earliest, when.latest, phrase)
    if has_day and not has_time and had_time and not _ANY_TIME.search(text):
        phrase = f"{when.text} {_time_words(before)}"
        return DateWindow(when.date_from, when.date_to, before.earliest, before.latest, phrase)
    return when


def fits_window(when: DateWindow, option: dict[str, Any]) -> bool:
    """Whether an offered slot already satisfies the window the resident just named."""
    raw = option.get("starts_at")
    if not raw:
        return False
    return when.admits(datetime.fromisoformat(str(raw)).astimezone(BUSINESS_TZ))


def same_weekday(when: DateWindow, option: dict[str, Any]) -> bool:
    """Whether the window is one weekday ("the wednesday one", with the time asked before) and the
    offered slot falls on that weekday at such a time: the resident points at the slot, whatever
    week it is in ("wednesday the 9th" against a slot on the 2nd picks no slot: no label matches)."""
    raw = option.get("starts_at")
    day = when.date_from
    if not raw or day is None or when.date_to != day:
        return False
    start = datetime.fromisoformat(str(raw)).astimezone(BUSINESS_TZ)
    return start.weekday() == day.weekday() and when.admits_time(start.time())


def specialist_trade(text: str) -> str | None:
    """A specialist trade the resident names ("a plumber"); a handyman names no job, so the
    question what needs fixing is still asked and the answer decides."""
    trade = detect_trade(text)
    return trade if trade != "general" else None


def named_trade(text: str) -> str | None:
    """The trade of the visit the resident points at: named ("my plumber") or by its object ("the sink one")."""
    issue = detect_issue(text)
    return detect_trade(text) or (issue[0] if issue is not None and issue[0] != "general" else None)


_NOT_A_VISIT = re.compile(r"\b(ticket|invoice|bill|payment|autopay|charge|lease|request|order|case|complaint)s?\b")


def changes_a_numbered_visit(text: str) -> bool:
    """ "can you cancel #13", "move appointment 4 to friday": a visit by its number, the booking
    agent's whatever the classifier guessed (it read some as off-topic); not a ticket or an invoice."""
    words = fix_typos(text, _NUMBER_WORDS)
    return (
        detect_intent(text) in ("cancel", "reschedule")
        and named_number(text) is not None
        and not _NOT_A_VISIT.search(words)
    )
