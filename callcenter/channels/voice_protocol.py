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
from callcenter.specialists.claims import SentenceSplitter


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
    The line is rewritten sentence by sentence (`SpokenPieces`), the cuts a streamed reply is spoken at.
    """
    return speakable(line.replace("\n", " "))


def _speakable_piece(piece: str, first: bool, last: bool) -> str:
    """One sentence of a line: the line's markup at its start only, the closing period at its end only."""
    if first:
        option = _NUMBERED.match(piece)
        if option:
            piece = f"Option {int(option.group(1))}: " + piece[option.end() :]
        else:
            piece = _BULLET.sub("", _HEADING.sub("", piece))
    piece = _LINK.sub(r"\1", piece)
    for _ in range(3):  # nested emphasis: ***x*** and the like
        piece = _EMPHASIS.sub(r"\2", piece)
    piece = _STRAY.sub("", piece)
    piece = speak_numbers(piece, today=date.today())
    piece = _SPACES.sub(" ", piece).strip()
    if last and piece and not piece.endswith(_ENDS_CLAUSE) and not piece.endswith(")"):
        piece += "."
    return piece


def speakable(text: str) -> str:
    """A whole reply made speech-friendly: each line rewritten by speakable_line, joined by spaces."""
    stream = SpeakableStream()
    return stream.feed(text) + stream.finish()


# A sentence cut after "Tue." or "Dec." would say "Tue." and "Dec 1st" apart instead of "Tuesday, December 1st".
_ABBREVIATED_DAY = re.compile(
    r"\b(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.\s*$"
)


class SpokenPieces:
    """Cuts one line into the pieces a voice can say one at a time: its sentences (claims.SentenceSplitter).

    Not after a day or month abbreviation, nor inside an open link or bracket: those would be
    spoken differently apart. Each cut depends only on the text before it, so a line streamed in
    any pieces is cut exactly where the whole line is.
    """

    def __init__(self) -> None:
        self._splitter = SentenceSplitter()
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        out: list[str] = []
        for sentence in self._splitter.feed(text):
            self._pending += sentence
            if not _ABBREVIATED_DAY.search(self._pending) and not _open_bracket(self._pending):
                out.append(self._pending)
                self._pending = ""
        return out

    def flush(self) -> list[str]:
        rest = self._pending + "".join(self._splitter.flush())
        self._pending = ""
        return [rest] if rest.strip() else []


def _open_bracket(text: str) -> bool:
    return text.count("[") > text.count("]") or text.count("(") > text.count(")")


class SpeakableStream:
    """speakable() over a reply that arrives in pieces: each sentence is spoken once it is complete.

    The concatenation of everything `feed` and `finish` return equals speakable(whole reply), so
    the caller hears exactly what a non-streamed reply would have said; a reply of several
    sentences on one line starts speaking after its first sentence, not after its last.
    """

    def __init__(self) -> None:
        self._line = SpokenPieces()
        self._first = True  # the next piece starts a line
        self._spoke = False

    def _emit(self, piece: str, last: bool) -> str:
        said = _speakable_piece(piece, self._first, last)
        self._first = False
        if not said:
            return ""
        out = f" {said}" if self._spoke else said
        self._spoke = True
        return out

    def feed(self, piece: str) -> str:
        out = ""
        while piece:
            head, newline, piece = piece.partition("\n")
            out += "".join(self._emit(sentence, last=False) for sentence in self._line.feed(head))
            if newline:
                out += self.finish()
        return out

    def finish(self) -> str:
        """The end of a line (or of the reply): its last piece, closed as a sentence."""
        out = "".join(self._emit(piece, last=True) for piece in self._line.flush())
        self._first = True
        return out


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
