"""What a message is about when the classifier would guess a booking: the outsider trial's class B.

The booking agent has the most examples, so a message the classifier half-recognises ("did i get
a package?", "I received a letter. Something about money.", "is my appointment still on") lands
there and hears "What needs fixing?" or a list of openings. These detectors read what the message
is made of — a package, a parking permit, money owed, a call back, the status of a visit, hot water
that fails — and `ROUTE_RULES` (agents/conversation.py) send it to the agent that answers it.
`fits_booking` is the last word: a message the classifier sends to booking with nothing of a
repair, a visit or a time in it is not understood, and the front desk says so with what it can do.
Pure functions, English (with the few Spanish words residents mix in).
"""

from __future__ import annotations

import re
from typing import Final

from callcenter_agents.extract import detect_issue, detect_trade
from callcenter_agents.extract.polite import fix_typos

# A delivery asked after ("did i get a package?", "amazon says delivered", "can my sister pick it up").
_PACKAGE_WORDS: Final = ("package", "packages", "parcel", "parcels", "delivery", "delivered", "amazon", "mailroom")
_PACKAGE: Final = re.compile(
    r"\b(packages?|parcels?|pack(age)? room|mail ?room|deliver(y|ies|ed)|amazon|ups|fedex|usps|dhl|"
    r"pick ?up code|paquetes?|entrega)\b"
)
# A package reported stolen or a courier's conduct is a grievance: the classifier's (a complaint).
_PACKAGE_GRIEVANCE: Final = re.compile(r"\b(stole|stolen|steal\w*|theft|thief|rude|threw|thrown|damaged|complain\w*)\b")

# Parking asked about ("do i need a permit for my own car", "where do i get a parking sticker").
_PERMIT: Final = re.compile(
    r"\b((parking )?permits?|parking (sticker|tag|pass|space|spot)s?|(car|vehicle) (sticker|tag|registration)|"
    r"where (can|do|should) (i|we|guests?|visitors?) park|(tow|towed|towing))\b"
)


def asks_about_packages(text: str) -> bool:
    """A question about a delivery or the package room: the handbook's package answer, not a repair."""
    t = fix_typos(text, _PACKAGE_WORDS)
    return bool(_PACKAGE.search(t)) and not _PACKAGE_GRIEVANCE.search(t) and not _is_repair(t)


# Asking whether one is needed or what it costs, not asking the office for one (a ticket: desk_tickets.py).
_PERMIT_QUESTION: Final = re.compile(
    r"\b(do (i|we|you) (need|have to have|require)|is (a |one )?(parking )?permit (needed|required)|"
    r"(need|require) (a |one )?(parking )?permit\?|how much (is|are|does|do|for)|what (does|do|is) .{0,20}cost)\b"
)


def asks_whether_a_permit_is_needed(text: str) -> bool:
    """ "do i need a permit for my own car": the parking rules, asked before any request to the office."""
    t = fix_typos(text, ("permit", "permits", "parking", "vehicle"))
    return asks_about_parking(text) and bool(_PERMIT_QUESTION.search(t))


def asks_about_parking(text: str) -> bool:
    """A parking permit or sticker asked about: the handbook's parking answer (permits, prices)."""
    t = fix_typos(text, ("permit", "permits", "parking", "sticker", "vehicle"))
    return bool(_PERMIT.search(t)) and not _is_repair(t)


# Money the resident owes, asked however plainly ("how much do I owe", "how do I owe", "it says I owe
# something", "a letter … something about money", "what's my balanse", "cuánto debo").
_OWE_WORDS: Final = ("owe", "owed", "owing", "money", "balance", "overdue", "statement", "debt")
_OWE: Final = re.compile(
    r"\b((how much|how|what|wat|much)( do| did| does)? (i|we) (still )?(owe|owing)|(i|we) (still )?owe\b|"
    r"(says|said|saying|shows?|claims?) (that )?(i|we) owe|owe (you|them|the (office|building|landlord))|"
    r"about (the )?money|money (i|we) owe|(past|over) ?due|overdue|outstanding|debt|collections?|"
    r"(my|the) (balance|statement|account balance)|cu[aá]nto (le )?debo|lo que debo)\b"
)


def asks_what_i_owe(text: str) -> bool:
    """Money owed or a letter about money: billing reads the balance, whatever the classifier guessed."""
    t = fix_typos(text, _OWE_WORDS)
    return bool(_OWE.search(t)) and not _REPAIR_COST.search(t)


# "how much will the repair cost" / "do I owe for the plumber" is a question about a repair's cost.
_REPAIR_COST: Final = re.compile(r"\b(repair|plumber|electrician|technician|fix(ing)?|visit|appointment)\b")

# A call back asked for ("can somebody call me on the telephone", "have someone phone me", "llámenme").
_CALL_WORDS: Final = ("somebody", "someone", "telephone", "phone", "call")
_CALL_BACK: Final = re.compile(
    r"\b((can|could|would|will|please|pls|have|get|need|want|i'?d like|i would like) (some ?(one|body) |a person |"
    r"(some ?one|some ?body|a person|the office|the manager|you|they|he|she) (to )?)?"
    r"(call|phone|ring|telephone) me( back)?|"
    r"(give|get) me a (call|phone call|ring)|call ?back|call me\b|phone me\b|"
    r"(talk|speak) (to|with) (some ?one|some ?body|a person) (on|by|over) the (tele)?phone|"
    r"ll[aá]m(e|en|enme|eme)|me (pueden|puede) llamar)\b"
)
# "call before arriving", "call me when they're on the way": an access note for a visit, not a call back.
_CALL_NOTE: Final = re.compile(
    r"\b(call|phone|text|ring)( me)?( \d+ ?(min|mins|minutes|hours?|hrs?))? (before|when|first|ahead|once|if)\b|"
    r"\bbefore (arriv|com)|\b(add|put|leave) (a |an )?notes?\b"
)


def asks_for_call_back(text: str) -> bool:
    """A person asked to phone the resident: the handoff desk, never a slot list or a booking."""
    t = fix_typos(text, _CALL_WORDS)
    return bool(_CALL_BACK.search(t)) and not _CALL_NOTE.search(t)


# Hot water that fails ("barely any hot water", "the hot water isnt working", "only lukewarm water").
_HOT_WATER: Final = re.compile(
    r"\b((no|barely( any)?|hardly( any)?|not (much|enough|any)|little|without|lost( the)?|lukewarm|luke ?warm|"
    r"never (any|enough)|low) hot water|"
    r"hot water (is |has |keeps |just |still |always )?(not|isn'?t|wasn'?t|doesn'?t|won'?t|stopped|"
    r"runs? out|running out|ran out|went out|"
    r"out|gone|cold|off|barely|only|never|cuts? out|is lukewarm|lukewarm)|"
    r"water (is |stays |goes |turns )?(never|only|barely|not) (hot|warm)|(only|just) (lukewarm|cold) water|"
    r"no (hay )?agua caliente|sin agua caliente)\b"
)
# Hot water billed or metered is a billing question.
_WATER_BILL: Final = re.compile(r"\b(bill\w*|charge\w*|cost|price|meter\w*|usage|invoice|pay\w*)\b")


def reports_hot_water_problem(text: str) -> bool:
    """Hot water that fails in the unit: a repair to book (the classifier hears the water bill)."""
    t = fix_typos(text, ("water", "barely", "hardly", "lukewarm", "working"))
    return bool(_HOT_WATER.search(t)) and not _WATER_BILL.search(t)


# A payment method named on its own ("the visa", "use my mastercard", "with the bank account").
_METHOD: Final = re.compile(
    r"^((the|my|use|with|on|put it on|pay with|charge|charge it to)( the| my)? )*"
    r"(visa|master ?card|amex|american express|discover|debit card|credit card|card|bank( account)?|"
    r"checking( account)?|savings( account)?|ach|chase|wells fargo|capital one)( card| one| account)?"
    r"( (ending|ending in) \d{2,4})?"
    r"( please| pls| then| instead| one)?$"
)


def names_payment_method(text: str) -> bool:
    """A card or account named as the whole message: the answer to billing's "which card?"."""
    t = fix_typos(text, ("visa", "mastercard", "discover", "account")).strip(" .!?,")
    return bool(_METHOD.search(t))


# What a message sent to booking has to show: a repair, a trade, a visit or viewing, a time for one.
_BOOKING_MEANING: Final = re.compile(
    r"\b(book\w*|schedul\w*|reschedul\w*|appointments?|appt|visits?|viewings?|tours?|showings?|cancel\w*|"
    r"move (it|my|the)|technicians?|tech|plumb\w*|electric\w*|maintenance|handy ?man|repair\w*|fix\w*|"
    r"broke\w*|leak\w*|drip\w*|clog\w*|work(ing|s)?|stopped|won'?t|doesn'?t|isn'?t|not|no|dead|noisy|noise|"
    r"smell\w*|stuck|loose|crack\w*|come (out|over|by|in|and|to|fix|look)|coming|send (some|a|an|the)|look at|"
    r"check (on|out)|mon(day)?|tue(s|sday)?|wed(nesday)?|thu(rs|rsday)?|fri(day)?|sat(urday)?|sun(day)?|"
    r"today|tomorrow|tmrw|tonight|morning|afternoon|evening|week|weekend|asap|soon|am|pm|\d{1,2}(:\d\d)?|"
    r"slots?|openings?|times?|available|availability|apartment|unit|bedroom|rent(al)?|lease)\b"
)


def fits_booking(text: str) -> bool:
    """Whether a message the classifier sends to booking has anything of a booking in it. Without a
    repair, a trade, a visit or a time, "What needs fixing?" would answer a question never asked."""
    t = fix_typos(text, ("appointment", "schedule", "tomorrow", "morning", "afternoon", "working", "broken"))
    return bool(_BOOKING_MEANING.search(t) or detect_issue(text) or detect_trade(text))


# What a message sent to billing has to show: money, a charge, a payment, a card, an amount.
_BILLING_MEANING: Final = re.compile(
    r"\b(pay\w*|paid|balance|owe\w*|charg\w*|fees?|invoices?|bills?|billing|billed|rent|cards?|visa|master ?card|"
    r"amex|discover|bank|account|checking|savings|refund\w*|money|cost\w*|price|late|due|receipts?|deposit|"
    r"autopay|auto ?pay|"
    r"statement|ledger|waiv\w*|amount|half|all|everything|rest|cash|check|cheque|apple pay|zelle|venmo|plan|"
    r"dollars?|bucks|cents?|water|sewer|trash|parking|utilit\w*|month\w*|overdue|credit|debit|method\w*|"
    r"yes|no|ok|okay|sure|yeah|yep|nope)\b|\$|\d"
)


def fits_billing(text: str) -> bool:
    """Whether a message the classifier sends to billing has anything of money in it ("can my sister
    pick it up" has not: the balance would answer a question never asked)."""
    mended = fix_typos(text, ("balance", "payment", "invoice", "refund", "charge", "account", "card", "cards"))
    return bool(_BILLING_MEANING.search(mended))  # "how much is on my accont", "what carrds do i have"


# "is the note about calling before arriving still on there?": the visit's notes, read back.
_NOTE_QUESTION: Final = re.compile(
    r"\b((is|are|was|were|did|does) (the |my |that |those )?(notes?|instructions?|message)\b.{0,60}"
    r"(still|on (there|it|the (visit|appointment))|saved|kept|there|carried|moved)|"
    r"(what|which) (notes?|instructions?) (is|are|did|do)|(still|also) (has|have|got) (the|my) notes?)"
)


def asks_about_the_note(text: str) -> bool:
    """A question whether the visit's note is still on it, asked right after the visit was booked or moved."""
    return bool(_NOTE_QUESTION.search(fix_typos(text, ("note", "notes", "instructions", "still"))))


def _is_repair(t: str) -> bool:
    """A repair named beside the topic ("the package room door is broken"): the classifier's to route."""
    return bool(re.search(r"\b(broke\w*|not working|isn'?t working|won'?t (open|close|lock)|fix\w*|repair\w*)\b", t))
