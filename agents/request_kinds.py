"""Two kinds of request the router's classifier misreads when they come indirectly or misspelt.

A question whether something is allowed ("thinking about getting a cat, would that be a problem?",
"my guest wants to leave his car overnight, is that allowed") names a handbook topic but is full of
words that sound like a repair ("problem") or a complaint ("my neighbor"), so the classifier sends
it to a booking or the complaint script. A repair request typed in a hurry ("my toilte is clogd can
sombody coem fix it") or wrapped in polite padding has the words of no example at all, so it lands
out of scope. Both are recognised here by what they are made of — a permission question about a
handbook topic; a fixture with a symptom and no grievance — and routed by `ROUTE_RULES`
(agents/conversation.py) whatever the classifier thinks. A trade named for a visit ("book an
electrician for the end of the month") is a repair request too. Pure functions, English only.
"""

from __future__ import annotations

import re
from typing import Final

from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.extract.refs import ISSUE_WORDS, detect_issue, detect_trade
from callcenter_agents.replies import is_prompt_probe, split_requests

# Asking whether something is allowed, or what the rule is.
_PERMISSION: Final = re.compile(
    r"\b((is|would|will) (that|it|this|there) (be )?(a |an |any )?(ok|okay|alright|all right|fine|allowed|permitted|"
    r"problem|issue|rule|limit|policy)|"
    r"(would|will) (that|it|this) (be )?(a |an )?(problem|issue)|"
    r"(am i|are we|is (he|she|my \w+)|are (they|guests?|visitors?)) (allowed|permitted)|allowed to|"
    r"(is|are) (\w+ ){0,2}(allowed|permitted|ok|okay)\b|"
    r"(any|what are the|what's the|whats the|is there a) (rules?|policy|policies|limit|restrictions?)|"
    r"(can|could|may) (i|we|my \w+|he|she|they) (have|keep|get|bring|adopt|rent|sublet|sublease|let|leave|park|"
    r"play|throw|host|stay|paint|repaint|smoke|vape|hang|put up|mount|decorate|wallpaper)|"
    r"(do|would) (you|y'?all|they) (mind|allow|let)|ok (if|to)|okay (if|to)|fine (if|to)|"
    # "thinking about subletting my place for the summer while im abroad, allowed?": the permission asked last
    r"(,|-|\.) *(is (that|it|this) )?(allowed|permitted|ok|okay)(?=\W*$)|"
    r"how (late|long) can|until what time|what time (do|does|is|are) .{0,20}(quiet|noise|music)|"
    r"(get|be|getting|being) (towed|fined|ticketed|evicted|charged|in trouble)|what happens if|"
    r"(i ?'?d like|(i|we) (would like|want|wanna|plan)|i ?'?m (planning|going|thinking)|we ?'?re (planning|going)|"
    r"(i|we) (am|are|was|were) (planning|going|thinking)) (to|of|about) (paint\w*|repaint\w*|wallpaper\w*|decorat\w*|"
    r"put up|hang\w*|mount\w*|smok\w*|vap\w*))\b"
)
# Topics the handbook has a rule about, and the words residents use for them.
_TOPIC: Final = re.compile(
    r"\b(pets?|cats?|kittens?|dogs?|pupp(y|ies)|birds?|parrots?|parakeets?|budgies?|hamsters?|guinea pigs?|"
    r"rabbits?|bunn(y|ies)|fish|aquarium|snakes?|lizards?|reptiles?|ferrets?|animals?|"
    r"sublet\w*|sublease\w*|subtenants?|airbnb|vrbo|short[- ]term rentals?|rent (it|my (place|apartment|unit|room)|"
    r"(the|my) (place|apartment|unit|room) out)|take over (my|the) lease|roommates?|"
    r"guests?|visitors?|friends?|boyfriend|girlfriend|relatives?|family|parents|cousins?|"
    r"sisters?|brothers?|mom|mum|mother|dad|father|in-?laws?|aunt|uncle|niece|nephew|grand(ma|pa|mother|father)|"
    r"fianc[eé]e?|partner|stay(ing)? with (me|us)|"
    r"cars?|vehicles?|trucks?|park(ing)?|lot|garage|"
    r"nois\w*|loud|music|party|parties|quiet|"
    r"grills?|bbq|barbecue|smok(e|ing)|vap(e|ing)|cigarettes?|weed|paint\w*|repaint\w*|wallpaper|decorat\w*|"
    r"pictures?|posters?|shelves|satellite dish)\b"
)
# A repair to book, or a complaint about one: then it isn't a question about the rules.
_REPAIR_CUE: Final = re.compile(
    r"\b(fix|repair\w*|broken|broke|leak\w*|clog\w*|not working|stopped working|doesn'?t work|won'?t work|"
    r"technician|plumber|electrician|maintenance|appointment|visit)\b"
)
_TOPIC_WORDS: Final = (
    "paint",
    "painting",
    "repaint",
    "smoke",
    "smoking",
    "vaping",
    "wallpaper",
    "pictures",
    "shelves",
    "allowed",
    "permitted",
    "rules",
    "policy",
    "policies",
    "restrictions",
    "problem",
    "sublet",
    "sublets",
    "subletting",
    "sublease",
    "subleasing",
    "subtenant",
    "roommate",
    "roommates",
    "animals",
    "kittens",
    "puppies",
    "rabbits",
    "parrots",
    "hamsters",
    "airbnb",
    "guests",
    "visitor",
    "visitors",
    "parking",
    "vehicle",
    "parrot",
    "kitten",
    "puppy",
    "hamster",
    "rabbit",
    "noise",
    "music",
    "party",
    "quiet",
)


def is_policy_question(text: str) -> bool:
    """Whether the message asks if something the handbook rules on is allowed (pets, subletting, a
    guest's car, noise), rather than asking for a repair or complaining."""
    t = fix_typos(text, _TOPIC_WORDS)
    return bool(_PERMISSION.search(t) and _TOPIC.search(t) and not _REPAIR_CUE.search(t))


# A grievance about a repair (or about how it was handled) is the complaint desk's, not a booking.
_GRIEVANCE: Final = re.compile(
    r"\b(again|still|third|fourth|several times|(two|three|four|\d+) (times|weeks|months)|nobody|no one|"
    r"never (came|showed|fixed)|unacceptable|ridiculous|complain\w*|fed up|sick of|tired of|manager|refund|"
    r"compensat\w*|rent reduction|discount|neighbou?rs?|upstairs|downstairs)\b"
)
# A question about the rules or the cost of a repair, not a request for one.
_QUESTION_ABOUT: Final = re.compile(
    r"\b(how much|cost|charged?|fee|pay|who pays|do i have to|have to be home|allowed|policy|how long|"
    r"how do i|when (will|is|does)|status)\b"
)
# Money in the same message ("make a payment and get a plumber"): two requests, which the glue splits.
_ACCOUNT: Final = re.compile(r"\b(pay\w*|balance|rent|bill|invoice|fees?|owe)\b")
_ACCOUNT_WORDS: Final = ("payment", "balance", "invoice")
# Asking for a trade's visit ("book an electrician", "I need a plumber", "send the HVAC guy").
_TRADE_REQUEST: Final = re.compile(r"\b(book|schedul\w*|send|need|get|want|come\s+out|appointment|visit|arrange)\b")
# Issues that are not a repair booking whatever words come with them.
_NOT_A_REPAIR: Final = frozenset({"gas smell", "locked out", "pests", "mold", "lost", "flooding", "sewage backup"})


# "the water is just a small drip, not a big deal": more about something reported, not a request for a visit.
_DOWNPLAYED: Final = re.compile(
    r"\b(not a big deal|no big deal|nothing serious|not (that )?(urgent|serious|bad)|"
    r"(just|only) (a )?(small|little|tiny|slow|slight) (drip|leak)|(just|only) (a )?(drip|trickle))\b"
)


def is_repair_request(text: str) -> bool:
    """Whether the message reports something in the unit that needs fixing — however it is spelt
    or padded — with no grievance, no question about rules or cost, and nothing the handbook or
    the emergency line handles instead (pests, mold, lockouts, gas)."""
    if split_requests(text)[1] or is_prompt_probe(text) or _ACCOUNT.search(fix_typos(text, _ACCOUNT_WORDS)):
        return False  # two requests, or one and an injection: the classifier and the glue split them
    t = fix_typos(text, ISSUE_WORDS)
    issue = detect_issue(text)
    if issue is None and detect_trade(text) is not None and _TRADE_REQUEST.search(t) and not _PERMISSION.search(t):
        issue = ("trade", "")  # "book an electrician for the end of the month": the trade is the request
    if issue is None or issue[1] in _NOT_A_REPAIR or any(n in issue[1] for n in _NOT_A_REPAIR) or _DOWNPLAYED.search(t):
        return False
    return not (_GRIEVANCE.search(t) or _QUESTION_ABOUT.search(t) or is_policy_question(text))


# A repair reported before and still not done ("this is the THIRD time im writing about the heat … nobody has
# come", "i already reported the leak twice and no one came"): the resident has tried the normal route, so it goes
# to the maintenance team at high priority (agents/escalation.py), not another booking prompt (outsider c8).
_REPEAT: Final = re.compile(
    r"\b((third|3rd|fourth|4th|fifth|5th|second|2nd|\d+(st|nd|rd|th)|umpteenth|how many) times?|"
    r"(nobody|no one|noone|no body|no-one)( has| have|'s)? (ever )?(come|came|show(n|ed)? up|fixed|been (here|out|by)|"
    r"responded|called( me)? back|done anything)|"
    r"(still|yet) (not|isn'?t|hasn'?t|hasnt|isnt|has not|is not) (been )?(fixed|repaired|working|done|resolved)|"
    r"(already|keep|kept) (reported|reporting|called|calling|wrote|writing|written|asked|asking|complained|"
    r"complaining|messag\w+|email\w+|submitted|put in)( a| the| in)?( request| ticket)?)\b"
)


def repeats_failed_repair(text: str) -> bool:
    """A repair reported before that nobody has fixed yet (a count of times, "nobody has come", "still not
    fixed", "already reported"), about a maintenance issue: for the maintenance team, not a new booking."""
    t = fix_typos(text, ISSUE_WORDS)
    return bool(_REPEAT.search(t.lower())) and detect_issue(t) is not None


# "what if i leave a couple weeks early, do i still pay the full month", "if i break my lease do i owe rent":
# the move-out rules (rent through the notice period or the lease), not how to pay rent (outsider 2 #22).
_LEAVING: Final = re.compile(
    r"\b(leav\w* (a |\w+ )?(couple|few|\d+|two|three|one)? ?(days?|weeks?|months?)? ?early|"
    r"(move|moving|moved) out (a |\w+ )?(couple|few|\d+|two|three|one)? ?(days?|weeks?|months?)? ?(early|before)|"
    r"break(ing)? (my|the|our) lease|end (my|the|our) lease early|"
    r"before (my|the|our) (lease|notice( period)?) (ends?|is up))"
)
_RENT_OWED: Final = re.compile(r"\b(pay\w*|rent|owe\w*|charged?|prorat\w*|full month|refund\w*)\b")


def asks_rent_when_leaving(text: str) -> bool:
    """Whether rent is owed after leaving early: the handbook's move-out section answers it."""
    t = fix_typos(text, ("leave", "leaving", "early", "lease", "prorated", "weeks", "days", "months", "month", "break"))
    return bool(_LEAVING.search(t) and _RENT_OWED.search(t))
