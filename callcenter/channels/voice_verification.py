"""Caller verification on a live call: who is this, proven by a PIN, before any account question.

Caller id is a hint, never an identity (it can be spoofed). When an unverified caller asks something
that needs their account (billing, bookings), the question is held and the caller is asked for their
voice PIN: from a number that matches one customer, straight away; from an unknown number, after the
place their account is at (in the business's words: `CallerLookup`). Keypad digits (ended by #, or
by a pause) or spoken digits are checked against the PIN hash; a match verifies the session's
customer for this call and the held question is answered. Wrong PINs count per caller number; too
many lock PIN entry from that number and the caller is offered a person. Emergencies and general
questions never wait for any of this.

This module decides what to do (`Step`); the relay does it (speaks, hands off, runs turns).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

import structlog

from callcenter.app import CallerLookup
from callcenter.routing.router import Router
from callcenter.store.voice_pins import Method, PinCheck, VoicePinStore

log = structlog.get_logger(__name__)

_SPOKEN_DIGITS = {
    # Not "to", "too", "for": as words they are far more common than as misheard digits.
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    # Spanish: a caller may answer in their own language
    "cero": "0",
    "uno": "1",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
}

MAX_UNIT_TRIES = 2

ASK_PIN = "For your security, please enter your PIN on the keypad, then press pound. You can also say the digits."
OFFER_PERSON = "Would you like me to connect you to a person?"
_YES = re.compile(r"\b(yes|yeah|yep|sure|please|ok(ay)?|person|human|agent|representative|operator|s[ií])\b", re.I)
_NO = re.compile(r"\b(no|nope|not now|no thanks)\b", re.I)


class Stage(StrEnum):
    IDLE = "idle"
    AWAITING_UNIT = "awaiting_unit"
    AWAITING_PIN = "awaiting_pin"
    OFFERED_PERSON = "offered_person"
    VERIFIED = "verified"


@dataclass(slots=True)
class Step:
    """What the relay should do with one input."""

    say: str | None = None  # speak this as a whole reply
    verified: int | None = None  # the customer the caller just proved to be
    resume: str | None = None  # then answer this held question through the orchestrator
    handoff: str | None = None  # hand the call to a person, for this reason
    passthrough: bool = False  # not about verification: a normal turn


def _minutes(until: datetime | None) -> int:
    if until is None:
        return 0
    return max(1, math.ceil((until - datetime.now(UTC)).total_seconds() / 60))


def _tries(n: int) -> str:
    return "one more try" if n == 1 else f"{n} more tries"


class CallerVerification:
    """The verification state of one call."""

    def __init__(
        self,
        *,
        pins: VoicePinStore,
        router: Router,
        account_verticals: frozenset[str],
        caller: str,
        caller_match: int | None,
        call_sid: str = "",
        session_id: str | None = None,
        verified: bool = False,
        wording: CallerLookup | None = None,
    ) -> None:
        self.pins = pins
        self.router = router
        self.account_verticals = account_verticals  # the business's agents that act on an account
        self.caller = caller  # the lockout key: the number's last ten digits, or "withheld"
        self.caller_match = caller_match
        self.call_sid = call_sid
        self.session_id = session_id
        self.stage = Stage.VERIFIED if verified else Stage.IDLE
        self.candidates: list[int] = []
        self.digits = ""
        self.held: str | None = None
        self.unit_tries = 0
        self.wording = wording or CallerLookup()
        self.log = log.bind(call_sid=call_sid)

    @property
    def active(self) -> bool:
        """False once the caller is verified: nothing is intercepted any more."""
        return self.stage != Stage.VERIFIED

    @property
    def collecting_keys(self) -> bool:
        """True while keypad input is PIN (or unit) digits rather than menu choices."""
        return self.stage in (Stage.AWAITING_PIN, Stage.AWAITING_UNIT)

    async def handle(self, text: str, kind: Literal["speech", "dtmf", "timeout"]) -> Step:
        if self.stage == Stage.VERIFIED:
            return Step(passthrough=True)
        if kind == "speech" and self.stage != Stage.IDLE and (await self.router.route(text, [])).emergency:
            self._leave()  # "I smell gas" in the middle of PIN entry is answered at once
            return Step(passthrough=True)
        if self.stage == Stage.AWAITING_PIN:
            return await self._pin_input(text, kind)
        if self.stage == Stage.AWAITING_UNIT:
            return await self._unit_input(text, kind)
        if self.stage == Stage.OFFERED_PERSON:
            return self._person_answer(text, kind)
        if kind != "speech":
            return Step(passthrough=kind == "dtmf")
        decision = await self.router.route(text, [])
        if decision.emergency or decision.vertical not in self.account_verticals:
            return Step(passthrough=True)
        return await self._start(text)

    async def _start(self, question: str) -> Step:
        self.held = question
        until = await self.pins.locked_until(self.caller)
        if until is not None:
            await self.pins.record(
                self.caller,
                "refused_locked",
                customer_id=self.caller_match,
                call_sid=self.call_sid,
                session_id=self.session_id,
            )
            self.stage = Stage.OFFERED_PERSON
            return Step(
                say=f"PIN entry from this number is paused for another {_minutes(until)} minutes after too "
                f"many wrong tries. {OFFER_PERSON}"
            )
        if self.caller_match is None:
            self.stage = Stage.AWAITING_UNIT
            return Step(say=self.wording.ask)
        return await self._ask_pin([self.caller_match])

    async def _ask_pin(self, candidates: list[int]) -> Step:
        with_pin = [c for c in candidates if await self.pins.has_pin(c)]
        if not with_pin:
            await self.pins.record(
                self.caller,
                "no_pin",
                customer_id=candidates[0] if len(candidates) == 1 else None,
                call_sid=self.call_sid,
                session_id=self.session_id,
            )
            self.stage = Stage.OFFERED_PERSON
            return Step(say=self.wording.no_pin)
        self.candidates = with_pin
        self.digits = ""
        self.stage = Stage.AWAITING_PIN
        return Step(say=ASK_PIN)

    async def _unit_input(self, text: str, kind: str) -> Step:
        if kind == "dtmf":
            if text.isdigit():
                self.digits += text
                return Step()
            if text != "#":
                return Step()
            text, self.digits = self.digits, ""
        elif kind == "timeout":
            text, self.digits = self.digits, ""
        elif not any(ch.isdigit() for ch in self._key(text)):  # every place has a number: this is something else
            self._leave()
            return Step(passthrough=True)
        candidates = await self.pins.customers_in_unit(self._key(text)) if text.strip() else []
        if candidates:
            return await self._ask_pin(candidates)
        self.unit_tries += 1
        await self.pins.record(
            self.caller,
            "unknown_unit",
            call_sid=self.call_sid,
            session_id=self.session_id,
            method="dtmf" if kind != "speech" else "speech",
        )
        if self.unit_tries >= MAX_UNIT_TRIES:
            self.stage = Stage.OFFERED_PERSON
            return Step(say=f"{self.wording.not_found} {OFFER_PERSON}")
        return Step(say=self.wording.again)

    def _key(self, text: str) -> str:
        return unit_key(text, filler=self.wording.filler)

    async def _pin_input(self, text: str, kind: str) -> Step:
        method: Method = "speech" if kind == "speech" else "dtmf"
        if kind == "dtmf":
            if text.isdigit():
                self.digits += text
                if len(self.digits) < 6:
                    return Step()  # wait for more digits, #, or the pause
            elif text != "#":
                return Step()  # '*' and the like: ignored while keying a PIN
            pin, self.digits = self.digits, ""
        elif kind == "timeout":
            pin, self.digits = self.digits, ""
        else:
            pin = digits_in(text)
            if len(pin) < 4:  # the caller said something else: leave PIN entry, take it as a normal turn
                self._leave()
                return Step(passthrough=True)
        if not pin:
            return Step()
        if len(pin) < 4:  # a slip of the finger, not a guess: it does not count as an attempt
            return Step(say="A PIN has 4 to 6 digits. Please enter your PIN, then press pound.")
        result = await self.pins.check(
            self.caller, self.candidates, pin, call_sid=self.call_sid, session_id=self.session_id, method=method
        )
        self.log.info("voice.pin_checked", outcome=result.outcome, method=method, attempts_left=result.attempts_left)
        return self._after_check(result)

    def _after_check(self, result: PinCheck) -> Step:
        if result.outcome == "verified" and result.customer_id is not None:
            self.stage = Stage.VERIFIED
            held, self.held = self.held, None
            return Step(say="Thank you, you're verified.", verified=result.customer_id, resume=held)
        if result.outcome == "wrong":
            return Step(
                say=f"That PIN didn't match. You have {_tries(result.attempts_left)}. "
                "Please enter your PIN again, then press pound."
            )
        self.stage = Stage.OFFERED_PERSON
        if result.outcome == "customer_locked":  # the account's budget, spent from any numbers: say nothing more
            return Step(say=f"I can't verify this account by PIN on the phone right now. {OFFER_PERSON}")
        if result.outcome == "locked":
            return Step(
                say=f"That PIN didn't match either, so I've paused PIN entry from this number for "
                f"{_minutes(result.locked_until)} minutes. {OFFER_PERSON}"
            )
        return Step(
            say=f"PIN entry from this number is paused for another {_minutes(result.locked_until)} minutes. "
            f"{OFFER_PERSON}"
        )

    def _leave(self) -> None:
        """Stop verifying: the held question is dropped (the caller moved on) and nothing is counted."""
        self.stage = Stage.IDLE
        self.held = None
        self.digits = ""

    def _person_answer(self, text: str, kind: str) -> Step:
        if (kind == "dtmf" and text in ("0", "1")) or (kind == "speech" and _YES.search(text) and not _NO.search(text)):
            self.stage = Stage.IDLE
            return Step(
                say="Connecting you to a member of our team.",
                handoff="caller asked for a person: could not verify by PIN",
            )
        if kind != "speech":
            return Step()
        self._leave()
        if _NO.search(text):
            return Step(say="All right. Is there anything else I can help with?")
        return Step(passthrough=True)  # the caller moved on: answer what they said


def digits_in(text: str, limit: int = 8) -> str:
    """The digits a caller keyed or said: "1 2 3 4", "one two three four", "my pin is 12 34" -> "1234".

    Speech recognisers write PINs as numerals or words, with spaces, dashes or commas between;
    anything that is neither a digit nor a digit word is skipped. Returns at most `limit` digits.
    """
    out: list[str] = []
    for token in re.findall(r"[0-9]+|[a-záéíóúñ]+", text.lower()):
        if token.isdigit():
            out.append(token)
        elif token in _SPOKEN_DIGITS:
            out.append(_SPOKEN_DIGITS[token])
    return "".join(out)[:limit]


_FILLER = frozenset({"number", "is", "its", "my", "i", "live", "in", "the", "and", "no", "it"})


def unit_key(text: str, filler: Iterable[str] = ()) -> str:
    """A place as said, normalised like the stored ones: "4-B" / "4 b" / "four B" / "it's 12-C" -> "4B", "12C".

    `filler` are the business's words around a place ("unit", "apartment": `CallerLookup.filler`), dropped
    like the engine's own ("my", "number", "is").
    """
    skip = _FILLER | {w.lower() for w in filler}
    tokens = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return "".join(_SPOKEN_DIGITS.get(t, t) for t in tokens if t not in skip).upper()
