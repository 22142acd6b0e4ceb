"""Small talk: greetings, "how are you", thanks, goodbyes, bare acknowledgements and "what can you do".

Shared by the general agent and the front desk (out_of_scope): "thx" after a handbook answer is
a thank-you whichever of them the classifier picked, never the out-of-scope refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter_agents.conversation import asks_for_help
from callcenter_agents.courtesy_close import BYE, THANKS, only_thanks_or_bye
from callcenter_agents.extract.lead_in import strip_lead_in
from callcenter_agents.extract.polite import polite_core
from callcenter_agents.replies import CAPABILITIES, bare_ack_reply, first_name

_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening)|hey there|hello there)"
    r"(\s+(there|again|everyone|all))?[\s!.,]*(how are you( doing)?( today)?\??)?[\s!.?]*$",
    re.I,
)
_HOW_ARE_YOU = re.compile(
    r"^\W*((hi|hello|hey|yo|and|so|ok|okay|oh)\W+)*(how are (you|u|ya)|how r u|how'?s it going|how (are|r) things|"
    r"how'?s (your|ur) (day|morning|evening|night)( going)?|how have you been|how you doing|hows life|"
    r"what'?s up|wh?at'?s good|sup)( doing| going| today| tonight| this (morning|afternoon|evening))*"
    r"(\W+(and you|you))?[\s!.?]*$",
    re.I,
)
_CAPABILITIES = re.compile(
    r"\b(what can you (do|help)|how can you help|what do you (do|help with)|what are you|who are you|"
    r"are you (a )?(bot|robot|human|real|person|ai)|what (else )?can i ask|help me\??$|^help\W*$|menu|"
    r"your options|what services)\b",
    re.I,
)


def small_talk(text: str, name: str | None, history: Sequence[tuple[str, str]] = ()) -> str | None:
    """A reply to greetings, thanks, goodbyes, bare acknowledgements and 'what can you do', else None."""
    hello = f"Hi {first_name(name)}!" if first_name(name) else "Hi!"
    short = len(text.split()) <= 8
    if _CAPABILITIES.search(text) or asks_for_help(text):
        bot = (
            "I'm the automated assistant for the resident help line, not a person, but I can get you one. "
            if re.search(r"\b(bot|robot|human|real|person|ai|who are you|what are you)\b", text, re.I)
            else ""
        )
        return f"{bot}{CAPABILITIES} What can I do for you?"
    if _GREETING.match(text):
        well = " I'm doing well, thanks for asking." if re.search(r"\bhow are you\b", text, re.I) else ""
        return f"{hello}{well} {CAPABILITIES} What can I do for you?"
    if _HOW_ARE_YOU.match(text) or _HOW_ARE_YOU.match(
        polite_core(text)
    ):  # "how are you today?": small talk back, never a handbook search
        return "I'm doing well, thanks for asking! What can I do for you today?"
    ack = bare_ack_reply(text, history)
    if ack is not None:
        return ack
    core = strip_lead_in(text)  # "can I reserve the room, thanks" is a question, not a thank-you
    if short and BYE.search(core) and "?" not in text:
        return "Glad I could help. Have a good day!"
    if (short and THANKS.search(core) and "?" not in text) or (only_thanks_or_bye(text) and THANKS.search(text)):
        return "You're welcome! Is there anything else I can help with?"  # "lol ok thanks" too
    return None
