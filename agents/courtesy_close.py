"""A message that only thanks or says goodbye ("thx", "ty", "thanks, bye"): no request in it.

Outsider trial (conv 6): "thx" after a handbook answer got the out-of-scope refusal, and generated
wordings ("ty") the complaint offer, because the classifier guessed an agent for two letters. With
no question open, such a message goes to the front desk's small talk (agents/conversation.py BARE_ACK).
"""

from __future__ import annotations

import re

from callcenter_agents.extract.polite import polite_core

THANKS = re.compile(
    r"\b(thanks|thank you|thx|ty|tysm|thank u|appreciate (it|that|you)|cheers|much obliged|gracias)\b", re.I
)
BYE = re.compile(
    r"\b(bye|goodbye|good night|see you|that's all|that is all|nothing else|i'?m (all )?set|"
    r"i'?m good|all good|have a (good|nice) (day|one|night))\b",
    re.I,
)


def only_thanks_or_bye(text: str) -> bool:
    """ "thx", "ty!", "thank you so much", "ok thanks bye": courtesy that closes, and nothing else."""
    if "?" in text or len(text.split()) > 8 or not (THANKS.search(text) or BYE.search(text)):
        return False
    core = polite_core(text)
    return not core or bool(_ONLY_COURTESY.fullmatch(core))


# What may stand around the thanks: "lol ok thanks", "muchas gracias", "cool, thank you, bye".
_ONLY_COURTESY = re.compile(
    r"[\s,.!]*((thanks|thank you|thx|ty|tysm|ok|okay|bye|goodbye|lol|haha|cool|great|perfect|awesome|got it|"
    r"muchas|gracias|so much|very much)[\s,.!]*)+"
)
