"""Emergency rules: phrasing variety, negation and benign compounds."""

from __future__ import annotations

import pytest

from callcenter.routing.emergency import DEFAULT_EMERGENCY_TERMS, detect_emergency, past_emergency


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I smell gas", "gas"),
        ("the kitchen smells like gas", "gas"),
        ("there's a gas leak in the hallway", "gas"),
        ("hissing sound and it smells like rotten eggs", "gas"),
        ("not sure, but I smell gas", "gas"),
        ("there's smoke coming from the outlet", "fire"),
        ("FIRE!!", "fire"),
        ("fire", "fire"),
        ("there is a fire in my kitchen", "fire"),
        ("the smoke alarm is going off and I smell burning", "fire"),
        ("sparks coming out of the wall socket", "fire"),
        ("water is pouring through the ceiling", "flood"),
        ("flooding", "flood"),
        ("my bathroom is flooded", "flood"),
        ("a pipe burst under the sink", "flood"),
        ("carbon monoxide alarm going off", "carbon_monoxide"),
        ("CO detector beeping", "carbon_monoxide"),
        ("no heat and it's freezing", "no_heat"),
        ("heat is out and it's 20 degrees", "no_heat"),
        ("the furnace died and the pipes are freezing", "no_heat"),
        ("heating not working, it is 5 degrees celsius inside", "no_heat"),
    ],
)
def test_detects(text: str, kind: str) -> None:
    assert detect_emergency(text) == kind


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _invisible(text: str, mark: str) -> str:
    return "".join(ch + mark if ch.isalpha() and i % 3 == 1 else ch for i, ch in enumerate(text))


_DETECTS = test_detects.pytestmark[0].args[1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "kind"), _DETECTS)
@pytest.mark.parametrize("disguise", ["fullwidth", "\u200b", "\u00ad", "\u2060", "\ufeff", "\u200d"])
def test_detects_what_a_cjk_keyboard_or_a_paste_makes_of_it(text: str, kind: str, disguise: str) -> None:
    """Red-team F14: "I smell ｇａｓ" and "g\u200bas" were offered a complaint."""
    typed = _fullwidth(text) if disguise == "fullwidth" else _invisible(text, disguise)
    assert typed != text
    assert detect_emergency(typed) == kind, repr(typed)


@pytest.mark.parametrize(
    "text",
    [
        "no fire, just a question about the fire alarm test schedule",
        "when is the fire drill",
        "I have a question about my gas bill",
        "gas bill",
        "there's no gas smell anymore, thanks",
        "where is the fire extinguisher inspection log",
        "do I need flood insurance",
        "the fireplace doesn't draw well",
        "heat is out",  # no cold cue: urgent maintenance, not a life-safety emergency
        "the heat is off and it's 75 degrees, fine by me",
        "I want to pay my rent",
        "I got fired and can't pay rent this month",
    ],
)
def test_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None


def test_terms_select_kinds_and_add_literals() -> None:
    assert set(DEFAULT_EMERGENCY_TERMS) == {"gas", "fire", "flood", "carbon_monoxide", "no_heat"}
    assert detect_emergency("I smell gas", ["flood"]) is None
    assert detect_emergency("I smell gas", ["gas leak"]) == "gas"  # phrase implies its kind
    assert detect_emergency("sewage backup in the basement", ["sewage backup"]) == "sewage_backup"
    assert detect_emergency("no sewage backup today", ["sewage backup"]) is None
    assert detect_emergency("elevator stuck with people inside", ("elevator stuck",)) == "elevator_stuck"


@pytest.mark.parametrize(
    "text",
    [
        "someone broke in to my apartment",
        "someone is trying to break in right now",
        "there's an intruder in my unit",
        "my apartment was broken into",
        "a man just broke into my home",
    ],
)
def test_break_ins_are_security_emergencies_when_enabled(text: str) -> None:
    assert detect_emergency(text, ["security"]) == "security"
    assert detect_emergency(text, ["break-in"]) == "security"  # alias
    assert detect_emergency(text) is None  # opt-in: not one of the default kinds


@pytest.mark.parametrize(
    "text",
    [
        "I broke my key",
        "the key broke in the lock",
        "my door lock broke in half",
        "someone broke into my car last month",
        "no intruder, just a question about the burglar alarm",
        "I broke in my new shoes",
    ],
)
def test_broken_things_are_not_break_ins(text: str) -> None:
    assert detect_emergency(text, ["security", "gas", "fire"]) is None


_HEAT_SUBJECTS = ("the heat", "heat", "our heating", "the furnace", "the boiler", "my heater", "the radiators")
_HEAT_FAILURES = (
    "has been out since yesterday",
    "'s been off for two days",
    "had been out all night",
    "has been broken since sunday",
    "hasn't been working since monday",
    "has not been working",
    "hasnt worked all week",
    "stopped working last night",
    "went out this morning",
    "has gone off again",
    "is out",
)
_COLD_CUES = ("and it's freezing in here", ", we can see our breath", "and the pipes are freezing", "- it's 40 degrees")


@pytest.mark.parametrize("subject", _HEAT_SUBJECTS)
@pytest.mark.parametrize("failure", _HEAT_FAILURES)
def test_no_heat_in_the_cold_whatever_the_tense(subject: str, failure: str) -> None:
    """Residents say heat failures in every tense; with a cold cue each is a no-heat emergency."""
    for cue in _COLD_CUES:
        text = f"{subject}{'' if failure.startswith(chr(39)) else ' '}{failure} {cue}"
        assert detect_emergency(text) == "no_heat", text
        assert detect_emergency(text.upper()) == "no_heat", text


@pytest.mark.parametrize("failure", _HEAT_FAILURES)
def test_no_heat_without_a_cold_cue_is_maintenance(failure: str) -> None:
    text = f"the heat{'' if failure.startswith(chr(39)) else ' '}{failure}"
    assert detect_emergency(text) is None, text


# A danger named with a repair or an earlier report, built from parts: over only when the repair is said
# as done and nothing says the danger is there now; a report in any framing is still a report.
_DANGERS = (("there was a gas smell", "gas"), ("the burst pipe", "flood"), ("we had a small fire", "fire"))
_DONE = ("but the gas company fixed it", "and it got repaired", "it's been taken care of", "and it was sealed")
_NOT_DONE = ("is it fixed?", "and it needs to be fixed", "and it hasn't been fixed", "and nobody fixed it")
_STILL_THERE = ("but it came back", "and i still smell it", "but there's smoke again", "and it's getting worse")
_REPORTING = ("i want to report {d}", "calling to report {d}", "i need to open a ticket: {d}", "{d}, please log it")


@pytest.mark.parametrize(("danger", "kind"), _DANGERS)
def test_a_danger_said_as_repaired_is_over_and_nothing_else_is(danger: str, kind: str) -> None:
    for done in _DONE:
        over = f"{danger} yesterday {done}"
        assert detect_emergency(over) is None and past_emergency(over) == kind, over
        assert detect_emergency(over.upper()) is None, over
        for still in _STILL_THERE:
            assert detect_emergency(f"{over}, {still}") == kind, (over, still)
    for not_done in _NOT_DONE:
        assert detect_emergency(f"{danger} {not_done}") == kind, not_done
    for framing in _REPORTING:
        said = framing.format(d=danger.replace("there was ", "").replace("we had ", ""))
        assert detect_emergency(said) == kind and past_emergency(said) is None, said
