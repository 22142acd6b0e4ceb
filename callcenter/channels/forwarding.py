"""Which client address and public URL a request had: forwarded headers only from trusted proxies.

Behind a load balancer the peer is the proxy, and the client's address, scheme and host come
in `X-Forwarded-For/-Proto/-Host`. Anyone can send those headers, so they are believed only
when the peer is listed in CALLCENTER_TRUSTED_PROXIES; otherwise an attacker could pick the
host a Twilio signature is checked against, or dodge per-address limits with a new fake address
on every request.

A proxy may add its own `X-Forwarded-For` line instead of extending the client's (HAProxy's
`option forwardfor` does): every line of a header is read, in order, as one list (RFC 9110 5.3), and
the hop nearest to us wins, so a client's own line never comes before the proxy's word (red team 3,
R7: the first line alone was read, and a typed `X-Forwarded-For` picked a new address per request).
For the scheme and host likewise the value the trusted peer wrote last is believed, not the first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def header_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every comma-separated value of every `name` line, in the order they came (aiohttp's headers are a
    multidict: `get` would give the first line only)."""
    getall = getattr(headers, "getall", None)
    lines: list[str] = list(getall(name, [])) if getall is not None else [headers.get(name, "")]
    return [v.strip() for line in lines for v in line.split(",") if v.strip()]


class ProxySpecError(ValueError):
    pass


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        """'10.0.0.0/8, 127.0.0.1' -> the networks; ProxySpecError naming the bad entry."""
        nets = []
        for item in (s.strip() for s in spec.replace(";", ",").split(",")):
            if not item:
                continue
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ProxySpecError(
                    f"CALLCENTER_TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)."
                ) from None
        return cls(tuple(nets))

    def trusts(self, address: str | None) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self.networks)


def _ip(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_address(peer: str | None, headers: Mapping[str, str], trusted: TrustedProxies) -> str:
    """The client's address: the peer, or (peer trusted) the nearest untrusted X-Forwarded-For hop."""
    address = peer or "unknown"
    if not trusted.trusts(peer):
        return address
    hops = header_values(headers, "X-Forwarded-For")
    for hop in reversed(hops):
        if _ip(hop) is None:
            return address  # a garbled header: keep the last address we can vouch for
        address = hop
        if not trusted.trusts(hop):
            return hop
    return address


def forwarded_scheme_host(
    peer: str | None, headers: Mapping[str, str], trusted: TrustedProxies, *, scheme: str, host: str
) -> tuple[str, str]:
    """(scheme, host) the client used: X-Forwarded-Proto/-Host when the peer is a trusted proxy (the value
    it wrote last: one before it may be the client's own)."""
    if not trusted.trusts(peer):
        return scheme, host
    protos, hosts = header_values(headers, "X-Forwarded-Proto"), header_values(headers, "X-Forwarded-Host")
    return (protos[-1].lower() if protos else scheme), (hosts[-1] if hosts else host)


def budget_key(address: str, ipv6_prefix: int) -> str:
    """What per-address limits count under: an IPv4 address itself, an IPv6 address by its network of
    `ipv6_prefix` bits (CALLCENTER_IPV6_PREFIX_LENGTH). An ISP gives one customer a /64 or a /56, so an
    attacker on IPv6 could otherwise take a new address for every socket, hello or handoff (red team 3, R12)."""
    ip = _ip(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ipv6_prefix < 128:
        return str(ipaddress.IPv6Network((ip, ipv6_prefix), strict=False))
    return str(ip)


FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def forgotten_proxy(peer: str | None, headers: Mapping[str, str], trusted: TrustedProxies) -> bool:
    """A proxy of our own that CALLCENTER_TRUSTED_PROXIES forgot: a loopback or private peer, not listed,
    forwarding a client's address. Its clients then all count as that one address: safe (every limit
    still holds, nothing typed is believed) but one abuser spends everyone's share, so it is worth a
    warning. A public peer sending these headers is a client typing them: not worth one."""
    ip = _ip(peer)
    if ip is None or trusted.trusts(peer) or not (ip.is_loopback or ip.is_private):
        return False
    return any(h in headers for h in FORWARDING_HEADERS)
