"""A Spanish resident on the web chat reaches the desk: the `spanish` queue, with the language shown."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from tests.desk_helpers import (
    customer_token,
    desk_hello,
    entry_for,
    new_operator,
    recv,
    recv_until,
    say,
    wait_in_queue,
)
from tests.test_desk_http import check_asyncapi, check_openapi


async def test_a_spanish_chat_waits_in_the_spanish_queue_and_the_desk_sees_its_language(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    secret = runtime.settings.secret.get_secret_value()
    _, agent = await new_operator(runtime.pool, secret)
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, agent)
        await customer.send_json({"type": "hello", "token": customer_token(secret, 9)})
        session = await recv(customer)
        sid = str(session["session_id"])
        reply = await say(customer, "buenas tardes, necesito hablar con alguien sobre mi contrato")
        assert reply["type"] == "message" and reply["handoff"] is True and "español" in reply["text"]
        entry = await wait_in_queue(desk, sid)
        assert entry["queue"] == "spanish" and entry["language"] == "es"
        await desk.send_json({"type": "queue"})
        check_asyncapi(await recv_until(desk, "queue"))
    headers = {"Authorization": f"Bearer {agent}"}
    listed = await client.get("/v1/desk/handoffs", headers=headers)
    body = await listed.json()
    check_openapi("/v1/desk/handoffs", 200, body)
    assert (entry := entry_for(body["queue"], sid)) is not None and entry["language"] == "es"
    trace = await client.get(f"/v1/sessions/{sid}", headers=headers)
    assert (await trace.json())["session"]["language"] == "es"
