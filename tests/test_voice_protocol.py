"""ConversationRelay parsing, speech-friendly replies and request signatures, on plain data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from callcenter.channels.voice_protocol import (
    DtmfMessage,
    InterruptMessage,
    PromptMessage,
    RelayErrorMessage,
    RelayProtocolError,
    SetupMessage,
    SpeakableStream,
    UnknownMessage,
    body_sha256,
    end_session,
    parse_relay_message,
    phone_key,
    signature_matches,
    speakable,
    speakable_line,
    text_token,
    twilio_signature,
)


def test_setup_message_keeps_call_identity_and_custom_parameters() -> None:
    raw = json.dumps(
        {
            "type": "setup",
            "sessionId": "VX1",
            "accountSid": "AC1",
            "callSid": "CA1",
            "from": "+16175550142",
            "to": "+18005550101",
            "direction": "inbound",
            "callStatus": "RINGING",
            "customParameters": {"token": "v1.1.2.x", "attempt": 2},
        }
    )
    msg = parse_relay_message(raw)
    assert isinstance(msg, SetupMessage)
    assert (msg.session_id, msg.call_sid, msg.from_, msg.to, msg.direction) == (
        "VX1",
        "CA1",
        "+16175550142",
        "+18005550101",
        "inbound",
    )
    assert msg.custom_parameters == {"token": "v1.1.2.x", "attempt": "2"}


def test_setup_without_custom_parameters() -> None:
    msg = parse_relay_message('{"type":"setup","callSid":"CA2","customParameters":null}')
    assert isinstance(msg, SetupMessage) and msg.custom_parameters == {} and msg.from_ == ""


def test_prompt_interrupt_dtmf_and_error_messages() -> None:
    prompt = parse_relay_message('{"type":"prompt","voicePrompt":"my sink leaks","lang":"en-US","last":true}')
    assert isinstance(prompt, PromptMessage) and prompt.voice_prompt == "my sink leaks" and prompt.last
    partial = parse_relay_message('{"type":"prompt","voicePrompt":"my si","last":false}')
    assert isinstance(partial, PromptMessage) and partial.last is False
    interrupt = parse_relay_message(
        '{"type":"interrupt","utteranceUntilInterrupt":"Here are","durationUntilInterruptMs":460}'
    )
    assert isinstance(interrupt, InterruptMessage)
    assert (interrupt.utterance_until_interrupt, interrupt.duration_until_interrupt_ms) == ("Here are", 460)
    dtmf = parse_relay_message('{"type":"dtmf","digit":"2"}')
    assert isinstance(dtmf, DtmfMessage) and dtmf.digit == "2"
    error = parse_relay_message('{"type":"error","description":"Invalid message received"}')
    assert isinstance(error, RelayErrorMessage) and error.description == "Invalid message received"


def test_unknown_types_parse_as_unknown_rather_than_failing() -> None:
    msg = parse_relay_message('{"type":"info","name":"new-event"}')
    assert isinstance(msg, UnknownMessage) and msg.type == "info"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1,2]", "bad_frame"),
        ('{"voicePrompt":"hi"}', "bad_frame"),
        ('{"type":7}', "bad_frame"),
        ('{"type":"prompt"}', "bad_frame"),
        ('{"type":"prompt","voicePrompt":["a"]}', "bad_frame"),
        ('{"type":"dtmf","digit":""}', "bad_frame"),
        ('{"type":"prompt","voicePrompt":"' + "x" * 70_000 + '"}', "frame_too_large"),
    ],
)
def test_malformed_messages_raise_a_coded_error(raw: str, code: str) -> None:
    with pytest.raises(RelayProtocolError) as err:
        parse_relay_message(raw)
    assert err.value.code == code and err.value.message


def test_outbound_messages() -> None:
    assert text_token("Hello", last=False) == {"type": "text", "token": "Hello", "last": False, "interruptible": True}
    end = end_session({"reason": "gas", "queue": "emergency", "session_id": "s1"})
    assert end["type"] == "end" and isinstance(end["handoffData"], str)
    assert json.loads(end["handoffData"]) == {"reason": "gas", "queue": "emergency", "session_id": "s1"}


def test_speakable_turns_numbered_options_into_sentences() -> None:
    text = (
        "Here's what's free tomorrow for a plumber visit:\n"
        "1) Tue Dec 2, 1:00 PM with Sam\n"
        "2) Tue Dec 2, 3:00 PM with Sam\n"
        "\n"
        "Which one works: 1 or 2? Or tell me another day or time."
    )
    assert speakable(text) == (
        "Here's what's free tomorrow for a plumber visit: Option 1: Tuesday, December 2nd, at 1 PM with Sam. "
        "Option 2: Tuesday, December 2nd, at 3 PM with Sam. Which one works: 1 or 2? Or tell me another day or time."
    )


def test_speakable_strips_markdown() -> None:
    assert speakable_line("## **Your balance**") == "Your balance."
    assert speakable_line("- pay by *card* or `ACH`") == "pay by card or ACH."
    assert speakable_line("1. See [our FAQ](https://example.com/faq)") == "Option 1: See our FAQ."
    assert speakable_line("Booked: appointment #42 (Reference: ticket #7.)") == (
        "Booked: appointment 42 (Reference: ticket 7.)"
    )
    assert speakable_line("keep snake_case and 3 * 4") == "keep snake_case and 3 4."
    assert speakable_line("   ") == ""
    assert speakable("plain sentence.") == "plain sentence."


def test_speakable_stream_equals_speakable_of_the_whole_reply() -> None:
    text = "Sure:\n1) **Mon** 9:00 AM\n2) Mon 11:00 AM\nWhich one works: 1 or 2?"
    for size in (1, 3, 7, 24, 1000):
        stream = SpeakableStream()
        out = "".join(stream.feed(text[i : i + size]) for i in range(0, len(text), size)) + stream.finish()
        assert out == speakable(text), size
    stream = SpeakableStream()
    assert stream.feed("Sure:\n1) Mon") == "Sure:"  # a line is spoken once complete
    assert stream.finish() == " Option 1: Mon."


ONE_LINE_REPLIES = [
    "Thanks for asking about parking. Permits are handled by the building office. Would you like me to ask them?",
    "Sorry about the leak! Your visit is on Tue. Dec 1 at 9:00 AM. Anything else?",
    "I checked. You owe $1,250.50 as of 2026-12-01 (see [your ledger. Online](https://x.example/l)). Pay by card?",
    "Good news! Appointment #42 is **booked** for Mon Dec 7, 1:00 PM. Is that all?",
    "- Noted. We'll call you back.\n1) Mon 9:00 AM. 2) Tue 11:00 AM\nWhich one works?",
]


@pytest.mark.parametrize("text", ONE_LINE_REPLIES)
def test_a_line_of_several_sentences_is_spoken_sentence_by_sentence(text: str) -> None:
    """A model reply is usually one line: the caller hears its first sentence as soon as it is written,
    and the pieces, however the reply arrives, say exactly what the whole reply says."""
    for size in (1, 2, 3, 5, 8, 13, 24, 1000):
        stream = SpeakableStream()
        out = "".join(stream.feed(text[i : i + size]) for i in range(0, len(text), size)) + stream.finish()
        assert out == speakable(text), size
    stream = SpeakableStream()
    tokens = [text[i : i + 4] for i in range(0, len(text), 4)]  # as a model streams it
    said = [stream.feed(token) for token in tokens]
    first = next(i for i, piece in enumerate(said) if piece)
    assert first < len(tokens) // 2, said  # the first sentence is spoken before the reply is half written
    assert "".join(said) + stream.finish() == speakable(text)


def test_a_day_or_month_abbreviation_is_not_spoken_apart_from_its_date() -> None:
    stream = SpeakableStream()
    assert stream.feed("Your visit is on Tue. ") == ""  # "Tue." alone would lose "Tuesday, December 1st"
    assert stream.feed("Dec 1 in the morning! See you") == "Your visit is on Tuesday, December 1st in the morning!"
    assert speakable("Call us. Thanks. ") == "Call us. Thanks."
    assert speakable_line("Open [the form. Here](https://x.example/f) now") == "Open the form. Here now."


def test_phone_key_matches_formats_of_one_number() -> None:
    assert phone_key("+1-617-555-0142") == phone_key("+16175550142") == phone_key("(617) 555-0142") == "6175550142"
    assert phone_key("555-0142") is None and phone_key("") is None


def _reference_signature(token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_twilio_signature_follows_the_documented_scheme() -> None:
    url = "https://example.com/v1/voice/transcripts?x=1"
    params = {"CallSid": "CA1", "Digits": "1234", "From": "+16175550142", "To": "+18005551212"}
    expected = _reference_signature("secret-token", url, params)
    assert twilio_signature("secret-token", url, params.items()) == expected
    assert twilio_signature("secret-token", url, reversed(list(params.items()))) == expected  # order-free
    assert signature_matches("secret-token", expected, ["https://other/", url], params.items())
    assert not signature_matches("other-token", expected, [url], params.items())
    assert not signature_matches("secret-token", expected, [url + "&y=2"], params.items())
    assert body_sha256(b"{}") == hashlib.sha256(b"{}").hexdigest()
