"""Transcript shapes from real call platforms become the project's own (pure functions)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from twilio_samples import TWILIO

from callcenter.channels.transcript_shapes import ShapeError, shape_of, to_native

EXPECTED_TURNS = [
    {"speaker": "agent", "text": "Maple Property, how can I help?"},
    {"speaker": "customer", "text": "My kitchen sink is leaking. Water is spreading across the floor."},
    {"speaker": "agent", "text": "I'll have maintenance call you right away."},
]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.title() for p in rest)


def _camelise(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(k): _camelise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camelise(v) for v in value]
    return value


def test_native_shape_passes_through_untouched() -> None:
    body = {"call_id": "c1", "turns": [{"speaker": "customer", "text": "hi"}]}
    assert shape_of(body) == "native" and to_native(body) is body


@pytest.mark.parametrize("spelling", ["snake_case", "camelCase"])
def test_twilio_intelligence_maps_roles_by_channel(spelling: str) -> None:
    body = TWILIO if spelling == "snake_case" else _camelise(TWILIO)
    native = to_native(body)
    assert native["turns"] == EXPECTED_TURNS
    assert native["call_id"] == TWILIO["customer_key"]  # the CallSid we put there links the live call
    assert native["from"] == "+16175550142" and native["started_at"] == "2026-11-20T14:05:00Z"


def test_sentences_out_of_order_and_channels_as_strings() -> None:
    body = copy.deepcopy(TWILIO)
    body["sentences"].reverse()
    for s in body["sentences"]:
        s["media_channel"] = str(s["media_channel"])
    assert to_native(body)["turns"] == EXPECTED_TURNS


def test_without_participants_channel_one_is_the_caller() -> None:
    body = copy.deepcopy(TWILIO)
    del body["channel"]
    del body["customer_key"]
    native = to_native(body)
    assert native["turns"] == EXPECTED_TURNS and native["call_id"] == TWILIO["sid"] and "from" not in native


def test_swapped_roles_swap_speakers() -> None:
    body = copy.deepcopy(TWILIO)
    for p in body["channel"]["participants"]:
        p["role"] = "Customer" if p["role"] == "Agent" else "Agent"
    speakers = [t["speaker"] for t in to_native(body)["turns"]]
    assert speakers == ["customer", "agent", "customer"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(sentences=[]), "sentences"),
        (lambda b: b.update(sentences="nope"), "sentences"),
        (lambda b: b["sentences"][1].update(media_channel=7), "sentences.1.media_channel"),
        (lambda b: b["sentences"][1].update(media_channel="left"), "sentences.1.media_channel"),
        (lambda b: b["channel"]["participants"][0].update(role="Supervisor"), "channel.participants.0.role"),
        (lambda b: [b.pop("sid"), b.pop("customer_key")], "sid"),
        (lambda b: [s.update(transcript="") for s in b["sentences"]], "sentences"),
    ],
)
def test_unmappable_exports_name_the_field(mutate: Any, field: str) -> None:
    body = copy.deepcopy(TWILIO)
    mutate(body)
    with pytest.raises(ShapeError) as err:
        to_native(body)
    assert err.value.field == field
