from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.channels.chat_protocol import (
    MAX_FRAME_BYTES,
    HelloFrame,
    MessageFrame,
    ProtocolError,
    parse_client_frame,
)


def test_parses_known_frames() -> None:
    hello = parse_client_frame('{"type":"hello","token":"t","session_id":"s"}')
    assert isinstance(hello, HelloFrame) and hello.token == "t" and hello.session_id == "s"
    msg = parse_client_frame('{"type":"message","text":"hi","client_id":"c1"}')
    assert isinstance(msg, MessageFrame) and msg.text == "hi" and msg.client_id == "c1"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1,2]", "bad_frame"),
        ('{"type":"shout"}', "unknown_type"),
        ('{"text":"no type"}', "unknown_type"),
        ('{"type":"message"}', "bad_frame"),
        ('{"type":"message","text":5}', "bad_frame"),
        ('{"type":"hello","token":' + '"' + "x" * 600 + '"}', "bad_frame"),
        ('{"type":"message","text":"' + "a" * (MAX_FRAME_BYTES + 1) + '"}', "frame_too_large"),
        (b"\xff\xfe", "bad_json"),
    ],
)
def test_bad_frames_have_clear_codes(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_frame(raw)
    assert err.value.code == code
    assert err.value.message


# Any code point, lone surrogates and NUL included.
any_text = st.text(alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
frame_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "message", "ping", "x"]) | json_values},
    optional={"text": json_values, "token": json_values, "session_id": json_values, "client_id": json_values},
).map(json.dumps)
hostile_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=300
) | st.binary(max_size=300)


@given(frame_like | hostile_text)
def test_any_frame_is_parsed_or_refused_with_a_code(raw: str | bytes) -> None:
    """Whatever arrives, the parser answers with a frame or a ProtocolError: never another exception."""
    try:
        frame = parse_client_frame(raw)
    except ProtocolError as exc:
        assert exc.code in {"bad_json", "bad_frame", "unknown_type", "frame_too_large"}
        return
    for value in frame.model_dump().values():
        if isinstance(value, str):
            assert "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)


@pytest.mark.parametrize(
    "raw",
    ["[" * 20_000 + "]" * 20_000, '{"type":"message","text":' + "1" * 5000 + "}", '{"type":"ping","x":1e999999}'],
)
def test_hostile_json_is_bad_json_or_harmless(raw: str) -> None:
    try:
        parse_client_frame(raw)
    except ProtocolError as exc:
        assert exc.code in ("bad_json", "frame_too_large")


def test_the_frame_limit_counts_bytes_not_characters() -> None:
    text = "\u00e9" * (MAX_FRAME_BYTES // 2)  # fewer characters than the limit, twice as many bytes
    with pytest.raises(ProtocolError) as err:
        parse_client_frame('{"type":"message","text":"' + text + '"}')
    assert err.value.code == "frame_too_large"
