from __future__ import annotations

from callcenter.specialists.judge import parse_verdict


def test_parse_verdict() -> None:
    assert parse_verdict("PASS").ok
    assert parse_verdict("pass - looks right").ok
    failed = parse_verdict("FAIL: claims a payment no tool made\nmore")
    assert not failed.ok and failed.reason == "claims a payment no tool made"
    assert not parse_verdict("").ok
    assert parse_verdict("maybe?").reason == "maybe?"
