"""Forwarded headers are believed only from CALLCENTER_TRUSTED_PROXIES."""

from __future__ import annotations

import pytest

from callcenter.channels.forwarding import ProxySpecError, TrustedProxies, client_address, forwarded_scheme_host

PROXIES = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1")


def test_an_untrusted_peer_cannot_choose_its_address_or_host() -> None:
    headers = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    assert client_address("203.0.113.9", headers, PROXIES) == "203.0.113.9"
    assert forwarded_scheme_host("203.0.113.9", headers, PROXIES, scheme="http", host="svc:8080") == (
        "http",
        "svc:8080",
    )
    assert client_address("203.0.113.9", headers, TrustedProxies()) == "203.0.113.9"


def test_a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() -> None:
    headers = {
        "X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.1.2.3",
        "X-Forwarded-Host": "chat.example.com",
        "X-Forwarded-Proto": "https",
    }
    assert client_address("10.0.0.1", headers, PROXIES) == "198.51.100.7"  # 6.6.6.6 was typed by the client
    assert forwarded_scheme_host("10.0.0.1", headers, PROXIES, scheme="http", host="svc") == (
        "https",
        "chat.example.com",
    )
    assert client_address("::ffff:127.0.0.1", {"X-Forwarded-For": "garbage"}, PROXIES) == "::ffff:127.0.0.1"


def test_a_bad_proxy_list_names_the_setting() -> None:
    with pytest.raises(ProxySpecError, match="CALLCENTER_TRUSTED_PROXIES"):
        TrustedProxies.parse("10.0.0.0/8, not-an-ip")


def test_limits_count_an_ipv6_client_by_its_network() -> None:
    from callcenter.channels.forwarding import budget_key

    assert budget_key("2001:db8:7:9:abcd::1", 64) == budget_key("2001:DB8:7:9:1:2:3:4", 64) == "2001:db8:7:9::/64"
    assert budget_key("2001:db8:7:9::1", 128) == "2001:db8:7:9::1"
    assert budget_key("::ffff:203.0.113.9", 64) == budget_key("203.0.113.9", 64) == "203.0.113.9"
    assert budget_key("unknown", 64) == "unknown"
