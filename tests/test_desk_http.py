"""The desk's HTTP API and its published contracts (docs/openapi.yaml, docs/asyncapi.yaml).

Operators are served; anonymous callers and forged tokens get 401, customers 403. Every
response and every websocket frame seen here is validated against the published schema, and
the server's routes and frame types must match what the files declare.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate as validate_openapi

from callcenter.channels.desk_protocol import ERROR_CODES, FRAME_TYPES
from callcenter.runtime import Runtime
from callcenter.web.server import create_app
from tests.desk_helpers import (
    customer_asks_for_person,
    customer_token,
    desk_hello,
    new_operator,
    recv,
    say,
    wait_in_queue,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
OPENAPI: dict[str, Any] = yaml.safe_load((DOCS / "openapi.yaml").read_text())
ASYNCAPI: dict[str, Any] = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())


def check_openapi(path: str, status: int, body: Any) -> None:
    schema = OPENAPI["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in schema:
        schema = OPENAPI["components"]["responses"][schema["$ref"].rsplit("/", 1)[1]]
    jsonschema.validate(body, {**OPENAPI, **schema["content"]["application/json"]["schema"]})


SERVER_MESSAGES = {m["$ref"].rsplit("/", 1)[1] for m in ASYNCAPI["operations"]["serverSends"]["messages"]}


def check_asyncapi(frame: dict[str, Any]) -> None:
    name = frame.get("type")
    assert name in SERVER_MESSAGES, f"server sent an undocumented frame type {name!r}"
    jsonschema.validate(frame, {**ASYNCAPI, "$ref": f"#/components/messages/{name}/payload"})


def test_published_contracts_are_valid_and_match_the_protocol_module() -> None:
    validate_openapi(OPENAPI)
    client_types = {
        ASYNCAPI["components"]["messages"][m["$ref"].rsplit("/", 1)[1]]["payload"]["properties"]["type"]["const"]
        for m in ASYNCAPI["operations"]["operatorSends"]["messages"]
    }
    assert client_types == set(FRAME_TYPES)
    codes = ASYNCAPI["components"]["messages"]["error"]["payload"]["properties"]["code"]["enum"]
    assert set(codes) == set(ERROR_CODES)
    desk_doc = (DOCS / "desk.md").read_text()
    assert all(f"`{code}`" in desk_doc for code in ERROR_CODES), "docs/desk.md misses an error code"


def test_every_desk_http_route_is_in_the_openapi_file(runtime: Runtime) -> None:
    app = create_app(runtime)
    served = {
        r.resource.canonical
        for r in app.router.routes()
        if r.method == "GET"
        and r.resource is not None
        and r.resource.canonical.startswith(("/v1/desk/", "/v1/sessions", "/v1/reports"))
    }
    assert served == set(OPENAPI["paths"])


async def test_operators_are_served_and_everyone_else_refused(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    secret = runtime.settings.secret.get_secret_value()
    _, op_token = await new_operator(
        runtime.pool, secret, role="supervisor"
    )  # an agent: tests/test_desk_http_hostile.py
    async with client.ws_connect("/v1/chat") as customer:
        sid = await customer_asks_for_person(customer, customer_token(secret, 5))
    expired = op_token.split(".")
    forged = f"op1.{expired[1]}.{expired[2]}.AAAA"
    paths = {
        "/v1/desk/handoffs": "/v1/desk/handoffs",
        f"/v1/sessions/{sid}": "/v1/sessions/{session_id}",
        "/v1/reports/summary": "/v1/reports/summary",
        "/v1/desk/sessions": "/v1/desk/sessions",
        "/v1/desk/agents": "/v1/desk/agents",
    }
    for url, spec_path in paths.items():
        ok = await client.get(url, headers={"Authorization": f"Bearer {op_token}"})
        assert ok.status == 200, (url, await ok.text())
        check_openapi(spec_path, 200, await ok.json())
        for headers, status in [
            ({}, 401),
            ({"Authorization": "Basic abc"}, 401),
            ({"Authorization": "Bearer "}, 401),
            ({"Authorization": f"Bearer {forged}"}, 401),
            ({"Authorization": "Bearer " + "x" * 5000}, 401),
            ({"Authorization": f"Bearer {customer_token(secret, 5)}"}, 403),
        ]:
            refused = await client.get(url, headers=headers)
            assert refused.status == status, (url, headers, refused.status)
            body = await refused.json()
            check_openapi(spec_path, status, body)
            assert sid not in str(body)

    trace = await (await client.get(f"/v1/sessions/{sid}", headers={"Authorization": f"Bearer {op_token}"})).json()
    assert [m["role"] for m in trace["messages"]] == ["user", "assistant"]
    turn = trace["turns"][0]
    assert turn["vertical"] == "escalation" and turn["agent"] == "escalation"
    assert [t["name"] for t in turn["tools"]] == ["handoff_to_human"]
    assert trace["handoffs"][-1]["kind"] == "human" and trace["handoffs"][-1]["status"] == "waiting"
    missing = await client.get(f"/v1/sessions/{uuid.uuid4()}", headers={"Authorization": f"Bearer {op_token}"})
    assert missing.status == 404
    check_openapi("/v1/sessions/{session_id}", 404, await missing.json())
    report = await client.get("/v1/reports/summary?since_days=abc", headers={"Authorization": f"Bearer {op_token}"})
    assert report.status == 400


async def test_tool_arguments_and_results_are_masked_in_the_trace(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    secret = runtime.settings.secret.get_secret_value()
    _, op_token = await new_operator(runtime.pool, secret)
    sid = uuid.uuid4()
    await runtime.pool.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'chat')", sid)
    mid = await runtime.pool.fetchval(
        "INSERT INTO messages (session_id, seq, role, text) VALUES ($1, 1, 'user', 'pay') RETURNING id", sid
    )
    tid = await runtime.pool.fetchval(
        "INSERT INTO turns (session_id, message_id) VALUES ($1, $2) RETURNING id", sid, mid
    )
    await runtime.pool.execute(
        """INSERT INTO tool_calls (session_id, turn_id, tool, idempotency_key, arguments, result, status)
           VALUES ($1, $2, 'pay_invoice', 'k1', $3, $4, 'ok')""",
        sid,
        tid,
        {"card_number": "4111111111111111", "note": "ssn 123-45-6789, card 4111 1111 1111 1111"},
        {"auth_token": "abc", "ok": True},
    )
    got = await (await client.get(f"/v1/sessions/{sid}", headers={"Authorization": f"Bearer {op_token}"})).json()
    text = str(got)
    assert "4111111111111111" not in text and "4111 1111 1111 1111" not in text and "123-45-6789" not in text
    assert "abc" not in str(got["turns"][0]["tools"][0]["result"])
    assert got["turns"][0]["tools"][0]["arguments"]["card_number"] == "***"


async def test_every_desk_frame_matches_the_asyncapi_file(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    secret = runtime.settings.secret.get_secret_value()
    _, agent = await new_operator(runtime.pool, secret)
    _, sup = await new_operator(runtime.pool, secret, role="supervisor")
    seen: list[dict[str, Any]] = []

    async def take_frame(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            frame = await recv(ws)
            seen.append(frame)
            if frame["type"] == kind:
                return frame

    async with (
        client.ws_connect("/v1/chat") as customer,
        client.ws_connect("/v1/desk") as desk,
        client.ws_connect("/v1/desk") as watcher,
    ):
        seen.append(await desk_hello(desk, agent))
        seen.append(await desk_hello(watcher, sup))
        sid = await customer_asks_for_person(customer, customer_token(secret, 6))
        entry = await wait_in_queue(desk, sid)
        await watcher.send_json({"type": "watch", "session_id": sid})
        await take_frame(watcher, "watching")
        await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
        await take_frame(desk, "taken")
        await desk.send_json({"type": "message", "session_id": sid, "text": "Hello from the desk", "client_id": "c1"})
        await take_frame(desk, "sent")
        assert (await say(customer, "thanks, my heater is broken"))["type"] == "received"
        await take_frame(desk, "customer_message")
        await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
        await take_frame(desk, "error")
        await desk.send_json({"type": "ping"})
        await take_frame(desk, "pong")
        await desk.send_json({"type": "queue"})
        await take_frame(desk, "queue")
        await desk.send_json({"type": "release", "session_id": sid, "note": "heater"})
        await take_frame(desk, "released")
        await desk.send_json({"type": "close", "session_id": sid, "resolution": "done"})
        await take_frame(desk, "error")  # no longer holding
        await watcher.send_json({"type": "close", "session_id": sid, "resolution": "supervisor closed it"})
        await take_frame(watcher, "closed")
        await watcher.send_json({"type": "unwatch", "session_id": sid})
        await take_frame(watcher, "unwatched")
    kinds = {f["type"] for f in seen}
    assert {
        "desk",
        "queue",
        "watching",
        "taken",
        "sent",
        "customer_message",
        "error",
        "pong",
        "released",
        "closed",
        "unwatched",
        "event",
    } <= kinds
    for frame in seen:
        check_asyncapi(frame)
