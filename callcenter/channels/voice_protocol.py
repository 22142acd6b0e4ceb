"""The Twilio ConversationRelay wire format (docs/voice.md), as pydantic models and pure functions.

Twilio speaks to us with `setup`, `prompt`, `interrupt`, `dtmf` and `error` messages; we answer
with streamed `text` tokens and, to pass the call to a person, an `end` message. Parsing,
the speech-friendly rewrite of replies and the request signature live here, apart from the
websocket, so each can be tested on plain strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callcenter.channels.chat_protocol import MAX_FRAME_BYTES, frame_bytes
from callcenter.channels.sanitize import clean_json
from callcenter.channels.voice_numbers import speak_numbers


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SetupMessage(_Message):
    """Sent once, right after Twilio opens the socket: who is calling, and our own parameters."""

    type: Literal["setup"]
    session_id: str = Field(default="", alias="sessionId", max_length=128)
    call_sid: str = Field(default="", alias="callSid", max_length=128)
    from_: str = Field(default="", alias="from", max_length=64)
    to: str = Field(default="", max_length=64)
    direction: str = Field(default="", max_length=32)
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")

    @field_validator("custom_parameters", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        """TwiML <Parameter> values are strings; tolerate numbers and null rather than refuse the call."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return {str(k): "" if v is None else str(v) for k, v in value.items()}
        return value


class PromptMessage(_Message):
    """What the caller said. `last` is false only for partial transcripts (partialPrompts)."""

    type: Literal["prompt"]
    voice_prompt: str = Field(alias="voicePrompt")
    lang: str = ""
    last: bool = True


class InterruptMessage(_Message):
    """The caller spoke over our reply; Twilio already stopped playing it."""

    type: Literal["interrupt"]
    utterance_until_interrupt: str = Field(default="", alias="utteranceUntilInterrupt")
    duration_until_interrupt_ms: int = Field(default=0, alias="durationUntilInterruptMs")


class DtmfMessage(_Message):
    type: Literal["dtmf"]
    digit: str = Field(min_length=1, max_length=8)


class RelayErrorMessage(_Message):
    """Twilio telling us something we sent (or its own side) went wrong."""

    type: Literal["error"]
    description: str = ""


class UnknownMessage(_Message):
    """A message type this version does not know: logged and ignored, never fatal."""

    type: str


RelayMessage = SetupMessage | PromptMessage | InterruptMessage | DtmfMessage | RelayErrorMessage | UnknownMessage

_MODELS: dict[str, type[_Message]] = {
    "setup": SetupMessage,
    "prompt": PromptMessage,
    "interrupt": InterruptMessage,
    "dtmf": DtmfMessage,
    "error": RelayErrorMessage,
}

MAX_MESSAGE_BYTES = MAX_FRAME_BYTES


class RelayProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_relay_message(raw: str | bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> RelayMessage:
    """One inbound message; RelayProtocolError when it is not JSON or a known type is malformed."""
    if frame_bytes(raw, max_bytes) > max_bytes:
        raise RelayProtocolError("frame_too_large", f"Messages are limited to {max_bytes} bytes.")
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, integers past the digit limit, deep nesting
        raise RelayProtocolError("bad_json", "Messages must be JSON objects.") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise RelayProtocolError("bad_frame", 'Messages must be JSON objects with a string "type".')
    data = clean_json(data)  # no NUL or lone surrogate reaches the database
    kind: str = data["type"]
    model = _MODELS.get(kind)
    if model is None:
        return UnknownMessage(type=kind[:64])
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_input=False)[0]
        loc = ".".join(str(p) for p in err["loc"])[:40] or "message"
        raise RelayProtocolError("bad_frame", f"Invalid {kind} message: {loc}: {err['msg'][:100]}.") from None
    assert isinstance(parsed, SetupMessage | PromptMessage | InterruptMessage | DtmfMessage | RelayErrorMessage)
    return parsed


# --- outbound ------------------------------------------------------------------------------


def text_token(token: str, *, last: bool, interruptible: bool = True) -> dict[str, Any]:
    """A piece of the reply for Twilio to speak; `last` closes the reply."""
    return {"type": "text", "token": token, "last": last, "interruptible": interruptible}


def end_session(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """End the relay and pass `handoff` (as the JSON string Twilio requires) to the call's action URL."""
    return {"type": "end", "handoffData": json.dumps(dict(handoff), separators=(",", ":"), default=str)}


# --- speech-friendly replies ---------------------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BULLET = re.compile(r"^\s*[-*\u2022]\s+")
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`+)(?=\S)(.+?)(?<=\S)\1")
_STRAY = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")
_SPACES = re.compile(r"\s+")
_ENDS_CLAUSE = (".", "!", "?", ":", ";", ",")


def speakable_line(line: str) -> str:
    """One line of a chat-style reply as words a voice can say ("" for a blank line).

    Numbered options become "Option 2: ...", bullets plain sentences, markdown emphasis, links and
    headings lose their markup, amounts, dates, times and "#42" references are said as words
    (voice_numbers: "appointment 22", "12 dollars and 50 cents", "Tuesday, December 1st"), and every
    line ends as a sentence so text-to-speech pauses between list items instead of running them together.
    """
    option = _NUMBERED.match(line)
    if option:
        line = f"Option {int(option.group(1))}: " + line[option.end() :]
    else:
        line = _BULLET.sub("", _HEADING.sub("", line))
    line = _LINK.sub(r"\1", line)
    for _ in range(3):  # nested emphasis: ***x*** and the like
        line = _EMPHASIS.sub(r"\2", line)
    line = _STRAY.sub("", line)
    line = speak_numbers(line, today=date.today())
    line = _SPACES.sub(" ", line).strip()
    if line and not line.endswith(_ENDS_CLAUSE) and not line.endswith(")"):
        line += "."
    return line


def speakable(text: str) -> str:
    """A whole reply made speech-friendly: each line rewritten by speakable_line, joined by spaces."""
    return " ".join(s for s in (speakable_line(line) for line in text.split("\n")) if s)


class SpeakableStream:
    """speakable() over a reply that arrives in pieces: a line is spoken once it is complete.

    The concatenation of everything `feed` and `finish` return equals speakable(whole reply), so
    the caller hears exactly what a non-streamed reply would have said.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._spoke = False

    def _emit(self, line: str) -> str:
        said = speakable_line(line)
        if not said:
            return ""
        out = f" {said}" if self._spoke else said
        self._spoke = True
        return out

    def feed(self, piece: str) -> str:
        self._buffer += piece
        out = ""
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            out += self._emit(line)
        return out

    def finish(self) -> str:
        line, self._buffer = self._buffer, ""
        return self._emit(line)


# --- caller id -----------------------------------------------------------------------------


def phone_key(number: str) -> str | None:
    """The last ten digits of a phone number, for matching "+1-617-555-0142" to "+16175550142".

    None when there are too few digits to identify anyone. A match is a hint, never proof:
    caller id can be spoofed.
    """
    digits = re.sub(r"\D", "", number)
    return digits[-10:] if len(digits) >= 10 else None


# --- request signatures (Twilio's documented scheme) ----------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """base64(HMAC-SHA1(auth token, full URL + each POST parameter's name and value, sorted by name))."""
    data = url + "".join(f"{k}{v}" for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def body_sha256(body: bytes) -> str:
    """The hex SHA-256 Twilio puts in the `bodySHA256` query parameter of a signed JSON request."""
    return hashlib.sha256(body).hexdigest()


def signature_matches(
    auth_token: str, signature: str, urls: Iterable[str], params: Iterable[tuple[str, str]] = ()
) -> bool:
    """Whether `signature` is valid for any of the URLs the request may have been sent to."""
    items = list(params)
    return any(
        hmac.compare_digest(twilio_signature(auth_token, url, items).encode(), signature.encode()) for url in urls
    )
