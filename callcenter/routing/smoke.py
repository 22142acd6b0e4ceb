"""Someone else's cigarette is a complaint, not a fire: smoke a person is smoking, told apart from smoke
that burns something.

"my neighbour's cigarette smoke comes into my apartment", "i can smell smoke from my neighbors
cigarettes", "weed smoke from downstairs keeps coming in" were dispatched to the emergency team with
"leave the building now" (conversation gaps 2026-12-02): the fire rules read "smoke coming" and
"smell smoke". Smoke is second-hand when the message names what is smoked (a cigarette, weed, a vape)
or a person smoking it ("my neighbor smokes", "someone is smoking in the hallway"), and says nothing
that only a fire says: filling or full of smoke, thick or black smoke, something burning, flames,
sparks, an outlet or wiring, an alarm going off, not being able to breathe or see. A message with any
of those is still an emergency, whoever smokes: a cigarette can start a fire.
"""

from __future__ import annotations

import re

_SMOKED = re.compile(
    r"\b(?:cig(?:gie|gy|arette|arete|erette|s)?s?|cigars?|cigarillos?|tobacco|weed|marijuana|cannabis"
    r"|blunts?|vap(?:e|es|ing|or)|e-?cigs?|hookah|shisha|second[\s-]?hand\s+smoke|smokers?|smoke[\s-]?free)\b"
    r"|\b(?:smok\w*|smell\w*|of)\s+(?:pot|joints?)\b|\b(?:pot|joint)\s+(?:smoke|smell)",
    re.IGNORECASE,
)
_WHO = (
    r"(?:neighbou?rs?|neighbou?r's|neighbou?rs'|neighbr|someone|somebody|some\s+(?:guy|man|woman|people|one)|people"
    r"|they|he|she|guy|lady|man|woman|kids?|teens?|roommate|folks|family|couple|(?:the\s+)?\w+\s+(?:upstairs|downstairs|next\s+door)"
    r"|upstairs|downstairs|next\s+door|(?:unit|apt|apartment|#)\s*\d+\w?)"
)
# A person smoking: "my neighbor smokes", "someone is smoking in the hallway", "people smoking on the stairs".
_PERSON_SMOKING = re.compile(
    rf"\b{_WHO}\s+(?:\w+\s+){{0,3}}?(?:is\s+|are\s+|keeps?\s+|has\s+been\s+|have\s+been\s+|always\s+|constantly\s+"
    r"|still\s+)?smok(?:es|ing|ed)\b",
    re.IGNORECASE,
)
# What only a fire says. "smoking" of a thing (an outlet, wiring) is here too: no person smokes those.
_FIRE_SIGNS = re.compile(
    r"\b(?:fill(?:s|ed|ing)?|full\s+of|thick|black|billow\w*|pour\w*|everywhere|can'?t\s+(?:breathe|see)|cant\s+"
    r"(?:breathe|see)|chok\w*|burn(?:s|ed|t|ing)?|flames?|fire|on\s+fire|spark\w*|outlets?|sockets?|wir(?:e|es|ing)"
    r"|electrical|melt\w*|alarms?\s+(?:is\s+|are\s+)?(?:going|gone|went|sounding|beeping|blaring|ringing)"
    r"|(?:smoke\s+)?(?:alarm|detector)s?\s+(?:\w+\s+)?off|stove|oven|dryer|microwave|toaster|panel|breaker)\b",
    re.IGNORECASE,
)


def tobacco_smoke(text: str) -> bool:
    """Whether the smoke `text` talks about is someone smoking (a complaint), with no sign of a fire."""
    if not (_SMOKED.search(text) or _PERSON_SMOKING.search(text)):
        return False
    return not _FIRE_SIGNS.search(text)


SMOKE_WORDS = re.compile(r"\bsmok\w*|\bsmell\w*", re.IGNORECASE)


def only_smoke(matched: str) -> bool:
    """Whether an emergency rule's match is about smoke or a smell alone (not flames, sparks, burning)."""
    return bool(SMOKE_WORDS.search(matched)) and not re.search(
        r"\b(?:fire|flames?|burn\w*|spark\w*|ablaze|alarms?|detectors?)\b", matched, re.IGNORECASE
    )
