"""The desk's routes: the /v1/desk websocket, HTTP for integrations, and the /desk/ console.

HTTP endpoints take an operator token as `Authorization: Bearer …` (docs/openapi.yaml). A
missing, forged or expired token is 401; a valid customer token is 403, since customers may
read their own conversation through /v1/chat but never the desk's view of anyone's.
Registered by the web app as an optional route group, like voice and metrics.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from aiohttp import web

from callcenter.channels.desk_ws import DESK_HUB, DeskHub, HubSlot, desk_handler
from callcenter.channels.live_delivery import start_event_bus, stop_event_bus
from callcenter.runtime import Runtime
from callcenter.store.operators import Operator, OperatorStore
from callcenter.store.session_trace import session_trace
from callcenter.store.supervision import costs_by_agent, recent_sessions
from callcenter.web.auth import InvalidToken, verify_token
from callcenter.web.operator_auth import verify_operator_token

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "static" / "desk"
DESK_RUNTIME: web.AppKey[Runtime] = web.AppKey("desk_runtime", Runtime)


def _problem(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    headers = {"WWW-Authenticate": 'Bearer realm="callcenter-desk"'} if status is web.HTTPUnauthorized else None
    return status(
        text=web.json_response({"error": {"code": code, "message": message}}).text,
        content_type="application/json",
        headers=headers,
    )


async def bearer_operator(request: web.Request) -> Operator:
    """The operator behind the request's bearer token, or a 401/403 with a JSON error."""
    runtime = request.app[DESK_RUNTIME]
    secret = runtime.settings.secret.get_secret_value()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _problem(
            web.HTTPUnauthorized,
            "invalid_token",
            "Send Authorization: Bearer <operator token> (`callcenter operator token NAME`).",
        )
    try:
        operator_id = verify_operator_token(token, secret)
    except InvalidToken as exc:
        try:
            verify_token(token, secret)
        except InvalidToken:
            raise _problem(web.HTTPUnauthorized, exc.code, str(exc)) from None
        raise _problem(web.HTTPForbidden, "forbidden", "Customer tokens cannot use the desk API.") from None
    operator = await OperatorStore(runtime.pool).by_id(operator_id)
    if operator is None or operator.disabled:
        raise _problem(web.HTTPUnauthorized, "invalid_token", "This operator does not exist or is disabled.")
    return operator


async def supervising_operator(request: web.Request) -> Operator:
    """The operator behind the bearer token when they may see the supervisors' views; else 401/403.

    The live view, the dashboard and the reports are for supervisors and admins (docs/desk.md),
    as `watch` on the websocket is; an `agent` read them all over HTTP (red-team F6).
    """
    operator = await bearer_operator(request)
    if not operator.supervises:
        raise _problem(
            web.HTTPForbidden,
            "forbidden",
            f"The {operator.role} role may not read this: live sessions, the dashboard and reports need "
            "the supervisor or admin role.",
        )
    return operator


_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?([eE][+-]?[0-9]{1,3})?")
MAX_SINCE_DAYS = 36_500  # a century: further back than any record, and within date arithmetic


def _since_days(raw: str) -> float:
    """`since_days` as a number of days from 0 to MAX_SINCE_DAYS, or a 400 that says so."""
    days = float(raw) if _DECIMAL.fullmatch(raw) else math.nan  # float() also takes '1_0', ' 7', Arabic digits
    if not 0 <= days <= MAX_SINCE_DAYS:  # also NaN, inf, 1e308, negative
        raise _problem(
            web.HTTPBadRequest,
            "bad_request",
            f"since_days must be a number of days from 0 to {MAX_SINCE_DAYS}, not {raw[:40]!r}.",
        )
    return days


async def handoffs(request: web.Request) -> web.Response:
    await bearer_operator(request)
    hub = request.app[DESK_HUB].hub
    if hub is None:
        raise _problem(web.HTTPServiceUnavailable, "unavailable", "The desk is starting; try again shortly.")
    return web.json_response({"queue": await hub.queue_json()})


async def session_detail(request: web.Request) -> web.Response:
    await bearer_operator(request)
    trace = await session_trace(request.app[DESK_RUNTIME].pool, request.match_info["session_id"])
    if trace is None:
        raise _problem(web.HTTPNotFound, "unknown_session", "No session has that id.")
    return web.json_response(trace)


async def report_summary(request: web.Request) -> web.Response:
    from datetime import UTC, datetime, timedelta

    from callcenter.reporting import build_report

    await supervising_operator(request)
    since = None
    if "since_days" in request.query:
        since = datetime.now(UTC) - timedelta(days=_since_days(request.query["since_days"]))
    report = await build_report(request.app[DESK_RUNTIME].pool, since=since)
    return web.json_response(report.as_json())


async def agent_costs(request: web.Request) -> web.Response:
    """Cost and calls per agent, for the supervisors' dashboard (the report groups by route)."""
    await supervising_operator(request)
    return web.json_response(await costs_by_agent(request.app[DESK_RUNTIME].pool))


async def live_sessions(request: web.Request) -> web.Response:
    """Sessions active in the last `minutes` (default 30), newest first: the supervisors' live view."""
    await supervising_operator(request)
    raw = request.query.get("minutes", "30")
    minutes = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= minutes <= 24 * 60:
        raise _problem(
            web.HTTPBadRequest, "bad_request", f"minutes must be a whole number from 1 to 1440, not {raw[:40]!r}."
        )
    return web.json_response({"sessions": await recent_sessions(request.app[DESK_RUNTIME].pool, minutes)})


async def console(request: web.Request) -> web.FileResponse:
    return web.FileResponse(CONSOLE_DIR / "index.html")


async def console_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/desk/")


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    app[DESK_RUNTIME] = runtime
    slot = app[DESK_HUB] = HubSlot()

    async def start(app: web.Application) -> None:
        bus = await start_event_bus(runtime)
        slot.hub = DeskHub(runtime, bus)

    async def stop(app: web.Application) -> None:
        if slot.hub is not None:
            await slot.hub.close()
            slot.hub = None
        await stop_event_bus(runtime)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_get("/v1/desk", desk_handler)
    app.router.add_get("/v1/desk/handoffs", handoffs)
    app.router.add_get("/v1/desk/sessions", live_sessions)
    app.router.add_get("/v1/desk/agents", agent_costs)
    app.router.add_get("/v1/sessions/{session_id}", session_detail)
    app.router.add_get("/v1/reports/summary", report_summary)
    app.router.add_get("/desk", console_redirect)
    app.router.add_get("/desk/", console)
    app.router.add_static("/desk/", CONSOLE_DIR, name="desk_console")
