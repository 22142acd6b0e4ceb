"""Sample payloads in Twilio's published shapes, shared by the tests that accept them."""

from __future__ import annotations

from typing import Any

# A Twilio Conversational Intelligence transcript (the Transcript resource, snake_case as the v2 REST
# API returns it) with its Sentences list attached under "sentences".
TWILIO: dict[str, Any] = {
    "sid": "GT" + "a" * 32,
    "account_sid": "AC" + "0" * 32,
    "service_sid": "GA" + "b" * 32,
    "date_created": "2026-11-20T14:09:30Z",
    "status": "completed",
    "media_start_time": "2026-11-20T14:05:00Z",
    "duration": 93,
    "customer_key": "CA" + "c" * 32,
    "channel": {
        "media_properties": {"source_sid": "RE" + "d" * 32},
        "participants": [
            {
                "channel_participant": 2,
                "role": "Agent",
                "full_name": "Maple Property",
                "media_participant_id": "+16175550101",
            },
            {"channel_participant": 1, "role": "Customer", "media_participant_id": "+16175550142"},
        ],
    },
    "sentences": [
        {
            "media_channel": 2,
            "sentence_index": 0,
            "start_time": "0.1",
            "end_time": "2.0",
            "confidence": "0.98",
            "transcript": "Maple Property, how can I help?",
            "sid": "GX" + "1" * 32,
        },
        {
            "media_channel": 1,
            "sentence_index": 1,
            "start_time": "2.4",
            "end_time": "5.0",
            "confidence": "0.95",
            "transcript": "My kitchen sink is leaking.",
            "sid": "GX" + "2" * 32,
        },
        {
            "media_channel": 1,
            "sentence_index": 2,
            "start_time": "5.1",
            "end_time": "7.9",
            "confidence": "0.91",
            "transcript": "Water is spreading across the floor.",
            "sid": "GX" + "3" * 32,
        },
        {
            "media_channel": 2,
            "sentence_index": 3,
            "start_time": "8.3",
            "end_time": "11.0",
            "confidence": "0.97",
            "transcript": "I'll have maintenance call you right away.",
            "sid": "GX" + "4" * 32,
        },
    ],
}
