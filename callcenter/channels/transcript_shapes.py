"""Transcript shapes that real call platforms export, mapped onto the project's own.

`POST /v1/voice/transcripts` takes `{"call_id", "turns": [{"speaker", "text"}]}`. Call platforms
export something else; this module recognises each accepted shape and rewrites it into ours, so
storage and follow-up never see the difference. Accepted today (docs/voice.md shows each):

- ours: a `turns` list;
- Twilio Conversational (Voice) Intelligence: the Transcript resource (`sid` GT…, `channel` with
  `participants` mapping each `channel_participant` to a `role`) with its Sentences list under
  `sentences` (`media_channel`, `sentence_index`, `transcript`), in the API's snake_case or the
  newer camelCase spelling.

Consecutive sentences of one speaker become one turn. A shape we cannot map raises ShapeError
naming the field, so the sender learns what to fix.
"""

from __future__ import annotations

import re
from typing import Any

CUSTOMER_ROLES = {
    "customer",
    "caller",
    "client",
    "end user",
    "end-user",
    "enduser",
    "user",
    "resident",
    "contact",
    "external",
}
AGENT_ROLES = {
    "agent",
    "representative",
    "rep",
    "ai agent",
    "virtual agent",
    "virtual-agent",
    "bot",
    "assistant",
    "employee",
    "operator",
    "staff",
    "internal",
    "human agent",
}
# Without a participants map: Twilio's dual-channel recording of an inbound call holds the caller's
# leg on channel 1 and ours on channel 2.
DEFAULT_CHANNELS = {1: "customer", 2: "agent"}


class ShapeError(ValueError):
    """The body looks like a known export but a field is missing or unmappable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _snake_keys(value: Any) -> Any:
    """camelCase keys to snake_case, recursively (Twilio's newer API spells fields in camelCase)."""
    if isinstance(value, dict):
        return {_snake(k) if isinstance(k, str) else k: _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def shape_of(data: dict[str, Any]) -> str:
    """'native' or 'twilio_intelligence' (what the body looks like); 'native' when unsure, so errors name our fields."""
    if "turns" in data:
        return "native"
    if "sentences" in data:
        return "twilio_intelligence"
    return "native"


def to_native(data: dict[str, Any]) -> dict[str, Any]:
    """The body in the project's own shape (unchanged when it already is)."""
    if shape_of(data) == "native":
        return data
    return _from_twilio(_snake_keys(data))


def _role(value: Any, where: str) -> str:
    role = str(value or "").strip().lower()
    if role in CUSTOMER_ROLES:
        return "customer"
    if role in AGENT_ROLES:
        return "agent"
    raise ShapeError(
        where,
        f"role {value!r} is neither a customer nor an agent role "
        f"(customer: {', '.join(sorted(CUSTOMER_ROLES))}; agent: {', '.join(sorted(AGENT_ROLES))}).",
    )


def _channel(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ShapeError(where, f"channel {value!r} is not a channel number.") from None


def _from_twilio(data: dict[str, Any]) -> dict[str, Any]:
    channel = data.get("channel") or {}
    if isinstance(channel, str):
        raise ShapeError("channel", "must be the transcript's channel object (participants), not a string.")
    participants = channel.get("participants") if isinstance(channel, dict) else None
    speakers = dict(DEFAULT_CHANNELS)
    caller_number: str | None = None
    if participants:
        if not isinstance(participants, list):
            raise ShapeError("channel.participants", "must be a list.")
        speakers = {}
        for i, p in enumerate(participants):
            where = f"channel.participants.{i}"
            if not isinstance(p, dict):
                raise ShapeError(where, "must be an object with channel_participant and role.")
            number = _channel(p.get("channel_participant"), where + ".channel_participant")
            speakers[number] = _role(p.get("role") or p.get("user_role"), where + ".role")
            ident = p.get("media_participant_id")
            if speakers[number] == "customer" and isinstance(ident, str) and re.search(r"\d{7}", ident):
                caller_number = ident
    sentences = data.get("sentences")
    if not isinstance(sentences, list) or not sentences:
        raise ShapeError("sentences", "must be a non-empty list of the transcript's sentences.")
    ordered: list[tuple[float, int, dict[str, Any]]] = []
    for i, s in enumerate(sentences):
        if not isinstance(s, dict):
            raise ShapeError(f"sentences.{i}", "must be an object with media_channel and transcript.")
        index = s.get("sentence_index")
        ordered.append((float(index) if isinstance(index, int | float) else float(i), i, s))
    ordered.sort(key=lambda t: (t[0], t[1]))
    turns: list[dict[str, str]] = []
    for _, i, s in ordered:
        text = s.get("transcript")
        if not isinstance(text, str) or not text.strip():
            continue  # Twilio leaves silence and redacted sentences empty
        number = _channel(s.get("media_channel"), f"sentences.{i}.media_channel")
        if number not in speakers:
            raise ShapeError(
                f"sentences.{i}.media_channel", f"channel {number} has no participant (known: {sorted(speakers)})."
            )
        speaker = speakers[number]
        if turns and turns[-1]["speaker"] == speaker:
            turns[-1]["text"] += " " + text.strip()
        else:
            turns.append({"speaker": speaker, "text": text.strip()})
    if not turns:
        raise ShapeError("sentences", "holds no transcribed text.")
    call_id = data.get("call_id") or data.get("customer_key") or data.get("sid")
    if not call_id:
        raise ShapeError("sid", "the transcript's sid (GT…) or customer_key identifies the call; neither is present.")
    out: dict[str, Any] = {"call_id": str(call_id), "turns": turns}
    started = data.get("started_at") or data.get("media_start_time") or data.get("date_created")
    if started:
        out["started_at"] = started
    if data.get("from") or caller_number:
        out["from"] = data.get("from") or caller_number
    if data.get("token"):
        out["token"] = data["token"]
    return out
