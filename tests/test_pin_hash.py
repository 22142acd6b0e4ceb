"""Voice PIN hashing: what may be set and how it is stored."""

from __future__ import annotations

import pytest

from callcenter.store.pin_hash import InvalidPin, check_new_pin, hash_pin, pin_matches


@pytest.mark.parametrize("pin", ["4827", "90210", "583920", " 4827 "])
def test_valid_pins_are_accepted(pin: str) -> None:
    assert check_new_pin(pin) == pin.strip()


@pytest.mark.parametrize("pin", ["", "123", "1234567", "12a4", "１２３４", "4827#", "-4827", "48 27"])
def test_malformed_pins_say_what_a_pin_is(pin: str) -> None:
    with pytest.raises(InvalidPin, match="4 to 6 digits"):
        check_new_pin(pin)


@pytest.mark.parametrize("pin", ["0000", "1111", "99999", "1234", "3456", "987654", "6543"])
def test_guessable_pins_are_refused(pin: str) -> None:
    with pytest.raises(InvalidPin, match="too easy to guess"):
        check_new_pin(pin)


def test_hash_is_salted_slow_and_never_contains_the_pin() -> None:
    a, b = hash_pin("4827"), hash_pin("4827")
    assert a != b  # a fresh salt every time: equal PINs do not look equal in the table
    assert a.startswith("scrypt$16384$8$1$") and "4827" not in a
    assert pin_matches("4827", a) and pin_matches("4827", b)
    for wrong in ("4828", "48270", "", "4827 "):
        assert not pin_matches(wrong, a)


@pytest.mark.parametrize("stored", ["", "scrypt$x", "bcrypt$1$2$3$AAAA$BBBB", "scrypt$16384$8$1$!!$??", "plain4827"])
def test_malformed_stored_hashes_never_match(stored: str) -> None:
    assert not pin_matches("4827", stored)
