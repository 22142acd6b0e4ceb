"""Safety questions asked with an emergency, answered: "I smell gas — should I open the windows? can I use the stove?"

The emergency reply gave the safety steps and the handoff, and the questions were left hanging (conversation
gaps 2026-12-02), though a resident who asks whether to light the stove in a gas leak needs the answer now.
Each question in the message is answered from the safety steps of its kind (the same advice `SAFETY` and the
handbook give: leave, no sparks or flames, stairs not the elevator, the water valve if it is safe), in one
sentence; a question with no set answer is never guessed at: the reply says a person from the emergency
team will answer it, and the question goes on the emergency report so that person sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from callcenter_agents.extract.polite import fix_typos

# Words a question starts with; a clause ending in "?" is one too.
_QUESTION = re.compile(
    r"^\W*(?:(?:and|but|so|ok(?:ay)?|also|um+|oh)\W+)*(?:should|shall|can|could|may|must|do|does|did|is|are|am|will"
    r"|would|what|how|where|when|who|why|which|any)\b",
    re.I,
)
_CLAUSES = re.compile(r"(?<=[?.!;,])\s*|\s+[-\u2013\u2014]+\s+|\s*\n\s*")
_WONDERS = re.compile(r"\b(?:if|whether)\s+(?:i|we)\s+(?:should|can|could|need|must|have|ought)\b", re.I)


@dataclass(frozen=True)
class _Answer:
    kinds: frozenset[str]
    asks: re.Pattern[str]
    says: str


def _rule(kinds: str, asks: str, says: str) -> _Answer:
    return _Answer(frozenset(kinds.split()), re.compile(asks, re.I), says)


_OUT = "gas carbon_monoxide fire"
_RULES: tuple[_Answer, ...] = (
    _rule(
        _OUT,
        r"\b(?:go|get|come|run|head|pop|nip)\w*\s+back\b|\bback\s+(?:in|inside)\b|\breturn\s+(?:inside|home|in)\b",
        "Don't go back in, not even for a pet or your things. If a pet or anyone is still inside, tell the "
        "firefighters or our emergency team when they arrive.",
    ),
    _rule(
        "gas",
        r"\b(?:open|crack|air)\w*\b.{0,20}\b(?:windows?|doors?|place|apartment|out)\b|\bwindows?\b.{0,15}\bopen",
        "Don't stay behind to open windows: getting out comes first. If a window or door is right on your way out, "
        "you can leave it open as you go.",
    ),
    _rule(
        "carbon_monoxide",
        r"\b(?:open|crack|air)\w*\b.{0,20}\b(?:windows?|doors?|place|apartment|out)\b|\bwindows?\b.{0,15}\bopen",
        "Get out into fresh air first and leave the door open behind you; don't stay inside to open windows.",
    ),
    _rule(
        "fire",
        r"\b(?:open|crack)\w*\b.{0,20}\b(?:windows?|doors?)\b|\bwindows?\b.{0,15}\bopen",
        "Keep windows shut and close doors behind you as you leave, because air feeds a fire.",
    ),
    _rule(
        "no_heat",
        r"\b(?:open|crack)\w*\b.{0,20}\bwindows?\b|\bwindows?\b.{0,15}\bopen",
        "Keep windows and doors closed to hold in the heat you have.",
    ),
    _rule(
        "gas",
        r"\b(?:stove|oven|burner|cook\w*|candles?|lighters?|match(?:es)?|fireplace|grill|heater|smok\w*|cigarettes?"
        r"|light\s+(?:a|the)\s+\w+)\b",
        "Don't cook, light anything or smoke until the gas company says it's safe; a flame or a spark can "
        "ignite the gas.",
    ),
    _rule(
        "carbon_monoxide no_heat",
        r"\b(?:stove|oven|burner|grill|fireplace|generator|gas\s+heater|kerosene|propane)\b",
        "Don't use the oven, a gas stove, a grill or any fuel-burning heater indoors; they give off carbon monoxide.",
    ),
    _rule(
        "no_heat",
        r"\bspace\s+heaters?\b|\belectric\s+heaters?\b|\bheaters?\b",
        "An electric space heater is fine: keep it well away from curtains, bedding and anything that can burn, "
        "plug it straight into the wall (not an extension cord), and turn it off when you sleep or go out.",
    ),
    _rule(
        "gas",
        r"\b(?:lights?|light\s+switch\w*|switch\w*|phone|cell|call\s+from|flashlight|torch|doorbell|power|breaker"
        r"|electric\w*|plug|unplug)\b",
        "Don't flip switches, unplug anything or use your phone until you're outside; any of them can make a spark.",
    ),
    _rule(
        "fire gas carbon_monoxide",
        r"\b(?:elevator|lift|stairs)\b",
        "Take the stairs, never the elevator.",
    ),
    _rule(
        "gas",
        r"\b(?:shut|turn|switch|close)\w*\b.{0,15}\b(?:gas|valve|meter)\b|\b(?:gas|valve|meter)\b.{0,10}\boff\b",
        "Don't stay to look for the valve or the meter: the gas company and our emergency team will shut it off. "
        "Just get out.",
    ),
    _rule(
        "flood",
        r"\b(?:shut|turn|switch|close)\w*\b.{0,15}\b(?:water|valve)\b|\b(?:water|valve)\b.{0,10}\boff\b",
        "Yes, if you can reach it safely: your unit's shut-off valve is usually under the sink or by the water heater.",
    ),
    _rule(
        "flood",
        r"\b(?:breakers?|power|electric\w*|outlets?|plugs?|unplug|lights?|fuse)\b",
        "Keep away from lights, outlets and appliances near the water; switch off the breaker only if you can reach "
        "the panel without standing in or touching water.",
    ),
    _rule(
        "flood",
        r"\b(?:towels?|buckets?|mop\w*|move\s+(?:my|the|our)\s+\w+|furniture|stuff|things|belongings)\b",
        "Yes, if it's safe: move things off the floor and put towels or a bucket down, but keep away from outlets "
        "and anything electrical near the water.",
    ),
    _rule(
        _OUT,
        r"\b(?:stay|wait|remain|sleep)\b.{0,25}\b(?:inside|in\s+here|in\s+(?:the|my)\s+(?:apartment|unit|building|house|place)"
        r"|home|here|in)\b|\bsafe\s+to\s+(?:stay|be\s+(?:inside|in\s+here|home))\b",
        "No: don't stay inside. Leave now and wait outside, away from the building, until the fire department, the "
        "gas company or our emergency team says it's safe.",
    ),
    _rule(
        _OUT,
        r"\b(?:kids?|children|child|baby|babies|family|wife|husband|mom|mum|dad|grand\w+|roommates?|everyone|everybody"
        r"|partner|son|daughter|elderly|parents?)\b",
        "Yes: get everyone out with you now, children first. If someone is still inside, don't go back in for them: "
        "tell the firefighters or 911 right away.",
    ),
    _rule(
        _OUT,
        r"\b(?:pets?|dogs?|cats?|birds?|puppy|kitten)\b|\b(?:grab|bring|take|pack|get|save)\s+(?:my|our|the|some)\s+"
        r"(?:stuff|things|belongings|laptop|computer|wallet|purse|bag|passport|documents|papers|keys|valuables|clothes)",
        "Take your pets and whatever is right at hand on your way out, but don't stay to look for belongings: get "
        "out now.",
    ),
    _rule(
        "fire",
        r"\b(?:put\s+(?:it|the\s+fire|that)\s+out|extinguish\w*|water\s+on|pour\s+water|throw\s+water|fight\s+it)\b",
        "Only if it's very small, you have an extinguisher and a clear way out behind you; never put water on a "
        "grease or electrical fire. If in doubt, get out, close the door behind you and call 911.",
    ),
    _rule(
        _OUT,
        r"\b(?:neighbou?rs?|warn|knock|tell\s+(?:the\s+)?(?:others|people|building))\b",
        "Knock on your neighbours' doors on your way out if you can (in a gas leak, knock rather than ring the "
        "bell), but don't go back in for anyone: tell the firefighters.",
    ),
)


@dataclass(frozen=True)
class Answered:
    """What a message's safety questions get: the answers, and the questions left for a person."""

    answers: tuple[str, ...]
    for_a_person: tuple[str, ...]

    def text(self) -> str:
        """The sentences to add to the reply ("" when the message asked nothing)."""
        said = list(dict.fromkeys(self.answers))
        if self.for_a_person:
            asked = "; ".join(f"\u201c{q}\u201d" for q in self.for_a_person)
            said.append(
                f"The person from our emergency team will answer {asked} when they join; I've added it to your "
                "emergency report."
            )
        return " ".join(said)


# Words the questions and the answers' rules turn on: a slip in one ("shpuld i put towels down", "can i use the
# stvoe") is mended before they are read.
_WORDS = (
    *("should", "shall", "could", "would", "what", "where", "when", "which", "whether", "about", "okay"),
    *("open", "windows", "window", "doors", "stove", "oven", "burner", "candle", "candles", "lighter", "matches"),
    *("lights", "light", "switch", "switches", "phone", "elevator", "stairs", "valve", "meter", "water", "breaker"),
    *("power", "outlet", "outlets", "towels", "towel", "bucket", "furniture", "heater", "space", "electric"),
    *("extinguisher", "pets", "kids", "children", "baby", "laptop", "wallet", "back", "inside", "neighbours"),
    *("neighbors", "grab", "take", "bring", "cook", "smoke", "turn", "shut", "fireplace", "grill", "generator"),
)


def questions(text: str) -> list[str]:
    """The questions in `text`, each as said (without its question mark), slips in their words mended."""
    out = []
    for clause in _CLAUSES.split(text):
        said = clause.strip()
        mended = fix_typos(said, _WORDS)
        if said and (said.endswith("?") or _QUESTION.match(mended) or _WONDERS.search(mended)):
            out.append(mended.rstrip("?,").strip())
    return [q for q in out if len(q.split()) >= 2]


def safety_answers(text: str, kind: str, *, handled: Callable[[str], bool] = lambda _: False) -> Answered:
    """The answers to the safety questions `text` asks about an emergency of `kind`; a question `handled` says
    is answered elsewhere (the report itself, what to do now, who is coming, going back in) is left out."""
    answers: list[str] = []
    for_a_person: list[str] = []
    for asked in questions(text):
        found = [r.says for r in _RULES if kind in r.kinds and r.asks.search(asked)]
        if found:
            answers.append(found[0])
        elif not handled(asked):
            for_a_person.append(asked[:120])
    return Answered(tuple(answers), tuple(for_a_person))
