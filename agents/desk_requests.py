"""Front-desk requests the router's classifier sends to the wrong desk, recognised by what they are.

An outsider's trial found whole classes misread: a copy of the lease booked as a repair ("can i
get a copy of my lease" -> "What needs fixing?"), someone looking for an apartment sent to the
complaint script or a repair, a phone left in the lobby logged as a complaint, a question about
the fire drill answered with the emergency line, a neighbour's phone ringing all night offered a
repair, and an eviction notice or withholding rent answered with the move-out rules or refused.
Each detector reads the message with one-letter slips mended, and `ROUTE_RULES`
(agents/conversation.py) routes what it finds whatever the classifier thinks:

- `is_rental_enquiry`: units for rent, vacancies, "looking to rent" -> a viewing (booking);
- `asks_for_document`: a copy of the lease or another document -> the handbook (general);
- `is_lost_and_found`: something left, found or lost in a common area -> the handbook (general);
- `asks_about_fire_drill`: alarm tests and drills -> the handbook (general);
- `is_tenancy_legal_question`: an eviction notice, withholding rent -> a careful handbook answer
  and the offer of a person (general);
- `is_neighbour_disturbance`: a neighbour's noise that goes on -> the complaint desk (escalation).

Pure functions over the text, English only.
"""

from __future__ import annotations

import re
from typing import Final

from callcenter_agents.extract.polite import fix_typos

_RENTAL_WORDS: Final = (
    "available",
    "availability",
    "apartments",
    "apartment",
    "bedroom",
    "bedrooms",
    "vacancies",
    "vacancy",
    "vacant",
    "renting",
    "looking",
    "interested",
    "studio",
    "studios",
)
_UNIT: Final = (
    r"(apartments?|apts?|units?|places?|flats?|studios?|lofts?|(one|two|three|1|2|3)[- ]?(bed(room)?s?|br|bd)|rooms?)"
)
_FLAT: Final = r"(apartments?|apts?|flats?|studios?|lofts?|(one|two|three|1|2|3)[- ]?(bed(room)?s?|br|bd))"
_RENTAL: Final = re.compile(
    r"\b((looking|searching|hoping|wanting|want|interested|plan(ning)?) (to|in|for) "
    r"(rent|renting|lease|leasing|move in|moving in)\b(?! (it|my|the place|out))|"
    rf"(looking|searching) for (an? |a new )?{_UNIT}|"
    rf"{_UNIT}( still| currently| right now| now)? (available|for rent|open|free|vacant)|"
    rf"(any|have|got) (an? )?{_UNIT} (available|for rent|open|vacant)|"
    rf"{_UNIT} (do you|you) (have|got)( \w+)?( \w+)? (available|for rent|open|free|vacant|to rent)|"
    rf"how much (is|are|for|does) (an? |the |your )?{_FLAT}\b(?! (inspection|fee|key|fob))|"
    r"(any|have|got) (vacancies|vacancy|availability|openings for (new )?(residents|tenants))|vacancies|"
    rf"(available|vacant|empty) {_UNIT}|(rent|lease) (an? |one of your |a new )?{_UNIT}|"
    r"(how much|what) ?(is|does|'?s) (the )?rent (for|on) (an? |the )?" + _UNIT + r"|"
    r"apply (for|to rent) (an? )?(apartment|unit|place)|(new|prospective) (resident|tenant))\b"
)
# A resident's own place, payments and repairs: not an enquiry about renting one.
_NOT_RENTAL: Final = re.compile(
    r"\b(my (rent|unit|apartment|place|lease|room)|pay|paid|due|late|balance|sublet\w*|airbnb|rent (it|my)|"
    r"fix|repair|broken|leak\w*)\b"
)

_DOCUMENT_WORDS: Final = ("copy", "lease", "agreement", "contract", "documents", "paperwork", "addendum")
_DOCUMENT: Final = re.compile(
    r"\b((copy|copies|pdf|scan|printout|print out|duplicate) of (my|the|our) (signed )?(lease|rental agreement|"
    r"lease agreement|contract|tenancy agreement|addend\w*|move[- ]in (inspection|report|checklist)|documents?|"
    r"paperwork)|(my|the|our) (lease|rental agreement|lease agreement|tenancy agreement|contract|lease documents?|"
    r"lease paperwork)\b.{0,30}\b(copy|send|email|e-mail|find|see|download|access|get|print|read|look at|view)|"
    r"(send|email|e-mail|give|get|find|see|download|access|print|read|view|need|want) (me )?(a copy of )?(my|the|our) "
    r"(signed )?(lease|rental agreement|lease agreement|tenancy agreement|lease documents?|lease paperwork|"
    r"move[- ]?in (inspection|report|checklist)( report)?|addend\w*)"
    r"(?! (renewal|ends|expires|is up|up|term))\b|"
    r"where('?s| is| can i (find|get|see)| do i (find|get|see)) (my|the|our|a copy of (my|the)) "
    r"(signed )?(lease|rental agreement|lease agreement|tenancy agreement|contract|lease documents?|paperwork)\b)"
)
_DOCUMENT_NOT: Final = re.compile(r"\b(renew\w*|break|breaking|end|ending|terminat\w*|transfer|take over|sublet\w*)\b")

_FOUND_WORDS: Final = ("found", "lobby", "hallway", "wallet", "phone", "left", "forgot", "turned")
_ITEM: Final = (
    r"(phone|cell ?phone|iphone|wallet|purse|bag|backpack|jacket|coat|umbrella|glasses|sunglasses|headphones|"
    r"airpods|earbuds|watch|ring|necklace|laptop|tablet|ipad|charger|scarf|hat|keys?|book|bottle|id|card)"
)
_COMMON_AREA: Final = (
    r"(lobby|hall|hallway|hallways|corridor|gym|fitness (center|room)|laundry( room)?|pool|mail ?room|package room|"
    r"elevator|lift|stairs|stairwell|garage|parking (lot|garage)|lot|rooftop|roof|lounge|community room|courtyard|"
    r"entrance|front desk|office|bike (room|storage))"
)
_LOST_FOUND: Final = re.compile(
    r"\b(lost (and|&|n) found|lost property|"
    rf"(left|forgot|dropped|lost|found|saw|see|there'?s|there is) (\w+ ){{0,3}}{_ITEM}\b.{{0,30}}\b(in|at|on|by|near) "
    rf"(the |our |your )?{_COMMON_AREA}|"
    rf"(found|picked up) (a|an|some|this|someone'?s|somebody'?s) (\w+ ){{0,2}}{_ITEM}|"
    rf"(anyone|anybody|someone|somebody) (turn(ed)? in|hand(ed)? in|find|found) (a |an |my )?(\w+ )?{_ITEM}|"
    rf"(has|did) (anyone|anybody|someone|somebody) (turned? in|handed? in|found) (a |an |my )?(\w+ )?{_ITEM})"
)

_DRILL_WORDS: Final = ("drill", "drills", "alarm", "alarms", "testing", "sprinkler")
_DRILL: Final = re.compile(
    r"\b(fire ?drills?|evacuation drills?|(fire )?alarms? (test|testing|check|inspection)s?|"
    r"(test|testing|check|checking|inspect\w*) (of )?(the )?(fire )?(alarms?|sprinklers?)|"
    r"sprinkler (test|inspection)s?)\b"
)
# "the fire alarm is going off and there's smoke": a report, not a question about a drill.
_DRILL_NOT: Final = re.compile(r"\b(smoke|burning|flames?|on fire|going off|sounding|won'?t stop|beeping|chirp\w*)\b")

_LEGAL_WORDS: Final = ("eviction", "evicted", "evict", "withhold", "withholding", "notice", "escrow")
_TENANCY_LEGAL: Final = re.compile(
    r"\b(evict\w*|notice to (quit|vacate|pay)|pay or quit|(lease|tenancy) violation notice|"
    r"(withhold|withholding|withheld|hold back|holding back|stop paying|not pay|don'?t pay|refuse to pay|"
    r"(not|never) (going to|gonna) pay) "
    r"(my |the |our )?rent|rent (strike|escrow)|pay (my |the )?rent (in|into) escrow)\b"
)

_NEIGHBOUR_WORDS: Final = ("neighbour", "neighbours", "neighbor", "neighbors", "ringing", "upstairs", "downstairs")
_NEIGHBOUR: Final = re.compile(
    r"\b(neighbou?rs?'?s?|next door|upstairs|downstairs|the (people|guy|girl|lady|man|woman|family|tenants?|kids?) "
    r"(upstairs|downstairs|next door|across the hall|in \d+\w?))\b"
)
_GOES_ON: Final = re.compile(
    r"\b((keeps?|keep on|kept|won'?t stop|never stops?|constantly|all night|every night|every morning|at night|"
    r"late at night|at \d+ ?(am|pm)|all day|for hours|nonstop|non-stop) .{0,40}|"
    r"(ringing|ring|ringtone|alarm clock|alarm going off|beeping|vibrating|banging|stomping|slamming|thumping|"
    r"blasting|shouting|yelling|screaming|singing|bass|music|tv|dog barking|barking|crying|party|parties)\b)"
)
_DISTURBANCE: Final = re.compile(
    r"\b(ring\w*|beep\w*|vibrat\w*|bang\w*|stomp\w*|slam\w*|thump\w*|blast\w*|shout\w*|yell\w*|scream\w*|bark\w*|"
    r"loud|noise|noisy|music|bass|tv|party|parties|alarm clock|alarm going off|crying|singing)\b"
)


def is_rental_enquiry(text: str) -> bool:
    """Someone looking for an apartment to rent ("do you have any 2 bedrooms available", "i'm
    looking to rent"): a viewing with the leasing team, not a repair and not a complaint."""
    t = fix_typos(text, _RENTAL_WORDS)
    return bool(_RENTAL.search(t)) and not _NOT_RENTAL.search(t)


def asks_for_document(text: str) -> bool:
    """A copy of the lease or another of the resident's documents: the handbook says where they are."""
    t = fix_typos(text, _DOCUMENT_WORDS)
    return bool(_DOCUMENT.search(t)) and not _DOCUMENT_NOT.search(t)


def is_lost_and_found(text: str) -> bool:
    """Something left, found or lost in a common area ("my neighbour left his phone in the lobby"):
    the office's lost and found, not a complaint about the neighbour."""
    return bool(_LOST_FOUND.search(fix_typos(text, _FOUND_WORDS)))


def asks_about_fire_drill(text: str) -> bool:
    """A question about alarm tests or drills ("when is the fire drill"), not a fire being reported."""
    t = fix_typos(text, _DRILL_WORDS)
    return bool(_DRILL.search(t)) and not _DRILL_NOT.search(t)


def is_tenancy_legal_question(text: str) -> bool:
    """An eviction notice, withholding rent, a notice to quit: the handbook's careful answer and
    the offer of a person, never a quote about giving notice or a refusal."""
    return bool(_TENANCY_LEGAL.search(fix_typos(text, _LEGAL_WORDS)))


def is_neighbour_disturbance(text: str) -> bool:
    """A neighbour's noise that goes on ("my neighbour's phone keeps ringing at night"): the
    complaint desk's, not a repair. A question about the quiet-hours rule is not one."""
    t = fix_typos(text, _NEIGHBOUR_WORDS)
    if not _NEIGHBOUR.search(t) or is_lost_and_found(text) or re.search(r"\b(allowed|rules?|policy|can i)\b", t):
        return False
    return bool(_DISTURBANCE.search(t)) and bool(_GOES_ON.search(t))
