"""The web chat wire protocol (docs/protocol.md): frames as pydantic models.

Parsing is separate from the websocket transport so it can be tested on plain strings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from callcenter.channels.sanitize import clean_text


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


def frame_bytes(raw: str | bytes, limit: int = MAX_FRAME_BYTES) -> int:
    """A frame's size on the wire: UTF-8 bytes, not characters (é is two bytes, 日 three).

    Exact whenever it could matter against `limit`; a frame that cannot exceed it is not encoded.
    """
    if isinstance(raw, bytes):
        return len(raw)
    if len(raw) * 4 <= limit:
        return len(raw)  # cannot be over the limit whatever it encodes to
    return len(raw.encode("utf-8", "surrogatepass"))


def decode_frame(
    raw: str | bytes, adapter: TypeAdapter[T], types: tuple[str, ...], example: str, max_bytes: int = MAX_FRAME_BYTES
) -> T:
    """One frame of a JSON-object protocol, or ProtocolError with the code a client can act on.

    Never any other exception: hostile JSON (nested 20,000 deep, integers of 5,000 digits, invalid
    UTF-8) is `bad_json`; NUL, other control characters and lone surrogates are cleaned out of
    every top-level string before validation.
    """
    if frame_bytes(raw, max_bytes) > max_bytes:
        raise ProtocolError("frame_too_large", f"Frames are limited to {max_bytes} bytes (UTF-8).")
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digits limit, depth
        raise ProtocolError("bad_json", f"Frames must be JSON objects, e.g. {example}.") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_frame", 'Frames must be JSON objects with a "type".')
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in types:
        shown = repr(kind)[:40] if isinstance(kind, str) else type(kind).__name__
        raise ProtocolError("unknown_type", f"Unknown frame type {shown}; expected {', '.join(types)}.")
    data = {k: clean_text(v) if isinstance(v, str) else v for k, v in data.items()}
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        err = exc.errors(include_input=False)[0]
        loc = ".".join(str(p) for p in err["loc"][1:])[:40] or "frame"
        raise ProtocolError("bad_frame", f"Invalid {kind} frame: {loc}: {err['msg'][:100]}.") from None


def parse_client_frame(raw: str | bytes, max_bytes: int = MAX_FRAME_BYTES) -> HelloFrame | MessageFrame | PingFrame:
    return decode_frame(raw, _client_frame, ("hello", "message", "ping"), '{"type":"message","text":"hi"}', max_bytes)


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
