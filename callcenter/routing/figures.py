"""Danger words in their ordinary senses: "a flood of emails", "flooded with calls", "it sparks joy".

Read right after the danger word by the router's rules (routing/emergency.py) and the agents' own
(agents/emergencies.py), so a figure of speech never pages the emergency team (outsider trial 2).
"""

from __future__ import annotations

FLOOD_OF_THINGS = (
    r"(?!\s+(?:of|with)\s+(?:\w+\s+)?(?:e-?m\w*|eam\w*|\w*mail\w*|cal+s?|mes+\w*|te?xts?|complai\w*|notif\w*|"
    r"requests?|spam|letters?|people|tourists|memories|questions?|work|orders?|applica\w*|alerts?)\b)"
)
SPARKS_A_FEELING = (
    r"(?!\s+(?:a\s+|some\s+|real\s+|so\s+much\s+)?(?:joy|interest|debate|conversation|curiosity|ideas?|"
    r"controversy|discussion|questions?|hope|concerns?)\b)"
)
