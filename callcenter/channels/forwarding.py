"""Which client address and public URL a request had: forwarded headers only from trusted proxies.

Behind a load balancer the peer is the proxy, and the client's address, scheme and host come
in `X-Forwarded-For/-Proto/-Host`. Anyone can send those headers, so they are believed only
when the peer is listed in CALLCENTER_TRUSTED_PROXIES; otherwise an attacker could pick the
host a Twilio signature is checked against, or dodge per-address limits with a new fake address
on every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    hops = [h.strip() for h in headers.get("X-Forwarded-For", "").split(",") if h.strip()]
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
    """(scheme, host) the client used: X-Forwarded-Proto/-Host when the peer is a trusted proxy."""
    if not trusted.trusts(peer):
        return scheme, host
    proto = headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip().lower() or scheme
    fwd_host = headers.get("X-Forwarded-Host", host).split(",")[0].strip() or host
    return proto, fwd_host
