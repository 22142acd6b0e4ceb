"""Admission for the chat and desk websockets: Origin allowlist, connections per address, hello timeout,
session, hello and message rates.

The limits are named settings (docs/security.md); this module turns them into yes/no answers for
chat_ws, so the transport stays about the protocol. One guard per aiohttp application: the
counts are per process, which is what an attacker flooding one server meets.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import structlog
from aiohttp import WSMessage, web

from callcenter.channels.forwarding import (
    TrustedProxies,
    budget_key,
    client_address,
    forgotten_proxy,
    forwarded_scheme_host,
)
from callcenter.channels.limits import ConnectionCounter, SlidingWindow
from callcenter.settings import Settings

log = structlog.get_logger()

LONG_MESSAGE_CHARS = 500  # each this many characters a message's flows read count as one more message


def _origin(value: str) -> str:
    """scheme://host[:port] in lower case, default ports dropped."""
    parts = urlsplit(value.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80 if scheme in ("http", "ws") else 443) else None
    return f"{scheme}://{host}" + (f":{port}" if port else "")


@dataclass
class ChatGuard:
    settings: Settings
    trusted: TrustedProxies = field(init=False)
    allowed_origins: frozenset[str] = field(init=False)
    connections: ConnectionCounter = field(init=False)
    desk_connections: ConnectionCounter = field(init=False)
    sessions: SlidingWindow = field(init=False)
    messages: SlidingWindow = field(init=False)
    proxy_warned: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.trusted = TrustedProxies.parse(s.trusted_proxies)
        self.allowed_origins = frozenset(_origin(o) for o in s.allowed_origins.split(",") if o.strip())
        self.connections = ConnectionCounter(s.max_connections_per_address)
        # Desk sockets count apart: customers behind an office's address must not lock its operators out.
        self.desk_connections = ConnectionCounter(s.max_connections_per_address)
        self.sessions = SlidingWindow(s.rate_sessions_per_min, 60.0)
        self.messages = SlidingWindow(s.rate_messages_per_min, 60.0)
        self.address_messages = SlidingWindow(s.rate_messages_per_address_per_min, 60.0)

    def message_refused(self, session_id: str, address: str, text: str) -> tuple[str, float] | None:
        """(why, seconds to wait) when this message is over budget: per address, then per session.

        A message weighs 1 plus 1 per LONG_MESSAGE_CHARS the flows will read (red team R6: 18 sockets of
        10,000-character messages from one address stalled everyone else; each costs ~20x a short turn).
        """
        read = min(len(text), self.settings.understand_max_chars)
        weight = 1 + read // LONG_MESSAGE_CHARS
        wait = self.address_messages.wait(address, weight)
        if wait is not None:
            return "Too many messages from your address; wait a moment and send it again.", wait
        wait = self.messages.wait(session_id, weight)
        if wait is not None:
            return "You are sending messages too fast; wait a moment and send it again.", wait
        self.address_messages.hit(address, weight)  # charged only when both let it in
        self.messages.hit(session_id, weight)
        return None

    def address(self, request: web.Request) -> str:
        if not self.proxy_warned and forgotten_proxy(request.remote, request.headers, self.trusted):
            self.proxy_warned = True  # once per process: the setting is missing, not each request wrong
            log.warning(
                "proxy.not_trusted",
                peer=request.remote,
                message="requests come through a proxy that CALLCENTER_TRUSTED_PROXIES does not list: all its "
                "clients count as one address (connections, hellos, messages, anonymous handoffs); list it there",
            )
        return budget_key(
            client_address(request.remote, request.headers, self.trusted), self.settings.ipv6_prefix_length
        )

    def origin_refused(self, request: web.Request) -> bool:
        """True for a browser page on a foreign site (not ours, not listed in CALLCENTER_ALLOWED_ORIGINS).

        No Origin header means a non-browser client, which cannot be steered by a web page: allowed.
        """
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        try:
            theirs = _origin(origin)
        except ValueError:
            return True
        if theirs in self.allowed_origins:
            return False
        scheme, host = forwarded_scheme_host(
            request.remote, request.headers, self.trusted, scheme=request.scheme, host=request.host
        )
        web_scheme = "https" if scheme in ("https", "wss") else "http"
        try:
            return theirs != _origin(f"{web_scheme}://{host}")
        except ValueError:
            return True


def too_many_connections(message: str) -> web.Response:
    """The handshake's refusal when an address already holds its share of sockets."""
    return web.json_response(
        {"error": {"code": "too_many_connections", "message": message}},
        status=429,
        headers={"Retry-After": "5"},
    )


async def receive_before(ws: web.WebSocketResponse, hello_by: float | None) -> WSMessage | None:
    """The next frame; None when the loop time `hello_by` passed first (the caller answers hello_timeout).

    `hello_by` is None once the socket said a good hello: from then on it may wait for frames freely
    (the desk passes its hello token's expiry instead, and closes the socket at it).
    """
    if hello_by is None:
        return await ws.receive()
    try:
        return await ws.receive(timeout=max(0.0, hello_by - asyncio.get_running_loop().time()))
    except TimeoutError:
        return None


async def close_for_hello_timeout(ws: web.WebSocketResponse) -> None:
    """Close a socket that sent no good hello in time: 4408, the code both sockets document."""
    await ws.close(code=4408, message=b"hello timeout")


_guards: weakref.WeakKeyDictionary[web.Application, ChatGuard] = weakref.WeakKeyDictionary()


def chat_guard(app: web.Application, settings: Settings) -> ChatGuard:
    """The application's guard, made on first use (the app is frozen by then, so not stored in it)."""
    guard = _guards.get(app)
    if guard is None:
        guard = _guards[app] = ChatGuard(settings)
    return guard
