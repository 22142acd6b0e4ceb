"""Which requests the demo's open doors (the customer picker, unsigned voice) are for.

Demo mode switches itself on for the laptop demo: the embedded database with a loopback bind.
A loopback bind is also what a reverse proxy on the same host uses, so a deployment that forgot
`DATABASE_URL` behind nginx once handed every customer's token and phone PIN to the internet
(red-team F11). A browser on the laptop itself sends no proxy headers and names a loopback
host; a request that came through a proxy carries `Forwarded` / `X-Forwarded-For` /
`X-Real-IP`, and one through DNS rebinding names a foreign `Host`. Those get the deployment's
answer (404 for the picker, 403 for unsigned voice) unless demo mode was asked for explicitly
(`--demo` / `CALLCENTER_DEMO_MODE=true`).
"""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.settings import Settings, is_loopback

PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP")

EXPOSED = "the picker under /v1/demo/ hands out every customer's token and phone PIN; voice needs no signature"


def demo_refusal(settings: Settings, headers: Mapping[str, str], host: str | None) -> str | None:
    """Why this request may not use the demo's open doors; None when it may (or demo mode is off: the
    caller then refuses it as a deployment would)."""
    if not settings.demo or settings.demo_mode is not None:  # off, or asked for explicitly
        return None
    proxied = next((h for h in PROXY_HEADERS if h in headers), None)
    if proxied is not None:
        return f"automatic demo mode does not serve requests that came through a proxy ({proxied})"
    name = _host_name(host or "")
    if not is_loopback(name):
        return f"automatic demo mode serves only this machine (Host {name!r} is not a loopback name)"
    return None


def _host_name(host: str) -> str:
    """`host` without its port: '127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'."""
    host = host.strip()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
