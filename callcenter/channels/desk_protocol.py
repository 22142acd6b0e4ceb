"""The desk wire protocol (docs/desk.md): operator frames as pydantic models.

Kept apart from the websocket transport so parsing is tested on plain strings, exactly like
chat_protocol for customers. Errors reuse chat_protocol's ProtocolError and error frame.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from callcenter.channels.chat_protocol import MAX_FRAME_BYTES, ProtocolError, decode_frame, error_frame

__all__ = ["ERROR_CODES", "DeskFrame", "ProtocolError", "error_frame", "parse_desk_frame"]

# Every code the desk sends, with what it means (docs/desk.md lists the same).
ERROR_CODES: dict[str, str] = {
    "bad_json": "the frame is not JSON",
    "bad_frame": "JSON but not an object, or a field has the wrong type",
    "unknown_type": "`type` is not a desk frame",
    "frame_too_large": "the frame exceeds CALLCENTER_MAX_FRAME_BYTES (64 KiB)",
    "too_many_bad_frames": "too many refused frames in a minute; the socket is then closed (1008)",
    "hello_required": "any frame but hello/ping before a successful hello",
    "invalid_token": "the token is malformed, forged, a customer token, or names no active operator",
    "expired_token": "the token's time has passed",
    "forbidden": "your role may not do that (watch needs supervisor or admin)",
    "already_taken": "another operator took that handoff first",
    "unknown_handoff": "no human handoff has that id",
    "not_holding": "you do not hold that session",
    "unknown_session": "no session has that id",
    "empty_message": "text is empty or only whitespace",
    "message_too_long": "text is over the limit",
    "rate_limited": "too many frames; slow down and send again",
    "unavailable": "the database could not be reached; send the frame again",
    "internal_error": "an unexpected failure; the connection stays open",
}


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HelloFrame(_Frame):
    type: Literal["hello"]
    token: str = Field(max_length=512)


class TakeFrame(_Frame):
    type: Literal["take"]
    handoff_id: int = Field(ge=1, le=2**62)


class SendFrame(_Frame):
    type: Literal["message"]
    session_id: str = Field(max_length=64)
    text: str
    client_id: str | None = Field(default=None, max_length=64)


class ReleaseFrame(_Frame):
    type: Literal["release"]
    session_id: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class CloseFrame(_Frame):
    type: Literal["close"]
    session_id: str = Field(max_length=64)
    resolution: str = Field(default="resolved", min_length=1, max_length=2000)


class WatchFrame(_Frame):
    type: Literal["watch"]
    session_id: str = Field(max_length=64)


class UnwatchFrame(_Frame):
    type: Literal["unwatch"]
    session_id: str = Field(max_length=64)


class QueueRequestFrame(_Frame):
    type: Literal["queue"]


class PingFrame(_Frame):
    type: Literal["ping"]


DeskFrame = (
    HelloFrame
    | TakeFrame
    | SendFrame
    | ReleaseFrame
    | CloseFrame
    | WatchFrame
    | UnwatchFrame
    | QueueRequestFrame
    | PingFrame
)
_adapter: TypeAdapter[DeskFrame] = TypeAdapter(Annotated[DeskFrame, Field(discriminator="type")])
FRAME_TYPES = ("hello", "take", "message", "release", "close", "watch", "unwatch", "queue", "ping")


def parse_desk_frame(raw: str | bytes, max_bytes: int = MAX_FRAME_BYTES) -> DeskFrame:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "\\u0000" in text or "\x00" in text:  # PostgreSQL text cannot hold NUL: refuse it here, precisely
        raise ProtocolError("bad_frame", "Frames may not contain NUL characters (\\u0000).")
    return decode_frame(raw, _adapter, FRAME_TYPES, '{"type":"take","handoff_id":1}', max_bytes)
