"""Provider connections kept open between a conversation's turns, so a turn's model request
does not wait for a TCP and TLS handshake first.

The SDKs' HTTP clients close a connection after 5 s idle (httpx's keep-alive expiry). A
customer takes longer than that to type or say the next message, so on a quiet node nearly
every turn's request opened a new connection before it could leave: TCP and TLS, two round
trips or so to the provider (~50-150 ms to a real API). Kept open for `KEEPALIVE_S`, a
conversation's next turn reuses the connection its last one left.

bench/streaming_bench.py --idle 6 models it (loopback has no handshake; a proxy makes a new
connection cost 60 ms). A warm-up request sent as each turn began was tried first and measured:
it gained nothing there (the turn's own work before its request, ~25-40 ms, is shorter than a
handshake plus the warm-up's round trip, and the request had to wait for that round trip), so
it was taken out.
"""

from __future__ import annotations

from typing import Any

KEEPALIVE_S = 60.0
"""How long an idle provider connection stays open: longer than a customer's pause between
turns, shorter than the idle timeouts providers' front ends apply (a connection the server did
close is noticed and replaced when it is next taken from the pool)."""


def kept_open(limits: Any) -> Any:
    """The SDK's default connection limits (`DEFAULT_CONNECTION_LIMITS`) with the keep-alive above."""
    return type(limits)(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=KEEPALIVE_S,
    )
