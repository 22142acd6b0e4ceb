"""POST /v1/voice/transcripts end to end: real server, real database, the app's own tools."""

from __future__ import annotations

import copy
import json
import random
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st
from relay_caller import RELAY, press, reply, say, setup
from twilio_samples import TWILIO

from callcenter.app import load_app
from callcenter.channels.transcripts_http import TranscriptError, parse_transcript, triage_call
from callcenter.channels.voice_protocol import body_sha256, twilio_signature
from callcenter.runtime import Runtime
from callcenter.store.pin_hash import demo_pin
from callcenter.types import RouteDecision, Vertical
from callcenter.web.auth import issue_token

PATH = "/v1/voice/transcripts"


def _call(*turns: tuple[str, str], **fields: Any) -> dict[str, Any]:
    return {"call_id": "call-" + uuid.uuid4().hex, "turns": [{"speaker": s, "text": t} for s, t in turns], **fields}


async def _post(client: TestClient, payload: Any) -> tuple[int, dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.post(PATH, json=payload)
    body: dict[str, Any] = await resp.json()
    return resp.status, body


async def test_maintenance_call_is_stored_and_ticketed_once(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    token = issue_token(1, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    payload = _call(
        ("agent", "Thanks for calling Maple Property, how can I help?"),
        ("customer", "My kitchen sink is leaking under the cabinet"),
        ("agent", "Sorry to hear that. I'll have maintenance follow up."),
        ("customer", "Could someone come fix the leaking sink this week?"),
        ("customer", "Thanks, bye"),
        token=token,
        started_at="2026-11-20T14:05:00Z",
    )
    status, body = await _post(client, payload)
    assert status == 201, body
    assert body["emergency"] is False and body["handoff_id"] is None and isinstance(body["ticket_id"], int)
    assert body["verticals"].get("booking", 0) >= 2 and sum(body["verticals"].values()) == 3
    sid = uuid.UUID(body["session_id"])
    session = await runtime.pool.fetchrow(
        "SELECT customer_id, channel, external_id, status FROM sessions WHERE id=$1", sid
    )
    assert dict(session) == {
        "customer_id": 1,
        "channel": "voice_transcript",
        "external_id": payload["call_id"],
        "status": "closed",
    }
    rows = await runtime.pool.fetch("SELECT role, text, agent FROM messages WHERE session_id=$1 ORDER BY seq", sid)
    assert [(r["role"], r["agent"]) for r in rows] == [
        ("assistant", "phone_agent"),
        ("user", None),
        ("assistant", "phone_agent"),
        ("user", None),
        ("user", None),
    ]
    assert [r["text"] for r in rows] == [t["text"] for t in payload["turns"]]
    ticket = await runtime.pool.fetchrow(
        "SELECT category, customer_id, session_id, body FROM tickets WHERE id=$1", body["ticket_id"]
    )
    assert ticket["category"] == "maintenance" and ticket["customer_id"] == 1 and ticket["session_id"] == sid
    assert "kitchen sink" in ticket["body"]

    again_status, again = await _post(client, payload)  # a retried post: same answer, nothing new
    assert again_status == 200 and again == body
    assert await runtime.pool.fetchval("SELECT count(*) FROM messages WHERE session_id=$1", sid) == 5
    assert await runtime.pool.fetchval("SELECT count(*) FROM tickets WHERE session_id=$1", sid) == 1
    assert await runtime.pool.fetchval("SELECT count(*) FROM sessions WHERE external_id=$1", payload["call_id"]) == 1

    changed = {**payload, "turns": payload["turns"][:2]}
    status, err = await _post(client, changed)
    assert status == 409 and err["error"]["code"] == "call_id_conflict"


async def test_emergency_anywhere_hands_off_urgently(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    phone = await runtime.pool.fetchval("SELECT phone FROM customers WHERE id=2")
    payload = _call(
        ("customer", "Hi, I have a question about my rent invoice"),
        ("agent", "Sure, what is it?"),
        ("customer", "Also I smell gas in the hallway right now"),
        **{"from": "+" + "".join(c for c in phone if c.isdigit())},
    )
    status, body = await _post(client, payload)
    assert status == 201, body
    assert body["emergency"] is True and body["verticals"]["escalation"] >= 1
    assert isinstance(body["handoff_id"], int) and isinstance(body["ticket_id"], int)
    sid = uuid.UUID(body["session_id"])
    row = await runtime.pool.fetchrow("SELECT priority, queue, kind FROM handoffs WHERE id=$1", body["handoff_id"])
    assert dict(row) == {"priority": "urgent", "queue": "emergency", "kind": "human"}
    session = await runtime.pool.fetchrow("SELECT customer_id, status, state FROM sessions WHERE id=$1", sid)
    assert session["status"] == "human"
    assert session["customer_id"] is None  # caller id is a hint, not an identity
    assert session["state"]["caller_id_match"] == {"customer_id": 2, "verified": False}
    status, again = await _post(client, payload)
    assert status == 200 and again == body
    assert await runtime.pool.fetchval("SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='human'", sid) == 1


async def test_general_only_call_needs_no_follow_up(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    status, body = await _post(
        client, _call(("customer", "What are your office hours?"), ("agent", "We're open nine to five."))
    )
    assert status == 201, body
    assert body["ticket_id"] is None and body["handoff_id"] is None and body["emergency"] is False
    assert set(body["verticals"]) <= {"general", "out_of_scope"}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("not json", 400, "bad_json"),
        ([1, 2], 400, "bad_json"),
        ({"turns": [{"speaker": "customer", "text": "hi"}]}, 422, "invalid_transcript"),
        ({"call_id": "c1", "turns": []}, 422, "invalid_transcript"),
        ({"call_id": "c1", "turns": [{"speaker": "robot", "text": "hi"}]}, 422, "invalid_transcript"),
        ({"call_id": "c1", "turns": [{"speaker": "customer", "text": "   "}]}, 422, "invalid_transcript"),
        ({"call_id": "c1", "turns": [{"speaker": "customer", "text": "x" * 10_001}]}, 422, "invalid_transcript"),
        ({"call_id": "c1", "turns": [{"speaker": "customer", "text": "hi"}] * 501}, 422, "invalid_transcript"),
        (
            {"call_id": "c1", "started_at": "yesterday", "turns": [{"speaker": "customer", "text": "hi"}]},
            422,
            "invalid_transcript",
        ),
        (
            {"call_id": "c1", "token": "v1.1.99999999999.forged", "turns": [{"speaker": "customer", "text": "hi"}]},
            401,
            "invalid_token",
        ),
    ],
)
async def test_validation_errors_are_clear_and_store_nothing(
    client: TestClient,
    runtime: Runtime,
    payload: Any,
    status: int,
    code: str,  # type: ignore[type-arg]
) -> None:
    before = await runtime.pool.fetchval("SELECT count(*) FROM sessions WHERE channel='voice_transcript'")
    if isinstance(payload, str):
        resp = await client.post(PATH, data=payload, headers={"Content-Type": "application/json"})
    else:
        resp = await client.post(PATH, json=payload)
    body = await resp.json()
    assert resp.status == status and body["error"]["code"] == code and body["error"]["message"], body
    after = await runtime.pool.fetchval("SELECT count(*) FROM sessions WHERE channel='voice_transcript'")
    assert after == before


async def test_full_size_transcript_is_accepted(client: TestClient) -> None:  # type: ignore[type-arg]
    """500 turns of 10,000 characters is past the app's 1 MiB default body cap, and still allowed."""
    turns = [("agent", "a" * 10_000)] * 499 + [("customer", "what are your office hours?")]
    status, body = await _post(client, _call(*turns))
    assert status == 201, body


async def test_twilio_signature_on_transcripts(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-test-token")
    raw = json.dumps(_call(("customer", "What are your office hours?"))).encode()
    url = client.make_url(PATH)
    query = f"?bodySHA256={body_sha256(raw)}"
    signed = twilio_signature("twilio-test-token", f"http://{url.host}:{url.port}{PATH}{query}")
    headers = {"Content-Type": "application/json"}

    resp = await client.post(PATH, data=raw, headers=headers)  # unsigned
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "invalid_signature"
    resp = await client.post(PATH + query, data=raw + b" ", headers={**headers, "X-Twilio-Signature": signed})
    assert resp.status == 403  # body changed after signing
    resp = await client.post(PATH, data=raw, headers={**headers, "X-Twilio-Signature": signed})
    assert resp.status == 403  # no body hash: the signature would not cover the body
    resp = await client.post(PATH + query, data=raw, headers={**headers, "X-Twilio-Signature": signed})
    assert resp.status == 201, await resp.text()


def test_triage_call_picks_the_main_vertical() -> None:
    categories = load_app().ticket_categories  # the demo business's: booking -> maintenance, ...

    def d(v: Vertical, emergency: bool = False) -> RouteDecision:
        return RouteDecision(v, 0.9, emergency=emergency, reason="gas" if emergency else "")

    billing_call = triage_call([d("general"), d("billing"), d("booking"), d("billing")], categories)
    assert billing_call.ticket_category == "billing" and not billing_call.emergency
    assert billing_call.verticals == {"general": 1, "billing": 2, "booking": 1}
    assert triage_call([d("booking"), d("billing")], categories).ticket_category == "maintenance"  # first raised
    assert triage_call([d("general"), d("out_of_scope")], categories).ticket_category is None
    urgent = triage_call([d("billing"), d("escalation", emergency=True)], categories)
    assert urgent.emergency and urgent.emergency_reason == "gas" and urgent.ticket_category is None


ANY_TEXT = st.text(alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=40)
transcript_like = st.fixed_dictionaries(
    {},
    optional={
        "call_id": st.text(max_size=20) | ANY_TEXT | st.integers(),
        "token": st.text(max_size=20) | st.none(),
        "from": st.text(max_size=20),
        "started_at": st.text(max_size=30) | st.integers(),
        "turns": st.lists(
            st.fixed_dictionaries(
                {
                    "speaker": st.sampled_from(["customer", "agent", "x"]),
                    "text": st.text(max_size=50) | ANY_TEXT | st.integers(),
                }
            ),
            max_size=4,
        )
        | st.text(max_size=5),
    },
).map(lambda d: json.dumps(d).encode())


@given(transcript_like | st.binary(max_size=200))
def test_any_body_parses_or_gets_a_precise_client_error(body: bytes) -> None:
    try:
        transcript = parse_transcript(body)
    except TranscriptError as exc:
        assert exc.status in (400, 422) and exc.code in ("bad_json", "invalid_transcript")
        return
    for turn in transcript.turns:
        assert "\x00" not in turn.text and not any("\ud800" <= ch <= "\udfff" for ch in turn.text)
    assert "\x00" not in transcript.call_id


# --- after-call summary, priority, customer link, real platforms' shapes ----------------------

SPREADING_LEAK = (
    ("agent", "Thanks for calling Maple Property Management, how can I help?"),
    ("customer", "Hi, my kitchen sink is leaking and the water is spreading across the floor into the hallway."),
    ("agent", "I'm sorry to hear that. Please close the valve under the sink. I'll log it for maintenance right away."),
    ("customer", "Okay, can someone come today to fix the leak?"),
    ("agent", "A technician will call you back within the hour."),
    ("customer", "Thanks, bye."),
)


async def own_resident(runtime: Runtime) -> tuple[int, str]:
    """A resident of their own (id, "Name, Building Unit"): the seeded ones have other tests' open tickets,
    which a report of theirs would be added to."""
    unit = f"{random.randrange(1, 30)}{random.choice('ABCDEF')}"
    cid: int = await runtime.pool.fetchval(
        "INSERT INTO customers (full_name, email, phone, building, unit)"
        " VALUES ('Robin Okafor', $1, $2, 'Maple Court', $3) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
        f"+1617555{random.randrange(10**4):04d}",
        unit,
    )
    return cid, f"Robin Okafor, Maple Court {unit}"


async def test_spreading_leak_gets_a_summary_and_a_high_ticket_for_the_resident(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    cid, label = await own_resident(runtime)
    token = issue_token(cid, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    status, body = await _post(client, _call(*SPREADING_LEAK, token=token, **{"from": "+16175550142"}))
    assert status == 201, body
    summary = body["summary"]
    assert 0 < len(summary) <= 600
    assert summary.startswith(f"Caller: {label} (verified).")
    assert "spreading" in summary and "technician will call" in summary  # what they needed, what was promised
    assert body["priority"] == "high" and body["customer_id"] == cid and body["ticket_already_open"] is False
    ticket = await runtime.pool.fetchrow(
        "SELECT customer_id, priority, body FROM tickets WHERE id=$1", body["ticket_id"]
    )
    assert ticket["customer_id"] == cid and ticket["priority"] == "high"
    assert ticket["body"].startswith(summary)


# The same report again (mostly the first call's words: what the ticket tool takes for a repeat).
CALLED_AGAIN = [
    "Hi, my kitchen sink is still leaking and the water is spreading across the floor into the hallway.",
    "hello, my kitchen sink is leaking again and water keeps spreading across the floor",
    "Hi again, the kitchen sink is leaking and the water is spreading into the hallway now.",
    "my kitchen sink leak is spreading water into the hallway again",
]


@pytest.mark.parametrize("again", CALLED_AGAIN)
async def test_a_second_call_about_the_same_leak_is_added_to_the_open_ticket(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
    again: str,
) -> None:
    """The resident calls back about the leak still open: no second ticket, and nothing they said on
    either call is lost; the answer says it went on the ticket already open."""
    cid, _ = await own_resident(runtime)
    token = issue_token(cid, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    _, first = await _post(client, _call(*SPREADING_LEAK, token=token))
    followup = _call(
        ("agent", "Maple Property Management, how can I help?"),
        ("customer", again),
        ("agent", "I'm sorry. I'll add this to your maintenance request."),
        ("customer", "Please have someone come today to fix the leak."),
        token=token,
    )
    status, second = await _post(client, followup)
    assert status == 201, second
    assert second["ticket_id"] == first["ticket_id"] and second["ticket_already_open"] is True, second
    assert first["ticket_already_open"] is False
    tickets = await runtime.pool.fetch("SELECT priority, body FROM tickets WHERE customer_id=$1", cid)
    [ticket] = tickets
    assert ticket["body"].startswith(first["summary"]) and second["summary"] in ticket["body"]
    for turn in followup["turns"]:
        if turn["speaker"] == "customer":
            assert turn["text"] in ticket["body"], turn  # the caller's own words of the second call
    assert ticket["priority"] == "high"  # the first call's, never lowered


@pytest.mark.parametrize("said", ["the basement is flooding and water is everywhere", "I smell gas near the boiler"])
async def test_flooding_or_gas_on_a_call_is_urgent(client: TestClient, runtime: Runtime, said: str) -> None:  # type: ignore[type-arg]
    token = issue_token(2, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    status, body = await _post(
        client, _call(("customer", said), ("agent", "I'm alerting our on-call team now."), token=token)
    )
    assert status == 201 and body["emergency"] is True and body["priority"] == "urgent"
    ticket = await runtime.pool.fetchrow(
        "SELECT customer_id, priority, body FROM tickets WHERE id=$1", body["ticket_id"]
    )
    assert ticket["customer_id"] == 2 and ticket["priority"] == "urgent" and ticket["body"].startswith(body["summary"])


async def test_twilio_intelligence_export_of_a_pin_verified_call_is_linked_to_the_resident(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    """A resident calls, proves who they are with their PIN, hangs up; Twilio's transcript arrives later."""
    phone = await runtime.pool.fetchval("SELECT phone FROM customers WHERE id=1")
    number = "+" + "".join(c for c in phone if c.isdigit())
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_=number)
        assert "PIN" in await say(ws, "what is my balance")
        await press(ws, demo_pin(1) + "#")
        await reply(ws)
        await reply(ws)
    export = copy.deepcopy(TWILIO)
    export["customer_key"] = call_sid  # how the recording's transcript names the call
    export["channel"]["participants"][1]["media_participant_id"] = number
    status, body = await _post(client, export)
    assert status == 201, body
    assert body["customer_id"] == 1 and body["priority"] == "high"
    ticket = await runtime.pool.fetchrow(
        "SELECT customer_id, priority, category FROM tickets WHERE id=$1", body["ticket_id"]
    )
    assert dict(ticket) == {"customer_id": 1, "priority": "high", "category": "maintenance"}
    rows = await runtime.pool.fetch(
        "SELECT role, text FROM messages WHERE session_id=$1 ORDER BY seq", uuid.UUID(body["session_id"])
    )
    assert [r["role"] for r in rows] == ["assistant", "user", "assistant"]  # Agent/Customer mapped by channel
    again_status, again = await _post(client, export)
    assert again_status == 200 and again == body


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["sentences"][1].update(media_channel=9), "sentences.1.media_channel"),
        (lambda b: b["channel"]["participants"][0].update(role="Supervisor"), "channel.participants.0.role"),
    ],
)
async def test_unmappable_twilio_export_says_which_field(
    client: TestClient,
    mutate: Any,
    field: str,  # type: ignore[type-arg]
) -> None:
    export = copy.deepcopy(TWILIO)
    export["customer_key"] = "CA" + uuid.uuid4().hex
    mutate(export)
    status, body = await _post(client, export)
    assert status == 422 and body["error"]["code"] == "invalid_transcript"
    assert body["error"]["message"].startswith(field)


async def test_with_model_keys_a_tier1_model_writes_the_summary_and_its_cost_is_recorded(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    from callcenter.fakellm.script import Reply
    from callcenter.fakellm.server import FakeLLMServer
    from callcenter.providers.anthropic_provider import AnthropicProvider
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import ModelClient
    from callcenter.providers.recorder import PostgresCallRecorder

    written = (
        "Alex Rivera (4B, verified) called about a kitchen sink leak spreading into the hallway; told to "
        "close the valve; a technician will call back within the hour. Open: confirm the visit."
    )
    async with FakeLLMServer(seed=5, latency_scale=0.0) as fake:
        fake.script([Reply(text=written)])
        client_ = ModelClient(
            Catalog.load(),
            {"anthropic": AnthropicProvider(api_key="fake", base_url=fake.base_url)},
            PostgresCallRecorder(runtime.pool),
            max_retries=0,
        )
        runtime.extras["model_client"] = client_
        try:
            token = issue_token(1, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
            status, body = await _post(client, _call(*SPREADING_LEAK, token=token))
        finally:
            del runtime.extras["model_client"]
    assert status == 201
    assert body["summary"] == written + " Priority high."
    calls = await runtime.pool.fetch(
        "SELECT tier, step_type, cost_usd FROM model_calls WHERE session_id=$1", uuid.UUID(body["session_id"])
    )
    assert len(calls) == 1 and calls[0]["tier"] == 1 and calls[0]["cost_usd"] > 0
