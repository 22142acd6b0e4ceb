"""A reason for a fee's waiver, said right after the fee was explained ("i dont have a pet anymore, my
cat passed away in october" after the pet rent; "i sold my car in october" after the parking fee).

The classifier hears the pet or the car and sends it to the handbook (trial 2026-12-01 #41: the pet
policy to a bereaved resident, then "yes please dispute it" became "What needs fixing?"). It is a
reason only when it speaks of what the fee is for and says it no longer applies or never did, so "i
dont have hot water" after the pet rent is still a repair.
"""

from __future__ import annotations

import re
from typing import Any, Final

from callcenter_agents.extract.polite import fix_typos

# What each kind of fee is about, in the resident's words.
_TOPICS: Final = {
    "pet": r"pets?|cats?|dogs?|kitten|puppy|animals?|bird|rabbit|hamster",
    "parking": r"cars?|vehicles?|truck|parking|spot|space|permit",
    "late": r"late|rent|paid|pay|payment|hospital|notice|grace",
    "lockout": r"lock(ed)?\s?out|keys?|door|fob",
}
# That it no longer applies, or never did, or why it should go.
_GONE: Final = re.compile(
    r"\b(don'?t|dont|do not|didn'?t|didnt|never|no longer|not anymore|anymore|any more|passed away|died|"
    r"put down|rehomed|gave (it|him|her|them) away|sold|got rid of|moved out|was in (the )?hospital|"
    r"on time|wasn'?t|isn'?t|not mine|dispute|unfair|wrong|mistake|shouldn'?t|should not|"
    # "I paid on the 1st", "paid it before the 5th", "i paid early": the rent was not late, they say
    r"paid( it| rent| my rent)? (on|by|before) (the )?\d{1,2}(st|nd|rd|th)?|paid( it)? (early|in time))\b"
)


def gives_waiver_reason(text: str, invoice: dict[str, Any] | None) -> bool:
    """Whether `text` argues against the fee `invoice` (just explained) rather than asking something new."""
    if not isinstance(invoice, dict) or invoice.get("kind") != "fee":
        return False
    desc = str(invoice.get("description", "")).lower()
    topic = next((words for key, words in _TOPICS.items() if key in desc), None)
    t = fix_typos(text, ("anymore", "passed", "dispute", "hospital"))
    if "?" in t:
        return False
    return topic is not None and bool(re.search(rf"\b({topic})\b", t)) and bool(_GONE.search(t))
