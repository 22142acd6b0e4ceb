"""Emergencies typed in a hurry: "I smll gas", "theres smmoke in the hallway", "my kitchn is floodign".

A customer reporting danger types fast, and the emergency rules match words. A slip in the one
word that matters must not turn a gas leak into a handbook search, so when the rules find nothing
the router tries them again on the text with each danger word typed with one slip spelled right.
A slip here is a dropped letter ("smll"), a doubled one ("smmoke"), two swapped ("fier") or, in a
longer word, a neighbouring key ("floodkng"); not any wrong letter: that makes real words of danger
words ("small", "spoke"), and a false alarm is a dispatch nobody needed. Words the business's
conversations use (the router's examples, the handbook, the base language's lexicon: "floor") are
never "corrected" either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# The words the built-in emergency rules (routing/emergency.py) turn on; a business's own
# EMERGENCY_TERMS add theirs.
DANGER_WORDS: tuple[str, ...] = (
    "smell", "smells", "smelling", "gas", "propane", "rotten", "sulfur", "leak", "leaking", "smoke", "smoky",
    "burning", "fire", "flames", "sparks", "sparking", "flood", "flooding", "flooded", "water", "pouring",
    "gushing", "spraying", "everywhere", "ceiling", "burst", "pipe", "pipes", "sewage", "sewer", "overflowing",
    "carbon", "monoxide", "alarm", "detector", "going", "beeping", "exposed", "wires", "heat", "heating",
    "freezing", "frozen", "intruder", "burglar", "elevator", "stuck", "coming", "dripping", "outlet", "light",
    "filling", "filled", "spreading", "seeping", "degrees", "inside", "apartment", "thermostat", "floor", "soaked",
)  # fmt: skip
KEY_NEIGHBOURS: dict[str, str] = {  # the keys around each key (QWERTY): where a finger slips
    "a": "qsz",
    "b": "vgn",
    "c": "xdv",
    "d": "sfe",
    "e": "wrd",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "i": "uok",
    "j": "hku",
    "k": "jli",
    "l": "ko",
    "m": "n",
    "n": "bm",
    "o": "ipl",
    "p": "o",
    "q": "wa",
    "r": "etf",
    "s": "adw",
    "t": "ryg",
    "u": "yij",
    "v": "cb",
    "w": "qes",
    "x": "zc",
    "y": "tu",
    "z": "xa",
}
# Real words a slip of a danger word spells ("parks" for "sparks", "eater" for "water", "hearing" for
# "heating"): typed on purpose far more often than by accident, so never mended into danger. Rare words
# ("soke", "bust" for "burst", "stick" for "stuck") are not listed: there the slip is likelier (outsider trial 2,
# conv 27: "what if my guest parks in a reserved spot" paged the emergency team as a fire). The danger words'
# own forms ("spark", "flame", "wire", "degree") are left out: mending those changes no meaning.
ORDINARY_WORDS: frozenset[str] = frozenset((
    "sell", "sells", "selling", "flamed", "parks", "spars", "parking", "sparing", "food", "eater", "wager",
    "pouting", "poring", "hushing", "praying", "spaying", "veiling", "pie", "pip", "pies", "pips", "piped",
    "gong", "dipping", "dropping", "ripping", "expose", "exposes", "wired", "eat", "hat", "eating",
    "hating", "hearing", "freeing", "froze", "intrude", "suck", "tuck", "filing", "filed", "seeing",
    "weeping", "sweeping", "seer", "ate",
))  # fmt: skip
# What is in danger, named: the words beside which an ordinary word may still be a slip.
SUBJECTS: frozenset[str] = frozenset((
    "gas", "propane", "smoke", "smoky", "fire", "flames", "water", "ceiling", "pipe", "pipes", "sewage",
    "sewer", "outlet", "wires", "carbon", "monoxide", "detector", "elevator", "heat", "heating",
    "thermostat",
))  # fmt: skip
_WORD = re.compile(r"[a-z']+")


def slips_of(word: str) -> set[str]:
    """`word` typed with one letter dropped (four letters or more), doubled, swapped with the next, or
    (five letters or more) hit on a neighbouring key."""
    out: set[str] = set()
    for i in range(len(word)):
        if len(word) >= 4:
            out.add(word[:i] + word[i + 1 :])
        if len(word) >= 5:
            out.update(word[:i] + near + word[i + 1 :] for near in KEY_NEIGHBOURS.get(word[i], ""))
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word) and word[i] != word[i + 1]:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out


def slip_fixer(known: Iterable[str], terms: Iterable[str] = ()) -> Callable[[str], str]:
    """A function giving the text with slips in danger words fixed, `known` words kept as typed.

    An ordinary word ("parks", "sell") is mended only beside a word that names what is in danger ("the gas
    sell came back" is a gas smell; "what if my guest parks in a reserved spot" is a parking question)."""
    danger = set(DANGER_WORDS) | {w for t in terms for w in _WORD.findall(t.lower())}
    kept = set(known) | danger
    slipped = {slip: word for word in sorted(danger) if len(word) >= 3 for slip in slips_of(word) if slip not in kept}
    typed = {slip: word for slip, word in slipped.items() if slip not in ORDINARY_WORDS}
    guarded = {slip: word for slip, word in slipped.items() if slip in ORDINARY_WORDS}

    def fixed(text: str) -> str:
        lowered = text.lower()
        mended = _WORD.sub(lambda m: typed.get(m.group(0), m.group(0)), lowered)
        if not guarded or not SUBJECTS.intersection(_WORD.findall(mended)):
            return mended
        return _WORD.sub(lambda m: guarded.get(m.group(0), m.group(0)), mended)

    return fixed


def known_words(texts: Iterable[str]) -> set[str]:
    """The words of `texts` (examples, handbook, lexicon), lower-cased."""
    return {w for t in texts for w in _WORD.findall(t.lower())}
