"""Slot extraction from natural customer phrasing, for the deterministic specialist flows.

The offline backend's booking and billing flows must understand "next tuesday after 3",
"$1,234.56" or "the 3pm one" without a model. Everything here is a pure function over a
string (and an explicit, tz-aware `now`; the clock is never read), stdlib only and fast
(tens of microseconds per call), so flows stay deterministic and testable.

Modules, each documenting the rules it chose where English is ambiguous:

- `when`: dates and time-of-day windows (`parse_when`, `DateWindow`); `day_phrases` holds the
  calendar phrases it reads that name no plain date ("the end of the month", "the day after").
- `amount`: money in integer cents (`parse_amount`, `FULL`).
- `intent`: yes / no / cancel / correction, and which presented option was picked.
- `refs`: what the customer refers to: a maintenance issue, a trade, an appointment kind,
  an invoice number, a kind of charge.
- `_text`: normalisation and number/calendar vocabulary shared by the above.
"""

from callcenter_agents.extract.amount import FULL, parse_amount
from callcenter_agents.extract.intent import (
    is_affirmative,
    is_cancel,
    is_correction,
    is_negative,
    names_a_position,
    pick_choice,
)
from callcenter_agents.extract.refs import (
    detect_appointment_ref,
    detect_charge_kind,
    detect_invoice_ref,
    detect_issue,
    detect_trade,
)
from callcenter_agents.extract.when import DateWindow, parse_when

__all__ = [
    "FULL",
    "DateWindow",
    "detect_appointment_ref",
    "detect_charge_kind",
    "detect_invoice_ref",
    "detect_issue",
    "detect_trade",
    "is_affirmative",
    "is_cancel",
    "is_correction",
    "is_negative",
    "names_a_position",
    "parse_amount",
    "parse_when",
    "pick_choice",
]
