"""POST /v1/voice/transcripts end to end: real server, real database, the app's own tools."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from callcenter.channels.transcripts_http import TranscriptError, judge_call, parse_transcript
from callcenter.channels.voice_protocol import body_sha256, twilio_signature
from callcenter.runtime import Runtime
from callcenter.types import RouteDecision, Vertical
from callcenter.web.auth import issue_token
from callcenter.web.server import create_app

PATH = "/v1/voice/transcripts"


@pytest.fixture(scope="module")
async def client(runtime: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(create_app(runtime))) as c:
        yield c


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


def test_judge_call_picks_the_main_vertical() -> None:
    def d(v: Vertical, emergency: bool = False) -> RouteDecision:
        return RouteDecision(v, 0.9, emergency=emergency, reason="gas" if emergency else "")

    billing_call = judge_call([d(Vertical.GENERAL), d(Vertical.BILLING), d(Vertical.BOOKING), d(Vertical.BILLING)])
    assert billing_call.ticket_category == "billing" and not billing_call.emergency
    assert billing_call.verticals == {"general": 1, "billing": 2, "booking": 1}
    assert judge_call([d(Vertical.BOOKING), d(Vertical.BILLING)]).ticket_category == "maintenance"  # first raised
    assert judge_call([d(Vertical.GENERAL), d(Vertical.OUT_OF_SCOPE)]).ticket_category is None
    urgent = judge_call([d(Vertical.BILLING), d(Vertical.ESCALATION, emergency=True)])
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
