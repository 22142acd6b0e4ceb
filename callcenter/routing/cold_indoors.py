"""A temperature read inside the home, at or below the cold line: the no-heat emergency's own evidence.

"its 55 degrees in my apartment and nobody has come about the heat" (outsider trial 2026-12-02, conv 8) names
no broken heater, but a home at 55 °F is one the heating isn't keeping warm. The cold line is the one the
no-heat rule already used for a reading ("the heat is out and it's 50 degrees": routing/emergency.py).
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# The cold line of `_is_cold`: a reading at or below it is cold.
COLD_AT_OR_BELOW_F = 55
COLD_AT_OR_BELOW_C = 10
# A temperature read inside the home ("its 55 degrees in my apartment", "50F inside", "the thermostat says 52"):
# the heating isn't keeping it warm, which is what "no heat" means, so at or below the cold line it is the
# no-heat emergency even when the heat itself is only named ("about the heat") or not at all.
_READING = (
    r"(?P<n>-?\d{1,3})\s*(?:°\s*(?P<u>[fc]\b)?|degrees?\b(?:\s+(?P<v>fahrenheit|celsius|f\b|c\b))?|deg\b"
    r"|(?P<w>[fc])\b)"
)
_HOME = r"(?:apartment|apt|unit|place|home|house|flat|bedroom|room|living\s+room|kitchen|bathroom|condo|studio)"
_INDOOR_READINGS = (
    _rx(rf"{_READING}\s+(?:\w+\s+){{0,2}}?(?:in(?:side)?\s+(?:my|the|our|this)\s+{_HOME}|inside|indoors|in\s+here)\b"),
    _rx(
        rf"\b(?:inside|indoors|in\s+(?:my|the|our)\s+{_HOME}|in\s+here)\b[^.!?\d]{{0,25}}?(?:is|it'?s|its|at|to|only"
        rf"|just|barely|reads?|says?|shows?)\s+(?:only\s+|just\s+|barely\s+|like\s+|about\s+)?{_READING}"
    ),
    _rx(r"\bthermostat\s+(?:\w+\s+){0,2}?(?:says|reads|shows|is\s+at|at|is)\s+(?:only\s+|just\s+)?(?P<n>\d{1,3})\b"),
)
_UNIT_NAME = _rx(r"\b(?:apt|apartment|unit|room|suite|number|no|floor|in|at)\.?\s*#?\s*$|#\s*$")  # "unit 4C"
_SETTING = _rx(r"\b(?:set|turn\w*|keep|kept|put|lower\w*|raise\w*)\b[^.!?]{0,20}$")
_NEGATED = _rx(r"\b(?:not|isn'?t|never|wasn'?t)\s+(?:\w+\s+)?$")


def cold_indoors(text: str) -> bool:
    """A temperature read inside the home at or below the cold line (not a thermostat being set to it)."""
    for m in (m for pattern in _INDOOR_READINGS for m in pattern.finditer(text)):
        unit = next((str(u) for u in (m.groupdict().get(g) for g in "uvw") if u), "f").lower()
        line = COLD_AT_OR_BELOW_C if unit.startswith("c") else COLD_AT_OR_BELOW_F
        before = text[: m.start()]
        if m.groupdict().get("w") and _UNIT_NAME.search(before):
            continue
        if int(m.group("n")) <= line and not _SETTING.search(before) and not _NEGATED.search(before):
            return True
    return False
