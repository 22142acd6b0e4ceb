from __future__ import annotations

import pytest

from callcenter.web.auth import InvalidToken, issue_token, verify_token


def test_round_trip() -> None:
    token = issue_token(42, "s3cret", ttl_seconds=60, now=1000)
    assert verify_token(token, "s3cret", now=1030) == 42


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("v1.42.", "v1.43."),  # another customer, same signature
        lambda t: t[:-2] + "xx",
        lambda t: "garbage",
        lambda t: t.replace("v1", "v2"),
    ],
)
def test_tampered_tokens_are_rejected(mutate) -> None:  # type: ignore[no-untyped-def]
    token = issue_token(42, "s3cret", ttl_seconds=60, now=1000)
    with pytest.raises(InvalidToken) as err:
        verify_token(mutate(token), "s3cret", now=1000)
    assert err.value.code == "invalid_token"


def test_expired_and_wrong_secret() -> None:
    token = issue_token(7, "k", ttl_seconds=10, now=0)
    with pytest.raises(InvalidToken) as err:
        verify_token(token, "k", now=11)
    assert err.value.code == "expired_token"
    with pytest.raises(InvalidToken):
        verify_token(token, "other", now=1)
