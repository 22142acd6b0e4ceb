from __future__ import annotations

import pytest

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
