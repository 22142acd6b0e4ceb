"""What the demo's phone line says and listens for: the greeting, how it finds an unknown caller's
account, and the words that make a posted call's sentence its reason.

The engine asks an unknown number for the customer's place and a PIN (`callcenter.app.CallerLookup`);
these are the residents' words for it (the unit they live in), and where they set a PIN (the resident
portal). The summary of a finished call picks the caller's sentences with need words: the engine knows
the generic ones ("repair", "cancel", "refund"), these are a home's.
"""

from __future__ import annotations

from callcenter.app import CallerLookup

VOICE_GREETING = "Thanks for calling Maple Property Management. How can I help you today?"
CALLER_LOOKUP = CallerLookup(
    ask=(
        "I can help with that once I know who you are. What is your unit number? "
        "You can say it, like 4 B, or key it in."
    ),
    again="I couldn't find that unit. Could you say your unit number again, like 4 B?",
    not_found="I couldn't find that unit.",
    no_pin=(
        "Your account doesn't have a phone PIN yet, so I can't open it on this call. You can set one in the "
        "resident portal. Would you like me to connect you to a person instead?"
    ),
    filler=("unit", "apartment", "apt", "suite"),
)

# A home's needs, beside the engine's generic need words (callcenter.channels.call_summary.NEED_TERMS).
CALL_NEED_TERMS = frozenset(
    {
        "ac",
        "air",
        "appliance",
        "ceiling",
        "cold",
        "deposit",
        "dishwasher",
        "door",
        "dryer",
        "faucet",
        "floor",
        "fridge",
        "heat",
        "heater",
        "heating",
        "hot",
        "key",
        "leak",
        "leaking",
        "leaks",
        "lease",
        "light",
        "lock",
        "mold",
        "neighbor",
        "noise",
        "outlet",
        "oven",
        "parking",
        "pest",
        "rent",
        "shower",
        "sink",
        "toilet",
        "tour",
        "viewing",
        "washer",
        "water",
        "window",
    }
)
