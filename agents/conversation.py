"""The demo's side of the conversation glue (`callcenter.conversation`): its words and rules.

What a resident's courtesy looks like, what counts as a yes or a no to a follow-up offer, which
requests go to one agent whatever the classifier thinks (a legal threat is never a repair booking,
a lockout is never a complaint), and which requests may wait their turn when a message asks for two.
Detectors read the text with one-letter slips mended, as residents type in a hurry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from callcenter_agents.billing_disputes import gives_waiver_reason
from callcenter_agents.billing_intents import (
    asks_to_remove_it,
    detect_intent,
    is_account_money_question,
    is_amount_offer,
    is_payment_timing_question,
)
from callcenter_agents.billing_late_fees import asks_about_late_fees, follows_up_late_fees
from callcenter_agents.billing_months import other_month
from callcenter_agents.billing_payment import asks_about_payment, pays_named_charge
from callcenter_agents.billing_questions import asks_last_amount, asks_paying_part
from callcenter_agents.billing_waivers import asks_about_waiver
from callcenter_agents.booking_changes import changes_booking
from callcenter_agents.booking_followups import answers_what_needs_fixing, is_about_openings, is_vague_answer
from callcenter_agents.booking_notes import (
    asks_about_a_visit,
    asks_what_it_is_about,
    gives_access_note,
    routes_access_note,
)
from callcenter_agents.booking_requests import (
    asks_booked_time,
    asks_for_a_viewing,
    asks_what_is_booked,
    changes_a_numbered_visit,
)
from callcenter_agents.booking_undo import takes_back_cancel, undoes_cancel
from callcenter_agents.courtesy_close import only_thanks_or_bye
from callcenter_agents.desk_requests import (
    asks_about_fire_drill,
    asks_for_document,
    is_lost_and_found,
    is_neighbour_disturbance,
    is_rental_enquiry,
    is_tenancy_legal_question,
)
from callcenter_agents.desk_tickets import adds_to_filed, asks_to_log, is_desk_request
from callcenter_agents.detector_chirp import continues_after_chirp, is_chirp_report
from callcenter_agents.extract import is_affirmative, is_cancel, is_negative
from callcenter_agents.extract.polite import fix_typos, is_bare_ack, polite_core
from callcenter_agents.handbook_follow_ups import carries_own_question, follows_the_answer
from callcenter_agents.request_kinds import (
    asks_rent_when_leaving,
    is_policy_question,
    is_repair_request,
    repeats_failed_repair,
)
from callcenter_agents.route_meaning import (
    asks_about_packages,
    asks_about_parking,
    asks_about_the_note,
    asks_for_call_back,
    asks_what_i_owe,
    asks_whether_a_permit_is_needed,
    fits_billing,
    fits_booking,
    names_payment_method,
    reports_hot_water_problem,
)
from callcenter_agents.ticket_in_hand import about_ticket_in_hand
from callcenter_agents.ticket_status import about_earlier_report

STRIP_COURTESY: Callable[[str], str] = polite_core

_LEGAL_WORDS = (
    *("lawyer", "lawyers", "attorney", "attorneys", "lawsuit", "court", "claims", "housing", "authority"),
    *("calling", "contacting", "hearing", "report", "reporting", "enforcement", "action", "legal"),
)
_LEGAL = re.compile(
    r"\b((my|our) (lawyer|attorney)s?|(get|getting|hire|hiring|call|calling|contact|contacting|consult|consulting|"
    r"talk(ing)? to|speak(ing)? (to|with)) (a|an|my|our) (lawyer|attorney)|"
    r"sue|suing|sued|lawsuits?|legal action|(take|taking) (you|this|it) to court|see you in court|small claims|"
    r"housing authority|code enforcement|tenant'?s? rights (group|union|office)|report(ing)? you to)\b"
)
_LOCKOUT_WORDS = ("locked", "lockout", "myself", "inside", "keys", "without", "stuck", "outside", "standing", "behind")
_LOCKOUT = re.compile(
    r"\b(lock(ed)? (my ?self |me )?out|locked out|"
    r"left (my |the )?keys? (inside|in (the|my) (apartment|unit|room|place))|"
    r"(can'?t|cannot|can not) get (in|into|back in)( my| the)? ?(apartment|unit|place|home|door)?\b.{0,30}$|"
    r"(lost|lose|misplaced|forgot|forget) (my |the )?(keys?|key ?fob|fob)\b.{0,40}\b(let me (back )?in|get (back )?in)|"
    r"(key ?fob|fob|key ?card|keys?) (stopped working|(is|are)n'?t working|(does|do)n'?t work|not working|"
    r"won'?t (work|open))|door (locked|shut|closed) (behind me|with my keys?)|"
    r"(stuck|standing|waiting) outside\b.{0,40}\b(without|no) (my |the )?keys?|keys? (are|is) (inside|locked in))\b"
)


_HELP = re.compile(r"^(i )?(need|want|could use|would like) (some )?(help|assistance)( please| pls)?\W*$")


_PERSON_WORDS = ("someone", "somebody", "representative", "agent", "human", "person", "operator", "speak", "talk")
_WHO = r"(real |live |actual )?(human|person|someone|somebody|agent|representative|rep|operator|staff member|manager)"
_ASKS_PERSON = re.compile(
    r"^((can|could|may) i |(i )?(want|need|would like|'d like|wanna) (to )?|let me |please )?"
    rf"((talk|speak|chat) (to|with) (a |an |the |your |some )?{_WHO}|(an? |the )?{_WHO}|"
    rf"(get|give|connect|transfer|put) me (to |with |through to )?(a |an |the )?{_WHO})"
    r"( please| now| pls| asap)?\W*$"
)


def asks_for_person(text: str) -> bool:
    """ "agent please", "can i speak to somene", "get me a representative, thanks": the whole request
    is a person, whatever flow is open and however it is padded or typed."""
    core = polite_core(fix_typos(text, _PERSON_WORDS))
    return bool(core and _ASKS_PERSON.search(core))


def asks_for_help(text: str) -> bool:
    """ "i need help", "need some help pls": a request for the menu, not for a handbook snippet or a booking."""
    return bool(_HELP.search(polite_core(fix_typos(text, ("assistance",))) or fix_typos(text)))


def is_legal_threat(text: str) -> bool:
    """A lawyer, a lawsuit, the housing authority: a person handles it, with a ticket."""
    return bool(_LEGAL.search(fix_typos(text, _LEGAL_WORDS)))


def is_lockout(text: str) -> bool:
    """Locked out, keys left inside, a fob that no longer opens the door; not a question about the
    lockout fee or a lost fob's price (the handbook answers those)."""
    return bool(_LOCKOUT.search(fix_typos(text, _LOCKOUT_WORDS)))


def read_yes_no(text: str) -> bool | None:
    """True for a yes, False for a no (or "never mind"), None for anything else."""
    if is_negative(text) or is_cancel(text):
        return False
    if is_affirmative(text):
        return True
    return None


READ_YES_NO: Callable[[str], bool | None] = read_yes_no
# "sure go ahead", "ok then", "no that's all", "thx" with no question open: the front desk's short
# "What can I help with?", whatever agent the classifier would have guessed for it.
BARE_ACK: Callable[[str], bool] = lambda text: is_bare_ack(text) or only_thanks_or_bye(text)  # noqa: E731
# A legal threat goes to escalation even when it names a repair ("…about the mold"); a lockout to
# the handbook's lockout answer (general), never to a complaint or a booking.
# A question whether something is allowed goes to the handbook, and a repair request however typed
# to a booking (agents/request_kinds.py): the classifier reads both as something else.
# Front-desk requests the classifier misreads (agents/desk_requests.py): an eviction notice or
# withholding rent gets the handbook's careful answer and the offer of a person, a lease copy,
# something left in the lobby and the fire drill the handbook, someone looking for an apartment
# a viewing, and a neighbour's noise that goes on the complaint desk.
ROUTE_RULES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("escalation", is_legal_threat),
    ("escalation", asks_for_person),  # a person, from inside any flow: the handoff desk
    ("escalation", asks_for_call_back),  # "can somebody call me on the telephone": a person, even mid-offer
    ("escalation", about_earlier_report),  # "any update on the gas leak i reported", "gas leak got fixed last week"
    ("escalation", is_chirp_report),  # "my CO detector keeps chirping every minute": a battery visit, explained
    ("general", asks_whether_a_permit_is_needed),  # "do i need a permit for my car": the rule, not a request
    ("escalation", is_desk_request),  # "reserve the freight elevator", "take that charge off": a ticket for the office
    ("escalation", asks_to_log),  # "i want this logged": what they said before, on a ticket
    ("general", asks_for_help),  # "i need help": the front desk's menu
    ("general", is_lockout),
    ("booking", routes_access_note),  # "the spare key is with the concierge": a note on their visit
    ("booking", asks_about_a_visit),  # "what was my appointment about": read back with its notes
    ("general", is_tenancy_legal_question),
    ("general", asks_for_document),
    ("general", is_lost_and_found),
    ("general", asks_about_fire_drill),
    ("booking", is_rental_enquiry),
    ("booking", asks_for_a_viewing),  # "can I tour an apartment": the openings, not the viewing policy
    ("general", asks_rent_when_leaving),  # "if i leave early do i still pay the full month": the move-out rules
    ("billing", pays_named_charge),  # "can i pay the parking part only": a payment, not the parking rules
    ("billing", asks_paying_part),  # "is it ok if i pay part today and the rest later": what that means
    ("general", asks_about_packages),  # "did i get a package? amazon says delivered": the package room
    ("general", asks_about_parking),  # "do i need a permit for my own car": the parking rules
    ("general", is_policy_question),
    ("escalation", is_neighbour_disturbance),
    ("billing", is_payment_timing_question),
    ("billing", is_account_money_question),  # payments made, refunds, payment plans, "the 97.25"
    ("billing", asks_about_late_fees),  # "was there a late fee in september too?": the fees, by month
    ("billing", asks_what_i_owe),  # "how do I owe", "a letter … something about money": the balance
    ("billing", names_payment_method),  # "the visa": the card for a payment, never a repair
    ("billing", is_amount_offer),  # "I can do 1,000" answers "How much?", whatever the classifier hears
    ("escalation", repeats_failed_repair),  # "third time im writing about the heat, nobody has come": maintenance, high
    ("booking", is_repair_request),
    ("booking", reports_hot_water_problem),  # "barely any hot water": a repair, not the water bill
    ("booking", asks_what_is_booked),  # "whats booked": the resident's appointments, not off-topic
    ("booking", takes_back_cancel),  # "don't cancel my appointment after all": the visit, booked again
    ("booking", changes_a_numbered_visit),  # "can you cancel #13": that visit, looked up (and refused if not theirs)
)
# What a message the classifier sends to an agent must show for the guess to stand; without it the
# front desk says it did not understand, with what the line can do (agents/route_meaning.py).
ROUTE_FITS: dict[str, Callable[[str], bool]] = {"booking": fits_booking, "billing": fits_billing}
# Requests worth queuing when one message asks for two: the ones that take a flow of several turns.
FOLLOW_UP_VERTICALS: tuple[str, ...] = ("booking", "billing", "escalation")
FOLLOW_UP_OFFER = 'You also mentioned "{request}". Would you like me to help with that now?'


def continues_booking(text: str, closing: dict[str, Any], now: datetime) -> bool:
    """A change to the booking the booking agent just made ("actually make it friday"), or, while
    its openings are on offer, a question about them ("do you do saturdays?", "till what time?")."""
    if closing.get("stage") in ("offer", "confirm"):
        return is_about_openings(text, now) or is_vague_answer(text)
    if closing.get("stage") == "need_issue":  # "What needs fixing?" -> "it's hard to explain"
        return answers_what_needs_fixing(text)
    if isinstance(closing.get("cancelled"), dict) and undoes_cancel(text):  # "wait, put it back"
        return True
    booked = isinstance(closing.get("booked"), dict)
    # "wait what time was that again?" right after "You're booked": the appointments, read back
    # "can the tech use the spare key?" / "add a note to call me first": a note on that visit
    about = asks_booked_time(text) or asks_what_it_is_about(text) or asks_about_the_note(text)
    return booked and (changes_booking(text, now) or about or gives_access_note(text))


_WHAT_IS_LEFT = re.compile(
    r"\b((how much|what)('?s| is| do i)? (is )?(left|remaining|still (owe|owed|due))|left to pay|"
    r"(do i )?still owe|balance now|what do i owe now|remaining balance|(is|am) (it|that|i) (all )?paid (off|up)?)\b"
)


_PAYING_STAGES = frozenset({"offer_pay", "need_amount", "confirm_pay", "pick_method"})


def continues_billing(text: str, closing: dict[str, Any], now: datetime) -> bool:
    """What is left to pay, or how much was just paid, asked right after a payment ("how much is
    left?", "how much was it again?"); a question about the payment just read back ("and when was it?");
    while a payment is being set up, a request to pay ("ok and can i pay the parking part only"), which
    the classifier may hear as a question about parking."""
    if closing.get("late_fees") and follows_up_late_fees(text):  # "which months were they for"
        return True
    if asks_about_waiver(text, closing):  # "how long will that take" right after the waiver request
        return True
    if closing.get("stage") in _PAYING_STAGES and detect_intent(text) == "pay":
        return True
    if closing.get("stage") == "offer_waiver" and (
        gives_waiver_reason(text, closing.get("invoice")) or asks_to_remove_it(text)
    ):
        return True  # "i dont have a pet anymore" / "i want it removed" right after the fee was explained
    shown = closing.get("payments")
    if isinstance(shown, dict) and (asks_about_payment(text) or other_month(text, shown.get("month"), now.date())):
        return True  # "and when was it?", "and the month before?" right after payments were read back
    if isinstance(closing.get("paid"), dict) and asks_last_amount(text):
        return True  # "how much was it again?" right after a payment: that payment
    if isinstance(closing.get("paid"), dict) and re.search(r"\b(the )?(rest|remainder)\b", fix_typos(text)):
        return True  # "and the rest of it too" right after a payment
    return isinstance(closing.get("paid"), dict) and bool(_WHAT_IS_LEFT.search(fix_typos(text)))


# "till what time?", "and on weekends?", "what about saturdays": a few words about the topic just answered.
_WHEN_WORD = (
    r"(the )?(weekends?|holidays?|(mon|tues|wednes|thurs|fri|satur|sun)days?|sat|sun|nights?|mornings?|"
    r"evenings?|afternoons?|today|tomorrow|tonight)"
)
_WHEN_SLIPS = ("weekend", "weekends", "holiday", "holidays", "saturdays", "sundays", "nights", "until", "till")
_FOLLOW_UP = re.compile(
    r"^(and |but |so |ok |okay )?((till|until|til|from) (what|which) (time|hour|day)|until when|till when|"
    rf"(((what|how) about|and) )?((on|at|during|over) )?{_WHEN_WORD}( {_WHEN_WORD})?( too| as well)?|"
    r"what time does it (close|open)|when does it (close|open)|is it (open|closed)|how late|how early|what hours|"
    # "how much is it?" right after the parking rules: what that costs, from the same passage
    r"how much( is| does| would| will)?( it| that| one| this| they)?( cost| be| run)?( a month| per month| monthly)?|"
    r"what (does|do|would) (it|that|they) cost|(and )?(the )?(price|cost)( of (it|that|one))?)$"
)


def follows_up_handbook(text: str) -> bool:
    """A short follow-up to the handbook answer just given, meaningless on its own."""
    core = polite_core(fix_typos(text, _WHEN_SLIPS)).strip(" ?.!")
    return len(core.split()) <= 5 and bool(_FOLLOW_UP.search(core))


def continues_general(text: str, closing: dict[str, Any], now: datetime) -> bool:
    """ "till what time?", "what about two cats instead", "who do I talk to about that", "sign me up" right
    after the handbook answered a question: about that question (agents/handbook_follow_ups.py); a yes or
    no right after "Would you like me to connect you with the office?": that offer."""
    if closing.get("stage") == "offer_human":
        return read_yes_no(text) is not None and not carries_own_question(text)
    return bool(closing.get("asked")) and (follows_up_handbook(text) or follows_the_answer(text))


# Right after a handoff to a person: the resident asking about it ("is someone coming?", "how long
# will that take", "ok so what now", "thanks"), answered by the front desk with the handoff's status.
_ABOUT_HANDOFF_WORDS = ("someone", "somebody", "anyone", "coming", "waiting", "contact", "update", "ticket")
_ABOUT_HANDOFF = re.compile(
    r"\b((is|are|will|when will|when('?s| is| are| do| does)?) (some ?one|some ?body|any ?one|any ?body|they|a person|"
    r"the (person|agent|team|manager|office)|you guys|he|she)( (be|going to|gonna))? "
    r"(com\w*|call\w*|join\w*|contact\w*|get (back|here|in touch)|reach\w*|respond\w*|answer\w*|text\w*|email\w*|"
    r"here|there|on (the|their) way|be here|ring)|"
    r"how (long|soon)( will| does| do| is)?( it| that| this| they| i)?( (take|be|have to wait|wait|until))?|"
    r"how much longer|(what|so what) (now|next|happens now|happens next|do i do now)|now what|then what|"
    r"(still|been) waiting|any (update|news|word)|(what'?s|what is) my (ticket|reference|case)( number)?|"
    r"(ticket|reference|case) (number|#)|(any ?one|any ?body) (there|here)|are you (still )?there|"
    r"is (any ?one|any ?body|some ?one) (there|here|coming))\b"
)


def asks_after_handoff(text: str) -> bool:
    """A message about the handoff just made, or a bare thanks / ok: not a new request to route."""
    core = polite_core(fix_typos(text, _ABOUT_HANDOFF_WORDS))
    if not core:  # "thanks!", "ok great": courtesy only
        return True
    return is_bare_ack(text) or (len(core.split()) <= 9 and bool(_ABOUT_HANDOFF.search(core)))


AFTER_HANDOFF: tuple[str, Callable[[str], bool]] = ("general", asks_after_handoff)


# Messages that go back to the agent that finished last turn (with the state it closed with), or
# stay with the agent whose question is open (with its flow state), whatever the classifier thinks.
def continues_escalation(text: str, closing: dict[str, Any], now: datetime) -> bool:
    """ "can someone come change it? i cant reach the ceiling" right after a detector's battery visit was logged;
    "the water is just a small drip" right after the leak was ticketed."""
    return continues_after_chirp(text, closing) or adds_to_filed(text, closing) or about_ticket_in_hand(text, closing)


CONTINUATIONS: dict[str, Callable[[str, dict[str, Any], datetime], bool]] = {
    "booking": continues_booking,
    "billing": continues_billing,
    "general": continues_general,
    "escalation": continues_escalation,
}
