"""Sending to a websocket whose client may already be gone.

Red team R8: a client that reset its connection right after a frame made the server's answer fail
with ClientConnectionResetError, which the chat read as a database outage (`chat.db_unavailable`)
and aiohttp logged with a traceback: a false alarm anyone could raise at will. A client hanging up
is a normal disconnect: the first failed send is one debug line, later sends are skipped, and the
handler carries on (a turn in flight still finishes and is stored).
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)


class Outbox:
    """One socket's outgoing frames; `gone` once the client has hung up."""

    def __init__(self, ws: web.WebSocketResponse, channel: str) -> None:
        self.ws = ws
        self.channel = channel
        self.gone = False

    async def send(self, frame: dict[str, Any]) -> bool:
        """True when the frame was written; False (quietly) when the client has gone or the socket is closed."""
        if self.gone or self.ws.closed:
            return False
        try:
            await self.ws.send_json(frame)
        except ConnectionError as exc:  # aiohttp's ClientConnectionResetError: the transport is closing
            self.gone = True
            log.debug("ws.client_gone", channel=self.channel, error_type=type(exc).__name__)
            return False
        return True
