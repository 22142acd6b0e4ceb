"""Which requests the demo's open doors (the customer picker, unsigned voice) are for.

Demo mode switches itself on for the laptop demo: the embedded database with a loopback bind.
A loopback bind is also what a reverse proxy on the same host uses, so a deployment that forgot
`DATABASE_URL` behind nginx once handed every customer's token and phone PIN to the internet
(red-team F11). A browser on the laptop itself sends no proxy headers and names a loopback
host; a request that came through a proxy carries one of PROXY_HEADERS (red team R7: `Via`
from nginx, a CDN's `True-Client-IP` passed the first list) or no Host at all (HTTP/1.0), and one
through DNS rebinding names a foreign `Host`. Those get the deployment's answer (404 for the
picker, 403 for unsigned voice) unless demo mode was asked for explicitly (`--demo` /
`CALLCENTER_DEMO_MODE=true`). `/metrics` uses the same test (callcenter/web/metrics.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.settings import Settings, is_loopback

PROXY_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "X-Real-IP",
    "Via",
    "True-Client-IP",
    "CF-Connecting-IP",
    "X-Client-IP",
    "X-Original-Forwarded-For",
    "Fastly-Client-IP",
    "X-Cluster-Client-IP",
)

EXPOSED = "the picker under /v1/demo/ hands out every customer's token and phone PIN; voice needs no signature"


def demo_refusal(
    settings: Settings, headers: Mapping[str, str], host: str | None, version: tuple[int, int] = (1, 1)
) -> str | None:
    """Why this request may not use the demo's open doors; None when it may (or demo mode is off: the
    caller then refuses it as a deployment would). `host`: the Host header as sent, None without one;
    `version`: the request's HTTP version."""
    if not settings.demo or settings.demo_mode is not None:  # off, or asked for explicitly
        return None
    refused = not_this_machine(headers, host, version)
    return None if refused is None else f"automatic demo mode serves only this machine: {refused}"


def not_this_machine(headers: Mapping[str, str], host: str | None, version: tuple[int, int] = (1, 1)) -> str | None:
    """Why a request from a loopback peer may still not be from this machine itself; None when it is.

    Any proxy header counts, whatever its case or value (an empty `Via:` too); so does a missing
    Host (an HTTP/1.0 proxy), a Host that is not a loopback name (DNS rebinding), and HTTP/1.0 itself:
    nginx's `proxy_pass` speaks it by default and, untold, adds no header and forwards `Host: 127.0.0.1`
    (red team 3, R7: the deployment's /metrics and the laptop demo's picker answered through it), while
    browsers, curl and Prometheus speak HTTP/1.1 or later.
    """
    proxied = next((h for h in PROXY_HEADERS if h in headers), None)
    if proxied is not None:
        return f"it came through a proxy ({proxied})"
    if tuple(version) < (1, 1):
        return "it is HTTP/1.0 (a proxy's default, not a browser's)"
    if host is None:
        return "it names no Host (HTTP/1.0 through a proxy?)"
    name = _host_name(host)
    if not is_loopback(name):
        return f"Host {name!r} is not a loopback name"
    return None


def _host_name(host: str) -> str:
    """`host` without its port: '127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'."""
    host = host.strip()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
