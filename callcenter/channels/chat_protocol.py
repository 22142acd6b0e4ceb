"""The web chat wire protocol (docs/protocol.md): frames as pydantic models.

Parsing is separate from the websocket transport so it can be tested on plain strings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HelloFrame(_Frame):
    type: Literal["hello"]
    token: str | None = Field(default=None, max_length=512)
    session_id: str | None = Field(default=None, max_length=64)


class MessageFrame(_Frame):
    type: Literal["message"]
    text: str
    client_id: str | None = Field(default=None, max_length=64)


class PingFrame(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[HelloFrame | MessageFrame | PingFrame, Field(discriminator="type")]
_client_frame: TypeAdapter[HelloFrame | MessageFrame | PingFrame] = TypeAdapter(ClientFrame)


T = TypeVar("T")


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


MAX_FRAME_BYTES = 64 * 1024


def decode_frame(raw: str | bytes, adapter: TypeAdapter[T], types: tuple[str, ...], example: str) -> T:
    """One frame of a JSON-object protocol, or ProtocolError with the code a client can act on."""
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
    try:
        data: Any = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProtocolError("bad_json", f"Frames must be JSON objects, e.g. {example}.") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_frame", 'Frames must be JSON objects with a "type".')
    kind = data.get("type")
    if kind not in types:
        raise ProtocolError("unknown_type", f"Unknown frame type {kind!r}; expected {', '.join(types)}.")
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"][1:]) or "frame"
        raise ProtocolError("bad_frame", f"Invalid {kind} frame: {loc}: {err['msg']}.") from None


def parse_client_frame(raw: str | bytes) -> HelloFrame | MessageFrame | PingFrame:
    return decode_frame(raw, _client_frame, ("hello", "message", "ping"), '{"type":"message","text":"hi"}')


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
