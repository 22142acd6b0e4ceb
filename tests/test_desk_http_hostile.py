"""The desk's HTTP API as an agent-role operator and a hostile client meet it (NOTES/redteam.md F6, F8).

F6: an `agent` read the supervisors' live view, dashboard figures and reports over HTTP,
though `watch` on the websocket refused it. F8: `since_days=1e308` / `nan` / `inf` answered 500
with a traceback in the log, `since_days=-1` a report "since tomorrow", and `minutes=0`/`-5`/
huge were quietly clamped; every out-of-range value is now a 400 `bad_request` saying the range.
"""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from tests.desk_helpers import new_operator
from tests.test_desk_http import check_openapi

SUPERVISOR_ONLY = ["/v1/desk/sessions", "/v1/desk/agents", "/v1/reports/summary"]

# (path, parameter, value, accepted?) — what a hostile or careless client sends, and what is fine.
QUERIES = [
    *(
        ("/v1/reports/summary", "since_days", v, False)
        for v in ["1e308", "nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0.5", "36501", "100000000", "abc", ""]
    ),
    *(
        ("/v1/reports/summary", "since_days", v, False)
        for v in [" ", " 7", "0x10", "1_0", "\u0661", "9" * 400, "1e-400x", "-0", "+1"]
    ),
    *(("/v1/reports/summary", "since_days", v, True) for v in ["0", "1", "0.5", "7", "36500", "1e2", "2.5E1"]),
    *(
        ("/v1/desk/sessions", "minutes", v, False)
        for v in ["0", "-5", "1441", "99999999999999999999", "1.5", "abc", "", "nan", "\u0661\u0662", "+5", " 5"]
    ),
    *(("/v1/desk/sessions", "minutes", v, True) for v in ["1", "30", "1440", "0030"]),
]


async def test_an_agent_gets_forbidden_on_the_supervisors_views(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    secret = runtime.settings.secret.get_secret_value()
    _, agent = await new_operator(runtime.pool, secret, role="agent")
    for path in SUPERVISOR_ONLY:
        got = await client.get(path, headers={"Authorization": f"Bearer {agent}"})
        assert got.status == 403, path
        body = await got.json()
        assert body["error"]["code"] == "forbidden" and "supervisor" in body["error"]["message"], body
        check_openapi(path, 403, body)
    for path in ["/v1/desk/handoffs"]:  # the queue is the agent's work
        assert (await client.get(path, headers={"Authorization": f"Bearer {agent}"})).status == 200
    for role in ("supervisor", "admin"):
        _, token = await new_operator(runtime.pool, secret, role=role)
        for path in SUPERVISOR_ONLY:
            assert (await client.get(path, headers={"Authorization": f"Bearer {token}"})).status == 200, (role, path)


async def test_hostile_query_values_get_a_precise_400_never_a_500(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    _, token = await new_operator(runtime.pool, runtime.settings.secret.get_secret_value(), role="supervisor")
    wrong = []
    for path, name, value, accepted in QUERIES:
        got = await client.get(path, params={name: value}, headers={"Authorization": f"Bearer {token}"})
        body = await got.json()
        if accepted:
            ok = got.status == 200
        else:
            ok = got.status == 400 and body["error"]["code"] == "bad_request" and name in body["error"]["message"]
            ok = ok and ("1440" in body["error"]["message"] or "36500" in body["error"]["message"])
            if ok:
                check_openapi(path, 400, body)
        if not ok:
            wrong.append((path, name, value, got.status, body))
    assert not wrong, wrong
