"""Admission for the chat websocket: Origin allowlist, connections per address, session and message rates.

The limits are named settings (docs/security.md); this module turns them into yes/no answers for
chat_ws, so the transport stays about the protocol. One guard per aiohttp application: the
counts are per process, which is what an attacker flooding one server meets.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from callcenter.channels.forwarding import TrustedProxies, client_address, forwarded_scheme_host
from callcenter.channels.limits import ConnectionCounter, SlidingWindow
from callcenter.settings import Settings


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
    sessions: SlidingWindow = field(init=False)
    messages: SlidingWindow = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.trusted = TrustedProxies.parse(s.trusted_proxies)
        self.allowed_origins = frozenset(_origin(o) for o in s.allowed_origins.split(",") if o.strip())
        self.connections = ConnectionCounter(s.max_connections_per_address)
        self.sessions = SlidingWindow(s.rate_sessions_per_min, 60.0)
        self.messages = SlidingWindow(s.rate_messages_per_min, 60.0)

    def address(self, request: web.Request) -> str:
        return client_address(request.remote, request.headers, self.trusted)

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


_guards: weakref.WeakKeyDictionary[web.Application, ChatGuard] = weakref.WeakKeyDictionary()


def chat_guard(app: web.Application, settings: Settings) -> ChatGuard:
    """The application's guard, made on first use (the app is frozen by then, so not stored in it)."""
    guard = _guards.get(app)
    if guard is None:
        guard = _guards[app] = ChatGuard(settings)
    return guard
