"""Operator tokens: signed like customer tokens, never confusable with them either way."""

from __future__ import annotations

import random

import pytest

from callcenter.web.auth import InvalidToken, issue_token, verify_token
from callcenter.web.operator_auth import issue_operator_token, verify_operator_token

SECRET = "s3cret-for-tests"


def test_round_trip_and_expiry() -> None:
    token = issue_operator_token(7, SECRET, ttl_seconds=60, now=1000)
    assert verify_operator_token(token, SECRET, now=1059) == 7
    with pytest.raises(InvalidToken) as exc:
        verify_operator_token(token, SECRET, now=1061)
    assert exc.value.code == "expired_token"


def test_customer_and_operator_tokens_never_pass_for_each_other() -> None:
    for ident in (1, 2, 42, 10**9):
        customer = issue_token(ident, SECRET, ttl_seconds=600)
        operator = issue_operator_token(ident, SECRET, ttl_seconds=600)
        with pytest.raises(InvalidToken):
            verify_operator_token(customer, SECRET)
        with pytest.raises(InvalidToken):
            verify_token(operator, SECRET)
        # Same payload shape with the other prefix: the signature still does not match.
        relabelled = "op1." + customer.split(".", 1)[1]
        with pytest.raises(InvalidToken):
            verify_operator_token(relabelled, SECRET)
        with pytest.raises(InvalidToken):
            verify_token("v1." + operator.split(".", 1)[1], SECRET)


def test_tampered_and_hostile_tokens_are_refused() -> None:
    token = issue_operator_token(3, SECRET, ttl_seconds=600)
    rng = random.Random(10)
    variants = [
        token.replace(".3.", ".4."),
        token + "x",
        token[:-2],
        "",
        ".",
        "op1...",
        "op1.a.b.c",
        token.upper(),
        "op1.3." + "9" * 400 + ".sig",
        "\x00" * 20,
        "op1.-1.99999999999.x",
    ]
    for _ in range(50):
        chars = list(token)
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("abcdefXYZ0123_-.")
        if "".join(chars) != token:
            variants.append("".join(chars))
    for bad in variants:
        with pytest.raises(InvalidToken):
            verify_operator_token(bad, SECRET)
    with pytest.raises(InvalidToken):
        verify_operator_token(token, "another-secret")
