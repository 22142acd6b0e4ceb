"""Text from outside made safe to store: what a hostile client sends, and what an operator then reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcenter.channels.sanitize import clean_json, clean_text

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_the_red_team_frame_is_stored_as_plain_readable_text() -> None:
    """Red-team F19: RLO and isolates were stored, so the desk console showed a customer's text reversed."""
    sent = "hi\u0000there\u001b[31mred\u0007bell\u202eevil\u2066iso\u2069 \ud800 \ufeffbom"
    assert clean_text(sent) == "hithere[31mredbell" + "eviliso \ufffd bom"


@given(st.text(), st.lists(st.sampled_from(BIDI), min_size=1, max_size=5), st.text())
def test_no_bidi_control_survives(before: str, controls: list[str], after: str) -> None:
    out = clean_text(before + "".join(controls) + after)
    assert not any(c in out for c in BIDI), repr(out)
    assert clean_text(out) == out


def test_right_to_left_text_and_its_marks_are_kept() -> None:
    for text in ("שלום, יש לי דליפה", "مرحبا\u200f 4B", "héllo ñandú ｆｕｌｌ"):
        assert clean_text(text) == text


def test_json_keys_and_values_are_cleaned_alike() -> None:
    assert clean_json({"a\u202eb": ["x\u0000y", {"k": "\u2066v\u2069"}]}) == {"ab": ["xy", {"k": "v"}]}
