"""Transport limits every websocket shares (/v1/chat, /v1/desk, /v1/voice/relay): message size and bad frames.

Red-team R2: aiohttp negotiated permessage-deflate and inflated each message up to its 4 MB default
before our 64 KiB check refused it, so 3.8 KB on the wire cost the event loop a 3.9 MB inflate and
~1 MB of such frames froze every conversation on the node for 12 s. Now compression is never
negotiated (a client that sends compressed frames anyway is closed with 1002 by aiohttp, nothing
inflated), and aiohttp stops reading a message at twice CALLCENTER_MAX_FRAME_BYTES (closed 1009).
Between the limit and that ceiling the protocol answers `frame_too_large`, which, like every other
refused frame, counts against CALLCENTER_RATE_BAD_FRAMES_PER_MIN: a flood of junk closes the socket
with `too_many_bad_frames` (1008) instead of being answered forever.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from callcenter.channels.limits import SlidingWindow
from callcenter.settings import Settings

HEARTBEAT_S = 30.0
BAD_FRAMES_CLOSE_CODE = 1008  # policy violation (RFC 6455 7.4.1)
BAD_FRAMES_CODE = "too_many_bad_frames"


def open_websocket(settings: Settings) -> web.WebSocketResponse:
    """The server side of a websocket with the shared limits: no compression, messages bounded."""
    return web.WebSocketResponse(heartbeat=HEARTBEAT_S, compress=False, max_msg_size=2 * settings.max_frame_bytes)


class BadFrames:
    """Frames refused on one socket; past the budget the socket is told why and closed."""

    def __init__(self, ws: web.WebSocketResponse, settings: Settings) -> None:
        self.ws = ws
        self.limit = settings.rate_bad_frames_per_min
        self.window = SlidingWindow(self.limit, 60.0)

    async def refused(self, tell: Callable[[str, str], Awaitable[None]]) -> bool:
        """Count one refused frame; True (after telling the client and closing) when that was one too many."""
        if self.window.hit("") is None:
            return False
        await tell(
            BAD_FRAMES_CODE,
            f"More than {self.limit} refused frames in a minute; this connection is closed. "
            "Reconnect and send valid frames.",
        )
        await self.ws.close(code=BAD_FRAMES_CLOSE_CODE, message=BAD_FRAMES_CODE.encode())
        return True
